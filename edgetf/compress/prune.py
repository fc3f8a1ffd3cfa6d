"""Magnitude pruning with tfmot's polynomial-decay schedule, optionally M:N structured."""

from __future__ import annotations

from edgetf.base.errors import OptimizationError
from edgetf.base.tf_import import import_tf
from edgetf.compress.common import StepReport, Training, has_trainable_weights

LEARNING_RATE = 5e-4  # fine-tuning, lower than training so the surviving weights settle


def prune(model, training: Training, *, sparsity: float, structure: tuple[int, int] | None,
          epochs: int):
    """Prune every layer tfmot can prune to ``sparsity``; return the stripped model.

    Layers are wrapped in place (tfmot's own clone-and-wrap pattern), so the
    input model's layers are shared with, and changed by, the pruned one.

    The schedule ramps from 0 to the target over all but the last epoch, so the
    last epoch fine-tunes at full sparsity.
    """
    _, keras = import_tf()
    import tensorflow_model_optimization as tfmot
    from tensorflow_model_optimization.python.core.sparsity.keras.prune_registry import (
        PruneRegistry,
    )

    sparsity_api = tfmot.sparsity.keras
    ramp_steps = max(1, training.steps_per_epoch() * max(1, epochs - 1))
    schedule = sparsity_api.PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=sparsity, begin_step=0, end_step=ramp_steps,
        frequency=max(1, training.steps_per_epoch() // 4),
    )
    settings = {"sparsity": sparsity, "schedule": "polynomial_decay", "epochs": epochs}
    if structure:
        settings["structure"] = f"{structure[0]}:{structure[1]}"
    report = StepReport("prune", settings)

    def wrap(layer):
        if not has_trainable_weights(layer):
            return layer
        if not PruneRegistry.supports(layer) or not PruneRegistry._weight_names(layer):
            report.skip(layer, f"tfmot does not prune {type(layer).__name__} layers")
            return layer
        if structure and type(layer).__name__ not in ("Conv2D", "Dense"):
            report.skip(layer, "tfmot applies M:N sparsity to Conv2D and Dense only")
            return layer
        report.layers.append(layer.name)
        return sparsity_api.prune_low_magnitude(
            layer, pruning_schedule=schedule, sparsity_m_by_n=structure
        )

    try:
        wrapped = keras.models.clone_model(model, clone_function=wrap)
    except (ValueError, TypeError) as error:
        raise OptimizationError(f"pruning failed: {str(error).splitlines()[0]}") from None
    if not report.layers:
        raise OptimizationError(
            "--prune: no layer of this model can be pruned by tfmot (it prunes Dense, "
            "Conv and LSTM kernels); drop --prune"
        )
    training.fit(
        wrapped, epochs=epochs, learning_rate=LEARNING_RATE,
        description=f"prune to {sparsity:.0%}",
        callbacks=[sparsity_api.UpdatePruningStep()],
    )
    return sparsity_api.strip_pruning(wrapped), report
