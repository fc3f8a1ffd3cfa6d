"""The TFLite reader against LiteRT on real converted models, and against corrupt files.

LiteRT's interpreter is the reference for what a ``.tflite`` file means: for each tiny
model (float, full int8, int8 with a residual ADD) the reader must report the same
tensors, quantization, constants and inputs/outputs. The corruption tests check the
reader's one promise on bad input: parse, or raise TfliteFormatError; nothing else.
"""

from __future__ import annotations

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before anything imports TensorFlow
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import random
import struct
import subprocess
import sys

import numpy as np
import pytest

import edgetf
from edgetf.base.errors import TfliteFormatError
from edgetf.tflite.model import Tensor
from edgetf.tflite.ops import (
    BUILTIN_OPERATOR_NAMES,
    SIGNAL_RESOLVER_METHODS,
    TFLM_RESOLVER_METHODS,
    is_signal_op,
    op_name,
    tflm_method,
)
from edgetf.tflite.reader import UNREADABLE_NAME, read_tflite, read_tflite_file
from edgetf.tflite.types import ELEMENT_SIZES, NUMPY_DTYPES, TENSOR_TYPES
from tests.tiny_models import tiny_models

_SEED = 42
_SEQUENTIAL_OPS = {
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "MAX_POOL_2D",
    "RESHAPE",
    "FULLY_CONNECTED",
    "SOFTMAX",
}


def _convert(model, int8: bool) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        rng = np.random.default_rng(_SEED)
        shape = (1, *model.input_shape[1:])
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (
            [rng.random(shape, dtype=np.float32)] for _ in range(8)
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    """Three small converted models, built once: conversion takes about a second each."""
    import tf_keras as keras

    keras.utils.set_random_seed(_SEED)
    sequential = keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            keras.layers.DepthwiseConv2D(3, depth_multiplier=2, activation="relu6"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(5),
            keras.layers.Softmax(),
        ]
    )
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Add()([inputs, keras.layers.Conv2D(3, 3, padding="same")(inputs)])
    x = keras.layers.Multiply()([x, x])
    x = keras.layers.AveragePooling2D(2)(x)
    outputs = keras.layers.Dense(4, activation="softmax")(keras.layers.Flatten()(x))
    residual = keras.Model(inputs, outputs)
    return {
        "float": _convert(sequential, int8=False),
        "int8": _convert(sequential, int8=True),
        "residual_int8": _convert(residual, int8=True),
    }


@pytest.mark.parametrize("kind", ["float", "int8", "residual_int8"])
def test_matches_litert(models, kind):
    from ai_edge_litert.interpreter import Interpreter

    data = models[kind]
    model = read_tflite(data, f"{kind}.tflite")
    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    details = interpreter.get_tensor_details()
    tensors = model.main.tensors
    assert len(tensors) == len(details)
    constants = 0
    for d in details:
        t = tensors[d["index"]]
        assert t.index == d["index"]
        assert t.name == d["name"]
        assert t.shape == tuple(d["shape"])
        assert (t.shape_signature or t.shape) == tuple(d["shape_signature"])
        assert NUMPY_DTYPES[t.dtype] == np.dtype(d["dtype"])
        q = d["quantization_parameters"]
        if t.quantization is None:
            assert len(q["scales"]) == 0
        else:
            np.testing.assert_array_equal(np.float32(t.quantization.scales), q["scales"])
            np.testing.assert_array_equal(t.quantization.zero_points, q["zero_points"])
            assert t.quantization.quantized_dimension == q["quantized_dimension"]
        if t.data:
            constants += 1
            np.testing.assert_array_equal(t.array(), interpreter.get_tensor(t.index))
    assert constants >= 4  # weights and biases were really compared
    assert model.main.inputs == tuple(d["index"] for d in interpreter.get_input_details())
    assert model.main.outputs == tuple(d["index"] for d in interpreter.get_output_details())
    assert model.version == 3
    assert model.size == len(data)
    assert "min_runtime_version" in model.metadata_names()


def test_op_names_and_io_types(models):
    assert set(read_tflite(models["float"]).op_names()) == _SEQUENTIAL_OPS
    int8 = read_tflite(models["int8"])
    assert set(int8.op_names()) == _SEQUENTIAL_OPS
    assert [t.dtype for t in int8.input_tensors() + int8.output_tensors()] == ["int8", "int8"]
    assert all(t.quantization is not None for t in int8.input_tensors())
    residual = set(read_tflite(models["residual_int8"]).op_names())
    assert {"ADD", "MUL", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"} <= residual
    for name in residual | _SEQUENTIAL_OPS:
        assert tflm_method(name) is not None, name


def test_builtin_options(models):
    ops = {op.name: op for op in read_tflite(models["int8"]).main.operators}
    conv = ops["CONV_2D"].options
    assert (conv["padding"], conv["stride_w"], conv["stride_h"]) == ("SAME", 2, 2)
    assert (conv["fused_activation"], conv["dilation_w"], conv["dilation_h"]) == ("RELU", 1, 1)
    dw = ops["DEPTHWISE_CONV_2D"].options
    assert (dw["padding"], dw["depth_multiplier"], dw["fused_activation"]) == ("VALID", 2, "RELU6")
    pool = ops["MAX_POOL_2D"].options
    assert (pool["filter_w"], pool["filter_h"], pool["stride_w"]) == (2, 2, 2)
    assert ops["FULLY_CONNECTED"].options == {
        "fused_activation": "NONE",
        "weights_format": "DEFAULT",
        "keep_num_dims": False,
    }
    assert ops["SOFTMAX"].options == {"beta": 1.0}
    residual = {op.name: op for op in read_tflite(models["residual_int8"]).main.operators}
    assert residual["ADD"].options == {"fused_activation": "NONE"}
    assert residual["AVERAGE_POOL_2D"].options["filter_w"] == 2


def test_results_are_hashable_and_comparable(models):
    a, b = read_tflite(models["int8"]), read_tflite(bytearray(models["int8"]))
    assert a == b and hash(a) == hash(b)
    assert a != read_tflite(models["float"])


def _schema():
    """The schema's generated object API (from the tflite-micro wheel, Linux x86-64 only)."""
    return pytest.importorskip("tflite_micro.tensorflow.lite.micro.python.schema_py_generated")


def _pack(model, identifier: bool = True) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3" if identifier else None)
    return bytes(builder.Output())


def _repack(data: bytes, edit, identifier: bool = True) -> bytes:
    """Decode with the schema's object API, let ``edit`` change it, encode again."""
    model = _schema().ModelT.InitFromPackedBuf(bytearray(data), 0)
    edit(model)
    return _pack(model, identifier)


def test_extended_builtin_codes(models):
    def edit(model):
        for code in model.operatorCodes:  # old files: only the int8 field is set
            code.builtinCode = 0
        model.operatorCodes[0].deprecatedBuiltinCode = 127  # PLACEHOLDER_FOR_GREATER_OP_CODES
        model.operatorCodes[0].builtinCode = 130

    original = read_tflite(models["int8"])
    edited = read_tflite(_repack(models["int8"], edit))
    assert "BROADCAST_TO" in edited.op_names()
    for before, after in zip(original.main.operators, edited.main.operators, strict=True):
        expected = "BROADCAST_TO" if after.opcode_index == 0 else before.name
        assert (after.name, after.builtin_code == 130) == (expected, after.opcode_index == 0)


def test_buffers_stored_after_the_flatbuffer(models):
    """The >2 GB layout: ``offset``/``size`` point at data appended after the flatbuffer."""
    original = read_tflite(models["int8"])
    weights = max(original.main.tensors, key=lambda t: len(t.data))
    payload = weights.data

    def edit(model, offset):
        buffer = model.buffers[weights.buffer]
        buffer.data, buffer.offset, buffer.size = None, offset, len(payload)

    head = _repack(models["int8"], lambda m: edit(m, 1))  # same layout, placeholder offset
    offset = -(-len(head) // 16) * 16
    head = _repack(models["int8"], lambda m: edit(m, offset))
    data = head + bytes(offset - len(head)) + payload
    moved = read_tflite(data)
    assert moved.main.tensors[weights.index].data == payload
    np.testing.assert_array_equal(moved.main.tensors[weights.index].array(), weights.array())
    with pytest.raises(TfliteFormatError, match="truncated"):
        read_tflite(data[:-1])


def test_missing_file_identifier_is_accepted_when_the_rest_parses(models):
    data = _repack(models["float"], lambda m: None, identifier=False)
    assert data[4:8] != b"TFL3"
    assert read_tflite(data).main == read_tflite(models["float"]).main


def test_indices_out_of_range_are_rejected(models):
    """TFLM indexes its tensor and opcode arrays with these without checking."""

    def edit(model):
        model.subgraphs[0].operators[1].inputs[0] = 99

    with pytest.raises(
        TfliteFormatError, match="subgraph 0 operator 1 input 0 refers to tensor 99"
    ):
        read_tflite(_repack(models["int8"], edit))

    def edit_opcode(model):
        model.subgraphs[0].operators[0].opcodeIndex = 42

    with pytest.raises(TfliteFormatError, match="refers to operator code 42"):
        read_tflite(_repack(models["int8"], edit_opcode))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "model.tflite: empty file"),
        (b"TFL", "too short"),
        (b"# a text file, not a model\nlayers: 3\n", "file identifier is 'text'"),
        (b"PK\x03\x04" + bytes(60), "zip archive"),
        (b"\x89HDF\r\n\x1a\n" + bytes(60), "HDF5"),
        (bytes(64), "not a TFLite flatbuffer"),
    ],
)
def test_not_a_model(data, message):
    with pytest.raises(TfliteFormatError, match=message) as error:
        read_tflite(data, "model.tflite")
    assert str(error.value).startswith("model.tflite: ") and "\n" not in str(error.value)


