"""Streaming keyword recognition: the ``[streaming]`` config table and the Python twin of
the recognizer the emitted library runs (``firmware/edgetf/edgetf_recognize.h``).

On the board, ``<name>_push_samples`` computes feature frames as samples arrive, keeps
the last clip's frames in a ring buffer and runs the model every ``run_every_ms``; each
run's int8 scores go to the recognizer, which decides, as TFLM's micro_speech example
does, whether a keyword was heard:

- it keeps the runs of the last ``average_window_ms`` (at most :func:`history_size` of
  them) and averages their scores per label;
- with fewer than ``minimum_count`` runs, or runs spanning less than a quarter of the
  window, it reports nothing;
- otherwise the label with the highest average is reported as a new keyword when that
  average is above ``detection_threshold`` and the label differs from the last one
  reported, or ``suppression_ms`` have passed since that report.

Scores stay integers (the model's int8 output): the threshold is quantized once with the
output's scale and zero point, and "average above threshold" is ``sum > threshold *
count``, so that this twin and the C code agree bit for bit. Config::

    [streaming]
    run_every_ms = 100
    average_window_ms = 1000
    detection_threshold = 0.8
    suppression_ms = 1500
    minimum_count = 3
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from edgetf.base.errors import ConfigError


@dataclass(frozen=True)
class StreamingConfig:
    """The recognizer's parameters (see the module docstring)."""

    run_every_ms: int = 100
    average_window_ms: int = 1000
    detection_threshold: float = 0.8
    suppression_ms: int = 1500
    minimum_count: int = 3

    def run_every_frames(self, stride_ms: float) -> int:
        """Model runs every this many new frames (at least one)."""
        return max(1, math.ceil(self.run_every_ms / stride_ms - 1e-9))

    def history_size(self, stride_ms: float) -> int:
        """Runs the recognizer keeps: those of one averaging window, plus one."""
        period = self.run_every_frames(stride_ms) * stride_ms
        return max(self.minimum_count, int(self.average_window_ms // period) + 1)

    def threshold_q(self, scale: float, zero_point: int) -> int:
        """The threshold in the output's int8 steps."""
        return int(round(self.detection_threshold / scale)) + zero_point


def streaming_config(table: dict | None = None, source: str = "the config") -> StreamingConfig:
    """A :class:`StreamingConfig` from a ``[streaming]`` table (None: the defaults)."""
    known = {f.name: f for f in fields(StreamingConfig)}
    values = {}
    for key, value in (table or {}).items():
        if key not in known:
            raise ConfigError(f"{source}: [streaming] has no key {key!r}; known keys:"
                              f" {', '.join(known)}")
        kind = type(known[key].default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                kind is int and not float(value).is_integer()):
            wanted = "an integer" if kind is int else "a number"
            raise ConfigError(f"{source}: [streaming] {key} = {value!r} should be {wanted}")
        values[key] = kind(value)
    config = replace(StreamingConfig(), **values)
    if config.run_every_ms <= 0 or config.average_window_ms <= 0 or config.suppression_ms < 0:
        raise ConfigError(f"{source}: [streaming] run_every_ms and average_window_ms must be"
                          " positive, suppression_ms at least 0")
    if not 0 < config.detection_threshold < 1:
        raise ConfigError(f"{source}: [streaming] detection_threshold ="
                          f" {config.detection_threshold:g} should lie between 0 and 1 (a score)")
    if not 1 <= config.minimum_count <= 64:
        raise ConfigError(f"{source}: [streaming] minimum_count = {config.minimum_count}"
                          " should be 1 to 64")
    return config


@dataclass
class Detection:
    label_index: int
    average_q: float
    time_ms: int


class Recognizer:
    """The Python twin of ``edgetf_recognize.h``'s ``Recognizer`` (same integer logic)."""

    def __init__(self, labels: int, history: int, average_window_ms: int, threshold_q: int,
                 suppression_ms: int, minimum_count: int):
        self.labels, self.history = labels, history
        self.window, self.threshold = average_window_ms, threshold_q
        self.suppression, self.minimum = suppression_ms, minimum_count
        self.runs: list[tuple[int, np.ndarray]] = []
        self.last_label, self.last_time = -1, 0

    def process(self, scores: np.ndarray, time_ms: int) -> Detection | None:
        """One model run's int8 ``scores`` at ``time_ms``: a new keyword, or None."""
        self.runs.append((int(time_ms), np.asarray(scores, np.int64)))
        if len(self.runs) > self.history:
            self.runs.pop(0)
        self.runs = [(t, s) for t, s in self.runs if t >= time_ms - self.window]
        count = len(self.runs)
        if count < self.minimum or time_ms - self.runs[0][0] < self.window // 4:
            return None
        sums = np.sum([s for _, s in self.runs], axis=0)
        best = int(np.argmax(sums))  # the first of equal sums, as the C loop
        if sums[best] <= self.threshold * count:
            return None
        if best == self.last_label and time_ms - self.last_time <= self.suppression:
            return None
        self.last_label, self.last_time = best, int(time_ms)
        return Detection(best, float(sums[best]) / count, int(time_ms))
