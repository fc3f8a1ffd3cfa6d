"""``edgetf tune`` against the default recipe, under caps the default recipe does not meet.

Digits for a board (nano33ble by default). The default recipe (train-quantize's defaults:
tiny-cnn, 20 epochs, QAT) runs once: its int8 accuracy under TFLM on the test split, and its
flash and arena as ``inspect --board`` reports them. The caps are a share (25 %) below those
two figures. Then ``tune`` runs ``--trials`` trials with one worker, and, on a fresh study
with the same seed, ``--trials-2`` trials with two workers: the first trials of a seed are
the same draws (Optuna's random start-up, 10 trials), so the two throughputs are of the
same work. Prints Markdown: the default run, tune's chosen model (its test accuracy
measured once, at the end), the wall times and trials per hour.

    python benchmarks/tune.py [--trials 30] [--trials-2 10] [--board nano33ble]
                              [--below 0.25] [--config FILE] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgetf.base.progress import Reporter  # noqa: E402
from edgetf.targets.boards import get_board  # noqa: E402
from edgetf.train.options import TrainQuantizeOptions  # noqa: E402
from edgetf.train.train_quantize import train_quantize  # noqa: E402
from edgetf.tune.figures import board_figures  # noqa: E402
from edgetf.tune.options import load_tune_options  # noqa: E402
from edgetf.tune.tune import NoFeasibleTrialError, tune  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--trials-2", type=int, default=10,
                        help="trials of the two-worker run (0: skip it)")
    parser.add_argument("--board", default="nano33ble")
    parser.add_argument("--below", type=float, default=0.25,
                        help="caps this share below the default run's flash and arena")
    parser.add_argument("--config", help="a tune config file (e.g. to narrow the space)")
    parser.add_argument("--keep", help="folder for the runs (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="edgetf-tune-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    board = get_board(args.board)

    start = time.perf_counter()
    default = train_quantize(TrainQuantizeOptions(data="digits", seed=args.seed,
                                                  out=str(root / "default"), force=True))
    default_s = time.perf_counter() - start
    figures = board_figures(default.int8_model, board)
    accuracy = default.report["accuracy"]["int8_tflm"]
    max_flash = int(figures.flash_bytes * (1 - args.below))
    max_ram = int(figures.arena_bytes * (1 - args.below))
    print(f"default recipe: int8 {100 * accuracy:.2f} % (TFLM, test), flash "
          f"{figures.flash_bytes:,} B, arena {figures.arena_bytes:,} B, fits {board.id}: "
          f"{figures.fits_board}, {default_s:.0f} s; caps: --max-flash {max_flash:,} "
          f"--max-ram {max_ram:,}", flush=True)

    runs = [(1, args.trials)] + ([(2, args.trials_2)] if args.trials_2 else [])
    results = {}
    for workers, trials in runs:
        options = load_tune_options(
            args.config, data="digits", board=board.id, max_flash=max_flash, max_ram=max_ram,
            trials=trials, workers=workers, seed=args.seed,
            out=str(root / f"tune-{workers}-workers"))
        start = time.perf_counter()
        try:
            result = tune(options, Reporter())
        except NoFeasibleTrialError as error:
            print(f"{workers} worker(s): {error}")
            continue
        results[workers] = (result, time.perf_counter() - start)

    print()
    print("| run | int8 acc (TFLM, test) | flash B | arena B | fits the caps | what |")
    print("|---|---|---|---|---|---|")
    print(f"| default recipe | {100 * accuracy:.2f} % | {figures.flash_bytes:,} | "
          f"{figures.arena_bytes:,} | no | tiny-cnn, 20 epochs, QAT |")
    for workers, (result, _) in results.items():
        chosen = result.chosen
        print(f"| tune, {len(result.rows)} trials, {workers} worker(s) | "
              f"{100 * result.test_accuracy:.2f} % (val {100 * chosen.accuracy:.2f} %) | "
              f"{chosen.flash_bytes:,} | {chosen.arena_bytes:,} | yes | "
              f"trial {chosen.number}: {_what(chosen)} |")
    print()
    print("| workers | trials | pruned | failed | infeasible | wall s (command) | "
          "trials per hour (first start to last end) |")
    print("|---|---|---|---|---|---|---|")
    for workers, (result, wall) in results.items():
        rows = result.rows
        print(f"| {workers} | {len(rows)} | {sum(r.state == 'pruned' for r in rows)} | "
              f"{sum(r.state == 'fail' for r in rows)} | "
              f"{sum(r.state == 'complete' and not r.feasible for r in rows)} | {wall:.0f} | "
              f"{_per_hour(result.out, options.study):.0f} |")
    if 2 in results and 1 in results:
        first = _per_hour(results[1][0].out, options.study, limit=len(results[2][0].rows))
        print(f"\none worker over its first {len(results[2][0].rows)} trials (the same "
              f"draws as the two workers'): {first:.0f} trials per hour")
    met = [w for w, (r, _) in results.items() if r.test_accuracy >= accuracy - 0.02]
    print(f"\ntarget (meets the caps within 2 points of the default's {100 * accuracy:.2f} %): "
          f"{'met' if met else 'not met'}; runs in {root}")


def _what(row) -> str:
    from edgetf.tune.results import describe_choices

    return describe_choices(row.choices)


def _per_hour(out: Path, study: str, limit: int | None = None) -> float:
    """Trials per hour from the first trial's start to the last one's end."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    storage = optuna.storages.JournalStorage(JournalFileBackend(str(out / "study.journal")))
    trials = sorted(optuna.load_study(study_name=study, storage=storage).get_trials(),
                    key=lambda t: t.number)[:limit]
    begun = min(t.datetime_start for t in trials)
    ended = max(t.datetime_complete for t in trials if t.datetime_complete)
    return len(trials) / max((ended - begun).total_seconds(), 1e-9) * 3600


if __name__ == "__main__":
    main()
