"""QAT takes what tfmot takes: BatchNormalization after a convolution is folded, models
such as ResNet-8 and MobileNetV2 are accepted, and what tfmot refuses is named."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import OptimizationError
from edgetf.base.tf_import import import_tf
from edgetf.compress.qat import check_qat_supported
from tests.conftest import SEED


def _resnet8_style(keras):
    """A user's CNN: BatchNormalization after every convolution, one residual Add."""
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    y = keras.layers.Conv2D(8, 3, padding="same")(x)
    y = keras.layers.BatchNormalization()(y)
    y = keras.layers.Activation("relu")(y)
    y = keras.layers.Conv2D(8, 3, padding="same")(y)
    y = keras.layers.BatchNormalization()(y)
    x = keras.layers.Activation("relu")(keras.layers.Add()([x, y]))
    x = keras.layers.DepthwiseConv2D(3, strides=2)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(8)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(x))


def _fits_one_step(model, shape) -> None:
    _, keras = import_tf()
    rng = np.random.default_rng(SEED)
    x = rng.random((8, *shape), dtype=np.float32)
    y = rng.integers(0, model.output_shape[-1], size=8)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy())
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_batch_normalization_after_every_convolution_is_folded():
    _, keras = import_tf()
    keras.utils.set_random_seed(SEED)
    model = _resnet8_style(keras)
    qat_model = check_qat_supported(model, "resnet.keras")
    # tfmot's layout transforms give each BatchNormalization the output quantizer of the
    # convolution (or Dense) before it, which then has none: all five are wrapped
    wrapped = [type(layer.layer).__name__ for layer in qat_model.layers
               if hasattr(layer, "quantize_config")]
    assert wrapped.count("BatchNormalization") == 5
    assert "Add" in wrapped
    _fits_one_step(qat_model, (16, 16, 3))


def test_mobilenet_v2_is_accepted():
    _, keras = import_tf()
    keras.utils.set_random_seed(SEED)
    model = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None,
                                           classes=3)
    qat_model = check_qat_supported(model, "mobilenet_v2.keras")
    _fits_one_step(qat_model, (96, 96, 3))


def test_layers_tfmot_refuses_are_all_named_with_the_fix():
    _, keras = import_tf()
    inputs = keras.Input((8, 8, 3))
    a = keras.layers.Conv2D(4, 3)(inputs)
    b = keras.layers.Conv2D(4, 3)(inputs)
    x = keras.layers.BatchNormalization(name="after_add")(keras.layers.Add()([a, b]))
    x = keras.layers.LayerNormalization(name="norm")(x)
    outputs = keras.layers.Dense(3)(keras.layers.Flatten()(x))
    with pytest.raises(OptimizationError) as caught:
        check_qat_supported(keras.Model(inputs, outputs), "user.keras")
    message = str(caught.value)
    assert message.startswith("user.keras: ")
    assert "'after_add' (BatchNormalization), 'norm' (LayerNormalization)" in message
    assert "--no-qat" in message
    assert "\n" not in message
