"""The compression steps of ``train_quantize`` as one table, in the order they run.

Each :class:`Step` says when the options ask for it and how to run it; ``train_quantize``
loops over :data:`STEPS` instead of naming each step. A new step is one entry here (and
its options in :class:`~edgetf.train.options.TrainQuantizeOptions`). Distillation is not
a step: it is how every step's fine-tuning trains (:class:`~edgetf.compress.common.Training`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edgetf import compress
from edgetf.compress.common import StepReport, Training
from edgetf.train.options import TrainQuantizeOptions


@dataclass
class StepContext:
    """What a run's steps hand on to later ones."""

    source: str
    """The model's name for messages (a file, or a built-in architecture)."""
    per_tensor_dense: bool
    """Whether Dense weights end up per tensor (QAT, or a board that needs it)."""
    binary: dict[str, tuple[int, ...]] | None = None
    """The binarized layers and their alpha axes, kept through QAT."""


@dataclass(frozen=True)
class Step:
    """One compression step: its name (report and timings), when it runs, how."""

    name: str
    applies: Callable[[TrainQuantizeOptions], bool]
    run: Callable[[object, Training, TrainQuantizeOptions, StepContext],
                  tuple[object, StepReport]]
    quantizes: bool = False
    """The step that quantizes (QAT): the float accuracy after compression is measured
    before it."""


def _low_rank(model, training, options, context):
    return compress.low_rank(model, training, ratio=options.low_rank,
                             energy=options.low_rank_energy, epochs=options.fine_tune_epochs)


def _prune(model, training, options, context):
    return compress.prune(model, training, sparsity=options.prune,
                          structure=options.structure(), epochs=options.fine_tune_epochs)


def _cluster(model, training, options, context):
    model, step = compress.cluster(model, training, clusters=options.clusters,
                                   per_channel=options.clusters_per_channel,
                                   preserve_sparsity=options.pruning,
                                   epochs=options.fine_tune_epochs)
    if options.weight_bits is not None:
        step.settings["weight_bits"] = options.weight_bits
    return model, step


def _binarize(model, training, options, context):
    # Dense kernels binarized per tensor where their int8 weights will be (QAT: tfmot's
    # config; the converter alone: per channel, unless a board needs per tensor)
    model, step = compress.binarize(
        model, training, layers=options.binary_weights,
        per_tensor=("Dense",) if context.per_tensor_dense else (),
        epochs=options.fine_tune_epochs)
    context.binary = {row["layer"]: tuple(row["alpha_axes"]) for row in step.per_layer}
    return model, step


def _qat(model, training, options, context):
    return compress.quantization_aware_train(
        model, training, pruned=options.pruning, clustered=bool(options.clusters),
        epochs=options.fine_tune_epochs, source=context.source, binary=context.binary)


#: The steps, in the order they run; each keeps what the earlier ones did.
STEPS: tuple[Step, ...] = (
    Step("low_rank", lambda options: options.factoring, _low_rank),
    Step("prune", lambda options: options.pruning, _prune),
    Step("cluster", lambda options: bool(options.clusters), _cluster),
    Step("binary", lambda options: bool(options.binary_weights), _binarize),
    Step("qat", lambda options: options.qat, _qat, quantizes=True),
)
