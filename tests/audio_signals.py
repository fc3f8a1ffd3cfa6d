"""Seeded test audio: tones, chirps, noise and silence as int16 clips, and WAV files."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SEED = 42
RATE = 16000


def tone(hz: float, seconds: float = 1.0, amplitude: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return _int16(amplitude * np.sin(2 * np.pi * hz * t))


def chirp(f0: float, f1: float, seconds: float = 1.0, amplitude: float = 0.5,
          rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds))
    return _int16(amplitude * np.sin(phase))


def noise(seconds: float = 1.0, amplitude: float = 0.1, seed: int = SEED,
          rate: int = RATE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return _int16(rng.normal(0, amplitude, int(seconds * rate)))


def sample_clips(seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    """Eight varied clips: quiet and loud tones, a chirp, noise, silence, full-scale
    clipping, a burst after silence, a tone in noise."""
    n = int(seconds * rate)
    burst = np.zeros(n, np.int16)
    burst[n // 2:] = tone(1000, seconds - (n // 2) / rate, 0.8, rate)[: n - n // 2]
    mixed = np.clip(tone(440, seconds, 0.3, rate).astype(np.int32)
                    + noise(seconds, 0.05, SEED + 1, rate), -32768, 32767).astype(np.int16)
    return np.stack([
        tone(300, seconds, 0.01, rate), tone(2500, seconds, 0.7, rate),
        chirp(100, 7900, seconds, 0.5, rate), noise(seconds, 0.2, SEED, rate),
        np.zeros(n, np.int16), _int16(np.sign(np.sin(np.arange(n) / 7.0)) * 1.2),
        burst, mixed,
    ])


def _int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, channels: int = 1,
              width: int = 2) -> Path:
    """A PCM WAV file; ``samples`` int16 (interleaved when ``channels`` > 1), or uint8
    when ``width`` is 1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(np.ascontiguousarray(samples).tobytes())
    return path


def tone_folder(root: Path, speakers: int = 6, per_speaker: int = 2) -> Path:
    """A Speech Commands-style folder: ``low/`` and ``high/`` tones of varied pitch and
    length per speaker (``spkN_nohash_i.wav``), and a noise recording."""
    rng = np.random.default_rng(SEED)
    for label, (lo, hi) in {"low": (250, 600), "high": (2500, 5000)}.items():
        for s in range(speakers):
            for i in range(per_speaker):
                seconds = (0.6, 1.0, 1.3)[(s + i) % 3]  # padded, exact, trimmed
                clip = tone(rng.uniform(lo, hi), seconds, rng.uniform(0.1, 0.6))
                write_wav(root / label / f"spk{s}_nohash_{i}.wav", clip)
    write_wav(root / "_background_noise_" / "white.wav", noise(3.0, 0.3))
    return root
