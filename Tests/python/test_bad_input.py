"""Bad input raises a clear Python exception, the process lives on, and the model stays usable."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swiftnet
from swiftnet import layers


@pytest.fixture
def model():
    m = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                             layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.fixture
def data(rng):
    return rng.normal(size=(20, 4)).astype(np.float32), rng.integers(0, 3, 20)


def still_usable(model, data):
    x, y = data
    before = model.get_weights()
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.predict(x, verbose=0).shape == (20, 3)


def test_wrong_input_shape(model, data):
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(20, 5\)"):
        model.fit(np.zeros((20, 5), np.float32), data[1], verbose=0)
    with pytest.raises(ValueError, match="expected shape"):
        model.predict(np.zeros((3, 2, 2), np.float32), verbose=0)
    still_usable(model, data)


def test_x_and_y_lengths_differ(model, data):
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(data[0], data[1][:10], verbose=0)
    still_usable(model, data)


@pytest.mark.parametrize("label", [3, -1, 1.5])
def test_labels_out_of_range(model, data, label):
    y = data[1].astype(np.float32).copy()
    y[7] = label
    with pytest.raises(ValueError, match=r"label value of .* at sample 7.*\[0, 2\]"):
        model.fit(data[0], y, verbose=0)
    with pytest.raises(ValueError, match="label value"):
        model.evaluate(data[0], y, verbose=0)
    still_usable(model, data)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs(model, data, bad):
    x = data[0].copy()
    x[5, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinite values .*sample 5"):
        model.fit(x, data[1], verbose=0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.predict(x, verbose=0)
    y = np.zeros((20, 3), np.float32)
    y[2, 1] = bad
    regression = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(3)])
    regression.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="Targets y contain NaN"):
        regression.fit(data[0], y, verbose=0)
    still_usable(model, data)


def test_predict_reports_the_first_bad_sample_of_a_later_chunk(model):
    x = np.zeros((9000, 4), np.float32)
    x[7321, 1] = np.nan
    x[8000, 0] = np.inf
    with pytest.raises(ValueError, match="first at sample 7321"):
        model.predict(x, batch_size=32, verbose=0)
    assert model.predict(x[:10], verbose=0).shape == (10, 3)


@pytest.mark.parametrize("build", [
    lambda: layers.Dense(4, activation="relux"),
    lambda: swiftnet.Sequential([swiftnet.Input(shape=(2,)), layers.Activation("nope")]),
])
def test_unknown_activation(build):
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        build()


def test_unknown_loss_and_optimizer(model, data):
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 'crossentropyy'"):
        model.compile(optimizer="adam", loss="crossentropyy")
    with pytest.raises(ValueError, match="optimizer identifier: 'adamw2'"):
        model.compile(optimizer="adamw2", loss="mse")
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        model.compile(optimizer="adam", loss="mse", metrics=["f1"])
    # A failed compile keeps the earlier settings.
    still_usable(model, data)


def test_unknown_loss_before_build():
    model = swiftnet.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        model.compile(optimizer="adam", loss="hinge_loss")


def test_fit_and_evaluate_before_compile(data):
    model = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)`"):
        model.fit(*data, verbose=0)
    with pytest.raises(ValueError, match=r"You must call `compile\(\)`"):
        model.evaluate(*data, verbose=0)
    assert model.predict(data[0], verbose=0).shape == (20, 3)  # predict needs no compile


def test_empty_arrays(model):
    with pytest.raises(ValueError, match="at least one sample"):
        model.fit(np.zeros((0, 4), np.float32), np.zeros(0), verbose=0)
    with pytest.raises(ValueError, match="at least one sample"):
        model.predict(np.zeros((0, 4), np.float32), verbose=0)


def test_wrong_dtypes(model, data):
    with pytest.raises(TypeError, match="hold numbers"):
        model.fit(np.array([["a", "b", "c", "d"]] * 20), data[1], verbose=0)
    with pytest.raises(TypeError, match="hold numbers"):
        model.fit(data[0], np.array(["cat"] * 20), verbose=0)
    with pytest.raises(TypeError, match="hold numbers"):
        model.predict(np.array([{"a": 1}] * 3, dtype=object), verbose=0)
    still_usable(model, data)


def test_bad_layer_and_fit_arguments(model, data):
    with pytest.raises(ValueError, match="positive integer. Received: units=0"):
        layers.Dense(0)
    with pytest.raises(TypeError, match="units"):
        layers.Dense("ten")
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        layers.Dense(3, activaton="relu")
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(*data, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(*data, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="positive integers"):
        swiftnet.Input(shape=(0, 3))
    with pytest.raises(ValueError, match="Total size of the new array must be unchanged"):
        swiftnet.Sequential([swiftnet.Input(shape=(6,)), layers.Reshape((4, 2))])
    still_usable(model, data)


def test_set_weights_validates_count_shape_and_values(model, data):
    weights = model.get_weights()
    with pytest.raises(ValueError, match="expecting 4 weights"):
        model.set_weights(weights[:3])
    with pytest.raises(ValueError, match=r"weight shape \(4, 8\) is not compatible with provided weight shape \(8, 4\)"):
        model.set_weights([weights[0].T] + weights[1:])
    bad = [w.copy() for w in weights]
    bad[1][0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.set_weights(bad)
    for actual, expected in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(actual, expected)  # nothing was half-written
    still_usable(model, data)


def test_custom_python_functions_run_in_the_graph(rng):
    """An activation and a loss of your own, written with swiftnet.ops, train like built-in ones."""
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = x @ rng.normal(size=(4, 3)).astype(np.float32)
    model = swiftnet.Sequential([swiftnet.Input((4,)), layers.Dense(3, activation=lambda t: swiftnet.ops.maximum(t, -1.0))])
    model.compile(optimizer="adam", loss=lambda y_true, y_pred: swiftnet.ops.mean(swiftnet.ops.square(y_true - y_pred), axis=-1))
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    prediction = model.predict(x, verbose=0)
    dense = model.layers[0]
    np.testing.assert_allclose(prediction, np.maximum(x @ dense.kernel.numpy() + dense.bias.numpy(), -1.0), rtol=1e-5, atol=1e-6)


def run_python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_no_input_can_crash_the_interpreter():
    """Attempts that would trap a careless engine run in a subprocess that must exit normally."""
    result = run_python("""
        import ctypes, numpy as np, swiftnet
        from swiftnet import layers, _library
        attempts = [
            lambda: swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(2**62)]),
            lambda: swiftnet.Sequential([swiftnet.Input(shape=(2**40, 2**40)), layers.Flatten()]),
            lambda: _library.NativeModel({"layers": []}),
            lambda: _library.NativeModel({"inputs": [{"shape": [None, 2]}], "layers": [{"class_name": "Dense", "config": {"units": 2}}],
                                          "graph": {"nodes": [{"layer": 0, "inputs": [[5, 0]]}], "outputs": [[0, 0]]}}),
            lambda: _library.check(_library.lib.sn_model_compile(None, b"{}")),
            lambda: _library.check(_library.lib.sn_model_create(b"\\xff\\xfe not json", None)),
            lambda: _library.check(_library.lib.sn_session_run(None, 1, 0.0, None)),
            lambda: _library.infer({"layer": {"class_name": "Reshape", "config": {"target_shape": [-1, -1]}}}, [((None, 4), "float32")]),
        ]
        m = swiftnet.Sequential([swiftnet.Input(shape=(4,)), layers.Dense(2)])
        m.compile(optimizer="sgd", loss="mse")
        attempts += [
            lambda: m.fit(np.ones((3, 4), np.float32), np.ones((3, 2), np.float32), batch_size=2**62, verbose=0),
            lambda: _library.check(_library.lib.sn_model_get_weight(m._engine.handle, 1, 7, None, 3)),
            lambda: _library.check(_library.lib.sn_model_set_weight(m._engine.handle, 1, 0, None, 8)),
        ]
        failures = 0
        for attempt in attempts:
            try:
                attempt()
            except (ValueError, TypeError) as error:
                failures += 1
        print("refused", failures, "of", len(attempts))
    """)
    assert result.returncode == 0, result.stderr
    # The oversized batch is clamped to the data (a valid fit); every other attempt is refused.
    assert "refused 10 of 11" in result.stdout, result.stdout + result.stderr


def test_extreme_layer_configs_never_crash():
    """Every engine layer with hostile arguments and input shapes, in a subprocess that must live."""
    result = run_python("""
        import itertools, json, numpy as np
        from swiftnet import _library
        hostile = [0, -1, 1, 3, 2**31, 2**40, 2**62, 2**53 + 1, 1e308, -1e308, 0.5, "3", None, [], [2**40, 2**40],
                   [-5, 2], [1, 2, 3], [[1, 2], [3, 2**50]], {"class_name": "Zeros"}, True]
        keys = {
            "Dense": ["units"], "Conv2D": ["filters", "kernel_size", "strides", "dilation_rate", "groups"],
            "Conv2DTranspose": ["filters", "kernel_size", "strides", "output_padding"],
            "DepthwiseConv2D": ["kernel_size", "depth_multiplier", "strides"],
            "SeparableConv2D": ["filters", "kernel_size", "depth_multiplier"],
            "MaxPooling2D": ["pool_size", "strides"], "AveragePooling2D": ["pool_size", "strides"],
            "ZeroPadding2D": ["padding"], "UpSampling2D": ["size"], "Reshape": ["target_shape"],
            "RandomCrop": ["height", "width"], "RandomTranslation": ["height_factor", "width_factor"],
            "RandomZoom": ["height_factor"], "RandomRotation": ["factor"], "RandomContrast": ["factor", "value_range"],
            "Dropout": ["rate"], "BatchNormalization": ["momentum", "epsilon", "axis"], "Rescaling": ["scale", "offset"],
            "Normalization": ["mean", "variance"], "Activation": ["activation"], "Flatten": [], "RandomFlip": ["mode"],
            "GlobalAveragePooling2D": ["keepdims"], "InputLayer": ["shape"],
        }
        base = {"Dense": {"units": 2}, "Conv2D": {"filters": 2, "kernel_size": 3}, "Conv2DTranspose": {"filters": 2, "kernel_size": 3},
                "DepthwiseConv2D": {"kernel_size": 3}, "SeparableConv2D": {"filters": 2, "kernel_size": 3},
                "Reshape": {"target_shape": [-1]}, "RandomCrop": {"height": 2, "width": 2},
                "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1}, "RandomZoom": {"height_factor": 0.1},
                "RandomRotation": {"factor": 0.1}, "RandomContrast": {"factor": 0.1}, "Dropout": {"rate": 0.1},
                "Rescaling": {"scale": 1}, "Activation": {"activation": "relu"}, "InputLayer": {"shape": [3]}}
        shapes = [(), (5,), (8, 8, 3), (2**30, 2, 1), (1, 1, 1), (3, 2**20, 2**20)]
        calls = 0
        for cls, names in keys.items():
            for name, value in itertools.product(names or [None], hostile):
                config = dict(base.get(cls, {}))
                if name:
                    config[name] = value
                for shape in shapes:
                    calls += 1
                    try:
                        _library.infer({"layer": {"class_name": cls, "name": "x", "config": config}}, [((None,) + shape, "float32")])
                    except (ValueError, TypeError):
                        pass
        print("survived", calls)
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "survived" in result.stdout
