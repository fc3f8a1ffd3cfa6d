"""The shape of a kernel table, and what a kernel's entry may ask of the arena.

A kernel library is a :class:`KernelTable`: one :class:`Kernel` per builtin op, each
saying what TFLM's op parser allocates (the builtin params struct), what the kernel's
Init allocates (its OpData) and, as a small function, what its Prepare does, *in
order*: temporary TfLiteTensors for the inputs and outputs it reads, persistent
buffers, scratch-buffer requests. Order matters because a temporary allocation fails
against the tail as it is at that moment, and a persistent one never checks the
temporaries. A new kernel library or TFLM version is a new table of entries, not new
code in the planner.

Prepare functions get an :class:`OpContext`; they only call its methods, which mirror
the TFLM calls of the same names (``AllocateTempInputTensor``...), so that each entry
reads like the kernel source it names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from edgetf.targets.planner.arena import ALIGN, ArenaSim
from edgetf.targets.planner.layouts import Layout
from edgetf.targets.planner.lifetimes import ScratchRequest
from edgetf.tflite.model import Operator, Subgraph, Tensor
from edgetf.tflite.types import ARENA_ELEMENT_SIZES


@dataclass(frozen=True)
class Kernel:
    """One op of a kernel library: ``params`` and ``op_data`` name structs of the
    layout (None: nothing allocated), ``prepare`` replays Prepare's allocations,
    ``source`` says which file of which version this was read from. ``init``, when given,
    replays an Init that allocates more than one OpData struct (instead of ``op_data``)."""

    source: str
    params: str | None = None
    op_data: str | None = None
    prepare: Callable[[OpContext], None] | None = None
    init: Callable[[OpContext], None] | None = None


@dataclass(frozen=True)
class AllocatorRules:
    """What differs between TFLM versions' MicroAllocator and AllocationInfoBuilder, as
    data (the defaults are tflite-micro 90b983c2b3f1's ``micro_allocator.cc`` and
    ``micro_allocation_info.cc``):

    - ``max_scratch_per_op``: ``kMaxScratchBuffersPerOp``, the requests the head holds
      room for on top of those made so far;
    - ``plans_offline_variables``: a variable tensor with an offset in the offline plan
      is planned at that offset and not put in the persistent section (90b983c); the
      TFLM of 2023 makes every variable persistent and plans none of them;
    - ``variables_before_allocation_info``: variables are allocated in
      FinishModelAllocation before CommitStaticMemoryPlan's temporaries (2023), not
      inside it after the AllocationInfo array (90b983c)."""

    max_scratch_per_op: int = 12
    plans_offline_variables: bool = True
    variables_before_allocation_info: bool = False


@dataclass(frozen=True)
class KernelTable:
    """A TFLM build: its struct layout, the objects its setup puts in the arena before
    the model (``arena_objects``, struct names, allocated persistent in this order), its
    kernels by builtin op name, the inputs its kernels read in Prepare
    (``constant_inputs``: ``(op, input index) -> why``, from :mod:`.constant_inputs`; they
    must stay constant tensors, never DECODE outputs) and its allocator's
    version-dependent rules."""

    name: str
    description: str
    layout: Layout
    arena_objects: tuple[str, ...]
    kernels: Mapping[str, Kernel]
    constant_inputs: Mapping[tuple[str, int], str]
    allocator: AllocatorRules = AllocatorRules()


@dataclass
class OpUsage:
    """What one op adds: persistent bytes (params, OpData, Prepare's buffers, alignment
    included), the largest temporary memory its Prepare used, its scratch requests."""

    index: int
    name: str
    persistent: int = 0
    temporaries: int = 0
    scratch: list[int] = field(default_factory=list)


class OpContext:
    """The arena as one op's Prepare sees it."""

    def __init__(self, sim: ArenaSim, layout: Layout, graph: Subgraph, op: Operator,
                 requests: list[ScratchRequest], usage: OpUsage) -> None:
        self.sim, self.layout, self.graph, self.op = sim, layout, graph, op
        self._requests, self.usage = requests, usage

    # --- the op's tensors ---------------------------------------------------------
    def input(self, index: int) -> Tensor | None:
        """Input ``index``, None when absent (past the end, or -1: an omitted optional)."""
        if index < len(self.op.inputs) and self.op.inputs[index] >= 0:
            return self.graph.tensors[self.op.inputs[index]]
        return None

    def output(self, index: int) -> Tensor | None:
        if index < len(self.op.outputs):
            return self.graph.tensors[self.op.outputs[index]]
        return None

    @property
    def num_inputs(self) -> int:
        return len(self.op.inputs)

    # --- TFLM's calls -------------------------------------------------------------
    def temp_input(self, index: int) -> None:
        """``AllocateTempInputTensor``: nothing for an absent input."""
        tensor = self.input(index)
        if tensor is not None:
            self._temp_tensor(tensor)

    def temp_output(self, index: int) -> None:
        tensor = self.output(index)
        if tensor is not None:
            self._temp_tensor(tensor)

    def temp_intermediate(self, scales: int = 1) -> None:
        """``AllocateTempIntermediateTensor``: the reader does not keep an op's
        intermediate tensors, so the caller says how many scales it has (TFLM's LSTM
        kernels require them quantized; the converter writes one scale)."""
        layout, sim = self.layout, self.sim
        sim.temp_alloc(layout.size("TfLiteTensor"), layout.align("TfLiteTensor"))
        sim.temp_alloc(layout.size("TfLiteAffineQuantization"),
                       layout.align("TfLiteAffineQuantization"))
        sim.temp_alloc(int_array_bytes(layout, scales), layout.align("TfLiteIntArray"))
        self.usage.temporaries = max(self.usage.temporaries, sim.temp - sim.head)

    def persistent(self, nbytes: int) -> None:
        """``context->AllocatePersistentBuffer``: 16-byte aligned."""
        before = self.sim.tail
        self.sim.persistent(nbytes, ALIGN)
        self.usage.persistent += self.sim.tail - before

    def persistent_on_temps(self, nbytes: int, unread_top: int) -> None:
        """``context->AllocatePersistentBuffer`` for a buffer the kernel fills at once,
        while its temporaries are still live. The allocator checks the new tail against
        the head only, so the buffer may land on the top of the temporaries; the op then
        survives only if it overwrites nothing read later: at most the top
        ``unread_top`` bytes. (Any more, and what DeallocateTempTfLiteTensor reads is
        corrupted, ResetTempAllocations fails, and TFLM of 2023, which ignores that
        failure, crashes later.)"""
        self.persistent(nbytes)
        self.sim.require(self.sim.temp + self.sim.tail - unread_top)

    def scratch(self, nbytes: int) -> None:
        """``RequestScratchBufferInArena``: planned with the tensors, live during this op."""
        self._requests.append(ScratchRequest(nbytes, self.op.index))
        self.usage.scratch.append(nbytes)

    def type_size(self, dtype: str) -> int:
        return ARENA_ELEMENT_SIZES[dtype]

    def _temp_tensor(self, tensor: Tensor) -> None:
        """``AllocateTempTfLiteTensor``: the struct, then, for a quantized tensor, its
        TfLiteAffineQuantization and a zero-point TfLiteIntArray (the scales stay in
        the flatbuffer)."""
        layout, sim = self.layout, self.sim
        sim.temp_alloc(layout.size("TfLiteTensor"), layout.align("TfLiteTensor"))
        if tensor.quantization is not None:
            sim.temp_alloc(layout.size("TfLiteAffineQuantization"),
                           layout.align("TfLiteAffineQuantization"))
            sim.temp_alloc(int_array_bytes(layout, len(tensor.quantization.scales)),
                           layout.align("TfLiteIntArray"))
        self.usage.temporaries = max(self.usage.temporaries, sim.temp - sim.head)


def int_array_bytes(layout: Layout, count: int) -> int:
    """``TfLiteIntArrayGetSizeInBytes``: the header plus one int per element."""
    return layout.size("TfLiteIntArray") + 4 * count
