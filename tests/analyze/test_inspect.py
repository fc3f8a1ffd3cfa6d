"""inspect: hand-counted MACs and parameters, quantization kinds, the JSON, errors, and
board verdicts that agree with emit-firmware's to the byte.

The hand-count models are built here with seeded random weights and random biases (a
converter drops an all-zero bias, which would change the parameter count).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

import edgetf
from edgetf.analyze.inspect import inspect_file, inspect_model
from edgetf.base.errors import FirmwareError
from edgetf.cli.app import app
from edgetf.codegen.emit_firmware import build_project
from edgetf.compiled.memory_plan import plan_memory
from edgetf.targets.boards import BOARDS
from edgetf.targets.latency import kernels_for
from edgetf.targets.planner.plan import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import tflm_available
from tests.conftest import error_line, shared_model_path
from tests.tiny_models import SEED, convert, tiny_models

runner = CliRunner()
#: What the converted hand-count models hold, op by op: (op, output shape, parameters,
#: MACs), each worked out from the layer sizes below.
CNN_OPS = [
    # Conv2D(4, 3x3, strides (2, 1), VALID) on 12x10x3: out 5x8x4.
    # params 4*3*3*3 + 4 = 112; MACs 5*8*4 * 3*3*3 = 4320
    ("CONV_2D", (1, 5, 8, 4), 112, 4320),
    # DepthwiseConv2D(3x3, SAME, depth_multiplier 2): out 5x8x8.
    # params 3*3*4*2 + 8 = 80; MACs 5*8*8 * 3*3 = 2880
    ("DEPTHWISE_CONV_2D", (1, 5, 8, 8), 80, 2880),
    # Conv2D(6, 1x1): out 5x8x6. params 8*6 + 6 = 54; MACs 5*8*6 * 1*1*8 = 1920
    ("CONV_2D", (1, 5, 8, 6), 54, 1920),
    # Conv2DTranspose(2, 2x2, strides 2): out 10x16x2; the output_shape operand is no
    # parameter. params 2*2*2*6 + 2 = 50; MACs 5*8*6 (inputs) * 2*2*2 = 1920
    ("TRANSPOSE_CONV", (1, 10, 16, 2), 50, 1920),
    ("RESHAPE", (1, 320), 0, 0),
    # Dense(7) on 320 features: params 320*7 + 7 = 2247; MACs 320*7 = 2240
    ("FULLY_CONNECTED", (1, 7), 2247, 2240),
]
LSTM_OPS = [
    # LSTM(4) over 6 steps of 5 features, batch 1: 4 gates of [4, 5] input and [4, 4]
    # recurrent weights and 4 biases: params 4*4*5 + 4*4*4 + 4*4 = 160;
    # MACs time*batch*4*units*(input + units) = 6*1*4*4*(5 + 4) = 864
    ("UNIDIRECTIONAL_SEQUENCE_LSTM", (1, 6, 4), 160, 864),
    ("STRIDED_SLICE", (1, 4), 0, 0),  # the last step
    # Dense(3) on 4: params 4*3 + 3 = 15; MACs 12
    ("FULLY_CONNECTED", (1, 3), 15, 12),
]


@pytest.fixture(scope="module")
def models():
    return tiny_models()


@pytest.fixture(scope="module")
def hand():
    """The hand-count models, and a float model with GELU, which TFLM has no kernel for."""
    from edgetf.base.tf_import import import_tf

    tf, keras = import_tf()
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    layers = keras.layers

    def bias(i):
        return {"bias_initializer": keras.initializers.RandomNormal(seed=SEED + i)}

    cnn = keras.Sequential([
        layers.Input((12, 10, 3), batch_size=1),
        layers.Conv2D(4, 3, strides=(2, 1), padding="valid", **bias(0)),
        layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu",
                               **bias(1)),
        layers.Conv2D(6, 1, **bias(2)),
        layers.Conv2DTranspose(2, 2, strides=2, **bias(3)),
        layers.Flatten(), layers.Dense(7, **bias(4))])
    lstm = keras.Sequential([layers.Input((6, 5), batch_size=1),
                             layers.LSTM(4, **bias(5)), layers.Dense(3, **bias(6))])
    gelu = keras.Sequential([layers.Input((6,)), layers.Dense(4, activation="gelu", **bias(7))])

    def calibration(model):
        return rng.normal(size=(16, *model.input_shape[1:])).astype(np.float32)

    return {"cnn": convert(tf, cnn, calibration(cnn)),
            "lstm": convert(tf, lstm, calibration(lstm)),
            "gelu": convert(tf, gelu, calibration(gelu), int8=False)}


def _rows(inspection):
    return [(op.name, op.output_shape, op.parameters, op.macs) for op in inspection.cost.ops]


# --- what it counts ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [("cnn", CNN_OPS), ("lstm", LSTM_OPS)])
def test_macs_and_parameters_match_hand_counts(hand, name, expected):
    inspection = inspect_model(hand[name], name, measure=False)
    assert _rows(inspection) == expected
    data = inspection.to_dict()
    assert data["macs"] == sum(row[3] for row in expected)
    assert data["parameters"] == sum(row[2] for row in expected)
    # int8 weights, int32 biases: one byte per weight, four per bias.
    assert data["weight_bytes"] == sum(op.weight_bytes for op in inspection.cost.ops)
    assert [row["macs"] for row in data["per_op"]] == [row[3] for row in expected]


def test_conv_options_are_decoded(hand):
    operators = inspect_model(hand["cnn"], measure=False).model.main.operators
    conv, depthwise, _, transpose = (op.options for op in operators[:4])
    assert (conv["stride_h"], conv["stride_w"], conv["padding"]) == (2, 1, "VALID")
    assert (depthwise["depth_multiplier"], depthwise["padding"]) == (2, "SAME")
    assert depthwise["fused_activation"] == "RELU"
    assert (transpose["stride_h"], transpose["stride_w"], transpose["padding"]) == (2, 2, "VALID")


@pytest.mark.parametrize(("name", "kind"), [
    ("cnn", "int8"), ("per_tensor", "int8"), ("float", "float"), ("hybrid", "hybrid"),
    ("int16x8", "int16x8")])
def test_quantization_kind_of_each_conversion(models, name, kind):
    inspection = inspect_model(models[name], name, measure=False)
    data = inspection.to_dict()
    assert data["quantization"] == kind
    assert data["tflm"]["runs"] is (kind != "hybrid")
    # The same layers whatever the quantization: the counts do not change.
    assert data["macs"] == inspect_model(models["cnn"], measure=False).cost.macs


def test_int16x8_fc_is_refused_on_cmsis_nn_as_by_emit_firmware(models):
    verdict = inspect_model(models["int16x8"], measure=False).boards["nano33ble"]
    assert not verdict.fits and verdict.latency.latency_ms is None
    assert any("CMSIS-NN" in problem for problem in verdict.problems)
    with pytest.raises(FirmwareError, match="CMSIS-NN"):
        build_project(models["int16x8"], "nano33ble", name="int16x8")


def test_hybrid_model_is_described_not_refused(models):
    data = inspect_model(models["hybrid"], "hybrid.tflite").to_dict()
    assert data["tflm"]["hybrid_ops"] == ["FULLY_CONNECTED"]
    assert data["arena_method"] == "estimated" and "TFLM cannot run" in data["arena_note"]
    assert data["macs"] > 0 and data["per_op"]
    for verdict in data["boards"].values():
        assert verdict["fits"] is False and verdict["latency_ms"] is None
        assert any("dynamic-range" in problem for problem in verdict["problems"])
    with pytest.raises(FirmwareError, match="hybrid"):
        build_project(models["hybrid"], "esp32", name="hybrid")


def test_op_tflm_lacks_is_described_with_support_false(hand):
    data = inspect_model(hand["gelu"], "gelu.tflite").to_dict()
    assert data["quantization"] == "float"
    assert data["ops"] == ["FULLY_CONNECTED", "GELU"]
    support = {row["name"]: row["tflm"] for row in data["per_op"]}
    assert support == {"FULLY_CONNECTED": True, "GELU": False}
    assert data["tflm"] == {"runs": False, "problems": ["TFLM has no kernel for GELU"],
                            "unsupported_ops": ["GELU"], "hybrid_ops": []}
    assert data["macs"] == 6 * 4 and data["parameters"] == 6 * 4 + 4
    assert not any(verdict["fits"] for verdict in data["boards"].values())


def test_latency_is_macs_over_the_boards_throughput(models):
    inspection = inspect_model(models["cnn"], measure=False)
    for board_id, verdict in inspection.boards.items():
        board = BOARDS[board_id]  # esp32s3-psram carries the S3's figures
        figure = board.throughput[board.kernels]
        per_second = figure.macs_per_cycle * board.cpu_hz
        assert verdict.latency.latency_ms == pytest.approx(
            inspection.cost.macs / per_second * 1000)
        assert verdict.latency.to_dict()["estimate"] is True
    ms = {b: v.latency.latency_ms for b, v in inspection.boards.items()}
    assert ms["esp32s3"] < ms["esp32"] < ms["nano33ble"]
    # Float runs on the reference kernels; int16x8 on CMSIS-NN's own 16x8 kernels but
    # on the reference kernels of ESP boards (ESP-NN has none).
    assert {kernels_for(b, "float") for b in BOARDS.values()} == {"reference"}
    assert kernels_for(BOARDS["nano33ble"], "int16x8") == "CMSIS-NN"
    assert kernels_for(BOARDS["esp32"], "int16x8") == "reference"
    assert kernels_for(BOARDS["esp32"], "hybrid") is None


# --- board verdicts --------------------------------------------------------------------


@pytest.mark.parametrize("board", list(BOARDS))
def test_verdicts_equal_what_emit_firmware_computes(models, board):
    data = inspect_model(models["cnn"], "cnn.tflite").to_dict()
    spec = build_project(models["cnn"], board, name="cnn").spec
    verdict = data["boards"][board]
    assert data["arena_bytes"] == spec.arena.host_bytes
    assert data["arena_method"] == spec.arena.host_method
    assert verdict["arena_bytes"] == spec.arena.bytes
    assert verdict["footprint"] == spec.footprint.to_dict()
    assert (verdict["ram_ok"], verdict["flash_ok"]) == (True, True) and verdict["fits"]
    assert data["arena_method"] == ("measured" if tflm_available() else "estimated")


def test_lstm_verdict_equals_emit_firmware_on_the_nano(hand):
    data = inspect_model(hand["lstm"], "lstm.tflite", boards=["nano33ble"]).to_dict()
    spec = build_project(hand["lstm"], "nano33ble", name="lstm").spec
    assert list(data["boards"]) == ["nano33ble"]
    assert data["boards"]["nano33ble"]["footprint"] == spec.footprint.to_dict()


def test_what_emit_firmware_refuses_for_a_board_is_a_problem_there(models):
    """Per-channel Dense weights: wrong on the Nano's 2023 TFLM, fine on the ESP32s."""
    data = inspect_model(models["per_channel_fc"], "pc.tflite").to_dict()
    nano = data["boards"]["nano33ble"]
    assert not nano["fits"] and any("per-channel weights" in p for p in nano["problems"])
    assert data["boards"]["esp32"]["fits"] and not data["boards"]["esp32"]["problems"]


