"""One small seeded study shared by the tune tests: 4 trials of 1-epoch MLPs on digits."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

#: Tiny trials (1 epoch, MLPs of at most 64 units, no QAT, no clustering) so that a trial
#: takes seconds; pruning is still searched, and the flash cap makes the wide ones infeasible.
CONFIG = """\
[tune]
data = "digits"
epochs = 1
fine-tune-epochs = 1
calibration-samples = 50

[tune.space]
model = ["mlp"]
width = {low = 0.25, high = 1.0, step = 0.25}
depth = {low = 1, high = 2}
qat = false
low-rank = 0
prune = [0, 0.5]
cluster = 0
"""
BOARD = "esp32"
MAX_FLASH = 66_500
SEED = 42


def tune_args(config, out, *extra) -> list[str]:
    return ["tune", "--config", str(config), "--board", BOARD, "--max-flash", str(MAX_FLASH),
            "--seed", str(SEED), "--out", str(out), *extra]


@pytest.fixture(scope="session")
def tune_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("tune-config") / "edgetf.toml"
    path.write_text(CONFIG)
    return path


@pytest.fixture(scope="session")
def tuned(tune_config, tmp_path_factory):
    """The CLI's run of 4 trials (in this process, like any CliRunner test)."""
    from edgetf.cli.app import app

    out = tmp_path_factory.mktemp("tune") / "study"
    result = CliRunner().invoke(app, tune_args(tune_config, out, "--trials", "4"))
    assert result.exit_code == 0, result.output
    return SimpleNamespace(out=out, stderr=result.stderr, output=result.output)
