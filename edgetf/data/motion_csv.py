"""A CSV of sensor time series (motion: accelerometer, gyroscope, ...), cut into labelled
windows.

::

    timestamp,recording,accX,accY,accZ,label
    0,walk-01,0.12,9.71,0.40,walk
    20,walk-01,0.15,9.69,0.38,walk
    ...

One row per sample, at one sample rate for the whole file. Columns:

- the label (``label``, or ``--label-column``);
- optional: a recording id (``recording``, or ``--recording-column``) and a timestamp
  (``timestamp`` or ``time``; ignored: the sample rate says when each row was taken);
- every other column is an axis, and must be numeric.

Windows of ``window`` samples start at the first row of each run of rows that share
recording and label, and every ``stride`` rows after it; a window that would run past the
end of its run is not cut, so no window crosses a recording or a label change. Without a
recording column, each run of one label counts as its own recording.

The split is seeded and keeps each recording's windows in one set, stratified by label
(scikit-learn's ``StratifiedGroupKFold``): a fifth of the recordings for test, a tenth of
the rest for validation, as for a folder of clips (:mod:`edgetf.data.audio_folder`).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgetf.base.errors import DataError
from edgetf.data.grouped_split import grouped_split

TIMESTAMP_COLUMNS = ("timestamp", "time")


@dataclass(frozen=True)
class MotionWindows:
    """The labelled windows of a time-series CSV."""

    path: Path
    axes: tuple[str, ...]
    labels: tuple[str, ...]
    windows: np.ndarray  # (N, window, axes) float32
    y: np.ndarray  # (N,) int64
    recordings: np.ndarray  # (N,) the recording (group) of each window
    first_lines: np.ndarray  # (N,) the file line of each window's first sample


def window_samples(ms: float, sample_rate: float, flag: str) -> int:
    """Samples in ``ms`` milliseconds (rounded); a DataError when under one."""
    count = round(ms * sample_rate / 1000)
    if count < 1:
        raise DataError(f"{flag} {ms:g} is under one sample at {sample_rate:g} Hz; use a"
                        " longer time")
    return count


def read_motion_csv(path: Path | str, *, sample_rate: float, window_ms: float,
                    stride_ms: float, label_column: str | None = None,
                    recording_column: str | None = None,
                    labelled: bool = True) -> MotionWindows:
    """The windows of ``path`` (see the module docstring). ``labelled=False`` accepts a
    file without a label column (``edgetf features``): every row has the label ``""``."""
    path = Path(path)
    if not sample_rate or not math.isfinite(sample_rate) or sample_rate <= 0:
        raise DataError(f"{path}: a time-series CSV needs its sample rate; pass"
                        " --sample-rate HZ (e.g. --sample-rate 50)")
    window = window_samples(window_ms, sample_rate, "--window-ms")
    stride = window_samples(stride_ms, sample_rate, "--stride-ms")
    header, rows = _read_rows(path)
    label_name = label_column or "label"
    label_at = _column(path, header, label_name, "--label-column",
                       required=labelled or label_column is not None)
    recording_at = _column(path, header, recording_column or "recording",
                           "--recording-column", required=recording_column is not None)
    skip = {label_at, recording_at} | {i for i, name in enumerate(header)
                                       if name.lower() in TIMESTAMP_COLUMNS}
    axis_at = [i for i in range(len(header)) if i not in skip]
    if not axis_at:
        raise DataError(f"{path}: has no axis columns (columns: {', '.join(header)}); add"
                        " one numeric column per sensor axis")
    values = np.empty((len(rows), len(axis_at)), np.float32)
    raw_labels, recordings = [], []
    for r, (line, row) in enumerate(rows):
        if len(row) != len(header):
            raise DataError(f"{path}: line {line} has {len(row)} cells but the header has"
                            f" {len(header)}; every row needs one value per column")
        for j, i in enumerate(axis_at):
            values[r, j] = _number(path, line, header[i], row[i])
        label = row[label_at].strip() if label_at is not None else ""
        if label_at is not None and not label:
            raise DataError(f"{path}: line {line} has an empty '{label_name}' cell; every"
                            " row needs a label")
        raw_labels.append(label)
        recordings.append(row[recording_at].strip() if recording_at is not None else None)
    labels = _label_order(set(raw_labels))
    if labelled and len(labels) < 2:
        raise DataError(f"{path}: only one class ('{labels[0]}'); classification needs at"
                        " least two labels")
    index = {name: i for i, name in enumerate(labels)}
    y_rows = np.array([index[v] for v in raw_labels], np.int64)
    lines = np.array([line for line, _ in rows])
    windows, y, groups, firsts = [], [], [], []
    longest = 0
    for start, end, recording in _runs(y_rows, recordings):
        longest = max(longest, end - start)
        for first in range(start, end - window + 1, stride):
            windows.append(values[first:first + window])
            y.append(y_rows[start])
            groups.append(recording if recording is not None else f"run at line {lines[start]}")
            firsts.append(lines[first])
    if not windows:
        raise DataError(f"{path}: too few samples for one window: a window is {window}"
                        f" samples ({window_ms:g} ms at {sample_rate:g} Hz) and the longest"
                        f" run of one recording and label holds {longest}; use a shorter"
                        " --window-ms or longer recordings")
    y_arr = np.array(y, np.int64)
    if labelled:
        missing = [labels[i] for i in range(len(labels)) if not (y_arr == i).any()]
        if missing:
            raise DataError(f"{path}: too few samples for one window of label"
                            f" '{missing[0]}': no run of it holds {window} samples"
                            f" ({window_ms:g} ms at {sample_rate:g} Hz); use a shorter"
                            " --window-ms or record longer")
    return MotionWindows(path, tuple(header[i] for i in axis_at), labels, np.stack(windows),
                         y_arr, np.array(groups, dtype=object).astype(str), np.array(firsts))


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not path.is_file():
        raise DataError(f"{path}: no such file; check the path passed to --data")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: a spreadsheet's BOM
            rows = [(line, row) for line, row in enumerate(csv.reader(handle), start=1)
                    if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: cannot read the CSV file ({error}); save it as UTF-8"
                        " CSV") from None
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    return [name.strip() for name in rows[0][1]], rows[1:]


def _column(path: Path, header: list[str], name: str, flag: str, *, required: bool
            ) -> int | None:
    if name in header:
        return header.index(name)
    if required:
        raise DataError(f"{path}: no column named '{name}' (columns: {', '.join(header)});"
                        f" name it with {flag}")
    return None


def _number(path: Path, line: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataError(f"{path}: line {line}, column '{column}': '{cell.strip()}' is not a"
                        " finite number; axis columns must be numeric (name the label,"
                        " recording and timestamp columns so they are not read as axes)")
    return value


def _label_order(names: set[str]) -> tuple[str, ...]:
    """Integer labels in numeric order, any others alphabetically."""
    if all(name.lstrip("-").isdigit() for name in names):
        return tuple(sorted(names, key=int))
    return tuple(sorted(names))


def _runs(y: np.ndarray, recordings: list):
    """``(start, end, recording)`` of each run of rows with one label and recording."""
    start = 0
    for i in range(1, len(y) + 1):
        if i == len(y) or y[i] != y[start] or recordings[i] != recordings[start]:
            yield start, i, recordings[start]
            start = i


def split_by_recording(path: Path | str, y: np.ndarray, recordings: np.ndarray,
                       seed: int = 42) -> np.ndarray:
    """``"train"`` / ``"validation"`` / ``"test"`` per window, each recording in one set,
    stratified by label, seeded; a DataError names ``path`` when a set would be empty."""
    split = grouped_split(y, recordings, seed)
    empty = [name for name in ("train", "validation", "test") if not (split == name).any()]
    if empty:
        raise DataError(f"{path}: too few recordings to fill the {' and '.join(empty)} set"
                        f" ({len(set(recordings))} recordings; each stays in one set); add"
                        " recordings, e.g. at least 3 per label")
    return split.astype(str)
