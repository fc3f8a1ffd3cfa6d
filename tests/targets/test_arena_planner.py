"""The pure-Python arena planner: its greedy planner on hand-made buffers, and its
``reference-64`` table against the TFLM Python interpreter, byte for byte.

Every model's measurement (``edgetf.tflm.interpreter.measure_arena``: a bisection of probes in a
child process) is taken once per session. The models: tests/tiny_models.py, the public
models in ``../shared/models`` (skipped where that folder is absent), and two small
int8 models, a float and an int16x8 one built here to reach the ops the others do not.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from edgetf.targets.planner import REFERENCE_64, plan_arena
from edgetf.targets.planner.greedy import Buffer, plan
from edgetf.targets.planner.kernels_reference import PYTHON_INTERPRETER_EXTRA
from edgetf.targets.planner.lifetimes import planned_buffers
from edgetf.tflite.reader import read_tflite
from edgetf.tflm import interpreter as tflm
from tests.conftest import shared_model_path
from tests.lut_models import snapped_and_compressed
from tests.tiny_models import SEED, convert, tiny_models

needs_tflm = pytest.mark.skipif(not tflm.tflm_available(), reason="tflite-micro not installed")


@functools.cache
def _measured(model: bytes) -> int:
    return tflm.measure_arena(model).bytes


# --- the greedy planner ------------------------------------------------------------


def test_no_buffers_plan_nothing():
    assert plan([]) == plan([])
    assert plan([]).size == 0


def test_buffers_live_together_are_stacked_largest_first():
    result = plan([Buffer(16, 0, 2), Buffer(48, 1, 3), Buffer(32, 2, 2)])
    assert result.offsets == (80, 0, 48)
    assert result.size == 96


def test_lifetimes_are_inclusive_at_both_ends():
    touching = plan([Buffer(32, 0, 1), Buffer(32, 1, 2)])
    apart = plan([Buffer(32, 0, 1), Buffer(32, 2, 3)])
    assert touching.size == 64
    assert apart.offsets == (0, 0) and apart.size == 32


def test_equal_sizes_place_the_last_added_first():
    # TFLM fills its sort array from the tail and bubble-sorts stably.
    assert plan([Buffer(16, 0, 1), Buffer(16, 0, 1), Buffer(16, 0, 1)]).offsets == (32, 16, 0)


def test_buffers_go_after_the_last_overlapping_one_without_a_gap():
    # B (2..3) and A (0..1), equal sizes, share offset 0; C (0..3) goes above both;
    # D (1..2) and E (3..3) overlap C, find no gap below it, and both go above it
    # (they do not overlap each other).
    buffers = [Buffer(64, 0, 1), Buffer(64, 2, 3), Buffer(48, 0, 3), Buffer(32, 1, 2),
               Buffer(16, 3, 3)]
    result = plan(buffers)
    assert result.offsets == (0, 0, 64, 112, 112)
    assert result.size == 144


def test_a_gap_between_placed_buffers_is_used():
    # 64 (0..0) at 0, 32 (1..1) at 0, 32 (0..1) at 64, then 16 (1..1) fits in 32..64.
    result = plan([Buffer(64, 0, 0), Buffer(32, 1, 1), Buffer(32, 0, 1), Buffer(16, 1, 1)])
    assert result.offsets == (0, 0, 64, 32)
    assert result.size == 96


def test_offline_offsets_are_kept_and_planned_around():
    result = plan([Buffer(32, 0, 1, offline_offset=64), Buffer(64, 0, 1), Buffer(16, 0, 1)])
    assert result.offsets == (64, 0, 96)
    assert result.size == 112


# --- the reference-64 table against TFLM -----------------------------------------


def _check_exact(model: bytes) -> None:
    result = plan_arena(read_tflite(model), REFERENCE_64)
    assert result.complete, result.unknown_ops
    assert result.total == _measured(model), result


@needs_tflm
@pytest.mark.parametrize("name", ["cnn", "residual", "lstm", "float", "int16x8",
                                  "per_tensor", "per_channel_fc"])
def test_reference_64_equals_the_measured_arena(name):
    # "hybrid" is left out: TFLM refuses it in Prepare (tests/test_tflm.py).
    _check_exact(tiny_models()[name])


def _shared(name: str) -> bytes:
    return shared_model_path(name).read_bytes()


_SHARED_KNOWN = ["add0", "audio_preprocessor_int8", "conv10", "dtln_noise_suppression",
                 "hello_world_float",
                 "hello_world_int8", "keyword_scrambled", "leaky_relu0",
                 "micro_speech_quantized", "pad0", "simple_add_model", "strided_slice0",
                 "trained_lstm", "trained_lstm_int8", "transpose_conv0", "person_detect"]


@needs_tflm
@pytest.mark.parametrize("name", _SHARED_KNOWN)
def test_reference_64_equals_the_measured_arena_of_public_models(name):
    _check_exact(_shared(f"{name}.tflite"))


def test_ops_the_table_does_not_know_are_reported():
    # The table without two of the audio front end's ops: reported, not counted as zero.
    known = {name: kernel for name, kernel in REFERENCE_64.kernels.items()
             if name not in ("CUSTOM:SignalRfft", "DIV")}
    table = dataclasses.replace(REFERENCE_64, kernels=known)
    model = read_tflite(_shared("audio_preprocessor_int8.tflite"))
    result = plan_arena(model, table)
    assert not result.complete
    assert set(result.unknown_ops) == {"CUSTOM:SignalRfft", "DIV"}
    assert result.total < plan_arena(model, REFERENCE_64).total


def test_the_python_interpreters_own_objects_are_one_term():
    # RecordingSingleArenaBufferAllocator + RecordingMicroAllocator (104 + 272) where a
    # firmware has SingleArenaBufferAllocator + MicroAllocator (72 + 72).
    assert PYTHON_INTERPRETER_EXTRA == 232


def test_the_breakdown_adds_up():
    result = plan_arena(read_tflite(tiny_models()["cnn"]), REFERENCE_64)
    assert result.total % 16 == 0
    assert result.total >= result.persistent + result.plan
    assert [op.name for op in result.ops] == ["CONV_2D", "RESHAPE", "FULLY_CONNECTED",
                                              "SOFTMAX"]
    assert all(op.persistent > 0 for op in result.ops if op.name != "RESHAPE")


# --- models built here, for the ops the others lack ---------------------------------


@functools.cache
def _built_models() -> dict[str, bytes]:
    from edgetf.base.tf_import import import_tf

    tf, keras = import_tf()
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    layers = keras.layers

    inp = layers.Input((12, 12, 3))
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu")(inp)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Conv2D(8, 3)(x)
    x = layers.ZeroPadding2D(1)(x)  # before a pool, so the converter keeps the PAD
    x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    vision = keras.Model(inp, layers.Dense(3, activation="sigmoid")(x))

    inp = layers.Input((6, 6, 4), batch_size=1)  # a static RESHAPE, no SHAPE+PACK
    a = layers.Conv2D(4, 1)(inp)
    b = layers.Conv2D(4, 1, activation="relu")(inp)
    joined = layers.Concatenate()([a, b])
    mixed = layers.Add()([layers.Multiply()([joined, joined]), joined])
    flat = layers.Reshape((36, 8))(mixed)
    sliced = layers.Lambda(lambda t: t[:, 2:30:2, :])(flat)
    wiring = keras.Model(inp, layers.Dense(2)(layers.Flatten()(sliced)))

    # A reshape to (batch, -1) with the batch read at run time converts to SHAPE,
    # STRIDED_SLICE, PACK and RESHAPE, as tfmot's QAT wrapper of Flatten does in
    # train-quantize's DS-CNN.
    inp = layers.Input((6, 6, 2))
    x = layers.Conv2D(4, 3, activation="relu")(inp)
    x = layers.Lambda(lambda t: tf.reshape(t, tf.stack([tf.shape(t)[0], 64])),
                      output_shape=(64,))(x)
    dynamic = keras.Model(inp, layers.Dense(3)(x))

    def calibration(model):
        return rng.normal(size=(32, *model.input_shape[1:])).astype(np.float32)

    return {
        "dynamic_reshape": convert(tf, dynamic, calibration(dynamic)),
        "vision": convert(tf, vision, calibration(vision)),
        "wiring": convert(tf, wiring, calibration(wiring)),
        "vision_float": convert(tf, vision, calibration(vision), int8=False),
        "vision_int16x8": convert(tf, vision, calibration(vision), int16x8=True,
                                  per_channel_dense=True),
    }


_BUILT_OPS = {"DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "PAD", "MEAN",
              "LOGISTIC", "CONCATENATION", "MUL", "ADD", "RESHAPE", "STRIDED_SLICE",
              "SHAPE", "PACK"}


def test_built_models_reach_the_ops_they_are_for():
    ops = {op for model in _built_models().values() for op in read_tflite(model).op_names()}
    assert ops >= _BUILT_OPS


@needs_tflm
@pytest.mark.parametrize("name", ["vision", "wiring", "vision_float", "vision_int16x8",
                                  "dynamic_reshape"])
def test_reference_64_equals_the_measured_arena_of_built_models(name):
    _check_exact(_built_models()[name])


# --- LUT-compressed models (TFLM_DECODE before each compressed weight's consumer) ---


@functools.cache
def _compressed(name: str) -> tuple[bytes, bytes]:
    models = {**tiny_models(), **_built_models()} if name in ("vision", "vision_float") \
        else tiny_models()
    return snapped_and_compressed(models[name])


_COMPRESSED = ["cnn", "residual", "lstm", "float", "int16x8", "per_tensor", "per_channel_fc",
               "vision", "vision_float"]


@needs_tflm
@pytest.mark.parametrize("name", _COMPRESSED)
def test_reference_64_equals_the_measured_arena_of_compressed_models(name):
    # Weights and biases (int8/int32/int64/float32; per tensor, per channel on axis 0 and,
    # in "vision"'s depthwise filter, on the last axis) decoded into the arena.
    compressed = _compressed(name)[1]
    assert "CUSTOM:TFLM_DECODE" in read_tflite(compressed).op_names()
    _check_exact(compressed)


@needs_tflm
def test_decoded_weights_live_from_their_decode_to_their_consumer():
    model = read_tflite(_compressed("cnn")[1])
    planned = {b.index: b.buffer for b in planned_buffers(model, [], None) if b.kind == "tensor"}
    decodes = [op for op in model.main.operators if op.custom_code == "TFLM_DECODE"]
    assert decodes
    for op in decodes:
        assert set(op.outputs) <= set(model.main.operators[op.index + 1].inputs)
        for t in op.outputs:  # op i is allocation scope i + 1
            assert (planned[t].first, planned[t].last) == (op.index + 1, op.index + 2)
        assert not set(op.inputs) & set(planned)  # the encoded data stays in the flatbuffer


@needs_tflm
@pytest.mark.parametrize("name", ["cnn", "lstm", "vision", "int16x8"])
def test_compressed_models_give_the_snapped_models_outputs(name):
    # LUT is lossless: TFLM's DECODE restores the snapped weights exactly.
    snapped, compressed = _compressed(name)
    shape = read_tflite(snapped).input_tensors()[0]
    rng = np.random.default_rng(SEED)
    info = np.iinfo(np.int8 if shape.dtype == "int8" else np.int16)
    x = rng.integers(info.min, info.max, (3, *shape.shape), endpoint=True).astype(
        np.int8 if shape.dtype == "int8" else np.int16)
    for a, b in zip(tflm.run_tflm(snapped, x), tflm.run_tflm(compressed, x), strict=True):
        np.testing.assert_array_equal(a, b)
