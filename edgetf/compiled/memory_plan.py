"""The compiled program's static memory plan: every activation and every kernel
scratch buffer at a fixed offset of one buffer, placed by lifetime.

Lifetimes are TFLM's (:func:`edgetf.targets.planner.lifetimes.planned_buffers`, which
replays ``micro_allocation_info.cc``): scope 0 before the first op, op ``i`` at scope
``i + 1``, a buffer live from the scope that creates it to the last that reads it, both
ends included; a kernel's scratch lives during its op only. On top of TFLM's buffers:

- a view op (RESHAPE, SQUEEZE, EXPAND_DIMS) costs nothing: its output is its input's
  buffer, which then lives as long as either;
- an elementwise op (ADD, MUL, QUANTIZE, DEQUANTIZE) writes over an input of its own
  size whose buffer nothing reads after it;
- a filter stored as look-up tables (:mod:`.lut_weights`) has a buffer live during the
  one op that reads it, like that op's scratch: the program decodes it right before
  the kernel call.

Tensors sharing a buffer form a *block*. Blocks are placed first-fit in several orders
(TFLM's own, by size; by start; by lifetime length) and the smallest plan wins. TFLM's
exact greedy plan of its own buffers (views copied, nothing in place) is always a
candidate too, so the plan is never larger than TFLM's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edgetf.compiled.program import ELEMENTWISE_OPS, VIEW_OPS
from edgetf.targets.planner import greedy
from edgetf.targets.planner.arena import ALIGN, align_up
from edgetf.targets.planner.lifetimes import ScratchRequest, planned_buffers, tensor_bytes
from edgetf.tflite.model import TfliteModel


@dataclass(frozen=True)
class Block:
    """One buffer of the plan: the tensors that share it (empty for scratch), the op
    whose scratch it is (-1 for tensors), its size, lifetime and offset."""

    tensors: tuple[int, ...]
    scratch_op: int
    size: int
    first: int
    last: int
    offset: int


@dataclass(frozen=True)
class MemoryPlan:
    """``size``: the bytes the plan needs; ``lower_bound``: the most bytes live at any
    op (activations plus that op's scratch, views and in-place writes counted once), which
    no placement can beat; ``tflm_size``: TFLM's greedy plan of the same activations and
    scratch; ``method``: the placement that won; ``aliased``: False when TFLM's own plan
    won (views are then copies and nothing is written in place)."""

    blocks: tuple[Block, ...]
    size: int
    lower_bound: int
    tflm_size: int
    method: str
    aliased: bool

    def tensor_offsets(self) -> dict[int, int]:
        return {t: b.offset for b in self.blocks for t in b.tensors}

    def scratch_offsets(self) -> dict[int, tuple[int, ...]]:
        found: dict[int, list[int]] = {}
        for b in self.blocks:
            if b.scratch_op >= 0:
                found.setdefault(b.scratch_op, []).append(b.offset)
        return {op: tuple(offsets) for op, offsets in found.items()}


@dataclass
class _Group:
    tensors: list[int]
    size: int
    first: int
    last: int


def _requests(scratch: Mapping[int, Sequence[int]]) -> list[ScratchRequest]:
    return [ScratchRequest(n, op) for op in sorted(scratch) for n in scratch[op]]


def _groups(model: TfliteModel, scratch: Mapping[int, Sequence[int]], align: int,
            decoded: Mapping[int, tuple[int, int]]) -> list[_Group]:
    """TFLM's buffers with views and in-place outputs merged into their input's group;
    decoded filters, live during their op; scratch buffers last, one group each
    (``tensors`` holds ``-1 - op index``)."""
    graph = model.main
    group_of: dict[int, _Group] = {}
    groups: list[_Group] = []
    for planned in planned_buffers(model, [], None):
        b = planned.buffer
        group = _Group([planned.index], align_up(b.size, align), b.first, b.last)
        group_of[planned.index] = group
        groups.append(group)
    outputs = set(graph.outputs)
    for op in graph.operators:
        scope = op.index + 1
        out = op.outputs[0] if op.outputs else -1
        if out not in group_of or len(op.outputs) != 1:
            continue
        target = None
        if op.name in VIEW_OPS and op.inputs and op.inputs[0] in group_of:
            target = group_of[op.inputs[0]]
        elif op.name in ELEMENTWISE_OPS:
            out_bytes = tensor_bytes(graph.tensors[out])
            for i in op.inputs:
                g = group_of.get(i)
                # Nothing may read the group after this op, and no member of it may be
                # a model output (a view of an output counts).
                if (g is not None and g.last == scope and outputs.isdisjoint(g.tensors)
                        and tensor_bytes(graph.tensors[i]) == out_bytes
                        and tuple(graph.tensors[i].shape) == tuple(graph.tensors[out].shape)):
                    target = g
                    break
        if target is None or target is group_of[out]:
            continue
        merged = group_of[out]
        target.tensors += merged.tensors
        target.size = max(target.size, merged.size)
        target.first, target.last = min(target.first, merged.first), max(target.last,
                                                                          merged.last)
        for t in merged.tensors:
            group_of[t] = target
        groups.remove(merged)
    for tensor, (op, size) in sorted(decoded.items()):
        groups.append(_Group([tensor], align_up(size, align), op + 1, op + 1))
    for op in sorted(scratch):
        for n in scratch[op]:
            groups.append(_Group([-1 - op], align_up(n, align), op + 1, op + 1))
    return [g for g in groups if g.size > 0]


def _first_fit(items: list[tuple[int, int, int]], order: list[int]) -> tuple[list[int], int]:
    """Place ``(size, first, last)`` items in ``order``, each at the lowest offset where
    it overlaps no placed item that is live at the same time."""
    offsets = [0] * len(items)
    placed: list[int] = []
    for i in order:
        size, first, last = items[i]
        live = sorted((offsets[j], items[j][0]) for j in placed
                      if not (items[j][1] > last or first > items[j][2]))
        candidate = 0
        for offset, other in live:
            if offset - candidate >= size:
                break
            candidate = max(candidate, offset + other)
        offsets[i] = candidate
        placed.append(i)
    return offsets, max((o + s for o, (s, _, _) in zip(offsets, items, strict=True)),
                        default=0)


_ORDERS = {
    "largest first": lambda it: sorted(range(len(it)), key=lambda i: (-it[i][0], it[i][1])),
    "largest first, TFLM ties": lambda it: sorted(range(len(it))[::-1],
                                                  key=lambda i: -it[i][0]),
    "longest-lived first": lambda it: sorted(
        range(len(it)), key=lambda i: (-(it[i][2] - it[i][1]), -it[i][0])),
    "earliest first": lambda it: sorted(range(len(it)), key=lambda i: (it[i][1], -it[i][0])),
    "largest area first": lambda it: sorted(
        range(len(it)), key=lambda i: -it[i][0] * (it[i][2] - it[i][1] + 1)),
}


def lower_bound(items: list[tuple[int, int, int]]) -> int:
    """The most bytes live at once: over the scopes, the sizes of the items live then."""
    scopes = {s for _, first, last in items for s in (first, last)}
    return max((sum(size for size, first, last in items if first <= s <= last)
                for s in scopes), default=0)


def plan_memory(model: TfliteModel, scratch: Mapping[int, Sequence[int]] | None = None,
                align: int = ALIGN, decoded: Mapping[int, tuple[int, int]] | None = None
                ) -> MemoryPlan:
    """The static plan of ``model``'s activations plus ``scratch`` (op index -> the
    byte sizes that op's kernel asks for, in request order) plus ``decoded`` (filter
    tensor -> (the op that reads it, its bytes): :meth:`.Program.decoded`)."""
    scratch = scratch or {}
    decoded = decoded or {}
    groups = _groups(model, scratch, align, decoded)
    items = [(g.size, g.first, g.last) for g in groups]
    best = None
    for name, order in _ORDERS.items():
        offsets, size = _first_fit(items, order(items))
        if best is None or size < best[2]:
            best = (name, offsets, size)
    name, offsets, size = best
    # TFLM's plan of the same buffers: a decoded filter as one more request of its op.
    requests = _requests(scratch)
    filters = sorted(decoded.items())
    tflm = [p for p in planned_buffers(
        model, [*requests, *(ScratchRequest(n, op) for _, (op, n) in filters)], None)]
    tflm_plan = greedy.plan([p.buffer for p in tflm])
    if tflm_plan.size < size:  # possible in principle: first-fit is a heuristic
        def owner(p) -> tuple[tuple[int, ...], int]:
            if p.kind == "tensor":
                return (p.index,), -1
            if p.index >= len(requests):
                return (filters[p.index - len(requests)][0],), -1
            return (), requests[p.index].node

        blocks = tuple(
            Block(*owner(p), p.buffer.size, p.buffer.first, p.buffer.last, offset)
            for p, offset in zip(tflm, tflm_plan.offsets, strict=True))
        return MemoryPlan(blocks, tflm_plan.size, lower_bound(items), tflm_plan.size,
                          "TFLM's greedy plan", aliased=False)
    blocks = tuple(
        Block(tuple(t for t in g.tensors if t >= 0), -1 - g.tensors[0] if g.tensors[0] < 0
              else -1, g.size, g.first, g.last, offset)
        for g, offset in zip(groups, offsets, strict=True))
    return MemoryPlan(blocks, size, lower_bound(items), tflm_plan.size, name, aliased=True)

