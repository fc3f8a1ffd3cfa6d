"""Which C emitter writes the compiled program for a board, and the library's part that
comes from it.

A board names its compiled kernel library (:attr:`edgetf.targets.boards.Board.compiled_kernels`:
``"cmsis-nn"``, ``"esp-nn"``); :data:`EMITTERS` maps that name to the function that writes
the program's C source. Every emitter is called as
``emit(program, graph, plan, scratch, title=..., prefix=...)`` and returns one C source
(valid C99 and C++, compiled as C++ in the library) that defines, with C linkage:

- ``size_t <prefix>_compiled_arena_bytes(void)``: the bytes the arena must have;
- ``void *<prefix>_compiled_input(uint8_t *arena, int i)`` and ``..._output``: where input
  or output ``i`` lives in the arena;
- ``int <prefix>_compiled_run(uint8_t *arena)``: run the model, 0 on success.

The library's hand-written runtime (``firmware/edgetf/edgetf_compiled_runtime.cc``) owns the
arena and gives the C API on top of these. A name mapped to ``None`` has no emitter yet:
:func:`compile_library` raises :class:`CompiledUnavailable`, and ``emit-firmware`` keeps the
TFLM runtime, saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from edgetf.base.errors import EdgetfError
from edgetf.compiled.board_plan import board_luts, board_scratch, compiled_arena_bytes
from edgetf.compiled.emit_c import emit_c
from edgetf.compiled.emit_esp_nn import emit_esp_nn
from edgetf.compiled.memory_plan import MemoryPlan, plan_memory
from edgetf.compiled.program import VIEW_OPS, Program, compile_program
from edgetf.targets.boards import Board
from edgetf.tflite.model import TfliteModel

Emitter = Callable[..., str]

#: The compiled kernel library's name -> its emitter; ``None``: not written yet.
EMITTERS: dict[str, Emitter | None] = {
    "cmsis-nn": emit_c,
    "esp-nn": emit_esp_nn,
}


class CompiledUnavailable(EdgetfError):
    """The board's compiled kernel library has no emitter, or the board has none."""


@dataclass(frozen=True)
class CompiledLibrary:
    """The compiled program of one model for one board: ``source`` (the C of the
    program), its static ``plan``, and the bytes of its const data (weights, biases and
    per-channel parameters: what replaces the flatbuffer in flash)."""

    kernels: str
    source: str
    program: Program
    plan: MemoryPlan
    const_bytes: int
    decisions: tuple[str, ...] = ()
    """Why filters that could be look-up tables are not (``--compress``), for the report."""
    plain_arena_bytes: int | None = None
    """The arena with every filter stored plainly (None: no look-up table stored)."""

    @property
    def arena_bytes(self) -> int:
        """What the library declares (:func:`~.board_plan.compiled_arena_bytes`)."""
        return compiled_arena_bytes(self.plan)

    def lut_report(self) -> list[str]:
        """emit-firmware's lines on the look-up tables: the decisions, then what they store."""
        weights = self.program.luts
        if not weights:
            return list(self.decisions)
        widths = "/".join(map(str, sorted({w.bits for w in weights})))
        before = sum(w.decoded_bytes for w in weights)
        after = sum(w.stored_bytes for w in weights)
        return [*self.decisions,
                f"compiled runtime: {len(weights)} weight tensor(s) stored as {widths}-bit "
                f"look-up tables, {before:,} -> {after:,} bytes of flash, each decoded into the "
                f"arena only while its op runs (arena {self.plain_arena_bytes:,} -> "
                f"{self.arena_bytes:,} bytes)"]


def _const_bytes(program: Program, model: TfliteModel) -> int:
    """Bytes of const data the program holds: the constant tensors its steps read (a
    look-up-table filter: its indices, tables and decoder plan), and one int32 multiplier
    and shift per output channel of each convolution."""
    graph, seen, total = model.main, set(), 0
    for step in program.steps:
        if step.op in VIEW_OPS:
            continue
        for index in step.inputs:
            tensor = graph.tensors[index] if index >= 0 else None
            if tensor is not None and tensor.data and index not in seen:
                seen.add(index)
                weight = program.lut_of(index)
                total += weight.stored_bytes if weight is not None else len(tensor.data)
        if step.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            total += 8 * len(step.params.multipliers)
    return total


def compile_library(model: TfliteModel, board: Board, *, prefix: str, title: str,
                    source: str = "model", compress: str = "off") -> CompiledLibrary:
    """The compiled program of ``model`` for ``board``'s kernel library, with the filters
    ``--compress`` picks stored as look-up tables (:func:`~.board_plan.board_luts`). Raises
    :class:`UnsupportedOpError` naming the first op no kernel covers, or
    :class:`CompiledUnavailable` when the board's library has no emitter yet."""
    kernels = board.compiled_kernels
    emitter = EMITTERS.get(kernels) if kernels else None
    if emitter is None:
        what = (f"its {kernels} emitter is not written yet" if kernels
                else "the board names no compiled kernel library")
        raise CompiledUnavailable(f"the compiled runtime is not available for the {board.id}: "
                                  f"{what}")
    program = compile_program(model, source)
    scratch = board_scratch(model, board, source)
    luts = board_luts(model, board, scratch, compress)
    plain = None
    if luts.weights:
        plain = compiled_arena_bytes(plan_memory(model, scratch))
        program = replace(program, luts=luts.weights)
    plan = plan_memory(model, scratch, decoded=program.decoded())
    text = emitter(program, model.main, plan, scratch, title=title, prefix=prefix)
    return CompiledLibrary(kernels, text, program, plan, _const_bytes(program, model),
                           luts.decisions, plain)

