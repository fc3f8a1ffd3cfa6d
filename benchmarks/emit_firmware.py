"""emit-firmware benchmark: wall time of the whole command on a 300 KB int8 model.

Builds a seeded MLP with about 300 K int8 weights (64 -> 512 -> 512 -> 10), converts it
to full int8 once, then times ``edgetf -q emit-firmware`` as a user runs it: a new
process each time (Python start, imports, reading and checking the flatbuffer, the TFLM
arena measurement and golden vectors in child processes, rendering, writing). Target:
under 1 s. Also prints the time spent writing the model array text alone, against
``xxd -i`` on the same bytes.

    python benchmarks/emit_firmware.py
    python benchmarks/emit_firmware.py --repeat 10 --board nano33ble
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 42


def build_model() -> bytes:
    """The 300 KB full-int8 MLP (TensorFlow is needed here, not in what is timed)."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from edgetf.base.tf_import import import_tf
    from edgetf.train.convert import to_int8_tflite

    _, keras = import_tf()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.layers.Input((64,)), keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10),
        keras.layers.Softmax()])
    calibration = np.random.default_rng(SEED).normal(size=(64, 64)).astype(np.float32)
    return to_int8_tflite(model, calibration, samples=64, seed=SEED)


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def time_command(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--board", default="esp32")
    args = parser.parse_args()
    from edgetf.codegen.c_array import model_array_source

    model = build_model()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mlp300k.tflite"
        path.write_bytes(model)
        edgetf = [sys.executable, "-m", "edgetf.cli", "-q", "emit-firmware", "--model",
                  str(path), "--board", args.board, "--out", str(Path(tmp) / "fw"), "--force"]
        wall = time_command(edgetf, args.repeat)
        model_array_source(model, "g_model", "model_data.h")  # templates loaded once
        array_s = min(_timed(lambda: model_array_source(model, "g_model", "model_data.h"))
                      for _ in range(5))
        xxd = shutil.which("xxd")
        xxd_s = min(time_command([xxd, "-i", str(path), os.devnull], 3)) if xxd else None
    print(f"model: {len(model):,} bytes, board {args.board}, {args.repeat} runs")
    print(f"emit-firmware wall time: median {statistics.median(wall):.3f} s, "
          f"best {min(wall):.3f} s, worst {max(wall):.3f} s (target < 1 s)")
    xxd_text = f"{xxd_s * 1000:.1f} ms" if xxd_s is not None else "xxd not installed"
    print(f"model array text (best of 5, in process): edgetf {array_s * 1000:.1f} ms; "
          f"xxd -i (best of 3, a process): {xxd_text}")


if __name__ == "__main__":
    main()
