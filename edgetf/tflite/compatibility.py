"""What kind of quantization a ``.tflite`` uses, and whether TFLM can run it.

Shared by ``emit-firmware`` (refuse what TFLM cannot run, before writing anything) and
``inspect``. Works on the decoded flatbuffer alone: no TensorFlow, no interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from edgetf.tflite.model import Operator, Subgraph, Tensor, TfliteModel
from edgetf.tflite.ops import is_signal_op, tflm_method

if TYPE_CHECKING:
    pass

#: The quantization kinds edgetf tells apart, and what each means for TFLM.
QUANTIZATION_KINDS: dict[str, str] = {
    "int8": "full integer: int8 activations and weights (TFLM's normal case)",
    "int16x8": "int16 activations with int8 weights (TFLM runs it on the ops that have "
               "16x8 kernels; slower than int8)",
    "float": "float32 throughout (TFLM runs it, with 4x the flash and RAM of int8 and no "
             "optimized kernels)",
    "hybrid": "dynamic-range: float activations with int8 weights (TFLM cannot run it)",
    "uint8": "legacy uint8 quantization (TFLM dropped its uint8 kernels; convert again "
             "with full-int8 quantization)",
    "mixed": "some ops in float, others quantized (runs if every op has a kernel for its "
             "types; check the self-test)",
    "integer": "plain integer arithmetic, no float and no quantized tensors (a signal-library "
               "front end: int16 PCM in, integer features out; TFLM runs it as written)",
}

# Ops that only change the representation at the model's edges: they do not make a
# full-int8 model "mixed" because its inputs or outputs are float.
_EDGE_OPS = frozenset({"QUANTIZE", "DEQUANTIZE"})
# Tensor types that are computed with, as opposed to indices, shapes and flags.
_COMPUTE_TYPES = {"float32": "float", "int8": "int8", "uint8": "uint8", "int16": "int16"}
# What a signal front end computes in: see _compute_type.
_PLAIN = "plain"


@dataclass(frozen=True)
class Compatibility:
    """The model's quantization kind and the ops that stop TFLM from running it."""

    quantization: str
    hybrid_ops: tuple[str, ...]
    unsupported_ops: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return QUANTIZATION_KINDS[self.quantization]


def check_compatibility(model: TfliteModel) -> Compatibility:
    """Quantization kind, hybrid ops and ops without a TFLM kernel, for the main graph
    (and the ops of every subgraph, which TFLM must resolve too)."""
    hybrid = hybrid_ops(model)
    return Compatibility(quantization_kind(model, hybrid), tuple(hybrid),
                         tuple(unsupported_ops(model)))


def quantization_kind(model: TfliteModel, hybrid: list[str] | None = None) -> str:
    """One of :data:`QUANTIZATION_KINDS`, from the types the ops compute in.

    An op computes in the type of its first non-constant float or integer input (or of
    its first output when it has none). Hybrid ops win over everything; QUANTIZE and
    DEQUANTIZE at the edges are not counted, so an int8 model with float inputs and
    outputs is still ``int8``. In a model with TFLM signal-library ops, those ops and the
    ops on integers without quantization parameters compute plain integers: a model of
    nothing else (an audio front end) is ``integer``; beside quantized ops (a front end
    and its int8 model in one graph) they do not count.
    """
    if hybrid if hybrid is not None else hybrid_ops(model):
        return "hybrid"
    graph = model.main
    signal = any(is_signal_op(name) for name in model.op_names())
    kinds = {_compute_type(graph, op, signal) for op in graph.operators
             if op.name not in _EDGE_OPS}
    kinds.discard(None)
    if kinds == {_PLAIN}:
        return "integer"
    kinds.discard(_PLAIN)
    if not kinds:  # only QUANTIZE/DEQUANTIZE, or no ops: judge by the edge ops' types
        kinds = {_compute_type(graph, op, signal) for op in graph.operators} - {None}
    if kinds == {"int16"}:
        return "int16x8"
    if kinds <= {"int8"}:
        return "int8" if kinds else "float"
    if len(kinds) == 1:
        return kinds.pop()
    return "mixed"


def _compute_type(graph: Subgraph, op: Operator, signal: bool) -> str | None:
    """What ``op`` computes in; :data:`_PLAIN` for a signal-library op, and for an op on
    integers without quantization parameters in a model that has signal ops (samples,
    spectra and features, not quantized activations)."""
    if is_signal_op(op.name):
        return _PLAIN
    tensors = graph.tensors
    for index in op.inputs:
        if index >= 0 and not tensors[index].data and tensors[index].dtype in _COMPUTE_TYPES:
            return _kind(tensors[index], signal)
    for index in op.outputs:
        if tensors[index].dtype in _COMPUTE_TYPES:
            return _kind(tensors[index], signal)
    return None


def _kind(tensor: Tensor, signal: bool) -> str:
    kind = _COMPUTE_TYPES[tensor.dtype]
    return _PLAIN if signal and kind != "float" and tensor.quantization is None else kind


def hybrid_ops(model: TfliteModel) -> list[str]:
    """Ops that take float activations and int8 constant weights (TFLM rejects them).

    Detected here because TFLM's words vary by kernel: convolutions say "Hybrid models
    are not supported on TFLite Micro", but FULLY_CONNECTED (tflite-micro
    0.dev20261023) says only "Input type: FLOAT32 with filter type: INT8 not supported."
    """
    found = set()
    for graph in model.subgraphs:
        tensors = graph.tensors
        for op in graph.operators:
            ins = [tensors[t] for t in op.inputs if t >= 0]
            if any(not t.data and t.dtype == "float32" for t in ins) and any(
                t.data and t.dtype == "int8" for t in ins
            ):
                found.add(op.name)
    return sorted(found)


def unsupported_ops(model: TfliteModel) -> list[str]:
    """Ops TFLM has no kernel for: custom ops (Flex ops among them, as ``CUSTOM:Flex...``),
    and builtins without a ``MicroMutableOpResolver::Add*`` method."""
    return [name for name in model.op_names() if tflm_method(name) is None]

