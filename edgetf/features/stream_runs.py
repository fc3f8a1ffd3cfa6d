"""A stream of raw samples as the emitted library's ``<name>_push_samples`` sees it, in
Python: when the model runs, on which frames, at what stream time, with which scores; and
the recognizer (:class:`~edgetf.features.streaming.Recognizer`, the twin of
``edgetf_recognize.h``) replayed over those runs at any threshold.

The schedule is ``Push`` in ``firmware/edgetf/edgetf_impulse.cc``, step for step:

- frame ``f`` is the front end's output for the window starting at sample ``f * stride``;
  it is computed when the window's last sample arrives, when ``window + f * stride``
  samples have been pushed, from the front end's running state (no reset within a stream);
- the model first runs once the ring holds a whole clip of frames (``f = clip_frames - 1``)
  and then every ``run_every_frames`` frames, on the last ``clip_frames`` frames, oldest
  first, copied into its int8 input unchanged;
- the run's time is ``samples_pushed * 1000 // sample_rate`` ms (integer, as the C).

The front end runs in the TFLM interpreter (:func:`~edgetf.tflm.interpreter.run_tflm`
without resets) and the model in the TFLM interpreter too, so the scores are the board's.
A stream is one call: keep it under :data:`MAX_STREAM_FRAMES` frames (about 11 minutes at
a 20 ms stride); longer recordings are cut into streams that each start from a reset, as
``<name>_stream_reset()`` does on the board.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from edgetf.base.errors import DataError, ModelError
from edgetf.features.audio import AudioFrontEnd, frame_clips
from edgetf.features.streaming import Detection, Recognizer, StreamingConfig
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import run_tflm

#: Frames of one stream: bounds the TFLM child's input file (~1 KB per 30 ms window).
MAX_STREAM_FRAMES = 1 << 15


@dataclass(frozen=True)
class StreamRuns:
    """The model runs of one stream: their times (ms) and int8 scores."""

    times_ms: np.ndarray  # (runs,) int64
    scores: np.ndarray = field(repr=False)  # (runs, labels) int8
    duration_ms: float = 0.0


@dataclass(frozen=True)
class StreamModel:
    """What the recognizer needs from the model: its bytes, the frames it takes, its
    labels, and its output's quantization (the threshold is set in its int8 steps)."""

    data: bytes = field(repr=False)
    clip_frames: int
    labels: int
    input_shape: tuple[int, ...]
    output_scale: float
    output_zero_point: int

    def threshold_q(self, config: StreamingConfig, threshold: float | None = None) -> int:
        """The threshold in the output's int8 steps (``edgetf_library.h``'s value)."""
        if threshold is not None:
            config = replace(config, detection_threshold=threshold)
        return config.threshold_q(self.output_scale, self.output_zero_point)


def stream_model(model: bytes, front_end: AudioFrontEnd, source: str = "the model"
                 ) -> StreamModel:
    """Check that ``model`` takes the front end's int8 frames and gives one int8 score per
    label, as the emitted library requires (one line naming ``source`` otherwise)."""
    parsed = read_tflite(model, source=source)
    inputs, outputs = parsed.input_tensors(), parsed.output_tensors()
    channels = front_end.config.channels
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(f"{source}: streaming needs one input and one output, the model has"
                         f" {len(inputs)} and {len(outputs)}")
    elements = int(np.prod(inputs[0].shape))
    if inputs[0].dtype != "int8" or elements % channels or elements < channels:
        raise ModelError(f"{source}: takes {inputs[0].dtype} {list(inputs[0].shape)}, not the"
                         f" front end's {channels}-channel int8 frames; pass the model trained"
                         " with --features audio")
    if outputs[0].dtype != "int8" or not outputs[0].quantization:
        raise ModelError(f"{source}: streaming needs an int8 output (one score per label),"
                         f" the model's is {outputs[0].dtype}")
    q = outputs[0].quantization
    return StreamModel(model, elements // channels, int(np.prod(outputs[0].shape)),
                       tuple(int(d) for d in inputs[0].shape), float(q.scales[0]),
                       int(q.zero_points[0]))


def run_schedule(frames: int, clip_frames: int, run_every_frames: int) -> np.ndarray:
    """The frames after which the model runs, for a stream of ``frames`` frames."""
    return np.arange(clip_frames - 1, frames, max(1, run_every_frames), dtype=np.int64)


def stream_runs(samples: np.ndarray, front_end: AudioFrontEnd, model: StreamModel,
                config: StreamingConfig) -> StreamRuns:
    """Every model run of ``samples`` (int16) pushed as one stream from a reset library."""
    samples = np.asarray(samples)
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise DataError(f"a stream is one int16 array of samples, not {samples.dtype}"
                        f" {samples.shape}")
    c = front_end.config
    frames = c.frames(len(samples))
    if frames > MAX_STREAM_FRAMES:
        raise DataError(f"a stream of {frames} frames is longer than {MAX_STREAM_FRAMES};"
                        " cut it into shorter streams")
    duration = len(samples) * 1000 / c.sample_rate
    runs = run_schedule(frames, model.clip_frames, config.run_every_frames(c.stride_ms))
    if not len(runs):
        return StreamRuns(np.zeros(0, np.int64), np.zeros((0, model.labels), np.int8), duration)
    windows = np.ascontiguousarray(frame_clips(samples[None], c)[0][:, None, :])
    features = run_tflm(front_end.model, windows, reset_between=False,
                        timeout=600)[0].reshape(frames, c.channels)
    inputs = np.stack([features[f - model.clip_frames + 1:f + 1] for f in runs])
    inputs = inputs.reshape((len(runs), *model.input_shape))
    scores = np.asarray(run_tflm(model.data, inputs, reset_between=True, timeout=600)[0])
    times = (c.window_samples + runs * c.stride_samples) * 1000 // c.sample_rate
    return StreamRuns(times.astype(np.int64), scores.reshape(len(runs), model.labels)
                      .astype(np.int8), duration)


def recognize(runs: StreamRuns, model: StreamModel, config: StreamingConfig,
              stride_ms: float, threshold_q: int | None = None) -> list[Detection]:
    """The keywords the board's recognizer reports on ``runs`` (a fresh recognizer, as
    after a stream reset), at ``threshold_q`` (default: the config's threshold)."""
    recognizer = Recognizer(
        model.labels, config.history_size(stride_ms), config.average_window_ms,
        model.threshold_q(config) if threshold_q is None else threshold_q,
        config.suppression_ms, config.minimum_count)
    found = (recognizer.process(scores, int(t)) for t, scores in zip(runs.times_ms, runs.scores,
                                                                     strict=True))
    return [d for d in found if d is not None]
