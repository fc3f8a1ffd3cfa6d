"""The compiled program: one :class:`Step` per op, its parameters computed as TFLM's
Prepare computes them (tflite-micro 90b983c: ``micro/kernels/*_common.cc``,
``kernels/kernel_util.cc``, ``kernels/internal/quantization_util.cc``).

The parameter dataclasses hold only integers (and the float scales of QUANTIZE and
DEQUANTIZE): they become the ``const`` C data of the generated program. Weights and
biases are not copied: a step names its constant tensors by index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgetf.base.errors import EdgetfError
from edgetf.compiled.fixed_point import (
    activation_range,
    out_size,
    padding_before,
    quantize_multiplier,
)
from edgetf.compiled.mean import mean_axes, mean_params
from edgetf.compiled.shape_ops import shape_only_ops
from edgetf.compiled.softmax import softmax_params
from edgetf.tflite.model import Operator, Subgraph, Tensor, TfliteModel


class UnsupportedOpError(EdgetfError):
    """The compiled runtime has no kernel for an op of the model (use the TFLM runtime)."""


@dataclass(frozen=True)
class ConvParams:
    """CONV_2D and DEPTHWISE_CONV_2D (``depth_multiplier`` 0 for CONV_2D): TFLM's
    ConvParams/DepthwiseParams plus the per-channel multipliers and shifts."""

    input_offset: int
    output_offset: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_h: int
    pad_w: int
    act_min: int
    act_max: int
    multipliers: tuple[int, ...]
    shifts: tuple[int, ...]
    depth_multiplier: int = 0


@dataclass(frozen=True)
class FullyConnectedParams:
    """FULLY_CONNECTED: one multiplier and shift, or one per output channel."""

    input_offset: int
    filter_offset: int
    output_offset: int
    act_min: int
    act_max: int
    multipliers: tuple[int, ...]
    shifts: tuple[int, ...]
    per_channel: bool


@dataclass(frozen=True)
class PoolParams:
    """AVERAGE_POOL_2D and MAX_POOL_2D."""

    stride_h: int
    stride_w: int
    filter_h: int
    filter_w: int
    pad_h: int
    pad_w: int
    act_min: int
    act_max: int


@dataclass(frozen=True)
class SoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    diff_min: int


@dataclass(frozen=True)
class AddParams:
    """ADD (int8): TFLM's OpDataAdd."""

    input1_offset: int
    input2_offset: int
    output_offset: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


@dataclass(frozen=True)
class MulParams:
    """MUL (int8): TFLM's OpDataMul."""

    input1_offset: int
    input2_offset: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


@dataclass(frozen=True)
class ViewParams:
    """RESHAPE, SQUEEZE, EXPAND_DIMS: the output is the input's bytes, reshaped."""


@dataclass(frozen=True)
class QuantizeParams:
    """QUANTIZE: from float (``scale``, ``output_zero_point``) or a requantization
    between integer types (``multiplier``, ``shift``, both zero points)."""

    input_zero_point: int
    output_zero_point: int
    scale: float = 0.0
    multiplier: int = 0
    shift: int = 0


@dataclass(frozen=True)
class DequantizeParams:
    scale: float
    zero_point: int


@dataclass(frozen=True)
class Step:
    """One kernel call: ``op`` (the builtin name), tensor indices, parameters."""

    op_index: int
    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    params: object


