"""train_quantize on digits: accuracy, and what each step leaves in the int8 weights.

Runs are shared per module (training is the slow part) and use few epochs.
The thresholds are the product's promises, measured on the converted .tflite.
"""

from __future__ import annotations

import json

import pytest

from edgetf.tflite.reader import read_tflite
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize

FAST = {"epochs": 12, "fine_tune_epochs": 3, "seed": 42}


def _run(tmp_path_factory, name, **options):
    out = tmp_path_factory.mktemp(name) / "run"
    return train_quantize(TrainQuantizeOptions(data="digits", out=str(out), **FAST, **options))


@pytest.fixture(scope="module")
def qat_run(tmp_path_factory):
    return _run(tmp_path_factory, "qat")


@pytest.fixture(scope="module")
def pruned_run(tmp_path_factory):
    return _run(tmp_path_factory, "prune", prune=0.5, qat=False)


@pytest.fixture(scope="module")
def clustered_run(tmp_path_factory):
    return _run(tmp_path_factory, "cluster", cluster=16, qat=False)


@pytest.fixture(scope="module")
def combined_run(tmp_path_factory):
    return _run(tmp_path_factory, "combined", prune=0.5, cluster=16, qat=True)


def test_qat_int8_accuracy_is_high_and_close_to_float(qat_run):
    accuracy = qat_run.report["accuracy"]
    assert accuracy["int8_litert"] >= 0.90
    assert accuracy["float_keras"] - accuracy["int8_litert"] <= 0.02


def test_litert_and_tflm_agree(qat_run):
    accuracy = qat_run.report["accuracy"]
    assert accuracy["tflm_litert_top1_agreement"] >= 0.99
    assert abs(accuracy["int8_tflm"] - accuracy["int8_litert"]) <= 0.01


def test_output_folder_holds_the_run_files_and_a_full_int8_model(qat_run):
    files = sorted(path.name for path in qat_run.out.iterdir())
    assert files == ["labels.txt", "model.keras", "model.tflite", "model_float.tflite",
                     "report.json", "samples.npz"]
    model = read_tflite((qat_run.out / "model.tflite").read_bytes())
    assert [t.dtype for t in model.input_tensors()] == ["int8"]
    assert [t.dtype for t in model.output_tensors()] == ["int8"]
    float_model = read_tflite((qat_run.out / "model_float.tflite").read_bytes())
    assert float_model.input_tensors()[0].dtype == "float32"
    assert (qat_run.out / "labels.txt").read_text().split() == [str(d) for d in range(10)]


def test_report_json_holds_the_summary(qat_run):
    report = json.loads((qat_run.out / "report.json").read_text())
    assert report == json.loads(json.dumps(qat_run.report))
    assert {"CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "SOFTMAX"} <= set(report["ops"])
    assert report["arena"]["bytes"] > 0 and report["arena"]["method"] == "measured"
    sizes = report["sizes"]
    assert sizes["int8_tflite"] < sizes["float_tflite"] / 2
    assert all(key in report["accuracy"] for key in
               ("float_keras", "int8_litert", "int8_tflm", "tflm_litert_top1_agreement"))
    assert [step["step"] for step in report["steps"]] == ["qat"]


def test_prune_half_leaves_at_least_45_percent_zeros(pruned_run):
    step = pruned_run.report["steps"][0]
    assert step["step"] == "prune" and step["layers"]
    rows = {row["layer"]: row for row in pruned_run.report["layers"]}
    for layer in step["layers"]:
        assert rows[layer]["sparsity"] >= 0.45, rows[layer]


def test_cluster_16_leaves_at_most_16_values_per_channel(clustered_run):
    step = clustered_run.report["steps"][0]
    rows = {row["layer"]: row for row in clustered_run.report["layers"]}
    assert step["layers"]
    for layer in step["layers"]:
        assert rows[layer]["max_distinct_per_channel"] <= 16, rows[layer]


def test_prune_cluster_qat_keeps_both(combined_run):
    steps = {step["step"]: step for step in combined_run.report["steps"]}
    assert steps["qat"]["settings"]["scheme"] == "PCQAT"
    rows = {row["layer"]: row for row in combined_run.report["layers"]}
    for layer in set(steps["prune"]["layers"]) & set(steps["cluster"]["layers"]):
        assert rows[layer]["sparsity"] >= 0.45, rows[layer]
        assert rows[layer]["max_distinct_per_channel"] <= 16, rows[layer]
    assert combined_run.report["accuracy"]["int8_litert"] >= 0.90


def test_same_seed_same_accuracies(tmp_path_factory, pruned_run):
    again = _run(tmp_path_factory, "prune-again", prune=0.5, qat=False)
    assert again.report["accuracy"] == pruned_run.report["accuracy"]
    assert again.int8_model == pruned_run.int8_model


def test_emit_firmware_from_the_run_embeds_its_samples_and_labels(qat_run, tmp_path):
    import numpy as np

    from edgetf.codegen.emit_firmware import EmitOptions, emit_firmware
    from edgetf.tflite.quantization import quantize

    result = emit_firmware(EmitOptions(board="esp32", out=tmp_path / "fw", from_run=qat_run.out))
    spec = result.spec
    assert spec.labels == tuple(str(d) for d in range(10))
    tensor = spec.model.input_tensors()[0]
    with np.load(qat_run.out / "samples.npz") as samples:
        x = samples["x"][: spec.golden.count]
    np.testing.assert_array_equal(spec.golden.inputs[0],
                                  quantize(x.reshape(spec.golden.inputs[0].shape), tensor))
    assert spec.golden.outputs[0].shape == (spec.golden.count, 1, 10)
    assert (tmp_path / "fw" / "lib/run_inferencing/src/edgetf/golden_vectors.h").is_file()


def test_each_boards_figures_are_emit_firmwares(combined_run):
    """One set of figures: the summary's per-board arena and flash are the numbers
    emit-firmware declares for the same model on the same board (issue 19)."""
    from edgetf.codegen.emit_firmware import build_project

    device = combined_run.report["device"]
    assert set(device) == {"esp32", "esp32s3", "esp32s3-psram", "nano33ble"}
    for board in ("nano33ble", "esp32"):
        spec = build_project(combined_run.int8_model, board, name="digits").spec
        figures = device[board]
        assert figures["arena_bytes"] == spec.arena.bytes
        assert figures["flash_bytes"] == spec.footprint.flash_bytes
        assert figures["ram_bytes"] == spec.footprint.ram_bytes
        assert figures["stored_model_bytes"] == len(spec.model_bytes)
        assert figures["fits"] is True
    # The host figure stays, labelled for what it is; it is not a board's.
    assert combined_run.report["arena"]["bytes"] > 0
