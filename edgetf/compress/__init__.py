"""Compression steps applied to a trained tf_keras model, in order: low-rank, prune,
cluster or binarize, QAT (distillation, in :mod:`edgetf.compress.distill`, is a way to train).

Each step takes a model and returns a new one plus a :class:`StepReport` saying
which layers it changed and which it could not handle, and why.
"""

from edgetf.compress.binary import binarize
from edgetf.compress.cluster import cluster
from edgetf.compress.common import StepReport
from edgetf.compress.low_rank import low_rank
from edgetf.compress.prune import prune
from edgetf.compress.qat import quantization_aware_train

__all__ = ["StepReport", "binarize", "cluster", "low_rank", "prune",
           "quantization_aware_train"]
