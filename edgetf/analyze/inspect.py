"""``inspect``: what a ``.tflite`` is, what it costs, and whether it fits each board.

Describes any model the flatbuffer reader can decode, including the ones emit-firmware
refuses (hybrid, ops TFLM lacks) and the ones LiteRT's stricter checks reject: a
description is never refused, only a file that is not a TFLite model. The board
verdicts use emit-firmware's own pieces (:func:`edgetf.targets.boards.plan_arena` on the same
measured or estimated arena, :func:`edgetf.targets.footprint.estimate_footprint` with the same
golden vectors and demo buffers that ``build_project`` adds by default), so the two
commands never disagree about whether a model fits.

Never imports TensorFlow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from pathlib import Path

from edgetf.base.errors import ConfigError, InterpreterError
from edgetf.base.progress import Reporter
from edgetf.codegen.emit_firmware import _demo_ram, no_inputs_or_outputs
from edgetf.codegen.golden import DEFAULT_COUNT, golden_count
from edgetf.codegen.project import EDGETF_TYPES, partition_plan
from edgetf.targets.board_arena import ArenaPlan, host_figure, plan_board_arena
from edgetf.targets.board_compatibility import board_limitations, board_warnings
from edgetf.targets.board_compression import MODES as COMPRESS_MODES
from edgetf.targets.board_compression import BoardModel, board_model
from edgetf.targets.boards import BOARDS, Board, get_board
from edgetf.targets.footprint import Footprint, code_bytes, estimate_footprint
from edgetf.targets.latency import LatencyEstimate, estimate_latency
from edgetf.tflite.compatibility import QUANTIZATION_KINDS, Compatibility, check_compatibility
from edgetf.tflite.model import Tensor, TfliteModel
from edgetf.tflite.model_files import read_model_file
from edgetf.tflite.op_costs import ModelCost, model_cost
from edgetf.tflite.ops import tflm_method
from edgetf.tflite.reader import read_tflite
from edgetf.tflite.types import NUMPY_DTYPES
from edgetf.tflm.compression import TensorChoice, lut_choices
from edgetf.tflm.estimate import estimate_arena
from edgetf.tflm.interpreter import ArenaMeasurement, measure_arena, tflm_available

#: Quantization kinds TFLM has no kernels for at all.
_NOT_RUNNABLE = frozenset({"hybrid", "uint8"})
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


@dataclass(frozen=True)
class BoardVerdict:
    """Whether the model fits one board, by emit-firmware's own figures."""

    board: Board
    arena: ArenaPlan
    footprint: Footprint
    latency: LatencyEstimate
    problems: tuple[str, ...]
    """Why emit-firmware would refuse the model on this board, fit aside (TFLM cannot
    run it; the board's kernels refuse an op)."""
    warnings: tuple[str, ...]
    stored: BoardModel | None = None
    """The model as emit-firmware would store it on this board (``--compress``); the
    arena and footprint above are for it."""

    @property
    def ram_ok(self) -> bool:
        return self.footprint.ram_ok

    @property
    def flash_ok(self) -> bool:
        return self.footprint.flash_ok

    @property
    def fits(self) -> bool:
        """What emit-firmware would accept without ``--force``."""
        return not self.problems and self.ram_ok and self.flash_ok

    def to_dict(self) -> dict:
        fp = self.footprint
        return {
            "name": self.board.name, "kernels": self.board.kernels, "fits": self.fits,
            "ram_ok": fp.ram_ok, "flash_ok": fp.flash_ok,
            "ram_bytes": fp.ram_bytes, "ram_budget": fp.ram_budget,
            "ram_headroom": fp.ram_headroom,
            "flash_bytes": fp.flash_bytes, "flash_budget": fp.flash_budget,
            "flash_headroom": fp.flash_headroom,
            "arena_bytes": self.arena.bytes, "arena_on_heap": self.arena.on_heap,
            "arena_place": self.arena.place, "arena_needed_bytes": self.arena.needed_bytes,
            "arena_method": self.arena.method, "arena_table": self.arena.table,
            "arena_versions": self.board.tflm_versions,
            "arena_basis": self.arena.basis, "footprint": fp.to_dict(),
            "latency_ms": self.latency.latency_ms, "latency": self.latency.to_dict(),
            "problems": list(self.problems), "warnings": list(self.warnings),
            "stored_model_bytes": fp.model_bytes,
            "compression": self.stored.to_dict() if self.stored else None,
        }


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
            "boards": {board_id: v.to_dict() for board_id, v in self.boards.items()},
            "warnings": list(self.warnings),
            "lut_tensors": [t.to_dict() for t in self.lut],
        }


