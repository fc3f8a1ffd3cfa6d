"""The int8 kernels of the compiled program in numpy, computing exactly what TFLM's
reference kernels compute (``kernels/internal/reference/integer_ops/*.h``,
tflite-micro 90b983c): int32 accumulation, ``MultiplyByQuantizedMultiplier``, offset,
clamp. Arrays are NHWC; accumulation is in int64 and wrapped to int32 where C++ would.
"""

from __future__ import annotations

import numpy as np

from edgetf.compiled.fixed_point import (
    multiply_by_quantized_multiplier,
    multiply_smaller_than_one_exp,
    tflite_round,
    wrap32,
)
from edgetf.compiled.program import (
    AddParams,
    ConvParams,
    DequantizeParams,
    FullyConnectedParams,
    MulParams,
    PoolParams,
    QuantizeParams,
)


def _requantize(acc: np.ndarray, multipliers, shifts, offset: int, lo: int, hi: int,
                dtype: str = "int8") -> np.ndarray:
    scaled = multiply_by_quantized_multiplier(wrap32(acc), np.asarray(multipliers, np.int64),
                                              np.asarray(shifts, np.int64))
    return np.clip(scaled + offset, lo, hi).astype(dtype)


def _windows(x: np.ndarray, pad_value: int, p, out_h: int, out_w: int, f_h: int, f_w: int,
             dil_h: int = 1, dil_w: int = 1):
    """Yield ``(fy, fx, window)``: the input under filter tap (fy, fx) for every output
    position, (N, out_h, out_w, C), with out-of-image taps reading ``pad_value``."""
    n, h, w, c = x.shape
    need_h = (out_h - 1) * p.stride_h + (f_h - 1) * dil_h + 1
    need_w = (out_w - 1) * p.stride_w + (f_w - 1) * dil_w + 1
    bottom = max(need_h - h - p.pad_h, 0)
    right = max(need_w - w - p.pad_w, 0)
    padded = np.pad(x, ((0, 0), (p.pad_h, bottom), (p.pad_w, right), (0, 0)),
                    constant_values=pad_value)
    for fy in range(f_h):
        for fx in range(f_w):
            y0, x0 = fy * dil_h, fx * dil_w
            yield fy, fx, padded[:, y0:y0 + (out_h - 1) * p.stride_h + 1:p.stride_h,
                                 x0:x0 + (out_w - 1) * p.stride_w + 1:p.stride_w, :]


def conv(p: ConvParams, x: np.ndarray, filt: np.ndarray, bias: np.ndarray | None,
         out_shape: tuple[int, ...]) -> np.ndarray:
    """``ConvPerChannel`` and ``DepthwiseConvPerChannel`` (int8). Taps outside the image
    are skipped there; here they read the input zero point, which adds 0."""
    _, out_h, out_w, out_c = out_shape
    shifted = x.astype(np.int64) + p.input_offset
    acc = np.zeros((x.shape[0], out_h, out_w, out_c), np.int64)
    f_h, f_w = filt.shape[1], filt.shape[2]
    for fy, fx, window in _windows(shifted, 0, p, out_h, out_w, f_h, f_w, p.dilation_h,
                                   p.dilation_w):
        if p.depth_multiplier:  # output channel c reads input channel c // multiplier
            acc += np.repeat(window, p.depth_multiplier, axis=3) * filt[0, fy, fx, :]
        else:
            acc += np.tensordot(window, filt[:, fy, fx, :].astype(np.int64), ([3], [1]))
    if bias is not None:
        acc += bias.astype(np.int64)
    return _requantize(acc, p.multipliers, p.shifts, p.output_offset, p.act_min, p.act_max)


def fully_connected(p: FullyConnectedParams, x: np.ndarray, filt: np.ndarray,
                    bias: np.ndarray | None, out_shape: tuple[int, ...]) -> np.ndarray:
    """``FullyConnected`` / ``FullyConnectedPerChannel`` (int8)."""
    depth = filt.shape[-1]
    rows = x.reshape(-1, depth).astype(np.int64) + p.input_offset
    weights = filt.reshape(-1, depth).astype(np.int64) + p.filter_offset
    acc = rows @ weights.T
    if bias is not None:
        acc += bias.astype(np.int64)
    out = _requantize(acc, p.multipliers, p.shifts, p.output_offset, p.act_min, p.act_max)
    return out.reshape(out_shape)


