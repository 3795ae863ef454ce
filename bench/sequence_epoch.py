"""One training epoch of two text models in swiftnet, and in PyTorch (CPU) in the same run when it
is installed:

- text: 25,000 sequences of 256 token ids (vocabulary 10,000), Embedding(10000, 16) →
  GlobalAveragePooling1D → Dense(16, relu) → Dense(1, sigmoid), Adam, batch 32;
- lstm: 5,000 sequences of 100 token ids, Embedding(10000, 32) → LSTM(64) → Dense(1, sigmoid),
  Adam, batch 64.

Token ids are random (timing does not depend on them); labels are random bits. Both libraries
shuffle every epoch and report the best of `--repeats` epochs after a warm-up.
Run: python bench/sequence_epoch.py [--repeats N] [--only text|lstm]"""

import argparse

import numpy as np

import machine
import swiftnet
from swiftnet import layers

from mlp_epoch import best_of  # bench/ is the script's folder, first on sys.path

VOCAB = 10_000


def text_model():
    return swiftnet.Sequential([
        swiftnet.Input((256,), dtype="int32"), layers.Embedding(VOCAB, 16), layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])


def lstm_model():
    return swiftnet.Sequential([
        swiftnet.Input((100,), dtype="int32"), layers.Embedding(VOCAB, 32), layers.LSTM(64),
        layers.Dense(1, activation="sigmoid")])


def swiftnet_epoch(build, x, y, batch_size, repeats):
    swiftnet.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:2048], y[:2048], batch_size=batch_size, epochs=1, verbose=0)  # warm-up
    return best_of(repeats, lambda: model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0))


def torch_epoch(kind, x, y, batch_size, repeats):
    import torch
    from torch import nn

    class Text(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, 16)
            self.hidden = nn.Linear(16, 16)
            self.out = nn.Linear(16, 1)

        def forward(self, ids):
            return torch.sigmoid(self.out(torch.relu(self.hidden(self.embedding(ids).mean(dim=1)))))

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, 32)
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.out = nn.Linear(64, 1)

        def forward(self, ids):
            _, (h, _) = self.lstm(self.embedding(ids))
            return torch.sigmoid(self.out(h[-1]))

    torch.manual_seed(0)
    model = Text() if kind == "text" else Recurrent()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCELoss()
    inputs, targets = torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.float32)).unsqueeze(1)

    def epoch(count=len(x)):
        order = torch.randperm(count)
        for start in range(0, count, batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(inputs[index]), targets[index])
            loss.backward()
            optimizer.step()

    epoch(2048)  # warm-up
    return best_of(repeats, epoch)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["text", "lstm"])
    args = parser.parse_args()
    print(machine.describe())
    print(f"roofline: sgemm 2048^3 {machine.square_gflops():.0f} GFLOP/s")
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    rng = np.random.default_rng(0)
    cases = [("text", 25_000, 256, 32, text_model), ("lstm", 5_000, 100, 64, lstm_model)]
    for kind, samples, steps, batch_size, build in cases:
        if args.only and kind != args.only:
            continue
        x = rng.integers(1, VOCAB, size=(samples, steps), dtype=np.int32)
        y = rng.integers(0, 2, size=samples).astype(np.float32)
        ours = swiftnet_epoch(build, x, y, batch_size, args.repeats)
        line = f"{kind:5s} epoch ({samples:,} x {steps}, batch {batch_size}): swiftnet {ours:.3f} s"
        if torch_version:
            theirs = torch_epoch(kind, x, y, batch_size, args.repeats)
            line += f"   PyTorch {torch_version} {theirs:.3f} s   ratio {ours / theirs:.2f}"
        print(line, flush=True)
    if not torch_version:
        print("(PyTorch is not installed: swiftnet's figures alone)")


if __name__ == "__main__":
    main()
