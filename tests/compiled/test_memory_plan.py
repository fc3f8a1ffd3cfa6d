"""The static memory plan: no two buffers live at once share a byte (on random graphs,
checked geometrically and by running the graph in one arena), views cost nothing,
elementwise ops write in place, and the plan is never larger than TFLM's greedy plan of
the same activations and scratch buffers."""

from __future__ import annotations

import random

import numpy as np
import pytest

from edgetf.compiled.memory_plan import plan_memory
from edgetf.targets.planner import greedy
from edgetf.targets.planner.lifetimes import ScratchRequest, planned_buffers
from edgetf.targets.planner.plan import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.model import Operator, Quantization, Subgraph, Tensor, TfliteModel
from edgetf.tflite.reader import read_tflite
from tests.compiled.op_models import op_models
from tests.conftest import SEED, shared_model_names, shared_model_path

_Q = Quantization((0.1,), (0,), 0)


def _tensor(index: int, size: int, data: bytes = b"") -> Tensor:
    return Tensor(index, f"t{index}", (size,), None, "int8", index + 1, data, _Q, False)


def _model(sizes: list[int], ops: list[tuple[str, tuple[int, ...], int]],
           inputs: tuple[int, ...], outputs: tuple[int, ...], constants: set[int] = frozenset()
           ) -> TfliteModel:
    tensors = tuple(_tensor(i, s, bytes(s) if i in constants else b"")
                    for i, s in enumerate(sizes))
    operators = tuple(Operator(i, 0, 0, name, None, 1, ins, (out,))
                      for i, (name, ins, out) in enumerate(ops))
    return TfliteModel(3, "", (Subgraph("main", tensors, inputs, outputs, operators),), 0)


def _random_graph(rng: random.Random) -> tuple[TfliteModel, dict[int, list[int]]]:
    """A random DAG of producers (any inputs, any output size), elementwise ops (ADD of
    two equal-size tensors, QUANTIZE), views (RESHAPE), some constant inputs, and random
    kernel scratch."""
    sizes = [rng.choice((16, 40, 64, 100, 256)) for _ in range(rng.randint(1, 2))]
    inputs = tuple(range(len(sizes)))
    values = list(inputs)
    ops, constants, scratch = [], set(), {}
    for index in range(rng.randint(1, 14)):
        kind = rng.choice(("CONV_2D", "CONV_2D", "ADD", "QUANTIZE", "RESHAPE"))
        source = rng.choice(values[-4:])
        out = len(sizes)
        if kind == "ADD":
            same = [v for v in values if sizes[v] == sizes[source] and v != source]
            if not same:
                kind = "QUANTIZE"
            else:
                ins = (source, rng.choice(same))
        if kind in ("QUANTIZE", "RESHAPE"):
            ins = (source,)
        if kind == "CONV_2D":
            ins = tuple(rng.sample(values, min(len(values), rng.randint(1, 2))))
            constants.add(len(sizes))
            sizes.append(rng.choice((8, 32)))
            ins += (len(sizes) - 1,)
            out = len(sizes)
            sizes.append(rng.choice((16, 40, 64, 100, 256, 300)))
        else:
            sizes.append(sizes[source])
        ops.append((kind, ins, out))
        values.append(out)
        if rng.random() < 0.3:
            scratch[index] = [rng.choice((4, 48, 200)) for _ in range(rng.randint(1, 2))]
    outputs = (values[-1],) if rng.random() < 0.5 else tuple({values[-1], rng.choice(values)})
    return _model(sizes, ops, inputs, outputs, constants), scratch


def _live_blocks_are_disjoint(plan) -> None:
    blocks = plan.blocks
    for i, a in enumerate(blocks):
        assert a.offset >= 0 and a.offset + a.size <= plan.size
        for b in blocks[i + 1:]:
            if a.first <= b.last and b.first <= a.last:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


def _run_in_arena(model: TfliteModel, scratch: dict[int, list[int]], plan, rng,
                  decoded: dict[int, tuple[int, int]] | None = None) -> dict:
    """Run the graph in one arena laid out by ``plan`` (each op's scratch filled with
    junk while it runs; each ``decoded`` constant written into its arena buffer right
    before its op, and read from there) and in separate arrays; return both results for
    the outputs."""
    decoded = decoded or {}
    graph = model.main
    arena = np.zeros(max(plan.size, 1), np.uint8)
    offsets = plan.tensor_offsets()
    scratch_at = plan.scratch_offsets()
    free: dict[int, np.ndarray] = {}

    def view(t: int) -> np.ndarray:
        return arena[offsets[t]:offsets[t] + graph.tensors[t].shape[0]]

    def compute(op: Operator, read) -> np.ndarray:
        args = [read(i).astype(np.int64) for i in op.inputs]
        size = graph.tensors[op.outputs[0]].shape[0]
        if op.name == "RESHAPE":
            return args[0]
        if op.name == "QUANTIZE":
            return (args[0] * 3 + 1) % 251
        if op.name == "ADD":
            return (args[0] + 7 * args[1]) % 251
        mix = sum(int((a * np.arange(1, a.size + 1)).sum()) for a in args)
        return (np.arange(size) * 31 + mix + op.index) % 251

    def constant(i: int) -> np.ndarray | None:
        return np.frombuffer(graph.tensors[i].data, np.uint8) if graph.tensors[i].data else None

    for t in graph.inputs:
        free[t] = np.array(rng.integers(0, 251, graph.tensors[t].shape[0]), np.uint8)
        view(t)[:] = free[t]
    for op in graph.operators:
        for offset, n in zip(scratch_at.get(op.index, ()), scratch.get(op.index, ()),
                             strict=True):
            arena[offset:offset + n] = 0xEE  # the kernel's scratch, live during the op
        for t, (reader, _) in decoded.items():
            if reader == op.index:  # the program decodes it right before the op
                view(t)[:] = constant(t)
        result = compute(op, lambda i: view(i) if i in decoded or constant(i) is None
                         else constant(i))
        if not (op.name == "RESHAPE" and plan.aliased):
            view(op.outputs[0])[:] = result
        free[op.outputs[0]] = compute(op, lambda i: constant(i) if constant(i) is not None
                                      else free[i]).astype(np.uint8)
    return {t: (view(t).copy(), free[t]) for t in graph.outputs}