@pytest.mark.parametrize("budget", ["ram", "flash"])
def test_verdict_flips_exactly_at_the_budget(models, budget):
    nano = BOARDS["nano33ble"]
    used = inspect_model(models["cnn"], boards=[nano], measure=False).boards["nano33ble"]
    needed = getattr(used.footprint, f"{budget}_bytes")
    for limit, ok in ((needed + 1, True), (needed, True), (needed - 1, False)):
        board = replace(nano, **{f"{budget}_bytes": limit})
        verdict = inspect_model(models["cnn"], boards=[board], measure=False).boards[nano.id]
        assert getattr(verdict, f"{budget}_ok") is ok
        assert getattr(verdict.footprint, f"{budget}_headroom") == limit - needed
        assert verdict.fits is ok
        other = "flash" if budget == "ram" else "ram"
        assert getattr(verdict, f"{other}_ok") is True


# --- both runtimes --------------------------------------------------------------------


def test_each_boards_compiled_arena_is_the_static_plan_with_its_kernels_scratch(models):
    inspection = inspect_model(models["cnn"], "cnn.tflite", measure=False)
    model = read_tflite(models["cnn"])
    plans = {}
    for board_id, verdict in inspection.boards.items():
        board = BOARDS[board_id]
        result = plan_arena(model, TABLES[board.arena_table])  # that board's kernel table
        plan = plan_memory(model, {u.index: u.scratch for u in result.ops if u.scratch})
        figures = inspection.to_dict()["boards"][board_id]["compiled"]
        assert figures["refusal"] is None and figures["available"]
        assert figures["arena_bytes"] == max(plan.size, 16) and plan.size % 16 == 0
        assert figures["lower_bound_bytes"] == plan.lower_bound <= plan.size
        assert figures["tflm_arena_bytes"] == verdict.arena.bytes > plan.size
        assert figures["table"] == board.arena_table
        plans[board_id] = plan.size
    # The S3's SIMD convolution asks for scratch the ESP32's plain kernels do not.
    assert plans["esp32s3"] > plans["esp32"]


