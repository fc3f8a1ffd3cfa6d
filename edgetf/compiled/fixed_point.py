"""TFLite's integer arithmetic, bit for bit, in numpy: the multiplier quantization of
``quantization_util.cc`` and the rounding of ``common.h`` and gemmlowp's ``fixedpoint.h``
(tflite-micro 90b983c; TFLM builds without ``TFLITE_SINGLE_ROUNDING``, so the
double-rounding forms are the ones here).

Array functions take and return ``int64`` arrays holding int32 values: int64 gives room
for the 32x32-bit products, and :func:`wrap32` brings a sum back to int32 where C++
would wrap.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def tflite_round(x: float) -> float:
    """``TfLiteRound`` (``std::round``): half away from zero."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """``QuantizeMultiplier``: ``real`` as a Q31 multiplier and a power-of-two shift
    (positive: left)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(tflite_round(q * (1 << 31)))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def wrap32(x: np.ndarray) -> np.ndarray:
    """int64 values reduced to int32 as C++'s two's-complement conversion does."""
    return ((np.asarray(x, np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _cdiv(a: np.ndarray, b: int) -> np.ndarray:
    """C++ integer division (truncates towards zero) of int64 arrays."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def srdhm(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp's ``SaturatingRoundingDoublingHighMul`` on int32 values."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    overflow = (a == b) & (a == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = _cdiv(ab + nudge, 1 << 31)
    return np.where(overflow, INT32_MAX, high)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp's ``RoundingDivideByPOT``: x / 2^exponent, rounding half away from 0."""
    x = np.asarray(x, np.int64)
    exponent = np.asarray(exponent, np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def saturating_left_shift(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp's ``SaturatingRoundingMultiplyByPOT`` for a positive exponent."""
    # Its threshold test (|x| > 2^(31-e) - 1 saturates) is the same as clipping the
    # exact product to int32.
    return np.clip(np.asarray(x, np.int64) << exponent, INT32_MIN, INT32_MAX)


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier, shift) -> np.ndarray:
    """``MultiplyByQuantizedMultiplier(int32 x, ...)``; ``multiplier``/``shift`` may be
    per-channel arrays that broadcast against ``x``."""
    shift = np.asarray(shift, np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = wrap32(np.asarray(x, np.int64) << left)
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right)


def multiply_smaller_than_one_exp(x: np.ndarray, multiplier: int, left_shift: int
                                  ) -> np.ndarray:
    """``MultiplyByQuantizedMultiplierSmallerThanOneExp`` (``left_shift`` <= 0)."""
    return rounding_divide_by_pot(srdhm(x, multiplier), -left_shift)


def multiply_greater_than_one(x: np.ndarray, multiplier: int, left_shift: int) -> np.ndarray:
    """``MultiplyByQuantizedMultiplierGreaterThanOne`` (``left_shift`` >= 0)."""
    return srdhm(wrap32(np.asarray(x, np.int64) << left_shift), multiplier)


def activation_range(activation: str, scale: float, zero_point: int, dtype: str
                     ) -> tuple[int, int]:
    """``CalculateActivationRangeQuantized``: the fused activation as an output clamp.
    The real bound is quantized in float32, as ``Quantize`` in kernel_util.cc does."""
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)

    def q(real: float) -> int:
        return zero_point + int(tflite_round(float(np.float32(real) / np.float32(scale))))

    if activation == "RELU":
        return max(lo, q(0.0)), hi
    if activation == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    return lo, hi


def out_size(padding: str, size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """``ComputeOutSize`` (padding.h)."""
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - effective) // stride


def padding_before(stride: int, dilation: int, size: int, filter_size: int, out: int) -> int:
    """``ComputePaddingWithOffset``'s padding (the offset goes after, implicitly)."""
    effective = (filter_size - 1) * dilation + 1
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2
