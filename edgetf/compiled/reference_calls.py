"""Calls of TFLM's header-only reference kernels for the steps a board's kernel library
has no kernel for: per-channel FULLY_CONNECTED, ADD and MUL that broadcast or read a
constant, QUANTIZE and DEQUANTIZE.

The kernels are the ones every TFLM distribution carries under
``tensorflow/lite/kernels/internal/reference/`` (Chirale_TensorFlowLite 2.0.0's and
esp-tflite-micro's included), called with the parameters TFLM's Prepare computes
(:mod:`.program`), so they compute what the TFLM runtime computes. A step that calls one
makes the program C++ (the kernels are C++ templates over ``tflite::RuntimeShape``).
"""

from __future__ import annotations

from math import prod

from edgetf.compiled.program import Step
from edgetf.tflite.model import Subgraph, Tensor

_REFERENCE = "tensorflow/lite/kernels/internal/reference"
_C_TYPES = {"int8": "int8_t", "int16": "int16_t", "float32": "float"}


def _pointer(t: Tensor, index: int, offsets: dict[int, int], arrays, const: bool) -> str:
    """The C expression of tensor ``index``: its place in the arena, or its const array."""
    c_type = _C_TYPES[t.dtype]
    if index in offsets:
        return f"({'const ' if const else ''}{c_type} *)(arena + {offsets[index]})"
    return arrays.tensor(index, c_type)


def _shape(name: str, dims) -> list[str]:
    dims = [int(d) for d in dims] or [1]
    return [f"const int32_t {name}_dims[{len(dims)}] = {{{', '.join(map(str, dims))}}};",
            f"const tflite::RuntimeShape {name}({len(dims)}, {name}_dims);"]


def _fully_connected(step: Step, graph: Subgraph, offsets, arrays) -> tuple[str, list[str]]:
    p, t = step.params, graph.tensors
    filt, out = t[step.inputs[1]], t[step.outputs[0]]
    depth, units = filt.shape[-1], out.shape[-1]
    batches = prod(out.shape) // units
    bias = arrays.tensor(step.inputs[2], "int32_t") if len(step.inputs) > 2 \
        and step.inputs[2] >= 0 else "0"
    multipliers = arrays.values(f"op{step.op_index}_multipliers", p.multipliers)
    # ``const int *``: not int32_t, which is ``long`` on arm-none-eabi.
    shifts = arrays.values(f"op{step.op_index}_shifts", p.shifts, "int")
    lines = ["tflite::FullyConnectedParams params = {};",
             f"params.input_offset = {p.input_offset};",
             f"params.weights_offset = {p.filter_offset};",
             f"params.output_offset = {p.output_offset};",
             f"params.quantized_activation_min = {p.act_min};",
             f"params.quantized_activation_max = {p.act_max};",
             *_shape("input", (batches, depth)), *_shape("filter", (units, depth)),
             *_shape("bias", (units,)), *_shape("output", (batches, units)),
             "tflite::reference_integer_ops::FullyConnectedPerChannel(",
             f"    params, {multipliers}, {shifts}, input,"
             f" {_pointer(t[step.inputs[0]], step.inputs[0], offsets, arrays, True)},",
             f"    filter, {arrays.tensor(step.inputs[1], 'int8_t')}, bias, {bias}, output,",
             f"    {_pointer(out, step.outputs[0], offsets, arrays, False)});"]
    return "integer_ops/fully_connected.h", lines


def _binary(step: Step, graph: Subgraph, offsets, arrays) -> tuple[str, list[str]]:
    p, t = step.params, graph.tensors
    a, b, out = (t[i] for i in (*step.inputs[:2], step.outputs[0]))
    if max(len(a.shape), len(b.shape), len(out.shape)) > 4:
        return "", []
    fields = [("input1_offset", p.input1_offset), ("input2_offset", p.input2_offset),
              ("output_offset", p.output_offset), ("output_multiplier", p.output_multiplier),
              ("output_shift", p.output_shift), ("quantized_activation_min", p.act_min),
              ("quantized_activation_max", p.act_max)]
    if step.op == "ADD":
        fields += [("left_shift", p.left_shift), ("input1_multiplier", p.input1_multiplier),
                   ("input1_shift", p.input1_shift), ("input2_multiplier", p.input2_multiplier),
                   ("input2_shift", p.input2_shift)]
    function = "BroadcastAdd4DSlow" if step.op == "ADD" else "BroadcastMul4DSlow"
    lines = ["tflite::ArithmeticParams params = {};",
             *(f"params.{name} = {value};" for name, value in fields),
             *_shape("shape1", a.shape), *_shape("shape2", b.shape),
             *_shape("output", out.shape),
             f"tflite::reference_integer_ops::{function}(",
             f"    params, shape1, {_pointer(a, step.inputs[0], offsets, arrays, True)},",
             f"    shape2, {_pointer(b, step.inputs[1], offsets, arrays, True)},",
             f"    output, {_pointer(out, step.outputs[0], offsets, arrays, False)});"]
    return f"integer_ops/{step.op.lower()}.h", lines


def _quantize(step: Step, graph: Subgraph, offsets, arrays) -> tuple[str, list[str]]:
    p, t = step.params, graph.tensors
    inp, out = t[step.inputs[0]], t[step.outputs[0]]
    source = _pointer(inp, step.inputs[0], offsets, arrays, True)
    target = _pointer(out, step.outputs[0], offsets, arrays, False)
    if inp.dtype == "float32":
        return "quantize.h", [
            "tflite::QuantizationParams params = {};",
            f"params.zero_point = {p.output_zero_point};",
            f"params.scale = {p.scale!r};", *_shape("shape", out.shape),
            f"tflite::reference_ops::AffineQuantize(params, shape, {source}, shape, {target});"]
    return "requantize.h", [
        f"tflite::reference_ops::Requantize({source}, {prod(out.shape)}, {p.multiplier},",
        f"    {p.shift}, {p.input_zero_point}, {p.output_zero_point}, {target});"]


def _dequantize(step: Step, graph: Subgraph, offsets, arrays) -> tuple[str, list[str]]:
    p, t = step.params, graph.tensors
    inp, out = t[step.inputs[0]], t[step.outputs[0]]
    return "dequantize.h", [
        "tflite::DequantizationParams params = {};",
        f"params.zero_point = {p.zero_point};", f"params.scale = {p.scale!r};",
        *_shape("shape", inp.shape),
        f"tflite::reference_ops::Dequantize(params, shape,"
        f" {_pointer(inp, step.inputs[0], offsets, arrays, True)}, shape,"
        f" {_pointer(out, step.outputs[0], offsets, arrays, False)});"]


_CALLS = {"FULLY_CONNECTED": _fully_connected, "ADD": _binary, "MUL": _binary,
          "QUANTIZE": _quantize, "DEQUANTIZE": _dequantize}


def reference_step(step: Step, graph: Subgraph, offsets: dict[int, int], arrays) -> dict | None:
    """The template's entry for ``step`` as a call of TFLM's reference kernel (``kind``
    ``"reference"``, its ``header`` under ``reference/`` and its C++ ``lines``), or None
    when there is none for it. ``arrays`` names the const arrays (``emit_c._Arrays``)."""
    call = _CALLS.get(step.op)
    if call is None:
        return None
    header, lines = call(step, graph, offsets, arrays)
    if not lines:
        return None
    return {"op": step.op, "op_index": step.op_index, "kind": "reference",
            "header": f"{_REFERENCE}/{header}", "lines": lines}
