"""What compression left in the int8 weights: zeros and distinct values, per tensor.

Computed from the converted ``.tflite``, not from Keras, because the converter
can undo compression (requantizing per channel spreads clustered values apart):
what counts is what will be in flash.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from edgetf.tflite.model import TfliteModel

_NAME_PARTS = re.compile(r"[/;:]")


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

    def to_dict(self) -> dict:
        values = asdict(self)
        values["shape"] = list(self.shape)
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
