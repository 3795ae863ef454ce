"""Data-parallel training over MPI: one epoch of the MNIST MLP (784-128-10, Adam, 60,000 samples,
global batch 128) on 1 process and on 2 processes, one engine thread each, on this machine:
the speedup and the share of step time spent in the gradient all-reduce.

Run: python bench/data_parallel.py            (launches the ranks itself with mpirun)
Data: the real MNIST test images tiled to 60,000 when found (see bench/mlp_epoch.py), else noise."""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

RANK_ENV = "SWIFTNET_BENCH_RANK_RUN"


def run_epochs(epochs=3):
    import swiftnet
    from swiftnet import layers
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from mlp_epoch import load_data
    distributed = os.environ.get(RANK_ENV) == "mpi"
    if distributed:
        swiftnet.distribution.initialize()
        swiftnet.distribution.set_distribution(swiftnet.distribution.DataParallel())
    swiftnet.config.set_num_threads(1)
    x, y, source = load_data("mnist")
    swiftnet.utils.set_random_seed(0)
    model = swiftnet.Sequential([swiftnet.Input((784,)), layers.Dense(128, activation="relu"),
                                 layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1280], y[:1280], batch_size=128, epochs=1, verbose=0)  # warm up
    times, shares = [], []
    for _ in range(epochs):
        before = swiftnet.distribution.allreduce_stats()[0] if distributed else 0.0
        start = time.perf_counter()
        history = model.fit(x, y, batch_size=128, epochs=1, verbose=0)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        if distributed:
            shares.append((swiftnet.distribution.allreduce_stats()[0] - before) / elapsed)
    return {"seconds": min(times), "allreduce_share": float(np.median(shares)) if shares else 0.0,
            "accuracy": history.history["accuracy"][-1], "source": source}


def main():
    if os.environ.get(RANK_ENV):
        result = run_epochs()
        import swiftnet
        if swiftnet.distribution.process_id() == 0:
            print(json.dumps(result))
        return
    import machine
    print(machine.describe())
    print(f"roofline: sgemm 2048^3 {machine.square_gflops():.0f} GFLOP/s")
    single = subprocess.run([sys.executable, __file__], env=dict(os.environ, **{RANK_ENV: "single"}),
                            capture_output=True, text=True, check=True)
    one = json.loads(single.stdout.strip().splitlines()[-1])
    mpirun = shutil.which("mpirun")
    print(f"MNIST MLP epoch (60,000 samples, global batch 128), {one['source']}")
    print(f"1 rank  x 1 thread : {one['seconds']:.3f} s  (accuracy {one['accuracy']:.4f})")
    if mpirun is None:
        print("mpirun not found: install Open MPI for the 2-rank figure")
        return
    env = dict(os.environ, **{RANK_ENV: "mpi", "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    double = subprocess.run([mpirun, "--oversubscribe", "-n", "2", sys.executable, __file__], env=env,
                            capture_output=True, text=True, check=True)
    two = json.loads(double.stdout.strip().splitlines()[-1])
    print(f"2 ranks x 1 thread : {two['seconds']:.3f} s  (accuracy {two['accuracy']:.4f}), speedup "
          f"{one['seconds'] / two['seconds']:.2f}x, all-reduce {100 * two['allreduce_share']:.0f}% of the epoch")
    print("target: speedup >= 1.7x:", "met" if one["seconds"] / two["seconds"] >= 1.7 else "NOT met")


if __name__ == "__main__":
    main()
