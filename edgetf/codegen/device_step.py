"""emit-firmware's compression step: the model array the board stores, proven lossless.

The board's choice of tensors comes from :mod:`edgetf.targets.board_compression`; this
step runs the compressed model under the TFLM interpreter on the golden inputs and
refuses to go on unless its outputs equal the uncompressed model's bit for bit, so the
golden vectors the firmware checks are those of the model it stores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgetf.base.errors import FirmwareError, InterpreterError
from edgetf.base.progress import Reporter
from edgetf.targets.board_arena import ArenaPlan
from edgetf.targets.board_compression import BoardModel, FitCheck, board_model
from edgetf.targets.boards import Board
from edgetf.tflite.model import TfliteModel
from edgetf.tflm.interpreter import ArenaMeasurement, measure_arena_and_run, tflm_available


@dataclass(frozen=True)
class DeviceStep:
    """The stored model, its TFLM measurement and the golden outputs it gives."""

    board_model: BoardModel
    measurement: ArenaMeasurement | None
    golden_out: list | None


def device_step(model: TfliteModel, model_bytes: bytes, board: Board, mode: str, *,
                plain_arena: ArenaPlan, golden_in, golden_out, fits: FitCheck,
                source: str, reporter: Reporter) -> DeviceStep:
    """Compress for ``board`` (``mode`` ``"auto"`` or ``"off"``) and check the result."""
    if mode == "off":
        return DeviceStep(board_model(model, model_bytes, board, "off",
                                      plain_arena=plain_arena), None, golden_out)
    with reporter.stage("compress the weights for the device (LUT) and check them with TFLM"):
        chosen = board_model(model, model_bytes, board, mode, plain_arena=plain_arena,
                             fits=fits)
        measurement, device_out = None, golden_out
        if tflm_available():
            try:
                measurement, device_out = measure_arena_and_run(chosen.device.data, golden_in)
            except InterpreterError as error:
                raise FirmwareError(f"{source}: the compressed model fails under TFLM "
                                    f"({error}); pass --compress off") from None
            if golden_out is not None and not _equal(golden_out, device_out):
                raise FirmwareError(
                    f"{source}: the compressed model's outputs differ from the model's under "
                    "TFLM, which LUT compression must never do; pass --compress off and "
                    "report the model to edgetf")
    for note in chosen.notes:
        reporter.warn(f"{source}: {note}")
    for decision in chosen.decisions:
        reporter.info(decision)
    _report(chosen, reporter)
    return DeviceStep(chosen, measurement, device_out)


def _equal(expected, actual) -> bool:
    return all(np.array_equal(a, b) for one, other in zip(expected, actual, strict=True)
               for a, b in zip(one, other, strict=True))


def _report(chosen: BoardModel, reporter: Reporter) -> None:
    device = chosen.device
    tensors = device.compressed_tensors
    if tensors:
        widths = sorted({t.bits for t in tensors})
        reporter.info(
            f"compressed {len(tensors)} weight tensor(s) to {'/'.join(map(str, widths))}-bit "
            f"look-up tables: model {device.original_bytes:,} -> {len(device.data):,} bytes "
            f"({device.saved_bytes:,} saved), arena {chosen.plain_arena.bytes:,} -> "
            f"{chosen.arena.bytes:,} bytes ({chosen.arena_added:+,})")
    elif device.stripped:
        reporter.info(f"no weight tensor stored as a look-up table; names and metadata TFLM "
                      f"never reads removed: model {device.original_bytes:,} -> "
                      f"{len(device.data):,} bytes")
    for tensor in tensors:
        reporter.detail(f"  {tensor.name or f'tensor {tensor.tensor}'}: {tensor.bits}-bit, "
                        f"{tensor.bytes_before:,} -> {tensor.bytes_after:,} bytes")