@dataclass(frozen=True)
class Program:
    steps: tuple[Step, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    luts: tuple = ()
    """The filters stored as look-up tables (:class:`~.lut_weights.LutWeight`), each
    decoded into the arena right before the one op that reads it."""

    def lut_of(self, tensor: int):
        """The look-up tables ``tensor`` is stored as, or None (its plain bytes)."""
        return next((w for w in self.luts if w.tensor == tensor), None)

    def decoded(self) -> dict[int, tuple[int, int]]:
        """Tensor -> (the op that reads it, its decoded bytes): the plan's extra buffers."""
        return {w.tensor: (w.op_index, w.decoded_bytes) for w in self.luts}


VIEW_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
#: Ops whose output element i depends only on input element i (same shape): the
#: output may overwrite an input that is dead after the op.
ELEMENTWISE_OPS = ("ADD", "MUL", "QUANTIZE", "DEQUANTIZE")


def _scale(t: Tensor) -> float:
    """``params.scale``: TFLM's first scale, a float32."""
    return float(np.float32(t.quantization.scales[0])) if t.quantization else 0.0


def _zero_point(t: Tensor) -> int:
    return int(t.quantization.zero_points[0]) if t.quantization else 0


def _act(op: Operator, out: Tensor) -> tuple[int, int]:
    return activation_range(op.options.get("fused_activation", "NONE"), _scale(out),
                            _zero_point(out), out.dtype)


def _channel_multipliers(inp: Tensor, filt: Tensor, out: Tensor, channels: int
                         ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``PopulateConvolutionQuantizationParams``: double products of float32 scales."""
    scales = filt.quantization.scales
    pairs = [quantize_multiplier(_scale(inp) * float(np.float32(scales[i if len(scales) > 1
                                                                     else 0])) / _scale(out))
             for i in range(channels)]
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def _conv(op: Operator, g: Subgraph) -> ConvParams:
    inp, filt, out = (g.tensors[op.inputs[0]], g.tensors[op.inputs[1]],
                      g.tensors[op.outputs[0]])
    o = op.options
    stride_h, stride_w = o.get("stride_h", 1), o.get("stride_w", 1)
    dil_h, dil_w = o.get("dilation_h", 1), o.get("dilation_w", 1)
    padding = o.get("padding", "SAME")
    _, in_h, in_w, _ = inp.shape
    _, f_h, f_w, _ = filt.shape
    out_h = out_size(padding, in_h, f_h, stride_h, dil_h)
    out_w = out_size(padding, in_w, f_w, stride_w, dil_w)
    depthwise = op.name == "DEPTHWISE_CONV_2D"
    channels = filt.shape[3] if depthwise else filt.shape[0]
    multipliers, shifts = _channel_multipliers(inp, filt, out, channels)
    act_min, act_max = _act(op, out)
    return ConvParams(
        input_offset=-_zero_point(inp), output_offset=_zero_point(out),
        stride_h=stride_h, stride_w=stride_w, dilation_h=dil_h, dilation_w=dil_w,
        pad_h=padding_before(stride_h, dil_h, in_h, f_h, out_h),
        pad_w=padding_before(stride_w, dil_w, in_w, f_w, out_w),
        act_min=act_min, act_max=act_max, multipliers=multipliers, shifts=shifts,
        depth_multiplier=o.get("depth_multiplier", 1) if depthwise else 0)


def _fully_connected(op: Operator, g: Subgraph) -> FullyConnectedParams:
    inp, filt, out = (g.tensors[op.inputs[0]], g.tensors[op.inputs[1]],
                      g.tensors[op.outputs[0]])
    per_channel = len(filt.quantization.scales) > 1
    if per_channel:
        multipliers, shifts = _channel_multipliers(inp, filt, out, len(filt.quantization.scales))
    else:
        # GetQuantizedConvolutionMultipler multiplies the two scales in float32, then
        # divides in double (unlike the per-channel path's double product).
        product = float(np.float32(_scale(inp)) * np.float32(_scale(filt)))
        m, s = quantize_multiplier(product / _scale(out))
        multipliers, shifts = (m,), (s,)
    act_min, act_max = _act(op, out)
    return FullyConnectedParams(
        input_offset=-_zero_point(inp), filter_offset=-_zero_point(filt),
        output_offset=_zero_point(out), act_min=act_min, act_max=act_max,
        multipliers=multipliers, shifts=shifts, per_channel=per_channel)


def _pool(op: Operator, g: Subgraph) -> PoolParams:
    inp, out = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    o = op.options
    _, in_h, in_w, _ = inp.shape
    sh, sw, fh, fw = o["stride_h"], o["stride_w"], o["filter_h"], o["filter_w"]
    out_h = out_size(o["padding"], in_h, fh, sh)
    out_w = out_size(o["padding"], in_w, fw, sw)
    act_min, act_max = _act(op, out)
    return PoolParams(sh, sw, fh, fw, padding_before(sh, 1, in_h, fh, out_h),
                      padding_before(sw, 1, in_w, fw, out_w), act_min, act_max)


def _add(op: Operator, g: Subgraph) -> AddParams:
    a, b, out = (g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]])
    left_shift = 20  # 15 for int16
    twice_max = 2 * max(_scale(a), _scale(b))
    m1 = quantize_multiplier(_scale(a) / twice_max)
    m2 = quantize_multiplier(_scale(b) / twice_max)
    mo = quantize_multiplier(twice_max / ((1 << left_shift) * _scale(out)))
    act_min, act_max = _act(op, out)
    return AddParams(-_zero_point(a), -_zero_point(b), _zero_point(out), left_shift,
                     *m1, *m2, *mo, act_min, act_max)


def _mul(op: Operator, g: Subgraph) -> MulParams:
    a, b, out = (g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]])
    m, s = quantize_multiplier(_scale(a) * _scale(b) / _scale(out))
    act_min, act_max = _act(op, out)
    return MulParams(-_zero_point(a), -_zero_point(b), _zero_point(out), m, s,
                     act_min, act_max)


def _softmax(op: Operator, g: Subgraph) -> SoftmaxParams:
    inp = g.tensors[op.inputs[0]]
    beta = float(np.float32(op.options.get("beta", 1.0)))
    return SoftmaxParams(*softmax_params(beta, _scale(inp)))


def _quantize(op: Operator, g: Subgraph) -> QuantizeParams:
    inp, out = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if inp.dtype == "float32":
        return QuantizeParams(0, _zero_point(out), scale=_scale(out))
    m, s = quantize_multiplier(_scale(inp) / _scale(out))
    return QuantizeParams(_zero_point(inp), _zero_point(out), multiplier=m, shift=s)


def _dequantize(op: Operator, g: Subgraph) -> DequantizeParams:
    inp = g.tensors[op.inputs[0]]
    return DequantizeParams(_scale(inp), _zero_point(inp))


_BUILDERS = {
    "CONV_2D": _conv, "DEPTHWISE_CONV_2D": _conv, "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool, "MAX_POOL_2D": _pool, "SOFTMAX": _softmax, "ADD": _add,
    "MUL": _mul, "QUANTIZE": _quantize, "DEQUANTIZE": _dequantize, "MEAN": mean_params,
    **{name: (lambda op, g: ViewParams()) for name in VIEW_OPS},
}
#: Input and output types each op is compiled for (anything else falls back to TFLM).
_TYPES = {
    "QUANTIZE": ({"float32", "int8", "int16"}, {"int8"}),
    "DEQUANTIZE": ({"int8"}, {"float32"}),
}


def _check(op: Operator, g: Subgraph, source: str) -> None:
    where = f"{source}: op {op.index} ({op.name})"
    if op.name not in _BUILDERS:
        name = f"CUSTOM:{op.custom_code}" if op.name == "CUSTOM" else op.name
        raise UnsupportedOpError(f"{source}: op {op.index} is {name}, which the compiled"
                                 " runtime has no kernel for; use the TFLM runtime")
    ins, outs = _TYPES.get(op.name, ({"int8"}, {"int8"}))
    first = g.tensors[op.inputs[0]]
    out = g.tensors[op.outputs[0]]
    if op.name not in VIEW_OPS and (first.dtype not in ins or out.dtype not in outs):
        raise UnsupportedOpError(f"{where} takes {first.dtype} to {out.dtype}; the compiled"
                                 " runtime has int8 kernels only; use the TFLM runtime")
    if op.name == "CONV_2D" and g.tensors[op.inputs[1]].shape[3] != first.shape[3]:
        raise UnsupportedOpError(f"{where} is a grouped convolution, which the compiled"
                                 " runtime does not support; use the TFLM runtime")
    if op.name == "MEAN" and (len(first.shape) != 4 or mean_axes(op, g) != (1, 2)):
        raise UnsupportedOpError(f"{where} reduces axes {mean_axes(op, g)} of a "
                                 f"{len(first.shape)}-D tensor; the compiled runtime reduces"
                                 " the rows and columns (axes 1, 2) of a 4-D one only; use"
                                 " the TFLM runtime")
    if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") and (
            g.tensors[op.inputs[1]].quantization is None
            or not g.tensors[op.inputs[1]].data):
        raise UnsupportedOpError(f"{where} has weights that are not constant int8 data;"
                                 " use the TFLM runtime")


def compile_program(model: TfliteModel, source: str = "model") -> Program:
    """The model's subgraph 0 as a program; UnsupportedOpError names the first op the
    compiled runtime cannot run. Ops that only compute a RESHAPE's shape are left out
    (:mod:`.shape_ops`)."""
    if len(model.subgraphs) > 1:
        raise UnsupportedOpError(f"{source}: has {len(model.subgraphs)} subgraphs (control"
                                 " flow); the compiled runtime runs one; use the TFLM runtime")
    g = model.main
    steps = []
    folded = shape_only_ops(g)  # a RESHAPE's shape arithmetic: its result is static
    for op in g.operators:
        if op.index in folded:
            continue
        _check(op, g, source)
        steps.append(Step(op.index, op.name, op.inputs, op.outputs, _BUILDERS[op.name](op, g)))
    return Program(tuple(steps), g.inputs, g.outputs)
