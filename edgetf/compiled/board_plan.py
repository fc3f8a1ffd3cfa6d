"""The compiled runtime's static plan on one board: the kernel scratch the board's planner
table gives each op (less what the kernel the program calls never touches), the filters
stored as look-up tables under ``--compress`` (:func:`board_luts`), and the arena a
compiled library declares for a plan. The emitters (:mod:`.emitters`) and the figures
inspect and tune show (:mod:`.figures`) both read these, so that what ``emit-firmware
--runtime compiled`` declares is what they show."""

from __future__ import annotations

from edgetf.compiled.lut_weights import LutChoice, LutWeight, choose
from edgetf.compiled.memory_plan import MemoryPlan, plan_memory
from edgetf.compiled.program import ConvParams, UnsupportedOpError, compile_program
from edgetf.targets.board_arena import arena_place
from edgetf.targets.boards import ARENA_ALIGNMENT, Board
from edgetf.targets.firmware_contract import demo_ram
from edgetf.targets.footprint import estimate_footprint
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
    scratch = {u.index: tuple(u.scratch) for u in result.ops if u.scratch}
    if board.compiled_kernels == "cmsis-nn" and scratch:
        for step in compile_program(model, source).steps:
            if step.op_index in scratch and _cmsis_nn_3x3_depthwise(step, model):
                del scratch[step.op_index]
    return scratch


def _cmsis_nn_3x3_depthwise(step, model: TfliteModel) -> bool:
    """A depthwise convolution that ``arm_depthwise_conv_wrapper_s8`` (the CMSIS-NN of
    Chirale 2.0.0, built for a Cortex-M4: DSP, no MVE) hands to
    ``arm_depthwise_conv_3x3_s8``, which never reads its context buffer (``(void)ctx``).

    The wrapper's ``_get_buffer_size`` does not look at the filter or the padding, so it
    still asks for ``arm_depthwise_conv_s8_opt``'s int16 column (channels x 9 x 2 bytes),
    and TFLM's CMSIS-NN kernel allocates that much arena for it; the compiled program
    calls the same wrapper with no buffer. The wrapper's dispatch
    (arm_depthwise_conv_wrapper_s8.c): channel multiplier 1, batch 1, no dilation, a
    3x3 filter, padding at most 1 on each axis."""
    if step.op != "DEPTHWISE_CONV_2D":
        return False
    p: ConvParams = step.params
    inp, filt = model.main.tensors[step.inputs[0]], model.main.tensors[step.inputs[1]]
    return (p.depth_multiplier == 1 and inp.shape[0] == 1 and p.dilation_h == 1
            and p.dilation_w == 1 and tuple(filt.shape[1:3]) == (3, 3)
            and p.pad_h <= 1 and p.pad_w <= 1)


def _decoded(weights) -> dict[int, tuple[int, int]]:
    return {w.tensor: (w.op_index, w.decoded_bytes) for w in weights}


def board_luts(model: TfliteModel, board: Board, scratch: dict[int, tuple[int, ...]],
               mode: str) -> LutChoice:
    """The filters the compiled program stores as look-up tables on ``board`` under
    ``--compress mode`` (:func:`~.lut_weights.choose`), judged with the compiled arena
    and the fit emit-firmware checks (:func:`edgetf.targets.footprint.estimate_footprint`:
    flash counts the model uncompressed, an upper bound)."""
    def arena(weights: tuple[LutWeight, ...] | list[LutWeight]) -> int:
        return compiled_arena_bytes(plan_memory(model, scratch, decoded=_decoded(weights)))

    def ram_fits(arena_bytes: int) -> bool:
        place, _ = arena_place(board, arena_bytes)
        return estimate_footprint(model, board, arena_bytes, extra_ram=demo_ram(model),
                                  arena_in_psram=place == "psram").ram_ok

    plain = arena(())
    place, _ = arena_place(board, plain)
    flash_fits = estimate_footprint(model, board, plain, extra_ram=demo_ram(model),
                                    arena_in_psram=place == "psram").flash_ok
    return choose(model, mode, arena, ram_fits, flash_fits, board.name)
