"""load_keras_model: Keras 3 files rebuilt in tf_keras, tf_keras files loaded, errors named.

Keras 3 models are built and saved in this process: ``import keras`` gives Keras 3
even with TF_USE_LEGACY_KERAS=1 (that variable only redirects ``tf.keras``), and the
two Keras packages live side by side without trouble.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from edgetf.base.errors import ModelError
from edgetf.base.tf_import import import_tf
from edgetf.data import keras_files
from edgetf.data.keras_files import load_keras_model

tf, tf_keras = import_tf()
import keras  # noqa: E402  (Keras 3, imported after TensorFlow is set up for tf_keras)

_SEED = 42
_ATOL = 1e-5


def _randomise(model) -> None:
    """Random weights, so that a weight left uncopied (BN statistics too) shows."""
    rng = np.random.default_rng(_SEED)
    for weight in model.weights:
        value = rng.normal(scale=0.3, size=weight.shape)
        if "variance" in weight.name:
            value = np.abs(value) + 0.5
        weight.assign(value.astype(weight.dtype))


def _inputs(shapes, batch=4):
    rng = np.random.default_rng(_SEED + 1)
    return [rng.normal(size=(batch, *shape)).astype(np.float32) for shape in shapes]


def _assert_same_predictions(original, path, shapes):
    loaded = load_keras_model(path)
    assert isinstance(loaded, tf_keras.Model)
    inputs = _inputs(shapes)
    feed = inputs[0] if len(inputs) == 1 else inputs
    want = [np.asarray(t) for t in tf.nest.flatten(original(feed, training=False))]
    got = [np.asarray(t) for t in tf.nest.flatten(loaded(feed, training=False))]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, atol=_ATOL)
    return loaded


def _keras3_cnn():
    return keras.Sequential([
        keras.Input((12, 12, 1)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                            kernel_regularizer=keras.regularizers.l2(1e-4)),
        keras.layers.DepthwiseConv2D(3),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(5, activation="softmax"),
    ])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras3_sequential_cnn(tmp_path, suffix):
    model = _keras3_cnn()
    _randomise(model)
    model.save(tmp_path / f"cnn{suffix}")
    loaded = _assert_same_predictions(model, tmp_path / f"cnn{suffix}", [(12, 12, 1)])
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.optimizer is None  # un-compiled: the caller compiles


def test_keras3_functional_with_residual_and_two_inputs(tmp_path):
    image, extra = keras.Input((8,), name="features"), keras.Input((3,), name="extra")
    hidden = keras.layers.Dense(8, activation="relu")(image)
    residual = keras.layers.Add()([image, keras.layers.Dense(8)(hidden)])
    joined = keras.layers.Concatenate()([residual, extra])
    shared = keras.layers.Dense(4, name="shared")  # called twice
    scores = keras.layers.Multiply()([shared(residual), shared(keras.layers.Dense(8)(joined))])
    out = keras.layers.Dense(2, activation="softmax", name="out")(scores)
    model = keras.Model([image, extra], out)
    _randomise(model)
    model.save(tmp_path / "functional.keras")
    _assert_same_predictions(model, tmp_path / "functional.keras", [(8,), (3,)])


def test_keras3_nested_models(tmp_path):
    # Call nodes of nested models are numbered differently by Keras 3 (Sequential from
    # 0, Functional from 1) and tf_keras (both from 1); tf_keras's own from_config
    # would loop forever on the Keras 3 numbering.
    inputs, head_inputs = keras.Input((4,), name="x"), keras.Input((4,))
    block = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)], name="block")
    head = keras.Model(head_inputs, keras.layers.Dense(2)(head_inputs), name="head")
    model = keras.Model(inputs, head(keras.layers.Add()([inputs, block(inputs)])))
    _randomise(model)
    model.save(tmp_path / "nested.keras")
    _assert_same_predictions(model, tmp_path / "nested.keras", [(4,)])


def test_keras3_lstm(tmp_path):
    model = keras.Sequential([
        keras.Input((10, 3)),
        keras.layers.LSTM(6, return_sequences=True),
        keras.layers.GRU(4),
        keras.layers.Dense(2),
    ])
    _randomise(model)
    model.save(tmp_path / "rnn.keras")
    _assert_same_predictions(model, tmp_path / "rnn.keras", [(10, 3)])


def test_keras_is_keras3_beside_tf_keras():
    assert keras.__version__.startswith("3.")
    assert tf_keras.__version__.startswith("2.")
    assert tf.keras.Model is tf_keras.Model


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("name", ["model.keras", "model.h5", "saved_model_dir"])
def test_tf_keras_files_round_trip(tmp_path, name):
    tf_keras.utils.set_random_seed(_SEED)
    model = tf_keras.Sequential([tf_keras.Input((6,)), tf_keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / name)  # no extension: a SavedModel folder in tf_keras 2.x
    loaded = _assert_same_predictions(model, tmp_path / name, [(6,)])
    assert loaded.optimizer is None


def test_a_silent_mis_rebuild_is_caught(tmp_path, monkeypatch):
    model = _keras3_cnn()
    _randomise(model)
    model.save(tmp_path / "cnn.keras")
    monkeypatch.setattr(keras_files, "_copy_weights", lambda *args: None)
    with pytest.raises(ModelError) as error:
        load_keras_model(tmp_path / "cnn.keras")
    assert "cnn.keras" in str(error.value) and "outputs" in str(error.value)


def _plain_saved_model(path):
    tf.saved_model.save(tf.Module(), str(path))


def _corrupt_keras(path):
    path.write_bytes(b"not a zip")


def _keras_without_config(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", '{"keras_version": "3.15.0"}')


def _weights_only_h5(path):
    tf_keras.Sequential([tf_keras.Input((2,)), tf_keras.layers.Dense(1)]).save_weights(path)


def _tf_keras_layer(path):
    layer = tf_keras.layers.Dense(2)
    layer.build((None, 3))
    tf_keras.models.save_model(layer, path)  # tf_keras saves (and loads) a bare layer


def _keras3_custom_layer(path):
    @keras.saving.register_keras_serializable(package="test")
    class Twice(keras.layers.Layer):
        def call(self, inputs):
            return 2 * inputs

    keras.Sequential([keras.Input((3,)), Twice(name="twice")]).save(path)


def _keras3_subclassed(path):
    @keras.saving.register_keras_serializable(package="test")
    class Tiny(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    model(np.zeros((1, 3), np.float32))
    model.save(path)


@pytest.mark.parametrize(
    ("name", "make", "fragments"),
    [
        ("missing.keras", None, ["no such file"]),
        ("folder", lambda p: p.mkdir(), ["not a SavedModel", ".keras"]),
        ("plain_saved_model", _plain_saved_model, ["not a Keras model", "model.save"]),
        ("model.tflite", lambda p: p.write_bytes(b"x"), ["'.tflite'", ".keras or .h5"]),
        ("corrupt.keras", _corrupt_keras, ["not a valid .keras archive"]),
        ("empty.keras", _keras_without_config, ["not a valid .keras archive", "config.json"]),
        ("corrupt.h5", lambda p: p.write_bytes(b"x"), ["not a readable HDF5 file"]),
        ("weights.h5", _weights_only_h5, ["holds no model"]),
        ("layer.keras", _tf_keras_layer, ["holds a Dense, not a Keras model"]),
        ("custom.keras", _keras3_custom_layer,
         ["layer 'twice' (class Twice)", "no tf-keras equivalent", "save the model with tf-keras"]),
        ("subclassed.keras", _keras3_subclassed, ["holds a Tiny", "Functional"]),
    ],
)
def test_errors_name_the_file_and_the_problem(tmp_path, name, make, fragments):
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(ModelError) as error:
        load_keras_model(path)
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
