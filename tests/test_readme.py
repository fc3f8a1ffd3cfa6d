"""The README and the docs are the manual: their commands and examples must be the real ones.

Every fenced block of README.md and docs/ is checked here or in tests/test_docs.py: each
``edgetf`` command line names a command and flags the CLI has, each other command line a
tool, extra or script that exists, the TOML examples load, the Python examples' ``edgetf``
names resolve, and the C examples compile against an emitted library (test_docs.py).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from edgetf.train.options import load_options

try:  # Python 3.11+; tomli before (a dependency there)
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
PAGES = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
         for path in sorted(DOCS.rglob("*.md"))}
MANUAL = {"README.md": README, **PAGES}
#: The languages a fenced block may have, each checked by a test below or in test_docs.py.
LANGUAGES = {"bash", "text", "toml", "python", "c"}
#: Tools other than edgetf that command lines may run (what each checks is in _check_tool).
TOOLS = {"pip", "python", "python3", "cd", "idf.py", "arduino-cli", "pio", "mkdocs"}


def blocks(text: str, language: str | None = None) -> list[tuple[str, str]]:
    """(language, body) of each fenced block of ``text``."""
    found = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)
    return [(lang, body) for lang, body in found if language is None or lang == language]


def _page(name: str) -> str:
    return PAGES[f"docs/{name}"]


def test_ci_runs_the_readme_test_command_exactly():
    test_command = blocks(README, "bash")[1][1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == test_command


def test_the_readme_is_short_and_keeps_its_two_commands_first():
    assert len(README.splitlines()) <= 300
    first, second = (body.strip() for _, body in blocks(README, "bash")[:2])
    assert first.startswith('python3 -m venv .venv && .venv/bin/pip install -e ".[train]" && ')
    assert "edgetf train-quantize" in first
    assert second.endswith(".venv/bin/pytest -q -n auto --dist loadgroup")


def test_every_block_has_a_checked_language():
    for name, text in MANUAL.items():
        for language, body in blocks(text):
            assert language in LANGUAGES, (name, language, body[:60])


def test_config_examples_are_valid(tmp_path):
    (train,) = [body for _, body in blocks(_page("commands/train-quantize.md"), "toml")]
    tune, kws = sorted((body for _, body in blocks(_page("commands/tune.md"), "toml")),
                       key=lambda body: 'data = "digits"' not in body)
    path = tmp_path / "edgetf.toml"
    path.write_text(train)
    options = load_options(path)
    assert options.prune == 0.5 and options.cluster == 16 and options.out == "runs/digits"
    from edgetf.tune.options import load_tune_options
    from edgetf.tune.trial import make_plan

    path.write_text(tune)
    plan = make_plan(load_tune_options(path))  # the data and the search space too
    assert plan.board.id == "nano33ble" and plan.space.base.fine_tune_epochs == 2
    assert plan.space.domains["qat"].value is True
    # The keyword-spotting example, on a small folder of clips: the front end searched
    # (its features are computed in the TFLM interpreter).
    from edgetf.tflm.interpreter import tflm_available
    from tests.audio_signals import tone_folder

    if not tflm_available():
        return
    clips = tone_folder(tmp_path / "clips", speakers=6, per_speaker=1)
    path.write_text(kws.replace('data = "clips"', f'data = "{clips}"'))
    plan = make_plan(load_tune_options(path))
    assert plan.space.domains["channels"].choices == (32, 40)
    assert plan.space.domains["window_ms"].value == 30.0
    assert plan.space.domains["stride_ms"].choices == (10.0, 20.0)
    assert plan.space.base.feature_params == {"pcan": True}


def test_every_toml_block_is_one_of_those_checked():
    """train-quantize's and tune's here; features.md's by tests/features (micro_speech's);
    c-api.md's [streaming] by tests/codegen/test_impulse.py (the defaults)."""
    for name, text in MANUAL.items():
        for _, body in blocks(text, "toml"):
            tomllib.loads(body)
            assert name in ("docs/commands/train-quantize.md", "docs/commands/tune.md",
                            "docs/features.md", "docs/c-api.md"), name


