"""The compiled runtime's static plan on one board: the kernel scratch the board's planner
table gives each op, and the arena a compiled library declares for a plan. The emitters
(:mod:`.emitters`) and the figures inspect and tune show (:mod:`.figures`) both read these,
so that what ``emit-firmware --runtime compiled`` declares is what they show."""

from __future__ import annotations

from edgetf.compiled.memory_plan import MemoryPlan
from edgetf.compiled.program import UnsupportedOpError
from edgetf.targets.boards import ARENA_ALIGNMENT, Board
from edgetf.targets.planner.plan import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.model import TfliteModel


class NoScratchTable(UnsupportedOpError):
    """The board's planner table is missing or lacks an op: its kernels' scratch is unknown."""


def compiled_arena_bytes(plan: MemoryPlan) -> int:
    """The arena a compiled library declares for ``plan``: its size rounded up to 16
    bytes, at least 16 (a C array cannot be empty)."""
    return max(-(-plan.size // ARENA_ALIGNMENT) * ARENA_ALIGNMENT, ARENA_ALIGNMENT)


def board_scratch(model: TfliteModel, board: Board, source: str = "model"
                  ) -> dict[int, tuple[int, ...]]:
    """Op index -> the scratch sizes ``board``'s kernels ask for, from its planner table.
    Raises :class:`NoScratchTable` where the board has no table or it lacks an op."""
    table = TABLES.get(board.arena_table)
    if table is None:
        raise NoScratchTable(f"{source}: the {board.id} has no arena planner table, which "
                             "the compiled runtime sizes kernel scratch with; use the TFLM "
                             "runtime")
    result = plan_arena(model, table)
    if not result.complete:
        raise NoScratchTable(f"{source}: the {table.name} table lacks "
                             f"{', '.join(result.unknown_ops)}, so the kernels' scratch is "
                             "unknown; use the TFLM runtime")
    return {u.index: tuple(u.scratch) for u in result.ops if u.scratch}
