"""A time-series CSV cut into windows: runs of one recording and label, the split by
recording, and bad files."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import DataError
from edgetf.data.motion_csv import read_motion_csv, split_by_recording
from tests.motion_signals import motion_csv

CUT = {"sample_rate": 50, "window_ms": 200, "stride_ms": 100}  # 10-sample windows, stride 5


def _write(path, header, rows):
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)])
                    + "\n")
    return path


def test_windows_never_cross_a_recording_or_a_label_change(tmp_path):
    rows = [(i, "r1", i, -i, "a") for i in range(23)]  # 23 rows: windows at 0, 5, 10
    rows += [(i, "r1", i, -i, "b") for i in range(23, 35)]  # label change: 12 rows, 1
    rows += [(i, "r2", i, -i, "b") for i in range(35, 44)]  # 9 rows: shorter than a window
    found = read_motion_csv(_write(tmp_path / "m.csv", ["time", "recording", "x", "y",
                                                        "label"], rows), **CUT)
    assert found.axes == ("x", "y") and found.labels == ("a", "b")
    assert found.windows.shape == (4, 10, 2) and found.windows.dtype == np.float32
    assert found.first_lines.tolist() == [2, 7, 12, 25]  # file lines (the header is 1)
    assert found.y.tolist() == [0, 0, 0, 1] and found.recordings.tolist() == ["r1"] * 4
    assert found.windows[3, :, 0].tolist() == list(range(23, 33))
    assert np.array_equal(found.windows[..., 1], -found.windows[..., 0])


def test_without_a_recording_column_each_label_run_is_a_recording(tmp_path):
    rows = [(i, "a" if i < 20 or i >= 40 else "b") for i in range(60)]
    found = read_motion_csv(_write(tmp_path / "m.csv", ["v", "label"], rows), **CUT)
    assert sorted(set(found.recordings)) == ["run at line 2", "run at line 22",
                                              "run at line 42"]


def test_split_keeps_each_recording_in_one_set_seeded_and_stratified(tmp_path):
    path = motion_csv(tmp_path / "m.csv", recordings=6, seconds=3.0)
    found = read_motion_csv(path, sample_rate=50, window_ms=1000, stride_ms=500)
    split = split_by_recording(path, found.y, found.recordings, seed=42)
    assert np.array_equal(split, split_by_recording(path, found.y, found.recordings, seed=42))
    for recording in set(found.recordings):
        assert len(set(split[found.recordings == recording])) == 1
    for name in ("train", "test"):  # validation: a tenth of 15 recordings, not all labels
        assert set(found.y[split == name]) == {0, 1, 2}, name
    assert (split == "validation").any()
    with pytest.raises(DataError, match="too few recordings to fill the"):
        split_by_recording(path, found.y[:10], found.recordings[:10])


@pytest.mark.parametrize(("header", "rows", "options", "words"), [
    (["x", "y"], [(1, 2)] * 20, {}, "no column named 'label' (columns: x, y); name it with"
     " --label-column"),
    (["x", "label"], [(1, "a")] * 12 + [("1,5", "b")] * 12, {}, "cells but the header"),
    (["x", "label"], [(1, "a")] * 12 + [("high", "b")] * 12, {},
     "line 14, column 'x': 'high' is not a finite number"),
    (["x", "label"], [(1, "a")] * 12 + [("nan", "b")] * 12, {}, "line 14, column 'x'"),
    (["x", "label"], [(1, "a")] * 30, {}, "only one class ('a')"),
    (["x", "label"], [(1, "a")] * 9 + [(1, "b")] * 9, {},
     "too few samples for one window: a window is 10 samples (200 ms at 50 Hz)"),
    (["x", "label"], [(1, "a")] * 12 + [(1, "b")] * 9, {},
     "too few samples for one window of label 'b'"),
    (["x", "label"], [(1, "a")] * 12 + [(1, "b")] * 12, {"recording_column": "session"},
     "no column named 'session'"),
    (["x", "label"], [(1, "a")] * 12 + [(1, "b")] * 12, {"label_column": "activity"},
     "no column named 'activity'"),
    (["label"], [("a",)] * 12 + [("b",)] * 12, {}, "has no axis columns"),
    (["x", "label"], [(1, "a")] * 12 + [(1, "")] * 12, {}, "line 14 has an empty 'label'"),
])
def test_bad_files_are_one_line_naming_the_file(tmp_path, header, rows, options, words):
    path = _write(tmp_path / "bad.csv", header, rows)
    with pytest.raises(DataError) as error:
        read_motion_csv(path, **CUT, **options)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and words in message and "\n" not in message


def test_a_missing_file_and_a_missing_rate_are_one_line(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_motion_csv(tmp_path / "none.csv", **CUT)
    with pytest.raises(DataError, match="needs its sample rate; pass --sample-rate"):
        read_motion_csv(tmp_path / "none.csv", sample_rate=0, window_ms=200, stride_ms=100)
