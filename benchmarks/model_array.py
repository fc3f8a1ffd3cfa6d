"""Model array benchmark: ``model_array_source`` against ``xxd -i`` on the same bytes.

Writes a seeded random 300 KB "model" and times, best of 5 each, turning it into C
array text: in process with edgetf, and with ``xxd -i`` run as a subprocess (what a
user would otherwise do; the process start is part of its cost).

    python benchmarks/model_array.py
    python benchmarks/model_array.py --size 1000000 --repeat 10
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edgetf.codegen.c_array import model_array_source


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """Fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300 * 1024, help="bytes (300 KB)")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is kept")
    args = parser.parse_args(argv)

    data = np.random.default_rng(42).integers(0, 256, size=args.size, dtype=np.uint8).tobytes()
    edgetf_s = best_of(args.repeat, lambda: model_array_source(data, "g_model", "model.h"))
    print(f"model array, {args.size} bytes, best of {args.repeat}")
    print(f"  edgetf model_array_source: {edgetf_s * 1e3:8.2f} ms")

    xxd = shutil.which("xxd")
    if xxd is None:
        print("  xxd -i: not installed (apt-get install xxd)")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.tflite"
        path.write_bytes(data)
        xxd_s = best_of(
            args.repeat,
            lambda: subprocess.run([xxd, "-i", str(path)], check=True, capture_output=True),
        )
    print(f"  xxd -i (subprocess):       {xxd_s * 1e3:8.2f} ms")
    print(f"  ratio xxd / edgetf:        {xxd_s / edgetf_s:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
