"""End to end through a model nobody here trained: words spoken by espeak-ng, edgetf's
``audio`` front end (read from WAV files, run in TFLM), then TFLM's micro_speech model
(trained on real recordings with TFLM's own front end) must hear "yes" and "no"."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from edgetf.data.audio_wav import fit_clip, read_wav
from edgetf.features.audio import audio_features
from edgetf.tflm.interpreter import run_tflm, tflm_available
from tests.conftest import shared_model_path

_LABELS = ("silence", "unknown", "yes", "no")  # micro_speech's output order
_VOICES = ("en", "en-us", "en+f3", "en+m3")


def _tools() -> None:
    missing = [t for t in ("espeak-ng", "sox") if shutil.which(t) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _spoken(tmp_path, word: str, voice: str):
    raw, wav = tmp_path / f"{word}_{voice}_raw.wav", tmp_path / f"{word}_{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), word], check=True)
    # 16 kHz 16-bit mono, 200 ms of silence first, cut to at most 1 s
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", "-e",
                    "signed-integer", str(wav), "pad", "0.2", "0", "trim", "0", "1"],
                   check=True, capture_output=True)
    return wav


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_micro_speech_hears_espeak_words_through_edgetf_features(tmp_path):
    _tools()
    model = shared_model_path("micro_speech_quantized.tflite").read_bytes()
    words = [(w, v) for w in ("yes", "no") for v in _VOICES]
    # espeak's words are under 1 s long: zeros after them, as Speech Commands pads
    clips = np.stack([fit_clip(read_wav(_spoken(tmp_path, word, voice), 16000), 16000)
                      for word, voice in words])
    features = audio_features(clips)
    assert features.shape == (len(words), 49, 40)
    scores = run_tflm(model, features.reshape(len(words), 1, 49 * 40))[0]
    heard = [_LABELS[i] for i in scores.argmax(axis=1)]
    assert heard == [w for w, _ in words]
