"""The tensor arena a generated library declares on a board, and why.

The figure is the arena planner's (:mod:`edgetf.targets.planner`) for the board's own
TFLM build and kernel library (:attr:`~edgetf.targets.boards.Board.arena_table`), plus a
small stated margin. Where the planner cannot give it — the board's table is not written
yet, or lacks one of the model's ops — the board falls back to the host figure (the TFLM
interpreter's smallest arena, or the planner's ``reference-64`` plan where tflite-micro
is missing) times the board's measured margin, and the plan says which op caused it: the
arena is never silently under-declared.

Where it lives follows from the figure: static, on the heap (the ESP32's static DRAM is
capped), or in PSRAM (boards with :attr:`~edgetf.targets.boards.Board.psram_bytes`, when
internal RAM cannot hold it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edgetf.targets.boards import ARENA_ALIGNMENT, Board, arena_for_board
from edgetf.targets.planner.plan import ArenaPlanResult, plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.model import TfliteModel

#: The margin on top of a complete plan: 1 % of it, at least 128 bytes, rounded up to 16.
#: The plan is exact against the board's build (tests pin it to measurements); the margin
#: absorbs what no table sees (a TFLM patch release), and stays below what the issue that
#: asked for the planner allows (max(2 %, 128 B)).
PLAN_MARGIN_FRACTION = 0.01
PLAN_MARGIN_MIN_BYTES = 128

PLACES = ("static", "heap", "psram")
#: What the planner raises on a graph it cannot follow (a damaged model the reader let
#: through): the figure then comes from elsewhere, never a traceback.
_PLANNER_FAILURES = (ArithmeticError, LookupError, AttributeError, TypeError, ValueError)


@dataclass(frozen=True)
class ArenaPlan:
    """The arena one board's library declares (``bytes``), and how it was decided."""

    bytes: int
    """What the firmware reserves (``EDGETF_ARENA_BYTES``)."""
    needed_bytes: int
    """The smallest arena the board's TFLM build needs (the planner's figure), or, on the
    fallback, the host figure the margin was applied to."""
    method: str
    """``"planned"`` (the board's table knows every op) or ``"host x margin"``."""
    table: str | None
    """The planner table behind ``needed_bytes`` (None on the fallback)."""
    host_bytes: int
    """The host figure (reference kernels, 64-bit), for comparison."""
    host_method: str
    """How the host figure was obtained: ``"measured"``, ``"planned"`` or ``"estimated"``."""
    note: str
    """One sentence for reports and generated headers."""
    margin: float
    """Multiplier on ``needed_bytes`` (1 when planned)."""
    margin_bytes: int
    """Bytes added after the multiplier."""
    fallback_reason: str
    """Why the board's plan was not used ("" when it was)."""
    place: str
    """``"static"``, ``"heap"`` or ``"psram"`` (see :data:`PLACES`)."""
    place_reason: str

    @property
    def on_heap(self) -> bool:
        """Allocated at run time (on the heap or in PSRAM) rather than a static array."""
        return self.place != "static"

    @property
    def on_heap_reason(self) -> str:
        return self.place_reason

    @property
    def basis(self) -> str:
        if self.method == "compiled":
            return f"The compiled runtime's static plan: {self.needed_bytes} bytes ({self.note})."
        if self.method == "planned":
            return (f"Planned for {self.table}: {self.needed_bytes} bytes; + {self.margin_bytes} "
                    f"bytes margin (1 %, at least {PLAN_MARGIN_MIN_BYTES}).")
        return (f"{self.host_method.capitalize()} on the host: {self.host_bytes} bytes; "
                f"x{self.margin:g} + {self.margin_bytes} bytes for the board's optimized "
                f"kernels' scratch buffers, rounded up to 16 ({self.fallback_reason}).")


