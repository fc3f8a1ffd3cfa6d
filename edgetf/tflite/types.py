"""Lookup tables for TFLite tensor types: schema code -> name -> numpy dtype and element size,
and :func:`tensor_nbytes`, the one place edgetf computes how many bytes a tensor takes.

``TENSOR_TYPES`` is ``enum TensorType`` in ``tensorflow/compiler/mlir/lite/schema/schema.fbs``
(tflite-micro commit 90b983c2b3f1, schema 3d; types 0..22). Imports only numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import prod

import numpy as np

#: TFLite ``TensorType`` code -> numpy-style name (ml_dtypes names for the types numpy lacks).
TENSOR_TYPES: dict[int, str] = {
    0: "float32",
    1: "float16",
    2: "int32",
    3: "uint8",
    4: "int64",
    5: "string",
    6: "bool",
    7: "int16",
    8: "complex64",
    9: "int8",
    10: "float64",
    11: "complex128",
    12: "uint64",
    13: "resource",
    14: "variant",
    15: "uint32",
    16: "uint16",
    17: "int4",
    18: "bfloat16",
    19: "int2",
    20: "uint4",
    21: "float8_e4m3fn",
    22: "float8_e5m2",
}

#: Tensor type name -> numpy dtype, for the types plain numpy can hold element by element.
#: Missing: ``string`` and ``resource``/``variant`` (no fixed layout), the packed sub-byte
#: types ``int4``/``uint4``/``int2`` and ``bfloat16``/``float8_*`` (numpy has no such dtype).
NUMPY_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "float16": np.dtype("<f2"),
    "int32": np.dtype("<i4"),
    "uint8": np.dtype("u1"),
    "int64": np.dtype("<i8"),
    "bool": np.dtype("?"),
    "int16": np.dtype("<i2"),
    "complex64": np.dtype("<c8"),
    "int8": np.dtype("i1"),
    "float64": np.dtype("<f8"),
    "complex128": np.dtype("<c16"),
    "uint64": np.dtype("<u8"),
    "uint32": np.dtype("<u4"),
    "uint16": np.dtype("<u2"),
}

#: Bytes per element for the types with a fixed whole-byte element size (TFLite stores
#: everything little-endian). Sub-byte types pack two (int4/uint4) or four (int2) values
#: per byte; string/resource/variant have no fixed size.
ELEMENT_SIZES: dict[str, int] = {
    "float32": 4,
    "float16": 2,
    "int32": 4,
    "uint8": 1,
    "int64": 8,
    "bool": 1,
    "int16": 2,
    "complex64": 8,
    "int8": 1,
    "float64": 8,
    "complex128": 16,
    "uint64": 8,
    "uint32": 4,
    "uint16": 2,
    "bfloat16": 2,
    "float8_e4m3fn": 1,
    "float8_e5m2": 1,
}

#: Bits per element as a flatbuffer stores each type: the whole-byte types above, and the
#: sub-byte ones packed densely over the whole tensor (two int4/uint4 or four int2 values
#: per byte, the last byte padded). string/resource/variant have no fixed size.
STORED_ELEMENT_BITS: dict[str, int] = {
    **{name: 8 * size for name, size in ELEMENT_SIZES.items()},
    "int4": 4,
    "uint4": 4,
    "int2": 2,
}

#: Bytes per element of a tensor in TFLM's arena: ``TfLiteTypeSizeOf`` in
#: ``tensorflow/lite/micro/memory_helpers.cc`` (tflite-micro 90b983c2b3f1). TFLM holds an
#: int4 tensor unpacked, one value per byte, and a resource as an int32 handle; it rejects
#: the other types (string, variant, uint4, int2, float8), which therefore take no arena.
ARENA_ELEMENT_SIZES: dict[str, int] = {
    "float16": 2,
    "bfloat16": 2,
    "float32": 4,
    "float64": 8,
    "int16": 2,
    "int32": 4,
    "uint32": 4,
    "uint8": 1,
    "uint16": 2,
    "int8": 1,
    "int64": 8,
    "uint64": 8,
    "bool": 1,
    "resource": 4,
    "complex64": 8,
    "complex128": 16,
    "int4": 1,
}


def element_count(shape: Iterable[int]) -> int:
    """Elements of a tensor of ``shape``: a scalar (``()``) has one, a dynamic ``-1``
    dimension counts as 1 (TFLM runs it so), a ``0`` dimension makes the tensor empty."""
    return prod(1 if d < 0 else d for d in shape)


def tensor_nbytes(shape: Iterable[int], dtype: str, *, in_arena: bool = False) -> int:
    """Bytes of one tensor of ``shape`` and type ``dtype`` (a :data:`TENSOR_TYPES` name):
    as the flatbuffer stores its data (sub-byte types packed, rounded up to a whole byte),
    or with ``in_arena`` as TFLM allocates it (``TfLiteEvalTensorByteLength``: element
    count times :data:`ARENA_ELEMENT_SIZES`). 0 for a type with no fixed size there.

    Every byte size of a tensor in edgetf (the planner's buffers, the arena estimate,
    the golden vectors, the generated header's ``bytes``, the weight table, a constant's
    data check) is this function, so they cannot disagree.
    """
    count = element_count(shape)
    if in_arena:
        return count * ARENA_ELEMENT_SIZES.get(dtype, 0)
    return (count * STORED_ELEMENT_BITS.get(dtype, 0) + 7) // 8
