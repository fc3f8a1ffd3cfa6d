"""``tune``: run the study's new trials, then report its front and write the chosen model.

Order: check everything that needs no training (options, caps, data, search space,
storage, a resumed study's settings); run ``--trials`` new trials with ``--workers``
workers; read every trial of the study back (those of earlier runs and other machines
too); write ``trials.csv`` and ``tune.html``; copy the chosen trial's run folder to
``best/`` (or rerun it from its recorded options when it ran on another machine) and
measure its test-split accuracy, once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edgetf.base.errors import ConfigError, EdgetfError
from edgetf.base.output_dir import staged_output
from edgetf.base.progress import Reporter
from edgetf.tflm.agreement import compare_interpreters
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from edgetf.tune.html import render_page
from edgetf.tune.options import TuneOptions
from edgetf.tune.pareto import choose, pareto_front
from edgetf.tune.results import (
    TrialRow,
    describe_choices,
    rows_of,
    trial_line,
    write_csv,
    write_text_atomically,
)
from edgetf.tune.study import JOURNAL, open_storage, open_study, redact
from edgetf.tune.trial import TRIALS_FOLDER, Plan, make_plan
from edgetf.tune.workers import run_workers

#: What an output folder of tune holds; a non-empty --out with none of them is refused.
OWNER = "tune-study.json"
OUR_FILES = (OWNER, JOURNAL, TRIALS_FOLDER, "trials.csv", "tune.html", "best")
BEST = "best"


class NoFeasibleTrialError(EdgetfError):
    """No finished trial meets the board's budget and the caps."""


@dataclass
class TuneResult:
    """What the study holds after this run."""

    out: Path
    rows: list[TrialRow]
    front: list[int]
    chosen: TrialRow | None
    best: Path | None
    test_accuracy: float | None
    test_interpreter: str | None
    new_trials: int
    worker_errors: list[str]


def tune(options: TuneOptions, reporter: Reporter | None = None) -> TuneResult:
    """Run ``options.trials`` new trials of the study, then report it (see the module)."""
    reporter = reporter or Reporter(quiet=True)
    options.check()
    out = Path(options.out)
    _check_out(out)
    plan = make_plan(options)  # data, space: every mistake before training
    _check_owner(out, options)
    storage = open_storage(options)
    study = open_study(storage, options)
    _claim(out, options)
    before = len(study.get_trials(deepcopy=False))
    reporter.detail(f"study '{options.study}' in {_where(options)}: {before} trials so far")
    try:
        with _progress(reporter, options.trials) as on_event:
            errors = run_workers(options, on_event, plan if options.workers == 1 else None)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(_kept(options)) from None
    for error in errors:
        reporter.warn(f"a worker stopped: {error}")
    rows = rows_of(study.get_trials(deepcopy=False))
    new = len(rows) - before
    latency = options.max_latency_ms is not None
    points = [row.point for row in rows if row.point is not None]
    front = [point.number for point in pareto_front(points, latency)]
    chosen_point = choose(points)
    chosen = next((row for row in rows if chosen_point and row.number == chosen_point.number),
                  None)
    write_csv(rows, set(front), chosen.number if chosen else None, out / "trials.csv")
    space = [(name.replace("_", "-"), text) for name, text in plan.space.describe()]
    if chosen is None:
        write_text_atomically(out / "tune.html", render_page(
            rows=rows, front=front, chosen=None, options=options, space=space, best=None))
        raise NoFeasibleTrialError(_no_feasible(rows, options, errors))
    best = _write_best(plan, chosen, out / BEST, reporter)
    write_text_atomically(out / "tune.html", render_page(
        rows=rows, front=front, chosen=chosen.number, options=options, space=space,
        best=best))
    return TuneResult(out, rows, front, chosen, out / BEST, best["test_accuracy"],
                      best["test_interpreter"], new, errors)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not any((out / n).exists() for n in OUR_FILES):
        raise ConfigError(f"{out}: folder is not empty and is not an edgetf tune folder; "
                          "choose another --out")


def _owner(options: TuneOptions) -> dict:
    """The folder's study: its name, and its storage (the folder's own journal, whatever
    path names the folder)."""
    return {"study": options.study,
            "storage": redact(options.storage) if options.storage else JOURNAL}


def _check_owner(out: Path, options: TuneOptions) -> None:
    """An output folder holds one study's trials: trials/NNNN of another study (numbered
    from 0 too) would be replaced by this one's."""
    marker = out / OWNER
    if not marker.is_file():
        return
    try:
        owner = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(f"{marker}: unreadable; it names the study of {out}, so restore "
                          "it or choose another --out") from None
    if owner != _owner(options):
        raise ConfigError(
            f"{out} holds the trials of study '{owner.get('study')}' in "
            f"{owner.get('storage')}; give that --study and --storage, or another --out")


def _claim(out: Path, options: TuneOptions) -> None:
    if not (out / OWNER).is_file():
        write_text_atomically(out / OWNER, json.dumps(_owner(options), indent=2) + "\n")


def _where(options: TuneOptions) -> str:
    return redact(options.storage) if options.storage else str(Path(options.out) / JOURNAL)


