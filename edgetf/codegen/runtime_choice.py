"""``emit-firmware --runtime``: which runtime a library gets, and what it changes.

``tflm`` (the default): the flatbuffer and TFLM's interpreter. ``compiled``: the model as
straight-line calls of the board's kernel library (:mod:`edgetf.compiled.emitters`), when
every op has a kernel there; otherwise the library keeps the TFLM runtime and one line
says why (not an error). The compiled library declares its static memory plan as the
arena, and stores as look-up tables the filters ``--compress`` picks for the compiled
arena (:mod:`edgetf.compiled.lut_weights`), decoded by the program while their op runs.
"""

from __future__ import annotations

from dataclasses import replace

from edgetf.base.errors import ConfigError
from edgetf.base.progress import Reporter
from edgetf.compiled.emitters import CompiledLibrary, CompiledUnavailable, compile_library
from edgetf.compiled.program import UnsupportedOpError
from edgetf.targets.board_arena import ArenaPlan
from edgetf.targets.boards import Board
from edgetf.targets.prepared import PreparedModel

#: ``--runtime``'s choices.
RUNTIMES = ("tflm", "compiled")


def check_runtime(runtime: str, api: bool = False) -> None:
    """Refuse a runtime that is not one of :data:`RUNTIMES`, as the CLI or the Python API
    spells the option."""
    if runtime not in RUNTIMES:
        given, example = ((f"runtime={runtime!r}", "runtime='compiled'") if api
                          else (f"--runtime {runtime!r}", "--runtime compiled"))
        raise ConfigError(f"{given} is not one of {', '.join(RUNTIMES)}; e.g. {example}")


def choose_compiled(prepared: PreparedModel, board: Board, prefix: str,
                    reporter: Reporter, compress: str = "off") -> CompiledLibrary | None:
    """The compiled program of the prepared model for ``board`` (with the look-up tables
    ``--compress`` picks for it), or None (the TFLM runtime) with one line saying why."""
    try:
        return compile_library(prepared.model, board, prefix=prefix,
                               title=prefix.replace("*/", "* /"), source=prepared.source,
                               compress=compress)
    except (UnsupportedOpError, CompiledUnavailable) as why:
        reporter.warn(f"--runtime compiled: {why}; this library uses the TFLM runtime")
        return None


def compiled_arena(tflm: ArenaPlan, compiled: CompiledLibrary, board: Board) -> ArenaPlan:
    """The arena a compiled library declares: its static plan, exactly (no margin: the
    plan is the program's, not a prediction of an allocator)."""
    plan = compiled.plan
    size = compiled.arena_bytes
    place = tflm.place
    if place == "heap" and (board.static_arena_max_bytes is None
                            or size <= board.static_arena_max_bytes):
        place = "static"
    return replace(
        tflm, bytes=size, needed_bytes=plan.size, method="compiled",
        table=f"{board.arena_table} scratch, static plan", margin=1.0, margin_bytes=0,
        fallback_reason="", place=place,
        place_reason=tflm.place_reason if place == tflm.place else "",
        note=(f"the compiled program's static plan: activations and {compiled.kernels} "
              f"scratch at fixed offsets, {plan.size} bytes (lower bound {plan.lower_bound})"))


def report_saving(tflm: ArenaPlan, model_bytes: int, compiled: CompiledLibrary,
                  reporter: Reporter) -> None:
    """What the compiled runtime saved against the TFLM runtime, in one line."""
    arena = compiled.arena_bytes
    reporter.info(
        f"runtime: compiled ({compiled.kernels}): arena {tflm.bytes:,} -> {arena:,} bytes "
        f"({tflm.bytes - arena:,} saved; lower bound {compiled.plan.lower_bound:,}); the "
        f"{model_bytes:,}-byte model and the TFLM interpreter replaced by "
        f"{compiled.const_bytes:,} bytes of const weights and parameters")
    for line in compiled.lut_report():  # the filters stored as look-up tables, and why not
        reporter.info(line)
