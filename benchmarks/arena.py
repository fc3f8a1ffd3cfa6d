"""The arena each board declares, planned, against the host measurement and the old margin.

For each model (the tests' tiny models, the public models in ../shared/models, and any
``.tflite`` given on the command line): the smallest arena the TFLM interpreter accepts on
this host (``measure_arena``), the planner's ``reference-64`` figure (must be equal), and per
board the planner's figure for that board's TFLM build, what emit-firmware declares, and what
the host-figure-times-margin rule declared before the planner. Prints a Markdown table.

    python benchmarks/arena.py [MODEL.tflite ...]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgetf.base.errors import EdgetfError  # noqa: E402
from edgetf.targets.board_arena import plan_board_arena  # noqa: E402
from edgetf.targets.boards import BOARDS, arena_for_board  # noqa: E402
from edgetf.targets.planner import REFERENCE_64, plan_arena  # noqa: E402
from edgetf.tflite.compatibility import check_compatibility  # noqa: E402
from edgetf.tflite.reader import read_tflite  # noqa: E402
from edgetf.tflm.interpreter import measure_arena  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "models"
BOARD_IDS = ("esp32", "esp32s3", "nano33ble")


def models() -> dict[str, bytes]:
    from tests.tiny_models import tiny_models

    found = {f"test {name}": data for name, data in tiny_models().items() if name != "hybrid"}
    for path in sorted(SHARED.glob("*.tflite")) if SHARED.is_dir() else ():
        found[path.stem] = path.read_bytes()
    for arg in sys.argv[1:]:
        found[Path(arg).stem] = Path(arg).read_bytes()
    return found


def row(name: str, data: bytes) -> str | None:
    model = read_tflite(data, name)
    if check_compatibility(model).unsupported_ops:
        return None  # TFLM cannot run it (signal-library custom ops): nothing to plan
    try:
        host = measure_arena(data)
    except EdgetfError as error:
        return f"| {name} | TFLM refused it: {error} |"
    reference = plan_arena(model, REFERENCE_64)
    cells = [name, f"{host.bytes:,}",
             f"{reference.total:,}" + ("" if reference.total == host.bytes else " (!)")]
    for board_id in BOARD_IDS:
        board = BOARDS[board_id]
        arena = plan_board_arena(model, board, host.bytes, host.method, host.note)
        old = arena_for_board(host.bytes, board)
        needed = f"{arena.needed_bytes:,}" if arena.method == "planned" else "-"
        cells += [needed, f"{arena.bytes:,}", f"{old:,}"]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    header = ["model", "host measured", "reference-64 plan"]
    for board_id in BOARD_IDS:
        header += [f"{board_id} planned", f"{board_id} declared", f"{board_id} before"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, data in models().items():
        line = row(name, data)
        if line:
            print(line, flush=True)
    print("\nplanned: the smallest arena the board's TFLM build needs, by edgetf's planner; "
          "declared: what emit-firmware writes (planned + 1 %, at least 128 B, or the host "
          "figure x margin where a table lacks an op); before: the host figure x2 / x4 / x2 "
          "+ 4 KB rule of edgetf 0.1 before the planner.")


if __name__ == "__main__":
    main()
