"""``plan_arena``: the tensor arena a TFLM build needs for a model, from the flatbuffer.

It replays, against :class:`~.arena.ArenaSim`, the allocations TFLM makes from the
moment the interpreter is created to the end of the first ``Invoke``, in TFLM's order
(``micro_interpreter.cc`` AllocateTensors, ``micro_allocator.cc``,
``micro_interpreter_graph.cc``; tflite-micro 90b983c2b3f1):

1. the table's ``arena_objects`` (allocator, memory planner...), persistent;
2. StartModelAllocation: the builtin-data allocator, a head area for
   ``kMaxScratchBuffersPerOp`` (12; the table's :class:`~.kernels.AllocatorRules`)
   ScratchBufferRequests, one SubgraphAllocations per
   subgraph, a TfLiteEvalTensor per tensor and a NodeAndRegistration per op (one array
   each per subgraph);
3. each op's builtin params (the parser), then each op's Init (its OpData, or what the
   kernel's ``init`` replays), then each op's Prepare; after each Prepare the
   temporaries are released and the head grows to hold the requests so far plus 12;
4. FinishModelAllocation: scratch-buffer handles (persistent); in the temp section, a
   size_t per subgraph and an AllocationInfo per tensor and scratch buffer; variable
   tensors (persistent, 16-aligned); the planner's bookkeeping; then the head becomes
   the memory plan (:mod:`.greedy`, :mod:`.lifetimes`);
5. a pointer array and a persistent TfLiteTensor (with its quantization) per model
   input, then per model output.

None of the kernels in the tables allocates during Invoke, so the first Invoke adds
nothing. Ops the table does not know are listed in ``unknown_ops`` and make
``complete`` False: their memory is not counted, so ``total`` is then a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgetf.targets.planner import greedy
from edgetf.targets.planner.arena import ALIGN, ArenaSim, align_up
from edgetf.targets.planner.kernels import KernelTable, OpContext, OpUsage, int_array_bytes
from edgetf.targets.planner.lifetimes import (
    ScratchRequest,
    offline_offsets,
    planned_buffers,
    tensor_bytes,
)
from edgetf.tflite.model import Tensor, TfliteModel

#: What a kernel's Prepare entry raises on an op whose inputs or outputs are missing or
#: have shapes it cannot read.
_SHAPE_ERRORS = (AttributeError, IndexError, KeyError, TypeError, ValueError,
                 ZeroDivisionError)


@dataclass(frozen=True)
class ArenaPlanResult:
    """The smallest arena (``total``, a multiple of 16) that allocates and invokes,
    and where it goes: ``persistent`` (the tail, including the arena objects and
    ``variables``), ``plan`` (the head: the greedy plan of activations and scratch
    buffers), ``temporaries`` (the largest temporary use on top of the head, while
    kernels prepare or while planning), the stage whose allocation sets ``total``,
    ``ops`` (each op's part of the tail, its Prepare temporaries and scratch
    requests) and ``unknown_ops`` (ops the table has no entry for)."""

    table: str
    total: int
    persistent: int
    plan: int
    temporaries: int
    variables: int
    binding_stage: str
    ops: tuple[OpUsage, ...]
    unknown_ops: tuple[str, ...]
    persistent_by_stage: dict[str, int]

    @property
    def complete(self) -> bool:
        return not self.unknown_ops


def _persistent_tensor(sim: ArenaSim, table: KernelTable, tensor: Tensor) -> None:
    """``AllocatePersistentTfLiteTensor``: the struct and, if quantized, its
    TfLiteAffineQuantization and zero-point array."""
    layout = table.layout
    sim.persistent(layout.size("TfLiteTensor"), layout.align("TfLiteTensor"))
    if tensor.quantization is not None:
        sim.persistent(layout.size("TfLiteAffineQuantization"),
                       layout.align("TfLiteAffineQuantization"))
        sim.persistent(int_array_bytes(layout, len(tensor.quantization.scales)),
                       layout.align("TfLiteIntArray"))


def _op_key(op) -> str:
    return f"CUSTOM:{op.custom_code}" if op.name == "CUSTOM" else op.name


def plan_arena(model: TfliteModel, table: KernelTable) -> ArenaPlanResult:
    """Plan ``model``'s arena for the TFLM build ``table`` describes."""
    layout, sim, rules = table.layout, ArenaSim(), table.allocator
    request_bytes = layout.size("ScratchBufferRequest")
    graph = model.main
    ops = [op for g in model.subgraphs for op in g.operators]
    unknown = sorted({_op_key(op) for op in ops if _op_key(op) not in table.kernels})
    if len(model.subgraphs) > 1:
        unknown.append("subgraphs beyond the first (control flow)")

    for struct in table.arena_objects:
        sim.persistent(layout.size(struct), layout.align(struct))
    sim.stage = "model setup"
    sim.persistent(layout.size("MicroBuiltinDataAllocator"),
                   layout.align("MicroBuiltinDataAllocator"))
    sim.resize_head(request_bytes * rules.max_scratch_per_op)
    sim.persistent(layout.size("SubgraphAllocations") * len(model.subgraphs),
                   layout.align("SubgraphAllocations"))
    for g in model.subgraphs:
        sim.persistent(layout.size("TfLiteEvalTensor") * len(g.tensors),
                       layout.align("TfLiteEvalTensor"))
    for g in model.subgraphs:
        sim.persistent(layout.size("NodeAndRegistration") * len(g.operators),
                       layout.align("NodeAndRegistration"))

    usages = [OpUsage(op.index, _op_key(op)) for op in graph.operators]
    kernels = [table.kernels.get(_op_key(op)) for op in graph.operators]
    sim.stage = "op params"
    for usage, kernel in zip(usages, kernels, strict=True):
        if kernel is not None and kernel.params is not None:
            before = sim.tail
            sim.persistent(layout.size(kernel.params), layout.align(kernel.params))
            usage.persistent += sim.tail - before
    sim.stage = "op init"
    requests: list[ScratchRequest] = []
    for op, usage, kernel in zip(graph.operators, usages, kernels, strict=True):
        if kernel is not None and kernel.init is not None:
            try:
                kernel.init(OpContext(sim, layout, graph, op, requests, usage))
            except _SHAPE_ERRORS:
                unknown.append(f"{usage.name} (op {op.index}: its tensors do not fit the "
                               "kernel's Init)")
        elif kernel is not None and kernel.op_data is not None:
            before = sim.tail
            sim.persistent(layout.size(kernel.op_data), ALIGN)
            usage.persistent += sim.tail - before
    for op, usage, kernel in zip(graph.operators, usages, kernels, strict=True):
        sim.stage = f"prepare op {op.index} ({usage.name})"
        if kernel is not None and kernel.prepare is not None:
            try:
                kernel.prepare(OpContext(sim, layout, graph, op, requests, usage))
            except _SHAPE_ERRORS:
                # An op whose tensors are not what its kernel reads (a damaged or odd
                # model): TFLM's Prepare would refuse or misread it. It is not planned,
                # so the plan is incomplete and the board falls back; never a crash.
                unknown.append(f"{usage.name} (op {op.index}: its tensors do not fit the "
                               "kernel's Prepare)")
        sim.reset_temp()
        sim.resize_head(request_bytes * (len(requests) + rules.max_scratch_per_op))

    sim.stage = "memory planning"
    if requests:
        sim.persistent(layout.size("ScratchBufferHandle") * len(requests),
                       layout.align("ScratchBufferHandle"))
    offline = offline_offsets(model)

    def allocate_variables() -> int:
        before = sim.tail
        for tensor in graph.tensors:
            if tensor.is_variable and (not rules.plans_offline_variables or offline is None
                                       or offline[tensor.index] == greedy.ONLINE):
                sim.persistent(tensor_bytes(tensor), ALIGN)
        return sim.tail - before

    if rules.variables_before_allocation_info:
        variables = allocate_variables()
    sim.temp_alloc(layout.size("size_t") * len(model.subgraphs), layout.align("size_t"))
    n_tensors = sum(len(g.tensors) for g in model.subgraphs)
    sim.temp_alloc(layout.size("AllocationInfo") * (n_tensors + len(requests)),
                   layout.align("AllocationInfo"))
    if not rules.variables_before_allocation_info:
        variables = allocate_variables()
    buffers = planned_buffers(model, requests, offline, rules.plans_offline_variables)
    sim.planner_scratch(greedy.PER_BUFFER_BYTES * len(buffers))
    memory_plan = greedy.plan([b.buffer for b in buffers])
    sim.reset_temp()
    sim.resize_head(0)  # DeallocateResizableBuffer of the scratch-request area
    sim.resize_head(memory_plan.size)

    sim.stage = "input and output tensors"
    for indices in (graph.inputs, graph.outputs):
        sim.persistent(layout.size("void*") * len(indices), ALIGN)
        for index in indices:
            _persistent_tensor(sim, table, graph.tensors[index])

    return ArenaPlanResult(
        table=table.name,
        total=align_up(sim.need, ALIGN),
        persistent=sim.tail,
        plan=memory_plan.size,
        temporaries=sim.peak_temp,
        variables=variables,
        binding_stage=sim.binding,
        ops=tuple(usages),
        unknown_ops=tuple(unknown),
        persistent_by_stage=dict(sim.persistent_by_stage),
    )