def host_figure(model: TfliteModel, measured_bytes: int, method: str, note: str
                ) -> tuple[int, str, str]:
    """The host figure (reference kernels, 64-bit) as ``(bytes, method, note)``: the TFLM
    interpreter's measurement when there is one; without tflite-micro, the planner's
    reference-64 plan when it knows every op (it equals the measurement on every model
    the tests check), else the flatbuffer estimate."""
    if method == "measured":
        return measured_bytes, method, note
    try:
        result = plan_arena(model, TABLES["reference-64"])
    except _PLANNER_FAILURES:  # see plan_board_arena
        return measured_bytes, method, note
    if result.complete:
        return result.total, "planned", (
            "Planned by edgetf's arena planner for the TFLM interpreter (reference kernels, "
            "64-bit host), which is not installed here.")
    return measured_bytes, method, note


def board_plan(model: TfliteModel, board: Board) -> ArenaPlanResult | None:
    """The planner's result for ``board``'s table, or None when it has no table yet."""
    table = TABLES.get(board.arena_table)
    return None if table is None else plan_arena(model, table)


def plan_board_arena(model: TfliteModel, board: Board, host_bytes: int, host_method: str,
                     host_note: str) -> ArenaPlan:
    """The arena to declare on ``board`` for ``model``; ``host_bytes`` is the host figure
    (:func:`edgetf.tflm.interpreter.measure_arena` or the reference-64 plan), used only
    for the fallback and for comparison."""
    try:
        result = board_plan(model, board)
        failure = ""
    except _PLANNER_FAILURES as error:
        # A model the reader accepts but whose graph the planner cannot follow (fuzzing
        # makes such files): the board falls back rather than the command failing.
        result, failure = None, f"the planner could not follow the graph ({error})"
    if result is not None and result.complete:
        margin = max(PLAN_MARGIN_MIN_BYTES, math.ceil(result.total * PLAN_MARGIN_FRACTION))
        margin = -(-margin // ARENA_ALIGNMENT) * ARENA_ALIGNMENT
        declared = result.total + margin
        note = (f"Planned by edgetf for {board.tflm_versions} (table {result.table}): "
                f"{result.total} bytes are the smallest arena that allocates and invokes.")
        return _placed(board, declared, result.total, "planned", result.table, host_bytes,
                       host_method, note, 1.0, margin, "")
    if failure:
        reason = failure
    elif result is None:
        reason = f"no arena table for {board.tflm_versions} yet"
    else:
        reason = f"the {result.table} table cannot plan {', '.join(result.unknown_ops)}"
    declared = arena_for_board(host_bytes, board)
    note = f"{host_note} Board figure: host x{board.arena_margin:g} + " \
           f"{board.arena_margin_bytes} bytes, because {reason}."
    return _placed(board, declared, host_bytes, "host x margin", None, host_bytes, host_method,
                   note, board.arena_margin, board.arena_margin_bytes, reason)


def _placed(board: Board, declared: int, needed: int, method: str, table: str | None,
            host_bytes: int, host_method: str, note: str, margin: float, margin_bytes: int,
            fallback_reason: str) -> ArenaPlan:
    place, reason = arena_place(board, declared)
    return ArenaPlan(declared, needed, method, table, host_bytes, host_method, note, margin,
                     margin_bytes, fallback_reason, place, reason)


def arena_place(board: Board, declared: int) -> tuple[str, str]:
    """Where an arena of ``declared`` bytes goes on ``board``, and why (``""`` if static)."""
    if board.psram_bytes and declared > board.internal_arena_max_bytes:
        return "psram", (
            f"{declared} bytes is more than the {board.internal_arena_max_bytes} bytes of "
            f"internal RAM edgetf leaves for an arena on the {board.name}, so it is "
            f"allocated in its {board.psram_bytes // (1024 * 1024)} MB PSRAM (16-byte "
            "aligned, MALLOC_CAP_SPIRAM)")
    limit = board.static_arena_max_bytes
    if limit is not None and declared > limit:
        return "heap", (f"{declared} bytes is more than the {limit} bytes of static DRAM left "
                        f"for an arena on the {board.name}, so it is allocated on the heap")
    return "static", ""