def test_random_graphs_never_share_live_bytes_and_never_beat_tflm_upwards():
    rng = random.Random(SEED)
    data_rng = np.random.default_rng(SEED)
    methods = set()
    for _ in range(300):
        model, scratch = _random_graph(rng)
        plan = plan_memory(model, scratch)
        methods.add(plan.method)
        _live_blocks_are_disjoint(plan)
        for arena_value, free_value in _run_in_arena(model, scratch, plan, data_rng).values():
            assert np.array_equal(arena_value, free_value)
        requests = [ScratchRequest(n, op) for op in sorted(scratch) for n in scratch[op]]
        tflm = greedy.plan([b.buffer for b in planned_buffers(model, requests, None)])
        assert plan.tflm_size == tflm.size
        assert plan.lower_bound <= plan.size <= tflm.size
    assert len(methods) > 1  # the orders do compete


def test_views_are_free_and_elementwise_ops_write_in_place():
    # t0 -> RESHAPE -> t1 -> QUANTIZE -> t2 -> CONV_2D -> t4 (t3: weights)
    model = _model([64, 64, 64, 8, 32],
                   [("RESHAPE", (0,), 1), ("QUANTIZE", (1,), 2), ("CONV_2D", (2, 3), 4)],
                   (0,), (4,), {3})
    plan = plan_memory(model)
    assert plan.aliased
    assert sorted(len(b.tensors) for b in plan.blocks) == [1, 3]
    assert plan.size == plan.lower_bound == 64 + 32
    assert plan.tflm_size == 64 + 64  # TFLM: the copy and its source live together


def test_an_input_read_later_is_not_overwritten():
    # ADD's first input is read again by the CONV_2D after it: not written in place.
    model = _model([64, 64, 64, 8, 16],
                   [("ADD", (0, 1), 2), ("CONV_2D", (2, 0, 3), 4)], (0, 1), (4,), {3})
    plan = plan_memory(model)
    offsets = plan.tensor_offsets()
    assert offsets[2] == offsets[1] != offsets[0]
    _live_blocks_are_disjoint(plan)


def _public_models() -> list[str]:
    return [n for n in shared_model_names() if n in ("hello_world_int8", "person_detect",
                                                     "micro_speech_quantized",
                                                     "keyword_scrambled", "simple_add_model")]


@pytest.mark.parametrize("name", _public_models() + ["every_op"])
def test_public_models_plan_within_tflm_and_at_the_lower_bound(name):
    data = (op_models()[name] if name == "every_op"
            else shared_model_path(f"{name}.tflite").read_bytes())
    model = read_tflite(data)
    board = plan_arena(model, TABLES["chirale-2.0.0-cmsis-nn"])
    scratch = {u.index: u.scratch for u in board.ops if u.scratch}
    plan = plan_memory(model, scratch)
    _live_blocks_are_disjoint(plan)
    assert plan.tflm_size == board.plan  # the same activations and scratch as the board's
    assert plan.size <= board.plan
    assert plan.size == plan.lower_bound  # these graphs are chains: first-fit is optimal


def test_random_graphs_with_decoded_filters_keep_them_apart_during_their_op():
    """Constant filters decoded into the arena (look-up tables) get a buffer live during
    the op that reads them only; run in one arena, the graph still computes what it
    computes in separate arrays, and the plan stays within TFLM's plan of the same
    buffers (a decoded filter as one more scratch request of its op)."""
    rng = random.Random(SEED + 1)
    data_rng = np.random.default_rng(SEED + 1)
    checked = 0
    for _ in range(200):
        model, scratch = _random_graph(rng)
        graph = model.main
        decoded = {i: (op.index, graph.tensors[i].shape[0]) for op in graph.operators
                   for i in op.inputs if graph.tensors[i].data and rng.random() < 0.7}
        plan = plan_memory(model, scratch, decoded=decoded)
        _live_blocks_are_disjoint(plan)
        blocks = {t: b for b in plan.blocks for t in b.tensors}
        for t, (reader, _) in decoded.items():
            assert blocks[t].first == blocks[t].last == reader + 1
        for arena_value, free_value in _run_in_arena(model, scratch, plan, data_rng,
                                                     decoded).values():
            assert np.array_equal(arena_value, free_value)
        requests = [ScratchRequest(n, op) for op in sorted(scratch) for n in scratch[op]]
        requests += [ScratchRequest(n, op) for _, (op, n) in sorted(decoded.items())]
        tflm = greedy.plan([b.buffer for b in planned_buffers(model, requests, None)])
        assert plan.lower_bound <= plan.size <= tflm.size
        checked += bool(decoded)
    assert checked > 100
