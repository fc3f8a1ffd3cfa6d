"""``edgetf features FILE.csv --features spectral``: a time-series CSV's windows'
features printed or saved; bad input is one line."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.cli.app import app
from edgetf.data.motion_csv import read_motion_csv
from edgetf.features.spectral import spectral_features, spectral_front_end
from edgetf.tflm.interpreter import tflm_available
from tests.motion_signals import motion_csv

CUT = ["--sample-rate", "50", "--window-ms", "1000", "--stride-ms", "500"]


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_prints_and_saves_a_csv_s_spectral_features(tmp_path):
    data = motion_csv(tmp_path / "walk.csv", recordings=1, seconds=3.0)
    config = tmp_path / "edgetf.toml"
    config.write_text("[features.spectral]\nbands = 4\n")
    printed = invoke("features", data, "--features", "spectral", *CUT, "--config", config)
    assert printed.exit_code == 0, printed.output
    header, *rows = printed.stdout.strip().splitlines()
    # 3 recordings of 150 samples: 5 windows of 50 each; 3 axes x (RMS + 4 bands)
    assert header.startswith(f"{data}: 15 windows x 15 features, int8 (spectral front end:"
                              " 50 samples at 50 Hz, 3 axes, 64-point FFT")
    found = read_motion_csv(data, sample_rate=50, window_ms=1000, stride_ms=500)
    expected = spectral_features(found.windows, spectral_front_end(
        {"bands": 4}, sample_rate=50, window=50, axes=3))
    assert np.array([row.split() for row in rows], dtype=int).tolist() == expected.tolist()
    out = tmp_path / "walk.npy"
    saved = invoke("features", data, "--features", "spectral", *CUT, "--config", config,
                   "--out", out)
    assert saved.exit_code == 0 and saved.stdout == ""
    assert np.array_equal(np.load(out), expected) and np.load(out).dtype == np.int8


@pytest.mark.parametrize(("args", "words"), [
    (["--features", "spectral", "--sample-rate", "50"], "needs --sample-rate HZ and"),
    (["--sample-rate", "50", "--window-ms", "1000"], "add --features spectral"),
    (["--features", "spectral", *CUT, "--label-column", "activity"],
     "no column named 'activity'"),
])
def test_bad_use_is_one_line(tmp_path, args, words):
    data = motion_csv(tmp_path / "walk.csv", recordings=1, seconds=2.0)
    result = invoke("features", data, *args)
    assert result.exit_code != 0 and words in result.output
    assert "Traceback" not in result.output
