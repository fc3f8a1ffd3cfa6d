"""The compression steps of ``train_quantize`` as one table, in the order they run.

Each :class:`Step` says when the options ask for it and how to run it; ``train_quantize``
loops over :data:`STEPS` instead of naming each step, and ``tune``'s search space has an
entry per :class:`StepOption` of the table, sampled in the table's order. A new step is one
entry here (and its options in :class:`~edgetf.train.options.TrainQuantizeOptions`; its
default search domain, if tune should search it, in ``edgetf/tune/space.py``'s
``STEP_DOMAINS``). Distillation is not a step: it is how every step's fine-tuning trains
(:class:`~edgetf.compress.common.Training`).
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
class StepOption:
    """One option a step owns, as tune's search space sees it (one entry of the space)."""

    name: str
    """The :class:`~edgetf.train.options.TrainQuantizeOptions` field, and the entry's name."""
    kind: type
    meaning: str
    """What the entry is, for tune's documentation."""
    off: object = None
    """The entry's value that leaves the option unset (None: every value is given as is)."""
    needs: tuple[str, ...] = ()
    """Options that must be set (in the trial or for every trial) for this one to apply."""
    unless: tuple[str, ...] = ()
    """Options that exclude this one when set (train-quantize refuses both together)."""
    example: object = None
    """A value that sets it, for checking the options that need it."""


@dataclass(frozen=True)
class Step:
    """One compression step: its name (report and timings), when it runs, how, and the
    options it owns."""

    name: str
    applies: Callable[[TrainQuantizeOptions], bool]
    run: Callable[[object, Training, TrainQuantizeOptions, StepContext],
                  tuple[object, StepReport]]
    quantizes: bool = False
    """The step that quantizes (QAT): the float accuracy after compression is measured
    before it."""
    options: tuple[StepOption, ...] = ()
    """Its options, in tune's sampling order: ``needs`` and ``unless`` name options of
    earlier steps or earlier in this tuple."""


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


#: The steps, in the order they run; each keeps what the earlier ones did. (Binary
#: weights and clustering never run together: their order is tune's sampling order.)
STEPS: tuple[Step, ...] = (
    Step("low_rank", lambda options: options.factoring, _low_rank, options=(
        StepOption("low_rank", float, "low-rank factorization R (0: off)", off=0.0),)),
    Step("prune", lambda options: options.pruning, _prune, options=(
        StepOption("prune", float, "pruning sparsity (0: off)", off=0.0, example=0.5),
        StepOption("prune_structure", str, "M:N structure of the pruning, when pruning",
                   off="none", needs=("prune",)))),
    Step("binary", lambda options: bool(options.binary_weights), _binarize, options=(
        StepOption("binary_weights", str, "binary weights (XNOR-Net; inner: first and last "
                   "layers 8-bit), unless pruned", off="off", unless=("prune",)),)),
    Step("cluster", lambda options: bool(options.clusters), _cluster, options=(
        StepOption("cluster", int, "clustering K (0: off), unless binary", off=0,
                   unless=("binary_weights",)),
        StepOption("weight_bits", int, "bits per weight (8: off), unless binary or clustered",
                   off=8, unless=("binary_weights", "cluster")))),
    Step("qat", lambda options: options.qat, _qat, quantizes=True, options=(
        StepOption("qat", bool, "quantization-aware training"),)),
)
