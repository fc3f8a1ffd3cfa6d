"""WAV files in: 16-bit PCM mono at the front end's rate, every other file one clear line."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from edgetf.base.errors import DataError
from edgetf.data.audio_wav import fit_clip, read_wav
from tests.audio_signals import tone, write_wav


def test_reads_16_bit_mono_exactly(tmp_path):
    samples = tone(440, 0.25)
    assert np.array_equal(read_wav(write_wav(tmp_path / "a.wav", samples), 16000), samples)


def _float_wav(path):
    """A WAVE_FORMAT_IEEE_FLOAT file (format 3), which the wave module does not read."""
    data = np.zeros(100, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE"
                     + b"fmt " + struct.pack("<I", len(fmt)) + fmt
                     + b"data" + struct.pack("<I", len(data)) + data)
    return path


@pytest.mark.parametrize("make, fragments", [
    (lambda p: write_wav(p, tone(440, 0.1, rate=44100), rate=44100), ["44100 Hz", "sox"]),
    (lambda p: write_wav(p, np.repeat(tone(440, 0.1), 2), channels=2), ["2 channels"]),
    (lambda p: write_wav(p, np.full(1600, 128, np.uint8), width=1), ["8-bit samples"]),
    (lambda p: write_wav(p, np.zeros(4800, np.uint8), width=3), ["24-bit samples"]),
    (lambda p: write_wav(p, np.repeat(tone(440, 0.1, rate=8000), 2), rate=8000, channels=2),
     ["2 channels, 8000 Hz"]),
    (lambda p: p.write_bytes(write_wav(p, tone(440, 0.1)).read_bytes()[:30]),
     ["header is truncated"]),
    (lambda p: p.write_bytes(write_wav(p, tone(440, 0.1)).read_bytes()[:1000]),
     ["truncated: its header promises 1600 samples but it holds 478"]),
    (lambda p: p.write_bytes(b"ID3\x04 not a wave file at all"), ["not a 16-bit PCM WAV"]),
    (_float_wav, ["not PCM integers"]),
    (lambda p: None, ["no such file"]),
])
def test_bad_files_are_one_line_naming_the_file(tmp_path, make, fragments):
    path = tmp_path / "clip.wav"
    make(path)
    with pytest.raises(DataError) as e:
        read_wav(path, 16000)
    message = str(e.value)
    assert message.startswith(str(path)) and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_fit_clip_pads_or_trims_the_end():
    x = np.arange(1, 6, dtype=np.int16)
    assert fit_clip(x, 3).tolist() == [1, 2, 3]
    assert fit_clip(x, 7).tolist() == [1, 2, 3, 4, 5, 0, 0]
    assert fit_clip(x, 7).dtype == np.int16
