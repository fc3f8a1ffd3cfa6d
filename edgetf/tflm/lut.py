"""Look-up-table (LUT) weights as TFLM's ``TFLM_DECODE`` operator stores them, in numpy.

A constant tensor whose values take few distinct values per channel is stored as
``b``-bit indices into one value table per channel; at run time the DECODE operator
writes the values back into an arena tensor. This module holds the arithmetic of that
format, written from tflite-micro's ``tensorflow/lite/micro/docs/compression.md`` and
``kernels/decode_state_lut.cc`` (commit 90b983c; esp-tflite-micro 1.4.0 reads it the
same way):

- indices are packed most significant bit first, ``b`` bits each, in element order,
  the last byte padded with zero bits;
- the ancillary tensor is a 16-byte header (byte 0 decode type, 0 = LUT; byte 1 header
  version 1; byte 4 LUT version 1; byte 5 ``axis << 4 | b``, axis 15 meaning one table;
  byte 6 the table stride in elements) followed by the tables, ``stride`` values each;
- the channels are the decoded tensor's quantization channels: one table per scale,
  along ``quantized_dimension``, which the kernels accept only as the first or the
  last axis. A tensor with one scale has one table.

edgetf uses it to decide what to compress (:func:`table_bits`), to check the bytes the
tflite-micro compressor writes (:func:`decode`, the lossless round trip) and to report
sizes without building a model (:func:`packed_bytes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgetf.tflite.types import element_count

MAX_BITS = 7
"""The widest index the header's 3-bit field holds: at most 128 values per channel."""
HEADER_BYTES = 16
PER_TENSOR_AXIS = 0xF
LUT_DECODE_TYPE = 0


@dataclass(frozen=True)
class LutTensor:
    """One tensor as LUT indices: ``indices`` has the tensor's shape; ``tables[c]`` is
    channel ``c``'s sorted values; ``axis`` is None for one table."""

    indices: np.ndarray
    tables: tuple[np.ndarray, ...]
    axis: int | None

    @property
    def bits(self) -> int:
        return bits_for(max(len(table) for table in self.tables))

    @property
    def stride(self) -> int:
        return max(len(table) for table in self.tables)


def bits_for(values: int) -> int:
    """Index width for a table of ``values`` entries: 1 bit at least."""
    return max(1, int(values - 1).bit_length())


def channel_axis(shape: tuple[int, ...], scales: int, quantized_dimension: int) -> int | None:
    """The axis the tables follow, as the DECODE kernel derives it: None for one scale."""
    if scales <= 1 or not shape:
        return None
    return quantized_dimension


def distinct_per_channel(array: np.ndarray, axis: int | None) -> int:
    """The most distinct values any one channel of ``array`` holds."""
    if axis is None:
        return len(np.unique(array))
    slices = np.moveaxis(array, axis, 0).reshape(array.shape[axis], -1)
    return max(len(np.unique(row)) for row in slices)


def table_bits(array: np.ndarray, axis: int | None) -> int | None:
    """The smallest index width that stores ``array`` losslessly, or None when a channel
    holds more than ``2**MAX_BITS`` values (the tensor stays as it is)."""
    distinct = distinct_per_channel(array, axis)
    return bits_for(distinct) if distinct <= 2 ** MAX_BITS else None


def to_lut(array: np.ndarray, axis: int | None) -> LutTensor:
    """Split ``array`` into per-channel sorted tables and indices into them."""
    if axis is None:
        table, indices = np.unique(array, return_inverse=True)
        return LutTensor(indices.reshape(array.shape), (table,), None)
    moved = np.moveaxis(array, axis, 0)
    tables, rows = [], []
    for channel in moved:
        table, indices = np.unique(channel, return_inverse=True)
        tables.append(table)
        rows.append(indices.reshape(channel.shape))
    return LutTensor(np.moveaxis(np.stack(rows), 0, axis), tuple(tables), axis)


def pack_indices(indices: np.ndarray, bits: int) -> bytes:
    """``indices`` in element order, ``bits`` bits each, most significant bit first."""
    flat = np.asarray(indices, dtype=np.uint8).ravel()
    planes = np.unpackbits(flat[:, None], axis=1)[:, 8 - bits:]
    return np.packbits(planes.ravel()).tobytes()


def unpack_indices(packed: bytes, bits: int, count: int) -> np.ndarray:
    """The inverse of :func:`pack_indices` for ``count`` indices."""
    stream = np.unpackbits(np.frombuffer(packed, dtype=np.uint8))
    if stream.size < count * bits:
        raise ValueError(f"{len(packed)} bytes hold fewer than {count} {bits}-bit indices")
    planes = stream[:count * bits].reshape(count, bits)
    weights = (1 << np.arange(bits - 1, -1, -1)).astype(np.uint16)
    return (planes.astype(np.uint16) @ weights).astype(np.uint8)


def packed_bytes(count: int, bits: int) -> int:
    """Bytes of ``count`` packed ``bits``-bit indices."""
    return (count * bits + 7) // 8


def ancillary_bytes(channels: int, stride: int, itemsize: int) -> int:
    """Bytes of the header and the value tables."""
    return HEADER_BYTES + channels * stride * itemsize


def decode(encoded: bytes, ancillary: bytes, shape: tuple[int, ...], dtype: np.dtype,
           channels: int, axis: int | None) -> np.ndarray:
    """Expand a LUT tensor as the DECODE kernel does: ``channels`` and ``axis`` come from
    the decoded tensor's quantization (one table when ``channels`` is 1).

    Raises ValueError for a header this module does not read (not LUT, not version 1).
    """
    header = np.frombuffer(ancillary[:HEADER_BYTES], dtype=np.uint8)
    if len(header) < HEADER_BYTES or header[0] != LUT_DECODE_TYPE or header[1] != 1:
        raise ValueError("not a version-1 LUT header")
    bits, stride = int(header[5] & 0x07), int(header[6])
    dtype = np.dtype(dtype)
    count = element_count(shape)
    indices = unpack_indices(encoded, bits, count)
    tables = np.frombuffer(ancillary[HEADER_BYTES:], dtype=dtype)[:channels * stride]
    tables = tables.reshape(channels, stride)
    if channels == 1 or axis is None:
        return tables[0][indices].reshape(shape)
    # The kernel walks the tensor in element order; channel c of element i is its
    # coordinate on ``axis``.
    channel = np.indices(shape)[axis].ravel()
    return tables[channel, indices].reshape(shape)
