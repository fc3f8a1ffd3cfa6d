"""TFLM runtime against the compiled runtime (issue 21), per model and board, from the
planners: the arena the TFLM runtime declares, the compiled runtime's static plan (what
``emit-firmware --runtime compiled`` declares), the plan's lower bound, their ratio and
whether the plan is within 5 % of its bound. The same figures as ``inspect``'s "Arena by
runtime" table (:func:`edgetf.compiled.figures.compiled_figures`).

Models: the public models in ../shared/models and any ``.tflite`` given on the command
line (e.g. the MLPerf Tiny reference models). Models the compiled runtime cannot run are
listed under the table with the op that stops them. Prints Markdown; imports no TensorFlow.

    python benchmarks/runtime.py [MODEL.tflite ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgetf.compiled.figures import compiled_figures  # noqa: E402
from edgetf.targets.board_arena import host_figure, plan_board_arena  # noqa: E402
from edgetf.targets.boards import BOARDS  # noqa: E402
from edgetf.tflite.reader import read_tflite  # noqa: E402
from edgetf.tflm.estimate import estimate_arena  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "models"
#: esp32s3-psram has the esp32s3's kernels and table: the same figures.
BOARD_IDS = ("nano33ble", "esp32", "esp32s3")
LABELS = {
    "kws_ref_model": "MLPerf Tiny keyword spotting (DS-CNN)",
    "vww_96_int8": "MLPerf Tiny visual wake words",
    "pretrainedResnet_quant": "MLPerf Tiny ResNet-8",
    "ad01_int8": "MLPerf Tiny anomaly detection",
    "person_detect": "TFLM person_detect",
    "micro_speech_quantized": "TFLM micro_speech",
    "hello_world_int8": "TFLM hello_world (int8)",
}


def models() -> dict[str, bytes]:
    found = {}
    for path in sorted(SHARED.glob("*.tflite")) if SHARED.is_dir() else ():
        found[path.stem] = path.read_bytes()
    for arg in sys.argv[1:]:
        found[Path(arg).stem] = Path(arg).read_bytes()
    return found


def rows(name: str, data: bytes) -> tuple[list[str], str | None]:
    """The table's rows for one model, or its refusal."""
    model = read_tflite(data, name)
    lines = []
    for board_id in BOARD_IDS:
        board = BOARDS[board_id]
        tflm = plan_board_arena(model, board, *host_figure(model, estimate_arena(model),
                                                           "estimated", ""))
        f = compiled_figures(model, board, tflm.bytes, f"{name}.tflite")
        if f.arena_bytes is None:
            return [], f.refusal
        planned = f"{tflm.needed_bytes:,}" if tflm.method == "planned" else "-"
        lines.append(f"| {LABELS.get(name, name)} | {board_id} | {f.tflm_arena_bytes:,} | "
                     f"{planned} | {f.arena_bytes:,} | {f.lower_bound_bytes:,} | "
                     f"{f.ratio:.3f} | {'yes' if f.near_lower_bound else 'no'} |")
    return lines, None


def main() -> None:
    print("| model | board | TFLM arena (declared) | TFLM arena (planned) | compiled arena | "
          "lower bound | compiled / TFLM | within 5 % of bound |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    refused = {}
    for name, data in models().items():
        lines, refusal = rows(name, data)
        if refusal:
            refused[name] = refusal
        for line in lines:
            print(line, flush=True)
    print("\nTFLM arena: what emit-firmware declares for the model as it is (--compress off): "
          "the board's planned figure + 1 %, at least 128 B; planned: the smallest arena "
          "the board's TFLM build needs. Compiled arena: the static plan of activations and "
          "the board's kernel scratch (CMSIS-NN on the nano33ble, ESP-NN on the ESP32s; the "
          "esp32s3-psram's figures are the esp32s3's), what emit-firmware --runtime compiled "
          "declares. Lower bound: the most bytes live while any op runs.")
    if refused:
        print("\nThe compiled runtime cannot run (they stay on TFLM):\n")
        for name, refusal in refused.items():
            print(f"- {name}: {refusal.split(': ', 1)[-1]}")


if __name__ == "__main__":
    main()
