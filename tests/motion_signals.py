"""Seeded motion data: three-axis recordings whose classes shake at different
frequencies, written as time-series CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 42
RATE = 50  # Hz
#: Label -> the frequency (Hz) its recordings shake at.
CLASSES = {"idle": 0.0, "walk": 2.0, "run": 6.0}


def recording(hz: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """``(samples, 3)`` float: a sinusoid at ``hz`` of random amplitude and phase on each
    axis, gravity on z, noise everywhere."""
    t = np.arange(int(seconds * RATE)) / RATE
    out = rng.normal(0, 0.3, (len(t), 3))
    out[:, 2] += 9.81
    if hz:
        for axis in range(3):
            out[:, axis] += rng.uniform(0.5, 2.0) * np.sin(2 * np.pi * hz * t
                                                           + rng.uniform(0, 2 * np.pi))
    return out


def motion_csv(path: Path, recordings: int = 5, seconds: float = 8.0, seed: int = SEED,
               classes: dict[str, float] | None = None) -> Path:
    """A CSV of ``recordings`` recordings per class (columns timestamp, recording, accX,
    accY, accZ, label), recordings of one class after another."""
    rng = np.random.default_rng(seed)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["timestamp", "recording", "accX", "accY", "accZ", "label"])
        for label, hz in (classes or CLASSES).items():
            for r in range(recordings):
                for i, row in enumerate(recording(hz, seconds, rng)):
                    out.writerow([i * 1000 // RATE, f"{label}-{r}",
                                  *(f"{v:.4f}" for v in row), label])
    return path
