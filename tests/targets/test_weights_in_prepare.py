"""Which inputs must stay constant per board TFLM, and what TFLM_DECODE costs in each table.

The reference-64 facts are pinned by the TFLM Python interpreter in
tests/targets/test_arena_planner.py (compressed models, LSTM weights included, plan and
run exactly); here: the table's shape, a few entries, and its agreement with the list
tflite-micro's own compressor refuses.
"""

from __future__ import annotations

import importlib

import pytest

from edgetf.targets.planner import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.targets.planner.weights_in_prepare import must_stay_constant
from edgetf.tflite.reader import read_tflite
from edgetf.tflm import interpreter as tflm
from tests.lut_models import snapped_and_compressed
from tests.tiny_models import tiny_models

needs_tflm = pytest.mark.skipif(not tflm.tflm_available(), reason="tflite-micro not installed")
CHIRALE = "chirale-2.0.0-cmsis-nn"


def test_every_arena_table_carries_its_constant_inputs():
    for name, table in TABLES.items():
        assert table.constant_inputs, name
    assert TABLES[CHIRALE].constant_inputs is not TABLES["reference-64"].constant_inputs


@pytest.mark.parametrize("table", sorted(TABLES))
def test_weights_of_conv_depthwise_and_fully_connected_may_be_decoded(table):
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "SVDF"):
        for index in (1, 2):
            assert must_stay_constant(table, op, index) is None, (op, index)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_parameters_read_in_prepare_must_stay_constant(table):
    for op, index in (("PAD", 1), ("STRIDED_SLICE", 2), ("TRANSPOSE", 1), ("SPLIT", 0)):
        assert must_stay_constant(table, op, index), (op, index)
    assert must_stay_constant(table, "CUSTOM:TFLM_DECODE", 0)
    assert must_stay_constant(table, "PAD", 0) is None


def test_the_2023_int8_lstm_folds_weights_and_biases_in_prepare():
    reason = must_stay_constant(CHIRALE, "UNIDIRECTIONAL_SEQUENCE_LSTM", 2)
    assert "PrecomputeZeroPointTimesWeightWithBias" in reason
    assert "unidirectional_sequence_lstm.cpp" in reason
    assert must_stay_constant(CHIRALE, "UNIDIRECTIONAL_SEQUENCE_LSTM", 13)
    assert must_stay_constant(CHIRALE, "UNIDIRECTIONAL_SEQUENCE_LSTM", 0) is None  # input
    # Today's LSTM reads only the weights' scales.
    assert must_stay_constant("reference-64", "UNIDIRECTIONAL_SEQUENCE_LSTM", 2) is None


def test_unchecked_readers_of_the_2023_tflm_are_told_apart():
    assert "no constant check" in must_stay_constant(CHIRALE, "STRIDED_SLICE", 1)
    assert "IsConstantTensor" in must_stay_constant("reference-64", "STRIDED_SLICE", 1)
    # The 2023 FILL checks its dims only when they have data.
    assert must_stay_constant(CHIRALE, "FILL", 0) is None
    assert must_stay_constant("reference-64", "FILL", 0)


def test_an_unknown_table_is_an_error():
    with pytest.raises(KeyError):
        must_stay_constant("some-other-tflm", "CONV_2D", 1)


@needs_tflm
def test_current_tflm_list_is_the_one_tflite_micros_compressor_refuses():
    inputs = importlib.import_module(
        "tflite_micro.tensorflow.lite.micro.compression.constant_inputs")
    schema = importlib.import_module("tflite_micro.tensorflow.lite.micro.python."
                                     "schema_py_generated")
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    theirs = {(names[op], index) for op, index in inputs._REQUIRED_INPUTS}
    assert theirs == set(TABLES["reference-64"].constant_inputs)


@needs_tflm
@pytest.mark.parametrize(("table", "per_op"), [
    # decode.cc: a DecodeState* per output (one 16-aligned buffer), and a DecodeStateLut
    # (72 B on the 64-bit host, 36 B on the ESP32) per output, each 16-aligned.
    ("reference-64", lambda n: 16 + n * 80),
    ("esp-tflite-micro-1.4.0-esp-nn-esp32", lambda n: 16 + n * 48),
    # edgetf's operator: an 8-byte plan per output, in one 16-aligned buffer.
    (CHIRALE, lambda n: 16 * -(-8 * n // 16)),
])
def test_decode_persistent_memory_per_table(table, per_op):
    compressed = read_tflite(snapped_and_compressed(tiny_models()["cnn"])[1])
    result = plan_arena(compressed, TABLES[table])
    assert result.complete, result.unknown_ops
    decodes = [op for op in result.ops if op.name == "CUSTOM:TFLM_DECODE"]
    outputs = [len(compressed.main.operators[op.index].outputs) for op in decodes]
    # The CNN's conv (filter and bias) and dense layer (weights).
    assert outputs == [2, 1]
    assert [op.persistent for op in decodes] == [per_op(n) for n in outputs]
