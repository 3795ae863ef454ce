"""`model.summary()` in Keras 3's table format (with "Connected to" for graphs that are not a chain)."""

import numpy as np


def readable_size(count):
    size = count * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape(s) for s in shape) + "]"
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def print_summary(model, line_length=None, print_fn=None):
    print_fn = print_fn or print
    rows_data = model._summary_rows()
    chain = all(connected is None or len(connected) <= 1 for _, _, connected in rows_data)
    rows = []
    for layer, shape, connected in rows_data:
        params = f"{layer.count_params():,}" if layer.built or not layer._engine_layer else "0 (unbuilt)"
        row = [f"{layer.name} ({type(layer).__name__})", _shape(shape), params]
        if not chain:
            row.append(", ".join(connected) if connected else "-")
        rows.append(row)
    headers = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    widths = [33, 24, 15] + ([] if chain else [24])
    for row in rows:
        widths = [max(w, len(cell) + 2) for w, cell in zip(widths, row)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - len(widths) - 1)

    def line(left, fill, middle, right):
        return left + middle.join(fill * w for w in widths) + right

    def cells(row, border):
        texts = []
        for i, (cell, width) in enumerate(zip(row, widths)):
            texts.append(f" {cell:>{width - 2}} " if i == 2 else f" {cell:<{width - 2}} ")
        return border + border.join(texts) + border

    out = [f'Model: "{model.name}"', line("┏", "━", "┳", "┓"), cells(headers, "┃"), line("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        out.append(cells(row, "│"))
        out.append(line("├", "─", "┼", "┤") if i < len(rows) - 1 else line("└", "─", "┴", "┘"))
    weights = model.weights if model.built else []
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights) if model.built else 0
    total = sum(int(np.prod(w.shape)) for w in weights)
    optimizer_params = model._optimizer_state_count()
    grand_total = total + optimizer_params
    out.append(f" Total params: {grand_total:,} ({readable_size(grand_total)})")
    out.append(f" Trainable params: {trainable:,} ({readable_size(trainable)})")
    out.append(f" Non-trainable params: {total - trainable:,} ({readable_size(total - trainable)})")
    if optimizer_params:
        out.append(f" Optimizer params: {optimizer_params:,} ({readable_size(optimizer_params)})")
    for text in out:
        print_fn(text)