def test_an_op_the_compiled_runtime_lacks_is_named_per_board(tmp_path):
    path = tmp_path / "pad0.tflite"
    path.write_bytes(shared_model_path("pad0.tflite").read_bytes())
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    for verdict in json.loads(result.stdout)["boards"].values():
        figures = verdict["compiled"]
        assert figures["available"] is False and figures["arena_bytes"] is None
        assert "op 0 is PAD" in figures["refusal"]
        assert figures["tflm_arena_bytes"] == verdict["arena_bytes"]
    result = runner.invoke(app, ["inspect", str(path), "--board", "nano33ble"],
                           env={"COLUMNS": "200"})
    assert "Arena by runtime" in result.stdout
    assert "compiled runtime on nano33ble: " in result.stdout and "PAD" in result.stdout


# --- the command -----------------------------------------------------------------------


def test_json_is_one_object_with_the_documented_keys(models, tmp_path):
    path = tmp_path / "cnn.tflite"
    path.write_bytes(models["cnn"])
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("}\n") and result.stdout.count("\n") == 1
    data = json.loads(result.stdout)
    for key in ("quantization", "inputs", "outputs", "ops", "parameters", "macs",
                "arena_bytes", "flash_bytes", "boards", "per_op", "weight_bytes",
                "arena_method", "flash_basis"):
        assert key in data, key
    assert data["quantization"] == "int8"
    assert data["ops"] == ["CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"]
    assert data["inputs"][0]["shape"] == [1, 12, 12, 1] and data["inputs"][0]["dtype"] == "int8"
    assert isinstance(data["inputs"][0]["scale"], float)
    assert isinstance(data["inputs"][0]["zero_point"], int)
    assert set(data["boards"]) == set(BOARDS)
    for verdict in data["boards"].values():
        assert {"ram_ok", "flash_ok", "latency_ms"} <= set(verdict)
        assert verdict["latency_ms"] > 0
    assert data["flash_bytes"] == data["model_bytes"] + data["code_bytes"]


