"""TFLM's GreedyMemoryPlanner, step for step, so that its plan is TFLM's to the byte.

A plan that is merely as good as TFLM's is not enough: the arena a board needs is the
size of *this* planner's result, ties and all. What is reproduced, from
``tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc`` (tflite-micro commit
90b983c2b3f1, 2026-08-20):

- Buffers are added in AllocationInfo order. Offline-planned ones (an offset given in
  the model's "OfflineMemoryAllocation" metadata) go first, in the order added, and keep
  their offset. Online ones are written into the sort array from its tail, so that the
  array starts out in *reverse* order of addition, and are then sorted by size,
  descending, with a stable bubble sort (it swaps only when the left one is strictly
  smaller): among equal sizes the buffer added last is placed first.
- The first buffer of the sorted order goes to offset 0 (or its offline offset). Each
  later online buffer walks the placed buffers in offset order, looking only at those
  whose lifetime ``[first, last]`` overlaps its own (inclusive at both ends), and takes
  the first gap between the end of one and the start of the next that is large enough;
  otherwise it goes after the last overlapping one.
- Placed buffers are kept in a list ordered by offset; a new buffer goes after every
  entry whose offset is <= its own, except that it becomes the new head of the list if
  its offset is strictly below the current head's.
- The plan's size is the largest ``offset + size``.

The planner keeps its bookkeeping in the arena: :data:`PER_BUFFER_BYTES` per buffer
(``per_buffer_size()``: BufferRequirements of four ints, two ints of sort arrays, a
ListEntry of three ints and an int offset; ints only, so 40 bytes on every target).
"""

from __future__ import annotations

from dataclasses import dataclass

#: ``GreedyMemoryPlanner::per_buffer_size()``: 4*4 + 4 + 4 + 3*4 + 4 bytes.
PER_BUFFER_BYTES = 40
#: ``kOnlinePlannedBuffer``: the offline offset that means "plan this one online".
ONLINE = -1


@dataclass(frozen=True)
class Buffer:
    """One buffer to place: ``size`` in bytes (already aligned by the caller), the first
    and last allocation scope in which it is live, and an offline offset or ONLINE."""

    size: int
    first: int
    last: int
    offline_offset: int = ONLINE


@dataclass(frozen=True)
class Plan:
    """Offsets of the buffers in the order they were given, and the plan's size."""

    offsets: tuple[int, ...]
    size: int


def _overlaps(a: Buffer, first: int, last: int) -> bool:
    return not (a.first > last or first > a.last)


def _sort_order(buffers: list[Buffer]) -> list[int]:
    """Buffer indices in the order TFLM places them (see the module docstring)."""
    offline = [i for i, b in enumerate(buffers) if b.offline_offset != ONLINE]
    online = [i for i, b in enumerate(buffers) if b.offline_offset == ONLINE][::-1]
    # Python's sort is stable, as TFLM's bubble sort is: equal sizes keep the reversed
    # order of addition.
    online.sort(key=lambda i: -buffers[i].size)
    return offline + online


def plan(buffers: list[Buffer]) -> Plan:
    """Place ``buffers`` as TFLM's GreedyMemoryPlanner does."""
    if not buffers:
        return Plan((), 0)
    order = _sort_order(buffers)
    offsets = [b.offline_offset if b.offline_offset != ONLINE else -1 for b in buffers]
    first_id = order[0]
    if buffers[first_id].offline_offset == ONLINE:
        offsets[first_id] = 0
    placed: list[int] = [first_id]  # buffer ids, ordered by offset as TFLM's list is
    for buffer_id in order[1:]:
        wanted = buffers[buffer_id]
        if wanted.offline_offset == ONLINE:
            candidate = 0
            for other in placed:
                if not _overlaps(buffers[other], wanted.first, wanted.last):
                    continue
                if offsets[other] - candidate >= wanted.size:
                    break  # the gap before this one is large enough
                candidate = max(candidate, offsets[other] + buffers[other].size)
        else:
            candidate = wanted.offline_offset
        offsets[buffer_id] = candidate
        if offsets[placed[0]] > candidate:
            placed.insert(0, buffer_id)
        else:
            at = 1
            while at < len(placed) and offsets[placed[at]] <= candidate:
                at += 1
            placed.insert(at, buffer_id)
    size = max(offsets[i] + buffers[i].size for i in placed)
    return Plan(tuple(offsets), size)
