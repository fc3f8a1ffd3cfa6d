"""emit-firmware benchmark: wall time of the whole command, as a user runs it.

Times ``edgetf -q emit-firmware`` in a new process each run (Python start, imports,
reading and checking the flatbuffer, the TFLM arena measurement and golden vectors in a
child process, the board's verdict and device model, rendering, writing) and prints the
median, best and worst of ``--repeat`` runs per model and board. By default: a small
model (the shared hello_world_int8, 2.7 KB) and person_detect (300 KB, int8) from
``../shared/models`` on the nano33ble and the esp32. ``--mlp`` adds the seeded 300 KB
int8 MLP (64 -> 512 -> 512 -> 10, needs TensorFlow to build, not to time) and the time
spent writing its model array text alone, against ``xxd -i`` on the same bytes.

    python benchmarks/emit_firmware.py
    python benchmarks/emit_firmware.py --repeat 9 --board esp32 --model my.tflite
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
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
DEFAULT_MODELS = ("hello_world_int8.tflite", "person_detect.tflite")


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


def time_command(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True)
        times.append(time.perf_counter() - start)
    return times


def emit_times(model: Path, board: str, repeat: int, tmp: Path) -> list[float]:
    edgetf = [sys.executable, "-m", "edgetf.cli", "-q", "emit-firmware", "--model",
              str(model), "--board", board, "--out", str(tmp / "fw"), "--force"]
    return time_command(edgetf, repeat)


def _array_text(model: bytes, path: Path) -> str:
    from edgetf.codegen.c_array import model_array_source

    model_array_source(model, "g_model", "model_data.h")  # templates loaded once
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        model_array_source(model, "g_model", "model_data.h")
        best = min(best, time.perf_counter() - start)
    xxd = shutil.which("xxd")
    xxd_s = min(time_command([xxd, "-i", str(path), os.devnull], 3)) if xxd else None
    xxd_text = f"{xxd_s * 1000:.1f} ms" if xxd_s is not None else "xxd not installed"
    return (f"model array text (best of 5, in process): edgetf {best * 1000:.1f} ms; "
            f"xxd -i (best of 3, a process): {xxd_text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--board", action="append",
                        help="repeatable; default: nano33ble and esp32")
    parser.add_argument("--model", action="append", type=Path,
                        help=f"repeatable; default: {', '.join(DEFAULT_MODELS)} from {SHARED}")
    parser.add_argument("--mlp", action="store_true", help="also the 300 KB int8 MLP")
    args = parser.parse_args()
    boards = args.board or ["nano33ble", "esp32"]
    models = args.model or [SHARED / name for name in DEFAULT_MODELS]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        notes = []
        if args.mlp:
            path = tmp / "mlp300k.tflite"
            path.write_bytes(build_model())
            models.append(path)
            notes.append(_array_text(path.read_bytes(), path))
        print(f"{args.repeat} runs each, a new process per run")
        print("| model | bytes | board | median | best | worst |")
        print("|---|---|---|---|---|---|")
        for model in models:
            for board in boards:
                wall = emit_times(model, board, args.repeat, tmp)
                print(f"| {model.name} | {model.stat().st_size:,} | {board} | "
                      f"{statistics.median(wall):.3f} s | {min(wall):.3f} s | "
                      f"{max(wall):.3f} s |", flush=True)
        for note in notes:
            print(note)


if __name__ == "__main__":
    main()
