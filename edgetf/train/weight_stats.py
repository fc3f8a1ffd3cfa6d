"""What compression left in the int8 weights: zeros, distinct values, and the bits per
weight that TFLM's look-up-table (LUT) weights would need.

Computed from the converted ``.tflite``, not from Keras, because the converter
can undo compression (requantizing per channel spreads clustered values apart):
what counts is what will be in flash.

A LUT tensor stores ``b``-bit indices into one value table per quantization channel (one
table for a tensor quantized per tensor), ``b`` = ceil(log2(values in the largest
table)), at least 1 and at most 7 (tflite-micro's ``LookupTableData::kMaxBitWidth``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from edgetf.tflite.model import TfliteModel
from edgetf.tflite.types import element_count, tensor_nbytes
from edgetf.tflm.lut import ancillary_bytes, packed_bytes

_NAME_PARTS = re.compile(r"[/;:]")
MAX_LUT_BITS = 7
#: The weight types this table reads, by element size.
_DTYPES = {1: "int8", 2: "int16"}


@dataclass(frozen=True)
class WeightStats:
    layer: str
    op: str
    tensor: str
    shape: tuple[int, ...]
    sparsity: float
    distinct_values: int
    per_channel: bool
    max_distinct_per_channel: int
    channels: int = 1  # quantization channels: one LUT value table each
    itemsize: int = 1  # 1 for int8, 2 for int16

    @property
    def weight_bits(self) -> int:
        """Bits per weight as LUT indices, lossless; the stored width (8 for int8) when a
        table would exceed 128 values."""
        if self.max_distinct_per_channel > 2 ** MAX_LUT_BITS:
            return 8 * self.itemsize
        return max(1, (self.max_distinct_per_channel - 1).bit_length())

    @property
    def data_bytes(self) -> int:
        """Bytes of the weights as the .tflite stores them."""
        return tensor_nbytes(self.shape, _DTYPES[self.itemsize])

    @property
    def lut_bytes(self) -> int | None:
        """Estimated bytes as a LUT tensor (packed indices, header, tables); None when
        that would not be smaller than :attr:`data_bytes` (the tensor stays int8)."""
        if self.weight_bits > MAX_LUT_BITS:
            return None
        size = (packed_bytes(element_count(self.shape), self.weight_bits)
                + ancillary_bytes(self.channels, self.max_distinct_per_channel, self.itemsize))
        return size if size < self.data_bytes else None

    def to_dict(self) -> dict:
        values = asdict(self)
        values["shape"] = list(self.shape)
        values.update(weight_bits=self.weight_bits, data_bytes=self.data_bytes,
                      lut_bytes_estimate=self.lut_bytes)
        return values


def weight_stats(model: TfliteModel, layer_names: list[str] = ()) -> list[WeightStats]:
    """Stats for every constant integer weight tensor (rank >= 2) fed to an op, in op order."""
    seen: set[int] = set()
    stats = []
    for op in model.main.operators:
        for index in op.inputs:
            if index < 0 or index in seen:
                continue
            tensor = model.main.tensors[index]
            if not tensor.data or len(tensor.shape) < 2 or tensor.dtype not in ("int8", "int16"):
                continue
            seen.add(index)
            values = tensor.array()
            quantization = tensor.quantization
            per_channel = quantization is not None and len(quantization.scales) > 1
            axis = quantization.quantized_dimension if per_channel else None
            stats.append(WeightStats(
                layer=_layer_name(tensor.name, layer_names),
                op=op.name,
                tensor=tensor.name,
                shape=tuple(tensor.shape),
                sparsity=float(np.mean(values == 0)),
                distinct_values=int(np.unique(values).size),
                per_channel=per_channel,
                max_distinct_per_channel=_max_distinct(values, axis),
                channels=values.shape[axis] if per_channel else 1,
                itemsize=values.dtype.itemsize,
            ))
    return stats


def _max_distinct(values: np.ndarray, axis: int | None) -> int:
    if axis is None:
        return int(np.unique(values).size)
    channels = np.moveaxis(values, axis, 0).reshape(values.shape[axis], -1)
    return max(int(np.unique(channel).size) for channel in channels)


def _layer_name(tensor_name: str, layer_names) -> str:
    """The Keras layer a converter-made tensor name refers to, else the tensor name.

    Converter names look like ``model/quant_dense1/MatMul;model/quant_dense1/Relu``.
    """
    parts = set(_NAME_PARTS.split(tensor_name))
    matches = [
        name for name in layer_names if name in parts or f"quant_{name}" in parts
    ]
    return max(matches, key=len) if matches else tensor_name.split(";")[0]
