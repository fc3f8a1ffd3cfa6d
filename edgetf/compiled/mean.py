"""MEAN over the rows and columns of an NHWC tensor (Keras' ``GlobalAveragePooling2D``,
the head of the built-in ds-cnn): its parameters as TFLM computes them, the oracle, and
the C both emitters write for it.

Neither CMSIS-NN nor ESP-NN has a mean kernel, and the reference kernels in the boards'
TFLM copies are older than the tflite-micro whose outputs the golden vectors record
(tflite-micro 90b983c: ``micro/kernels/reduce_common.cc`` sends int8 MEAN to
``reference_ops::QuantizedMeanOrSum``), so the program carries its own loop, written from
that function: each channel's int32 sum of ``count`` values, less ``input_zero_point *
count``, times the input/output scale ratio with ``1/count`` folded into its multiplier
(``shift = min(floor(log2(count)), 32, 31 + shift)``, ``multiplier = (multiplier << shift)
/ count``), by ``MultiplyByQuantizedMultiplier``'s double rounding, plus the output zero
point, clamped to int8. It needs no scratch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgetf.compiled.fixed_point import multiply_by_quantized_multiplier, quantize_multiplier
from edgetf.tflite.model import Operator, Subgraph


@dataclass(frozen=True)
class MeanParams:
    batches: int
    count: int
    """Values averaged per output: rows times columns."""
    channels: int
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int


def mean_axes(op: Operator, g: Subgraph) -> tuple[int, ...] | None:
    """The axes MEAN reduces, made non-negative (None where they are not constant)."""
    axis = g.tensors[op.inputs[1]]
    rank = len(g.tensors[op.inputs[0]].shape)
    if not axis.data:
        return None
    return tuple(sorted({int(a) % rank for a in np.asarray(axis.array()).ravel()}))


def mean_params(op: Operator, g: Subgraph) -> MeanParams:
    """The parameters of a MEAN over axes (1, 2) of a 4-D int8 tensor (checked by
    the caller), as QuantizedMeanOrSum derives them."""
    inp, out = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    n, h, w, c = inp.shape
    # PrepareMeanOrSumHelper: QuantizeMultiplier(double(input scale) / double(output scale)).
    multiplier, shift = quantize_multiplier(float(np.float32(inp.quantization.scales[0]))
                                            / float(np.float32(out.quantization.scales[0])))
    count = h * w
    fold = min(count.bit_length() - 1, 32, 31 + shift)
    return MeanParams(n, count, c, int(inp.quantization.zero_points[0]),
                      int(out.quantization.zero_points[0]),
                      (multiplier << fold) // count, shift - fold)


def mean(p: MeanParams, x: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """The oracle: ``QuantizedMeanOrSum<int8_t, int32_t>`` with ``compute_sum`` false."""
    sums = x.astype(np.int64).reshape(p.batches, p.count, p.channels).sum(axis=1)
    shifted = sums - p.input_zero_point * p.count
    out = multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift)
    return np.clip(out + p.output_zero_point, -128, 127).astype(np.int8).reshape(out_shape)


def mean_lines(p: MeanParams, input_offset: int, output_offset: int) -> list[str]:
    """The C (C99 and C++) of one MEAN over the arena's buffers (``AT(offset)`` is an
    ``int8_t *`` into the arena): the oracle's arithmetic, constants folded in."""
    left, right = max(p.shift, 0), max(-p.shift, 0)
    scaled = "sum" if not left else f"(int32_t)((uint32_t)sum << {left})"
    return [
        f"const int8_t *in = AT({input_offset});",
        f"int8_t *out = AT({output_offset});",
        f"for (int32_t b = 0; b < {p.batches}; ++b) {{",
        f"    for (int32_t ch = 0; ch < {p.channels}; ++ch) {{",
        "        int32_t sum = 0;",
        f"        for (int32_t i = 0; i < {p.count}; ++i) "
        f"sum += in[(b * {p.count} + i) * {p.channels} + ch];",
        f"        sum -= {p.input_zero_point * p.count};",
        "        /* MultiplyByQuantizedMultiplier: SaturatingRoundingDoublingHighMul (the"
        " multiplier is positive: no saturation), then RoundingDivideByPOT */",
        f"        const int64_t ab = (int64_t){scaled} * {p.multiplier};",
        "        const int32_t high = (int32_t)((ab + (ab >= 0 ? (1LL << 30)"
        " : 1 - (1LL << 30))) / (1LL << 31));",
        f"        const int32_t mask = (int32_t)((1LL << {right}) - 1);",
        f"        int32_t value = (high >> {right})"
        " + ((high & mask) > ((mask >> 1) + (high < 0)));",
        f"        value += {p.output_zero_point};",
        f"        out[b * {p.channels} + ch] = (int8_t)(value < -128 ? -128"
        " : value > 127 ? 127 : value);",
        "    }",
        "}",
    ]
