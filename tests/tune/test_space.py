"""The search space and tune's options: defaults, overrides, refusals, and what a trial
draws from it (no training here)."""

from __future__ import annotations

import pytest

from edgetf.base.errors import ConfigError
from edgetf.train.options import FIELD_NAMES, TrainQuantizeOptions
from edgetf.tune.options import load_tune_options
from edgetf.tune.space import build_space
from edgetf.tune.study import quiet_optuna

IMAGE = (8, 8, 1)


def _space(overrides=None, *, base=None, fixed=(), shape=IMAGE, user_model=False):
    return build_space(overrides or {}, base or TrainQuantizeOptions(), fixed=set(fixed),
                       input_shape=shape, user_model=user_model)


def test_default_space_for_images():
    space = _space()
    expected = ["model", "width", "depth", "learning_rate", "epochs", "low_rank", "prune",
                "prune_structure", "cluster", "qat"]
    expected += [name for name in ("binary_weights", "weight_bits") if name in FIELD_NAMES]
    assert sorted(space.domains) == sorted(expected)
    assert space.domains["model"].choices == ("tiny-cnn", "ds-cnn", "mlp")
    assert "distill" not in space.domains  # no teacher given


def test_vectors_user_models_teachers_and_fixed_options_shape_the_space():
    assert _space(shape=(12,)).domains["model"].value == "mlp"
    mine = _space(base=TrainQuantizeOptions(model="mine.keras"), fixed={"model"},
                  user_model=True)
    assert not {"model", "width", "depth", "learning_rate", "epochs"} & set(mine.domains)
    assert {"prune", "cluster", "qat", "low_rank"} <= set(mine.domains)
    taught = _space(base=TrainQuantizeOptions(distill_from="runs/teacher"),
                    fixed={"distill_from"})
    assert taught.domains["distill"].choices == (True, False)
    fixed = _space(base=TrainQuantizeOptions(epochs=3, model="mlp"), fixed={"epochs", "model"})
    assert "epochs" not in fixed.domains and "model" not in fixed.domains
    assert "width" in fixed.domains  # a fixed architecture still has its size searched


@pytest.mark.parametrize(("overrides", "kwargs", "fragment"), [
    ({"widht": 1, "zzz": 2}, {}, "unknown key(s) 'widht', 'zzz'; the space has model, width"),
    ({"epochs": [1, 2]}, {"fixed": {"epochs"}}, "'epochs' is also fixed for every trial"),
    ({"width": [0.5]}, {"user_model": True,
                        "base": TrainQuantizeOptions(model="mine.keras")},
     "only the compression steps are searched"),
    ({"distill": [True, False]}, {}, "'distill' needs a teacher"),
    ({"width": {"low": 1.0, "high": 0.5}}, {}, "needs low < high"),
    ({"width": {"low": 0.25, "high": 1.0, "step": 0.3}}, {}, "must be positive and divide"),
    ({"learning_rate": {"low": 0, "high": 0.1, "log": True}}, {}, "log range needs low > 0"),
    ({"width": {"low": 0.5}}, {}, "range needs low and high"),
    ({"qat": {"low": 0, "high": 1}}, {}, "'qat' takes a list of values, not a range"),
    ({"cluster": [8, 8]}, {}, "must list distinct values"),
    ({"width": "wide"}, {}, "'width' takes float values, got 'wide'"),
    ({"cluster": [0, 1]}, {}, "'cluster' value 1: --cluster 1 is outside 2..256"),
    ({"depth": {"low": 1, "high": 12}}, {}, "'depth' value 12: --depth 12 is outside 1..8"),
    ({"model": ["tiny-cnn"]}, {"shape": (12,)}, "model 'tiny-cnn' is not a built-in"),
    ({"prune_structure": ["none", "4:2"]}, {}, "is not M:N"),
])
def test_bad_overrides_are_refused_by_name(overrides, kwargs, fragment):
    with pytest.raises(ConfigError, match=None) as caught:
        _space(overrides, **kwargs)
    assert fragment in str(caught.value) and str(caught.value).startswith("[tune.space]")


@pytest.mark.parametrize("name", ["weight_bits", "binary_weights"])
def test_steps_of_a_newer_train_quantize_are_switched_on_only_when_they_exist(name):
    if name in FIELD_NAMES:
        assert name in _space().domains
        return
    assert name not in _space().domains
    with pytest.raises(ConfigError, match=f"needs train-quantize's --{name.replace('_', '-')}"):
        _space({name: [True, False] if name == "binary_weights" else [8, 4]})


