"""``edgetf tune`` end to end on digits: real trials (train-quantize, TFLM), the front, the
chosen model checked against ``inspect`` and turned into firmware, reruns, resumes,
parallel workers, Ctrl-C, and bad input."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgetf.analyze.inspect import inspect_file
from edgetf.cli.app import app
from edgetf.tune.options import load_tune_options
from edgetf.tune.tune import tune
from tests.conftest import error_line
from tests.tune.conftest import BOARD, MAX_FLASH, tune_args


def _csv(out: Path) -> list[dict]:
    with (out / "trials.csv").open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _trials(out: Path, study: str = "edgetf-tune"):
    """The study's trials, read straight from its journal with Optuna."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    storage = optuna.storages.JournalStorage(JournalFileBackend(str(out / "study.journal")))
    return optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False)


def _figures(row: dict) -> tuple[float, int, int]:
    return float(row["val_accuracy"]), int(row["flash_bytes"]), int(row["arena_bytes"])


def _dominates(a, b) -> bool:
    better = (a[0] >= b[0], a[1] <= b[1], a[2] <= b[2])
    return all(better) and a != b


def test_four_trials_give_a_non_dominated_front(tuned):
    rows = _csv(tuned.out)
    assert [int(row["trial"]) for row in rows] == [0, 1, 2, 3]
    assert all(row["state"] == "complete" for row in rows), rows
    feasible = [row for row in rows if row["feasible"] == "1"]
    front = [row for row in rows if row["on_front"] == "1"]
    assert front and all(row["feasible"] == "1" for row in front)
    for row in front:
        assert not any(_dominates(_figures(other), _figures(row)) for other in feasible)
    for row in feasible:
        if row not in front:
            assert any(_dominates(_figures(f), _figures(row)) for f in front)
    for row in rows:  # the cap decides feasibility, by the recorded figure
        assert (row["feasible"] == "1") == (int(row["flash_bytes"]) <= MAX_FLASH)
    (chosen,) = [row for row in rows if row["chosen"] == "1"]
    assert float(chosen["val_accuracy"]) == max(float(row["val_accuracy"]) for row in feasible)
    lines = [line for line in tuned.stderr.splitlines()
             if re.match(r"(✓|✗) trial \d: val \d+\.\d\d %, flash [\d,]+ B, arena", line)]
    assert len(lines) == 4, tuned.stderr
    assert "Pareto front" in tuned.stderr and "test" in tuned.stderr


def test_the_chosen_trial_fits_by_inspects_figures_and_is_a_run_folder(tuned):
    best = tuned.out / "best"
    summary = json.loads((best / "tune.json").read_text())
    inspection = inspect_file(best / "model.tflite", boards=[BOARD])
    verdict = inspection.boards[BOARD]
    # The board's figures: its stored model (LUT weights where they pay) and its ops' code.
    flash = verdict.footprint.model_bytes + verdict.footprint.code_bytes
    assert verdict.fits and flash <= MAX_FLASH
    assert summary["flash_bytes"] == flash
    assert summary["arena_bytes"] == verdict.arena.bytes
    assert 0 <= summary["test_accuracy"] <= 1 and summary["test_interpreter"] == "TFLM"
    trial = next(t for t in _trials(tuned.out) if t.number == summary["trial"])
    folder = tuned.out / trial.user_attrs["folder"]
    assert (folder / "model.tflite").read_bytes() == (best / "model.tflite").read_bytes()
    report = json.loads((best / "report.json").read_text())
    recorded = {k: v for k, v in report["options"].items() if k not in ("out", "force")}
    assert recorded == trial.user_attrs["options"]  # a plain train-quantize run, reproducible
    assert report["options"]["width"] == trial.user_attrs["choices"]["width"]


def test_the_chosen_trial_emits_firmware(tuned, tmp_path):
    from edgetf.codegen.emit_firmware import EmitOptions, emit_firmware

    result = emit_firmware(EmitOptions(board=BOARD, out=tmp_path / "fw",
                                       from_run=tuned.out / "best"))
    assert (result.out / "platformio.ini").is_file()
    assert result.spec.footprint.flash_ok and result.spec.footprint.ram_ok


def test_two_workers_rerun_the_same_trials_none_twice(tuned, tune_config, tmp_path):
    """The same seed draws the same trials; two worker processes on one journal file
    finish the tickets between them, each trial once."""
    options = load_tune_options(tune_config, board=BOARD, max_flash=MAX_FLASH, trials=4,
                                workers=2, out=str(tmp_path / "again"))
    result = tune(options)
    assert result.new_trials == 4 and not result.worker_errors
    trials = _trials(tmp_path / "again")
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]
    assert all(t.state.name == "COMPLETE" for t in trials)
    folders = sorted(p.name for p in (tmp_path / "again" / "trials").iterdir())
    assert folders == ["0000", "0001", "0002", "0003"]
    first = {t.number: t.params for t in _trials(tuned.out)}
    assert {t.number: t.params for t in trials} == first
    assert len({tuple(sorted(p.items())) for p in first.values()}) > 1  # not one draw, 4 times
    assert {t.user_attrs["host"] for t in trials} == {os.uname().nodename}


