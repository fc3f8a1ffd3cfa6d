"""What a ``train-quantize`` run produced, and the measurements its report holds: shared by
the Keras pipeline (:mod:`edgetf.train.train_quantize`) and PyTorch programs
(:mod:`edgetf.train.torch_run`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edgetf.base.progress import Reporter
from edgetf.data.datasets import Dataset
from edgetf.targets.prepared import prepare_model
from edgetf.targets.verdict import board_verdict, device_figures
from edgetf.tflm.agreement import compare_interpreters
from edgetf.train.report import sizes
from edgetf.train.weight_stats import weight_stats

#: Test samples kept in ``samples.npz`` for the firmware's golden vectors.
SAMPLE_COUNT = 8


@dataclass
class TrainQuantizeResult:
    """What a run produced; ``report`` is exactly what ``report.json`` holds."""

    int8_model: bytes
    float_model: bytes
    keras_model: object
    labels: tuple[str, ...]
    report: dict
    out: Path | None = None
    timings: dict = field(default_factory=dict)
    samples: dict = field(default_factory=dict)
    """A few labelled test samples (``x`` float32, ``y``), written as ``samples.npz``:
    ``emit-firmware --from`` turns them into the firmware's golden vectors."""


def measure(int8_model: bytes, float_model: bytes, data: Dataset, layer_names: list[str],
            reporter: Reporter, boards) -> dict:
    """Everything the report says about the int8 model, measured on the model itself; each
    board's figures are its verdict's, the very numbers emit-firmware and inspect show."""
    prepared = prepare_model(int8_model, "model.tflite")  # parsed and measured once
    parsed = prepared.model
    comparison = compare_interpreters(int8_model, data.x_test, data.y_test)
    if comparison.tflm_accuracy is None:
        reporter.warn("tflite-micro is not installed on this platform: TFLM accuracy skipped "
                      "and the arena estimated from the flatbuffer")
    arena = prepared.measurement
    layers = weight_stats(parsed, layer_names)
    return {
        "accuracy": comparison.to_dict(),
        "layers": [stats.to_dict() for stats in layers],
        "sizes": sizes(int8_model, float_model, layers),
        "ops": list(parsed.op_names()),
        "arena": {"bytes": arena.bytes, "method": arena.method, "note": arena.note},
        "device": {board.id: device_figures(board_verdict(prepared, board))
                   for board in boards},
    }
