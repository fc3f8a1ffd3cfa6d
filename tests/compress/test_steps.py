"""Step details on small generated data: skipped layers, M:N structure, per-channel clusters."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.tflite.reader import read_tflite
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.conftest import SEED, write_npz

QUICK = {"epochs": 2, "fine_tune_epochs": 2, "seed": SEED}


@pytest.fixture(scope="module")
def spectrograms(tmp_path_factory):
    """(frames, coefficients) samples whose class is the row holding the energy."""
    rng = np.random.default_rng(SEED)
    y = rng.integers(0, 3, size=300)
    x = rng.normal(0, 0.3, size=(300, 12, 10)).astype(np.float32)
    x[np.arange(300), y * 4] += 2.0
    folder = tmp_path_factory.mktemp("spectrograms")
    return str(write_npz(folder / "spec.npz", x_train=x[:240], y_train=y[:240], x_test=x[240:],
                         y_test=y[240:]))


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    folder = tmp_path_factory.mktemp("vectors")
    return str(write_npz(folder / "vec.npz", x_train=x[:240], y_train=y[:240], x_test=x[240:],
                         y_test=y[240:]))


def test_ds_cnn_depthwise_layers_are_reported_not_silently_skipped(spectrograms):
    result = train_quantize(TrainQuantizeOptions(
        data=spectrograms, model="ds-cnn", prune=0.5, cluster=8, qat=False, **QUICK))
    prune_step, cluster_step = result.report["steps"]
    for step in (prune_step, cluster_step):
        skipped = {row["layer"]: row for row in step["skipped"]}
        assert {"dw1", "dw2"} <= set(skipped)
        assert skipped["dw1"]["type"] == "DepthwiseConv2D"
        assert "does not" in skipped["dw1"]["reason"]
    assert "DEPTHWISE_CONV_2D" in result.report["ops"]


def test_two_to_four_structure_holds_in_int8_weights(vectors):
    result = train_quantize(TrainQuantizeOptions(
        data=vectors, model="mlp", prune=0.5, prune_structure="2:4", qat=True, **QUICK))
    model = read_tflite(result.int8_model)
    checked = 0
    for op in model.main.operators:
        if op.name != "FULLY_CONNECTED":
            continue
        weights = model.main.tensors[op.inputs[1]].array()  # (out, in)
        usable = weights.shape[1] - weights.shape[1] % 4
        groups = weights[:, :usable].reshape(weights.shape[0], -1, 4)
        assert np.all(np.sum(groups == 0, axis=-1) >= 2)
        checked += 1
    assert checked == 3


def test_per_channel_clustering_of_conv2d(spectrograms):
    result = train_quantize(TrainQuantizeOptions(
        data=spectrograms, model="tiny-cnn", cluster=4, cluster_per_channel=True, qat=False,
        **QUICK))
    rows = {row["layer"]: row for row in result.report["layers"]}
    assert rows["conv2"]["max_distinct_per_channel"] <= 4
    skipped = {row["layer"]: row["reason"] for row in result.report["steps"][0]["skipped"]}
    assert "per channel only for Conv2D" in skipped["dense1"]