def test_overrides_lists_ranges_and_fixed_values():
    space = _space({"model": ["mlp", "ds-cnn"], "width": {"low": 0.5, "high": 1.0,
                                                          "step": 0.25},
                    "epochs": 7, "prune": [0, 0.5], "qat": [True]})
    assert space.domains["model"].choices == ("mlp", "ds-cnn")
    assert space.domains["epochs"].value == 7 and not space.domains["epochs"].searched
    assert space.domains["qat"].value is True
    assert "epochs" not in space.searched() and "width" in space.searched()
    assert dict(space.describe())["width"] == "0.5 .. 1 step 0.25"


def test_every_draw_is_a_valid_train_quantize_run():
    optuna = quiet_optuna()
    space = _space()
    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=optuna.samplers.RandomSampler(seed=3))
    seen_structure, seen_binary = set(), set()
    for _ in range(60):
        trial = study.ask()
        choices = space.suggest(trial)
        options = space.options(choices, out="runs/x").check()
        assert options.out == "runs/x" and options.force
        assert ("prune_structure" in choices) == (choices["prune"] > 0)
        assert options.prune == (choices["prune"] or None)
        assert options.cluster == (choices.get("cluster") or None)
        binary = choices.get("binary_weights", "off") != "off"
        # The exclusions train-quantize's checks enforce, kept by the space itself.
        assert ("binary_weights" in choices) == (choices["prune"] == 0)
        assert ("cluster" in choices) == (not binary)
        assert ("weight_bits" in choices) == (not binary and not choices.get("cluster"))
        assert options.binary_weights == ("inner" if binary else None)
        seen_binary.add(binary)
        assert options.low_rank == (choices["low_rank"] or None)
        assert (options.model, options.width, options.depth) == (
            choices["model"], choices["width"], choices["depth"])
        seen_structure.add(options.prune_structure)
        study.tell(trial, [0.5, 1.0])
    assert seen_structure == {None, "2:4"} and seen_binary == {False, True}


def test_distill_off_drops_the_teacher():
    space = _space(base=TrainQuantizeOptions(distill_from="t", distill_alpha=0.5),
                   fixed={"distill_from", "distill_alpha"})
    assert space.options({"distill": False}).distill_from is None
    assert space.options({"distill": False}).check().distill_alpha == 0.9
    assert space.options({"distill": True}).distill_alpha == 0.5


def test_latency_becomes_an_objective_when_capped():
    from edgetf.tune.study import directions

    plain = load_tune_options(board="esp32", out="runs/t")
    capped = load_tune_options(board="esp32", out="runs/t", max_latency_ms=5)
    assert directions(plain) == ["maximize", "minimize", "minimize"]
    assert directions(capped) == ["maximize", "minimize", "minimize", "minimize"]
    assert capped.caps().constraint_names() == ["board", "max_latency_ms"]


def test_the_config_file(tmp_path):
    config = tmp_path / "edgetf.toml"
    config.write_text('[tune]\nboard = "esp32"\nmax-flash = 90000\nout = "runs/t"\n'
                      'fine-tune-epochs = 2\nmodel = "mlp"\n'
                      '[tune.space]\nlow-rank = 0\nwidth = [0.5, 1]\n')
    options = load_tune_options(config, trials=3)
    assert (options.board, options.max_flash, options.trials) == ("esp32", 90000, 3)
    assert options.train == {"fine_tune_epochs": 2} and options.model == "mlp"
    assert options.space == {"low_rank": 0, "width": [0.5, 1]}
    assert options.fixed() == {"fine_tune_epochs", "model"}
    assert options.base_options().fine_tune_epochs == 2
    assert load_tune_options(config, max_flash=80000).max_flash == 80000  # the flag wins
    for text, fragment in [("[tune]\nwidht = 1\n", "unknown key 'widht'"),
                           ("[tune]\ntrials = 'many'\n", "'trials' should be int"),
                           ("[tune]\nprune = 'half'\n", "'prune' should be float"),
                           ("[tune]\nforce = true\n", "force is not a tune option"),
                           ("[tune]\nspace = 3\n", "'space' must be a table")]:
        config.write_text(text)
        with pytest.raises(ConfigError, match=None) as caught:
            load_tune_options(config, board="esp32", out="runs/t")
        assert fragment in str(caught.value)
