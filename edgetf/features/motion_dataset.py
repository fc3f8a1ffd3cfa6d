"""A time-series CSV (:mod:`edgetf.data.motion_csv`) as a training data set, its windows'
features computed by a front end:

- ``spectral``: the ``spectral`` front end's graph in the TFLM interpreter
  (:mod:`edgetf.features.spectral`); ``x`` holds its float values before quantization
  (-1 to 127/128), shaped ``(axes * (1 + bands),)``; after conversion,
  ``front_end.for_model(int8_model)`` quantizes them as the model's input;
- ``none``: the window's samples themselves, float32, interleaved as in the file
  (``(window * axes,)``: sample 0's axes, then sample 1's, ...).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgetf.base.errors import ConfigError
from edgetf.data.datasets import Dataset
from edgetf.data.motion_csv import MotionWindows, read_motion_csv, split_by_recording
from edgetf.features.spectral import (
    SpectralFrontEnd,
    spectral_features,
    spectral_front_end,
    spectral_values,
)

#: The front ends a time-series CSV can go through.
MOTION_FRONT_ENDS = ("spectral", "none")


@dataclass(frozen=True)
class MotionDataset(Dataset):
    """A :class:`Dataset` that also keeps what the board needs to compute its inputs from
    raw samples: the test windows (``(n, window, axes)`` float32, the firmware's
    raw-sample golden vectors) and the front end's record."""

    test_windows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), np.float32))
    record: dict = field(default_factory=dict)

    def features_record(self) -> dict:
        """What a run records (``report.json``'s ``features``) so that ``emit-firmware``
        embeds the same front end: ``kind`` ``spectral`` (its config) or ``raw``
        (``--features none``: the samples themselves), the sample rate, window and axes."""
        return self.record


def motion_record(found: MotionWindows, front_end: SpectralFrontEnd | None, *,
                  sample_rate: float) -> dict:
    """The ``features`` record of a run trained from ``found``'s windows."""
    record = {"kind": "raw" if front_end is None else "spectral",
              "sample_rate": float(sample_rate), "window_samples": int(found.windows.shape[1]),
              "axes": int(found.windows.shape[2]), "axis_names": list(found.axes)}
    if front_end is not None:  # as report.json holds it (lists, not tuples)
        record["config"] = {key: list(value) if isinstance(value, tuple) else value
                            for key, value in asdict(front_end.config).items()}
    return record


def motion_front_end(found: MotionWindows, kind: str, table: dict | None = None, *,
                     sample_rate: float, source: str = "the config"
                     ) -> SpectralFrontEnd | None:
    """The front end ``kind`` for ``found``'s windows (None for ``none``)."""
    if kind not in MOTION_FRONT_ENDS:
        raise ConfigError(f"--features {kind} does not take a time-series CSV; use"
                          f" {' or '.join(MOTION_FRONT_ENDS)}")
    if kind == "none":
        return None
    return spectral_front_end(table, sample_rate=sample_rate, window=found.windows.shape[1],
                              axes=found.windows.shape[2], source=source,
                              axis_names=found.axes)


def load_motion_dataset(path: Path | str, kind: str = "spectral", table: dict | None = None,
                        *, sample_rate: float, window_ms: float, stride_ms: float | None = None,
                        label_column: str | None = None, recording_column: str | None = None,
                        seed: int = 42, source: str = "the config"
                        ) -> tuple[Dataset, SpectralFrontEnd | None]:
    """The windows of ``path`` through front end ``kind`` (its ``[features.<kind>]``
    ``table``), split by recording; and the front end. ``stride_ms`` defaults to half
    the window."""
    found = read_motion_csv(path, sample_rate=sample_rate, window_ms=window_ms,
                            stride_ms=window_ms / 2 if stride_ms is None else stride_ms,
                            label_column=label_column, recording_column=recording_column)
    front_end = motion_front_end(found, kind, table, sample_rate=sample_rate, source=source)
    split = split_by_recording(path, found.y, found.recordings, seed)
    if front_end is None:
        x = found.windows.reshape(len(found.windows), -1)
    else:
        x = spectral_values(found.windows, front_end)
    parts = [(x[split == name], found.y[split == name]) for name in ("train", "validation",
                                                                       "test")]
    return MotionDataset(str(path), *parts[0], *parts[1], *parts[2], found.labels,
                         test_windows=found.windows[split == "test"].astype(np.float32),
                         record=motion_record(found, front_end, sample_rate=sample_rate)
                         ), front_end


def csv_features(path: Path | str, document: dict | None = None, *, sample_rate: float,
                 window_ms: float, stride_ms: float | None = None,
                 label_column: str | None = None, recording_column: str | None = None,
                 source: str = "the config") -> tuple:
    """The ``spectral`` features of every window of a time-series CSV (``edgetf
    features``; the label column is optional here): ``(windows, features)`` int8, the
    front end, and the windows read."""
    found = read_motion_csv(path, sample_rate=sample_rate, window_ms=window_ms,
                            stride_ms=window_ms / 2 if stride_ms is None else stride_ms,
                            label_column=label_column, recording_column=recording_column,
                            labelled=False)
    tables = (document or {}).get("features", {})
    if not isinstance(tables, dict) or not isinstance(tables.get("spectral", {}), dict):
        raise ConfigError(f"{source}: [features] should hold a [features.spectral] table")
    front_end = motion_front_end(found, "spectral", tables.get("spectral"),
                                 sample_rate=sample_rate, source=source)
    return spectral_features(found.windows, front_end), front_end, found


def describe_csv(path: Path | str, features, front_end: SpectralFrontEnd) -> str:
    """One line on what a CSV's spectral features are."""
    layout, c = front_end.layout, front_end.config
    return (f"{path}: {features.shape[0]} windows x {features.shape[1]} features, int8"
            f" (spectral front end: {layout.window} samples at {layout.sample_rate:g} Hz,"
            f" {layout.axes} axes, {layout.fft_length}-point FFT, per axis RMS and"
            f" {len(layout.bands)} bands, {c.db_min:g} to {c.db_max:g} dB)")