def test_ctrl_c_keeps_the_finished_trials_and_a_rerun_resumes(tune_config, tmp_path):
    out = tmp_path / "study"
    proc = subprocess.Popen([sys.executable, "-m", "edgetf", *tune_args(tune_config, out,
                                                                         "--trials", "5")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    seen = []
    for line in proc.stderr:  # the first trial finished: the second has begun
        seen.append(line)
        if "trial 0:" in line:
            break
    assert proc.poll() is None, "".join(seen)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(seen) + stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("interrupted; 1 finished trial kept in") and "study.journal" in last
    trials = _trials(out)
    assert not [t for t in trials if t.state.name == "RUNNING"]
    assert [t.number for t in trials if t.state.name == "COMPLETE"] == [0]
    assert all(t.user_attrs.get("error") == "interrupted" for t in trials if t.number > 0)
    assert sorted(p.name for p in (out / "trials").iterdir()) == ["0000"]

    result = tune(load_tune_options(tune_config, board=BOARD, max_flash=MAX_FLASH, trials=1,
                                    out=str(out)))
    after = _trials(out)
    assert result.new_trials == 1 and len(after) == len(trials) + 1
    assert after[-1].state.name == "COMPLETE" and after[-1].number == len(trials)
    assert [int(row["trial"]) for row in _csv(out)] == [t.number for t in after]


def test_caps_no_trial_meets_exit_2_with_the_closest(tune_config, tmp_path):
    out = tmp_path / "study"
    result = CliRunner().invoke(app, tune_args(tune_config, out, "--trials", "1",
                                               "--max-ram", "300"))
    assert result.exit_code == 2, result.output
    line = error_line(result)
    assert "no trial meets esp32's budget and --max-flash 66,500, --max-ram 300" in line
    assert "the closest: trial 0: val" in line and "> --max-ram 300" in line
    assert (out / "trials.csv").is_file() and (out / "tune.html").is_file()
    assert not (out / "best").exists()


def test_trials_0_reports_the_study_again(tuned, tune_config):
    before = (tuned.out / "trials.csv").read_text()
    result = CliRunner().invoke(app, tune_args(tune_config, tuned.out, "--trials", "0"))
    assert result.exit_code == 0, result.output
    assert (tuned.out / "trials.csv").read_text() == before
    # Past --timeout no trial starts (the deadline is checked before each one).
    result = CliRunner().invoke(app, tune_args(tune_config, tuned.out, "--trials", "3",
                                               "--timeout", "0.001"))
    assert result.exit_code == 0, result.output
    assert (tuned.out / "trials.csv").read_text() == before


@pytest.mark.parametrize(("extra", "space", "fragment"), [
    ([], "widht = 2\nfoo = [1, 2]\n", "[tune.space]: unknown key(s) 'foo', 'widht'"),
    ([], "prune = {low = 0, high = 1.0, step = 0.5}\n", "--prune 1.0 is outside [0, 1)"),
    ([], "model = [\"tiny-cnn\", \"resnet\"]\n", "model 'resnet' is not a built-in"),
    (["--storage", "postgresql://edgetf:secret@127.0.0.1:9/none"], "",
     "--storage postgresql://edgetf:***@127.0.0.1:9/none: cannot reach the database"),
    (["--max-ram", "-5"], "", "--max-ram -5 must be positive"),
    (["--max-flash", "20000"], "", "--max-flash 20,000 leaves no room for any model"),
    (["--workers", "0"], "", "--workers 0 must be at least 1"),
    (["--model", "resnet"], "", "--model resnet: neither a built-in architecture"),
    (["--model", "missing.keras"], "", "--model missing.keras: no such model file"),
    (["--distill-from", "nowhere"], "", "--distill-from nowhere: no such file or folder"),
])
def test_bad_input_is_one_line_before_any_training(tmp_path, extra, space, fragment):
    config = tmp_path / "edgetf.toml"
    config.write_text(f"[tune]\nepochs = 1\n[tune.space]\n{space}")
    out = tmp_path / "study"
    result = CliRunner().invoke(app, ["tune", "--config", str(config), "--board", BOARD,
                                      "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    assert fragment in error_line(result)
    assert "secret" not in result.output
    assert not (out / "trials").exists()


def test_missing_board_and_foreign_folders_are_refused(tmp_path):
    result = CliRunner().invoke(app, ["tune", "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and "--board is required" in error_line(result)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.tflite").write_bytes(b"mine")
    result = CliRunner().invoke(app, ["tune", "--board", BOARD, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "is not an edgetf tune folder" in error_line(result)


def test_a_folder_holds_one_study(tuned, tune_config):
    owner = json.loads((tuned.out / "tune-study.json").read_text())
    assert owner == {"study": "edgetf-tune", "storage": "study.journal"}
    result = CliRunner().invoke(app, tune_args(tune_config, tuned.out, "--trials", "0",
                                               "--study", "other"))
    assert result.exit_code == 2
    assert "holds the trials of study 'edgetf-tune'" in error_line(result)
    relative = os.path.relpath(tuned.out)  # the same folder by another path is the same
    result = CliRunner().invoke(app, tune_args(tune_config, relative, "--trials", "0"))
    assert result.exit_code == 0, result.output


def test_a_resumed_study_keeps_its_settings(tuned, tune_config):
    result = CliRunner().invoke(app, ["tune", "--config", str(tune_config), "--board", BOARD,
                                      "--max-flash", "70000", "--trials", "0", "--out",
                                      str(tuned.out)])
    assert result.exit_code == 2
    assert "was run with other settings (max_flash: 66500 then, 70000 now)" in \
        error_line(result)
