"""--weight-bits and --binary-weights, checked in the real converted int8 weights.

Each run is on digits with few epochs; the promises are about the values the
.tflite holds per quantization channel (one table per channel for TFLM's LUT weights,
one for the tensor when it is quantized per tensor), read from the flatbuffer itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.tflite.reader import read_tflite
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.conftest import SEED

QUICK = {"data": "digits", "epochs": 2, "fine_tune_epochs": 1, "seed": SEED}


def _channels(int8_model: bytes) -> dict[str, list[np.ndarray]]:
    """Each weight tensor's values per quantization channel (one row when per tensor), by
    the Keras layer named in the converter's tensor name."""
    model = read_tflite(int8_model)
    found = {}
    for op in model.main.operators:
        if op.name not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        tensor = model.main.tensors[op.inputs[1]]
        values = tensor.array()
        quantization = tensor.quantization
        if len(quantization.scales) > 1:
            axis = quantization.quantized_dimension
            rows = list(np.moveaxis(values, axis, 0).reshape(values.shape[axis], -1))
        else:
            rows = [values.ravel()]
        layer = next(name for name in ("conv1", "conv2", "dense1", "scores")
                     if name in tensor.name.replace(";", "/").split("/")
                     or f"quant_{name}" in tensor.name.replace(";", "/").split("/"))
        found[layer] = rows
    return found


def _run(**options):
    return train_quantize(TrainQuantizeOptions(**{**QUICK, **options}))


@pytest.fixture(scope="module")
def two_bit_run():
    return _run(weight_bits=2)


@pytest.fixture(scope="module")
def binary_run():
    return _run(binary_weights="inner")


def test_weight_bits_2_leaves_at_most_4_values_per_channel(two_bit_run):
    cluster, qat = two_bit_run.report["steps"]
    assert cluster["settings"] == {"clusters": 4, "per_channel": True,
                                   "preserve_sparsity": False, "epochs": 1, "weight_bits": 2}
    assert qat["settings"]["scheme"] == "CQAT"
    assert set(cluster["layers"]) == {"conv1", "conv2", "dense1", "scores"}
    channels = _channels(two_bit_run.int8_model)
    for layer in cluster["layers"]:
        assert max(len(np.unique(row)) for row in channels[layer]) <= 4, layer
    rows = {row["layer"]: row for row in two_bit_run.report["layers"]}
    assert all(rows[layer]["weight_bits"] <= 2 for layer in cluster["layers"])
    sizes = two_bit_run.report["sizes"]
    assert sizes["lut_tflite_estimate"] < sizes["int8_tflite"]
    assert sizes["lut_weights_estimate"] < sizes["int8_weights"] / 3  # 2 of 8 bits + tables
    if sizes["device_tflite"] is not None:  # the real device model, DECODE ops and all
        assert sizes["device_tflite"] <= 0.40 * sizes["int8_tflite"]
    assert not two_bit_run.report["warnings"]


def test_weight_bits_after_pruning_keeps_zero_among_the_values():
    result = _run(weight_bits=2, prune=0.5)
    steps = {step["step"]: step for step in result.report["steps"]}
    assert steps["qat"]["settings"]["scheme"] == "PCQAT"
    channels = _channels(result.int8_model)
    for layer in steps["cluster"]["layers"]:
        values = np.concatenate(channels[layer])
        assert np.mean(values == 0) >= 0.45, layer
        assert max(len(np.unique(row)) for row in channels[layer]) <= 4, layer


def _assert_binary(rows: list[np.ndarray], layer: str) -> None:
    """Every channel holds +q and -q for one q > 0 (a single-sign channel only one)."""
    for row in rows:
        magnitudes = np.unique(np.abs(row))
        assert magnitudes.size == 1 and magnitudes[0] > 0, (layer, np.unique(row))


def test_binary_weights_inner_layers_hold_two_values_per_channel(binary_run):
    step = binary_run.report["steps"][0]
    assert step["step"] == "binary" and step["layers"] == ["conv2", "dense1"]
    assert {row["layer"] for row in step["skipped"]} == {"conv1", "scores"}
    channels = _channels(binary_run.int8_model)
    for layer in ("conv2", "dense1"):
        _assert_binary(channels[layer], layer)
        assert all(len(np.unique(row)) == 2 for row in channels[layer]), layer
    # dense1 is quantized per tensor under QAT: one alpha, two values in the whole tensor
    assert len(channels["dense1"]) == 1 and len(channels["conv2"]) == 32
    rows = {row["layer"]: row for row in binary_run.report["layers"]}
    assert rows["conv2"]["weight_bits"] == rows["dense1"]["weight_bits"] == 1
    for layer in ("conv1", "scores"):  # the first and last weighted layers stay 8-bit
        assert max(len(np.unique(row)) for row in channels[layer]) > 2, layer
        assert rows[layer]["weight_bits"] > 1
    assert binary_run.report["steps"][1]["settings"]["binary_weights_kept"] == [
        "conv2", "dense1"]
    assert binary_run.report["accuracy"]["int8_tflm"] >= 0.8


