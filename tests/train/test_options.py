"""Options: ranges, the config file, and flags overriding it."""

from __future__ import annotations

import pytest

from edgetf.base.errors import ConfigError
from edgetf.train.options import load_options


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
        ({"low_rank": 1.0}, r"--low-rank 1.0 is outside \(0, 1\)"),
        ({"low_rank": 0.0}, "outside"),
        ({"low_rank_energy": 1.5}, r"--low-rank-energy 1.5 is outside \(0, 1\]"),
        ({"low_rank": 0.5, "low_rank_energy": 0.9}, "give one of them"),
        ({"distill_temperature": 2.0}, "--distill-temperature needs --distill-from"),
        ({"distill_alpha": 0.5}, "--distill-alpha needs --distill-from"),
        ({"distill_baseline": True}, "--distill-baseline needs --distill-from"),
        ({"distill_from": "t.keras", "distill_temperature": 0.0}, "must be positive"),
        ({"distill_from": "t.keras", "distill_alpha": 1.1}, r"outside \[0, 1\]"),
        ({"weight_bits": 0}, r"--weight-bits 0 is outside 1\.\.7"),
        ({"weight_bits": 8}, r"--weight-bits 8 is outside 1\.\.7.*8 is plain int8"),
        ({"weight_bits": 2, "cluster": 4}, r"already clusters \(to 4 values.*drop --cluster$"),
        ({"weight_bits": 3, "cluster_per_channel": True}, "drop --cluster-per-channel"),
        ({"binary_weights": "half"}, "--binary-weights 'half' is not one of inner, all"),
        ({"binary_weights": "inner", "prune": 0.5},
         "--binary-weights and --prune do not combine .binary weights are never zero"),
        ({"binary_weights": "all", "cluster": 8}, "--binary-weights and --cluster do not"),
        ({"binary_weights": "all", "weight_bits": 2}, "--binary-weights and --weight-bits"),
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
    bad.write_text('low-rank = "quarter"\n')
    with pytest.raises(ConfigError, match="'low-rank' should be float"):
        load_options(bad)


def test_distillation_and_low_rank_from_the_config_file(tmp_path):
    config = tmp_path / "edgetf.toml"
    config.write_text('distill-from = "runs/teacher"\ndistill-alpha = 1\n'
                      'distill-baseline = true\nlow-rank-energy = 0.9\n')
    options = load_options(config)
    assert options.distill_from == "runs/teacher" and options.distill_alpha == 1.0
    assert options.distill_baseline and options.distill_temperature == 4.0
    assert options.low_rank_energy == 0.9 and options.low_rank is None and options.factoring


def test_weight_bits_and_binary_weights_from_the_config_file(tmp_path):
    config = tmp_path / "edgetf.toml"
    config.write_text('[train-quantize]\nweight-bits = 3\nprune = 0.5\n')
    options = load_options(config)
    assert options.weight_bits == 3 and options.clusters == 8 and options.clusters_per_channel
    config.write_text('binary_weights = "all"\n')
    assert load_options(config).binary_weights == "all"
    config.write_text('weight-bits = "two"\n')
    with pytest.raises(ConfigError, match="'weight-bits' should be int"):
        load_options(config)
    plain = load_options(cluster=16)
    assert plain.clusters == 16 and not plain.clusters_per_channel
