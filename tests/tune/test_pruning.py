"""Early stopping: a trial's per-epoch validation accuracy reaches Optuna's median pruner
through its twin in the companion study, and the pruner's verdict stops the real Keras fit."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.compress.common import Training
from edgetf.data.builtin_models import build_model
from edgetf.data.datasets import Dataset
from edgetf.tune.pruning import EpochTwin, TrialReporter
from edgetf.tune.study import quiet_optuna


def _companion(startup: int = 1, warmup: int = 0):
    optuna = quiet_optuna()
    return optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(
        n_startup_trials=startup, n_warmup_steps=warmup))


def _data(rng, labels_follow_x: bool) -> Dataset:
    x = rng.normal(size=(160, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) if labels_follow_x else rng.integers(0, 2, 160)
    return Dataset("toy", x[:100], y[:100], x[100:130], y[100:130], x[130:], y[130:],
                   ("a", "b"))


def test_a_trial_below_the_median_is_pruned_and_recorded():
    optuna = quiet_optuna()
    study = _companion()
    good = EpochTwin(study, number=0)
    for epoch, accuracy in enumerate((0.8, 0.9, 0.95)):
        good.epoch_ended(epoch, accuracy)
    good.finish("complete")
    poor = EpochTwin(study, number=1)
    with pytest.raises(optuna.TrialPruned, match="epoch 1: validation accuracy 20.0 %"):
        poor.epoch_ended(0, 0.2)
    poor.finish("pruned")
    states = [t.state.name for t in study.get_trials()]
    assert states == ["COMPLETE", "PRUNED"] and poor.pruned_at == 0
    assert study.get_trials()[1].user_attrs["tune_trial"] == 1


def test_the_pruner_stops_the_keras_fit_of_the_first_fit_only(rng):
    optuna = quiet_optuna()
    from edgetf.base.tf_import import import_tf

    _, keras = import_tf()
    study = _companion()
    good = EpochTwin(study, number=0)
    for epoch in range(3):
        good.epoch_ended(epoch, 1.0)  # an earlier trial that was perfect at every epoch
    good.finish("complete")

    twin = EpochTwin(study, number=1)
    reporter = TrialReporter(twin)
    keras.utils.set_random_seed(0)
    training = Training(_data(rng, labels_follow_x=False), reporter)
    model = build_model("mlp", (6,), 2, width=0.25, depth=1)
    with pytest.raises(optuna.TrialPruned):  # raised from the callback, out of model.fit
        training.fit(model, epochs=3, learning_rate=1e-3, description="train")
    assert twin.pruned_at == 0 and list(twin.trial.study.get_trials()[1].intermediate_values)
    # Later fits (the compression steps' fine-tuning) are not reported to the twin.
    training.fit(model, epochs=2, learning_rate=1e-3, description="prune")
    assert len(study.get_trials()[1].intermediate_values) == 1


def test_without_a_twin_the_reporter_is_silent(rng, capsys):
    reporter = TrialReporter(None)
    reporter.info("hidden")
    reporter.warn("kept for the report")
    assert reporter.warnings == ["kept for the report"]
    assert capsys.readouterr().err == ""
