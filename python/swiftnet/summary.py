"""`model.summary()` in Keras 3's table format."""

import numpy as np


def readable_size(count):
    size = count * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _shape(shape):
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def print_summary(model, line_length=None, print_fn=None, show_input_layer=False):
    print_fn = print_fn or print
    rows = []
    for layer, shape in model._summary_rows(show_input_layer):
        rows.append((f"{layer.name} ({type(layer).__name__})",
                     _shape(shape) if shape is not None else "?",
                     f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"))
    widths = [33, 24, 15]
    for row in rows:
        widths = [max(w, len(cell) + 2) for w, cell in zip(widths, row)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - 4)

    def line(left, fill, middle, right):
        return left + middle.join(fill * w for w in widths) + right

    def cells(row, border):
        texts = [f" {row[0]:<{widths[0] - 2}} ", f" {row[1]:<{widths[1] - 2}} ", f" {row[2]:>{widths[2] - 2}} "]
        return border + border.join(texts) + border

    out = [f'Model: "{model.name}"',
           line("┏", "━", "┳", "┓"),
           cells(("Layer (type)", "Output Shape", "Param #"), "┃"),
           line("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        out.append(cells(row, "│"))
        out.append(line("├", "─", "┼", "┤") if i < len(rows) - 1 else line("└", "─", "┴", "┘"))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = sum(int(np.prod(w.shape)) for w in model.weights)
    optimizer_params = model._optimizer_state_count()
    grand_total = total + optimizer_params
    out.append(f" Total params: {grand_total:,} ({readable_size(grand_total)})")
    out.append(f" Trainable params: {trainable:,} ({readable_size(trainable)})")
    out.append(f" Non-trainable params: {total - trainable:,} ({readable_size(total - trainable)})")
    if optimizer_params:
        out.append(f" Optimizer params: {optimizer_params:,} ({readable_size(optimizer_params)})")
    for text in out:
        print_fn(text)
