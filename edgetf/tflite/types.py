"""Lookup tables for TFLite tensor types: schema code -> name -> numpy dtype and element size.

``TENSOR_TYPES`` is ``enum TensorType`` in ``tensorflow/compiler/mlir/lite/schema/schema.fbs``
(tflite-micro commit 90b983c2b3f1, schema 3d; types 0..22). Imports only numpy.
"""

from __future__ import annotations

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
