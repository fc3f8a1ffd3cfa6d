"""Device figures of one int8 model: the array the Nano 33 BLE's library stores, its
flash on a Cortex-M4F, the arena and the host time per inference, plain and compressed.

Used by ``benchmarks/compression.py``; also runs alone:

    python benchmarks/device_bytes.py runs/digits/model.tflite
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from edgetf.codegen.emit_firmware import build_project

_M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-O2",
             "-std=gnu++17", "-c"]
_RUNS = 200


def device_figures(model_bytes: bytes, folder: Path) -> dict:
    """Plain (``--compress off``) and device (``auto``) figures for the Nano 33 BLE."""
    folder.mkdir(parents=True, exist_ok=True)
    plain = build_project(model_bytes, "nano33ble", name="plain", compress="off")
    device = build_project(model_bytes, "nano33ble", name="device", compress="auto")
    return {
        "int8_bytes": len(model_bytes),
        "device_bytes": len(device.spec.model_bytes),
        "m4_plain": _m4_flash(plain, folder / "plain"),
        "m4_device": _m4_flash(device, folder / "device"),
        "arena_plain": plain.spec.arena.bytes,
        "arena_device": device.spec.arena.bytes,
        "us_plain": _host_microseconds(plain.spec.model_bytes),
        "us_device": _host_microseconds(device.spec.model_bytes),
    }


def _m4_flash(result, folder: Path) -> int | None:
    """text + data of the model array's object built for a Cortex-M4F, or None without
    arm-none-eabi-gcc."""
    gcc, size = shutil.which("arm-none-eabi-g++"), shutil.which("arm-none-eabi-size")
    if not gcc or not size:
        return None
    src = folder / "src"
    for relative, content in result.files.items():
        if relative.endswith(("model_data.cc", "model_data.h")):
            path = src / Path(relative).name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    (src / "edgetf").mkdir(exist_ok=True)
    shutil.copy(src / "model_data.h", src / "edgetf" / "model_data.h")
    subprocess.run([gcc, *_M4_FLAGS, f"-I{src}", str(src / "model_data.cc"), "-o",
                    str(folder / "model_data.o")], check=True)
    out = subprocess.run([size, str(folder / "model_data.o")], check=True, capture_output=True,
                         text=True).stdout.splitlines()[1].split()
    return int(out[0]) + int(out[1])


def _host_microseconds(model_bytes: bytes) -> float:
    """Median µs per invoke of the tflite-micro wheel's interpreter (reference kernels)
    on random inputs, on this machine."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model_bytes)
    details = interpreter.get_input_details(0)
    rng = np.random.default_rng(0)
    sample = rng.integers(-128, 128, size=details["shape"]).astype(details["dtype"])
    interpreter.set_input(sample, 0)
    interpreter.invoke()
    times = []
    for _ in range(_RUNS):
        start = time.perf_counter()
        interpreter.invoke()
        times.append(time.perf_counter() - start)
    return 1e6 * float(np.median(times))


def main() -> None:
    path = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as folder:
        figures = device_figures(path.read_bytes(), Path(folder))
    for key, value in figures.items():
        print(f"{key}: {value:,}" if isinstance(value, int) else f"{key}: {value}")


if __name__ == "__main__":
    main()
