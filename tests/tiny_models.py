"""Tiny TFLite models the tests build themselves, once per session.

Seeded random weights, no training: a small CNN, an MLP with a residual ADD and a
Keras LSTM, all converted to full int8 (int8 input and output; the LSTM becomes
UNIDIRECTIONAL_SEQUENCE_LSTM and converts to int8 too), a dynamic-range ("hybrid") CNN
that TFLM must refuse, and the float32 CNN.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

SEED = 42


def convert(tf, model, calibration: np.ndarray | None, int8: bool = True,
            int16x8: bool = False, per_tensor: bool = False,
            per_channel_dense: bool = False) -> bytes:
    """Full int8 with a representative dataset, dynamic range without one, or float;
    ``int16x8``: int16 activations with int8 weights; ``per_tensor``: one scale per
    weight tensor, as older converters wrote. Dense weights are per tensor unless
    ``per_channel_dense`` (TF 2.x's default), which the Nano 33 BLE's TFLM gets wrong."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8 or calibration is None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if calibration is not None and int8:
        converter.representative_dataset = lambda: ([x[None]] for x in calibration)
        io_type = tf.int16 if int16x8 else tf.int8
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            if int16x8 else tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
        # Private flags, but the only way to get per-tensor weights from TF 2.x.
        converter._experimental_disable_per_channel = per_tensor
        converter._experimental_disable_per_channel_quantization_for_dense_layers = (
            not per_channel_dense)
    with warnings.catch_warnings():
        # "Statistics for quantized inputs were expected": the representative dataset
        # gives them, the warning is noise for int8 inputs.
        warnings.simplefilter("ignore", UserWarning)
        return converter.convert()


def small_cnn(keras):
    """The 12x12x1 -> 5-class CNN of :func:`tiny_models` (CONV_2D, FULLY_CONNECTED,
    SOFTMAX), with fresh weights from Keras' current seed."""
    layers = keras.layers
    return keras.Sequential([
        layers.Input((12, 12, 1)), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
        layers.Dense(5), layers.Softmax(),
    ])


@functools.cache
def tiny_models() -> dict[str, bytes]:
    """``{"cnn", "residual", "lstm", "hybrid", "float", "int16x8", "per_tensor",
    "per_channel_fc"}`` -> ``.tflite`` bytes."""
    from edgetf.base.tf_import import import_tf

    tf, keras = import_tf()
    # The same weights whatever ran before in this process: tf_keras's unseeded
    # initializers draw on per-process state that set_random_seed does not reset (a model
    # built earlier, as tests/compress/test_distill.py does, changed every tiny model, and the
    # int16x8 one then differed between LiteRT and TFLM by 2 steps); clear_session does.
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    layers = keras.layers

    cnn = small_cnn(keras)
    inp = layers.Input((16,))
    hidden = layers.Dense(16, activation="relu")(inp)
    added = layers.Add()([hidden, layers.Dense(16)(hidden)])
    residual = keras.Model(inp, layers.Dense(3)(added))
    # The LSTM needs a fixed batch size to become one fused TFLite op.
    lstm = keras.Sequential([layers.Input((8, 3), batch_size=1), layers.LSTM(8), layers.Dense(2)])

    def calibration(model):
        return rng.normal(size=(32, *model.input_shape[1:])).astype(np.float32)

    return {
        "cnn": convert(tf, cnn, calibration(cnn)),
        "residual": convert(tf, residual, calibration(residual)),
        "lstm": convert(tf, lstm, calibration(lstm)),
        # Dense(5) on 400 features has 2000 weights, above the converter's 1024-weight
        # threshold, so it gets int8 weights with float activations: a hybrid op.
        "hybrid": convert(tf, cnn, None),
        "float": convert(tf, cnn, calibration(cnn), int8=False),
        "int16x8": convert(tf, cnn, calibration(cnn), int16x8=True, per_channel_dense=True),
        "per_tensor": convert(tf, cnn, calibration(cnn), per_tensor=True),
        "per_channel_fc": convert(tf, cnn, calibration(cnn), per_channel_dense=True),
    }


@functools.cache
def clustered_cnn(bits: int) -> bytes:
    """A full-int8 CNN whose weights store losslessly in ``bits``-bit look-up tables:
    CONV_2D (per channel, axis 0), DEPTHWISE_CONV_2D (per channel, the last axis) and
    FULLY_CONNECTED (per tensor), each layer's float weights snapped to ``2**bits``
    levels (per output channel for the convolutions) before conversion, as clustering
    leaves them. The first Dense layer is wide (55,296 weights) so that 4-bit tables save
    more flash than TFLM's DECODE kernel costs."""
    from edgetf.base.tf_import import import_tf

    tf, keras = import_tf()
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED + bits)
    layers = keras.layers
    model = keras.Sequential([
        layers.Input((10, 10, 1)), layers.Conv2D(8, 3, activation="relu"),
        layers.DepthwiseConv2D(3, depth_multiplier=2), layers.Flatten(),
        layers.Dense(96, activation="relu"), layers.Dense(6), layers.Softmax(),
    ])
    levels = 2 ** bits
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel = weights[0]
        axis = {"Conv2D": 3, "DepthwiseConv2D": 2}.get(type(layer).__name__)
        weights[0] = _snap(kernel, levels, axis)
        layer.set_weights(weights)
    rng = np.random.default_rng(SEED)
    return convert(tf, model, rng.normal(size=(32, 10, 10, 1)).astype(np.float32))


def _snap(kernel: np.ndarray, levels: int, axis: int | None) -> np.ndarray:
    """Each channel along ``axis`` (the whole tensor for None) takes at most ``levels``
    evenly spaced values spanning its range (one of them 0 with a symmetric range)."""
    def snap(values):
        top = float(np.abs(values).max()) or 1.0
        grid = np.linspace(-top, top, levels) if levels > 1 else np.array([top])
        return grid[np.abs(values[..., None] - grid).argmin(-1)]
    if axis is None:
        return snap(kernel).astype(kernel.dtype)
    moved = np.moveaxis(kernel, axis, 0)
    return np.moveaxis(np.stack([snap(c) for c in moved]), 0, axis).astype(kernel.dtype)
