"""Same inputs and seed, same results: a run here and the same run as a new ``edgetf``
process give identical files, and emit-firmware turns them into identical projects.

What TensorFlow cannot make identical is checked as far as it can be: ``model.keras``
stores its save time (``metadata.json``) and zip timestamps, and Keras numbers layer
names per process (a second QAT model in one process gets ``quantize_layer_1``), so
only its weights are compared; ``report.json`` differs in its timings and its ``out``
path only. Both runs are on this machine with these library versions: the README says
what may differ elsewhere. (``tests/train/test_train_quantize.py`` checks two runs in one
process on digits.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from edgetf.codegen.emit_firmware import EmitOptions, emit_firmware
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize

SETTINGS = {"epochs": 2, "fine_tune_epochs": 1, "seed": 7, "prune": 0.5}
IDENTICAL = ("labels.txt", "model.tflite", "model_float.tflite", "samples.npz")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same run twice: in this process, and as a new ``edgetf`` process."""
    import numpy as np

    root = tmp_path_factory.mktemp("repro")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(160, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5).astype(np.int64)
    data = root / "data.npz"
    np.savez(data, x_train=x[:120], y_train=y[:120], x_test=x[120:], y_test=y[120:],
             labels=np.array(["low", "mid", "high"]))
    here = root / "here" / "run"
    train_quantize(TrainQuantizeOptions(data=str(data), out=str(here), **SETTINGS))
    again = root / "again" / "run"
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in SETTINGS.items()]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "edgetf.cli", "-q", "train-quantize",
                             "--data", str(data), "--out", str(again), *flags],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    return here, again


def _report(run) -> dict:
    report = json.loads((run / "report.json").read_text())
    report.pop("timings_s")
    report["options"].pop("out")
    return report


def test_run_files_are_identical(runs):
    here, again = runs
    assert sorted(p.name for p in here.iterdir()) == sorted(p.name for p in again.iterdir())
    for name in IDENTICAL:
        assert (here / name).read_bytes() == (again / name).read_bytes(), name


def test_report_is_identical_but_for_timings_and_the_out_path(runs):
    here, again = runs
    first, second = _report(here), _report(again)
    assert first["accuracy"] == second["accuracy"]
    assert first == second


def test_keras_model_has_identical_weights(runs):
    here, again = runs
    members = [zipfile.ZipFile(run / "model.keras") for run in runs]
    assert members[0].namelist() == members[1].namelist()
    weights = [m.read("model.weights.h5") for m in members]
    assert weights[0] == weights[1]


def test_emitted_projects_are_identical(runs, tmp_path):
    trees = []
    for index, run in enumerate(runs):
        out = tmp_path / f"fw{index}"
        emit_firmware(EmitOptions(board="nano33ble", out=out, from_run=run))
        trees.append({p.relative_to(out).as_posix(): p.read_bytes()
                      for p in sorted(out.rglob("*")) if p.is_file()})
    assert trees[0] == trees[1] and trees[0]
