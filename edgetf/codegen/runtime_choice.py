"""``emit-firmware --runtime``: which runtime a library gets, and what it changes.

``tflm`` (the default): the flatbuffer and TFLM's interpreter. ``compiled``: the model as
straight-line calls of the board's kernel library (:mod:`edgetf.compiled.emitters`), when
every op has a kernel there; otherwise the library keeps the TFLM runtime and a warning
says why (not an error). ``auto``: the same choice made quietly, as a decision rather than
a problem: compiled where every op has a kernel and the compiled library fits the board,
TFLM otherwise, and one line (not a warning) says which runtime and why, naming the first
op the compiled runtime lacks. The compiled library declares its static memory plan as the
arena, and stores as look-up tables the filters ``--compress`` picks for the compiled
arena (:mod:`edgetf.compiled.lut_weights`), decoded by the program while their op runs.
"""

from __future__ import annotations

from dataclasses import replace

from edgetf.base.errors import ConfigError
from edgetf.base.progress import Reporter
from edgetf.compiled.emitters import CompiledLibrary, CompiledUnavailable, compile_library
from edgetf.compiled.figures import GRAPH_FAILURES, footprint_with_arena
from edgetf.compiled.program import UnsupportedOpError
from edgetf.targets.board_arena import ArenaPlan
from edgetf.targets.boards import Board
from edgetf.targets.footprint import Footprint
from edgetf.targets.prepared import PreparedModel
from edgetf.targets.verdict import Verdict

#: ``--runtime``'s choices.
RUNTIMES = ("tflm", "compiled", "auto")

#: The advice ending :class:`UnsupportedOpError`'s messages, which ``auto`` has followed.
_ADVICE = "; use the TFLM runtime"


def check_runtime(runtime: str, api: bool = False) -> None:
    """Refuse a runtime that is not one of :data:`RUNTIMES`, as the CLI or the Python API
    spells the option."""
    if runtime not in RUNTIMES:
        given, example = ((f"runtime={runtime!r}", "runtime='compiled'") if api
                          else (f"--runtime {runtime!r}", "--runtime compiled"))
        raise ConfigError(f"{given} is not one of {', '.join(RUNTIMES)}; e.g. {example}")


def choose_runtime(runtime: str, verdict: Verdict, prefix: str, front_end: bool,
                   reporter: Reporter, compress: str = "off"
                   ) -> tuple[CompiledLibrary | None, Verdict]:
    """The compiled library for ``runtime`` (None: the TFLM runtime), and the verdict the
    library is judged by: with a compiled library, none of the board's TFLM kernels runs
    (nor lacks one) and the fit is that of its own arena (the figure inspect and tune
    show). ``front_end``: the library embeds the audio front end."""
    prepared = verdict.prepared
    if runtime == "tflm" or (not front_end and (prepared.problems or prepared.measure_error)):
        return None, verdict  # a model TFLM refuses is refused as it is
    if front_end:  # its signal ops run in TFLM's interpreter, so the library keeps it
        front_end_keeps_tflm(runtime, reporter)
        return None, verdict
    compiled = choose_compiled(prepared, verdict.board, prefix, reporter, runtime, compress)
    if compiled is None:
        return None, verdict
    own = footprint_with_arena(verdict, compiled.arena_bytes)
    if runtime == "auto" and auto_keeps_tflm(verdict, own, reporter):
        return None, verdict
    return compiled, replace(verdict, limitations=(), missing_kernels=(), footprint=own)


def choose_compiled(prepared: PreparedModel, board: Board, prefix: str,
                    reporter: Reporter, runtime: str = "compiled",
                    compress: str = "off") -> CompiledLibrary | None:
    """The compiled program of the prepared model for ``board`` (with the look-up tables
    ``--compress`` picks for it), or None (the TFLM runtime) with one line saying why: a
    warning for ``runtime="compiled"`` (the user asked for it), an info line for
    ``"auto"``, which also says so when the compiled runtime takes the model."""
    try:
        compiled = compile_library(prepared.model, board, prefix=prefix,
                                   title=prefix.replace("*/", "* /"), source=prepared.source,
                                   compress=compress)
    except GRAPH_FAILURES as error:  # as inspect says it (compiled_figures)
        _keeps_tflm(runtime, f"{prepared.source}: the compiled runtime could not follow the "
                    f"graph ({error})", reporter)
        return None
    except (UnsupportedOpError, CompiledUnavailable) as why:
        _keeps_tflm(runtime, str(why).removesuffix(_ADVICE), reporter)
        return None
    if runtime == "auto":
        ops = sorted(set(prepared.model.op_names()))
        reporter.info(
            f"runtime: compiled (--runtime auto): every op of the model ({', '.join(ops)}) "
            f"has a kernel in the compiled runtime over {compiled.kernels}")
    return compiled


def _keeps_tflm(runtime: str, why: str, reporter: Reporter) -> None:
    """Say why the compiled runtime does not take the model: a line for ``auto``, a
    warning where ``compiled`` was asked for."""
    if runtime == "auto":
        reporter.info(f"runtime: tflm (--runtime auto): {why}")
    else:
        reporter.warn(f"--runtime compiled: {why}{_ADVICE}; this library uses the TFLM runtime")


def front_end_keeps_tflm(runtime: str, reporter: Reporter) -> None:
    """Say that a library with the audio front end keeps the TFLM runtime: its signal ops
    run in TFLM's interpreter (a warning where ``compiled`` was asked for)."""
    why = "the front end runs on TFLM's interpreter, so the model keeps the TFLM runtime too"
    if runtime == "auto":
        reporter.info(f"runtime: tflm (--runtime auto): {why}")
    else:
        reporter.warn(f"--runtime compiled: {why}")


def auto_keeps_tflm(verdict: Verdict, compiled: Footprint, reporter: Reporter) -> bool:
    """Whether ``--runtime auto`` keeps the TFLM runtime for a model the compiled one could
    run: only where TFLM's library fits the board and the compiled one (with the tables
    ``--compress`` picked for it) does not. Says so when it does."""
    if not verdict.fits or (compiled.flash_ok and compiled.ram_ok):
        return False
    over = (f"flash ~{compiled.flash_bytes:,} of {compiled.flash_budget:,} bytes"
            if not compiled.flash_ok else
            f"RAM ~{compiled.ram_bytes:,} of {compiled.ram_budget:,} bytes")
    reporter.info(f"runtime: tflm (--runtime auto): the compiled library would not fit the "
                  f"{verdict.board.name} ({over}); the TFLM library does")
    return True


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
