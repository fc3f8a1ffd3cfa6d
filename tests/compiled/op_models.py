"""Small int8 models that hold every op the compiled runtime compiles, with the options
that change its parameters (SAME/VALID padding, strides, even filters, depth multiplier,
fused RELU/RELU6, broadcasting), built once per session with seeded weights."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from tests.tiny_models import convert

SEED = 42


def _every_op(keras):
    layers = keras.layers
    inp = layers.Input((12, 12, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(inp)
    y = layers.Conv2D(8, 2, padding="same", activation="relu")(x)
    x = layers.Add()([x, y])
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="valid")(x)
    x = layers.Multiply()([x, layers.DepthwiseConv2D(1, padding="same")(x)])
    a = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    b = layers.MaxPooling2D(2, strides=1, padding="same")(a)
    x = layers.Flatten()(layers.Add()([a, b]))
    x = layers.Dense(12, activation="relu")(x)
    x = layers.Dense(6)(x)
    return keras.Model(inp, layers.Softmax()(x))


def _broadcast(keras):
    """ADD and MUL of a (6, 6, 4) tensor and its (1, 1, 4) mean: they broadcast, which
    CMSIS-NN's elementwise kernels cannot (TFLM's reference kernels then run them)."""
    layers = keras.layers
    inp = layers.Input((6, 6, 3))
    x = layers.Conv2D(4, 3, padding="same")(inp)
    mean = layers.AveragePooling2D(6)(x)
    x = layers.Multiply()([layers.Add()([x, mean]), mean])
    return keras.Model(inp, layers.Dense(5)(layers.Flatten()(x)))


def _mean(keras):
    """MEAN over rows and columns (GlobalAveragePooling2D, with and without keepdims) of a
    5x6 map: 30 values a mean, not a power of two."""
    layers = keras.layers
    inp = layers.Input((5, 6, 3))
    x = layers.Conv2D(6, 3, padding="same", activation="relu")(inp)
    a = layers.GlobalAveragePooling2D()(x)
    b = layers.Flatten()(layers.GlobalAveragePooling2D(keepdims=True)(layers.Conv2D(6, 1)(x)))
    return keras.Model(inp, layers.Dense(4)(layers.Add()([a, b])))


@functools.cache
def op_models() -> dict[str, bytes]:
    """``{"every_op", "every_op_per_channel_fc", "every_op_per_tensor", "float_io",
    "broadcast"}`` -> ``.tflite`` bytes: the same network with per-tensor and per-channel
    dense weights, with one scale per weight tensor everywhere, and with float input and
    output (QUANTIZE and DEQUANTIZE at its ends); a small network whose ADD and MUL
    broadcast; and one with MEAN (``"mean"``)."""
    from edgetf.base.tf_import import import_tf

    tf, keras = import_tf()
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    model = _every_op(keras)
    rng = np.random.default_rng(SEED)
    calibration = rng.normal(size=(32, 12, 12, 3)).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x[None]] for x in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    with warnings.catch_warnings():  # "Statistics for quantized inputs were expected"
        warnings.simplefilter("ignore", UserWarning)
        float_io = converter.convert()
    return {
        "every_op": convert(tf, model, calibration),
        "every_op_per_channel_fc": convert(tf, model, calibration, per_channel_dense=True),
        "every_op_per_tensor": convert(tf, model, calibration, per_tensor=True),
        "float_io": float_io,
        "broadcast": convert(tf, _broadcast(keras),
                             rng.normal(size=(32, 6, 6, 3)).astype(np.float32)),
        "mean": convert(tf, _mean(keras), rng.normal(size=(32, 5, 6, 3)).astype(np.float32)),
    }
