"""LUT compression of weights: the format in numpy, and tflite-micro's compressor checked
against it (lossless, per tensor and per channel, every index width) and against TFLM."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from tiny_models import clustered_cnn, tiny_models

from edgetf.tflite.reader import read_tflite
from edgetf.tflm import lut
from edgetf.tflm.compression import (
    DECODE_OP,
    compression_unavailable,
    decoded_weights,
    device_model,
    lut_choices,
)
from edgetf.tflm.interpreter import measure_arena_and_run, tflm_available

needs_compressor = pytest.mark.skipif(compression_unavailable() is not None,
                                      reason=f"{compression_unavailable()}")


@pytest.mark.parametrize("bits", range(1, 8))
def test_packing_round_trips_for_every_width(bits):
    rng = np.random.default_rng(bits)
    indices = rng.integers(0, 2 ** bits, size=1001).astype(np.uint8)
    packed = lut.pack_indices(indices, bits)
    assert len(packed) == lut.packed_bytes(1001, bits)
    assert np.array_equal(lut.unpack_indices(packed, bits, 1001), indices)


def test_packing_is_most_significant_bit_first():
    # 3-bit indices 1, 2, 7 -> 001 010 111 (+ 0000000 padding) = 0x2b 0x80
    assert lut.pack_indices(np.array([1, 2, 7]), 3) == bytes([0x2B, 0x80])


@pytest.mark.parametrize("axis", [None, 0, 3])
def test_tables_and_indices_rebuild_the_array(axis):
    rng = np.random.default_rng(7)
    array = rng.integers(-128, 128, size=(4, 3, 3, 5)).astype(np.int8)
    split = lut.to_lut(array, axis)
    if axis is None:
        rebuilt = split.tables[0][split.indices]
    else:
        channel = np.indices(array.shape)[axis]
        padded = np.stack([np.pad(t, (0, split.stride - len(t))) for t in split.tables])
        rebuilt = padded[channel, split.indices]
    assert np.array_equal(rebuilt, array)


def test_a_channel_with_more_than_128_values_is_left_alone():
    choices = lut_choices(read_tflite(tiny_models()["cnn"]))  # random weights
    dense = next(c for c in choices if "FULLY_CONNECTED" in c.consumers)
    assert dense.bits is None and not dense.compressed
    assert "more than 128 distinct values" in dense.reason


@needs_compressor
@pytest.mark.parametrize("bits", range(1, 8))
def test_compression_is_lossless_per_tensor_and_per_channel(bits):
    """Every weight tensor compressed (the flash rule set aside), decoded here from the
    compressed file's bytes, equals the original int8 weights channel for channel:
    FULLY_CONNECTED per tensor, CONV_2D along axis 0, DEPTHWISE_CONV_2D along the last."""
    data = clustered_cnn(bits)
    model = read_tflite(data)
    choices = [dataclasses.replace(c, reason=None) for c in lut_choices(model)]
    assert sorted(c.axis for c in choices if c.axis is not None) == [0, 3]
    assert all(c.bits <= bits for c in choices)
    device = device_model(data, model, choices)
    compressed = read_tflite(device.data)
    assert DECODE_OP in compressed.op_names()
    for choice in choices:
        original = model.subgraphs[0].tensors[choice.tensor].array()
        assert np.array_equal(decoded_weights(compressed, choice), original), choice


@needs_compressor
@pytest.mark.skipif(not tflm_available(), reason="tflite-micro is not installed")
@pytest.mark.parametrize("bits", [1, 4, 7])
def test_tflm_gives_the_same_outputs_bit_for_bit(bits):
    data = clustered_cnn(bits)
    model = read_tflite(data)
    choices = [dataclasses.replace(c, reason=None) for c in lut_choices(model)]
    device = device_model(data, model, choices)
    rng = np.random.default_rng(0)
    inputs = [rng.integers(-128, 128, size=(4, 1, 10, 10, 1)).astype(np.int8)]
    _, plain = measure_arena_and_run(data, inputs)
    _, decoded = measure_arena_and_run(device.data, inputs)
    assert len(plain) == len(decoded) == 1 and plain[0].shape[0] == 4
    assert np.array_equal(plain[0], decoded[0])


@needs_compressor
def test_only_tensors_that_save_flash_are_compressed_and_sizes_add_up():
    data = clustered_cnn(4)
    model = read_tflite(data)
    choices = lut_choices(model)
    chosen = [c for c in choices if c.compressed]
    assert [c.consumers for c in chosen] == [("FULLY_CONNECTED",)] * 2
    assert all("saves no flash" in c.reason for c in choices if not c.compressed)
    device = device_model(data, model, choices)
    dense = max(chosen, key=lambda c: c.bytes_before)
    assert dense.bytes_after < dense.bytes_before // 2 + 200
    # 4-bit indices plus one 16-entry table and its header; the rest is DECODE's tensors.
    assert dense.lut_bytes == dense.bytes_before // 2 + 16 + 16 < dense.bytes_after
    # The whole file shrinks by at least what the tensors save (names go too).
    assert device.saved_bytes >= sum(c.bytes_before - c.bytes_after for c in chosen)
    assert device.to_dict()["device_bytes"] == len(device.data)


@needs_compressor
def test_stripping_keeps_every_model_tflm_runs_working_including_old_schema_ones():
    """person_detect stores its opcodes in deprecated_builtin_code; tflite-micro's model
    editor reads only builtin_code and merged them all (a compressor bug edgetf works
    around). Stripped, the model must run and give the same outputs."""
    from tests.conftest import shared_model_path

    data = shared_model_path("micro_speech_quantized.tflite").read_bytes()
    model = read_tflite(data)
    device = device_model(data, model, lut_choices(model))
    assert len(device.data) < len(data)
    stripped = read_tflite(device.data)
    assert stripped.op_names() == model.op_names()
    assert all(t.name == "" for t in stripped.main.tensors)
    if tflm_available():
        rng = np.random.default_rng(1)
        inputs = [rng.integers(-128, 128, size=(2, *t.shape)).astype(np.int8)
                  for t in model.input_tensors()]
        assert np.array_equal(measure_arena_and_run(data, inputs)[1][0],
                              measure_arena_and_run(device.data, inputs)[1][0])
