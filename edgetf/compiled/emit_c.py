"""A first C emitter for the compiled program: const arrays and one straight-line
function calling CMSIS-NN's s8 kernels (the API of the CMSIS-NN bundled in
Chirale_TensorFlowLite 2.0.0, ``src/third_party/cmsis_nn/Include/arm_nnfunctions.h``),
with every tensor and scratch buffer at its offset of the static memory plan. The
kernels' argument structs are filled as TFLM's own ``kernels/cmsis_nn/*.cpp`` of that
library fill them (dims, offsets, ``filter_offset`` 0).

``emit-firmware --runtime compiled`` uses it for boards whose kernel library is
``"cmsis-nn"`` (:mod:`.emitters`). Ops CMSIS-NN 2023 has no s8 kernel for (per-channel
FULLY_CONNECTED, ADD and MUL that broadcast or read a constant, QUANTIZE, DEQUANTIZE) call
TFLM's reference kernels (:mod:`.reference_calls`; the program is then C++ only).
A filter stored as look-up tables (:mod:`.lut_weights`) is decoded by edgetf's decoder
(``edgetf::lut::Decode``, C++ too) into its arena buffer right before its kernel call.

The template is rendered with an environment of its own (``templates/`` beside this
module), because ``compiled/`` sits below ``codegen/`` and may not import its one.
"""

from __future__ import annotations

import functools
from math import prod
from pathlib import Path

import jinja2

from edgetf.compiled.mean import mean_lines
from edgetf.compiled.memory_plan import MemoryPlan
from edgetf.compiled.program import VIEW_OPS, Program, Step, UnsupportedOpError
from edgetf.compiled.reference_calls import reference_step
from edgetf.targets.planner.lifetimes import tensor_bytes
from edgetf.tflite.model import Subgraph

_INT32_MIN = -(1 << 31)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)


def _literal(value: int) -> str:
    """An int32 as a C literal (INT32_MIN cannot be written as ``-2147483648``)."""
    return "(-2147483647 - 1)" if value == _INT32_MIN else str(int(value))


def _dims(n: int, h: int, w: int, c: int) -> str:
    return f"{{{n}, {h}, {w}, {c}}}"  # cmsis_nn_dims: n, h, w, c


class _Arrays:
    """The const arrays the function reads, named once each. A filter stored as look-up
    tables (``program.luts``) is its packed indices, its tables and the decoder's plan
    in flash, and, for the kernel, its decoded buffer in the arena."""

    def __init__(self, graph: Subgraph, program: Program | None = None,
                 offsets: dict[int, int] | None = None) -> None:
        self.graph, self.items, self._named = graph, [], {}
        self.luts = {w.tensor: w for w in program.luts} if program is not None else {}
        self.offsets = offsets or {}
        self.plans: list[dict] = []

    def tensor(self, index: int, c_type: str) -> str:
        if index < 0:
            return "0"
        if index in self.luts:  # decoded right before its op (see decode_lines)
            return f"((int8_t *)(arena + {self.offsets[index]}))"
        if index not in self._named:
            values = self.graph.tensors[index].array().ravel().tolist()
            self._named[index] = f"tensor_{index}"
            self.items.append({"name": f"tensor_{index}", "c_type": c_type,
                               "data": [_literal(v) for v in values]})
        return self._named[index]

    def values(self, name: str, values: tuple[int, ...], c_type: str = "int32_t") -> str:
        self.items.append({"name": name, "c_type": c_type,
                           "data": [_literal(v) for v in values]})
        return name

    def decode_lines(self, step: Step) -> list[str]:
        """The C++ statements that decode the filters ``step`` reads into the arena, with
        edgetf's LUT decoder (``edgetf_lut_decode.h``), the const data they read."""
        lines = []
        for index in step.inputs:
            weight = self.luts.get(index)
            if weight is None:
                continue
            name = f"tensor_{index}"
            self.values(f"{name}_indices", tuple(weight.indices), "uint8_t")
            self.values(f"{name}_lut", tuple(weight.ancillary), "uint8_t")
            self.plans.append({"name": f"{name}_plan", "channels": weight.channels,
                               "bits": weight.bits, "stride": weight.stride,
                               "alternate": int(weight.alternate_axis)})
            lines.append(f"edgetf::lut::Decode({name}_plan, {name}_indices, {name}_lut, "
                         f"{weight.decoded_bytes}, arena + {self.offsets[index]});")
        return lines


def _refuse(step: Step, why: str) -> UnsupportedOpError:
    return UnsupportedOpError(f"model: op {step.op_index} ({step.op}) {why}, which neither"
                              " CMSIS-NN nor TFLM's reference kernels cover here; use the TFLM"
                              " runtime")


def _reference(step: Step, graph: Subgraph, offsets: dict[int, int], arrays: _Arrays,
               why: str) -> dict:
    """A step CMSIS-NN has no kernel for, as a call of TFLM's reference kernel."""
    call = reference_step(step, graph, offsets, arrays)
    if call is None:
        raise _refuse(step, why)
    return call