def test_tune_search_space_table_is_the_default_space():
    """Each entry of the table says what the default space has, and every entry is there."""
    from edgetf.tune.space import PARAMS

    section = _page("commands/tune.md")
    rows = {m[0]: m[1] for m in re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|", section, re.M)}
    assert set(rows) == {param.name.replace("_", "-") for param in PARAMS}
    for param in PARAMS:
        shown = rows[param.name.replace("_", "-")].strip()
        if param.default is None:
            assert shown.startswith("not searched"), param.name
        else:
            assert shown == param.default.describe(), (param.name, shown)


@pytest.fixture(scope="module")
def helps():
    """The ``--help`` text of every command, by command name ("" for the app)."""
    from typer.testing import CliRunner

    from edgetf.cli.app import app

    runner = CliRunner()
    commands = ("train-quantize", "emit-firmware", "inspect", "validate", "tune", "flash",
                "monitor", "features")
    texts = {name: runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).stdout
             for name in commands}
    texts[""] = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    return texts


def test_every_flag_on_a_command_page_exists(helps):
    """Each docs/commands page only names flags the commands in its title have."""
    checked = 0
    for name, text in PAGES.items():
        if not name.startswith("docs/commands/"):
            continue
        commands = re.findall(r"`edgetf ([a-z-]+)`", text.splitlines()[0])
        assert commands, name
        help_text = "".join(helps[command] for command in commands) + helps[""]
        for flag in set(re.findall(r"`(--[a-z-]+)", text)):
            assert flag in help_text, (name, flag)
        checked += 1
    assert checked == 6


def _command_lines(body: str) -> list[str]:
    """The lines of a block, comments dropped, continuation lines joined."""
    joined = body.replace("\\\n", " ")
    return [line.split(" #", 1)[0].strip() for line in joined.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _check_edgetf(words: list[str], helps: dict[str, str], where: str) -> None:
    command = words[1]
    assert command in helps and command, (where, words)
    for word in words[2:]:
        if word.startswith("--"):
            assert word.split("=", 1)[0] in helps[command] + helps[""], (where, word)


def _check_tool(words: list[str], where: str) -> None:
    tool = words[0]
    if tool == "pip":
        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
        extras = pyproject["project"]["optional-dependencies"]
        for word in words[2:]:
            match = re.fullmatch(r"edgetf\[([a-z,]+)\]", word)
            assert match or word == "edgetf", (where, word)
            for extra in (match.group(1).split(",") if match else []):
                assert extra in extras, (where, extra)
    elif tool in ("python", "python3") and words[1].endswith(".py"):
        assert (ROOT / words[1]).is_file(), (where, words[1])
    elif tool == "arduino-cli" and words[1:3] == ["lib", "install"] and "@" in words[3]:
        from edgetf.targets.boards import get_board

        assert words[3] == get_board("nano33ble").tflm_source.spec.split("/")[-1], where


def test_every_command_line_runs_a_real_command(helps):
    """bash blocks hold only commands; text blocks may hold figures, but any of their lines
    that starts with ``edgetf`` is a command and is checked."""
    checked = 0
    for name, text in MANUAL.items():
        for language, body in blocks(text):
            if language not in ("bash", "text"):
                continue
            for line in _command_lines(body):
                for part in re.split(r"\s*(?:&&|\|)\s*", line):
                    part = part.split(" > ", 1)[0]
                    words = shlex.split(part.replace("$(hostname)", "host"))
                    if words[0] == "edgetf" or words[0].endswith("/edgetf"):
                        _check_edgetf(words, helps, name)
                    elif language == "bash" or words[0] in TOOLS:
                        assert words[0] in TOOLS or words[0].startswith(".venv/bin/"), \
                            (name, part)
                        _check_tool(words, name)
                    else:
                        continue
                    checked += 1
    assert checked >= 40


def _resolve(dotted: str):
    import importlib

    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
        try:
            target = importlib.import_module(".".join(parts[:split]))
            break
        except ModuleNotFoundError:
            continue
    for attribute in parts[split:]:
        assert hasattr(target, attribute), dotted
        target = getattr(target, attribute)
    return target


def test_every_python_api_name_exists():
    """The Python API page's dotted names (``edgetf.x.y.name``) import and resolve."""
    section = _page("python-api.md")
    names = set(re.findall(r"`(edgetf(?:\.\w+)+)", section))
    names |= set(re.findall(r"^::: (edgetf(?:\.\w+)+)$", section, re.M))
    for group in re.findall(r"`(edgetf\.\w+(?:\.\w+)*\.)(\w+(?: / \w+)+)`", section):
        names |= {group[0] + name for name in group[1].split(" / ")}
    assert len(names) >= 12
    for dotted in sorted(names):
        _resolve(dotted)


def test_python_examples_compile_and_their_edgetf_names_resolve():
    for name, text in MANUAL.items():
        for _, body in blocks(text, "python"):
            compile(body, name, "exec")
            for dotted in set(re.findall(r"\b(edgetf(?:\.\w+)+)", body)):
                _resolve(dotted)
