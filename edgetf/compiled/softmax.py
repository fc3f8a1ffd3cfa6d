"""TFLM's int8 softmax: ``reference_ops::Softmax`` (reference/softmax.h), the gemmlowp
fixed-point path with no look-up table, which TFLM's ``SoftmaxQuantized`` calls for int8
input (micro/kernels/softmax.cc, tflite-micro 90b983c; the int16 LUT path is for int16
input only). Its parameters come from ``CalculateSoftmaxParams`` (softmax_common.cc).

Fixed-point numbers are int32 raw values in int64 arrays; ``Qn`` below means gemmlowp's
``FixedPoint<int32_t, n>`` (n integer bits).
"""

from __future__ import annotations

import math

import numpy as np

from edgetf.compiled.fixed_point import (
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_left_shift,
    srdhm,
    wrap32,
)

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """``PreprocessSoftmaxScaling`` and ``CalculateInputRadius``: input multiplier,
    left shift and ``diff_min``."""
    real = min(beta * input_scale * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    max_rescaled = (1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1)
                    * (1 << (31 - SCALED_DIFF_INTEGER_BITS)) / (1 << left_shift))
    return multiplier, left_shift, -int(math.floor(max_rescaled))


def _exp_on_interval(a: np.ndarray) -> np.ndarray:
    """``exp_on_interval_between_negative_one_quarter_and_0_excl`` on Q0 raws."""
    constant_term = 1895147668  # exp(-1/8) in Q0
    one_third = 715827883
    x = wrap32(a + (1 << 28))  # a + 1/8
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(wrap32(srdhm(wrap32(x4_over_4 + x3), one_third) + x2), 1)
    return wrap32(constant_term + srdhm(constant_term, wrap32(x + poly)))


#: exp(-2^k) in Q0 for k = -2 .. 4: gemmlowp's barrel shifter constants.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a: np.ndarray) -> np.ndarray:
    """gemmlowp's ``exp_on_negative_values`` for Q5 input (raws <= 0), Q0 output."""
    fractional_bits = 31 - SCALED_DIFF_INTEGER_BITS
    one_quarter = 1 << (fractional_bits - 2)
    a_mod = (a & (one_quarter - 1)) - one_quarter
    result = _exp_on_interval(saturating_left_shift(a_mod, SCALED_DIFF_INTEGER_BITS))
    remainder = wrap32(a_mod - a)
    for exponent, multiplier in _EXP_BARREL:
        bit = remainder & (1 << (fractional_bits + exponent))
        result = np.where(bit != 0, srdhm(result, multiplier), result)
    return np.where(a == 0, (1 << 31) - 1, result)


def _one_over_one_plus_x(a: np.ndarray) -> np.ndarray:
    """gemmlowp's ``one_over_one_plus_x_for_x_in_0_1``: Q0 in, Q0 out."""
    total = a + ((1 << 31) - 1)
    half_denominator = np.where(total >= 0, (total + 1) // 2, -((-total + 1) // 2))
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))  # 48/17 - 32/17 d, Q2
    for _ in range(3):
        one_minus = wrap32((1 << 29) - srdhm(half_denominator, x))
        x = wrap32(x + saturating_left_shift(srdhm(x, one_minus), 2))
    return saturating_left_shift(x, 1)


def _count_leading_zeros(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.int64) & 0xFFFFFFFF
    return np.array([32 - int(v).bit_length() for v in x.ravel()], np.int64).reshape(x.shape)


def softmax_int8(x: np.ndarray, multiplier: int, left_shift: int, diff_min: int,
                 out_dtype: str = "int8") -> np.ndarray:
    """Softmax over the last axis of int8 ``x``, into int8 (or int16) as TFLM does."""
    info = np.iinfo(out_dtype)
    rows = np.asarray(x, np.int64).reshape(-1, x.shape[-1])
    diff = rows - rows.max(axis=1, keepdims=True)
    used = diff >= diff_min
    rescaled = srdhm(wrap32(diff << left_shift), multiplier)
    exps = exp_on_negative_values(rescaled)
    terms = np.where(used, rounding_divide_by_pot(exps, ACCUMULATION_INTEGER_BITS), 0)
    sums = wrap32(np.cumsum(terms, axis=1)[:, -1:])  # raw int32 adds, in order
    clz = _count_leading_zeros(sums)
    bits_over_unit = ACCUMULATION_INTEGER_BITS - clz
    shifted = (((sums & 0xFFFFFFFF) << clz) & 0xFFFFFFFF) - (1 << 31)
    scale = _one_over_one_plus_x(wrap32(shifted))
    exponent = bits_over_unit + 31 - 8 * info.dtype.itemsize
    unsat = rounding_divide_by_pot(srdhm(scale, exps), exponent)
    out = np.clip(unsat + info.min, info.min, info.max)
    out = np.where(used, out, info.min)
    return out.reshape(x.shape).astype(out_dtype)
