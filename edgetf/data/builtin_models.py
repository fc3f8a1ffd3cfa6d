"""Built-in architectures sized for microcontrollers, and the choice between them.

Each builder uses only layers that tfmot can prune, cluster and quantize and that
TFLM has int8 kernels for, so every built-in model goes through every step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edgetf.base.errors import ModelError
from edgetf.base.tf_import import import_tf
from edgetf.data.model_formats import trainable_suffixes

ARCHITECTURES = ("tiny-cnn", "mlp", "ds-cnn")
#: Each architecture's depth when none is given: the models as they were before the knob.
DEFAULT_DEPTH = {"tiny-cnn": 2, "mlp": 2, "ds-cnn": 2}
MAX_DEPTH = 8


def default_architecture(input_shape: tuple[int, ...]) -> str:
    """Vectors get the MLP; anything with two or more axes is treated as an image."""
    return "mlp" if len(input_shape) == 1 else "tiny-cnn"


def build_model(architecture: str, input_shape: tuple[int, ...], num_classes: int, *,
                width: float = 1.0, depth: int | None = None):
    """A fresh, un-trained tf_keras model ending in softmax over ``num_classes``.

    ``width`` multiplies every hidden layer's filters or units (rounded, at least 1);
    ``depth`` is the number of convolutions (tiny-cnn), depthwise-separable blocks (ds-cnn)
    or hidden dense layers (mlp), :data:`DEFAULT_DEPTH` when None. The defaults build
    exactly the models edgetf always built, layer names included, so that the tuner
    (``edgetf tune``) can size a model without changing anyone else's.
    """
    builders: dict[str, Callable] = {"tiny-cnn": _tiny_cnn, "mlp": _mlp, "ds-cnn": _ds_cnn}
    if architecture not in builders:
        raise ModelError(
            f"unknown model '{architecture}'; use one of {', '.join(ARCHITECTURES)} "
            f"or a path to a .keras, .h5 or SavedModel"
        )
    _, keras = import_tf()
    if architecture in ("tiny-cnn", "ds-cnn") and len(input_shape) not in (2, 3):
        raise ModelError(
            f"--model {architecture} needs image- or spectrogram-shaped samples "
            f"(height, width[, channels]) but the data has shape {input_shape}; "
            f"use --model mlp for feature vectors"
        )
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    if architecture != "mlp" and len(input_shape) == 2:
        x = keras.layers.Reshape((*input_shape, 1), name="add_channel")(x)
    depth = DEFAULT_DEPTH[architecture] if depth is None else depth
    if not 0 < width <= 8 or not 1 <= depth <= MAX_DEPTH:
        raise ModelError(f"--width {width} / --depth {depth} is outside (0, 8] / "
                         f"1..{MAX_DEPTH}; e.g. --width 0.5 --depth 2")

    def units(base: int) -> int:
        return max(1, round(base * width))

    outputs = builders[architecture](keras, x, num_classes, units, depth)
    return keras.Model(inputs, outputs, name=architecture.replace("-", "_"))


def _tiny_cnn(keras, x, num_classes, units, depth):
    """3x3 convolutions (two by default: 16 filters, pooling until the map is at most 8x8,
    then 32) and a small dense head; further convolutions keep 32 filters and the size."""
    layers = keras.layers
    x = layers.Conv2D(units(16), 3, padding="same", activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    pools = 1
    while max(x.shape[1], x.shape[2]) > 8 and pools < 4:
        x = layers.MaxPooling2D(2, name=f"pool{pools + 1}")(x)
        pools += 1
    for index in range(2, depth + 1):
        x = layers.Conv2D(units(32), 3, padding="same", activation="relu",
                          name=f"conv{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(units(48), activation="relu", name="dense1")(x)
    return layers.Dense(num_classes, activation="softmax", name="scores")(x)


def _mlp(keras, x, num_classes, units, depth):
    """Hidden dense layers of 64 then 32 units (further ones 32 too), softmax."""
    layers = keras.layers
    if len(x.shape) > 2:
        x = layers.Flatten(name="flatten")(x)
    for index in range(1, depth + 1):
        x = layers.Dense(units(64 if index == 1 else 32), activation="relu",
                         name=f"dense{index}")(x)
    return layers.Dense(num_classes, activation="softmax", name="scores")(x)


def _ds_cnn(keras, x, num_classes, units, depth):
    """Depthwise-separable CNN in the style of the keyword-spotting benchmarks: a 3x3
    convolution, then ``depth`` blocks of depthwise 3x3 and pointwise 1x1."""
    layers = keras.layers
    strides = (2, 2) if min(x.shape[1], x.shape[2]) >= 16 else (1, 1)
    x = layers.Conv2D(units(32), 3, strides=strides, padding="same", activation="relu",
                      name="conv")(x)
    for block in range(1, depth + 1):
        x = layers.DepthwiseConv2D(3, padding="same", activation="relu", name=f"dw{block}")(x)
        x = layers.Conv2D(units(32), 1, activation="relu", name=f"pw{block}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return layers.Dense(num_classes, activation="softmax", name="scores")(x)


def is_model_path(model: str) -> bool:
    """A ``--model`` value names a file or folder rather than a built-in architecture."""
    return model not in ARCHITECTURES and (
        Path(model).suffix.lower() in trainable_suffixes() or Path(model).exists()
    )


def check_model_fits_data(model, source: str, input_shape: tuple[int, ...], num_classes: int):
    """The model must take the data's sample shape and have an output per class."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelError(
            f"{source}: the model has {len(model.inputs)} inputs and {len(model.outputs)} "
            f"outputs; train-quantize needs a single-input, single-output classifier"
        )
    expected = tuple(model.inputs[0].shape[1:])
    fits = len(expected) == len(input_shape) and all(
        e is None or e == d for e, d in zip(expected, input_shape, strict=True)
    )
    if not fits:
        raise ModelError(
            f"{source}: the model takes samples of shape {_shape(expected)} but the data has "
            f"{_shape(input_shape)}; reshape the data or pass a model built for it"
        )
    units = model.outputs[0].shape[-1]
    if units != num_classes:
        raise ModelError(
            f"{source}: the model has {units} outputs but the data has {num_classes} classes; "
            f"give the model one output per class"
        )


def outputs_probabilities(model) -> bool:
    """Whether the model ends in a softmax (else it outputs logits and the loss must know)."""
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    name = getattr(activation, "__name__", "")
    return name == "softmax" or type(last).__name__ == "Softmax"


def _shape(shape) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"
