"""``--compress off | always | auto`` per model and board: the arena and flash each declares.

What a user trades when weights are stored as look-up tables: ``always`` takes every table
that saves flash and fits the board's RAM (a decoded tensor is live in the arena while its
consumer runs); ``auto`` (the default) takes back the tables that grow the planned arena by
more than max(256 B, 2 %) unless the model would not fit flash without them. The figures are
each board's verdict (:func:`edgetf.targets.verdict.board_verdict`), the numbers
``emit-firmware`` declares and ``inspect`` shows: arena bytes, and flash bytes of the whole
image (framework, TFLM code for the model's ops, the stored model, 3 golden vectors).

    python benchmarks/compress_modes.py MODEL.tflite [MODEL.tflite ...]
    python benchmarks/compress_modes.py                  # the shared person_detect
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edgetf.targets.boards import BOARDS
from edgetf.targets.prepared import prepare_model
from edgetf.targets.verdict import board_verdict

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODES = ("off", "always", "auto")


def rows(path: Path):
    """One row per board: the model, the board, then arena / flash per mode."""
    prepared = prepare_model(path.read_bytes(), path.name)
    for board in BOARDS.values():
        cells = []
        for mode in MODES:
            verdict = board_verdict(prepared, board, mode)
            cells.append(f"{verdict.arena.bytes:,} / {verdict.footprint.flash_bytes:,}")
        yield (path.stem, board.id, *cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path,
                        default=[SHARED / "person_detect.tflite"])
    args = parser.parse_args()
    print("| model | board | off | always | auto |")
    print("|---|---|---|---|---|")
    for model in args.models:
        for row in rows(model):
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
