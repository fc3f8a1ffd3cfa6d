"""Spectral front-end benchmark: windows per second through the ``spectral`` graph in the
TFLM Python interpreter (one child process per batch, its start included), and the
accuracy train-quantize reaches on generated motion data.

Windows: seeded three-axis recordings (tests/motion_signals.py's generator: idle, walk at
2 Hz, run at 6 Hz, noise and gravity), 2 s at 50 Hz, default parameters (128-point FFT,
8 bands). ``--train`` also runs train-quantize on a CSV of them (QAT on, the default).

    python benchmarks/spectral_features.py
    python benchmarks/spectral_features.py --windows 20000 --train
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgetf.features.spectral import spectral_features, spectral_front_end  # noqa: E402
from tests.motion_signals import CLASSES, RATE, motion_csv, recording  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is kept")
    parser.add_argument("--train", action="store_true", help="also run train-quantize")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(42)
    hz = list(CLASSES.values())
    windows = np.stack([recording(hz[i % len(hz)], 2.0, rng)
                        for i in range(args.windows)]).astype(np.float32)
    front_end = spectral_front_end(None, sample_rate=RATE, window=2 * RATE, axes=3)
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        spectral_features(windows, front_end)
        best = min(best, time.perf_counter() - start)
    print(f"{args.windows} windows of {2 * RATE} samples x 3 axes, "
          f"{front_end.layout.features} features each: {best:.2f} s, "
          f"{args.windows / best:,.0f} windows/s (best of {args.repeat})")
    if args.train:
        from edgetf.train.options import TrainQuantizeOptions
        from edgetf.train.train_quantize import train_quantize

        with tempfile.TemporaryDirectory() as tmp:
            data = motion_csv(Path(tmp) / "motion.csv", recordings=10, seconds=10.0)
            result = train_quantize(TrainQuantizeOptions(
                data=str(data), features="spectral", sample_rate=RATE, window_ms=2000,
                stride_ms=1000, boards=("esp32",)))
            accuracy = result.report["accuracy"]
            print(f"train-quantize (mlp, QAT, {result.report['data']['test']} test windows"
                  f" from held-out recordings): float {accuracy['float_keras']:.3f},"
                  f" int8 TFLM {accuracy['int8_tflm']:.3f} (chance {1 / len(CLASSES):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
