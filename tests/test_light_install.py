"""The base install (``pip install .``, no extra) has no TensorFlow and still inspects and
emits firmware; the commands that train say which extra to install.

The virtual environment is made by ``.ci/run`` (``pip install .`` from PyPI, about a minute)
and named by ``EDGETF_LIGHT_VENV``; these tests run its ``edgetf`` from outside the source
tree. Without the variable they skip, except under CI, where they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from edgetf.codegen.emit_firmware import EmitOptions, emit_firmware
from tests.conftest import shared_model_path

ROOT = Path(__file__).resolve().parents[1]
MODEL = "micro_speech_quantized.tflite"


@pytest.fixture(scope="module")
def light_venv() -> Path:
    named = os.environ.get("EDGETF_LIGHT_VENV")
    if not named:
        message = ("EDGETF_LIGHT_VENV is unset: python3 -m venv .venv-light && "
                   ".venv-light/bin/pip install . && export EDGETF_LIGHT_VENV=$PWD/.venv-light")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    venv = Path(named)
    assert (venv / "bin" / "edgetf").is_file(), f"{venv} has no bin/edgetf"
    return venv


def _run(venv: Path, args: list, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300, stdin=subprocess.DEVNULL)


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.py"))}


def test_the_light_venv_has_this_checkouts_edgetf_and_no_tensorflow(light_venv, tmp_path):
    python = light_venv / "bin" / "python"
    found = _run(light_venv, [python, "-c", "import edgetf, pathlib; "
                              "print(pathlib.Path(edgetf.__file__).parent)"], tmp_path)
    assert found.returncode == 0, found.stderr
    installed = Path(found.stdout.strip())
    assert installed.is_relative_to(light_venv)
    assert _digests(installed) == _digests(ROOT / "edgetf"), "reinstall: pip install ."
    api = _run(light_venv, [python, "-c", "import sys, edgetf; edgetf.emit_firmware; "
                            "print(sorted(m for m in sys.modules if 'tensorflow' in m))"],
               tmp_path)
    assert api.returncode == 0 and api.stdout.strip() == "[]", api.stderr  # the Python API
    for module in ("tensorflow", "tf_keras", "tensorflow_model_optimization", "ai_edge_litert",
                   "sklearn", "optuna"):
        result = _run(light_venv, [python, "-c", f"import {module}"], tmp_path)
        assert result.returncode == 1, module
        assert f"ModuleNotFoundError: No module named '{module}'" in result.stderr, module


def test_inspect_and_emit_firmware_work_without_tensorflow(light_venv, tmp_path):
    model = shared_model_path(MODEL)
    edgetf = light_venv / "bin" / "edgetf"
    inspected = _run(light_venv, [edgetf, "inspect", model, "--board", "esp32", "--json"],
                     tmp_path)
    assert inspected.returncode == 0, inspected.stderr
    report = json.loads(inspected.stdout)
    assert report["boards"]["esp32"]["fits"] and report["quantization"] == "int8"
    assert report["arena_method"] == "measured"  # by tflite-micro, which the base install has

    emitted = _run(light_venv, [edgetf, "-q", "emit-firmware", "--model", model, "--board",
                                "esp32", "--out", "fw"], tmp_path)
    assert emitted.returncode == 0, emitted.stderr
    emit_firmware(EmitOptions(board="esp32", out=tmp_path / "here", model=model))
    light = {p.relative_to(tmp_path / "fw"): p.read_bytes()
             for p in (tmp_path / "fw").rglob("*") if p.is_file()}
    here = {p.relative_to(tmp_path / "here"): p.read_bytes()
            for p in (tmp_path / "here").rglob("*") if p.is_file()}
    assert light.keys() == here.keys() and light == here  # the same project as the full install


@pytest.mark.parametrize("command", [
    ["train-quantize", "--data", "digits", "--out", "run"],
    ["validate", "--model", "m.tflite", "--data", "digits"],
    ["tune", "--data", "digits", "--board", "esp32", "--out", "study"],
])
def test_training_commands_name_the_extra_to_install(light_venv, tmp_path, command):
    result = _run(light_venv, [light_venv / "bin" / "edgetf", *command], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: edgetf {command[0]} needs tensorflow, ")
    assert lines[0].endswith("pip install 'edgetf[train]'")
    assert list(tmp_path.iterdir()) == []  # nothing written
