"""Which buffers TFLM plans, and when each is live: its AllocationInfo list.

From ``tensorflow/lite/micro/micro_allocation_info.cc`` (tflite-micro 90b983c2b3f1):

- The list holds every tensor of every subgraph (subgraph by subgraph, in index order),
  then every scratch buffer in the order kernels requested them. Only some are planned
  (``needs_allocating``): tensors with no constant data, not variables, of non-zero
  size; and every scratch buffer. Variable tensors live in the persistent section
  instead, unless the offline plan gives them an offset.
- Lifetimes count "allocation scopes": subgraph inputs are created and last used at
  scope 0 (the scope before the first op), op ``i`` is scope ``i + 1``; a tensor is
  created by the first op that outputs it and last used by the last op that reads or
  writes it; subgraph outputs live to the last scope. A planned tensor nothing touches
  keeps the lifetime ``[-1, -1]``, and is still planned. A scratch buffer lives exactly
  during the op that requested it.
- Control-flow ops (IF, WHILE, CALL_ONCE) open scopes for the subgraphs they call; the
  planner's kernel tables do not know those ops yet, so a model that has them is
  reported, not planned (see :mod:`.plan`), and only subgraph 0 is walked here.
- Sizes are rounded up to 16 bytes before planning (``CreatePlan`` in micro_allocator.cc).
- "OfflineMemoryAllocation" metadata (``[version, subgraph, count, offset...]`` as
  int32, one offset per tensor of all subgraphs, -1 = plan online) fixes offsets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from edgetf.targets.planner.arena import ALIGN, align_up
from edgetf.targets.planner.greedy import ONLINE, Buffer
from edgetf.tflite.model import Subgraph, Tensor, TfliteModel
from edgetf.tflite.types import tensor_nbytes

OFFLINE_METADATA = "OfflineMemoryAllocation"


@dataclass(frozen=True)
class ScratchRequest:
    """A kernel's ``RequestScratchBufferInArena``: bytes, for op ``node`` of ``subgraph``."""

    bytes: int
    node: int
    subgraph: int = 0


@dataclass(frozen=True)
class PlannedBuffer:
    """A buffer handed to the planner and what it stands for: ``("tensor", index)`` of
    subgraph 0, or ``("scratch", request index)``."""

    kind: str
    index: int
    buffer: Buffer


def tensor_bytes(tensor: Tensor) -> int:
    """``TfLiteEvalTensorByteLength``: :func:`~edgetf.tflite.types.tensor_nbytes` in
    the arena (a scalar has one element; 0 for a zero dimension)."""
    return tensor_nbytes(tensor.shape, tensor.dtype, in_arena=True)


def is_constant(tensor: Tensor) -> bool:
    """TFLM points a tensor at the flatbuffer when its buffer has data."""
    return len(tensor.data) > 0


def offline_offsets(model: TfliteModel) -> list[int] | None:
    """The offline plan's offsets, one per tensor of all subgraphs, or None."""
    for name, data in model.metadata:
        if name == OFFLINE_METADATA and len(data) >= 12:
            count = struct.unpack_from("<I", data, 8)[0]
            count = min(count, (len(data) - 12) // 4)
            return list(struct.unpack_from(f"<{count}i", data, 12))
    return None


def _scopes(graph: Subgraph) -> tuple[dict[int, int], dict[int, int]]:
    """First and last allocation scope of each tensor of ``graph`` that has one."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for t in graph.inputs:
        first.setdefault(t, 0)
        last[t] = 0
    scope = 0
    for op in graph.operators:
        scope += 1
        for t in op.outputs:
            first.setdefault(t, scope)
        for t in op.inputs:
            if t >= 0:
                last[t] = scope
        for t in op.outputs:
            last[t] = scope
    for t in graph.outputs:
        first.setdefault(t, scope)
        last[t] = scope
    return first, last


def planned_buffers(model: TfliteModel, requests: list[ScratchRequest],
                    offline: list[int] | None,
                    plans_offline_variables: bool = True) -> list[PlannedBuffer]:
    """The buffers CreatePlan adds to the planner, in its order (``plans_offline_variables``:
    see :class:`~.kernels.AllocatorRules`)."""
    graph = model.main
    first, last = _scopes(graph)
    out: list[PlannedBuffer] = []
    for tensor in graph.tensors:
        offset = offline[tensor.index] if offline is not None else ONLINE
        size = tensor_bytes(tensor)
        needs = not is_constant(tensor) and not tensor.is_variable and size != 0
        if plans_offline_variables and tensor.is_variable and offset != ONLINE:
            needs = True
        if needs:
            buffer = Buffer(align_up(size, ALIGN), first.get(tensor.index, -1),
                            last.get(tensor.index, -1), offset)
            out.append(PlannedBuffer("tensor", tensor.index, buffer))
    for i, request in enumerate(requests):
        scope = request.node + 1
        out.append(PlannedBuffer("scratch", i, Buffer(align_up(request.bytes, ALIGN), scope,
                                                      scope)))
    return out