def _parse_or_format_error(data: bytes) -> bool:
    """True if ``data`` parsed; False if it raised TfliteFormatError (anything else fails)."""
    try:
        read_tflite(data, "fuzzed.tflite")
        return True
    except TfliteFormatError as error:
        assert str(error).startswith("fuzzed.tflite: ")
        return False


def test_truncation_at_many_offsets(models):
    data = models["int8"]
    results = [_parse_or_format_error(data[:end]) for end in range(0, len(data), 7)]
    assert results.count(False) > 0.9 * len(results)
    with pytest.raises(TfliteFormatError, match="truncated: .* past the end of the file"):
        read_tflite(data[: len(data) // 2])


def test_random_byte_and_bit_flips(models):
    rng = random.Random(_SEED)
    data = models["int8"]
    for _ in range(300):
        damaged = bytearray(data)
        position = rng.randrange(len(data))
        if rng.random() < 0.5:
            damaged[position] = rng.randrange(256)
        else:
            damaged[position] ^= 1 << rng.randrange(8)
        _parse_or_format_error(bytes(damaged))


def _field_target(data: bytes, table: int, slot: int) -> int:
    """Where the offset in ``table``'s field ``slot`` points (no checks: test files only)."""
    vtable = table - struct.unpack_from("<i", data, table)[0]
    field = table + struct.unpack_from("<H", data, vtable + 4 + 2 * slot)[0]
    return field + struct.unpack_from("<I", data, field)[0]


def test_vector_longer_than_the_file(models):
    data = bytearray(models["int8"])
    vector = _field_target(data, struct.unpack_from("<I", data, 0)[0], 2)  # Model.subgraphs
    struct.pack_into("<I", data, vector, 0xFFFFFFFF)
    with pytest.raises(TfliteFormatError, match="claims 4294967295 entries"):
        read_tflite(bytes(data))


def test_shared_tables_cannot_amplify_the_work():
    """Entries of a crafted file all point at one tensor with a 20,000-entry shape.

    A naive decoder would expand 2,000 x 20,000 ints (seconds, gigabytes); the reader's
    work budget must stop it at once.
    """
    schema = _schema()
    tensors = []
    for i in range(2000):
        tensor = schema.TensorT()
        tensor.shape, tensor.type, tensor.name = [1] * (20000 if i == 0 else 1), 9, f"t{i}"
        tensors.append(tensor)
    graph, model = schema.SubGraphT(), schema.ModelT()
    graph.tensors, graph.inputs, graph.outputs, graph.operators = tensors, [0], [0], []
    model.version, model.buffers, model.subgraphs = 3, [schema.BufferT()], [graph]
    data = bytearray(_pack(model))
    assert len(read_tflite(bytes(data)).main.tensors) == 2000
    subgraphs = _field_target(data, struct.unpack_from("<I", data, 0)[0], 2)
    subgraph = subgraphs + 4 + struct.unpack_from("<I", data, subgraphs + 4)[0]
    vector = _field_target(data, subgraph, 0)  # subgraph 0's tensors
    first = vector + 4 + struct.unpack_from("<I", data, vector + 4)[0]
    for i in range(1, 2000):
        entry = vector + 4 + 4 * i
        if first > entry:  # flatbuffer offsets point forward only
            struct.pack_into("<I", data, entry, first - entry)
    # The budget's own error proves the expansion was stopped before it happened (a timing
    # assertion here would be flaky on a loaded machine).
    with pytest.raises(TfliteFormatError, match="far more data than it holds"):
        read_tflite(bytes(data))


def test_read_file_errors_name_the_path(tmp_path, models):
    with pytest.raises(TfliteFormatError, match="missing.tflite: no such file"):
        read_tflite_file(tmp_path / "missing.tflite")
    with pytest.raises(TfliteFormatError, match="is a directory"):
        read_tflite_file(tmp_path)
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    with pytest.raises(TfliteFormatError, match="empty.tflite: empty file"):
        read_tflite_file(empty)
    good = tmp_path / "good.tflite"
    good.write_bytes(models["float"])
    assert read_tflite_file(good) == read_tflite(models["float"])


def test_tensor_array_errors(models):
    activation = read_tflite(models["float"]).output_tensors()[0]
    with pytest.raises(TfliteFormatError, match="holds 0 bytes of data"):
        activation.array()
    packed = Tensor(0, "w", (4,), None, "int4", 1, b"\x12\x34", None, False)
    with pytest.raises(TfliteFormatError, match="int4 data cannot be read"):
        packed.array()


def test_reader_imports_no_tensorflow():
    """``inspect`` and ``emit-firmware`` read models in processes that never load TensorFlow."""
    code = (
        "import sys, edgetf.tflite.reader; "
        "bad = {'tensorflow', 'flatbuffers', 'tflite_micro'} & set(sys.modules); "
        "sys.exit(', '.join(sorted(bad)) or None)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(edgetf.__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_op_tables():
    assert op_name(0) == "ADD" and op_name(3) == "CONV_2D" and op_name(9) == "FULLY_CONNECTED"
    assert op_name(4) == "DEPTHWISE_CONV_2D" and op_name(9999) == "UNKNOWN_9999"
    assert sorted(BUILTIN_OPERATOR_NAMES) == list(range(len(BUILTIN_OPERATOR_NAMES)))
    names = set(BUILTIN_OPERATOR_NAMES.values())
    assert len(names) == len(BUILTIN_OPERATOR_NAMES)
    for name, method in TFLM_RESOLVER_METHODS.items():
        assert method.startswith("Add") and (
            name in names or name == "CUSTOM:TFLM_DECODE" or name in SIGNAL_RESOLVER_METHODS), (
            name, method)
    assert len(set(TFLM_RESOLVER_METHODS.values())) == len(TFLM_RESOLVER_METHODS)
    assert tflm_method("CONV_2D") == "AddConv2D"
    assert tflm_method("UNIDIRECTIONAL_SEQUENCE_LSTM") == "AddUnidirectionalSequenceLSTM"
    assert tflm_method("LSTM") is None and tflm_method("CUSTOM") is None
    assert tflm_method("CUSTOM:TFLM_DECODE") == "AddDecode"
    # TFLM's signal library: AddCustom("Signal<Name>", ...) behind an Add<Name>() method,
    # PCAN spelled in capitals (micro_mutable_op_resolver.h, 90b983c2b3f1).
    assert len(SIGNAL_RESOLVER_METHODS) == 14
    assert tflm_method("CUSTOM:SignalDelay") == "AddDelay"
    assert tflm_method("CUSTOM:SignalPCAN") == "AddPCAN"
    assert tflm_method("CUSTOM:SignalFilterBankSpectralSubtraction") == (
        "AddFilterBankSpectralSubtraction")
    assert all(f"Add{name[len('CUSTOM:Signal'):]}" == method
               for name, method in SIGNAL_RESOLVER_METHODS.items())
    assert is_signal_op("CUSTOM:SignalRfft") and not is_signal_op("CUSTOM:TFLM_DECODE")
    assert tflm_method("CUSTOM:TFLite_Detection_PostProcess") is None


def test_type_tables():
    assert sorted(TENSOR_TYPES) == list(range(len(TENSOR_TYPES)))
    assert TENSOR_TYPES[9] == "int8" and TENSOR_TYPES[0] == "float32"
    for name, dtype in NUMPY_DTYPES.items():
        assert name in TENSOR_TYPES.values()
        assert dtype.itemsize == ELEMENT_SIZES[name]
    assert set(ELEMENT_SIZES) <= set(TENSOR_TYPES.values())


def _tensor_edit(change, scales: int = 1, rank: int | None = None):
    """An edit for :func:`_repack` that changes the first tensor with quantization (with
    ``scales`` > 1: the first per-channel one; with ``rank``: of that rank)."""

    def edit(model):
        tensor = next(t for t in model.subgraphs[0].tensors if t.quantization is not None
                      and t.quantization.scale is not None
                      and len(t.quantization.scale) >= scales
                      and (rank is None or len(t.shape) == rank))
        change(tensor)

    return edit


def _set(**fields):
    def change(tensor):
        for name, value in fields.items():
            target = tensor.quantization if name in ("scale", "zeroPoint",
                                                     "quantizedDimension") else tensor
            setattr(target, name, value)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(shape=[1, -5, 4]), r"has shape \[1, -5, 4\], with a negative dimension"),
        (_set(shape=[-1, 4]), "with a negative dimension"),  # LiteRT refuses it too
        (_set(shape=[65536, 65536]), "more elements than the 32-bit element counts"),
        (_set(shape=[2] * 40), r"shape \[2, 2, 2, 2, 2, 2, 2, 2, \.\.\.\], more elements"),
        (_set(zeroPoint=None), "1 quantization scales but no zero point, which TFLM"),
        (_set(scale=[float("nan")]), "scale that is not a finite number"),
        (_set(scale=[float("inf")]), "scale that is not a finite number"),
    ],
    ids=["negative", "dynamic in shape", "2^32 elements", "40 dims",
         "no zero point", "nan scale", "inf scale"],
)
def test_absurd_shapes_and_quantization_are_refused(models, change, message):
    data = _repack(models["int8"], _tensor_edit(change))
    with pytest.raises(TfliteFormatError, match=message) as error:
        read_tflite(data, "absurd.tflite")
    assert str(error.value).startswith("absurd.tflite: corrupt: subgraph 0 tensor ")