def inspect_file(path: Path, *, boards: Sequence[str | Board] | None = None,
                 measure: bool = True, compress: str = "auto",
                 reporter: Reporter | None = None) -> Inspection:
    """:func:`inspect_model` on the file at ``path``; a missing or unreadable file is a
    one-line :class:`~edgetf.base.errors.ModelError`."""
    chosen = _boards(boards)  # an unknown board fails before the file is read
    data = read_model_file(Path(path), "MODEL")
    return inspect_model(data, str(path), boards=chosen, measure=measure, compress=compress,
                         reporter=reporter)


def inspect_model(data: bytes, source: str = "model", *, measure: bool = True,
                  boards: Sequence[str | Board] | None = None, compress: str = "auto",
                  reporter: Reporter | None = None) -> Inspection:
    """Describe the ``.tflite`` in ``data``, and judge it against ``boards``: ids from
    :data:`~edgetf.targets.boards.BOARDS` or :class:`~edgetf.targets.boards.Board` objects (a
    board with budgets of its own); all of edgetf's boards by default.

    ``measure``: measure the arena with the TFLM interpreter when tflite-micro is here
    and can run the model (as emit-firmware does); otherwise, or with ``measure=False``,
    the arena is estimated from the flatbuffer. Either way the result says which.
    ``compress``: judge each board by the model emit-firmware would store with that
    ``--compress`` (``"auto"``: LUT weights where they save flash and still fit).
    """
    reporter = reporter or Reporter(quiet=True)
    chosen = _boards(boards)
    model = read_tflite(data, source=source)  # a corrupt file stops here, as one line
    compatibility = check_compatibility(model)
    problems = _problems(model, compatibility)
    warnings: list[str] = []
    measurement = _arena(model, data, problems, measure, warnings, reporter)
    golden = _golden_bytes(model) if not problems else 0
    cost = model_cost(model)
    if compress not in COMPRESS_MODES:
        raise ConfigError(f"--compress {compress!r} is not one of {', '.join(COMPRESS_MODES)}")
    mode = compress if not problems and measurement.method == "measured" else "off"
    with reporter.stage("plan the device model (LUT weights) for each board"):
        verdicts = {board.id: _verdict(model, data, compatibility, problems, cost,
                                       measurement, golden, board, mode)
                    for board in chosen}
    for message in warnings:
        reporter.warn(message)
    return Inspection(
        source=source, model=model, sha256=hashlib.sha256(data).hexdigest(),
        compatibility=compatibility, problems=tuple(problems),
        inputs=tuple(TensorInfo.of(t) for t in model.input_tensors()),
        outputs=tuple(TensorInfo.of(t) for t in model.output_tensors()),
        cost=cost, measurement=measurement, golden_bytes=golden, boards=verdicts,
        warnings=tuple(warnings), lut=tuple(lut_choices(model)) if not problems else ())


def _boards(boards: Sequence[str | Board] | None) -> list[Board]:
    if not boards:
        return list(BOARDS.values())
    return [b if isinstance(b, Board) else get_board(b) for b in boards]


