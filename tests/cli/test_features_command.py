"""``edgetf features``: one clip's features printed or saved; bad input is one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.cli.app import app
from edgetf.tflm.interpreter import tflm_available
from tests.audio_signals import chirp, tone, write_wav
from tests.conftest import error_line

runner = CliRunner()
needs_tflm = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@needs_tflm
def test_prints_and_saves_the_features_of_a_clip(tmp_path):
    from edgetf.features.audio import audio_features

    clip = chirp(200, 6000, 1.0, 0.5)
    wav = write_wav(tmp_path / "yes.wav", clip)
    printed = invoke("features", wav)
    assert printed.exit_code == 0, printed.output
    header, *rows = printed.stdout.strip().splitlines()
    assert header.startswith(f"{wav}: 49 frames x 40 channels, int8")
    expected = audio_features(clip)
    assert np.array([row.split() for row in rows], dtype=int).tolist() == expected.tolist()

    out = tmp_path / "yes.npy"
    saved = invoke("features", wav, "--out", out)
    assert saved.exit_code == 0 and saved.stdout == ""
    assert np.array_equal(np.load(out), expected) and np.load(out).dtype == np.int8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yes.npy", "yes.wav"]  # no temp


@needs_tflm
def test_config_table_sets_the_front_end(tmp_path):
    wav = write_wav(tmp_path / "a.wav", tone(1000, 0.5, rate=8000), rate=8000)
    config = tmp_path / "edgetf.toml"
    config.write_text("[features.audio]\nsample_rate = 8000\nupper_hz = 3900\nchannels = 16\n"
                      "pcan = false\n")
    out = tmp_path / "a.npy"
    result = invoke("features", wav, "--config", config, "--out", out)
    assert result.exit_code == 0, result.output
    assert np.load(out).shape == (24, 16)
    assert "8000 Hz" in result.stderr and "noise reduction)" in result.stderr


@pytest.mark.parametrize("make, args, fragment", [
    (lambda p: write_wav(p, tone(440, 1.0, rate=44100), rate=44100), [], "44100 Hz"),
    (lambda p: write_wav(p, np.repeat(tone(440, 1.0), 2), channels=2), [], "2 channels"),
    (lambda p: write_wav(p, np.full(16000, 128, np.uint8), width=1), [], "8-bit"),
    (lambda p: p.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt "), [], "header is truncated"),
    (lambda p: write_wav(p, tone(440, 0.02)), [], "less than one 30 ms window"),
    (lambda p: write_wav(p, tone(440, 1.0)), ["--out", "{tmp}/x.txt"], "name it .npy"),
    (lambda p: write_wav(p, tone(440, 1.0)), ["--out", "{tmp}/no/x.npy"], "does not exist"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, make, args, fragment):
    wav = tmp_path / "clip.wav"
    make(wav)
    before = sorted(tmp_path.iterdir())
    result = invoke("features", wav, *(a.format(tmp=tmp_path) for a in args))
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert fragment in message, message
    assert sorted(tmp_path.iterdir()) == before


def test_bad_config_is_one_line(tmp_path):
    wav = write_wav(tmp_path / "clip.wav", tone(440, 1.0))
    config = tmp_path / "edgetf.toml"
    config.write_text("[features.audio]\nchanels = 40\n")
    result = invoke("features", wav, "--config", config)
    assert result.exit_code == 2
    assert f"{config}: [features.audio] has no key 'chanels'" in error_line(result)


def test_the_command_never_imports_tensorflow(tmp_path):
    wav = write_wav(tmp_path / "clip.wav", tone(440, 0.02))  # too short: fails early
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom edgetf.cli.app import app\n"
            f"CliRunner().invoke(app, ['features', {str(wav)!r}])\n"
            "print('tensorflow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
