"""Which weights a board stores LUT-compressed, and what that costs it in arena.

A DECODE operator writes its tensor into the arena before the one operator that reads
it, so compression trades flash for arena: the decoded tensor is live across that
operator. ``always`` compresses every tensor :mod:`edgetf.tflm.compression` finds worth
it, except those the board's kernels need constant at Prepare time, and then takes tensors
back, largest decoded first, while the model would not fit the board's RAM with them.
``auto`` spends the scarcer resource last: it goes on taking tensors back while the tables
grow the planned arena by more than :func:`arena_allowance` (decoded tensors that fit in
the plan's free space cost nothing), unless the model would not fit the board's flash
uncompressed. Every tensor left alone carries the reason, for the reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from edgetf.base.errors import FirmwareError, InterpreterError, TfliteFormatError
from edgetf.targets.board_arena import ArenaPlan, host_figure, plan_board_arena
from edgetf.targets.boards import Board
from edgetf.targets.footprint import estimate_footprint, kernel_code
from edgetf.targets.planner.weights_in_prepare import must_stay_constant
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.compression import (
    DECODE_OP,
    DeviceModel,
    TensorChoice,
    compression_unavailable,
    device_model,
    lut_choices,
)
from edgetf.tflm.estimate import estimate_arena
from edgetf.tflm.interpreter import ArenaMeasurement, measure_arena_and_run, tflm_available

MODES = ("auto", "always", "off")
#: What ``auto`` lets look-up tables add to the planned arena: max(256 B, 2 % of it).
ARENA_ALLOWANCE_BYTES = 256
ARENA_ALLOWANCE_FRACTION = 0.02

#: ``fits(model, arena)``: whether ``model`` with that arena fits the board.
FitCheck = Callable[[TfliteModel, ArenaPlan], bool]
#: ``host(data, parsed)``: the host arena figure of a candidate device model (the caller
#: keeps one TFLM measurement per distinct flatbuffer: see
#: :meth:`edgetf.targets.prepared.PreparedModel.run_device`).
HostMeasure = Callable[[bytes, TfliteModel], ArenaMeasurement]


@dataclass(frozen=True)
class BoardModel:
    """The model a board's firmware stores, with the arena it declares for it."""

    device: DeviceModel
    model: TfliteModel
    arena: ArenaPlan
    plain_arena: ArenaPlan
    mode: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Tensors taken back, or the model stored as it is, for a reason worth a warning."""
    decisions: tuple[str, ...] = field(default_factory=tuple)
    """Choices that are no problem (tables that would not pay for their kernel, or that
    would cost more arena than ``auto`` spends)."""
    always: tuple[int, int] | None = None
    """``(flash saved, arena added)`` with ``--compress always``, where ``auto`` took
    tables back to save arena (None otherwise: the two store the same model)."""

    @property
    def compressed(self) -> bool:
        return bool(self.device.compressed_tensors)

    @property
    def source_sha256(self) -> str:
        return self.device.source_sha256

    @property
    def arena_added(self) -> int:
        return self.arena.bytes - self.plain_arena.bytes

    def to_dict(self) -> dict:
        return {"mode": self.mode, **self.device.to_dict(),
                "arena_bytes": self.arena.bytes, "plain_arena_bytes": self.plain_arena.bytes,
                "arena_added_bytes": self.arena_added, "notes": list(self.notes),
                "decisions": list(self.decisions),
                "always_saved_bytes": self.always[0] if self.always else None,
                "always_arena_added_bytes": self.always[1] if self.always else None}


def arena_allowance(plain_arena: ArenaPlan) -> int:
    """The arena ``auto`` lets look-up tables add: max(256 B, 2 % of the plain arena)."""
    return max(ARENA_ALLOWANCE_BYTES, math.ceil(plain_arena.bytes * ARENA_ALLOWANCE_FRACTION))


def board_model(model: TfliteModel, model_bytes: bytes, board: Board, mode: str = "auto", *,
                plain_arena: ArenaPlan, fits: FitCheck | None = None,
                flash_fits: FitCheck | None = None, host: HostMeasure | None = None,
                read: Callable[[bytes], TfliteModel] | None = None) -> BoardModel:
    """The device model for ``board``; ``plain_arena`` is the uncompressed model's arena
    (already measured by the caller), ``fits`` the caller's fit check (the footprint
    without per-project extras by default), ``host`` the host figure of a candidate
    (a TFLM measurement in a child process of its own by default), ``flash_fits`` the
    flash half of ``fits`` (which ``auto`` asks of the uncompressed model). A candidate with no
    look-up table holds the model's tensors and ops unchanged (only names and metadata
    go), so it takes the model's own figure: no TFLM run decides it. ``read`` parses a
    candidate (the caller may keep one parse per distinct flatbuffer: see
    :meth:`edgetf.targets.prepared.PreparedModel.read_device`)."""
    fits = fits or (lambda candidate, arena: _fits_alone(candidate, board, arena))
    flash_fits = flash_fits or (lambda candidate, arena: estimate_footprint(
        candidate, board, arena.bytes, arena_in_psram=arena.place == "psram").flash_ok)
    host = host or _measure
    read = read or (lambda data: read_tflite(data, source="the compressed model"))
    always = None
    plain = DeviceModel(model_bytes, len(model_bytes))
    if mode == "off":
        return BoardModel(plain, model, plain_arena, plain_arena, mode)
    unavailable = compression_unavailable()
    if unavailable:
        return BoardModel(plain, model, plain_arena, plain_arena, mode,
                          (f"stored uncompressed: {unavailable}",))
    choices = [_for_board(choice, model, board) for choice in lut_choices(model)]
    notes: list[str] = []
    decisions: list[str] = []
    choices = _worth_the_kernel(model, model_bytes, board, choices, decisions)
    while True:
        try:
            device = device_model(model_bytes, model, choices)
            parsed = read(device.data)
            chosen = [c for c in choices if c.compressed]
            measured = host(device.data, parsed) if chosen else host(model_bytes, model)
            arena = plan_board_arena(parsed, board, *host_figure(
                parsed, measured.bytes, measured.method, measured.note))
        except (FirmwareError, InterpreterError, TfliteFormatError) as error:
            # A model TFLM runs must not be refused because its rewrite failed: store it
            # as it is, and say why.
            return BoardModel(plain, model, plain_arena, plain_arena, mode,
                              (*notes, f"stored uncompressed: {error}"), tuple(decisions))
        largest = max(chosen, key=lambda c: c.decoded_bytes, default=None)
        if largest is None or not fits(model, plain_arena):
            return BoardModel(device, parsed, arena, plain_arena, mode, tuple(notes),
                              tuple(decisions), always)
        added, allowance = arena.bytes - plain_arena.bytes, arena_allowance(plain_arena)
        if not fits(parsed, arena):
            reason = (f"decoding its {largest.decoded_bytes:,} bytes into the arena would make "
                      f"the model not fit the {board.name}'s RAM")
            notes.append(f"'{largest.name}' stored uncompressed: {reason}")
        elif mode == "auto" and added > allowance and flash_fits(model, plain_arena):
            if always is None:
                always = (len(model_bytes) - len(device.data), added)
                decisions.append(
                    f"--compress always would store {len(chosen)} weight tensor(s) as look-up "
                    f"tables: {always[0]:,} bytes less flash for {added:+,} bytes of arena, "
                    f"more than the {allowance:,} (max(256 B, 2 %)) auto spends while the "
                    f"model fits the {board.name}'s flash without them")
            reason = (f"its tables would grow the arena by {added:+,} bytes (auto spends at "
                      f"most {allowance:,}) to save flash the {board.name} has room for; "
                      "--compress always stores it as a look-up table")
            decisions.append(f"'{largest.name}' stored uncompressed: {reason}")
        else:
            return BoardModel(device, parsed, arena, plain_arena, mode, tuple(notes),
                              tuple(decisions), always)
        choices = [c.left_alone(reason) if c is largest else c for c in choices]
        choices = _worth_the_kernel(model, model_bytes, board, choices, decisions)


def _worth_the_kernel(model: TfliteModel, model_bytes: bytes, board: Board,
                      choices: list[TensorChoice], decisions: list[str]
                      ) -> list[TensorChoice]:
    """The choices, or none of them when the flash they save is less than the code of the
    DECODE kernel the board would link for them (a small model's few compressible bytes)."""
    if not any(c.compressed for c in choices) or DECODE_OP in model.op_names():
        return choices
    kernel = kernel_code(DECODE_OP, board)
    saved = sum(c.bytes_before - c.bytes_after for c in choices if c.compressed)
    if saved > kernel:
        return choices
    reason = (f"the look-up tables would save about {saved:,} bytes, less than the "
              f"{kernel:,} bytes of DECODE kernel code the {board.name} would link")
    decisions.append(f"weights stored uncompressed: {reason}")
    return [c.left_alone(reason) if c.compressed else c for c in choices]


def _for_board(choice: TensorChoice, model: TfliteModel, board: Board) -> TensorChoice:
    """``choice`` unless one of the board's kernels reads the tensor in Prepare."""
    if not choice.compressed:
        return choice
    graph = model.subgraphs[choice.subgraph]
    for op in graph.operators:
        for position, tensor in enumerate(op.inputs):
            if tensor != choice.tensor:
                continue
            reason = must_stay_constant(board.arena_table, op.name, position)
            if reason:
                return choice.left_alone(f"{op.name} input {position} must stay constant on "
                                         f"the {board.name}: {reason}")
    return choice


def _measure(data: bytes, parsed: TfliteModel) -> ArenaMeasurement:
    """The host figure of a candidate: measured with the TFLM interpreter where it is
    installed, else estimated from the flatbuffer."""
    if tflm_available():
        return measure_arena_and_run(data, None, parsed=parsed)[0]
    return ArenaMeasurement(estimate_arena(parsed), "estimated", "Estimated from the flatbuffer.")


def _fits_alone(model: TfliteModel, board: Board, arena: ArenaPlan) -> bool:
    footprint = estimate_footprint(model, board, arena.bytes,
                                   arena_in_psram=arena.place == "psram")
    return footprint.flash_ok and footprint.ram_ok
