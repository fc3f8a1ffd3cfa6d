"""Write a small ``.tflite`` model: one subgraph of builtin and custom ops, no TensorFlow.

edgetf builds its feature front ends (:mod:`edgetf.features`) as TFLite graphs of TFLM's
signal ops, whose Python wrappers live in TensorFlow custom-op libraries that the
tflite-micro wheel does not ship. The bytes are written by the ``flatbuffers`` package's
:class:`~flatbuffers.builder.Builder` and the custom ops' options by its
:mod:`~flatbuffers.flexbuffers` module (both pure Python, already needed by TensorFlow and
tflite-micro); this module only names the schema's tables and slots. Slots are the field
order of ``tensorflow/compiler/mlir/lite/schema/schema.fbs`` (tflite-micro 90b983c, schema
3d), a union taking two slots (its type byte, then the table), as in
:mod:`edgetf.tflite.reader`, which reads these files back.

Every activation tensor points at buffer 0, the schema's empty sentinel; constants get a
buffer each, aligned to 16 bytes as the schema's ``force_align`` asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from flatbuffers import builder as fb
from flatbuffers import flexbuffers

from edgetf.tflite.ops import BUILTIN_OPERATOR_NAMES
from edgetf.tflite.types import NUMPY_DTYPES, TENSOR_TYPES

_IDENTIFIER = b"TFL3"
_SCHEMA_VERSION = 3
_CODES = {name: code for code, name in BUILTIN_OPERATOR_NAMES.items()}
_TYPES = {name: code for code, name in TENSOR_TYPES.items()}
_CUSTOM = _CODES["CUSTOM"]

# Builtin op -> (BuiltinOptions union type, its table's fields in slot order as
# (name, flatbuffers scalar kind, schema default)). Only the ops edgetf writes.
_OPTION_TABLES: dict[str, tuple[int, tuple[tuple[str, str, object], ...]]] = {
    "CONCATENATION": (10, (("axis", "Int32", 0), ("fused_activation_function", "Int8", 0))),
    "ADD": (11, (("fused_activation_function", "Int8", 0), ("pot_scale_int16", "Bool", True))),
    "MUL": (21, (("fused_activation_function", "Int8", 0),)),
    "SUB": (28, (("fused_activation_function", "Int8", 0), ("pot_scale_int16", "Bool", True))),
    "DIV": (29, (("fused_activation_function", "Int8", 0),)),
    "GATHER": (23, (("axis", "Int32", 0), ("batch_dims", "Int32", 0))),
    "FULLY_CONNECTED": (8, (("fused_activation_function", "Int8", 0), ("weights_format", "Int8", 0),
                            ("keep_num_dims", "Bool", False),
                            ("asymmetric_quantize_inputs", "Bool", False),
                            ("quantized_bias_type", "Int8", 0))),
    "STRIDED_SLICE": (32, (("begin_mask", "Int32", 0), ("end_mask", "Int32", 0),
                           ("ellipsis_mask", "Int32", 0), ("new_axis_mask", "Int32", 0),
                           ("shrink_axis_mask", "Int32", 0), ("offset", "Bool", False))),
}


@dataclass
class _Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    buffer: int
    quantization: tuple[float, int] | None = None  # (scale, zero point), per tensor


@dataclass
class _Op:
    opcode: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: tuple[int, dict] | None = None  # (union type, field values)
    custom_options: bytes | None = None


@dataclass
class ModelWriter:
    """Collects tensors and ops, then :meth:`finish` writes the flatbuffer.

    Tensors are referred to by the index the adding method returns. Options of a custom
    op are a flat dict of ints and bools, stored as a flexbuffer map (whose keys the
    flexbuffers module sorts, which is the order TFLM's kernels read them by index in).
    """

    description: str = "edgetf"
    _tensors: list[_Tensor] = field(default_factory=list)
    _buffers: list[bytes] = field(default_factory=lambda: [b""])
    _opcodes: list[tuple[int, str | None]] = field(default_factory=list)
    _ops: list[_Op] = field(default_factory=list)
    _inputs: list[int] = field(default_factory=list)

    def tensor(self, name: str, shape: tuple[int, ...], dtype: str,
               quantization: tuple[float, int] | None = None) -> int:
        """An activation tensor (no data) of a numpy-style ``dtype`` name, with a
        per-tensor ``(scale, zero_point)`` when it holds quantized values."""
        if dtype not in _TYPES:
            raise ValueError(f"unknown tensor type {dtype!r}")
        self._tensors.append(_Tensor(name, tuple(int(d) for d in shape), dtype, 0,
                                     quantization))
        return len(self._tensors) - 1

    def input(self, name: str, shape: tuple[int, ...], dtype: str,
              quantization: tuple[float, int] | None = None) -> int:
        """A model input (in the order of calls)."""
        index = self.tensor(name, shape, dtype, quantization)
        self._inputs.append(index)
        return index

    def constant(self, name: str, array: np.ndarray | int, dtype: str | None = None,
                 quantization: tuple[float, int] | None = None) -> int:
        """A constant tensor holding ``array`` (a scalar gives shape ``()``), with a
        per-tensor ``(scale, zero_point)`` when it holds quantized values."""
        value = np.asarray(array)
        dtype = dtype or value.dtype.name
        data = np.ascontiguousarray(value, dtype=NUMPY_DTYPES[dtype]).tobytes()
        self._buffers.append(data)
        self._tensors.append(_Tensor(name, tuple(value.shape), dtype, len(self._buffers) - 1,
                                     quantization))
        return len(self._tensors) - 1

    def builtin(self, name: str, inputs: list[int], outputs: list[int], **options) -> None:
        """A builtin op; ``options`` are its options table's fields by schema name."""
        table = None
        if name in _OPTION_TABLES:
            kind, fields = _OPTION_TABLES[name]
            unknown = set(options) - {f for f, _, _ in fields}
            if unknown:
                raise ValueError(f"{name} has no option {sorted(unknown)}")
            table = (kind, {f: options.get(f, default) for f, _, default in fields})
        elif options:
            raise ValueError(f"edgetf writes no options table for {name}")
        self._ops.append(_Op(self._opcode(_CODES[name], None), tuple(inputs), tuple(outputs),
                             table))

    def custom(self, code: str, inputs: list[int], outputs: list[int],
               options: dict[str, int | bool]) -> None:
        """A custom op (``CUSTOM:<code>``) with its options as a flexbuffer map."""
        self._ops.append(_Op(self._opcode(_CUSTOM, code), tuple(inputs), tuple(outputs),
                             custom_options=bytes(flexbuffers.Dumps(dict(options)))))

    def _opcode(self, builtin: int, custom: str | None) -> int:
        key = (builtin, custom)
        if key not in self._opcodes:
            self._opcodes.append(key)
        return self._opcodes.index(key)

    def finish(self, outputs: list[int], subgraph_name: str = "main") -> bytes:
        """The model's bytes, with ``outputs`` as the subgraph's outputs."""
        b = fb.Builder(1024)
        buffers = [_buffer(b, data) for data in self._buffers]
        tensors = [_tensor(b, t) for t in self._tensors]
        ops = [_operator(b, op) for op in self._ops]
        codes = [_operator_code(b, builtin, custom) for builtin, custom in self._opcodes]
        name = b.CreateString(subgraph_name)
        tensor_vec = _offsets(b, tensors)
        inputs = _ints(b, self._inputs)
        outs = _ints(b, outputs)
        op_vec = _offsets(b, ops)
        b.StartObject(5)  # SubGraph
        b.PrependUOffsetTRelativeSlot(0, tensor_vec, 0)
        b.PrependUOffsetTRelativeSlot(1, inputs, 0)
        b.PrependUOffsetTRelativeSlot(2, outs, 0)
        b.PrependUOffsetTRelativeSlot(3, op_vec, 0)
        b.PrependUOffsetTRelativeSlot(4, name, 0)
        subgraph = b.EndObject()
        code_vec = _offsets(b, codes)
        subgraphs = _offsets(b, [subgraph])
        description = b.CreateString(self.description)
        buffer_vec = _offsets(b, buffers)
        b.StartObject(5)  # Model
        b.PrependUint32Slot(0, _SCHEMA_VERSION, 0)
        b.PrependUOffsetTRelativeSlot(1, code_vec, 0)
        b.PrependUOffsetTRelativeSlot(2, subgraphs, 0)
        b.PrependUOffsetTRelativeSlot(3, description, 0)
        b.PrependUOffsetTRelativeSlot(4, buffer_vec, 0)
        b.Finish(b.EndObject(), file_identifier=_IDENTIFIER)
        return bytes(b.Output())


def _offsets(b: fb.Builder, items: list[int]) -> int:
    b.StartVector(4, len(items), 4)
    for item in reversed(items):
        b.PrependUOffsetTRelative(item)
    return b.EndVector()


def _ints(b: fb.Builder, values) -> int:
    return b.CreateNumpyVector(np.asarray(values, dtype="<i4"))


def _buffer(b: fb.Builder, data: bytes) -> int:
    vec = None
    if data:
        b.StartVector(1, len(data), 16)
        b.head -= len(data)
        b.Bytes[b.head:b.head + len(data)] = data
        vec = b.EndVector()
    b.StartObject(3)  # Buffer: data, offset, size
    if vec is not None:
        b.PrependUOffsetTRelativeSlot(0, vec, 0)
    return b.EndObject()


def _tensor(b: fb.Builder, t: _Tensor) -> int:
    name = b.CreateString(t.name)
    shape = _ints(b, t.shape)
    quantization = None
    if t.quantization is not None:
        scale = b.CreateNumpyVector(np.array([t.quantization[0]], dtype="<f4"))
        zero_point = b.CreateNumpyVector(np.array([t.quantization[1]], dtype="<i8"))
        b.StartObject(7)  # QuantizationParameters: min, max, scale, zero_point, ...
        b.PrependUOffsetTRelativeSlot(2, scale, 0)
        b.PrependUOffsetTRelativeSlot(3, zero_point, 0)
        quantization = b.EndObject()
    b.StartObject(6)  # Tensor: shape, type, buffer, name, quantization, is_variable
    b.PrependUOffsetTRelativeSlot(0, shape, 0)
    b.PrependInt8Slot(1, _TYPES[t.dtype], 0)
    b.PrependUint32Slot(2, t.buffer, 0)
    b.PrependUOffsetTRelativeSlot(3, name, 0)
    if quantization is not None:
        b.PrependUOffsetTRelativeSlot(4, quantization, 0)
    return b.EndObject()


def _operator(b: fb.Builder, op: _Op) -> int:
    inputs = _ints(b, op.inputs)
    outputs = _ints(b, op.outputs)
    options = custom = None
    if op.options is not None:
        kind, values = op.options
        fields = _OPTION_TABLES_BY_TYPE[kind]
        b.StartObject(len(fields))
        for slot, (fname, scalar, default) in enumerate(fields):
            getattr(b, f"Prepend{scalar}Slot")(slot, values[fname], default)
        options = b.EndObject()
    if op.custom_options is not None:
        custom = b.CreateNumpyVector(np.frombuffer(op.custom_options, dtype=np.uint8))
    b.StartObject(7)  # Operator: opcode_index, inputs, outputs, options type, options,
    b.PrependUint32Slot(0, op.opcode, 0)  # custom_options, custom_options_format
    b.PrependUOffsetTRelativeSlot(1, inputs, 0)
    b.PrependUOffsetTRelativeSlot(2, outputs, 0)
    if options is not None:
        b.PrependUint8Slot(3, op.options[0], 0)
        b.PrependUOffsetTRelativeSlot(4, options, 0)
    if custom is not None:
        b.PrependUOffsetTRelativeSlot(5, custom, 0)  # format 0: FLEXBUFFERS
    return b.EndObject()


def _operator_code(b: fb.Builder, builtin: int, custom: str | None) -> int:
    name = b.CreateString(custom) if custom is not None else None
    b.StartObject(4)  # OperatorCode: deprecated_builtin_code, custom_code, version,
    b.PrependInt8Slot(0, min(builtin, 127), 0)  # builtin_code (127: see the int32)
    if name is not None:
        b.PrependUOffsetTRelativeSlot(1, name, 0)
    b.PrependInt32Slot(2, 1, 1)
    b.PrependInt32Slot(3, builtin, 0)
    return b.EndObject()


_OPTION_TABLES_BY_TYPE = {kind: fields for kind, fields in _OPTION_TABLES.values()}
