"""A trial's board figures and the caps they are held to: the one place they are computed.

The figures are read from the board's verdict (:func:`edgetf.targets.verdict.board_verdict`,
the one emit-firmware obeys and ``inspect --board B`` renders), so a model the tuner calls
fitting is one emit-firmware accepts and ``inspect`` describes with the same numbers: the
flash is the board's stored model (``emit-firmware --compress auto``) plus its ops' code.

With raw data (a folder of WAV clips), the library holds the audio front end too, as
``emit-firmware --from`` embeds it: its load (:func:`edgetf.targets.front_end.
front_end_on_board`, the one ``inspect --features audio``, ``emit-firmware`` and
train-quantize's per-board figures count) is in the board's verdict, and the capped
figures add it: ``arena_bytes`` the front end's RAM (its arena, window, ring of frames,
recognizer), ``flash_bytes`` its graph and kernels' code, ``latency_ms`` the time of a
clip's features (:mod:`edgetf.targets.front_end_time`, an estimate like the model's;
``front_end`` keeps the parts).

With ``--runtime compiled`` the arena is the compiled runtime's
(:func:`edgetf.compiled.figures.compiled_figures`, the figure ``inspect`` shows beside
TFLM's) and RAM follows from it; flash counts the model uncompressed plus its ops' TFLM
code (an upper bound: no interpreter is linked). Where the compiled runtime cannot run a
trial's model, emit-firmware keeps the TFLM runtime, and so do its figures (``runtime``
says which). ``--runtime auto`` is the same, except that, as ``emit-firmware --runtime auto``
does, a model whose TFLM library fits the board and whose compiled one does not (its
weights uncompressed) is judged on TFLM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edgetf.base.errors import ConfigError
from edgetf.base.units import readable_ms
from edgetf.compiled.figures import compiled_figures, compiled_footprint
from edgetf.targets.boards import Board
from edgetf.targets.firmware_contract import FrontEndLoad
from edgetf.targets.footprint import RUNTIME_CODE, TFLM_CORE_CODE
from edgetf.targets.front_end_time import FrontEndTime
from edgetf.targets.prepared import PreparedModel, prepare_model
from edgetf.targets.verdict import board_verdict

#: ``tune --runtime``'s choices: the runtime whose arena the trials are held to.
RUNTIMES = ("tflm", "compiled", "auto")


@dataclass(frozen=True)
class BoardFigures:
    """What one int8 model costs on one board."""

    board: str
    arena_bytes: int
    """The tensor arena the generated library declares on the board, plus the RAM of its
    front end when it has one (``--max-ram``)."""
    flash_bytes: int
    """The model as emitted plus the TFLM code for its ops, plus the front end's graph and
    kernels when it has one (``--max-flash``); the board's framework image comes on top
    of it in ``board_flash_bytes``."""
    latency_ms: float | None
    """The latency estimate of one inference (None where the board cannot run it), with
    the front end's time for a clip's features when the library has one."""
    fits_board: bool
    """Whether emit-firmware accepts the model for the board without ``--force``."""
    why_not: str | None
    """The first reason it does not fit the board, when it does not."""
    ram_bytes: int
    ram_budget: int
    board_flash_bytes: int
    flash_budget: int
    runtime: str = "tflm"
    """The runtime the figures are for: ``"compiled"`` only where it runs the model."""
    tflm_arena_bytes: int | None = None
    """The TFLM runtime's arena, beside a compiled one."""
    lower_bound_bytes: int | None = None
    """The compiled arena's lower bound (the most bytes live at once)."""
    compiled_refusal: str | None = None
    """With ``--runtime compiled`` or ``auto``: why the model stays on the TFLM runtime."""
    front_end: dict | None = None
    """The front end's part (:meth:`FrontEndLoad.to_dict`), when the library has one."""

    def to_dict(self) -> dict:
        return asdict(self)


