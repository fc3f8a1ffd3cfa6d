"""What each op of a ``.tflite`` costs: output shape, parameters, weight bytes and MACs.

Counted from the decoded flatbuffer alone (tensor shapes and constant buffers), so that
``inspect`` works without TensorFlow or an interpreter, and on models an interpreter
would refuse. Shapes are read from the weight tensors rather than from the options,
which a converter may leave out; a ``-1`` (dynamic) dimension counts as 1, as TFLM runs
it. A graph whose shapes do not fit an op's convention counts 0 MACs for that op rather
than failing: the figures describe a model, they do not validate it.

MACs (multiply-accumulates) per inference, the batch included:

- ``CONV_2D``: out_h * out_w * out_c * kh * kw * (in_c / groups), i.e. the output's
  elements times the filter's ``[out_c, kh, kw, in_c / groups]`` per-output volume;
- ``DEPTHWISE_CONV_2D``: out_h * out_w * out_c * kh * kw (filter ``[1, kh, kw, out_c]``);
- ``TRANSPOSE_CONV``: in_h * in_w * in_c * kh * kw * out_c, each input element scattered
  over a ``kh x kw x out_c`` patch (filter ``[out_c, kh, kw, in_c]``);
- ``FULLY_CONNECTED``: batch * out_units * in_features (weights ``[out_units, in_features]``);
- ``BATCH_MATMUL``: the output's elements times the shared (contracted) dimension;
- ``UNIDIRECTIONAL_SEQUENCE_LSTM``: time * batch * the elements of its weight matrices,
  that is 4 * units * (input_size + units) without CIFG, plus output * units with a
  projection; peepholes, layer norms and gate arithmetic are elementwise and not counted;
- ``SVDF``: batch * num_filters * (input_size + memory_size).

Every other op counts 0 MACs: elementwise arithmetic and activations, pooling, softmax,
reductions, reshapes and other data movement. Their time is not zero, but it is small
next to the ops above in the models TFLM is used for, and the latency figures of
:mod:`edgetf.targets.latency` come from whole-model timings that include it.

Parameters are the elements of the constant tensors an op reads as weights:

- for the ops with MACs above, every constant input (weights, biases, LSTM gate biases
  and projections, int32 biases included) except ``TRANSPOSE_CONV``'s ``output_shape``;
- for any other op, constant inputs of a float or quantized type (float32/16, bfloat16,
  int8, uint8, int16, int4): a constant operand of ADD or MUL, a PRELU slope, a GATHER
  table. int32/int64 operands (shapes, axes, permutations, paddings, begin/end) are
  configuration, not parameters.

Weight bytes are the bytes those tensors occupy in the file. Model totals count each
tensor once, even when several ops read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod

from edgetf.tflite.model import Operator, Subgraph, Tensor, TfliteModel
from edgetf.tflite.types import element_count

#: Tensor types whose constants hold values an op computes with (see the module docstring).
_VALUE_TYPES = frozenset(
    {"float32", "float16", "bfloat16", "int8", "uint8", "int16", "int4", "uint4"})
#: LSTM inputs that are weight matrices (schema order: input-to-gate 1..4, recurrent 5..8,
#: projection 16); the others are vectors (peepholes, biases, layer norms) or state.
_LSTM_MATRICES = (1, 2, 3, 4, 5, 6, 7, 8, 16)


@dataclass(frozen=True)
class OpCost:
    """One op of the main subgraph and what it costs."""

    index: int
    name: str
    """Builtin name as in the TFLite schema (``CONV_2D``); custom ops as ``CUSTOM:<code>``."""
    output_shape: tuple[int, ...]
    """Shape of its first output (``()`` if it has none)."""
    parameters: int
    weight_bytes: int
    macs: int
    weight_tensors: tuple[int, ...]
    """Indices of the tensors counted as its parameters."""


@dataclass(frozen=True)
class ModelCost:
    """Per-op costs of the main subgraph, and the model's totals."""

    ops: tuple[OpCost, ...]
    parameters: int
    weight_bytes: int
    macs: int


def model_cost(model: TfliteModel) -> ModelCost:
    """Costs of every op of the main subgraph (the one the interpreters run; ops of
    control-flow subgraphs are not counted), with totals over distinct weight tensors."""
    graph = model.main
    ops = tuple(op_cost(graph, op) for op in graph.operators)
    weights = {t for op in ops for t in op.weight_tensors}
    return ModelCost(
        ops=ops,
        parameters=sum(_elements(graph.tensors[t]) for t in weights),
        weight_bytes=sum(len(graph.tensors[t].data) for t in weights),
        macs=sum(op.macs for op in ops),
    )


