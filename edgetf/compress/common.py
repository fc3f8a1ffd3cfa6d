"""What every compression step shares: its report and how it fine-tunes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from edgetf.base.progress import Reporter
from edgetf.base.tf_import import import_tf
from edgetf.compress.distill import Distillation
from edgetf.data.datasets import Dataset

BATCH_SIZE = 32


@dataclass
class StepReport:
    """Which layers a step changed, and which it left alone and why.

    ``per_layer`` (what the step did to each changed layer) and ``results`` (figures
    measured during the step) are for steps that have them, and only reported when set.
    """

    step: str
    settings: dict
    layers: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    per_layer: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict)

    def skip(self, layer, reason: str) -> None:
        self.skipped.append({"layer": layer.name, "type": type(layer).__name__, "reason": reason})

    def to_dict(self) -> dict:
        report = {
            "step": self.step,
            "settings": self.settings,
            "layers": self.layers,
            "skipped": self.skipped,
        }
        if self.per_layer:
            report["per_layer"] = self.per_layer
        if self.results:
            report["results"] = self.results
        return report


@dataclass(frozen=True)
class Training:
    """How to (re)train a model on the dataset; shared by training and every step.

    With ``distillation`` every fit, the first training and each step's fine-tuning
    alike, learns from the teacher as well as from the labels, so compression does
    not undo what distillation gained.
    """

    data: Dataset
    reporter: Reporter
    from_logits: bool = False
    distillation: Distillation | None = None

    def fit(self, model, *, epochs: int, learning_rate: float, description: str, callbacks=()):
        """Compile with Adam and sparse cross-entropy (or the distillation loss), then fit
        with a progress bar."""
        _, keras = import_tf()
        y_train, y_val = self.data.y_train, self.data.y_val
        if self.distillation is None:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=self.from_logits)
            metrics = ["accuracy"]
        else:
            loss = self.distillation.loss(from_logits=self.from_logits)
            metrics = self.distillation.metrics()
            y_train = self.distillation.targets(y_train, "train")
            y_val = self.distillation.targets(y_val, "val")
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
        if epochs <= 0:
            return model
        model.fit(
            self.data.x_train,
            y_train,
            batch_size=BATCH_SIZE,
            epochs=epochs,
            validation_data=(self.data.x_val, y_val),
            verbose=0,
            callbacks=[*callbacks, self.reporter.keras_callback(description, epochs)],
        )
        return model

    def without_distillation(self) -> Training:
        """The same training on the labels alone."""
        return replace(self, distillation=None)

    def steps_per_epoch(self) -> int:
        return int(np.ceil(len(self.data.x_train) / BATCH_SIZE))


def keras_accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy of a Keras model, computed the same way as for the interpreters."""
    scores = model.predict(x, batch_size=256, verbose=0)
    return float(np.mean(np.argmax(scores, axis=-1) == y))


def has_trainable_weights(layer) -> bool:
    return bool(layer.trainable_weights)
