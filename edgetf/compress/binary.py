"""Binary-weight networks (XNOR-Net's BWN, Rastegari et al. 2016): weights ``alpha·sign(W)``.

Each output channel's kernel becomes ``alpha·sign(W)``, ``alpha`` the mean ``|W|`` of that
channel, so the int8 model holds two values per channel (``+q`` and ``-q``) and TFLM's
look-up-table weights store it in one bit. Fine-tuning keeps the real-valued ("latent")
weights: the forward pass uses the binarized kernel, and the gradient reaches the latent
weights through a straight-through estimator, cancelled where ``|W| > 1`` (the hard-tanh
STE of XNOR-Net and BinaryConnect), plus the exact gradient through ``alpha``.

The first and last weighted layers stay 8-bit unless every layer is asked for: they hold
few weights and most of the accuracy (XNOR-Net keeps them real-valued too).

Where a layer's int8 weights will be quantized **per tensor** (Dense under tfmot's QAT),
``alpha`` is one value for the whole kernel: TFLM's LUT then has a single value table for
the tensor, and per-channel alphas would fill it with ``2·channels`` values (7 bits, not 1).

After the step the kernels are exactly ``±alpha``; :func:`keep_binary` keeps them so
during QAT, which would otherwise spread them again.
"""

from __future__ import annotations

import functools

import numpy as np

from edgetf.base.errors import OptimizationError
from edgetf.base.tf_import import import_tf
from edgetf.compress.common import StepReport, Training

#: Ten times the training rate: the latent weights must be able to change sign. On the
#: generated spectrograms (benchmarks/weight_bits.py, DS-CNN, 4 epochs, no QAT) 1e-3 gave
#: 81.5 % against 96.9 % float, 3e-3 90.3 %, 1e-2 96.8 %; on digits the inner layers
#: gave the same int8 accuracy at 1e-3 and 1e-2 (97.2 %). A cosine decay from 1e-2 was
#: no better (96.1 % and 96.4 %).
LEARNING_RATE = 1e-2
#: Layer type -> (kernel attribute, the kernel axes one output channel spans).
#: DepthwiseConv2D's kernel is (h, w, in, multiplier): every (in, multiplier) pair is one
#: of TFLite's output channels.
BINARIZABLE = {
    "Conv2D": ("kernel", (0, 1, 2)),
    "DepthwiseConv2D": ("depthwise_kernel", (0, 1)),
    "Dense": ("kernel", (0,)),
}
MODES = ("inner", "all")


def binarize(model, training: Training, *, layers: str, per_tensor: tuple[str, ...],
             epochs: int, learning_rate: float = LEARNING_RATE):
    """Binarize the weights of every Conv2D, DepthwiseConv2D and Dense layer (``layers``
    'inner': all but the first and last weighted layers; 'all': every one), fine-tune
    ``epochs`` with the STE, and return the model with kernels of exactly ``±alpha``.

    ``per_tensor`` names the layer types whose int8 weights will be quantized per tensor:
    they get one alpha for the whole kernel.
    """
    _, keras = import_tf()
    if layers not in MODES:
        raise OptimizationError(f"--binary-weights {layers!r}: use one of {', '.join(MODES)}")
    weighted = [layer.name for layer in model.layers if kernel_variable(layer) is not None]
    kept = set() if layers == "all" else {weighted[0], weighted[-1]} if weighted else set()
    settings = {"layers": layers, "epochs": epochs, "learning_rate": learning_rate,
                "alpha": {kind: ("per tensor" if kind in per_tensor else "per output channel")
                          for kind in BINARIZABLE}}
    report = StepReport("binary", settings)
    wrapper = _wrapper_class()

    def wrap(layer):
        kind = type(layer).__name__
        if layer.name in kept:
            report.skip(layer, "the first and last weighted layers stay 8-bit "
                               "(--binary-weights all binarizes them too)")
            return layer
        if kernel_variable(layer) is None:
            if layer.trainable_weights:
                report.skip(layer, f"edgetf binarizes Conv2D, DepthwiseConv2D and Dense "
                                   f"kernels, not {kind} layers")
            return layer
        attribute = BINARIZABLE[kind][0]
        axes = alpha_axes(layer, per_tensor)
        report.layers.append(layer.name)
        report.per_layer.append({"layer": layer.name, "type": kind, "alpha_axes": list(axes),
                                 "alpha": "per tensor" if kind in per_tensor
                                 else "per output channel"})
        return wrapper(layer, attribute=attribute, axes=axes, name=f"binary_{layer.name}")

    try:
        wrapped = keras.models.clone_model(model, clone_function=wrap)
    except (ValueError, TypeError) as error:
        raise OptimizationError(f"binarization failed: {str(error).splitlines()[0]}") from None
    if not report.layers:
        raise OptimizationError(
            f"--binary-weights {layers}: no layer of this model can be binarized (edgetf "
            f"binarizes Conv2D, DepthwiseConv2D and Dense kernels, and keeps the first and "
            f"last of them 8-bit); try --binary-weights all, or drop --binary-weights")
    training.fit(wrapped, epochs=epochs, learning_rate=learning_rate,
                 description=f"binarize weights ({layers})")
    binary = keras.models.clone_model(
        wrapped, clone_function=lambda layer: layer.layer if isinstance(layer, wrapper)
        else layer)
    for layer in wrapped.layers:
        if isinstance(layer, wrapper):
            kernel = getattr(layer.layer, layer.attribute)
            kernel.assign(binarized(kernel.numpy(), layer.axes))
    # clone_model gave the stripped model the very layers (and variables) of the wrapped
    # one, so the assignment above is in ``binary`` too.
    return binary, report


