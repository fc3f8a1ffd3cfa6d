"""Few-bit weights benchmark: what --weight-bits and --binary-weights cost in accuracy.

Every row is a full ``train_quantize`` run (CLI defaults unless the row says otherwise:
20 training epochs, 4 per step, QAT, seed 42). For each: the float accuracy before
compression, the float accuracy right after the step, the int8 accuracy under the TFLM
interpreter and LiteRT, and per layer the bits per weight that TFLM's look-up-table
weights need, read from the int8 ``.tflite`` (ceil(log2(max distinct values in a
quantization channel)), 8 = stays int8), with the int8 file's bytes and the estimated
bytes with LUT weights.

Two datasets: the built-in digits with the default tiny-cnn, and a generated,
deterministic spectrogram-shaped one (49 frames x 10 coefficients, the shape of the
keyword-spotting MFCC front ends) with ``--model ds-cnn``.

    python benchmarks/weight_bits.py                    # both, ~10 min on 2 cores
    python benchmarks/weight_bits.py --only digits
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from edgetf.train.options import TrainQuantizeOptions  # noqa: E402
from edgetf.train.train_quantize import train_quantize  # noqa: E402

FRAMES, COEFFICIENTS = 49, 10
SOUNDS = ("flat", "rise", "fast rise", "fall", "fast fall", "trill", "chord", "clicks")
#: Band change per frame of the chirps (and the flat tone).
SLOPES = {"flat": 0.0, "rise": 0.18, "fast rise": 0.45, "fall": -0.18, "fast fall": -0.45}
DIGITS = {
    "plain (QAT)": {},
    "--weight-bits 2": {"weight_bits": 2},
    "--binary-weights inner": {"binary_weights": "inner"},
    "--binary-weights all": {"binary_weights": "all"},
}
SPECTROGRAMS = {
    "plain (QAT)": {},
    "plain, --no-qat": {"qat": False},
    "--weight-bits 2": {"weight_bits": 2},
    "--binary-weights inner": {"binary_weights": "inner"},
    "--binary-weights inner --no-qat": {"binary_weights": "inner", "qat": False},
    "--binary-weights all --no-qat": {"binary_weights": "all", "qat": False},
}


def spectrogram_dataset(folder: Path, seed: int = 7, train: int = 2400, test: int = 800) -> str:
    """Eight classes of sounds on a 49 x 10 time-frequency grid, saved as .npz.

    Each sample is Gaussian noise (sigma 0.35) plus one sound at a random onset,
    duration (16-32 frames), pitch and loudness: a flat tone, a slow or fast rising or
    falling chirp, a trill between two bands, a two-band chord, or broadband clicks
    every 3-5 frames; half the samples also get a faint short tone anywhere. The
    classes differ in local time-frequency shape, not in position.
    """
    rng = np.random.default_rng(seed)
    x_train, y_train = _sounds(train, rng)
    x_test, y_test = _sounds(test, rng)
    path = folder / "spectrograms.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
             labels=np.array(SOUNDS))
    return str(path)


def _sounds(count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, len(SOUNDS), size=count)
    x = rng.normal(0, 0.35, size=(count, FRAMES, COEFFICIENTS)).astype(np.float32)
    bands = np.arange(COEFFICIENTS, dtype=np.float32)

    def tone(i: int, onset: int, band: np.ndarray, loudness: float) -> None:
        frames = onset + np.arange(len(band))
        inside = (frames >= 0) & (frames < FRAMES)
        x[i, frames[inside]] += loudness * np.exp(
            -(bands[None] - band[inside, None]) ** 2 / (2 * 0.7 ** 2))

    for i, label in enumerate(y):
        sound = SOUNDS[label]
        loudness = rng.uniform(0.8, 1.4)
        length = int(rng.integers(16, 33))
        onset = int(rng.integers(0, FRAMES - length + 1))
        frames = np.arange(length, dtype=np.float32)
        if sound in SLOPES:
            slope = SLOPES[sound] * rng.uniform(0.85, 1.15)
            if slope:
                length = min(length, int(8.5 / abs(slope)))  # stay inside the 10 bands
                frames = frames[:length]
            # start where the whole chirp fits in 0.5..8.5 (the bounds cross by a hair when
            # the chirp spans more than 8 bands; sorted, it may then end just outside)
            travel = slope * (length - 1)
            bounds = sorted((max(0.5, 0.5 - travel), min(8.5, 8.5 - travel)))
            tone(i, onset, rng.uniform(*bounds) + slope * frames, loudness)
        elif sound == "trill":
            band, gap = rng.uniform(1, 5), rng.uniform(2.5, 4)
            tone(i, onset, band + gap * ((frames // 2) % 2), loudness)
        elif sound == "chord":
            band, gap = rng.uniform(0.5, 5), rng.uniform(2.5, 4)
            tone(i, onset, band + 0 * frames, 0.8 * loudness)
            tone(i, onset, band + gap + 0 * frames, 0.8 * loudness)
        else:  # clicks
            x[i, onset:onset + length:int(rng.integers(3, 6))] += 0.8 * loudness
        if rng.random() < 0.5:
            length = int(rng.integers(4, 10))
            tone(i, int(rng.integers(0, FRAMES - length + 1)),
                 rng.uniform(0, 9) + np.zeros(length), rng.uniform(0.3, 0.7))
    return x, y


def run(data: str, recipe: dict, model: str | None) -> dict:
    start = time.perf_counter()
    result = train_quantize(TrainQuantizeOptions(
        data=data, model=model, **{"seed": 42, **recipe}))
    report = result.report
    return {**report["accuracy"], **report["sizes"], "wall_s": time.perf_counter() - start,
            "bits": " · ".join(f"{row['layer']} {row['weight_bits']}"
                               for row in report["layers"]),
            "warnings": report["warnings"]}


def table(name: str, data: str, recipes: dict, model: str | None) -> None:
    print(f"\n{name}\n")
    print("| recipe | float acc | float after step | int8 acc (TFLM) | int8 acc (LiteRT) "
          "| int8 − float (pts) | bits per layer | int8 .tflite B | with LUT weights B (est.) "
          "| wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, recipe in recipes.items():
        row = run(data, recipe, model)
        after = row.get("compressed_float_keras")
        print(f"| {label} | {_pct(row['float_keras'])} | {_pct(after) if after else ''} | "
              f"{_pct(row['int8_tflm'])} | {_pct(row['int8_litert'])} | "
              f"{100 * (row['int8_tflm'] - row['float_keras']):+.2f} | {row['bits']} | "
              f"{row['int8_tflite']:,} | {row['lut_tflite_estimate']:,} | "
              f"{row['wall_s']:.0f} |", flush=True)
        for warning in row["warnings"]:
            print(f"  warning ({label}): {warning}", file=sys.stderr)


def _pct(value: float) -> str:
    return f"{100 * value:.2f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("digits", "spectrograms"))
    args = parser.parse_args()
    if args.only != "spectrograms":
        table("digits, tiny-cnn", "digits", DIGITS, None)
    if args.only != "digits":
        with tempfile.TemporaryDirectory() as folder:
            table("generated spectrograms (49 x 10, 8 classes), ds-cnn",
                  spectrogram_dataset(Path(folder)), SPECTROGRAMS, "ds-cnn")


if __name__ == "__main__":
    main()
