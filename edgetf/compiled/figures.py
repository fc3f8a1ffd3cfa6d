"""The compiled runtime's figures for one model on one board, beside the TFLM runtime's:
the one place ``inspect``, ``tune --runtime compiled`` and ``benchmarks/runtime.py`` read
them, so that a number two commands show is the same number.

- **The compiled arena** is what a compiled library declares: the static memory plan
  (:func:`~edgetf.compiled.memory_plan.plan_memory`) of the model's activations plus the
  scratch the board's kernels ask for, as the board's arena-planner table
  (:attr:`~edgetf.targets.boards.Board.arena_table`: CMSIS-NN's for the nano33ble,
  ESP-NN's for the esp32, the ESP32-S3's for the S3 boards) gives it; rounded up to 16
  bytes, at least 16 (:func:`compiled_arena_bytes`). No margin: the plan is the program's
  own layout, not a prediction of an allocator.
- **The lower bound**: the most bytes live while any op runs (activations plus that op's
  scratch); no placement of the same buffers is smaller.
- **The TFLM arena**: what the TFLM runtime declares on the board (the board verdict's,
  :mod:`edgetf.targets.verdict`, when the caller has it).
- **The RAM and flash** under the compiled runtime (:func:`compiled_footprint`): the
  board's footprint formula with the compiled arena, placed as the board places an arena;
  flash still counts the model's uncompressed flatbuffer and TFLM's code for its ops, an
  upper bound until the compiled library's own flash is measured.
- **The refusal**: why the compiled runtime cannot run the model on the board (the op
  :func:`~edgetf.compiled.program.compile_program` has no kernel for, a planner table that
  lacks an op, a board whose kernel library has no emitter): the model then stays on the
  TFLM runtime. The emitters refuse a few cases of their own on top (see
  :mod:`.emit_c`, :mod:`.emit_esp_nn`); these figures do not run them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edgetf.base.errors import TfliteFormatError
from edgetf.compiled.board_plan import board_luts, board_scratch, compiled_arena_bytes
from edgetf.compiled.emitters import EMITTERS
from edgetf.compiled.memory_plan import plan_memory
from edgetf.compiled.program import UnsupportedOpError, compile_program
from edgetf.targets.board_arena import arena_place, host_figure, plan_board_arena
from edgetf.targets.boards import Board
from edgetf.targets.firmware_contract import demo_ram
from edgetf.targets.footprint import Footprint, estimate_footprint
from edgetf.targets.verdict import Verdict
from edgetf.tflite.model import TfliteModel
from edgetf.tflm.estimate import estimate_arena

#: What the planner or the program builder raise on a graph they cannot follow (a damaged
#: model the reader let through): a refusal, never a traceback; inspect and emit-firmware's
#: runtime choice both catch it. TfliteFormatError: a tensor whose data is shorter than
#: its shape, which TFLM never reads as a constant but the compiled program would (the
#: fuzzer's "absurd tensor shape").
GRAPH_FAILURES = (ArithmeticError, LookupError, AttributeError, TypeError, ValueError,
                  TfliteFormatError)

#: Within this share of the lower bound, a plan counts as optimal (issue 21's target).
LOWER_BOUND_SLACK = 0.05


@dataclass(frozen=True)
class CompiledFigures:
    """One model on one board under both runtimes (bytes). ``arena_bytes``,
    ``plan_bytes`` and ``lower_bound_bytes`` are None where the program or its plan could
    not be made; ``refusal`` is None where the compiled runtime can run the model."""

    arena_bytes: int | None
    """What ``emit-firmware --runtime compiled`` declares (the plan, rounded to 16)."""
    lower_bound_bytes: int | None
    """The most bytes live while any op runs: no static plan is smaller."""
    tflm_arena_bytes: int
    """What the TFLM runtime declares on the board."""
    refusal: str | None
    """Why the model stays on the TFLM runtime; None where the compiled one runs it."""
    board: str = ""
    kernels: str = ""
    """The kernel library the compiled program calls (the board's)."""
    table: str = ""
    """The planner table the kernels' scratch sizes come from."""
    plan_bytes: int | None = None
    """The static plan's own size (``arena_bytes`` before rounding)."""

    @property
    def available(self) -> bool:
        return self.refusal is None

    @property
    def ratio(self) -> float | None:
        """Compiled arena / TFLM arena (None without a compiled arena)."""
        if self.arena_bytes is None or not self.tflm_arena_bytes:
            return None
        return self.arena_bytes / self.tflm_arena_bytes

    @property
    def near_lower_bound(self) -> bool | None:
        """Whether the compiled arena is within 5 % of its lower bound."""
        if self.arena_bytes is None or self.lower_bound_bytes is None:
            return None
        return self.arena_bytes <= self.lower_bound_bytes * (1 + LOWER_BOUND_SLACK)

    def to_dict(self) -> dict:
        return {**asdict(self), "available": self.available, "ratio": self.ratio,
                "near_lower_bound": self.near_lower_bound}


def tflm_arena(model: TfliteModel, board: Board) -> int:
    """The arena the TFLM runtime declares on ``board`` without a TFLM measurement (the
    board's plan, or, where its table lacks an op, the reference-64 plan or the
    flatbuffer estimate times the board's margin). Commands that have the board's verdict
    pass its ``arena.bytes`` instead."""
    host = host_figure(model, estimate_arena(model), "estimated", "")
    return plan_board_arena(model, board, *host).bytes


def compiled_figures(model: TfliteModel, board: Board, tflm_arena_bytes: int | None = None,
                     source: str = "model", compress: str = "auto") -> CompiledFigures:
    """Both runtimes' arenas of ``model`` on ``board`` (``tflm_arena_bytes``: the TFLM
    runtime's, from the board's verdict; computed by :func:`tflm_arena` when None), the
    compiled one with the look-up tables ``--compress`` stores
    (:func:`~.board_plan.board_luts`, as emit-firmware picks them)."""
    if tflm_arena_bytes is None:
        try:
            tflm_arena_bytes = tflm_arena(model, board)
        except GRAPH_FAILURES:
            tflm_arena_bytes = 0
    base = {"tflm_arena_bytes": tflm_arena_bytes, "board": board.id, "kernels": board.kernels,
            "table": board.arena_table}
    try:
        compile_program(model, source)
        scratch = board_scratch(model, board, source)
        luts = board_luts(model, board, scratch, compress)
        plan = plan_memory(model, scratch, decoded={
            w.tensor: (w.op_index, w.decoded_bytes) for w in luts.weights})
    except UnsupportedOpError as why:
        return CompiledFigures(None, None, refusal=str(why), **base)
    except GRAPH_FAILURES as error:
        return CompiledFigures(None, None, refusal=f"{source}: the compiled runtime could not "
                               f"follow the graph ({error}); use the TFLM runtime", **base)
    refusal = None
    if EMITTERS.get(board.compiled_kernels or "") is None:
        refusal = (f"{source}: the compiled program over {board.kernels} is not yet emitted "
                   f"for the {board.id}; use the TFLM runtime")
    return CompiledFigures(compiled_arena_bytes(plan), plan.lower_bound, refusal=refusal,
                           plan_bytes=plan.size, **base)


def compiled_footprint(verdict: Verdict, figures: CompiledFigures) -> Footprint | None:
    """The board's RAM and flash for the verdict's model under the compiled runtime (None
    where it cannot run the model); see :func:`footprint_with_arena`."""
    if figures.arena_bytes is None or figures.refusal is not None:
        return None
    return footprint_with_arena(verdict, figures.arena_bytes)


def footprint_with_arena(verdict: Verdict, arena_bytes: int) -> Footprint:
    """The verdict's footprint with a compiled arena of ``arena_bytes``, placed where the
    board would place an arena of that size, plus what the library adds (golden vectors,
    demo buffers); flash counts the model uncompressed (the program reads its plain int8
    weights) and TFLM's code for its ops, an upper bound (no interpreter is linked).
    ``emit-firmware --runtime compiled`` checks the fit with it too."""
    place, _ = arena_place(verdict.board, arena_bytes)
    return estimate_footprint(verdict.prepared.model, verdict.board, arena_bytes,
                              extra_flash=verdict.golden_bytes,
                              extra_ram=demo_ram(verdict.prepared.model),
                              arena_in_psram=place == "psram")