def op_cost(graph: Subgraph, op: Operator) -> OpCost:
    """What ``op`` of ``graph`` costs (see the module docstring for the conventions)."""
    tensors = graph.tensors
    name = f"CUSTOM:{op.custom_code}" if op.name == "CUSTOM" else op.name
    counter = _MACS.get(op.name)
    weights = []
    for position, index in enumerate(op.inputs):
        tensor = tensors[index] if index >= 0 else None
        if tensor is None or not tensor.data or tensor.is_variable or index in weights:
            continue  # absent, an activation, state, or already counted
        if counter is not None:
            if position not in _CONFIGURATION_INPUTS.get(op.name, ()):
                weights.append(index)
        elif tensor.dtype in _VALUE_TYPES:
            weights.append(index)
    output = tensors[op.outputs[0]].shape if op.outputs else ()
    return OpCost(
        index=op.index,
        name=name,
        output_shape=tuple(output),
        parameters=sum(_elements(tensors[t]) for t in weights),
        weight_bytes=sum(len(tensors[t].data) for t in weights),
        macs=counter(graph, op) if counter is not None else 0,
        weight_tensors=tuple(weights),
    )


# --- MACs per op -------------------------------------------------------------------


def _conv(graph: Subgraph, op: Operator) -> int:
    filt, out = _shape(graph, op.inputs, 1), _shape(graph, op.outputs, 0)
    if len(filt) != 4 or not out:
        return 0
    return _count(out) * filt[1] * filt[2] * filt[3]


def _depthwise(graph: Subgraph, op: Operator) -> int:
    filt, out = _shape(graph, op.inputs, 1), _shape(graph, op.outputs, 0)
    if len(filt) != 4 or not out:
        return 0
    return _count(out) * filt[1] * filt[2]


def _transpose_conv(graph: Subgraph, op: Operator) -> int:
    # Inputs: output_shape, weights [out_c, kh, kw, in_c], input, optional bias.
    filt, data = _shape(graph, op.inputs, 1), _shape(graph, op.inputs, 2)
    if len(filt) != 4 or not data:
        return 0
    return _count(data) * filt[0] * filt[1] * filt[2]


def _fully_connected(graph: Subgraph, op: Operator) -> int:
    weights, out = _shape(graph, op.inputs, 1), _shape(graph, op.outputs, 0)
    if len(weights) != 2 or not out:
        return 0
    return _count(out) * weights[1]


def _batch_matmul(graph: Subgraph, op: Operator) -> int:
    lhs, out = _shape(graph, op.inputs, 0), _shape(graph, op.outputs, 0)
    if len(lhs) < 2 or not out:
        return 0
    shared = lhs[-2] if op.options.get("adj_x") else lhs[-1]
    return _count(out) * shared


def _lstm(graph: Subgraph, op: Operator) -> int:
    data = _shape(graph, op.inputs, 0)
    matrices = [_shape(graph, op.inputs, i) for i in _LSTM_MATRICES]
    matrices = [m for m in matrices if len(m) == 2]
    if not data or not matrices:
        return 0
    steps = _count(data) // max(data[-1], 1)  # time * batch, in either major order
    return steps * sum(m[0] * m[1] for m in matrices)


def _svdf(graph: Subgraph, op: Operator) -> int:
    # Inputs: input [batch, input_size], weights_feature [filters, input_size],
    # weights_time [filters, memory_size], bias, state.
    data = _shape(graph, op.inputs, 0)
    feature, time = _shape(graph, op.inputs, 1), _shape(graph, op.inputs, 2)
    if len(data) != 2 or len(feature) != 2 or len(time) != 2:
        return 0
    return data[0] * feature[0] * (feature[1] + time[1])


#: Builtin op -> its MAC count; one entry per op with multiply-accumulate work.
_MACS: dict[str, Callable[[Subgraph, Operator], int]] = {
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _depthwise,
    "TRANSPOSE_CONV": _transpose_conv,
    "FULLY_CONNECTED": _fully_connected,
    "BATCH_MATMUL": _batch_matmul,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _lstm,
    "SVDF": _svdf,
}
#: Inputs of those ops that configure them rather than hold weights.
_CONFIGURATION_INPUTS: dict[str, tuple[int, ...]] = {"TRANSPOSE_CONV": (0,)}


def _shape(graph: Subgraph, indices: tuple[int, ...], position: int) -> tuple[int, ...]:
    """Shape of the ``position``-th tensor of ``indices`` with -1 read as 1; ``()`` when
    the op has no such tensor."""
    if position >= len(indices) or indices[position] < 0:
        return ()
    return tuple(1 if d < 0 else d for d in graph.tensors[indices[position]].shape)


def _count(shape: tuple[int, ...]) -> int:
    return prod(shape)


def _elements(tensor: Tensor) -> int:
    return element_count(tensor.shape)
