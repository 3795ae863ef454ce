"""A seeded fuzzer over every engine layer class: random configs (valid and hostile values mixed)
and random input shapes go through the C ABI; each model that builds is compiled, trained, evaluated
and asked for predictions. Every failure must be a ValueError, TypeError or MemoryError: an
internal error is reported, and a signal kills the process (the caller sees its exit status).

    python fuzz_layers.py --seed 1 --cases 400
"""

import argparse
import random
import sys

import numpy as np

from swiftnet import _library

ACTIVATIONS = ["relu", "tanh", "softmax", "gelu", "linear", "selu", "hard_sigmoid", "bogus", None, 3]
SIZES = [0, 1, 2, 3, 5, -1, 2**31, 2**40, 1.5, "3", None, [], [1, 3], [2, 2], [0, 2], [5, 5], [1, 2, 3]]
FACTORS = [0, 0.1, 0.5, 1.0, 1.5, -1, [-0.2, 0.3], [0.3, -0.2], [0.1], [], float("nan"), 1e39, "x"]
OPTIONS = {
    "Dense": {"units": [1, 2, 3, 0, -1, 2**40, 2.5], "activation": ACTIVATIONS, "use_bias": [True, False, 2],
              "kernel_initializer": ["glorot_uniform", "zeros", "orthogonal_bogus",
                                     {"class_name": "RandomNormal", "config": {"stddev": -1}},
                                     {"class_name": "Constant", "config": {"value": 1e39}}]},
    "Activation": {"activation": ACTIVATIONS},
    "Flatten": {},
    "Dropout": {"rate": [0, 0.5, 0.99, 1, -0.1, 2, float("inf")], "seed": [None, 1, -5, 2**60]},
    "Reshape": {"target_shape": [[-1], [2, -1], [-1, -1], [0], [3, 2], [1, 1, -1], [], 5, [2**40, 2**40]]},
    "Conv2D": {"filters": [1, 2, 4, 0, -3], "kernel_size": SIZES, "strides": SIZES, "padding": ["valid", "same", "full"],
               "dilation_rate": SIZES, "groups": [1, 2, 3, 0], "activation": ACTIVATIONS},
    "Conv2DTranspose": {"filters": [1, 3, 0], "kernel_size": SIZES, "strides": SIZES, "padding": ["valid", "same", "x"],
                        "output_padding": [None, 0, 1, [1, 0], 5, -1], "dilation_rate": [1, 2]},
    "DepthwiseConv2D": {"kernel_size": SIZES, "strides": SIZES, "padding": ["valid", "same"],
                        "depth_multiplier": [1, 2, 0, -1, 2**40], "dilation_rate": SIZES},
    "SeparableConv2D": {"filters": [1, 2, 0], "kernel_size": SIZES, "strides": SIZES, "padding": ["valid", "same"],
                        "depth_multiplier": [1, 2, 0]},
    "MaxPooling2D": {"pool_size": SIZES, "strides": SIZES + [None], "padding": ["valid", "same", "x"]},
    "AveragePooling2D": {"pool_size": SIZES, "strides": SIZES + [None], "padding": ["valid", "same"]},
    "GlobalAveragePooling2D": {"keepdims": [True, False, 3]},
    "GlobalMaxPooling2D": {"keepdims": [True, False]},
    "ZeroPadding2D": {"padding": [0, 1, [1, 2], [[1, 0], [0, 2]], -1, [[1]], 2**40]},
    "UpSampling2D": {"size": SIZES, "interpolation": ["nearest", "bilinear", "bicubic"]},
    "BatchNormalization": {"axis": [-1, 1, 3, None, 7], "momentum": [0.99, 0, 1, 1.5, float("nan")],
                           "epsilon": [1e-3, 0, -1, 1e39], "center": [True, False], "scale": [True, False]},
    "Rescaling": {"scale": [1, 0.5, [], [1, 2], [1, 2, 3], 1e39, "x"], "offset": [0, [], [1], [1, 2, 3], float("inf")]},
    "Normalization": {"axis": [-1, None, 0, 2], "mean": [None, 0.5, [], [1, 2], [1, 2, 3], [-1]],
                      "variance": [None, 1.0, [], [1, 2], [1, 2, 3], [-1], 0]},
    "RandomFlip": {"mode": ["horizontal", "vertical", "horizontal_and_vertical", "diagonal"], "seed": [None, 3]},
    "RandomTranslation": {"height_factor": FACTORS, "width_factor": FACTORS,
                          "fill_mode": ["reflect", "wrap", "nearest", "constant", "mirror"],
                          "interpolation": ["bilinear", "nearest", "cubic"], "fill_value": [0, 1e39]},
    "RandomRotation": {"factor": FACTORS, "fill_mode": ["reflect", "constant"], "interpolation": ["bilinear", "nearest"]},
    "RandomZoom": {"height_factor": FACTORS, "width_factor": FACTORS + [None], "fill_mode": ["reflect", "wrap"]},
    "RandomCrop": {"height": [1, 2, 4, 8, 20, 0, -1], "width": [1, 3, 8, 20, 0]},
    "RandomContrast": {"factor": FACTORS, "value_range": [[0, 1], [1, 0], [0, 255], [], [0, 1, 2]]},
}
REQUIRED = {"Dense": ["units"], "Activation": ["activation"], "Dropout": ["rate"], "Reshape": ["target_shape"],
            "Conv2D": ["filters", "kernel_size"], "Conv2DTranspose": ["filters", "kernel_size"],
            "DepthwiseConv2D": ["kernel_size"], "SeparableConv2D": ["filters", "kernel_size"], "Rescaling": ["scale"],
            "RandomTranslation": ["height_factor", "width_factor"], "RandomRotation": ["factor"],
            "RandomZoom": ["height_factor"], "RandomCrop": ["height", "width"], "RandomContrast": ["factor"]}
