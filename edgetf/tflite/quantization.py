"""Quantization arithmetic on a tensor's scale and zero point, exactly as TFLite's
kernels and edgetf's firmware do it (round half away from zero, saturate)."""

from __future__ import annotations

import numpy as np

from edgetf.tflite.model import Tensor, TfliteModel
from edgetf.tflite.reader import read_tflite
from edgetf.tflite.types import NUMPY_DTYPES


def quantize(values: np.ndarray, tensor: Tensor) -> np.ndarray:
    """Float values to the tensor's integer type (round half away from zero, saturate)."""
    dtype = np.dtype(NUMPY_DTYPES[tensor.dtype])
    if tensor.quantization is None or dtype.kind == "f":
        return values.astype(dtype)
    scale = tensor.quantization.scales[0]
    zero_point = tensor.quantization.zero_points[0]
    info = np.iinfo(dtype)
    if scale == 0:  # no real quantization: round only, as the firmware's WriteInput does
        scale, zero_point = 1.0, 0
    ratio = np.asarray(values, dtype=np.float64) / scale
    # np.round rounds half to even; TFLite's Quantize kernel (and edgetf's firmware)
    # round half away from zero, so do the same.
    scaled = np.sign(ratio) * np.floor(np.abs(ratio) + 0.5) + zero_point
    return np.clip(scaled, info.min, info.max).astype(dtype)


def dequantize(values: np.ndarray, tensor: Tensor) -> np.ndarray:
    if tensor.quantization is None or values.dtype.kind == "f":
        return values.astype(np.float32)
    scale = tensor.quantization.scales[0]
    zero_point = tensor.quantization.zero_points[0]
    if scale == 0:  # the raw values, as the firmware's Dequantized gives them
        return values.astype(np.float32)
    # A scale near float32's limit overflows to +-inf, as the same float32 product does
    # on the board; the generated code writes such values as numeric_limits.
    with np.errstate(over="ignore"):
        return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


def quantized_inputs(model: bytes, x: np.ndarray, *,
                     parsed: TfliteModel | None = None) -> np.ndarray:
    """The float samples ``x`` as the model's (single) input tensor expects them.
    ``parsed``: the caller's :func:`~edgetf.tflite.reader.read_tflite` of ``model``, not
    read again."""
    parsed = parsed if parsed is not None else read_tflite(model)
    return quantize(x, parsed.main.tensors[parsed.main.inputs[0]])
