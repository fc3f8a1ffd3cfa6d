"""The padding TFLM computes for a convolution or pool (``tensorflow/lite/kernels/
padding.h``, the same in the TFLM of 2023 and in tflite-micro 90b983c2b3f1), which the
optimized kernel libraries' scratch-size formulas take as an argument."""

from __future__ import annotations

from dataclasses import dataclass

from edgetf.tflite.model import Operator


@dataclass(frozen=True)
class Padding:
    """``TfLitePaddingValues.width`` and ``.height``: the padding before the first
    column and row (the odd pixel of an odd total goes after the last)."""

    width: int
    height: int


def _out_size(padding: str, size: int, filter_size: int, stride: int, dilation: int) -> int:
    """``ComputeOutSize``."""
    effective = (filter_size - 1) * dilation + 1
    if stride == 0:
        return 0
    if padding == "SAME":
        return (size + stride - 1) // stride
    if padding == "VALID":
        return (size + stride - effective) // stride
    return 0


def _padding(stride: int, dilation: int, size: int, filter_size: int, out: int) -> int:
    """``ComputePaddingWithOffset``: half the total, floored (C division of a value >= 0)."""
    effective = (filter_size - 1) * dilation + 1
    return max((out - 1) * stride + effective - size, 0) // 2


def conv_padding(op: Operator, in_h: int, in_w: int, filter_h: int, filter_w: int) -> Padding:
    """``ComputePaddingHeightWidth`` as CalculateOpDataConv / CalculateOpDataDepthwiseConv
    call it, from the op's options (stride, dilation, SAME/VALID)."""
    o = op.options
    stride_w, stride_h = o.get("stride_w", 0), o.get("stride_h", 0)
    dil_w, dil_h = o.get("dilation_w", 1), o.get("dilation_h", 1)
    kind = o.get("padding", "SAME")
    out_w = _out_size(kind, in_w, filter_w, stride_w, dil_w)
    out_h = _out_size(kind, in_h, filter_h, stride_h, dil_h)
    return Padding(_padding(stride_w, dil_w, in_w, filter_w, out_w),
                   _padding(stride_h, dil_h, in_h, filter_h, out_h))
