"""The compiled program as C++ over ESP-NN, for the esp32 and esp32s3 boards: const
arrays and one straight-line function calling the s8 kernels of esp-nn 1.2.3 (5f0a807,
as esp-tflite-micro 1.4.0 builds it: ``include/esp_nn.h`` picks the chip's variant),
with every tensor and scratch buffer at its offset of the static memory plan.

Each call gets the arguments esp-tflite-micro 1.4.0's ``kernels/esp_nn/*.cc`` give it
(``data_dims_t`` with ``extra`` 1 for input and output and 0 for the filter, dilation
``{0, 0}``, one call per batch, the scratch buffer set before every conv, depthwise conv
and softmax call). Where those kernels call TFLM instead of ESP-NN, so does the program,
through TFLM's header-only reference kernels (``tensorflow/lite/kernels/internal/
reference/``): dilated convolutions, broadcasting ADD and MUL, QUANTIZE and DEQUANTIZE.
That is why the source is C++; its entry points are ``extern "C"`` and those every
emitter defines (:mod:`.emitters`: ``<prefix>_compiled_arena_bytes()``,
``<prefix>_compiled_input/_output(arena, i)``, ``<prefix>_compiled_run(arena)``, the
caller owning the arena), so it links into the same runtime
(``firmware/edgetf/edgetf_compiled_runtime.cc``) as the CMSIS-NN program.

What esp-nn 5f0a807 and esp-tflite-micro 9fee33d do that their documentation does not say
(read in their sources), and how the program copes:

- The softmax kernels keep one int32 per element of a row in their scratch buffer, but
  esp-tflite-micro asks ``esp_nn_get_softmax_scratch_size(dims[1], dims[2])`` for it: a
  row's length only for a rank-2 input; for ``[1, 1, 1, N]`` TFLM allocates 4 bytes and
  the kernel writes 4N. The emitter refuses a plan whose softmax scratch is smaller than
  the row needs.
- Sizes reach ESP-NN as ``uint16_t`` (fully connected row length and units, pooling
  shapes, and inside conv and depthwise conv): a dimension over 65535 is refused.
- esp-tflite-micro's pooling calls the ``_ansi`` kernel by name when the channel count is
  not a multiple of 4 (the S3's SIMD kernel needs it); the program does the same.
- ``conv_params_t.dilation`` and ``data_dims_t.extra`` ("can be used as batch", says
  esp_nn_defs.h) are read by no 1.2.3 kernel: dilation must go to TFLM's reference kernel
  and batches to one call each, as esp-tflite-micro does.
- ``esp_nn_softmax_s8`` without a scratch buffer prints an error and returns, leaving the
  output as it was: nothing reports the failure to the caller (hence the check below).

Documented (esp-nn's Kconfig) and worth knowing: ESP-NN's requantization is TFLM's, bit for
bit, unless ``CONFIG_NN_SKIP_NUDGE`` (default off) is set; then outputs may differ by one.

The first run also asks ESP-NN's own ``esp_nn_get_*_scratch_size`` for every kernel with
scratch and fails (returning that step's number) if the plan gave less: a program
planned for one chip's ESP-NN and built for another cannot overrun its buffers.
"""

from __future__ import annotations

from math import prod

from edgetf.compiled.emit_c import _Arrays, _environment
from edgetf.compiled.mean import mean_lines
from edgetf.compiled.memory_plan import MemoryPlan
from edgetf.compiled.program import VIEW_OPS, Program, Step, UnsupportedOpError
from edgetf.targets.planner.lifetimes import tensor_bytes
from edgetf.tflite.model import Subgraph

#: The TFLM header each reference kernel the program may call is defined in.
_REFERENCE_HEADERS = {
    "conv": "tensorflow/lite/kernels/internal/reference/integer_ops/conv.h",
    "depthwise": "tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h",
    "add": "tensorflow/lite/kernels/internal/reference/integer_ops/add.h",
    "mul": "tensorflow/lite/kernels/internal/reference/integer_ops/mul.h",
    "quantize": "tensorflow/lite/kernels/internal/reference/quantize.h",
    "requantize": "tensorflow/lite/kernels/internal/reference/requantize.h",
    "dequantize": "tensorflow/lite/kernels/internal/reference/dequantize.h",
}
_U16 = 0xFFFF
_C_TYPES = {"int8": "int8_t", "int16": "int16_t", "float32": "float"}


def _refuse(step: Step, why: str) -> UnsupportedOpError:
    return UnsupportedOpError(f"model: op {step.op_index} ({step.op}) {why}, which the ESP-NN"
                              " program does not handle; use the TFLM runtime")