@pytest.mark.parametrize("axis", [7, -1, 4])
def test_a_quantized_dimension_tflm_never_reads_is_accepted(models, axis):
    """TFLM's allocator copies the axis unread; only FULLY_CONNECTED's kernel indexes the
    weights' shape with it (person_detect has 8-scale 1-D biases along axis 3, and runs)."""
    for scales, rank in ((1, None), (2, 4)):  # the input (one scale), the conv weights
        edit = _tensor_edit(_set(quantizedDimension=axis), scales, rank)
        data = _repack(models["int8"], edit)
        dims = {t.quantization.quantized_dimension for t in read_tflite(data).main.tensors
                if t.quantization is not None and len(t.quantization.scales) >= scales}
        assert axis in dims


@pytest.mark.parametrize("axis", [2, 9, -1])
def test_per_channel_dense_weights_need_an_axis_inside_their_shape(axis):
    """FULLY_CONNECTED's Prepare reads filter->dims->data[axis] unchecked."""
    data = tiny_models()["per_channel_fc"]

    def edit(model):
        graph = model.subgraphs[0]
        fc = next(op for op in graph.operators
                  if max(model.operatorCodes[op.opcodeIndex].builtinCode,
                         model.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode) == 9)
        graph.tensors[fc.inputs[1]].quantization.quantizedDimension = axis

    with pytest.raises(TfliteFormatError, match=f"input 1 of FULLY_CONNECTED op .* along "
                       f"quantized_dimension {axis}, outside its 2 dimensions") as error:
        read_tflite(_repack(data, edit), "absurd.tflite")
    assert str(error.value).startswith("absurd.tflite: corrupt: tensor ")