def binarized(weights: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``alpha·sign(W)`` with ``alpha = mean |W|`` over ``axes``; zero counts as positive,
    so that no weight becomes 0 (a third value)."""
    alpha = np.mean(np.abs(weights), axis=axes, keepdims=True)
    return np.where(weights >= 0, alpha, -alpha).astype(weights.dtype)


def keep_binary(variables: dict[str, tuple]):
    """A Keras callback that sets each kernel back to ``alpha·sign(W)`` after every batch.

    ``variables`` maps a layer name to its kernel variable and alpha axes. For QAT: a
    projection rather than the STE, because the kernel is inside tfmot's wrapper there.
    Each Adam step is far smaller than ``alpha``, so the signs stay and what QAT trains
    is the alphas (the mean of the updates) and the biases.
    """
    _, keras = import_tf()

    class KeepBinary(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            for variable, axes in variables.values():
                variable.assign(binarized(variable.numpy(), axes))

    return KeepBinary()


def alpha_axes(layer, per_tensor: tuple[str, ...]) -> tuple[int, ...]:
    """The kernel axes one alpha spans: one output channel, or all of them."""
    kind = type(layer).__name__
    if kind in per_tensor:
        return tuple(range(len(kernel_variable(layer).shape)))
    return BINARIZABLE[kind][1]


def kernel_variable(layer, weights=None):
    """A binarizable layer's kernel variable, or None; looked for in ``weights`` if given
    (tfmot's QAT wrapper holds the kernel itself: the wrapped layer no longer lists it)."""
    spec = BINARIZABLE.get(type(layer).__name__)
    if spec is None:
        return None
    for weight in layer.trainable_weights if weights is None else weights:
        if weight.name.split("/")[-1].split(":")[0] == spec[0]:
            return weight
    return None


@functools.cache
def _wrapper_class():
    """The Keras wrapper that runs a layer on its binarized kernel (made on first use, so
    that importing this module does not import TensorFlow)."""
    tf, keras = import_tf()

    def ste_binarize(latent, axes):
        alpha = tf.reduce_mean(tf.abs(latent), axis=axes, keepdims=True)
        signs = tf.where(latent >= 0, 1.0, -1.0)
        clipped = tf.clip_by_value(latent, -1.0, 1.0)  # gradient 1 inside [-1, 1], else 0
        return alpha * (clipped + tf.stop_gradient(signs - clipped))

    class BinaryWeights(keras.layers.Wrapper):
        def __init__(self, layer, attribute: str, axes: tuple[int, ...], **kwargs):
            super().__init__(layer, **kwargs)
            self.attribute = attribute
            self.axes = tuple(axes)

        def build(self, input_shape=None):
            if not self.layer.built:
                self.layer.build(input_shape)
            super().build(input_shape)

        def call(self, inputs):
            latent = getattr(self.layer, self.attribute)
            # object.__setattr__: swap the kernel for one call without Keras tracking
            # the tensor as a new weight (tfmot's wrappers swap it the same way).
            object.__setattr__(self.layer, self.attribute, ste_binarize(latent, self.axes))
            try:
                return self.layer.call(inputs)
            finally:
                object.__setattr__(self.layer, self.attribute, latent)

        def compute_output_shape(self, input_shape):
            return self.layer.compute_output_shape(input_shape)

        def get_config(self):
            return {**super().get_config(), "attribute": self.attribute, "axes": self.axes}

    return BinaryWeights
