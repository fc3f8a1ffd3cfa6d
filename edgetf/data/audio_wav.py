"""Read WAV files as the audio front end takes them: 16-bit PCM, one channel, at its rate.

Read with the standard library's :mod:`wave`, nothing converted: a file at another rate,
with two channels, with 8-, 24- or 32-bit or float samples, or cut short is refused with
one line naming the file and the ``sox`` command that converts it (resampling is not
something to do silently: the features would change).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from edgetf.base.errors import DataError


def _fix(path: Path, rate: int) -> str:
    return f"convert it with: sox '{path}' -r {rate} -c 1 -b 16 -e signed-integer out.wav"


def read_wav(path: Path | str, rate: int) -> np.ndarray:
    """The samples of a 16-bit PCM mono WAV file at ``rate`` Hz, as int16."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, file_rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            frames = f.getnframes()
            data = f.readframes(frames)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a WAV file; pass a .wav file") from None
    except EOFError:
        raise DataError(f"{path}: the WAV header is truncated (the file ends inside it);"
                        " the file is damaged, record or export it again") from None
    except wave.Error as e:
        reason = str(e)
        if "chunk missing" in reason:  # the file ends before its fmt or data chunk
            raise DataError(f"{path}: the WAV header is truncated (no fmt or data chunk);"
                            " the file is damaged, record or export it again") from None
        if "unknown format" in reason:  # wave reads PCM only: 3 is float, 6/7 A/mu-law
            reason = f"its samples are not PCM integers ({reason})"
        raise DataError(f"{path}: not a 16-bit PCM WAV file: {reason}; "
                        f"{_fix(path, rate)}") from None
    problems = []
    if width != 2:
        problems.append(f"{8 * width}-bit samples")
    if channels != 1:
        problems.append(f"{channels} channels")
    if file_rate != rate:
        problems.append(f"{file_rate} Hz")
    if problems:
        raise DataError(f"{path}: has {', '.join(problems)}; the audio front end takes"
                        f" 16-bit mono at {rate} Hz: {_fix(path, rate)}")
    if len(data) < 2 * frames:
        raise DataError(f"{path}: is truncated: its header promises {frames} samples but"
                        f" it holds {len(data) // 2}; the file is damaged, export it again")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def fit_clip(samples: np.ndarray, length: int) -> np.ndarray:
    """``samples`` cut or zero-padded at the end to ``length`` samples (keeping the
    start, where Speech Commands' one-second clips hold their word)."""
    if len(samples) >= length:
        return samples[:length]
    return np.concatenate([samples, np.zeros(length - len(samples), np.int16)])
