"""Read a ``.tflite`` model from bytes without TensorFlow, and without trusting it.

``inspect`` and ``emit-firmware`` must not import TensorFlow, and the TFLM Python
interpreter can crash the whole process on a malformed model (SIGSEGV, SIGFPE seen), so
edgetf checks every flatbuffer itself before anything else touches it. This module is a
small flatbuffer decoder written with :mod:`struct` for the few tables of the TFLite
schema (``tensorflow/compiler/mlir/lite/schema/schema.fbs``, version 3d) that edgetf
needs. Field numbers below are vtable slots: the order of the fields in the schema,
where a union field takes two slots (its ``_type`` byte, then the value).

Every offset, length and string is checked against the buffer before it is read, and
the total amount decoded is capped at a small multiple of the file size, so a corrupt
or hostile file raises :class:`~edgetf.errors.TfliteFormatError` quickly instead of
crashing, hanging or exhausting memory. Nothing here recurses: the schema's nesting
(model -> subgraph -> tensor -> quantization) is fixed.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass, field
from math import isfinite, prod
from typing import NoReturn

import numpy as np

from edgetf.errors import TfliteFormatError
from edgetf.tflite_ops import NUMPY_DTYPES, TENSOR_TYPES, op_name

_IDENTIFIER = b"TFL3"
_ROOT = "the model"  # how errors name the root table
_REDO = "the file is incomplete or damaged, copy or export it again"
_REEXPORT = "export the model again with the TFLite converter"
# Magic numbers of files people pass by mistake, to say what they passed instead.
_OTHER_FORMATS = {
    b"PK\x03\x04": "a zip archive (a Keras .keras file or a zipped model?)",
    b"\x89HDF": "an HDF5 file (a Keras .h5 model?)",
}
# Control characters and bidi overrides in a name, a custom op code or a description:
# printed by inspect and in error messages, an escape sequence from a hostile file would
# drive the user's terminal, so they become U+FFFD (generated C escapes text anyway).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_PADDING = {0: "SAME", 1: "VALID"}
_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
_WEIGHTS_FORMATS = {0: "DEFAULT", 1: "SHUFFLED4x16INT8"}


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``, per channel along an axis."""

    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int


@dataclass(frozen=True)
class Tensor:
    """One tensor of a subgraph; ``data`` is its constant value, ``b""`` for activations."""

    index: int
    name: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...] | None
    dtype: str
    buffer: int
    data: bytes
    quantization: Quantization | None
    is_variable: bool

    def array(self) -> np.ndarray:
        """The constant data as a read-only array of ``shape``; raises if it cannot be one."""
        where = f"tensor {self.index} '{self.name}'"
        dtype = NUMPY_DTYPES.get(self.dtype)
        if dtype is None:
            raise TfliteFormatError(
                f"{where}: {self.dtype} data cannot be read as a numpy array;"
                " only whole-byte numeric types are supported"
            )
        expected = prod(self.shape) * dtype.itemsize
        if any(d < 0 for d in self.shape) or len(self.data) != expected:
            raise TfliteFormatError(
                f"{where}: holds {len(self.data)} bytes of data but shape {list(self.shape)}"
                f" of {self.dtype} needs {expected}; it is not a constant (or it is sparse),"
                " read only tensors whose buffer has data"
            )
        return np.frombuffer(self.data, dtype=dtype).reshape(self.shape)


