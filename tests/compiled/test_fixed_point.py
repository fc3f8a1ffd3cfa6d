"""TFLite's integer arithmetic in numpy, against its definitions written with Python's
exact integers and fractions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from edgetf.compiled.fixed_point import (
    INT32_MAX,
    INT32_MIN,
    activation_range,
    multiply_by_quantized_multiplier,
    out_size,
    padding_before,
    quantize_multiplier,
    rounding_divide_by_pot,
    srdhm,
)
from edgetf.compiled.softmax import exp_on_negative_values, softmax_int8, softmax_params
from tests.conftest import SEED


def _round_half_away(q: Fraction) -> int:
    return int(math.copysign(math.floor(abs(q) + Fraction(1, 2)), q))


@pytest.mark.parametrize(("real", "expected"), [
    (0.0, (0, 0)), (0.5, (1 << 30, 0)), (1.0, (1 << 30, 1)), (0.75, (3 << 29, 0)),
    (2.0 ** -40, (0, 0)),  # below 2^-31: flushed to zero
    (1 - 2.0 ** -40, (1 << 30, 1)),  # rounds up to 2^31: halved, shift + 1
])
def test_quantize_multiplier_at_its_edges(real, expected):
    assert quantize_multiplier(real) == expected


def test_quantize_multiplier_is_within_half_a_step():
    rng = np.random.default_rng(SEED)
    for real in rng.uniform(1e-6, 3.0, 200):
        m, shift = quantize_multiplier(float(real))
        assert (1 << 30) <= m < (1 << 31)
        assert abs(Fraction(m, 1 << 31) * Fraction(2) ** shift - Fraction(real)) \
            <= Fraction(2) ** (shift - 32)


def test_srdhm_and_rounding_divide_match_exact_arithmetic():
    rng = np.random.default_rng(SEED)
    a = rng.integers(INT32_MIN, INT32_MAX, 500, endpoint=True)
    b = rng.integers(INT32_MIN, INT32_MAX, 500, endpoint=True)
    a[0] = b[0] = INT32_MIN  # the one product that saturates
    expected = [INT32_MAX if x == y == INT32_MIN else
                int(Fraction(int(x) * int(y) + ((1 << 30) if x * y >= 0 else 1 - (1 << 30)),
                             1 << 31))  # C++ division truncates
                for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    assert srdhm(a, b).tolist() == expected
    exponents = rng.integers(0, 31, 500)
    divided = rounding_divide_by_pot(a, exponents).tolist()
    assert divided == [_round_half_away(Fraction(int(x), 1 << int(e)))
                       for x, e in zip(a.tolist(), exponents.tolist(), strict=True)]


def test_multiply_by_quantized_multiplier_rounds_twice():
    # SaturatingRoundingDoublingHighMul rounds ties up (-1.5 -> -1), the shift rounds
    # them away from zero.
    assert multiply_by_quantized_multiplier(np.array([3, -3, 5]), 1 << 30, 0).tolist() == \
        [2, -1, 3]
    # Two roundings, not one: 4 * 0.65 = 2.6 rounds to 3, and 3 / 2 to 2, where
    # 4 * 0.65 / 2 = 1.3 would round to 1.
    m = round(0.65 * (1 << 31))
    assert _round_half_away(Fraction(4 * m, 1 << 32)) == 1
    assert multiply_by_quantized_multiplier(np.array([4]), m, -1).tolist() == [2]


def test_activation_ranges():
    assert activation_range("NONE", 0.1, 3, "int8") == (-128, 127)
    assert activation_range("RELU", 0.1, -5, "int8") == (-5, 127)
    assert activation_range("RELU6", 0.05, -128, "int8") == (-128, -8)
    assert activation_range("RELU_N1_TO_1", 0.01, 0, "int8") == (-100, 100)


def test_padding_and_output_sizes():
    assert out_size("SAME", 12, 3, 2) == 6 and out_size("VALID", 12, 3, 2) == 5
    assert padding_before(2, 1, 12, 3, 6) == 0  # total 1: the extra row goes after
    assert padding_before(1, 1, 12, 3, 12) == 1
    assert padding_before(1, 2, 12, 3, 12) == 2  # dilated 3-tap filter spans 5


def test_exp_is_close_to_the_real_exp():
    raws = -np.arange(0, 32 << 26, 1 << 22, dtype=np.int64)  # Q5.26 in [-32, 0]
    approx = exp_on_negative_values(raws) / 2.0 ** 31
    assert np.max(np.abs(approx - np.exp(raws / 2.0 ** 26))) < 1e-6


def test_softmax_is_close_to_the_real_softmax():
    rng = np.random.default_rng(SEED)
    x = rng.integers(-128, 128, (20, 10)).astype(np.int8)
    scale = 0.1
    multiplier, shift, diff_min = softmax_params(1.0, scale)
    out = softmax_int8(x, multiplier, shift, diff_min)
    real = np.exp(scale * x.astype(np.float64))
    real /= real.sum(axis=1, keepdims=True)
    assert np.max(np.abs((out.astype(np.float64) + 128) / 256 - real)) <= 1 / 256
