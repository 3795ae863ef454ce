"""5-fold cross-validation of the MNIST MLP (784-128-10, relu/softmax, Adam, 5 epochs) on the
10,000 real MNIST test images: swiftnet's SKLearnClassifier under scikit-learn's `cross_val_score`,
scikit-learn's MLPClassifier under `cross_val_score`, and (when torch is installed) PyTorch in a
plain loop, all on the same stratified folds with the same batch size. Prints each one's wall time
and mean accuracy, and swiftnet's time as a fraction of the others'.

Data: swiftnet.datasets.mnist.load_test_set() (SWIFTNET_DATA_DIR/mnist or ../shared/data/mnist).
Run: python bench/cross_validation.py [--batch-size 32] [--repeats 1] [--n-jobs 1] [--skip-torch]
With --n-jobs N > 1 the folds run in N joblib (loky) worker processes for swiftnet and
scikit-learn; each swiftnet worker's engine then uses max(1, CPUs // N) threads."""

import argparse
import time
import warnings

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score

import machine
import swiftnet
from swiftnet import layers
from swiftnet.wrappers import SKLearnClassifier

EPOCHS = 5
HIDDEN = 128


def load_mnist():
    images, labels = swiftnet.datasets.mnist.load_test_set()
    return images.reshape(len(images), 784).astype(np.float32) / 255, labels.astype(np.int64)


def mnist_mlp(X, y):
    model = swiftnet.Sequential([swiftnet.Input(shape=(X.shape[1],)), layers.Dense(HIDDEN, activation="relu"),
                                 layers.Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def timed(fn, repeats):
    """(best wall time, result of the last run)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def swiftnet_cv(x, y, folds, batch_size, n_jobs):
    clf = SKLearnClassifier(mnist_mlp, fit_kwargs={"epochs": EPOCHS, "batch_size": batch_size, "verbose": 0},
                            random_state=0)
    return cross_val_score(clf, x, y, cv=folds, n_jobs=n_jobs)


def sklearn_cv(x, y, folds, batch_size, n_jobs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="adam", batch_size=batch_size,
                        max_iter=EPOCHS, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_score(clf, x, y, cv=folds, n_jobs=n_jobs)


def torch_cv(x, y, folds, batch_size, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    scores = []
    for train, test in folds:
        model = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        x_train, y_train = torch.from_numpy(x[train]), torch.from_numpy(y[train])
        for _ in range(EPOCHS):
            order = torch.randperm(len(train))
            for start in range(0, len(train), batch_size):
                batch = order[start:start + batch_size]
                optimizer.zero_grad()
                loss_fn(model(x_train[batch]), y_train[batch]).backward()
                optimizer.step()
        with torch.no_grad():
            predictions = model(torch.from_numpy(x[test])).argmax(dim=1).numpy()
        scores.append(float(np.mean(predictions == y[test])))
    return np.array(scores)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--skip-torch", action="store_true")
    args = parser.parse_args()
    print(machine.describe())
    print(f"roofline: sgemm 2048^3 {machine.square_gflops():.0f} GFLOP/s")
    x, y = load_mnist()
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(x, y))
    print(f"data: {len(x)} MNIST test images, 5 folds, {EPOCHS} epochs, batch {args.batch_size}, "
          f"n_jobs {args.n_jobs}, swiftnet engine threads {swiftnet.config.get_num_threads()}")

    swiftnet_cv(x[:1000], y[:1000], 2, args.batch_size, 1)  # warm-up: library loading, first builds
    results = {"swiftnet": timed(lambda: swiftnet_cv(x, y, folds, args.batch_size, args.n_jobs), args.repeats)}
    # NumPy's BLAS and PyTorch run with their default thread counts and with one thread: on small
    # batches (and on a shared machine) their threads can cost more than they give.
    from threadpoolctl import threadpool_info, threadpool_limits
    blas_threads = max([pool["num_threads"] for pool in threadpool_info()] or [1])
    results[f"scikit-learn ({blas_threads} BLAS threads)"] = timed(
        lambda: sklearn_cv(x, y, folds, args.batch_size, args.n_jobs), args.repeats)
    if blas_threads > 1:
        with threadpool_limits(1):
            results["scikit-learn (1 BLAS thread)"] = timed(
                lambda: sklearn_cv(x, y, folds, args.batch_size, args.n_jobs), args.repeats)
    if not args.skip_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: PyTorch skipped")
        else:
            for threads in sorted({torch.get_num_threads(), 1}, reverse=True):
                results[f"PyTorch ({threads} thread{'s' if threads > 1 else ''})"] = timed(
                    lambda: torch_cv(x, y, folds, args.batch_size, threads), args.repeats)

    swift_time = results["swiftnet"][0]
    for name, (seconds, scores) in results.items():
        ratio = "" if name == "swiftnet" else f"   swiftnet/this time: {swift_time / seconds:.2f}x"
        print(f"{name:>32}: {seconds:7.2f} s   mean accuracy {scores.mean():.4f} (± {scores.std():.4f}){ratio}")


if __name__ == "__main__":
    main()
