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
or hostile file raises :class:`~edgetf.base.errors.TfliteFormatError` quickly instead of
crashing, hanging or exhausting memory. Nothing here recurses: the schema's nesting
(model -> subgraph -> tensor -> quantization) is fixed.
"""

from __future__ import annotations

import os
from math import isfinite

from edgetf.base.errors import TfliteFormatError
from edgetf.tflite.flatbuffer import REDO, ROOT, Buffer, Table, checked_indices
from edgetf.tflite.model import Operator, Quantization, Subgraph, Tensor, TfliteModel
from edgetf.tflite.op_options import decode_options
from edgetf.tflite.ops import op_name
from edgetf.tflite.types import TENSOR_TYPES

_IDENTIFIER = b"TFL3"
# Magic numbers of files people pass by mistake, to say what they passed instead.
_OTHER_FORMATS = {
    b"PK\x03\x04": "a zip archive (a Keras .keras file or a zipped model?)",
    b"\x89HDF": "an HDF5 file (a Keras .h5 model?)",
}


def _buffer_data(buf: Buffer, table: Table) -> bytes:
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


def _tensor(buf: Buffer, t: Table, index: int, buffers: list[bytes]) -> Tensor:
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
    return Tensor(
        index=index,
        name=_unread_by_tflm(lambda: t.string(3, "name"), UNREADABLE_NAME),
        shape=shape,
        shape_signature=_unread_by_tflm(lambda: _signature(buf, t), None),
        dtype=TENSOR_TYPES[type_code],
        buffer=buffer,
        data=buffers[buffer],
        quantization=quantization,
        is_variable=bool(t.scalar(5, "<B", "is_variable")),
    )


#: What a name TFLM never reads shows when its bytes are damaged.
UNREADABLE_NAME = "\ufffd(unreadable name)"


def _unread_by_tflm(read, fallback):
    """A field TFLM never reads (names, the description, shape signatures): damage there
    must not make edgetf refuse a model the board runs, so it reads as ``fallback``. The
    reads stay bounds-checked; only their verdict changes. An absent string reads as ""
    (the schema makes them optional, and edgetf's own device models leave names out)."""
    try:
        value = read()
    except TfliteFormatError:
        return fallback
    if value is None and isinstance(fallback, str):
        return ""
    return value


def _signature(buf: Buffer, t: Table) -> tuple[int, ...] | None:
    signature = t.numbers(7, "i", "shape_signature")
    return None if signature is None else _shape(buf, t, signature, "shape_signature")


def _quantization(buf: Buffer, t: Table, q: Table, scales: tuple[float, ...],
                  rank: int) -> Quantization:
    """Scales, zero points and axis as TFLM reads them, plus finite scales: every
    consumer divides or multiplies by them (XNNPACK refuses NaN too).

    Zero points: TFLM's allocator takes one per scale when the counts agree, else the
    first for every channel (micro_allocator.cc, tflite-micro 90b983c), so any count but
    zero runs; the tuple here is what TFLM uses, one per scale. (LiteRT insists on equal
    counts.)"""
    zero_points = q.numbers(3, "q", "zero_point") or ()
    if not zero_points:
        buf.fail(f"corrupt: {t.what} has {len(scales)} quantization scales but no zero "
                 "point, which TFLM would read past")
    if len(zero_points) != len(scales):
        zero_points = (zero_points[0],) * len(scales)
    if not all(isfinite(scale) for scale in scales):
        buf.fail(f"corrupt: {t.what} has a quantization scale that is not a finite number")
    # The axis is not checked here: TFLM's allocator copies it unread, and TFLM's
    # person_detect example (which runs on every board) has 1-D bias tensors with 8
    # scales along quantized_dimension 3. Where a kernel does index the shape with it,
    # _check_axes_tflm_reads refuses it. (LiteRT is stricter: it refuses such models.)
    axis = q.scalar(6, "<i", "quantized_dimension")
    return Quantization(scales=scales, zero_points=zero_points, quantized_dimension=axis)


#: TFLite's runtimes hold dimensions and element counts in 32-bit ints (TfLiteIntArray,
#: TFLM's ElementCount): a shape beyond that overflows them, and would make edgetf
#: allocate gigabytes for golden vectors, so it is corruption, not a big model.
_MAX_ELEMENTS = (1 << 31) - 1


def _shape(buf: Buffer, t: Table, dims: tuple[int, ...], name: str) -> tuple[int, ...]:
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


def _subgraph(buf: Buffer, g: Table, opcodes: list, buffers: list[bytes]) -> Subgraph:
    tensors = tuple(
        _tensor(buf, t, i, buffers) for i, t in enumerate(g.tables(0, "tensors", "tensor"))
    )
    n = len(tensors)
    operators = []
    for i, op in enumerate(g.tables(3, "operators", "operator")):
        (opcode_index,) = checked_indices(
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
                inputs=checked_indices(
                    buf, op.numbers(1, "i", "inputs"), n, f"{op.what} input", optional=True
                ),
                outputs=checked_indices(buf, op.numbers(2, "i", "outputs"), n, f"{op.what} output"),
                options=decode_options(name, op),
            )
        )
    _check_axes_tflm_reads(buf, tensors, operators)
    return Subgraph(
        name=_unread_by_tflm(lambda: g.string(4, "name"), UNREADABLE_NAME),
        tensors=tensors,
        inputs=checked_indices(buf, g.numbers(1, "i", "inputs"), n, f"{g.what} input"),
        outputs=checked_indices(buf, g.numbers(2, "i", "outputs"), n, f"{g.what} output"),
        operators=tuple(operators),
    )