def _shape(shape, rank: int = 4) -> str:
    """A RuntimeShape's dims, extended to ``rank`` with leading ones as TFLM's 4D kernels
    extend them."""
    dims = [1] * (rank - len(shape)) + [int(d) for d in shape]
    return "{" + ", ".join(str(d) for d in dims) + "}"


def _check_u16(step: Step, *values: int) -> None:
    if any(v > _U16 for v in values):
        raise _refuse(step, f"has a dimension over {_U16}, more than ESP-NN's uint16_t"
                            " arguments hold")


def _scratch_at(step: Step, plan: MemoryPlan, scratch: dict[int, tuple[int, ...]]
                ) -> tuple[str, int]:
    """The C pointer of the op's scratch buffer (``0`` for none) and its planned size."""
    buffers = plan.scratch_offsets().get(step.op_index, ())
    sizes = scratch.get(step.op_index, ())
    if buffers and sizes:
        return f"arena + {buffers[0]}", int(sizes[0])
    return "0", 0


def _conv(step: Step, graph: Subgraph, arrays: _Arrays, at: dict, reference: set) -> dict:
    tensors = graph.tensors
    inp, filt, out = (tensors[step.inputs[0]], tensors[step.inputs[1]],
                      tensors[step.outputs[0]])
    p = step.params
    n, h, w, c = inp.shape
    _, oh, ow, oc = out.shape
    depthwise = step.op == "DEPTHWISE_CONV_2D"
    _check_u16(step, h, w, c, oh, ow, oc, filt.shape[1], filt.shape[2])
    bias = step.inputs[2] if len(step.inputs) > 2 else -1
    kind = "depthwise" if depthwise else "conv"
    dilated = p.dilation_h != 1 or p.dilation_w != 1
    if dilated:  # esp_nn/conv.cc and depthwise_conv.cc call TFLM's reference kernel
        reference.add(kind)
    return {**at, "kind": ("reference_" if dilated else "") + kind, "batches": n,
            "input_size": h * w * c, "output_size": oh * ow * oc,
            # data_dims_t: width, height, channels, extra
            "input_dims": f"{{{w}, {h}, {c}, 1}}", "output_dims": f"{{{ow}, {oh}, {oc}, 1}}",
            "filter_dims": f"{{{filt.shape[2]}, {filt.shape[1]}, {filt.shape[3]}, 0}}",
            "input_shape": _shape(inp.shape), "filter_shape": _shape(filt.shape),
            "bias_shape": f"{{{oc}}}",
            "output_shape": _shape(out.shape),
            "filter": arrays.tensor(step.inputs[1], "int8_t"),
            "bias": arrays.tensor(bias, "int32_t"),
            "multipliers": arrays.values(f"op{step.op_index}_multipliers", p.multipliers),
            "shifts": arrays.values(f"op{step.op_index}_shifts", p.shifts)}


def _fully_connected(step: Step, graph: Subgraph, arrays: _Arrays, at: dict) -> dict:
    filt, out = graph.tensors[step.inputs[1]], graph.tensors[step.outputs[0]]
    depth, units = filt.shape[-1], out.shape[-1]
    _check_u16(step, depth, units)
    p = step.params
    bias = step.inputs[2] if len(step.inputs) > 2 else -1
    row = {**at, "kind": "fully_connected", "batches": prod(out.shape) // units,
           "depth": depth, "units": units,
           "filter": arrays.tensor(step.inputs[1], "int8_t"),
           "bias": arrays.tensor(bias, "int32_t")}
    if p.per_channel:
        row["multipliers"] = arrays.values(f"op{step.op_index}_multipliers", p.multipliers)
        row["shifts"] = arrays.values(f"op{step.op_index}_shifts", p.shifts)
    return row


def _elementwise(step: Step, graph: Subgraph, arrays: _Arrays, offsets: dict[int, int],
                 at: dict, reference: set) -> dict:
    tensors = graph.tensors
    a, b, out = (tensors[step.inputs[0]], tensors[step.inputs[1]],
                 tensors[step.outputs[0]])
    pointers = [f"AT({offsets[i]})" if i in offsets else arrays.tensor(i, "int8_t")
                for i in step.inputs[:2]]
    rank = max(len(a.shape), len(b.shape))
    # reference_ops::ProcessBroadcastShapes: the shapes, extended to one rank, equal.
    same = _shape(a.shape, rank) == _shape(b.shape, rank)
    kind = step.op.lower()
    if not same:
        if max(rank, len(out.shape)) > 4:
            raise _refuse(step, "broadcasts over more than 4 dimensions (esp-tflite-micro"
                                " calls TFLM's BroadcastAdd4DSlow/BroadcastMul4DSlow)")
        reference.add(kind)
        kind = "broadcast_" + kind
    return {**at, "kind": kind, "in1": pointers[0], "in2": pointers[1],
            "size": prod(out.shape), "input1_shape": _shape(a.shape),
            "input2_shape": _shape(b.shape), "output_shape": _shape(out.shape)}


