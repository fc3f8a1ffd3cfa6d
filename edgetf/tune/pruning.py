"""Stopping unpromising trials early, on their per-epoch validation accuracy.

Optuna's pruners only work in single-objective studies (``Trial.report`` raises
NotImplementedError in a multi-objective one, as Optuna 5.0 does), so each trial has a
twin in a companion study (``<study>.epochs.<architecture>``, same storage): the twin
receives the validation accuracy after every epoch of the trial's training, and Optuna's
:class:`~optuna.pruners.MedianPruner` compares it, epoch for epoch, with the twins of the
earlier trials of the same architecture. Only the training is reported (not the
fine-tuning of the compression steps, whose accuracy dips by design), so the comparison is
between like epochs; and only within an architecture, because a small MLP (often the only
model that fits) learns more slowly per epoch than a CNN that does not fit: in a first
benchmark on digits with one median over all, an MLP trial was stopped at epoch 3 at 67 %
while the MLPs were the only trials that met the caps.
"""

from __future__ import annotations

import io

from rich.console import Console

from edgetf.base.progress import Reporter
from edgetf.base.tf_import import import_tf

#: Trials before the pruner starts judging, and epochs of each trial it never judges.
STARTUP_TRIALS = 5
WARMUP_EPOCHS = 2


def make_pruner():
    import optuna

    return optuna.pruners.MedianPruner(n_startup_trials=STARTUP_TRIALS,
                                       n_warmup_steps=WARMUP_EPOCHS)


class EpochTwin:
    """The trial's twin in the companion study: reports epochs, says when to stop."""

    def __init__(self, study, number: int):
        self.study = study
        self.trial = study.ask()
        self.trial.set_user_attr("tune_trial", number)
        self.last: float | None = None
        self.pruned_at: int | None = None

    def epoch_ended(self, epoch: int, accuracy: float) -> None:
        """Report one epoch; raise ``optuna.TrialPruned`` when the pruner says so."""
        import optuna

        self.last = accuracy
        self.trial.report(accuracy, epoch)
        if self.trial.should_prune():
            self.pruned_at = epoch
            raise optuna.TrialPruned(f"epoch {epoch + 1}: validation accuracy "
                                     f"{100 * accuracy:.1f} % is below the median of the "
                                     "earlier trials at that epoch")

    def finish(self, state: str) -> None:
        """``state``: "complete", "pruned" or "fail", as the trial itself ended."""
        import optuna

        states = {"complete": optuna.trial.TrialState.COMPLETE,
                  "pruned": optuna.trial.TrialState.PRUNED,
                  "fail": optuna.trial.TrialState.FAIL}
        if state == "complete" and self.last is None:
            state = "fail"  # nothing was reported (no training epochs)
        self.study.tell(self.trial, self.last if state == "complete" else None,
                        state=states[state])


class TrialReporter(Reporter):
    """Silent (the tuner prints one line per trial), and the first fit's epochs go to the
    twin."""

    def __init__(self, twin: EpochTwin | None):
        super().__init__(quiet=True, console=Console(file=io.StringIO()))
        self.twin = twin
        self._fits = 0

    def keras_callback(self, description: str, epochs: int):
        inner = super().keras_callback(description, epochs)
        self._fits += 1
        if self.twin is None or self._fits > 1:
            return inner
        return _reporting(inner, self.twin)


def _reporting(inner, twin: EpochTwin):
    """A Keras callback that does what ``inner`` does and reports each epoch to ``twin``."""
    _, keras = import_tf()

    class _Reporting(keras.callbacks.Callback):
        def set_params(self, params):
            super().set_params(params)
            inner.set_params(params)

        def set_model(self, model):
            super().set_model(model)
            inner.set_model(model)

        def on_train_begin(self, logs=None):
            inner.on_train_begin(logs)

        def on_train_batch_end(self, batch, logs=None):
            inner.on_train_batch_end(batch, logs)

        def on_epoch_end(self, epoch, logs=None):
            inner.on_epoch_end(epoch, logs)
            accuracy = (logs or {}).get("val_accuracy")
            if accuracy is not None:
                twin.epoch_ended(epoch, float(accuracy))

        def on_train_end(self, logs=None):
            inner.on_train_end(logs)

    return _Reporting()
