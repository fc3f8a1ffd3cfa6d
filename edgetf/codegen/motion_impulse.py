"""The motion impulse: a time-series front end and a model emitted as one library that
takes raw float samples (``<name>_classify_float``).

A library gets it when its model was trained from a time-series CSV: the run's
``report.json`` records the front end (``spectral`` with its config, or ``raw`` for
``--features none``), the sample rate, the window and the axes. The front end is a TFLite
graph run in its own TFLM interpreter and arena (as the audio front end's, see
:mod:`edgetf.codegen.impulse`), one window per Invoke; it keeps no state between windows.

- ``spectral``: :func:`~edgetf.features.spectral_graph.spectral_graph` ending with
  QUANTIZE at the model's input scale and zero point, so its int8 features are the model's
  input bytes (CUSTOM:SignalRfft in float32: TFLM's kernel, or edgetf's on the Nano);
- ``raw``: one QUANTIZE (:mod:`edgetf.features.raw_graph`).

The window is ``window x axes`` floats, interleaved as the CSV's rows (sample 0's axes,
then sample 1's, ...), the layout of an IMU's FIFO. Golden vectors start from raw
windows: the run's test windows (``samples.npz``'s ``windows``) or seeded generated
motion, through the graph and then the model (TFLM interpreter both).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from edgetf.base.errors import ConfigError, DataError, FirmwareError
from edgetf.features.raw_graph import raw_graph
from edgetf.features.spectral import spectral_front_end
from edgetf.targets.boards import Board
from edgetf.targets.firmware_contract import MAX_RAW_GOLDEN_BYTES, FrontEndLoad
from edgetf.targets.front_end import front_end_on_board
from edgetf.targets.prepared import PreparedModel, prepare_model
from edgetf.targets.verdict import Verdict
from edgetf.tflm.interpreter import run_tflm, tflm_available

#: ``report.json`` ``features.kind`` of a run trained from a time-series CSV.
MOTION_KINDS = ("spectral", "raw")


@dataclass(frozen=True)
class MotionImpulse:
    """A motion front end fitted to a model, with its raw-window golden vectors."""

    kind: str  # "spectral" or "raw"
    graph: PreparedModel = field(repr=False)
    sample_rate: float
    window_samples: int
    axes: int
    features: int
    labels: int
    windows: np.ndarray = field(repr=False)  # (n, window, axes) float32
    feature_values: np.ndarray = field(repr=False)  # (n, features) int8
    outputs: np.ndarray = field(repr=False)  # (n, labels) int8
    golden_source: str = ""
    summary: str = ""  # one line on what the front end computes
    motion = True

    @property
    def input_values(self) -> int:
        return self.window_samples * self.axes

    @property
    def golden_bytes(self) -> int:
        return self.windows.nbytes + self.feature_values.nbytes + self.outputs.nbytes

    def time_on(self, board: Board) -> None:
        """None: edgetf has no time estimate for a motion front end (the audio one's,
        :mod:`edgetf.targets.front_end_time`, is fitted to its own signal kernels)."""
        return None

    def on_board(self, board: Board, model_ops: tuple[str, ...] = ()
                 ) -> tuple[Verdict, FrontEndLoad]:
        """The graph's verdict on ``board`` and what the front end adds there: its arena
        (the float window is its input tensor, inside it), the scores, the graph, its
        kernels and the golden vectors."""
        return front_end_on_board(self.graph, board, window_samples=0, clip_frames=0,
                                  channels=self.features, labels=self.labels, history=0,
                                  golden_bytes=self.golden_bytes, model_ops=model_ops,
                                  what=f"the {self.kind} motion front end")


def check_motion_record(record: dict, path: str) -> dict:
    """``record`` (a run's ``features``) with its numbers checked: a DataError naming
    ``path`` where they are missing or wrong."""
    try:
        rate = float(record["sample_rate"])
        window, axes = int(record["window_samples"]), int(record["axes"])
        config = record.get("config") or {}
        ok = rate > 0 and window > 0 and axes > 0 and isinstance(config, dict)
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise DataError(f"{path}: its features record {record!r} lacks the sample rate,"
                        " window or axes of its time-series front end; run train-quantize"
                        " again")
    return record


def choose_motion(kind: str | None, record: dict) -> bool:
    """Whether ``emit-firmware --features kind`` embeds a run's motion front end
    (``record``): yes by default and for the run's own kind, no for ``none``; any other
    kind is a ConfigError."""
    trained = record["kind"]
    if kind is None or kind == "spectral" and trained == "spectral":
        return True
    if kind == "none":
        return False
    told = "--features none" if trained == "raw" else "--features spectral"
    raise ConfigError(f"--features {kind}: the run was trained on a time-series CSV with"
                      f" {told}; emit it with its own front end (leave --features out) or"
                      " with --features none (the model alone)")


def make_motion_impulse(prepared: PreparedModel, record: dict, *,
                        windows: np.ndarray | None = None, golden: int = 3) -> MotionImpulse:
    """Fit the run's motion front end (``record``) to ``prepared``'s model (one-line
    errors when they do not fit) and record raw-window golden vectors in TFLM."""
    model, source = prepared.model, prepared.source
    rate = float(record["sample_rate"])
    window, axes = int(record["window_samples"]), int(record["axes"])
    inputs, outputs = model.input_tensors(), model.output_tensors()
    if len(inputs) != 1 or len(outputs) != 1:
        raise FirmwareError(f"{source}: a motion front end needs one input and one output,"
                            f" the model has {len(inputs)} and {len(outputs)}")
    q = inputs[0].quantization
    if inputs[0].dtype != "int8" or q is None or len(q.scales) != 1:
        raise FirmwareError(f"{source}: a motion front end gives int8 values, but the"
                            f" model's input is {inputs[0].dtype} {list(inputs[0].shape)};"
                            " emit the run's int8 model.tflite")
    if outputs[0].dtype != "int8" or not outputs[0].quantization:
        raise FirmwareError(f"{source}: a motion front end needs an int8 output (one score"
                            f" per label), the model's is {outputs[0].dtype}")
    elements = int(np.prod(inputs[0].shape))
    if record["kind"] == "spectral":
        front_end = spectral_front_end(record.get("config") or None, sample_rate=rate,
                                       window=window, axes=axes, source="the run's report")
        try:
            front_end = front_end.for_model(prepared.data)
        except DataError as error:
            raise FirmwareError(f"{source}: {error}; emit the model the run trained") from None
        graph_bytes, features = front_end.model, front_end.layout.features
        c, layout = front_end.config, front_end.layout
        summary = (f"spectral: per axis RMS and {len(layout.bands)} band powers, "
                   f"{layout.fft_length}-point float FFT, {c.db_min:g} to {c.db_max:g} dB")
    else:
        features = window * axes
        if elements != features:
            raise FirmwareError(f"{source}: the model takes {elements} values, not the"
                                f" {window} x {axes} samples of the run's windows; emit"
                                " the model the run trained")
        graph_bytes = raw_graph(features, (float(q.scales[0]), int(q.zero_points[0])))
        summary = "raw: the samples, quantized to the model's int8 input"
    labels = int(np.prod(outputs[0].shape))
    graph = prepare_model(graph_bytes, f"the {record['kind']} motion front end", golden=0)
    windows, golden_source = _golden_windows(prepared, windows, window, axes, rate, golden)
    if len(windows) and tflm_available():
        shaped = windows if record["kind"] == "spectral" else windows.reshape(len(windows), -1)
        values = run_tflm(graph_bytes, shaped, reset_between=False)[0]
        values = np.asarray(values, np.int8).reshape(len(windows), features)
        scores = run_tflm(prepared.data, [values.reshape((len(windows), *inputs[0].shape))],
                          reset_between=True)[0]
        scores = np.asarray(scores, np.int8).reshape(len(windows), labels)
    else:
        windows = windows[:0]
        values = np.zeros((0, features), np.int8)
        scores = np.zeros((0, labels), np.int8)
    return MotionImpulse(record["kind"], graph, rate, window, axes, features, labels,
                         windows, values, scores, golden_source, summary)


def _golden_windows(prepared: PreparedModel, windows: np.ndarray | None, window: int,
                    axes: int, rate: float, count: int) -> tuple[np.ndarray, str]:
    """Up to ``count`` windows (at most :data:`MAX_RAW_GOLDEN_BYTES` of floats, at least
    one unless none were asked for): the run's test windows, or seeded generated motion
    (gravity on one axis, a few sines, noise; seeded from the model's hash)."""
    if not count:
        return np.zeros((0, window, axes), np.float32), ""
    count = min(count, max(1, MAX_RAW_GOLDEN_BYTES // (4 * window * axes)))
    if windows is not None and len(windows) and windows.shape[1:] == (window, axes):
        return np.asarray(windows[:count], np.float32), "the run's test windows (samples.npz)"
    seed = int.from_bytes(hashlib.sha256(prepared.data).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    t = np.arange(window)[:, None] / rate
    out = []
    for i in range(count):
        f = rng.uniform(0.5, rate / 4, (1, axes))
        x = 9.81 * (np.arange(axes) == i % axes) + rng.uniform(0.2, 4, (1, axes)) * np.sin(
            2 * np.pi * f * t + rng.uniform(0, 6, (1, axes))) + rng.normal(0, 0.2, (window, axes))
        out.append(x)
    return np.array(out, np.float32), f"seeded generated motion (seed {seed})"