def _step(step: Step, graph: Subgraph, plan: MemoryPlan, offsets: dict[int, int],
          scratch: dict[int, tuple[int, ...]], arrays: _Arrays, reference: set) -> dict:
    tensors = graph.tensors
    inp, out = tensors[step.inputs[0]], tensors[step.outputs[0]]
    pointer, planned = _scratch_at(step, plan, scratch)
    at = {"op": step.op, "op_index": step.op_index, "p": step.params,
          "input": offsets.get(step.inputs[0]), "output": offsets[step.outputs[0]],
          "scratch": pointer, "scratch_bytes": planned}
    if step.op in VIEW_OPS:
        same = at["input"] == at["output"]
        return {**at, "kind": "view" if same else "copy", "bytes": tensor_bytes(inp)}
    if step.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        return _conv(step, graph, arrays, at, reference)
    if step.op == "FULLY_CONNECTED":
        return _fully_connected(step, graph, arrays, at)
    if step.op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        n, h, w, c = inp.shape
        _, oh, ow, _ = out.shape
        _check_u16(step, h, w, c, oh, ow, step.params.filter_h, step.params.filter_w)
        name = "esp_nn_avg_pool_s8" if step.op == "AVERAGE_POOL_2D" else "esp_nn_max_pool_s8"
        return {**at, "kind": "pool", "function": name if c % 4 == 0 else name + "_ansi",
                "batches": n, "input_size": h * w * c, "output_size": oh * ow * c,
                "h": h, "w": w, "c": c, "oh": oh, "ow": ow}
    if step.op == "SOFTMAX":
        depth = inp.shape[-1]
        if 0 < planned < 4 * depth:
            raise _refuse(step, f"has a softmax scratch buffer of {planned} bytes where its"
                                f" rows of {depth} need {4 * depth} (esp-tflite-micro sizes it"
                                " by the input's dims[1])")
        return {**at, "kind": "softmax", "rows": prod(inp.shape) // depth, "depth": depth}
    if step.op in ("ADD", "MUL"):
        return _elementwise(step, graph, arrays, offsets, at, reference)
    if step.op == "QUANTIZE":
        if inp.dtype == "float32":
            reference.add("quantize")
            return {**at, "kind": "quantize", "scale": repr(float(step.params.scale)),
                    "size": prod(inp.shape)}
        reference.add("requantize")
        return {**at, "kind": "requantize", "in_type": _C_TYPES[inp.dtype],
                "size": prod(inp.shape)}
    if step.op == "DEQUANTIZE":
        reference.add("dequantize")
        return {**at, "kind": "dequantize", "scale": repr(float(step.params.scale)),
                "size": prod(inp.shape)}
    if step.op == "MEAN":  # no ESP-NN kernel; the program's own loop (.mean)
        return {**at, "kind": "lines", "lines": mean_lines(step.params, at["input"],
                                                            at["output"])}
    raise _refuse(step, "has no ESP-NN or reference kernel here")


def emit_esp_nn(program: Program, graph: Subgraph, plan: MemoryPlan,
                scratch: dict[int, tuple[int, ...]] | None = None, title: str = "model",
                prefix: str = "edgetf") -> str:
    """The C++ source of ``program`` over ESP-NN (and TFLM's reference kernels where
    esp-tflite-micro uses them), its buffers placed by ``plan`` (made with the same
    ``scratch``: op index -> the byte sizes the board's ESP-NN kernel asks for, as
    the planner's esp-tflite-micro table of the board's chip gives them). It defines the
    ``<prefix>_compiled_*`` functions of :mod:`.emitters`."""
    scratch = scratch or {}
    offsets = plan.tensor_offsets()
    arrays = _Arrays(graph, program, offsets)
    reference: set[str] = set()
    steps = [{**_step(s, graph, plan, offsets, scratch, arrays, reference),
              "decode": arrays.decode_lines(s)} for s in program.steps]
    return _environment().get_template("esp_nn_program.cc.j2").render(
        title=title.replace("*/", "* /"), prefix=prefix, arrays=arrays.items,
        lut_plans=arrays.plans, plan_size=max(plan.size, 16),
        steps=steps, input_offsets=[offsets[i] for i in program.inputs],
        output_offsets=[offsets[i] for i in program.outputs],
        headers=[_REFERENCE_HEADERS[k] for k in sorted(reference)])