def board_figures(model: bytes | PreparedModel, board: Board, runtime: str = "tflm", *,
                  front_end: FrontEndLoad | None = None,
                  front_end_time: FrontEndTime | None = None) -> BoardFigures:
    """The arena, flash, latency and fit of ``model`` on ``board``: its verdict's, with
    the compiled runtime's arena where ``runtime`` is ``"compiled"`` or ``"auto"`` and it
    runs the model (a prepared model, such as train-quantize's, is judged without being
    read again); ``front_end``: what the library's front end adds on ``board``, counted
    in, and ``front_end_time`` the time of a clip's features, added to the latency."""
    prepared = model if isinstance(model, PreparedModel) else prepare_model(model,
                                                                            "model.tflite")
    verdict = board_verdict(prepared, board, front_end=front_end)
    footprint = verdict.footprint
    problems = verdict.problems
    extra: dict = {}
    if runtime in ("compiled", "auto"):
        compiled = compiled_figures(prepared.model, board, verdict.arena.bytes, prepared.source)
        own = compiled_footprint(verdict, compiled)
        if own is None or prepared.measure_error:
            extra = {"compiled_refusal": compiled.refusal or prepared.measure_error}
        elif runtime == "auto" and verdict.fits and not (own.ram_ok and own.flash_ok):
            extra = {"compiled_refusal": "the compiled library would not fit the board (its "
                     "weights uncompressed); the TFLM library does"}
        else:
            # No TFLM kernel runs, so the board's TFLM limitations do not apply; LUT
            # weights are not used, so neither does their check.
            footprint, problems = own, tuple(p.description for p in prepared.problems)
            extra = {"runtime": "compiled", "tflm_arena_bytes": verdict.arena.bytes,
                     "lower_bound_bytes": compiled.lower_bound_bytes}
    fits = not problems and footprint.ram_ok and footprint.flash_ok
    why_not = None
    if problems:
        why_not = problems[0]
    elif not footprint.ram_ok:
        why_not = (f"RAM ~{footprint.ram_bytes:,} B is over the board's "
                   f"{footprint.ram_budget:,} B")
    elif not footprint.flash_ok:
        why_not = (f"flash ~{footprint.flash_bytes:,} B is over the board's "
                   f"{footprint.flash_budget:,} B")
    latency = verdict.latency.latency_ms
    if front_end is not None:
        extra["front_end"] = front_end.to_dict()
        if front_end_time is not None:
            extra["front_end"]["time"] = front_end_time.to_dict()
            if latency is not None:
                extra["front_end"]["model_latency_ms"] = latency
                latency += front_end_time.ms
    return BoardFigures(
        board=board.id,
        arena_bytes=footprint.arena_bytes + (front_end.ram_bytes if front_end else 0),
        # The model as emit-firmware stores it on this board (look-up-table weights where
        # they pay) plus the TFLM code of its ops, DECODE included; and the front end's
        # graph and the code of the signal kernels the model does not already bring.
        flash_bytes=footprint.model_bytes + footprint.code_bytes + (
            front_end.graph_bytes + front_end.code_bytes if front_end else 0),
        latency_ms=latency, fits_board=fits, why_not=why_not,
        ram_bytes=footprint.ram_bytes, ram_budget=footprint.ram_budget,
        board_flash_bytes=footprint.flash_bytes, flash_budget=footprint.flash_budget,
        **extra)


@dataclass(frozen=True)
class Caps:
    """The user's ``--max-*`` caps (None: not capped) on top of the board's own budget."""

    max_ram: int | None = None
    max_flash: int | None = None
    max_latency_ms: float | None = None

    def check(self) -> Caps:
        """Refuse caps that are not positive, or that no model could ever meet."""
        for flag, value in (("--max-ram", self.max_ram), ("--max-flash", self.max_flash),
                            ("--max-latency-ms", self.max_latency_ms)):
            if value is not None and not value > 0:
                raise ConfigError(f"{flag} {value} must be positive")
        floor = TFLM_CORE_CODE + RUNTIME_CODE
        if self.max_flash is not None and self.max_flash <= floor:
            raise ConfigError(
                f"--max-flash {self.max_flash:,} leaves no room for any model: TFLM's "
                f"interpreter and edgetf's runtime alone take {floor:,} bytes of flash, "
                f"before the model and its kernels")
        return self

    def violations(self, figures: BoardFigures) -> list[float]:
        """Optuna's constraint values: each <= 0 when met, else by how much it is broken
        (as a share of the cap; 1 for not fitting the board)."""
        values = [0.0 if figures.fits_board else 1.0]
        for cap, figure in ((self.max_flash, figures.flash_bytes),
                            (self.max_ram, figures.arena_bytes),
                            (self.max_latency_ms, figures.latency_ms)):
            if cap is not None:
                values.append(1.0 if figure is None else (figure - cap) / cap)
        return values

    def constraint_names(self) -> list[str]:
        """The names of :meth:`violations`' values, in order."""
        return ["board"] + [name for name, cap in (("max_flash", self.max_flash),
                                                   ("max_ram", self.max_ram),
                                                   ("max_latency_ms", self.max_latency_ms))
                            if cap is not None]

    def broken(self, figures: BoardFigures) -> list[str]:
        """Why ``figures`` are infeasible, one phrase per broken limit (empty: feasible)."""
        reasons = [] if figures.fits_board else [f"does not fit {figures.board}: "
                                                 f"{figures.why_not}"]
        if self.max_flash is not None and figures.flash_bytes > self.max_flash:
            reasons.append(f"flash {figures.flash_bytes:,} B > --max-flash {self.max_flash:,}")
        if self.max_ram is not None and figures.arena_bytes > self.max_ram:
            reasons.append(f"arena {figures.arena_bytes:,} B > --max-ram {self.max_ram:,}")
        if self.max_latency_ms is not None and (
                figures.latency_ms is None or figures.latency_ms > self.max_latency_ms):
            shown = ("unknown" if figures.latency_ms is None
                     else f"{readable_ms(figures.latency_ms)} ms")
            reasons.append(f"latency {shown} > --max-latency-ms {self.max_latency_ms:g}")
        return reasons

    def describe(self) -> str:
        parts = [f"{name} {value:,}" if isinstance(value, int) else f"{name} {value:g}"
                 for name, value in (("--max-flash", self.max_flash),
                                     ("--max-ram", self.max_ram),
                                     ("--max-latency-ms", self.max_latency_ms))
                 if value is not None]
        return ", ".join(parts) if parts else "no caps"