def _model(buf: Buffer) -> TfliteModel:
    root = buf.table(buf.follow(0, "the root table offset"), ROOT)
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
        (index,) = checked_indices(
            buf, (m.scalar(1, "<I", "buffer"),), len(buffers), f"{m.what} buffer", "buffer"
        )
        # Strict, unlike other names: TFLM looks metadata up by name (the offline
        # memory plan, "OfflineMemoryAllocation").
        metadata.append((m.string(0, "name") or "", buffers[index]))
    return TfliteModel(
        version=root.scalar(0, "<I", "version"),
        description=_unread_by_tflm(lambda: root.string(3, "description"), ""),
        subgraphs=subgraphs,
        size=buf.size,
        metadata=tuple(metadata),
    )


def read_tflite(data: bytes | bytearray | memoryview, source: str = "model") -> TfliteModel:
    """Decode a TFLite flatbuffer; any problem raises TfliteFormatError naming ``source``."""
    view = memoryview(data).cast("B")
    buf = Buffer(view, source)
    if len(view) == 0:
        buf.fail("empty file", "pass a .tflite file produced by the TFLite converter")
    for magic, kind in _OTHER_FORMATS.items():
        if bytes(view[:4]) == magic:
            buf.fail(
                f"not a TFLite flatbuffer, this is {kind}", "convert the model to .tflite first"
            )
    if len(view) < 8:
        buf.fail(f"too short for a TFLite flatbuffer ({len(view)} bytes)", REDO)
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


#: Ops whose TFLM kernel indexes a per-channel input's shape with its quantized_dimension,
#: unchecked, by input position: FULLY_CONNECTED's Prepare compares the scale count with
#: ``filter->dims->data[quantized_dimension]`` (kernels/fully_connected_common.cc,
#: tflite-micro 90b983c). Conv and depthwise use fixed axes; biases' axes are never read.
_AXIS_READ_BY_KERNEL = {"FULLY_CONNECTED": (1,)}


def _check_axes_tflm_reads(buf: Buffer, tensors: tuple[Tensor, ...],
                           operators: list[Operator]) -> None:
    """A per-channel tensor whose axis lies outside its shape, where a TFLM kernel reads
    the shape at that axis: a read past the dims array, which is what would crash TFLM."""
    for op in operators:
        for position in _AXIS_READ_BY_KERNEL.get(op.name, ()):
            if position >= len(op.inputs) or op.inputs[position] < 0:
                continue
            tensor = tensors[op.inputs[position]]
            q = tensor.quantization
            rank = len(tensor.shape)
            if q is not None and len(q.scales) > 1 and not 0 <= q.quantized_dimension < rank:
                buf.fail(f"corrupt: tensor {tensor.index} (input {position} of {op.name} op"
                         f" {op.index}) has {len(q.scales)} quantization scales along"
                         f" quantized_dimension {q.quantized_dimension}, outside its {rank}"
                         " dimensions, which TFLM's kernel would index")
