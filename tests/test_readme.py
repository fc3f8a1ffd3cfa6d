"""The README is the manual: its commands and examples must be the real ones."""

from __future__ import annotations

import re
from pathlib import Path

from edgetf.options import load_options

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command_exactly():
    test_command = _blocks("bash")[1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == test_command


def test_config_example_is_valid(tmp_path):
    (config,) = _blocks("toml")
    path = tmp_path / "edgetf.toml"
    path.write_text(config)
    options = load_options(path)
    assert options.prune == 0.5 and options.cluster == 16 and options.out == "runs/digits"


def test_every_flag_in_a_command_section_exists():
    """Each "## `edgetf <command>`" section only names flags that command has."""
    from typer.testing import CliRunner

    from edgetf.cli import app

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
    assert checked == 5