def test_what_tflm_never_reads_may_be_damaged(models):
    """Names and shape signatures: TFLM never reads them, so damage there is no reason
    to refuse a model the board runs (the fuzz differential found both)."""
    signature = _repack(models["int8"], _tensor_edit(_set(shapeSignature=[1, -3])))
    assert read_tflite(signature).main.tensors  # read; the signature is dropped
    assert any(t.shape_signature is None for t in read_tflite(signature).main.tensors)

    def no_nul(model):
        model.subgraphs[0].tensors[0].name = "x" * 40

    data = bytearray(_repack(models["int8"], no_nul))
    data[data.index(b"x" * 40) + 40] = ord("y")  # the NUL after the name
    assert read_tflite(bytes(data)).main.tensors[0].name == UNREADABLE_NAME


def test_zero_points_are_taken_as_tflm_takes_them(models):
    """One per scale when the counts agree, else the first for every channel."""
    data = _repack(models["int8"], _tensor_edit(_set(zeroPoint=[3, 4, 5])))
    first = next(t for t in read_tflite(data).main.tensors if t.quantization is not None)
    assert first.quantization.zero_points == (3,) * len(first.quantization.scales)


def test_dynamic_dimensions_are_allowed_in_the_shape_signature(models):
    data = _repack(models["int8"], _tensor_edit(_set(shapeSignature=[-1, 3, 3, 4])))
    assert -1 in {d for t in read_tflite(data).main.tensors for d in t.shape_signature or ()}


def test_control_characters_in_names_never_reach_the_terminal(models):
    def edit(model):
        model.subgraphs[0].tensors[0].name = "in\x1b[2J\u202eput\x07"
        model.description = "made by \x1b]0;title\x07"

    parsed = read_tflite(_repack(models["float"], edit))
    assert parsed.main.tensors[0].name == "in\ufffd[2J\ufffdput\ufffd"
    assert parsed.description == "made by \ufffd]0;title\ufffd"
