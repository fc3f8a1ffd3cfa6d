"""A dry run of TFLM's SingleArenaBufferAllocator: how large must the arena be?

TFLM's allocator keeps three cursors in one buffer
(``tensorflow/lite/micro/arena_allocator/single_arena_buffer_allocator.cc``, tflite-micro
90b983c2b3f1): ``tail`` moves down from the end for persistent allocations, ``head``
marks the non-persistent section at the start (the scratch-request area while kernels
prepare, the memory plan afterwards) and ``temp`` moves up from ``head`` for temporary
allocations until ``ResetTempAllocations`` puts it back. Each call fails, and with it
AllocateTensors, when the cursors would cross:

- ``AllocatePersistentBuffer(size, align)``: the tail moves to ``align_down(tail - size,
  align)``; it fails if that is below ``head`` (``temp`` is *not* checked: a kernel's
  persistent buffer may silently land on its own temporaries);
- ``AllocateTemp(size, align)``: fails if ``align_up(temp, align) + size`` passes the tail;
- ``ResizeBuffer(size)`` (the head): fails if ``size`` passes the tail;
- the memory planner gets everything between ``align_up(temp, 16)`` and
  ``align_down(tail, 16)`` and needs :data:`~.greedy.PER_BUFFER_BYTES` per buffer.

With the arena 16-byte aligned at both ends, as ``new uint8_t[n]`` is on the host and
``alignas(16)`` arrays are on boards, and ``n`` a multiple of 16 (what edgetf measures
and emits), every cursor is a fixed distance from its end whatever ``n`` is. So one pass
over TFLM's allocations, counting the tail from the end, gives each call's condition as
"``n`` >= something"; the smallest arena is the largest of these, rounded up to 16.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALIGN = 16  # MicroArenaBufferAlignment()


def align_up(n: int, alignment: int) -> int:
    return -(-n // alignment) * alignment


@dataclass
class ArenaSim:
    """The allocator's cursors (head and temp from the start, tail from the end) and
    the largest arena any call so far needed, with the stage that needed it."""

    head: int = 0
    temp: int = 0
    tail: int = 0
    need: int = 0
    binding: str = ""
    stage: str = "setup"
    peak_temp: int = 0  # largest temp - head seen: temporaries on top of the head
    persistent_by_stage: dict[str, int] = field(default_factory=dict)

    def require(self, n: int) -> None:
        """The arena must hold ``n`` bytes at this moment (the stage is remembered)."""
        if n > self.need:
            self.need, self.binding = n, self.stage

    def persistent(self, size: int, alignment: int = ALIGN) -> None:
        before = self.tail
        self.tail = align_up(self.tail + size, alignment)
        self.require(self.head + self.tail)
        self.persistent_by_stage[self.stage] = (
            self.persistent_by_stage.get(self.stage, 0) + self.tail - before)

    def temp_alloc(self, size: int, alignment: int) -> None:
        start = align_up(self.temp, alignment)
        self.temp = start + size
        self.peak_temp = max(self.peak_temp, self.temp - self.head)
        self.require(self.temp + self.tail)

    def reset_temp(self) -> None:
        self.temp = self.head

    def resize_head(self, size: int) -> None:
        """ResizeBuffer/ReserveNonPersistentOverlayMemory of the one head buffer (TFLM
        requires temp == head first, which ResetTempAllocations ensures)."""
        self.head = self.temp = size
        self.require(size + self.tail)

    def planner_scratch(self, size: int) -> None:
        """The memory planner's bookkeeping: all memory between temp and tail, each
        end aligned to 16, must hold ``size`` bytes."""
        self.peak_temp = max(self.peak_temp, align_up(self.temp, ALIGN) + size - self.head)
        self.require(align_up(self.temp, ALIGN) + size + align_up(self.tail, ALIGN))