def test_tables_and_one_board(models, tmp_path):
    path = tmp_path / "cnn.tflite"
    path.write_bytes(models["cnn"])
    result = runner.invoke(app, ["inspect", str(path), "--board", "nano33ble"],
                           env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for text in ("int8", "CONV_2D", "FULLY_CONNECTED", "Boards", "nano33ble", "estimate",
                 "MLPerf Tiny"):
        assert text in result.stdout, text
    assert "esp32s3" not in result.stdout
    data = json.loads(runner.invoke(app, ["inspect", str(path), "--board", "esp32",
                                          "--json"]).stdout)
    assert list(data["boards"]) == ["esp32"]


@pytest.mark.parametrize(("content", "fragment"), [
    (lambda m: m[: len(m) // 2], "truncated"),
    (lambda m: b"", "empty file"),
    (lambda m: b"this is a text file, not a model\n" * 4, "not a TFLite flatbuffer"),
    # A TFLite header over garbage: the offsets point outside the file.
    (lambda m: m[:4] + b"TFL3" + bytes(range(256)) * 4, "incomplete or damaged"),
    (lambda m: b"PK\x03\x04" + m, "zip archive"),  # a Keras .keras file, say
])
def test_unreadable_models_are_one_line_errors(models, tmp_path, content, fragment):
    path = tmp_path / "bad.tflite"
    path.write_bytes(content(models["cnn"]))
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 2, result.output
    line = error_line(result)
    assert "bad.tflite" in line and fragment in line, line
    assert result.stdout == ""


def test_missing_file_folder_and_unknown_board(tmp_path, models):
    result = runner.invoke(app, ["inspect", str(tmp_path / "nope.tflite")])
    assert result.exit_code == 2 and "no such file; check the MODEL path" in error_line(result)
    result = runner.invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in error_line(result)
    path = tmp_path / "cnn.tflite"
    path.write_bytes(models["cnn"])
    result = runner.invoke(app, ["inspect", str(path), "--board", "uno"])
    assert result.exit_code == 2 and "unknown board 'uno'" in error_line(result)


def test_inspect_imports_no_tensorflow(models, tmp_path):
    """Like emit-firmware, inspect is for iterating: it must never load TensorFlow."""
    path = tmp_path / "cnn.tflite"
    path.write_bytes(models["cnn"])
    code = ("import sys; from edgetf.analyze.inspect import inspect_file; "
            f"inspect_file({str(path)!r}, measure=False); "
            "bad = {'tensorflow', 'tf_keras', 'ai_edge_litert'} & set(sys.modules); "
            "sys.exit(', '.join(sorted(bad)) or None)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(edgetf.__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert inspect_file(path, measure=False).to_dict()["source"] == str(path)


def test_inspect_states_the_psram_latency_cost():
    from edgetf.targets.latency import PSRAM_NOTE, estimate_latency

    board = BOARDS["esp32s3-psram"]
    assert PSRAM_NOTE in estimate_latency(1_000_000, board, "int8", arena_in_psram=True).basis
    assert PSRAM_NOTE not in estimate_latency(1_000_000, board, "int8").basis
