"""Options: ranges, the config file, and flags overriding it."""

from __future__ import annotations

import pytest

from edgetf.errors import ConfigError
from edgetf.options import load_options


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prune": 1.0}, r"--prune 1.0 is outside \[0, 1\)"),
        ({"prune": -0.1}, "outside"),
        ({"cluster": 1}, "--cluster 1 is outside 2..256"),
        ({"prune_structure": "2:4"}, "needs --prune"),
        ({"prune": 0.5, "prune_structure": "4:2"}, "not M:N"),
        ({"cluster_per_channel": True}, "needs --cluster"),
        ({"calibration_samples": 0}, "at least 1"),
    ],
)
def test_out_of_range_values_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_options(**overrides)


def test_config_file_then_flags(tmp_path):
    config = tmp_path / "edgetf.toml"
    config.write_text('[train-quantize]\nprune = 0.5\ncluster = 16\nfine-tune-epochs = 2\n')
    options = load_options(config, cluster=8)
    assert options.prune == 0.5 and options.fine_tune_epochs == 2
    assert options.cluster == 8  # the flag wins


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_options(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("prune = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_options(bad)
    bad.write_text("prunning = 0.5\n")
    with pytest.raises(ConfigError, match="unknown key 'prunning'"):
        load_options(bad)
    bad.write_text('cluster = "sixteen"\n')
    with pytest.raises(ConfigError, match="'cluster' should be int"):
        load_options(bad)