def average_pool(p: PoolParams, x: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """``AveragePool`` (int8): the mean of the taps inside the image, rounded half away
    from zero by C++'s truncating division."""
    _, out_h, out_w, _ = out_shape
    total = np.zeros(out_shape, np.int64)
    count = np.zeros(out_shape, np.int64)
    ones = np.ones_like(x, np.int64)
    for (_, _, window), (_, _, inside) in zip(
            _windows(x.astype(np.int64), 0, p, out_h, out_w, p.filter_h, p.filter_w),
            _windows(ones, 0, p, out_h, out_w, p.filter_h, p.filter_w), strict=True):
        total += window
        count += inside
    half = count // 2
    num = np.where(total > 0, total + half, total - half)
    mean = np.sign(num) * (np.abs(num) // count)
    return np.clip(mean, p.act_min, p.act_max).astype(np.int8)


def max_pool(p: PoolParams, x: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """``MaxPool`` (int8): taps outside the image never win (they read -128)."""
    _, out_h, out_w, _ = out_shape
    best = np.full(out_shape, -128, np.int64)
    for _, _, window in _windows(x.astype(np.int64), -128, p, out_h, out_w, p.filter_h,
                                 p.filter_w):
        best = np.maximum(best, window)
    return np.clip(best, p.act_min, p.act_max).astype(np.int8)


def add(p: AddParams, a: np.ndarray, b: np.ndarray, out_shape) -> np.ndarray:
    """``AddFunc`` (int8), broadcast as ``BroadcastAdd6DSlow`` does."""
    def scaled(x, offset, multiplier, shift):
        shifted = (x.astype(np.int64) + offset) << p.left_shift
        return multiply_smaller_than_one_exp(shifted, multiplier, shift)

    total = wrap32(scaled(a, p.input1_offset, p.input1_multiplier, p.input1_shift)
                   + scaled(b, p.input2_offset, p.input2_multiplier, p.input2_shift))
    out = multiply_smaller_than_one_exp(total, p.output_multiplier, p.output_shift)
    out = np.clip(out + p.output_offset, p.act_min, p.act_max)
    return np.broadcast_to(out, out_shape).astype(np.int8)


def mul(p: MulParams, a: np.ndarray, b: np.ndarray, out_shape) -> np.ndarray:
    """``MulElementwise`` (int8), broadcast as ``BroadcastMul6DSlow`` does."""
    product = wrap32((a.astype(np.int64) + p.input1_offset) * (b.astype(np.int64)
                                                              + p.input2_offset))
    out = multiply_by_quantized_multiplier(product, p.output_multiplier, p.output_shift)
    out = np.clip(out + p.output_offset, p.act_min, p.act_max)
    return np.broadcast_to(out, out_shape).astype(np.int8)


def quantize(p: QuantizeParams, x: np.ndarray, out_dtype: str) -> np.ndarray:
    """``AffineQuantize`` from float (the division in float32) or ``Requantize``."""
    info = np.iinfo(out_dtype)
    if x.dtype.kind == "f":
        ratio = (x.astype(np.float32) / np.float32(p.scale)).astype(np.float64)
        rounded = np.vectorize(tflite_round, otypes=[np.float64])(ratio) if ratio.size else ratio
        out = rounded.astype(np.int64) + p.output_zero_point
    else:
        out = multiply_by_quantized_multiplier(x.astype(np.int64) - p.input_zero_point,
                                               p.multiplier, p.shift) + p.output_zero_point
    return np.clip(out, info.min, info.max).astype(out_dtype)


def dequantize(p: DequantizeParams, x: np.ndarray) -> np.ndarray:
    """``Dequantize``: the scale as a double, the product stored as float32."""
    return (p.scale * (x.astype(np.float64) - p.zero_point)).astype(np.float32)