@dataclass(frozen=True)
class Operator:
    """One operator; ``-1`` in ``inputs`` is an absent optional input.

    ``options`` holds the decoded builtin options (enums as schema names) for the ops
    edgetf generates code for or counts the cost of, and is empty for other ops or when
    the model stores none (TFLM then uses its defaults). It is left out of the hash,
    being a dict.
    """

    index: int
    opcode_index: int
    builtin_code: int
    name: str
    custom_code: str | None
    version: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Subgraph:
    """A graph of operators over tensors; ``inputs``/``outputs`` are tensor indices."""

    name: str
    tensors: tuple[Tensor, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    operators: tuple[Operator, ...]


@dataclass(frozen=True)
class TfliteModel:
    """A decoded ``.tflite`` file; ``size`` is the file size in bytes."""

    version: int
    description: str
    subgraphs: tuple[Subgraph, ...]
    size: int
    metadata: tuple[tuple[str, bytes], ...] = ()

    @property
    def main(self) -> Subgraph:
        """Subgraph 0, the one the interpreters run."""
        return self.subgraphs[0]

    def op_names(self) -> tuple[str, ...]:
        """Sorted builtin names used anywhere in the model; custom ops as ``CUSTOM:<code>``."""
        names = {
            f"CUSTOM:{op.custom_code}" if op.name == "CUSTOM" else op.name
            for graph in self.subgraphs
            for op in graph.operators
        }
        return tuple(sorted(names))

    def input_tensors(self) -> tuple[Tensor, ...]:
        """The main subgraph's input tensors, in order."""
        return tuple(self.main.tensors[i] for i in self.main.inputs)

    def output_tensors(self) -> tuple[Tensor, ...]:
        """The main subgraph's output tensors, in order."""
        return tuple(self.main.tensors[i] for i in self.main.outputs)

    def metadata_names(self) -> tuple[str, ...]:
        """Names of the model's metadata entries (e.g. ``min_runtime_version``)."""
        return tuple(name for name, _ in self.metadata)


class _Buf:
    """Bounds-checked reads from the file, with a budget on the total work done.

    A legitimate file decodes each byte about once; a crafted one can point many
    tables at one large vector. The budget (bytes decoded) stops that amplification.
    """

    def __init__(self, data: memoryview, source: str) -> None:
        self.data = data
        self.size = len(data)
        self.source = source
        self.budget = 4 * self.size + (1 << 16)

    def fail(self, problem: str, fix: str = _REEXPORT) -> NoReturn:
        raise TfliteFormatError(f"{self.source}: {problem}; {fix}")

    def check(self, pos: int, length: int, what: str) -> None:
        if pos < 0 or pos + length > self.size:
            self.fail(
                f"truncated: {what} points past the end of the file"
                f" (offset {pos + length} > size {self.size})",
                _REDO,
            )

    def spend(self, amount: int, what: str) -> None:
        self.budget -= amount
        if self.budget < 0:
            self.fail(f"corrupt: {what} makes the file decode to far more data than it holds")

    def unpack(self, fmt: str, pos: int, what: str):
        self.check(pos, struct.calcsize(fmt), what)
        return struct.unpack_from(fmt, self.data, pos)

    def follow(self, pos: int, what: str) -> int:
        """Target of the 32-bit forward offset stored at ``pos``."""
        (offset,) = self.unpack("<I", pos, what)
        if offset == 0 or offset >= 1 << 31:
            self.fail(f"corrupt: {what} has an invalid offset ({offset})")
        self.check(pos + offset, 4, what)
        return pos + offset

    def table(self, pos: int, what: str) -> _Table:
        self.spend(4, what)
        (soffset,) = self.unpack("<i", pos, what)
        vtable = pos - soffset
        vt_len, tb_len = self.unpack("<HH", vtable, f"{what} vtable")
        if vt_len < 4 or vt_len % 2 or tb_len < 4:
            self.fail(f"corrupt: {what} has an invalid vtable ({vt_len}, {tb_len} bytes)")
        self.check(vtable, vt_len, f"{what} vtable")
        self.check(pos, tb_len, what)
        return _Table(self, pos, vtable, vt_len, tb_len, what)

    def vector(self, pos: int, item_size: int, what: str) -> tuple[int, int]:
        """``(start, count)`` of the vector whose length prefix is at ``pos``."""
        (count,) = self.unpack("<I", pos, what)
        start = pos + 4
        if count * item_size > self.size - start:  # a short file, or a garbage count
            self.fail(
                f"truncated or corrupt: {what} claims {count} entries, which end past the"
                f" end of the file (offset {start + count * item_size} > size {self.size})",
                _REDO,
            )
        return start, count


class _Table:
    """One flatbuffer table: field lookup by vtable slot, with schema defaults."""

    __slots__ = ("buf", "pos", "vtable", "vt_len", "tb_len", "what")

    def __init__(self, buf: _Buf, pos: int, vtable: int, vt_len: int, tb_len: int, what: str):
        self.buf, self.pos, self.vtable = buf, pos, vtable
        self.vt_len, self.tb_len, self.what = vt_len, tb_len, what

    def _field(self, slot: int, width: int, name: str) -> int | None:
        entry = 4 + 2 * slot
        if entry >= self.vt_len:
            return None
        (offset,) = struct.unpack_from("<H", self.buf.data, self.vtable + entry)
        if offset == 0:
            return None
        if offset + width > self.tb_len:
            self.buf.fail(f"corrupt: {self.what} field '{name}' lies outside its table")
        return self.pos + offset

    def scalar(self, slot: int, fmt: str, name: str, default=0):
        pos = self._field(slot, struct.calcsize(fmt), name)
        return default if pos is None else struct.unpack_from(fmt, self.buf.data, pos)[0]

    def _target(self, slot: int, name: str) -> int | None:
        pos = self._field(slot, 4, name)
        return None if pos is None else self.buf.follow(pos, f"{self.what} {name}")

    def table(self, slot: int, name: str) -> _Table | None:
        target = self._target(slot, name)
        return None if target is None else self.buf.table(target, f"{self.what} {name}")

    def tables(self, slot: int, name: str, item: str) -> list[_Table]:
        """A vector of tables; each is described as e.g. "subgraph 0 tensor 3" in errors."""
        target = self._target(slot, name)
        if target is None:
            return []
        start, count = self.buf.vector(target, 4, f"{self.what} {name}")
        prefix = "" if self.what == _ROOT else f"{self.what} "
        items = []
        for i in range(count):
            what = f"{prefix}{item} {i}"
            items.append(self.buf.table(self.buf.follow(start + 4 * i, what), what))
        return items

    def numbers(self, slot: int, code: str, name: str) -> tuple | None:
        """A vector of scalars (struct code ``code``), None when absent."""
        target = self._target(slot, name)
        if target is None:
            return None
        size = struct.calcsize(code)
        start, count = self.buf.vector(target, size, f"{self.what} {name}")
        self.buf.spend(count * size, f"{self.what} {name}")
        return struct.unpack_from(f"<{count}{code}", self.buf.data, start)

    def raw(self, slot: int, name: str, string: bool = False) -> bytes | None:
        """A ``[ubyte]`` vector, or a string's bytes (which must end in a NUL)."""
        target = self._target(slot, name)
        if target is None:
            return None
        what = f"{self.what} {name}"
        start, count = self.buf.vector(target, 1, what)
        if string:
            self.buf.check(start, count + 1, what)
            if self.buf.data[start + count] != 0:
                self.buf.fail(f"corrupt: {what} is not NUL-terminated")
        self.buf.spend(count, what)
        return bytes(self.buf.data[start : start + count])

    def string(self, slot: int, name: str) -> str | None:
        data = self.raw(slot, name, string=True)
        if data is None:
            return None
        return _UNPRINTABLE.sub("\ufffd", data.decode("utf-8", errors="replace"))


def _indices(buf: _Buf, values, limit: int, what: str, noun: str = "tensor", optional=False):
    """Indices into a table of ``limit`` entries, each checked (-1 allowed if ``optional``).

    The interpreters index arrays with these without checking; a bad one is the classic
    way a corrupt model crashes TFLM, so it is caught here.
    """
    for i, value in enumerate(values or ()):
        if not (0 <= value < limit or (optional and value == -1)):
            buf.fail(f"corrupt: {what} {i} refers to {noun} {value}, but there are {limit}")
    return tuple(values or ())


# Builtin op -> the BuiltinOptions union type its options table must have (schema order).
_OPTIONS_TYPE = {
    "CONV_2D": 1,
    "DEPTHWISE_CONV_2D": 2,
    "AVERAGE_POOL_2D": 5,
    "MAX_POOL_2D": 5,
    "FULLY_CONNECTED": 8,
    "SOFTMAX": 9,
    "ADD": 11,
    "RESHAPE": 17,
    "MUL": 21,
    "TRANSPOSE_CONV": 49,
    "BATCH_MATMUL": 101,
}


def _options(name: str, op: _Table) -> dict:
    """Decode the builtin options edgetf uses; enums come back as their schema names."""
    kind = op.scalar(3, "<B", "builtin_options_type")
    # TFLM ignores options of the wrong union type (the accessor returns null), so do we.
    if _OPTIONS_TYPE.get(name) != kind or (t := op.table(4, "builtin_options")) is None:
        return {}

    def enum(slot: int, names: dict, field_name: str) -> str:
        value = t.scalar(slot, "<b", field_name)
        return names.get(value, f"UNKNOWN_{value}")

    def i32(slot: int, field_name: str, default: int = 0) -> int:
        return t.scalar(slot, "<i", field_name, default)

    if name == "FULLY_CONNECTED":
        return {
            "fused_activation": enum(0, _ACTIVATIONS, "fused_activation_function"),
            "weights_format": enum(1, _WEIGHTS_FORMATS, "weights_format"),
            "keep_num_dims": bool(t.scalar(2, "<B", "keep_num_dims")),
        }
    if name == "SOFTMAX":
        return {"beta": t.scalar(0, "<f", "beta", 0.0)}
    if name == "RESHAPE":
        new_shape = t.numbers(0, "i", "new_shape")
        return {} if new_shape is None else {"new_shape": new_shape}
    if name in ("ADD", "MUL"):
        return {"fused_activation": enum(0, _ACTIVATIONS, "fused_activation_function")}
    if name == "BATCH_MATMUL":
        return {"adj_x": bool(t.scalar(0, "<B", "adj_x")),
                "adj_y": bool(t.scalar(1, "<B", "adj_y"))}
    # Convolutions (transposed too) and pools share padding, stride_w, stride_h in slots 0..2.
    opts = {
        "padding": enum(0, _PADDING, "padding"),
        "stride_w": i32(1, "stride_w"),
        "stride_h": i32(2, "stride_h"),
    }
    if name == "CONV_2D":
        opts["fused_activation"] = enum(3, _ACTIVATIONS, "fused_activation_function")
        opts["dilation_w"] = i32(4, "dilation_w_factor", 1)
        opts["dilation_h"] = i32(5, "dilation_h_factor", 1)
    elif name == "DEPTHWISE_CONV_2D":
        opts["depth_multiplier"] = i32(3, "depth_multiplier")
        opts["fused_activation"] = enum(4, _ACTIVATIONS, "fused_activation_function")
        opts["dilation_w"] = i32(5, "dilation_w_factor", 1)
        opts["dilation_h"] = i32(6, "dilation_h_factor", 1)
    elif name == "TRANSPOSE_CONV":
        opts["fused_activation"] = enum(3, _ACTIVATIONS, "fused_activation_function")
    else:  # AVERAGE_POOL_2D, MAX_POOL_2D
        opts["filter_w"] = i32(3, "filter_width")
        opts["filter_h"] = i32(4, "filter_height")
        opts["fused_activation"] = enum(5, _ACTIVATIONS, "fused_activation_function")
    return opts


def _buffer_data(buf: _Buf, table: _Table) -> bytes:
    """A buffer's bytes: inline ``data``, or ``offset``/``size`` into the file when offset > 1.

    Models over 2 GB keep their weights after the flatbuffer; the schema says the offset
    counts from the start of the file and is only meaningful above 1 (the converter
    writes 1 as a placeholder while it serializes).
    """
    offset = table.scalar(1, "<Q", "offset")
    if offset > 1:
        size = table.scalar(2, "<Q", "size")
        buf.check(offset, size, f"{table.what} data")
        buf.spend(size, f"{table.what} data")
        return bytes(buf.data[offset : offset + size])
    return table.raw(0, "data") or b""


def _tensor(buf: _Buf, t: _Table, index: int, buffers: list[bytes]) -> Tensor:
    type_code = t.scalar(1, "<b", "type")
    if type_code not in TENSOR_TYPES:
        buf.fail(
            f"corrupt: {t.what} has tensor type code {type_code}, which no TFLite"
            " schema edgetf knows defines"
        )
    buffer = t.scalar(2, "<I", "buffer")
    if buffer >= len(buffers):
        buf.fail(f"corrupt: {t.what} refers to buffer {buffer}, but there are {len(buffers)}")
    shape = _shape(buf, t, t.numbers(0, "i", "shape") or (), "shape")
    quantization = None
    if (q := t.table(4, "quantization")) is not None:
        scales = q.numbers(2, "f", "scale")
        if scales:
            quantization = _quantization(buf, t, q, scales, len(shape))
    signature = t.numbers(7, "i", "shape_signature")
    return Tensor(
        index=index,
        name=t.string(3, "name") or "",
        shape=shape,
        shape_signature=None if signature is None else _shape(buf, t, signature,
                                                               "shape_signature"),
        dtype=TENSOR_TYPES[type_code],
        buffer=buffer,
        data=buffers[buffer],
        quantization=quantization,
        is_variable=bool(t.scalar(5, "<B", "is_variable")),
    )


def _quantization(buf: _Buf, t: _Table, q: _Table, scales: tuple[float, ...],
                  rank: int) -> Quantization:
    """Scales, zero points and axis, checked as LiteRT's InterpreterBuilder checks them
    (one zero point per scale, an axis inside the shape), plus finite scales: every
    consumer divides or multiplies by them (XNNPACK refuses NaN too)."""
    zero_points = q.numbers(3, "q", "zero_point") or ()
    if len(zero_points) != len(scales):
        buf.fail(f"corrupt: {t.what} has {len(scales)} quantization scales but"
                 f" {len(zero_points)} zero points")
    if not all(isfinite(scale) for scale in scales):
        buf.fail(f"corrupt: {t.what} has a quantization scale that is not a finite number")
    axis = q.scalar(6, "<i", "quantized_dimension")
    if axis < 0 or (rank and axis >= rank):
        buf.fail(f"corrupt: {t.what} has quantized_dimension {axis}, outside its"
                 f" {rank} dimensions")
    return Quantization(scales=scales, zero_points=zero_points, quantized_dimension=axis)


#: TFLite's runtimes hold dimensions and element counts in 32-bit ints (TfLiteIntArray,
#: TFLM's ElementCount): a shape beyond that overflows them, and would make edgetf
#: allocate gigabytes for golden vectors, so it is corruption, not a big model.
_MAX_ELEMENTS = (1 << 31) - 1


def _shape(buf: _Buf, t: _Table, dims: tuple[int, ...], name: str) -> tuple[int, ...]:
    """``dims``, checked: each >= 0 (-1 too in ``shape_signature``, where it marks a
    dynamic dimension; LiteRT refuses it in ``shape``), and an element count that fits
    in 32 bits."""
    lowest = -1 if name == "shape_signature" else 0
    count = 1
    for dim in dims:
        if dim < lowest:
            buf.fail(f"corrupt: {t.what} has {name} {_shown(dims)}, with a negative dimension")
        count *= max(dim, 1)  # zeros count as 1 here, as the arena estimate counts them
        if count > _MAX_ELEMENTS:
            buf.fail(f"corrupt: {t.what} has {name} {_shown(dims)}, more elements than the"
                     " 32-bit element counts of TFLite's runtimes allow")
    return dims


def _shown(dims: tuple[int, ...]) -> str:
    """A shape for an error message, shortened: a corrupt one may have thousands of dims."""
    return str(list(dims)) if len(dims) <= 8 else f"[{', '.join(map(str, dims[:8]))}, ...]"


def _subgraph(buf: _Buf, g: _Table, opcodes: list, buffers: list[bytes]) -> Subgraph:
    tensors = tuple(
        _tensor(buf, t, i, buffers) for i, t in enumerate(g.tables(0, "tensors", "tensor"))
    )
    n = len(tensors)
    operators = []
    for i, op in enumerate(g.tables(3, "operators", "operator")):
        (opcode_index,) = _indices(
            buf,
            (op.scalar(0, "<I", "opcode_index"),),
            len(opcodes),
            f"{op.what} opcode_index",
            "operator code",
        )
        code, custom_code, version = opcodes[opcode_index]
        name = op_name(code)
        operators.append(
            Operator(
                index=i,
                opcode_index=opcode_index,
                builtin_code=code,
                name=name,
                custom_code=custom_code,
                version=version,
                inputs=_indices(
                    buf, op.numbers(1, "i", "inputs"), n, f"{op.what} input", optional=True
                ),
                outputs=_indices(buf, op.numbers(2, "i", "outputs"), n, f"{op.what} output"),
                options=_options(name, op),
            )
        )
    return Subgraph(
        name=g.string(4, "name") or "",
        tensors=tensors,
        inputs=_indices(buf, g.numbers(1, "i", "inputs"), n, f"{g.what} input"),
        outputs=_indices(buf, g.numbers(2, "i", "outputs"), n, f"{g.what} output"),
        operators=tuple(operators),
    )


def _model(buf: _Buf) -> TfliteModel:
    root = buf.table(buf.follow(0, "the root table offset"), _ROOT)
    opcodes = []
    for c in root.tables(1, "operator_codes", "operator code"):
        # deprecated_builtin_code (int8) holds codes < 127; newer ones put 127 there and the
        # real code in builtin_code (int32). Old files lack builtin_code, new ones may leave
        # the int8 at 0: the larger of the two is the real code in every case.
        code = max(c.scalar(0, "<b", "deprecated_builtin_code"), c.scalar(3, "<i", "builtin_code"))
        opcodes.append((code, c.string(1, "custom_code"), c.scalar(2, "<i", "version", 1)))
    buffers = [_buffer_data(buf, b) for b in root.tables(4, "buffers", "buffer")]
    subgraphs = tuple(
        _subgraph(buf, g, opcodes, buffers) for g in root.tables(2, "subgraphs", "subgraph")
    )
    if not subgraphs:
        buf.fail("corrupt: the model has no subgraphs")
    metadata = []
    for m in root.tables(6, "metadata", "metadata entry"):
        (index,) = _indices(
            buf, (m.scalar(1, "<I", "buffer"),), len(buffers), f"{m.what} buffer", "buffer"
        )
        metadata.append((m.string(0, "name") or "", buffers[index]))
    return TfliteModel(
        version=root.scalar(0, "<I", "version"),
        description=root.string(3, "description") or "",
        subgraphs=subgraphs,
        size=buf.size,
        metadata=tuple(metadata),
    )


def read_tflite(data: bytes | bytearray | memoryview, source: str = "model") -> TfliteModel:
    """Decode a TFLite flatbuffer; any problem raises TfliteFormatError naming ``source``."""
    view = memoryview(data).cast("B")
    buf = _Buf(view, source)
    if len(view) == 0:
        buf.fail("empty file", "pass a .tflite file produced by the TFLite converter")
    for magic, kind in _OTHER_FORMATS.items():
        if bytes(view[:4]) == magic:
            buf.fail(
                f"not a TFLite flatbuffer, this is {kind}", "convert the model to .tflite first"
            )
    if len(view) < 8:
        buf.fail(f"too short for a TFLite flatbuffer ({len(view)} bytes)", _REDO)
    identifier = bytes(view[4:8])
    if identifier == _IDENTIFIER:
        return _model(buf)
    # The identifier is optional in the flatbuffer format, but every TFLite converter
    # writes it. Without it, accept the file only if it decodes as a whole; if it does not,
    # "wrong identifier" is the more useful message than wherever the decoding stopped.
    try:
        return _model(buf)
    except TfliteFormatError:
        pass
    shown = identifier.decode("latin-1")
    buf.fail(
        f"not a TFLite flatbuffer (file identifier is {shown!r}, expected 'TFL3')",
        "pass a .tflite file produced by the TFLite converter",
    )


def read_tflite_file(path: str | os.PathLike) -> TfliteModel:
    """Read and decode a ``.tflite`` file; errors name the path."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise TfliteFormatError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise TfliteFormatError(f"{path}: is a directory; pass a .tflite file") from None
    except OSError as e:
        raise TfliteFormatError(
            f"{path}: cannot be read ({e.strerror}); check its permissions"
        ) from None
    return read_tflite(data, str(path))
