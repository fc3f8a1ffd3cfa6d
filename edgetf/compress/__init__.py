"""Compression steps applied to a trained tf_keras model, in order: prune, cluster, QAT.

Each step takes a model and returns a new one plus a :class:`StepReport` saying
which layers it changed and which it could not handle, and why.
"""

from edgetf.compress.cluster import cluster
from edgetf.compress.common import StepReport
from edgetf.compress.prune import prune
from edgetf.compress.qat import quantization_aware_train

__all__ = ["StepReport", "cluster", "prune", "quantization_aware_train"]
