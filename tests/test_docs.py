"""The documentation site builds (``mkdocs build --strict``, offline) and its C examples
compile against libraries edgetf emits. The other blocks are checked by test_readme.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from edgetf.codegen.emit_firmware import build_project
from tests.test_readme import MANUAL, ROOT, blocks
from tests.tiny_models import tiny_models

GXX = shutil.which("g++")
STUBS = ROOT / "tests" / "sdk_stubs"


def test_mkdocs_builds_strict(tmp_path):
    """Strict: a broken link, a page missing from the nav or a docstring mkdocstrings cannot
    render fails the build."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "index.html").is_file()
    api = (tmp_path / "python-api" / "index.html").read_text(encoding="utf-8")
    assert "build_project" in api and "doc-heading" in api  # rendered from the docstrings


def _c_examples() -> list[tuple[str, str]]:
    return [(name, body) for name, text in MANUAL.items() for _, body in blocks(text, "c")]


def test_there_are_c_examples():
    assert len(_c_examples()) >= 2


@pytest.mark.skipif(GXX is None, reason="g++ not found: compile checks need it")
@pytest.mark.parametrize("index", range(len(_c_examples())))
def test_c_example_compiles_against_the_libraries_it_includes(index, tmp_path):
    """Each C example, as a translation unit, against freshly emitted libraries named as
    its #includes say (C99 and C++17: both kinds of caller)."""
    name, body = _c_examples()[index]
    libraries = re.findall(r'#include "(\w+)_inferencing\.h"', body)
    assert libraries, name
    flags = []
    for library in libraries:
        if f"{library}_classify_float" in body:  # float windows in: a motion front end
            result = _motion_library(library)
        elif f"{library}_classify" in body:  # raw samples in: a library with a front end
            result = _impulse_library(library)
        else:
            result = build_project(tiny_models()["cnn"], "nano33ble", name=library)
        for path, content in result.files.items():
            if path.startswith(f"lib/{library}_inferencing/src/"):
                target = tmp_path / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        flags.append(f"-I{tmp_path / f'lib/{library}_inferencing/src'}")
    example = tmp_path / "example.c"
    example.write_text(body)
    for compiler, standard in (("gcc", "c99"), ("g++", "c++17")):
        language = "c" if compiler == "gcc" else "c++"
        result = subprocess.run(
            [compiler, f"-std={standard}", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
             *flags, "-x", language, str(example)], capture_output=True, text=True)
        assert result.returncode == 0, (name, result.stderr)


def _impulse_library(name: str):
    from edgetf.base.progress import Reporter
    from edgetf.codegen.impulse import impulse_for
    from edgetf.targets.prepared import prepare_model
    from tests.conftest import shared_model_path

    model = shared_model_path("micro_speech_quantized.tflite")
    prepared = prepare_model(model.read_bytes(), model.name, golden=0)
    impulse = impulse_for(prepared, "audio", None, None, None, 0, Reporter(quiet=True))
    return build_project(prepared, "esp32", name=name, golden=0, impulse=impulse)


def _motion_library(name: str):
    from edgetf.codegen.motion_impulse import make_motion_impulse
    from edgetf.targets.prepared import prepare_model
    from tests.codegen.test_motion_impulse import RECORD, classifier

    prepared = prepare_model(classifier(), "gesture.tflite", golden=0)
    impulse = make_motion_impulse(prepared, RECORD, golden=0)
    return build_project(prepared, "esp32", name=name, golden=0, impulse=impulse)


def test_every_docs_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {path.relative_to(ROOT / "docs").as_posix() for path in (ROOT / "docs").rglob("*.md")}
    assert pages <= set(re.findall(r": ([\w/.-]+\.md)$", nav, re.M)), pages
