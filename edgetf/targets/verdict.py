"""One board's verdict on a prepared model: the one place edgetf decides whether a model
runs on a board, what it stores there and what that costs.

``emit-firmware`` refuses what the verdict refuses (unless ``--force``) and generates the
files of the verdict's stored model and arena; ``inspect`` renders verdicts; ``tune``
reads a verdict's figures. None of them decides anything of its own, so they cannot
disagree about a model and a board.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgetf.base.progress import Reporter
from edgetf.targets.board_arena import ArenaPlan, host_figure, plan_board_arena
from edgetf.targets.board_compatibility import (
    board_limitations,
    board_missing_kernels,
    board_warnings,
)
from edgetf.targets.board_compression import BoardModel, board_model
from edgetf.targets.boards import Board
from edgetf.targets.firmware_contract import FrontEndLoad, demo_ram, partition_plan
from edgetf.targets.footprint import Footprint, estimate_footprint
from edgetf.targets.latency import LatencyEstimate, decoded_bytes, estimate_latency
from edgetf.targets.prepared import PreparedModel
from edgetf.tflite.model import TfliteModel
from edgetf.tflm.interpreter import tflm_available


@dataclass(frozen=True)
class Verdict:
    """Whether ``prepared`` runs and fits on ``board``, and everything behind the answer."""

    board: Board
    prepared: PreparedModel
    mode: str
    """The ``--compress`` mode the stored model was chosen with (``"off"`` where TFLM
    could not measure the model)."""
    limitations: tuple[str, ...]
    """What the board's TFLM or kernels get wrong or reject (emit-firmware's refusal,
    unless ``--force``)."""
    kernel_warnings: tuple[str, ...]
    """Where the board's kernels were measured to differ from the golden vectors."""
    stored: BoardModel
    """The model the firmware stores (``mode``) and the arena it declares for it."""
    device_error: str
    """Why the stored model cannot be trusted (its outputs differ from the model's under
    TFLM); "" when they match or there was nothing to compare."""
    device_out: list | None
    """The stored model's outputs for the golden inputs (the golden vectors' outputs)."""
    golden_bytes: int
    footprint: Footprint
    latency: LatencyEstimate
    partition: dict | None
    """The app partition the project writes when the app outgrows the default one."""
    missing_kernels: tuple[str, ...] = ()
    """Ops the board's TFLM has no kernel for (also in ``limitations``): the generated
    resolver would not compile, so not even ``--force`` emits the model."""

    @property
    def arena(self) -> ArenaPlan:
        return self.stored.arena

    @property
    def problems(self) -> tuple[str, ...]:
        """Why emit-firmware refuses the model on this board, fit aside."""
        device = (self.device_error,) if self.device_error else ()
        return (*(p.description for p in self.prepared.problems), *self.limitations,
                *device)

    @property
    def ram_ok(self) -> bool:
        return self.footprint.ram_ok

    @property
    def flash_ok(self) -> bool:
        return self.footprint.flash_ok

    @property
    def fits(self) -> bool:
        """What emit-firmware accepts without ``--force``."""
        return not self.problems and self.ram_ok and self.flash_ok

    @property
    def fit_problems(self) -> tuple[str, ...]:
        """Flash and RAM over the board's budgets, one phrase each."""
        fp = self.footprint
        problems = []
        if not fp.flash_ok:
            problems.append(f"flash {fp.flash_bytes} of {fp.flash_budget} bytes "
                            f"(model {fp.model_bytes})")
        if not fp.ram_ok:
            problems.append(f"RAM {fp.ram_bytes} of {fp.ram_budget} bytes "
                            f"(arena {fp.arena_bytes})")
        return tuple(problems)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What a report shows beside the figures."""
        arena = self.arena
        warnings = list(self.kernel_warnings)
        if arena.on_heap:
            warnings.append(f"the arena goes on the {arena.place}: {arena.place_reason}")
        if arena.method != "planned":
            warnings.append(f"arena: host figure x{arena.margin:g} + {arena.margin_bytes} "
                            f"bytes, because {arena.fallback_reason}")
        if self.partition is not None:
            warnings.append(
                f"the app outgrows the default {self.board.default_app_partition_bytes} "
                "byte partition; emit-firmware writes a partitions.csv with one "
                f"{self.partition['app_size']} byte app partition")
        warnings.extend((*self.stored.notes, *self.stored.decisions))
        return tuple(warnings)

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
            "compression": self.stored.to_dict(),
        }


def board_verdict(prepared: PreparedModel, board: Board, compress: str = "auto", *,
                  reporter: Reporter | None = None,
                  front_end: FrontEndLoad | None = None) -> Verdict:
    """Judge ``prepared`` on ``board``, storing it as ``--compress`` ``compress`` would.

    The board's arena is planned from the model's host figure; with ``"auto"`` the
    weights that pay are stored as look-up tables and taken back while the model would
    not fit, each candidate measured at most once (:meth:`PreparedModel.run_device`);
    the stored model's outputs are compared with the model's under TFLM. ``reporter``
    shows the compression as a stage; nothing is printed or warned here. ``front_end``:
    the RAM and flash a front end adds to the library (its arena, ring buffer, graph),
    counted in the footprint.
    """
    reporter = reporter or Reporter(quiet=True)
    model = prepared.model
    kind = prepared.compatibility.quantization
    measurement = prepared.measurement
    host = host_figure(model, measurement.bytes, measurement.method, measurement.note)
    plain_arena = plan_board_arena(model, board, *host)
    golden = prepared.golden_bytes + (front_end.flash_bytes if front_end else 0)
    extra_ram = demo_ram(model) + (front_end.ram_bytes if front_end else 0)

    def footprint_of(candidate: TfliteModel, arena: ArenaPlan) -> Footprint:
        return estimate_footprint(candidate, board, arena.bytes, extra_flash=golden,
                                  extra_ram=extra_ram, arena_in_psram=arena.place == "psram")

    def fits(candidate: TfliteModel, arena: ArenaPlan) -> bool:
        footprint = footprint_of(candidate, arena)
        return footprint.flash_ok and footprint.ram_ok

    def flash_fits(candidate: TfliteModel, arena: ArenaPlan) -> bool:
        return footprint_of(candidate, arena).flash_ok

    # Where TFLM could not measure the model (it cannot run it, or was not asked to),
    # nothing is compressed: the lossless check needs TFLM. Without tflite-micro at all,
    # the compression step says so itself.
    measured = measurement.method == "measured" or not tflm_available()
    mode = compress if prepared.runnable and not prepared.measure_error and measured \
        else "off"
    device_error, device_out = "", prepared.golden_out
    if mode == "off":
        stored = board_model(model, prepared.data, board, "off", plain_arena=plain_arena)
    else:
        with reporter.stage("compress the weights for the device (LUT) and check them "
                            "with TFLM"):
            stored = board_model(model, prepared.data, board, mode, plain_arena=plain_arena,
                                 fits=fits, flash_fits=flash_fits,
                                 host=lambda data, parsed: prepared.run_device(data, parsed)[0],
                                 read=prepared.read_device)
            if stored.compressed and tflm_available():
                device_out = prepared.run_device(stored.device.data)[1]
                if prepared.golden_out is not None and not _equal(prepared.golden_out,
                                                                  device_out):
                    device_error = (
                        "the compressed model's outputs differ from the model's under TFLM, "
                        "which LUT compression must never do")
    footprint = footprint_of(stored.model, stored.arena)
    front_end_problems = front_end.problems if front_end else ()
    limitations = (*board_limitations(model, board), *front_end_problems)
    problems = (*(p.description for p in prepared.problems), *limitations)
    if problems:
        latency = LatencyEstimate(board.id, None, None, None, f"no estimate: {problems[0]}")
    else:
        latency = estimate_latency(prepared.cost.macs, board, kind,
                                   stored.arena.place == "psram", decoded_bytes(stored.model))
    return Verdict(board, prepared, mode, limitations,
                   tuple(board_warnings(model, kind, board)), stored, device_error,
                   device_out, golden, footprint, latency,
                   partition_plan(board, footprint.flash_bytes),
                   (*board_missing_kernels(model, board), *front_end_problems))


def device_figures(verdict: Verdict) -> dict:
    """The per-board figures a command shows (train-quantize's summary and report.json):
    those emit-firmware declares and checks for the same model, board and ``--compress``."""
    footprint = verdict.footprint
    return {"arena_bytes": verdict.arena.bytes, "arena_needed_bytes": verdict.arena.needed_bytes,
            "arena_method": verdict.arena.method, "arena_place": verdict.arena.place,
            "stored_model_bytes": footprint.model_bytes,
            "flash_bytes": footprint.flash_bytes, "flash_budget": footprint.flash_budget,
            "ram_bytes": footprint.ram_bytes, "ram_budget": footprint.ram_budget,
            "fits": verdict.fits,
            "why_not": (verdict.problems or verdict.fit_problems or ("",))[0]}


def _equal(expected, actual) -> bool:
    return all(np.array_equal(a, b) for one, other in zip(expected, actual, strict=True)
               for a, b in zip(one, other, strict=True))