@contextlib.contextmanager
def _progress(reporter: Reporter, total: int) -> Iterator:
    """A bar over the trials, and one line per finished trial above it."""
    if reporter.quiet or total == 0:
        yield lambda event: None
        return
    progress = Progress(TextColumn("tune"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("trials"), TimeElapsedColumn(), console=reporter.console,
                        transient=True)
    task = progress.add_task("trials", total=total)

    def on_event(event: dict) -> None:
        progress.console.print(trial_line(event), highlight=False, soft_wrap=True)
        progress.advance(task)

    with progress:
        yield on_event


def _kept(options: TuneOptions) -> str:
    """The Ctrl-C line: what the study kept."""
    try:
        study = open_study(open_storage(options), options)
        done = sum(t.state.name in ("COMPLETE", "PRUNED")
                   for t in study.get_trials(deepcopy=False))
    except EdgetfError:
        return "the finished trials are kept in the study; run the command again to resume"
    return (f"{done} finished trial{'s' if done != 1 else ''} kept in {_where(options)} "
            f"(study '{options.study}'; an interrupted trial is marked failed); run the same "
            "command again to add trials and write the report")


def _no_feasible(rows: list[TrialRow], options: TuneOptions, errors: list[str]) -> str:
    finished = [row for row in rows if row.state == "complete"]
    limits = f"{options.board}'s budget" + (
        f" and {options.caps().describe()}" if options.caps().describe() != "no caps" else "")
    if not finished:
        failed = [row for row in rows if row.state == "fail" and row.note]
        why = (f"trial {failed[-1].number} failed: {failed[-1].note}" if failed else
               errors[0] if errors else "all were pruned" if rows else
               "the study has none yet; give --trials N")
        return f"no trial finished ({why}); see {Path(options.out) / 'trials.csv'}"
    closest = sorted(finished, key=_excess)[:3]
    shown = "; ".join(f"trial {row.number}: val {100 * row.accuracy:.1f} %, flash "
                      f"{row.flash_bytes:,} B, arena {row.arena_bytes:,} B ({row.note})"
                      for row in closest)
    return (f"no trial meets {limits}; the closest: {shown}; loosen the caps or widen the "
            f"search space ([tune.space]), see {Path(options.out) / 'trials.csv'}")


def _excess(row: TrialRow) -> float:
    """How far a trial is from feasible (its broken limits, as shares of each cap)."""
    return sum(max(0.0, value) for value in row.constraints)


def _front_end_record(run: Path) -> dict:
    """The chosen run's front end as its report records it (what ``emit-firmware --from``
    embeds): ``{"front_end": {...}}``, or nothing for ready-made features."""
    try:
        report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    record = report.get("features") or report.get("front_end")
    return {"front_end": record} if isinstance(record, dict) else {}


def _write_best(plan: Plan, chosen: TrialRow, out: Path, reporter: Reporter) -> dict:
    """``best/``: the chosen trial's run folder (copied, or rebuilt from its options when
    it ran elsewhere), with ``tune.json``; its test accuracy measured now, once."""
    source = plan.out / (chosen.folder or "")
    model_file = source / "model.tflite"
    local = model_file.is_file() and \
        hashlib.sha256(model_file.read_bytes()).hexdigest() == chosen.model_sha256
    if not local:
        reporter.info(f"trial {chosen.number} ran on another machine: training it again "
                      f"from its options into {out}")
        options = TrainQuantizeOptions(**{**(chosen.options or {}), "out": str(out),
                                          "force": True})
        train_quantize(options, Reporter(quiet=True))
        source = out
    model = (source / "model.tflite").read_bytes()
    # The test split through the chosen trial's own front end (raw data's features depend
    # on it; the split itself does not).
    data = plan.loaded(TrainQuantizeOptions(**chosen.options))[0] if chosen.options \
        else plan.data
    comparison = compare_interpreters(model, data.x_test, data.y_test)
    interpreter = "TFLM" if comparison.tflm_accuracy is not None else "LiteRT"
    test_accuracy = comparison.tflm_accuracy if comparison.tflm_accuracy is not None else \
        comparison.litert_accuracy
    summary = {
        "trial": chosen.number, "study": plan.options.study, "board": plan.board.id,
        "runtime": plan.options.runtime,
        "caps": {"max_ram": plan.caps.max_ram, "max_flash": plan.caps.max_flash,
                 "max_latency_ms": plan.caps.max_latency_ms},
        "choices": chosen.choices, "description": describe_choices(chosen.choices),
        "validation_accuracy": chosen.accuracy, "flash_bytes": chosen.flash_bytes,
        "arena_bytes": chosen.arena_bytes, "latency_ms": chosen.latency_ms,
        "test_accuracy": test_accuracy, "test_interpreter": interpreter,
        "test_note": "measured once, on the test split, after the study; the trials were "
                     "scored on the validation split only",
        "rebuilt": not local,
        "model_sha256": hashlib.sha256(model).hexdigest(),
        **_front_end_record(source)}
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    if local:
        with staged_output(out, force=True) as staging:
            shutil.copytree(source, staging, dirs_exist_ok=True)
            (staging / "tune.json").write_text(text, encoding="utf-8")
    else:
        write_text_atomically(out / "tune.json", text)
    return summary