@pytest.mark.parametrize(("qat", "boards", "dense"), [
    (True, None, "per tensor"),
    (False, ("esp32",), "per output channel"),
    # the Nano needs per-tensor Dense weights: binarized so, and converted so
    (False, None, "per tensor"),
])
def test_binary_weights_all_binarizes_every_layer(qat, boards, dense):
    result = _run(binary_weights="all", qat=qat, boards=boards)
    step = result.report["steps"][0]
    assert step["layers"] == ["conv1", "conv2", "dense1", "scores"] and not step["skipped"]
    for layer, rows in _channels(result.int8_model).items():
        _assert_binary(rows, layer)
    # without QAT (and the Nano) the converter quantizes Dense per channel, and so alpha
    dense_alpha = {row["layer"]: row["alpha"] for row in step["per_layer"]}["dense1"]
    assert dense_alpha == dense
    assert not result.report["warnings"]


def test_the_summary_shows_bits_and_the_lut_size(binary_run):
    from rich.console import Console

    from edgetf.train.report import render_summary

    console = Console(record=True, width=160)
    render_summary(binary_run.report, console)
    text = console.export_text()
    assert "as LUT weights (estimate)" in text and "bits" in text
    sizes = binary_run.report["sizes"]
    if sizes["device_tflite"] is None:  # tflite-micro's compressor is not installed
        assert f"≈ {sizes['lut_tflite_estimate']:,} B" in text
    else:
        assert f"{sizes['device_tflite']:,} B ({sizes['device_lut_tensors']} LUT tensors" in text


def test_binarized_is_plus_minus_the_mean_magnitude_per_channel():
    from edgetf.compress.binary import binarized

    kernel = np.array([[0.5, -2.0], [-0.1, 0.0], [0.3, 1.0]], np.float32)  # (in 3, out 2)
    result = binarized(kernel, (0,))
    np.testing.assert_allclose(result[:, 0], [0.3, -0.3, 0.3], rtol=1e-6)
    np.testing.assert_allclose(result[:, 1], [-1.0, 1.0, 1.0], rtol=1e-6)  # 0 counts as +
    np.testing.assert_allclose(binarized(kernel, (0, 1)), np.where(kernel >= 0, 0.65, -0.65),
                               rtol=1e-6)


def test_the_straight_through_estimator_reaches_the_latent_weights():
    """Forward: x·(alpha·sign W). Backward, for one channel of n weights:
    dL/dw_i = alpha·g_i·[|w_i| <= 1] + sign(w_i)/n · sum_j g_j·sign(w_j), g = dL/dW_binary."""
    from edgetf.base.tf_import import import_tf
    from edgetf.compress.binary import _wrapper_class, binarized

    tf, keras = import_tf()
    dense = keras.layers.Dense(2, use_bias=False)
    dense.build((None, 3))
    latent = np.array([[0.5, -2.0], [-0.1, 0.2], [1.5, 1.0]], np.float32)
    dense.set_weights([latent])
    wrapped = _wrapper_class()(dense, attribute="kernel", axes=(0,))
    x = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]], np.float32)
    upstream = np.array([[1.0, -1.0], [2.0, 0.5]], np.float32)
    with tf.GradientTape() as tape:
        outputs = wrapped(x)
        loss = tf.reduce_sum(outputs * upstream)
    np.testing.assert_allclose(outputs.numpy(), x @ binarized(latent, (0,)), rtol=1e-5)
    (gradient,) = tape.gradient(loss, [dense.kernel])
    g = x.T @ upstream
    signs = np.where(latent >= 0, 1.0, -1.0)
    alpha = np.mean(np.abs(latent), axis=0, keepdims=True)
    expected = (alpha * g * (np.abs(latent) <= 1)
                + signs / 3 * np.sum(g * signs, axis=0, keepdims=True))
    np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-5)
    assert dense.kernel.numpy().tolist() == latent.tolist()  # the latent weights are kept
