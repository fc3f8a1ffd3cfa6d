"""What a ``train-quantize`` run produced, and the measurements its report holds: shared by
the Keras pipeline (:mod:`edgetf.train.train_quantize`) and PyTorch programs
(:mod:`edgetf.train.torch_run`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgetf.base.progress import Reporter
from edgetf.data.datasets import Dataset
from edgetf.features.streaming import StreamingConfig
from edgetf.targets.firmware_contract import DEFAULT_COUNT
from edgetf.targets.front_end import front_end_on_board, raw_golden_bytes, raw_golden_count
from edgetf.targets.prepared import PreparedModel, prepare_model
from edgetf.targets.verdict import board_verdict, device_figures
from edgetf.tflite.model import TfliteModel
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
    front_end: bytes | None = None
    """The feature front end's graph (``front_end.tflite``), when the data was raw."""
    prepared: PreparedModel | None = field(default=None, repr=False)
    """``int8_model`` read and measured (once): later steps judge boards from it."""


def measure(int8_model: bytes, parsed: TfliteModel | None, float_model: bytes, data: Dataset,
             layer_names: list[str], reporter: Reporter, boards
             ) -> tuple[dict, PreparedModel]:
    """Everything the report says about the int8 model, measured on the model itself; each
    board's figures are its verdict's, the very numbers emit-firmware and inspect show
    (with the front end of a model trained from audio counted, as emit-firmware --from
    embeds it). ``parsed``: ``int8_model`` already read (None: read here), never read
    again."""
    prepared = prepare_model(int8_model, "model.tflite", parsed=parsed)  # measured once
    parsed = prepared.model
    comparison = compare_interpreters(int8_model, data.x_test, data.y_test, parsed=parsed)
    if comparison.tflm_accuracy is None:
        reporter.warn("tflite-micro is not installed on this platform: TFLM accuracy skipped "
                      "and the arena estimated from the flatbuffer")
    arena = prepared.measurement
    layers = weight_stats(parsed, layer_names)
    loads = front_end_loads(data, prepared, boards)  # a model trained from audio
    return {
        "accuracy": comparison.to_dict(),
        "layers": [stats.to_dict() for stats in layers],
        "sizes": sizes(int8_model, parsed, float_model, layers),
        "ops": list(parsed.op_names()),
        "arena": {"bytes": arena.bytes, "method": arena.method, "note": arena.note},
        "device": {board.id: device_figures(board_verdict(
            prepared, board, front_end=loads.get(board.id))) for board in boards},
    }, prepared


def front_end_loads(data: Dataset, prepared, boards) -> dict:
    """For a model trained from audio or a time-series CSV: what its front end adds on
    each board, as ``emit-firmware --from`` embeds it (default ``--golden`` and
    ``[streaming]``)."""
    record = data.features_record() if hasattr(data, "test_windows") else None
    if record is not None:
        return _motion_loads(data, record, prepared, boards)
    front_end = getattr(data, "front_end", None)
    if front_end is None:
        return {}
    c = front_end.config
    clip_samples = int(data.clip_ms * c.sample_rate / 1000)
    frames, labels = c.frames(clip_samples), data.num_classes
    golden = raw_golden_bytes(raw_golden_count(DEFAULT_COUNT, clip_samples), clip_samples,
                              frames, c.channels, labels)
    graph = prepare_model(front_end.model, "the audio front end", golden=0)
    return {board.id: front_end_on_board(
        graph, board, window_samples=c.window_samples, clip_frames=frames,
        channels=c.channels, labels=labels, history=StreamingConfig().history_size(c.stride_ms),
        golden_bytes=golden, model_ops=tuple(prepared.model.op_names()))[1] for board in boards}


def _motion_loads(data, record: dict, prepared, boards) -> dict:
    """The motion front end's load per board (edgetf.codegen.motion_impulse builds the
    same graph for emit-firmware: the spectral graph ending at the model's input
    quantization, or one QUANTIZE), with the default count of raw golden windows."""
    from edgetf.features.raw_graph import raw_graph
    from edgetf.features.spectral import spectral_front_end
    from edgetf.targets.firmware_contract import MAX_RAW_GOLDEN_BYTES

    window, axes = record["window_samples"], record["axes"]
    (tensor,) = prepared.model.input_tensors()
    if record["kind"] == "spectral":
        graph = spectral_front_end(record.get("config"), sample_rate=record["sample_rate"],
                                   window=window, axes=axes).for_model(prepared.data).model
    else:
        q = tensor.quantization
        graph = raw_graph(window * axes, (float(q.scales[0]), int(q.zero_points[0])))
    features = int(np.prod(tensor.shape))
    count = min(DEFAULT_COUNT, len(data.test_windows),
                max(1, MAX_RAW_GOLDEN_BYTES // (4 * window * axes)))
    golden = count * (4 * window * axes + features + data.num_classes)
    prepared_graph = prepare_model(graph, f"the {record['kind']} motion front end", golden=0)
    return {board.id: front_end_on_board(
        prepared_graph, board, window_samples=0, clip_frames=0, channels=features,
        labels=data.num_classes, history=0, golden_bytes=golden,
        model_ops=tuple(prepared.model.op_names()),
        what=f"the {record['kind']} motion front end")[1] for board in boards}
