"""The study's trials as rows: the per-trial progress line, ``trials.csv`` and the table.

Rows are read from the Optuna trials' attributes (what :mod:`edgetf.tune.trial` recorded),
so the same report comes out on any machine that reaches the storage.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from edgetf.base.units import readable_ms
from edgetf.tune.pareto import Point


@dataclass(frozen=True)
class TrialRow:
    """One trial of the study, as reported."""

    number: int
    state: str
    """"complete", "pruned", "fail" or "running" (another worker's, still going)."""
    choices: dict
    accuracy: float | None
    flash_bytes: int | None
    arena_bytes: int | None
    latency_ms: float | None
    fits_board: bool | None
    feasible: bool
    note: str
    folder: str | None
    options: dict | None
    model_sha256: str | None
    wall_s: float | None
    constraints: tuple[float, ...] = ()
    """Optuna's constraint values: each <= 0 when its limit is met."""

    @property
    def point(self) -> Point | None:
        if self.state != "complete" or self.accuracy is None:
            return None
        return Point(self.number, self.accuracy, self.flash_bytes, self.arena_bytes,
                     self.latency_ms, self.feasible)


def rows_of(trials) -> list[TrialRow]:
    """Rows for Optuna's frozen trials, in trial order."""
    rows = []
    for trial in sorted(trials, key=lambda t: t.number):
        attrs = trial.user_attrs
        figures = attrs.get("figures") or {}
        state = trial.state.name.lower()
        note = "; ".join(attrs.get("broken", [])) if state == "complete" else \
            attrs.get("error") or attrs.get("pruned") or ""
        rows.append(TrialRow(
            number=trial.number, state=state, choices=dict(attrs.get("choices", {})),
            accuracy=attrs.get("val_accuracy"), flash_bytes=figures.get("flash_bytes"),
            arena_bytes=figures.get("arena_bytes"), latency_ms=figures.get("latency_ms"),
            fits_board=figures.get("fits_board"),
            feasible=state == "complete" and bool(attrs.get("feasible")), note=note,
            folder=attrs.get("folder"), options=attrs.get("options"),
            model_sha256=attrs.get("model_sha256"), wall_s=attrs.get("wall_s"),
            constraints=tuple(attrs.get("constraints", ()))))
    return rows


def describe_choices(choices: dict) -> str:
    """``audio 40 ch 30/20 ms, mlp w0.5 d2, lr 0.0012, 10 ep, prune 0.5 2:4, cluster 16,
    qat``: the front end first, when the study searches it."""
    parts = [front] if (front := describe_front_end(choices)) else []
    model = choices.get("model")
    if model is not None or "width" in choices or "depth" in choices:
        size = " ".join(f"{letter}{_short(choices[key])}" for key, letter in
                        (("width", "w"), ("depth", "d")) if key in choices)
        parts.append(" ".join(str(p) for p in (model, size) if p))
    if "learning_rate" in choices:
        parts.append(f"lr {choices['learning_rate']:.2g}")
    if "epochs" in choices:
        parts.append(f"{choices['epochs']} ep")
    for key, label in (("fine_tune_epochs", "ft"), ("low_rank", "low-rank"),
                       ("prune", "prune"), ("cluster", "cluster"), ("weight_bits", "bits")):
        value = choices.get(key)
        if value and not (key == "weight_bits" and value == 8):
            structure = choices.get("prune_structure") if key == "prune" else None
            extra = f" {structure}" if structure and structure != "none" else ""
            parts.append(f"{label} {_short(value)}{extra}")
    for key, label in (("binary_weights", "binary"), ("qat", "qat"), ("distill", "distill")):
        if key in choices:  # binary weights and distillation say "off" when not used
            on = choices[key] not in (False, None, "off", "none", "")
            parts.append(label if on else f"no {label}")
    return ", ".join(parts)


def describe_front_end(choices: dict) -> str:
    """``audio 40 ch 30/20 ms`` (channels, window/stride) or ``spectral 8 bands, fft 128,
    low 0.5 Hz``: the front-end entries a trial chose ("" for none)."""
    if any(key in choices for key in ("channels", "window_ms", "stride_ms")):
        timing = "/".join(f"{choices[key]:g}" for key in ("window_ms", "stride_ms")
                          if key in choices)
        which = "/".join(name for key, name in (("window_ms", "window"),
                                                ("stride_ms", "stride")) if key in choices)
        bits = ([f"{choices['channels']} ch"] if "channels" in choices else []) + (
            [f"{timing} ms" + ("" if "/" in timing else f" {which}")] if timing else [])
        return "audio " + " ".join(bits)
    bits = []
    if "bands" in choices:
        bits.append(f"{choices['bands']} bands")
    if "fft_length" in choices:
        bits.append(f"fft {choices['fft_length'] or 'auto'}")
    if "filter_low_hz" in choices:
        bits.append(f"low {choices['filter_low_hz']:g} Hz")
    return ("spectral " + ", ".join(bits)) if bits else ""


def trial_line(summary: dict) -> str:
    """The line printed when a trial ends."""
    head = f"trial {summary['number']}"
    took = f" [dim]({summary['wall_s']:.0f} s)[/dim]" if summary.get("wall_s") else ""
    what = describe_choices(summary.get("choices", {}))
    if summary["state"] != "complete":
        mark = "[yellow]pruned[/yellow]" if summary["state"] == "pruned" else "[red]failed[/red]"
        return f"{mark} {head}: {summary.get('message', '')} — {what}{took}"
    figures = summary["figures"]
    latency = figures.get("latency_ms")
    numbers = (f"val {100 * summary['val_accuracy']:.2f} %, flash {figures['flash_bytes']:,} B, "
               f"arena {figures['arena_bytes']:,} B"
               + (f", ~{readable_ms(latency)} ms" if latency is not None else ""))
    if summary["feasible"]:
        return f"[green]✓[/green] {head}: {numbers} — {what}{took}"
    return (f"[red]✗[/red] {head}: {numbers} — {what}{took}; infeasible: "
            f"{'; '.join(summary['broken'])}")


CSV_COLUMNS = ("trial", "state", "feasible", "on_front", "chosen", "val_accuracy",
               "flash_bytes", "arena_bytes", "latency_ms", "fits_board", "wall_s")


def write_csv(rows: list[TrialRow], front: set[int], chosen: int | None, path: Path) -> None:
    """``trials.csv``: one row per trial, figures then every entry of the space it chose."""
    keys = sorted({key for row in rows for key in row.choices})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *keys, "folder", "note"])
    for row in rows:
        writer.writerow([
            row.number, row.state, int(row.feasible), int(row.number in front),
            int(row.number == chosen), _cell(row.accuracy), _cell(row.flash_bytes),
            _cell(row.arena_bytes), _cell(row.latency_ms), _cell(row.fits_board),
            _cell(row.wall_s), *(_cell(row.choices.get(key)) for key in keys),
            row.folder if row.state == "complete" else "", row.note])
    write_text_atomically(path, buffer.getvalue())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_text_atomically(path: Path, text: str) -> None:
    """A temporary file beside ``path``, then a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        current = os.umask(0)
        os.umask(current)
        os.chmod(temporary, 0o666 & ~current)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def render_front(rows: list[TrialRow], front: list[int], chosen: int | None,
                 console: Console, latency: bool) -> None:
    """The Pareto front as a terminal table, the chosen trial marked."""
    by_number = {row.number: row for row in rows}
    table = Table(title="Pareto front (feasible trials; validation accuracy)",
                  title_justify="left")
    for column in ("trial", "val acc", "flash B", "arena B", "latency ms", "what"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for number in front:
        row = by_number[number]
        table.add_row(f"{number}{' *' if number == chosen else ''}",
                      f"{100 * row.accuracy:.2f} %", f"{row.flash_bytes:,}",
                      f"{row.arena_bytes:,}",
                      "-" if row.latency_ms is None else readable_ms(row.latency_ms),
                      describe_choices(row.choices))
    console.print(table)
    counts = {state: sum(row.state == state for row in rows)
              for state in ("complete", "pruned", "fail", "running")}
    feasible = sum(row.feasible for row in rows)
    console.print(f"{len(rows)} trials: {counts['complete']} finished ({feasible} feasible), "
                  f"{counts['pruned']} pruned, {counts['fail']} failed"
                  + (f", {counts['running']} running" if counts["running"] else "")
                  + ("; latency is an objective" if latency else "")
                  + "; * = chosen (the most accurate feasible trial)", highlight=False)


def render_result(result, options, console: Console) -> None:
    """After the study: the front, the chosen trial with its test accuracy, the files."""
    render_front(result.rows, result.front, result.chosen.number if result.chosen else None,
                 console, options.max_latency_ms is not None)
    chosen = result.chosen
    if chosen is None:
        return
    console.print(
        f"chosen: trial {chosen.number} ({describe_choices(chosen.choices)}): validation "
        f"{100 * chosen.accuracy:.2f} %, test {100 * result.test_accuracy:.2f} % (int8, "
        f"{result.test_interpreter}, the test split, measured once now); flash "
        f"{chosen.flash_bytes:,} B, arena {chosen.arena_bytes:,} B", highlight=False,
        soft_wrap=True)
    console.print(
        f"wrote {result.out}/ (trials.csv, tune.html, best/); next: edgetf emit-firmware "
        f"--from {result.best} --board {options.board} --out fw/{options.board}",
        highlight=False, soft_wrap=True)
