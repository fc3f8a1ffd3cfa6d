"""``inspect``: what a ``.tflite`` is, what it costs, and whether it fits each board.

Describes any model the flatbuffer reader can decode, including the ones emit-firmware
refuses (hybrid, ops TFLM lacks) and the ones LiteRT's stricter checks reject: a
description is never refused, only a file that is not a TFLite model. Each board's
verdict is :func:`edgetf.targets.verdict.board_verdict`'s, the function emit-firmware
obeys (with the golden vectors it embeds by default), so the two commands never disagree
about whether a model fits; this module only gathers and renders it. Beside each verdict,
the compiled runtime's figures for the board (:func:`edgetf.compiled.figures.compiled_figures`:
its static plan, that plan's lower bound, or the op that keeps the model on TFLM).

Never imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edgetf.base.errors import ConfigError
from edgetf.base.progress import Reporter
from edgetf.codegen.impulse import impulse_for
from edgetf.compiled.figures import CompiledFigures, compiled_figures
from edgetf.targets.board_compression import MODES as COMPRESS_MODES
from edgetf.targets.boards import BOARDS, Board, get_board
from edgetf.targets.firmware_contract import DEFAULT_COUNT
from edgetf.targets.footprint import code_bytes
from edgetf.targets.prepared import PreparedModel, prepare_model
from edgetf.targets.verdict import Verdict, board_verdict
from edgetf.tflite.compatibility import QUANTIZATION_KINDS, Compatibility
from edgetf.tflite.model import Tensor, TfliteModel
from edgetf.tflite.model_files import read_model_file
from edgetf.tflite.op_costs import ModelCost
from edgetf.tflite.ops import tflm_method
from edgetf.tflm.compression import TensorChoice, lut_choices
from edgetf.tflm.interpreter import ArenaMeasurement

FLASH_BASIS = (
    "model bytes plus TFLM's interpreter core, edgetf's runtime and one kernel per "
    "distinct op (code sizes from linker maps of Cortex-M4 builds with CMSIS-NN, "
    "edgetf.targets.footprint); each board adds its framework's image and, as emit-firmware "
    "does, the golden vectors")


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output as a caller must feed or read it."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float | tuple[float, ...] | None
    zero_point: int | tuple[int, ...] | None

    @classmethod
    def of(cls, tensor: Tensor) -> TensorInfo:
        q = tensor.quantization
        if q is None:
            return cls(tensor.name, tensor.shape, tensor.dtype, None, None)
        scale = q.scales[0] if len(q.scales) == 1 else q.scales
        zeros = q.zero_points[0] if len(q.zero_points) == 1 else q.zero_points
        return cls(tensor.name, tensor.shape, tensor.dtype, scale, zeros if zeros != () else None)

    def to_dict(self) -> dict:
        def plain(value):
            return list(value) if isinstance(value, tuple) else value

        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype,
                "scale": plain(self.scale), "zero_point": plain(self.zero_point)}


#: One board's verdict, as inspect reports it (see :class:`~edgetf.targets.verdict.Verdict`).
BoardVerdict = Verdict


@dataclass(frozen=True)
class Inspection:
    """Everything ``edgetf inspect`` reports about one model."""

    source: str
    model: TfliteModel
    sha256: str
    compatibility: Compatibility
    problems: tuple[str, ...]
    """Why TFLM (or the generated library) cannot run the model on any board."""
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    cost: ModelCost
    measurement: ArenaMeasurement
    golden_bytes: int
    boards: dict[str, BoardVerdict]
    warnings: tuple[str, ...] = field(default=())
    lut: tuple[TensorChoice, ...] = field(default=())
    """Every constant int8 tensor and what LUT storage would do with it, before any
    board's exceptions (see each board's ``stored``)."""
    compiled: dict[str, CompiledFigures] = field(default_factory=dict)
    """Board id -> the compiled runtime's arena, its lower bound and the TFLM runtime's
    arena (the verdict's), or why the compiled runtime cannot run the model there."""

    @property
    def code_bytes(self) -> int:
        return code_bytes(self.model)

    @property
    def flash_bytes(self) -> int:
        """Model plus TFLM code for its ops (see :data:`FLASH_BASIS`), before any
        board's framework."""
        return self.model.size + self.code_bytes

    def to_dict(self) -> dict:
        kind = self.compatibility.quantization
        return {
            "source": self.source,
            "model_bytes": self.model.size,
            "sha256": self.sha256,
            "quantization": kind,
            "quantization_note": QUANTIZATION_KINDS[kind],
            "tflm": {
                "runs": not self.problems,
                "problems": list(self.problems),
                "unsupported_ops": list(self.compatibility.unsupported_ops),
                "hybrid_ops": list(self.compatibility.hybrid_ops),
            },
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
            "ops": list(self.model.op_names()),
            "per_op": [{
                "index": op.index, "name": op.name, "output_shape": list(op.output_shape),
                "parameters": op.parameters, "weight_bytes": op.weight_bytes,
                "macs": op.macs, "tflm": tflm_method(op.name) is not None,
                "tflm_method": tflm_method(op.name),
                "options": self.model.main.operators[op.index].options,
            } for op in self.cost.ops],
            "subgraphs": len(self.model.subgraphs),
            "parameters": self.cost.parameters,
            "weight_bytes": self.cost.weight_bytes,
            "macs": self.cost.macs,
            "arena_bytes": self.measurement.bytes,
            "arena_method": self.measurement.method,
            "arena_note": self.measurement.note,
            "flash_bytes": self.flash_bytes,
            "code_bytes": self.code_bytes,
            "flash_basis": FLASH_BASIS,
            "golden_bytes": self.golden_bytes,
            "boards": {board_id: {**v.to_dict(), **self._runtimes(board_id)}
                       for board_id, v in self.boards.items()},
            "warnings": list(self.warnings),
            "lut_tensors": [t.to_dict() for t in self.lut],
        }


    def _runtimes(self, board_id: str) -> dict:
        figures = self.compiled.get(board_id)
        return {} if figures is None else {"compiled": figures.to_dict()}


def inspect_file(path: Path, *, boards: Sequence[str | Board] | None = None,
                 measure: bool = True, compress: str = "auto",
                 reporter: Reporter | None = None, features: str | None = None,
                 config: Path | None = None) -> Inspection:
    """:func:`inspect_model` on the file at ``path``; a missing or unreadable file is a
    one-line :class:`~edgetf.base.errors.ModelError`."""
    chosen = _boards(boards)  # an unknown board fails before the file is read
    data = read_model_file(Path(path), "MODEL")
    return inspect_model(data, str(path), boards=chosen, measure=measure, compress=compress,
                         reporter=reporter, features=features, config=config)


def inspect_model(data: bytes, source: str = "model", *, measure: bool = True,
                  boards: Sequence[str | Board] | None = None, compress: str = "auto",
                  reporter: Reporter | None = None, features: str | None = None,
                  config: Path | None = None) -> Inspection:
    """Describe the ``.tflite`` in ``data``, and judge it against ``boards``: ids from
    :data:`~edgetf.targets.boards.BOARDS` or :class:`~edgetf.targets.boards.Board` objects (a
    board with budgets of its own); all of edgetf's boards by default.

    ``measure``: measure the arena with the TFLM interpreter when tflite-micro is here
    and can run the model (as emit-firmware does); otherwise, or with ``measure=False``,
    the arena is estimated from the flatbuffer. Either way the result says which.
    ``compress``: judge each board by the model emit-firmware would store with that
    ``--compress`` (``"auto"``: LUT weights where they save flash and still fit).
    ``features`` (``"audio"``) and ``config``: judge the library with that front end
    embedded, as ``emit-firmware --features`` emits it (:mod:`edgetf.codegen.impulse`).
    """
    reporter = reporter or Reporter(quiet=True)
    chosen = _boards(boards)
    if compress not in COMPRESS_MODES:
        raise ConfigError(f"--compress {compress!r} is not one of {', '.join(COMPRESS_MODES)}")
    # A corrupt file stops here, as one line; the golden vectors are emit-firmware's default.
    prepared = prepare_model(data, source, golden=DEFAULT_COUNT, measure=measure,
                             reporter=reporter)
    impulse = None
    if features not in (None, "none") and prepared.runnable:
        impulse = impulse_for(prepared, features, config, None, None, 0, reporter)
    with reporter.stage("plan the device model (LUT weights) for each board"):
        verdicts = {board.id: board_verdict(
            prepared, board, compress, front_end=impulse.on_board(
                board, tuple(prepared.model.op_names()))[1] if impulse else None)
            for board in chosen}
    inspection = inspection_of(prepared, verdicts)
    for message in inspection.warnings:
        reporter.warn(message)
    return inspection


def inspection_of(prepared: PreparedModel, verdicts: dict[str, Verdict]) -> Inspection:
    """The report of a prepared model and its boards' verdicts, with the compiled
    runtime's figures beside each verdict's TFLM arena."""
    model = prepared.model
    compiled = {board_id: compiled_figures(model, v.board, v.arena.bytes, prepared.source,
                                           v.mode)
                for board_id, v in verdicts.items()}
    warnings = ()
    if prepared.measure_error:
        warnings = (f"the TFLM interpreter failed on the model: {prepared.measure_error}; "
                    "the arena is estimated from the flatbuffer",)
    return Inspection(
        source=prepared.source, model=model, sha256=prepared.sha256,
        compatibility=prepared.compatibility,
        problems=tuple(p.description for p in prepared.problems),
        inputs=tuple(TensorInfo.of(t) for t in model.input_tensors()),
        outputs=tuple(TensorInfo.of(t) for t in model.output_tensors()),
        cost=prepared.cost, measurement=prepared.measurement,
        golden_bytes=prepared.golden_bytes, boards=verdicts, warnings=warnings,
        lut=tuple(lut_choices(model)) if prepared.runnable else (), compiled=compiled)


def _boards(boards: Sequence[str | Board] | None) -> list[Board]:
    if not boards:
        return list(BOARDS.values())
    return [b if isinstance(b, Board) else get_board(b) for b in boards]
