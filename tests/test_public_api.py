"""``import edgetf``: the stage functions a notebook calls, without TensorFlow until used."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import edgetf

PYTHON_API = (Path(__file__).resolve().parents[1] / "docs" / "python-api.md").read_text(
    encoding="utf-8")


def test_import_edgetf_imports_no_tensorflow():
    code = ("import sys, edgetf; edgetf.BOARDS; edgetf.get_board('esp32'); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip() == "[]"


def test_every_exported_name_resolves_to_its_stage():
    from edgetf.analyze.inspect import inspect_file
    from edgetf.codegen.emit_firmware import build_project
    from edgetf.targets.boards import BOARDS
    from edgetf.tune.tune import tune

    for name in edgetf.__all__:
        assert getattr(edgetf, name) is not None, name
    assert edgetf.inspect_file is inspect_file and edgetf.build_project is build_project
    assert edgetf.BOARDS is BOARDS and edgetf.tune_models is tune
    assert set(edgetf.__all__) <= set(dir(edgetf))


def test_unknown_name_is_an_attribute_error():
    try:
        edgetf.no_such_stage  # noqa: B018
    except AttributeError as error:
        assert "no_such_stage" in str(error)
    else:
        raise AssertionError("edgetf.no_such_stage resolved")


def test_python_api_page_lists_exactly_the_exports():
    section = PYTHON_API.split("## Reference", 1)[0]
    rows = re.findall(r"^\| (`edgetf\.[^|]+) \|", section, flags=re.M)
    listed = {name for row in rows for name in re.findall(r"`edgetf\.(\w+)`", row)}
    assert listed == set(edgetf.__all__)
