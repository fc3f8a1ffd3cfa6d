"""Weight clustering (k-means++ centroids), sparsity-preserving after pruning."""

from __future__ import annotations

import numpy as np

from edgetf.base.errors import OptimizationError
from edgetf.base.tf_import import import_tf
from edgetf.compress.common import StepReport, Training, has_trainable_weights

LEARNING_RATE = 1e-4  # tfmot's guidance: fine-tune clustered models with a small rate


def cluster(model, training: Training, *, clusters: int, per_channel: bool,
            preserve_sparsity: bool, epochs: int):
    """Cluster each supported layer's kernel to at most ``clusters`` values.

    With ``preserve_sparsity`` (set after pruning) the zero weights stay zero, so
    the int8 model keeps both the sparsity and the small set of values.
    """
    _, keras = import_tf()
    import tensorflow_model_optimization as tfmot
    from tensorflow_model_optimization.python.core.clustering.keras.clustering_registry import (
        ClusteringRegistry,
    )

    api = tfmot.clustering.keras
    settings = {"clusters": clusters, "per_channel": per_channel,
                "preserve_sparsity": preserve_sparsity, "epochs": epochs}
    report = StepReport("cluster", settings)
    frozen = []

    def leave_alone(layer, reason: str):
        report.skip(layer, reason)
        kernel = _kernel(layer)
        if preserve_sparsity and kernel is not None and np.any(kernel.numpy() == 0):
            # A pruned layer left unclustered has no mask any more: fine-tuning would
            # fill its zeros. Worse, tfmot 0.8.1's PCQAT shares one weights quantizer
            # between all layers and, on meeting a layer without zeros, switches sparsity
            # preservation off in it, so for every layer ("Input layer does not contain
            # zero weights, so apply CQAT instead"). Frozen here, the layer keeps them.
            layer.trainable = False
            frozen.append(layer)
        return layer

    def wrap(layer):
        if not has_trainable_weights(layer):
            return layer
        if not ClusteringRegistry.supports(layer) or not _clusterable(layer, ClusteringRegistry):
            # e.g. DepthwiseConv2D: registered by tfmot, but with no clusterable weight
            return leave_alone(layer, f"tfmot does not cluster {type(layer).__name__} layers")
        kernel = _kernel(layer)
        if kernel is not None and int(np.prod(kernel.shape)) <= clusters:
            return leave_alone(layer, f"its {int(np.prod(kernel.shape))} weights are not more "
                                      f"than {clusters} clusters")
        layer_per_channel = per_channel and type(layer).__name__ == "Conv2D"
        if per_channel and not layer_per_channel:
            report.skip(layer, "clustered per tensor: tfmot clusters per channel only for Conv2D")
        if layer_per_channel:
            weights = kernel.numpy()
            per = weights.size // weights.shape[-1]
            if per <= clusters:  # Conv2D is quantized per channel: already few enough
                return leave_alone(layer, f"its {per} weights per output channel are not "
                                          f"more than {clusters} clusters")
            problem = _per_channel_problem(weights, clusters) if preserve_sparsity else None
            if problem:
                layer_per_channel = False
                report.skip(layer, f"clustered per tensor: {problem}")
        report.layers.append(layer.name)
        return api.cluster_weights(
            layer,
            number_of_clusters=clusters,
            cluster_centroids_init=api.CentroidInitialization.KMEANS_PLUS_PLUS,
            cluster_per_channel=layer_per_channel,
            preserve_sparsity=preserve_sparsity,
        )

    try:
        wrapped = keras.models.clone_model(model, clone_function=wrap)
    except (ValueError, TypeError) as error:
        raise OptimizationError(f"clustering failed: {str(error).splitlines()[0]}") from None
    if not report.layers:
        raise OptimizationError(
            "--cluster: no layer of this model can be clustered by tfmot (it clusters Dense "
            "and Conv kernels with more weights than clusters); drop --cluster"
        )
    training.fit(wrapped, epochs=epochs, learning_rate=LEARNING_RATE,
                 description=f"cluster to {clusters} values")
    for layer in frozen:
        layer.trainable = True
    return api.strip_clustering(wrapped), report


def _per_channel_problem(kernel: np.ndarray, clusters: int) -> str | None:
    """Why tfmot's sparsity-preserving per-channel k-means++ would fail on ``kernel``.

    tfmot 0.8.1 keeps one centroid at zero and shares the other K - 1 between each
    channel's negative and positive weights in proportion to their counts (rounded
    half to even, like ``tf.math.round``); a channel with fewer weights of a sign than
    centroids given to it stops k-means++ ("Expected num_to_sample <= points.rows()"),
    and one with no non-zero weight leaves the channels' centroid lists ragged.
    Clustered per tensor instead, the Conv2D channels still get at most K values each.
    """
    for channel in kernel.reshape(-1, kernel.shape[-1]).T:
        negative, positive = int(np.sum(channel < 0)), int(np.sum(channel > 0))
        if negative + positive == 0:
            return "a pruned channel holds no non-zero weight, which tfmot cannot cluster"
        to_negative = int(np.round((clusters - 1) * negative / (negative + positive)))
        if to_negative > negative or clusters - 1 - to_negative > positive:
            return (f"a pruned channel holds {negative + positive} non-zero weights, too few "
                    f"for tfmot's per-channel k-means++ with {clusters} clusters")
    return None


def _clusterable(layer, registry) -> bool:
    """tfmot lists some layers (DepthwiseConv2D) as supported but clusters none of their weights."""
    if layer.__class__ not in registry._LAYERS_WEIGHTS_MAP:
        return True  # RNN and attention layers: tfmot finds their weights itself
    return bool(registry._weight_names(layer))


def _kernel(layer):
    for weight in layer.weights:
        if "kernel" in weight.name:
            return weight
    return None
