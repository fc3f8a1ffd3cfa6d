"""The README is the manual: its commands and examples must be the real ones."""

from __future__ import annotations

import re
from pathlib import Path

from edgetf.train.options import load_options

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command_exactly():
    test_command = _blocks("bash")[1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == test_command


def test_config_examples_are_valid(tmp_path):
    train, tune = _blocks("toml")
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


def test_tune_search_space_table_is_the_default_space():
    """Each entry of the table says what the default space has, and every entry is there."""
    from edgetf.tune.space import PARAMS

    section = README.split("## `edgetf tune`", 1)[1].split("\n## ", 1)[0]
    rows = {m[0]: m[1] for m in re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|", section, re.M)}
    assert set(rows) == {param.name.replace("_", "-") for param in PARAMS}
    for param in PARAMS:
        shown = rows[param.name.replace("_", "-")].strip()
        if param.default is None:
            assert shown.startswith("not searched"), param.name
        else:
            assert shown == param.default.describe(), (param.name, shown)


def test_every_flag_in_a_command_section_exists():
    """Each "## `edgetf <command>`" section only names flags that command has."""
    from typer.testing import CliRunner

    from edgetf.cli.app import app

    runner = CliRunner()
    sections = re.split(r"^## ", README, flags=re.M)
    checked = 0
    for section in sections:
        commands = re.findall(r"`edgetf ([a-z-]+)`", section.splitlines()[0])
        if not section.startswith("`edgetf") or not commands:
            continue
        help_text = "".join(
            runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).stdout
            for command in ([[name] for name in commands] + [[]]))
        for flag in set(re.findall(r"`(--[a-z-]+)", section)):
            assert flag in help_text, (commands, flag)
        checked += 1
    assert checked == 6


def test_every_python_api_name_exists():
    """The "Python API" section's dotted names (``edgetf.x.y.name``) import and resolve."""
    import importlib

    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"`(edgetf(?:\.\w+)+)", section))
    for group in re.findall(r"`(edgetf\.\w+(?:\.\w+)*\.)(\w+(?: / \w+)+)`", section):
        names |= {group[0] + name for name in group[1].split(" / ")}
    assert len(names) >= 12
    for dotted in sorted(names):
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
