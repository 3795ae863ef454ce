"""The engine's kernel paths: the AVX-512 and the AVX2+FMA copy of the library, each forced with
SWIFTNET_CPU (as the thread count is forced with SWIFTNET_NUM_THREADS), checked against NumPy
(float64) references and against each other. A path this CPU or installation lacks is skipped."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import reference
import sequence_reference
from swiftnet import _library

HERE = pathlib.Path(__file__).resolve().parent


def _available(path):
    lib_dir = pathlib.Path(_library.__file__).resolve().parent / "lib"
    if os.environ.get("SWIFTNET_LIBRARY"):
        return False, "SWIFTNET_LIBRARY overrides the kernel path"
    if not (lib_dir / _library.KERNEL_PATHS[path]).exists():
        return False, f"no {_library.KERNEL_PATHS[path]} in this installation"
    if path == "avx512" and not set(_library.AVX512_FEATURES) <= _library.cpu_features():
        return False, "this CPU has no AVX-512"
    return True, ""


_results = {}


def run_battery(path, tmp_path_factory):
    if path not in _results:
        available, why = _available(path)
        if not available:
            pytest.skip(why)
        target = tmp_path_factory.mktemp(path) / "battery.npz"
        env = dict(os.environ, SWIFTNET_CPU=path)
        subprocess.run([sys.executable, str(HERE / "kernel_battery.py"), str(target)], env=env, check=True,
                       cwd=HERE, timeout=300)
        _results[path] = dict(np.load(target, allow_pickle=True))
    return _results[path]


@pytest.mark.parametrize("path", ["avx2", "avx512"])
def test_kernel_path_matches_numpy(path, tmp_path_factory):
    r = run_battery(path, tmp_path_factory)
    assert str(r["kernel_path"]) == path
    x = r["x"].astype(np.float64)
    close = dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(r["exp"], np.exp(x), **close)
    np.testing.assert_allclose(r["log1p_abs"], np.log(np.abs(x) + 1), **close)
    np.testing.assert_allclose(r["tanh"], np.tanh(x), **close)
    np.testing.assert_allclose(r["sigmoid"], reference.sigmoid(x), **close)
    np.testing.assert_allclose(r["softmax"], reference.softmax(x), **close)
    np.testing.assert_allclose(r["logsumexp"], np.log(np.exp(x).sum(-1)), **close)
    np.testing.assert_allclose(r["sum"], x.sum(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(r["max"], r["x"].max(1))
    np.testing.assert_allclose(r["matmul"], x @ x.T, rtol=1e-5, atol=1e-4)

    k1, b1, k2, b2 = [w.astype(np.float64) for w in r["mlp_weights"]]
    data, labels = r["mlp_data"], r["mlp_labels"]
    np.testing.assert_allclose(r["mlp_predict"], reference.mlp_forward(data, [(k1, b1), (k2, b2)], ["relu", "softmax"]),
                               rtol=1e-4, atol=1e-6)
    weights, m, v = [k1, b1, k2, b2], None, None
    m, v = [np.zeros_like(w) for w in weights], [np.zeros_like(w) for w in weights]
    for step in (1, 2):
        grads = reference.mlp_gradients_softmax_ce(data, labels, [(weights[0], weights[1]), (weights[2], weights[3])])
        weights = reference.adam_step(weights, grads, step, lr=0.01, m=m, v=v)
    for got, expected in zip(r["mlp_after_adam"], weights):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)

    kernel, bias = [w.astype(np.float64) for w in r["conv_weights"]]
    np.testing.assert_allclose(r["conv"], reference.conv2d(r["conv_images"].astype(np.float64), kernel, padding="same",
                                                           bias=bias), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(r["lstm"], sequence_reference.lstm(r["lstm_sequences"], list(r["lstm_weights"]),
                                                                  return_sequences=True), rtol=1e-4, atol=1e-5)


def test_kernel_paths_agree(tmp_path_factory):
    results = [run_battery(path, tmp_path_factory) for path in ("avx2", "avx512")]
    for key, value in results[0].items():
        if key == "kernel_path" or value.dtype == object:
            continue
        np.testing.assert_allclose(results[1][key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    for key in ("mlp_after_adam",):
        for a, b in zip(results[0][key], results[1][key]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=key)


def test_forcing_a_path_the_cpu_or_installation_lacks_is_a_clear_error(tmp_path):
    code = "import swiftnet"
    env = dict(os.environ, SWIFTNET_CPU="avx1024")
    env.pop("SWIFTNET_LIBRARY", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Unknown SWIFTNET_CPU='avx1024'" in result.stderr