def _problems(model: TfliteModel, compatibility: Compatibility) -> list[str]:
    """What makes emit-firmware refuse the model on every board (its ``_check_runnable``,
    as descriptions rather than errors)."""
    problems = []
    if compatibility.unsupported_ops:
        problems.append(f"TFLM has no kernel for {', '.join(compatibility.unsupported_ops)}")
    kind = compatibility.quantization
    if kind in _NOT_RUNNABLE:
        problems.append(QUANTIZATION_KINDS[kind])
    if not model.input_tensors() or not model.output_tensors():
        problems.append(no_inputs_or_outputs(model))
    for tensor in (*model.input_tensors(), *model.output_tensors()):
        if tensor.dtype not in EDGETF_TYPES:
            problems.append(f"tensor '{tensor.name}' is {tensor.dtype}, which the generated "
                            "library cannot pass in or out")
    return problems


def _arena(model: TfliteModel, data: bytes, problems: list[str], measure: bool,
           warnings: list[str], reporter: Reporter) -> ArenaMeasurement:
    """emit-firmware's measurement where TFLM can run the model, else the estimate."""
    why = ("not measured (measure=False)" if not measure else
           f"TFLM cannot run the model ({problems[0]})" if problems else "")
    if not why and not tflm_available():
        return measure_arena(data)  # its own estimate, saying that tflite-micro is missing
    if not why:
        try:
            with reporter.stage("measure the arena with TFLM"):
                return measure_arena(data)
        except InterpreterError as error:
            why = f"the TFLM interpreter failed on the model: {error}"
            warnings.append(f"{why}; the arena is estimated from the flatbuffer")
    return ArenaMeasurement(
        estimate_arena(model), "estimated",
        f"Estimated from the flatbuffer (tensor lifetimes packed greedily plus TFLM's "
        f"per-tensor and per-op structures): {why}; check arena_used_bytes() on the board.")


def _golden_bytes(model: TfliteModel) -> int:
    """Flash the default golden vectors take in emit-firmware's project: DEFAULT_COUNT
    of them (capped) when tflite-micro is here to compute them, none otherwise."""
    if not tflm_available():
        return 0
    tensors = (*model.input_tensors(), *model.output_tensors())
    per_vector = sum(prod(max(d, 1) for d in t.shape) * NUMPY_DTYPES[t.dtype].itemsize
                     for t in tensors)
    return golden_count(model, DEFAULT_COUNT) * per_vector


def _verdict(model: TfliteModel, data: bytes, compatibility: Compatibility,
             problems: list[str], cost: ModelCost, measurement: ArenaMeasurement, golden: int,
             board: Board, compress: str) -> BoardVerdict:
    host = host_figure(model, measurement.bytes, measurement.method, measurement.note)

    def footprint_of(candidate: TfliteModel, arena: ArenaPlan) -> Footprint:
        return estimate_footprint(candidate, board, arena.bytes, extra_flash=golden,
                                  extra_ram=_demo_ram(model),
                                  arena_in_psram=arena.place == "psram")

    stored = board_model(
        model, data, board, compress, plain_arena=plan_board_arena(model, board, *host),
        fits=lambda candidate, arena: footprint_of(candidate, arena).flash_ok
        and footprint_of(candidate, arena).ram_ok)
    arena = stored.arena
    footprint = footprint_of(stored.model, arena)
    kind = compatibility.quantization
    board_problems = [*problems, *board_limitations(model, board)]
    warnings = board_warnings(model, kind, board)
    if arena.on_heap:
        warnings.append(f"the arena goes on the {arena.place}: {arena.place_reason}")
    if arena.method != "planned":
        warnings.append(f"arena: host figure x{arena.margin:g} + {arena.margin_bytes} bytes, "
                        f"because {arena.fallback_reason}")
    plan = partition_plan(board, footprint.flash_bytes)
    if plan is not None:
        warnings.append(f"the app outgrows the default {board.default_app_partition_bytes} "
                        "byte partition; emit-firmware writes a partitions.csv with one "
                        f"{plan['app_size']} byte app partition")
    if board_problems:
        latency = LatencyEstimate(board.id, None, None, None,
                                  f"no estimate: {board_problems[0]}")
    else:
        latency = estimate_latency(cost.macs, board, kind, arena.place == "psram")
    warnings.extend((*stored.notes, *stored.decisions))
    return BoardVerdict(board, arena, footprint, latency, tuple(board_problems),
                        tuple(warnings), stored)