def _step(step: Step, graph: Subgraph, plan: MemoryPlan, offsets: dict[int, int],
          scratch: dict[int, tuple[int, ...]], arrays: _Arrays) -> dict:
    tensors = graph.tensors
    inp, out = tensors[step.inputs[0]], tensors[step.outputs[0]]
    at = {"op": step.op, "op_index": step.op_index, "p": step.params,
          "input": offsets.get(step.inputs[0]), "output": offsets[step.outputs[0]]}
    buffers = plan.scratch_offsets().get(step.op_index, ())
    sizes = scratch.get(step.op_index, ())
    at["ctx"] = (f"{{arena + {buffers[0]}, {sizes[0]}}}" if buffers
                 else "{0, 0}")
    if step.op in VIEW_OPS:
        same = at["input"] == at["output"]
        return {**at, "kind": "view" if same else "copy", "bytes": tensor_bytes(inp)}
    if step.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        filt = tensors[step.inputs[1]]
        n, h, w, c = inp.shape
        _, oh, ow, oc = out.shape
        depthwise = step.op == "DEPTHWISE_CONV_2D"
        bias = step.inputs[2] if len(step.inputs) > 2 else -1
        return {**at, "kind": "depthwise" if depthwise else "conv",
                "input_dims": _dims(n, h, w, c),
                "filter_dims": _dims(1 if depthwise else oc, filt.shape[1], filt.shape[2],
                                     oc if depthwise else c),
                "bias_dims": _dims(1, 1, 1, oc), "output_dims": _dims(n, oh, ow, oc),
                "filter": arrays.tensor(step.inputs[1], "int8_t"),
                "bias": arrays.tensor(bias, "int32_t"),
                "multipliers": arrays.values(f"op{step.op_index}_multipliers",
                                             step.params.multipliers),
                "shifts": arrays.values(f"op{step.op_index}_shifts", step.params.shifts)}
    if step.op == "FULLY_CONNECTED":
        if step.params.per_channel:  # arm_fully_connected_s8 takes one multiplier
            return _reference(step, graph, offsets, arrays, "has per-channel weights")
        filt = tensors[step.inputs[1]]
        depth, units = filt.shape[-1], out.shape[-1]
        batches = prod(out.shape) // units
        bias = step.inputs[2] if len(step.inputs) > 2 else -1
        return {**at, "kind": "fully_connected", "input_dims": _dims(batches, 1, 1, depth),
                "filter_dims": _dims(depth, 1, 1, units), "bias_dims": _dims(1, 1, 1, units),
                "output_dims": _dims(batches, 1, 1, units),
                "filter": arrays.tensor(step.inputs[1], "int8_t"),
                "bias": arrays.tensor(bias, "int32_t")}
    if step.op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        _, h, w, c = inp.shape
        _, oh, ow, _ = out.shape
        return {**at, "kind": "pool", "input_dims": _dims(1, h, w, c),
                "filter_dims": _dims(1, step.params.filter_h, step.params.filter_w, 1),
                "output_dims": _dims(1, oh, ow, c),
                "function": "arm_avgpool_s8" if step.op == "AVERAGE_POOL_2D"
                else "arm_max_pool_s8"}
    if step.op == "SOFTMAX":
        row = inp.shape[-1]
        return {**at, "kind": "softmax", "rows": prod(inp.shape) // row, "row_size": row}
    if step.op in ("ADD", "MUL"):
        other = tensors[step.inputs[1]]
        if tuple(inp.shape) != tuple(other.shape) or tuple(inp.shape) != tuple(out.shape):
            return _reference(step, graph, offsets, arrays, "broadcasts")
        if step.inputs[0] not in offsets or step.inputs[1] not in offsets:
            return _reference(step, graph, offsets, arrays, "has a constant input")
        return {**at, "kind": step.op.lower(), "input2": offsets[step.inputs[1]],
                "size": prod(out.shape)}
    if step.op == "MEAN":  # no CMSIS-NN kernel; the program's own loop (.mean)
        return {**at, "kind": "lines", "lines": mean_lines(step.params, at["input"],
                                                            at["output"])}
    return _reference(step, graph, offsets, arrays, "has no CMSIS-NN s8 kernel")


def emit_c(program: Program, graph: Subgraph, plan: MemoryPlan,
           scratch: dict[int, tuple[int, ...]] | None = None, title: str = "model",
           prefix: str = "edgetf") -> str:
    """The C source of ``program`` over CMSIS-NN, its buffers placed by ``plan`` (made
    with the same ``scratch``: op index -> the byte sizes its kernel asks for).

    It defines, with C linkage, the functions :mod:`.emitters` names for every emitter:
    ``<prefix>_compiled_arena_bytes()``, ``<prefix>_compiled_input(arena, i)``,
    ``<prefix>_compiled_output(arena, i)`` and ``<prefix>_compiled_run(arena)``."""
    scratch = scratch or {}
    offsets = plan.tensor_offsets()
    arrays = _Arrays(graph, program, offsets)
    steps = [{**_step(s, graph, plan, offsets, scratch, arrays),
              "decode": arrays.decode_lines(s)} for s in program.steps]
    headers = sorted({s["header"] for s in steps if s["kind"] == "reference"})
    return _environment().get_template("cmsis_nn_program.c.j2").render(
        title=title.replace("*/", "* /"), prefix=prefix, arrays=arrays.items, headers=headers,
        lut_plans=arrays.plans,
        plan_size=max(plan.size, 16),
        steps=steps, input_offsets=[offsets[i] for i in program.inputs],
        output_offsets=[offsets[i] for i in program.outputs])
