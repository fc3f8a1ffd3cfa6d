"""Run a compiled :class:`~edgetf.compiled.program.Program` in numpy integers: the
oracle the generated C must equal, and that must equal TFLM."""

from __future__ import annotations

import numpy as np

from edgetf.compiled import kernels
from edgetf.compiled.mean import mean
from edgetf.compiled.program import VIEW_OPS, Program, Step
from edgetf.compiled.softmax import softmax_int8
from edgetf.tflite.model import Subgraph
from edgetf.tflite.types import NUMPY_DTYPES


def _constant(g: Subgraph, index: int) -> np.ndarray | None:
    return None if index < 0 else g.tensors[index].array()


def run_step(step: Step, g: Subgraph, values: dict[int, np.ndarray]) -> np.ndarray:
    """The output of ``step`` from its input values (constants are read from ``g``)."""
    out = g.tensors[step.outputs[0]]
    shape = tuple(out.shape)

    def arg(i: int) -> np.ndarray:
        index = step.inputs[i]
        return values[index] if index in values else g.tensors[index].array()

    p, x = step.params, arg(0)
    if step.op in VIEW_OPS:
        return x.reshape(shape)
    if step.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        bias = _constant(g, step.inputs[2]) if len(step.inputs) > 2 else None
        return kernels.conv(p, x, arg(1), bias, shape)
    if step.op == "FULLY_CONNECTED":
        bias = _constant(g, step.inputs[2]) if len(step.inputs) > 2 else None
        return kernels.fully_connected(p, x, arg(1), bias, shape)
    if step.op == "AVERAGE_POOL_2D":
        return kernels.average_pool(p, x, shape)
    if step.op == "MAX_POOL_2D":
        return kernels.max_pool(p, x, shape)
    if step.op == "SOFTMAX":
        return softmax_int8(x, p.input_multiplier, p.input_left_shift, p.diff_min,
                            out.dtype).reshape(shape)
    if step.op == "ADD":
        return kernels.add(p, x, arg(1), shape)
    if step.op == "MUL":
        return kernels.mul(p, x, arg(1), shape)
    if step.op == "MEAN":
        return mean(p, x, shape)
    if step.op == "QUANTIZE":
        return kernels.quantize(p, x, out.dtype).reshape(shape)
    if step.op == "DEQUANTIZE":
        return kernels.dequantize(p, x).reshape(shape)
    raise AssertionError(f"no kernel for {step.op}")  # compile_program refuses these


def run_program(program: Program, g: Subgraph, inputs: list[np.ndarray]
                ) -> dict[int, np.ndarray]:
    """Every activation tensor's value, by tensor index, for one sample (``inputs``: one
    array per model input, in its dtype, any shape of the right size)."""
    values: dict[int, np.ndarray] = {}
    for index, value in zip(program.inputs, inputs, strict=True):
        tensor = g.tensors[index]
        values[index] = np.asarray(value, NUMPY_DTYPES[tensor.dtype]).reshape(tensor.shape)
    for step in program.steps:
        decoded = [w for w in program.luts if w.op_index == step.op_index]
        for weight in decoded:  # as the C program does: expanded right before its op
            values[weight.tensor] = weight.decode()
        values[step.outputs[0]] = run_step(step, g, values)
        for weight in decoded:  # and dead after it
            del values[weight.tensor]
    return values
