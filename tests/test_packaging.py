"""The wheel alone is enough: it carries the templates and firmware sources, and an
installation from it, in a fresh virtual environment outside the source tree, emits the
same project as this checkout.

The wheel is built with ``python -m build --no-isolation`` (hatchling from the dev
extra), so no network is needed. The fresh environment gets the wheel with
``--no-deps``; its dependencies (TensorFlow and friends, gigabytes) are borrowed from
this interpreter's site-packages through a ``.pth`` file, which only appends that
folder to ``sys.path``: the editable install of edgetf living there is a ``.pth`` file
itself and is not processed, so ``edgetf`` must come from the wheel, which is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from edgetf._version import __version__
from edgetf.codegen.emit_firmware import EmitOptions, emit_firmware
from tests.tiny_models import tiny_models

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                            timeout=300, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("build", reason="the dev extra's 'build' builds the wheel")
    pytest.importorskip("hatchling", reason="the dev extra's 'hatchling' builds the wheel")
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, ROOT])
    (built,) = out.glob("edgetf-*.whl")
    return built


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_wheel_holds_the_package_templates_and_firmware(wheel):
    assert wheel.name == f"edgetf-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "firmware"):
        shipped = {f"edgetf/_bundled/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
                   for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert shipped and shipped <= names, sorted(shipped - names)
    assert "edgetf/_bundled/firmware/edgetf/edgetf_runtime.cc" in names
    assert "edgetf/_bundled/templates/library/model_metadata.h.j2" in names
    assert {"edgetf/cli/app.py", "edgetf/cli/entry.py", "edgetf/__main__.py",
            "edgetf/tflm/child.py", "edgetf/tflite/reader.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "notebooks/"))]
    metadata = zipfile.ZipFile(wheel).read(f"edgetf-{__version__}.dist-info/entry_points.txt")
    assert b"edgetf = edgetf.cli.entry:main" in metadata


def test_installed_wheel_emits_the_same_project_outside_the_source_tree(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet",
          "--no-index", wheel])
    new_site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                                        "'purelib'))"]).stdout.strip())
    (new_site / "borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "tiny.tflite").write_bytes(tiny_models()["cnn"])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run([python, "-c", "import edgetf, edgetf.codegen.resources as r; "
                  "print(edgetf.__file__); print(r.resource_dir('templates'))"],
                 cwd=work, env=env).stdout.split()
    assert all(Path(p).is_relative_to(env_dir) for p in where), where
    assert "_bundled" in where[1]
    edgetf = env_dir / "bin" / "edgetf"
    assert _run([edgetf, "--version"], cwd=work, env=env).stdout.strip() == \
        f"edgetf {__version__}"
    _run([edgetf, "-q", "emit-firmware", "--model", "tiny.tflite", "--board", "esp32",
          "--out", "fw"], cwd=work, env=env)

    emit_firmware(EmitOptions(board="esp32", out=tmp_path / "here", model=work / "tiny.tflite"))
    installed, here = _tree(work / "fw"), _tree(tmp_path / "here")
    assert installed.keys() == here.keys() and len(installed) == 33
    assert installed == here
