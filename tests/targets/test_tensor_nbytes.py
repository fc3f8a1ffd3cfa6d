"""One byte size per tensor: :func:`edgetf.tflite.types.tensor_nbytes`, for every TFLite type,
against real flatbuffers and a real interpreter, and the planner and the arena estimate
(which both read it) agreeing on the buffers of shared models."""

from __future__ import annotations

import warnings

import ml_dtypes
import numpy as np
import pytest

from edgetf.targets.firmware_contract import golden_vector_bytes
from edgetf.targets.planner.lifetimes import planned_buffers
from edgetf.tflite.reader import read_tflite
from edgetf.tflite.types import (
    ARENA_ELEMENT_SIZES,
    NUMPY_DTYPES,
    TENSOR_TYPES,
    element_count,
    tensor_nbytes,
)
from edgetf.tflm.estimate import activation_buffers
from tests.conftest import shared_model_names, shared_model_path

#: Types numpy lacks, as ml_dtypes (TensorFlow's own dtype package) holds them unpacked.
_ML_DTYPES = {"bfloat16": ml_dtypes.bfloat16, "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
              "float8_e5m2": ml_dtypes.float8_e5m2, "int4": ml_dtypes.int4,
              "uint4": ml_dtypes.uint4, "int2": ml_dtypes.int2}
#: Values per byte where the flatbuffer packs them (the whole tensor densely, the last
#: byte padded).
_PACKED = {"int4": 2, "uint4": 2, "int2": 4}
#: No fixed element size: a flatbuffer stores no fixed-size data for them.
_UNSIZED = {"string", "resource", "variant"}


def _itemsize(name: str) -> int:
    return np.dtype(NUMPY_DTYPES.get(name) or _ML_DTYPES[name]).itemsize


@pytest.mark.parametrize("name", sorted(TENSOR_TYPES.values()))
def test_every_tflite_type_has_its_stored_and_arena_size(name):
    shape = (3, 5)  # 15 elements: odd, so packing rounds up
    stored = tensor_nbytes(shape, name)
    arena = tensor_nbytes(shape, name, in_arena=True)
    if name in _UNSIZED:
        assert stored == 0
    elif name in _PACKED:
        assert stored == -(-15 // _PACKED[name])  # 8 bytes for int4/uint4, 4 for int2
        assert _itemsize(name) == 1  # unpacked, as ml_dtypes (and TFLM's int4) hold it
    else:
        assert stored == 15 * _itemsize(name)
    # TFLM's TfLiteTypeSizeOf: int4 unpacked to a byte each, a resource an int32 handle;
    # the types it rejects take no arena.
    if name in ARENA_ELEMENT_SIZES:
        expected = 4 if name == "resource" else _itemsize(name)
        assert arena == 15 * expected
    else:
        assert arena == 0 and name in {"string", "variant", "uint4", "int2", "float8_e4m3fn",
                                       "float8_e5m2"}


def test_element_count_reads_scalars_dynamic_and_empty_dimensions():
    assert element_count(()) == 1
    assert element_count((1, -1, 4)) == 4  # a dynamic dimension runs as 1 in TFLM
    assert element_count((0, 3)) == 0
    assert tensor_nbytes((), "float32") == 4
    assert tensor_nbytes((0, 3), "int8", in_arena=True) == 0


def test_constant_data_of_real_models_is_exactly_its_stored_size():
    """Every constant of every shared model (int8, int16, int32, int64, float32 data the
    converter wrote) holds exactly the stored size of its shape and type."""
    names = shared_model_names() or [shared_model_path("person_detect.tflite").stem]
    checked = 0
    for name in names:
        model = read_tflite(shared_model_path(f"{name}.tflite").read_bytes())
        for tensor in (t for g in model.subgraphs for t in g.tensors if t.data):
            assert len(tensor.data) == tensor_nbytes(tensor.shape, tensor.dtype), (
                name, tensor.name)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("name", ["micro_speech_quantized", "trained_lstm_int8"])
def test_arena_size_is_what_litert_allocates(name):
    """LiteRT's own tensors (int8, int16, int32, float32 here) hold as many bytes as the
    arena size says, for every non-constant tensor."""
    from ai_edge_litert.interpreter import Interpreter

    data = shared_model_path(f"{name}.tflite").read_bytes()
    model = read_tflite(data)
    with warnings.catch_warnings():  # "for debugging purposes only": so it is used here
        warnings.simplefilter("ignore", UserWarning)
        interpreter = Interpreter(model_content=data, experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    activations = [t for t in model.main.tensors if not t.data]
    assert activations
    for tensor in activations:
        held = interpreter.get_tensor(tensor.index).nbytes
        assert held == tensor_nbytes(tensor.shape, tensor.dtype, in_arena=True), tensor.name


@pytest.mark.parametrize("name", ["person_detect", "micro_speech_quantized", "conv10"])
def test_planner_and_estimate_agree_on_every_activation(name):
    """The arena planner (board figures) and the flatbuffer estimate (no TFLM) plan the
    same tensors at the same sizes; the golden vectors take the I/O tensors' bytes."""
    model = read_tflite(shared_model_path(f"{name}.tflite").read_bytes())
    planned = {b.index: b.buffer.size for b in planned_buffers(model, [], None)
               if b.kind == "tensor"}
    estimated = {index: size for index, (size, _, _) in activation_buffers(model).items()}
    assert planned and planned == estimated
    io = (*model.main.inputs, *model.main.outputs)
    assert golden_vector_bytes(model) == sum(
        tensor_nbytes(model.main.tensors[i].shape, model.main.tensors[i].dtype,
                      in_arena=True) for i in io)
    assert all(planned[i] >= tensor_nbytes(model.main.tensors[i].shape,
                                           model.main.tensors[i].dtype, in_arena=True)
               for i in io)