SHAPES = [(3,), (6,), (5, 4, 2), (8, 8, 3), (1, 1, 1), (6, 7, 1), (2, 9, 4), (12, 12, 1), (4, 4, 4, 2)]
LOSSES = ["mse", "mae", "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"]


def random_config(rng, cls):
    config = {}
    for key, values in OPTIONS[cls].items():
        if key in REQUIRED.get(cls, []) or rng.random() < 0.5:
            config[key] = rng.choice(values)
    return config


def run_case(rng, cls):
    """Returns "built", "refused" or an error description."""
    shape = rng.choice(SHAPES)
    spec = {"name": "fuzz", "seed": rng.randrange(2**31), "layers": [
        {"class_name": "InputLayer", "name": "input", "config": {"shape": list(shape)}},
        {"class_name": cls, "name": "fuzzed", "config": random_config(rng, cls), "inbound": [0]},
        {"class_name": "Flatten", "name": "flatten", "config": {}, "inbound": [1]},
        {"class_name": "Dense", "name": "head", "config": {"units": 3, "activation": rng.choice(["softmax", "sigmoid", None])},
         "inbound": [2]}]}
    try:
        model = _library.NativeModel(spec)
    except (ValueError, TypeError, MemoryError):
        return "refused"
    loss = rng.choice(LOSSES)
    samples = rng.randint(1, 6)
    data = np.random.default_rng(rng.randrange(2**31))
    x = data.normal(size=(samples,) + shape).astype(np.float32) * rng.choice([1, 100])
    if loss == "sparse_categorical_crossentropy":
        y = data.integers(0, 3, samples)
    else:
        y = data.random((samples, 3)).astype(np.float32)
    try:
        model.compile({"optimizer": rng.choice(["sgd", "adam", "rmsprop", "adagrad"]), "loss": loss,
                       "metrics": [rng.choice(["accuracy", "mse"])]})
        for mode, batch in [(_library.MODE_TRAIN, rng.randint(1, 4)), (_library.MODE_EVALUATE, 2), (_library.MODE_PREDICT, 3)]:
            session = _library.NativeSession(model, mode, x, None if mode == _library.MODE_PREDICT else y,
                                             batch_size=batch, shuffle=True, seed=rng.randrange(2**31))
            session.begin_epoch(0)
            while not session.run():
                pass
            session.close()
        return "built"
    except (ValueError, TypeError, MemoryError):
        return "refused"
    except Exception as error:  # an internal error: a bug
        return f"{type(error).__name__}: {error}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    classes = sorted(OPTIONS)
    counts = {"built": 0, "refused": 0}
    failures = 0
    for case in range(args.cases):
        cls = classes[case % len(classes)]
        outcome = run_case(rng, cls)
        if outcome in counts:
            counts[outcome] += 1
        else:
            failures += 1
            print(f"case {case} ({cls}): {outcome}")
    print(f"built {counts['built']}, refused {counts['refused']}")
    if failures == 0:
        print(f"fuzz ok: {args.cases} cases")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
