"""Fuzzing run: thousands of damaged ``.tflite`` files through inspect and emit-firmware.

The suite's fuzz test (``tests/test_fuzz.py``) at length: the same mutator
(``tests/fuzz/mutate.py``) and the same judge (``tests/fuzz/harness.py``: exit code 0 or
2, one ``error:`` line, no traceback, no numpy warning, nothing left behind). Mutant
``i`` of a run depends only on ``--seed`` and ``i``, so the work is split over ``--jobs``
worker processes (the commands run in them through CliRunner, TFLM in its own child as
always) and any failure printed here is made again with ``--start i --count 1``.
Prints counts per mutation and per outcome, the slowest mutants and the total time.

    python benchmarks/fuzz.py                      # 10,000 mutants, seed 42, 2 jobs
    python benchmarks/fuzz.py --count 500 --seed 7 --jobs 1
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.fuzz, here and in the spawned workers

from tests.fuzz import oracle  # noqa: E402
from tests.fuzz.harness import commands, run_in_process, seed_models, write_mutant  # noqa: E402
from tests.fuzz.mutate import MUTATIONS, mutants  # noqa: E402

CHUNK = 50  # mutants per task: small enough to balance the workers, large enough to be cheap
_worker: dict = {}


def _start_worker(seeds: dict[str, bytes], seed: int, work: str) -> None:
    _worker.update(seeds=seeds, seed=seed, work=Path(tempfile.mkdtemp(dir=work)))


def run_chunk(start: int, count: int) -> list[tuple]:
    """``(index, kind, detail, command, exit code, ok, seconds, message, TFLM crashed,
    TFLM runs it)`` per run; the last is the oracle's answer (None without tflite-micro)."""
    rows = []
    work = _worker["work"]
    batch = mutants(_worker["seeds"], count, _worker["seed"], start)
    files = [i for i, m in enumerate(batch) if not m.directory]
    answers = dict.fromkeys(range(len(batch)))
    if oracle.tflm_available():
        answers.update(zip(files, oracle.tflm_runs([batch[i].data for i in files]),
                           strict=True))
    for offset, mutant in enumerate(batch):
        index = start + offset
        path = write_mutant(mutant, work / f"m{index}.tflite")
        out = work / f"fw{index}"
        for name, args in commands(path, out, index).items():
            o = run_in_process(name, args, out if name == "emit-firmware" else None,
                               model=path)
            rows.append((index, mutant.kind, mutant.detail, name, o.exit_code, o.ok,
                         o.seconds, o.message, o.tflm_crashed, answers[offset]))
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="mutants (default 10,000)")
    parser.add_argument("--seed", type=int, default=42, help="run seed (default 42)")
    parser.add_argument("--start", type=int, default=0, help="first mutant index")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--slowest", type=int, default=5, help="slowest runs to list")
    args = parser.parse_args()

    clock = time.perf_counter()
    seeds = seed_models()  # TensorFlow builds them; the workers never import it
    print(f"seed models: {', '.join(f'{k} ({len(v)} B)' for k, v in seeds.items())} "
          f"({time.perf_counter() - clock:.1f} s)", flush=True)
    clock = time.perf_counter()
    tasks = [(s, min(CHUNK, args.start + args.count - s))
             for s in range(args.start, args.start + args.count, CHUNK)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgetf-fuzz-") as work, ProcessPoolExecutor(
            args.jobs, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(seeds, args.seed, work)) as pool:
        for done, chunk in enumerate(pool.map(run_chunk, *zip(*tasks, strict=True)), 1):
            rows.extend(chunk)
            if done % 20 == 0:
                print(f"  {len(rows) // 2} mutants, {time.perf_counter() - clock:.0f} s",
                      flush=True)
    total = time.perf_counter() - clock
    report(rows, args, total)
    return 0 if all(row[5] for row in rows) and not _disagreements(rows) else 1


def _disagreements(rows: list[tuple]) -> list[tuple]:
    """Runs on mutants TFLM runs that the command refused against the promise."""
    return [row for row in rows if row[9] and oracle.disagrees(row[3], row[4], row[7])]


def _outcome(row: tuple) -> str:
    return f"exit {row[4]}" if row[5] else "other"


def report(rows: list[tuple], args, total: float) -> None:
    mutants_run = len({row[0] for row in rows})
    print(f"\n{mutants_run:,} mutants (seed {args.seed}), {len(rows):,} runs, "
          f"{total:.0f} s with {args.jobs} jobs ({total / max(mutants_run, 1) * 1000:.0f} ms "
          f"per mutant)\n")
    print("| mutation | mutants | inspect exit 0 / 2 / other | emit-firmware exit 0 / 2 / other |")
    print("|---|---|---|---|")
    by_kind = collections.defaultdict(collections.Counter)
    for row in rows:
        by_kind[row[1]][(row[3], _outcome(row))] += 1
    for kind in [*MUTATIONS, "total"]:
        counts = (by_kind[kind] if kind != "total" else
                  sum(by_kind.values(), collections.Counter()))
        cells = [" / ".join(f"{counts[(command, outcome)]:,}"
                            for outcome in ("exit 0", "exit 2", "other"))
                 for command in ("inspect", "emit-firmware")]
        n = sum(counts[("inspect", o)] for o in ("exit 0", "exit 2", "other"))
        print(f"| {kind} | {n:,} | {cells[0]} | {cells[1]} |")
    print(f"\nslowest {args.slowest}:")
    for row in sorted(rows, key=lambda r: -r[6])[:args.slowest]:
        print(f"  {row[6]:.2f} s  mutant {row[0]} {row[3]} ({row[1]}: {row[2]}) -> "
              f"{_outcome(row)}")
    crashes = collections.Counter(row[3] for row in rows if row[8])
    print(f"\nthe TFLM child died by a signal in {sum(crashes.values())} runs "
          f"({', '.join(f'{c} {n}' for c, n in sorted(crashes.items())) or 'none'}), each "
          "reported as an error (emit-firmware) or a warning with an estimated arena (inspect)")
    runs_in_tflm = {row[0] for row in rows if row[9]}
    standing = collections.Counter(
        reason for row in rows if row[9] and row[3] == "inspect" and row[4] != 0
        for phrase, reason in oracle.STANDING_REFUSALS.items() if phrase in row[7])
    wrong = _disagreements(rows)
    print(f"\nthe TFLM interpreter ran {len(runs_in_tflm):,} mutants itself; of those, inspect "
          f"refused {sum(standing.values())} for a standing reason "
          f"({', '.join(f'{r}: {n}' for r, n in standing.most_common()) or 'none'}), and "
          f"{len(wrong)} runs broke the promise (described, not called corrupt)")
    for row in wrong[:20]:
        print(f"  mutant {row[0]} {row[3]} ({row[1]}: {row[2]}): {row[7]}")
    failures = [row for row in rows if not row[5]]
    print(f"\n{len(failures)} runs ended otherwise than exit 0 or 2 cleanly")
    for row in failures[:20]:
        print(f"  mutant {row[0]} {row[3]} ({row[1]}: {row[2]}): {row[7]}"
              f"  [again: --seed {args.seed} --start {row[0]} --count 1 --jobs 1]")


if __name__ == "__main__":
    sys.exit(main())
