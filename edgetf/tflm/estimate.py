"""The arena a model needs, estimated from the flatbuffer alone, for hosts where the TFLM
interpreter (tflite-micro) has no wheel."""


from __future__ import annotations

from edgetf.tflite.model import TfliteModel
from edgetf.tflite.types import tensor_nbytes

_ALIGN = 16  # TFLM aligns every arena buffer to 16 bytes (MicroArenaBufferAlignment)


# Sizes of TFLM's runtime structures on a 64-bit host, so that the estimate stands for
# the same thing as the measurement (32-bit MCUs need less). Where they come from:
# struct layouts in tflite-micro (micro_allocation_info.h, greedy_memory_planner.h) and
# the RecordingMicroAllocator report (print_allocations) of tflite-micro 0.dev20261023
# for the CNN, residual MLP and LSTM of tests/test_tflm.py.
_EVAL_TENSOR = 24  # TfLiteEvalTensor (report: 216 B for 9); data, dims, type; 12 on 32-bit
_NODE = 64  # NodeAndRegistration, one per op (report: 256 B for 4)
_OP_DATA = 96  # a kernel's persistent OpData (report: 80..160 B per op) ...
_OP_DATA_LARGE = {"UNIDIRECTIONAL_SEQUENCE_LSTM": 704}  # ... but gate parameters for LSTM
_PER_CHANNEL = 8  # int32 output multiplier + shift per output channel (conv, FC)
_IO_TENSOR = 64 + 32  # persistent TfLiteTensor + quantization per model input/output
_TEMP_TENSOR = 64  # temporary TfLiteTensor a kernel allocates per input/output it reads
_ALLOCATION_INFO = 32  # AllocationInfo per tensor while planning (micro_allocation_info.h)
_PLANNER_ENTRY = 40  # GreedyMemoryPlanner::per_buffer_size() per planned buffer
_FIXED = 592  # allocator, planner and interpreter objects (the report's unlisted rest)
_PER_CHANNEL_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"}


def estimate_arena(model: TfliteModel) -> int:
    """Arena estimate from the flatbuffer alone, in bytes (a multiple of 16).

    Activations: non-constant tensors live from the op that produces them (model
    inputs: from the start) to the last op that reads them (outputs: to the end),
    packed greedily largest first, as TFLM's GreedyMemoryPlanner does. On top of that
    the per-tensor and per-op structures above, variable tensors (live throughout), and
    the larger of the planner's bookkeeping and the temporary tensors a kernel
    allocates. It aims at the measured figure: 0.90x..1.14x of it on the test models
    and on CNNs and MLPs of up to 60 KB of arena.
    """
    graph = model.main
    ops = graph.operators
    buffers = list(activation_buffers(model).values())
    persistent = _FIXED + _EVAL_TENSOR * len(graph.tensors) + sum(
        aligned(tensor_nbytes(t.shape, t.dtype, in_arena=True))
        for t in graph.tensors if t.is_variable)
    persistent += _IO_TENSOR * (len(graph.inputs) + len(graph.outputs))
    temp = 0
    for op in ops:
        persistent += _NODE + _OP_DATA_LARGE.get(op.name, _OP_DATA)
        if op.name in _PER_CHANNEL_OPS and op.outputs:
            shape = graph.tensors[op.outputs[0]].shape
            persistent += _PER_CHANNEL * (max(shape[-1], 1) if shape else 1)
        used = sum(1 for t in op.inputs if t >= 0) + len(op.outputs)
        temp = max(temp, _TEMP_TENSOR * used)
    planning = _ALLOCATION_INFO * len(graph.tensors) + _PLANNER_ENTRY * len(buffers)
    head = max(_pack(buffers) + temp, planning)
    return aligned(head + persistent)


def activation_buffers(model: TfliteModel) -> dict[int, tuple[int, int, int]]:
    """The activations the estimate packs: tensor index -> (bytes rounded up to 16, first
    op, last op), for every non-constant, non-variable tensor of the main subgraph that
    an op writes or that is a model input."""
    graph = model.main
    last = len(graph.operators) - 1
    first_use: dict[int, int] = {i: 0 for i in graph.inputs}
    last_use: dict[int, int] = {i: last for i in graph.outputs}
    for k, op in enumerate(graph.operators):
        for t in op.outputs:
            first_use.setdefault(t, k)
        for t in op.inputs:
            if t >= 0:
                last_use[t] = max(last_use.get(t, k), k)
    return {t.index: (aligned(tensor_nbytes(t.shape, t.dtype, in_arena=True)),
                      first_use[t.index], last_use.get(t.index, last))
            for t in graph.tensors
            if not t.is_variable and not t.data and t.index in first_use}


def _pack(buffers: list[tuple[int, int, int]]) -> int:
    """Peak of a greedy first-fit packing of (size, first, last) buffers, largest first."""
    placed: list[tuple[int, int, int, int]] = []  # offset, size, first, last
    peak = 0
    for size, first, last in sorted(buffers, key=lambda b: -b[0]):
        offset = 0
        for o, s, f, la in sorted(placed):
            if la < first or f > last:
                continue  # lifetimes do not overlap
            if o - offset >= size:
                break
            offset = max(offset, o + s)
        placed.append((offset, size, first, last))
        peak = max(peak, offset + size)
    return peak


def aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN

