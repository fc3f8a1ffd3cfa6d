"""Users' own models: Keras 3 files are accepted; misfits and unquantizable layers are named."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from edgetf.base.tf_import import import_tf
from edgetf.cli.app import app
from edgetf.tflite.reader import read_tflite
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.conftest import error_line

_KERAS3_DIGITS_MODEL = textwrap.dedent("""
    import sys
    import keras  # Keras 3, whatever TF_USE_LEGACY_KERAS says
    assert keras.__version__.startswith("3"), keras.__version__
    keras.utils.set_random_seed(42)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.save(sys.argv[1])
""")


def _tf_keras_model(path, layers):
    _, keras = import_tf()
    keras.utils.set_random_seed(42)
    keras.Sequential(layers(keras)).save(path)
    return path


def test_keras3_file_is_fine_tuned_and_quantized(tmp_path):
    path = tmp_path / "keras3.keras"
    # A separate interpreter, as a user's Keras 3 environment would be.
    subprocess.run([sys.executable, "-c", _KERAS3_DIGITS_MODEL, str(path)], check=True,
                   env={**os.environ, "TF_USE_LEGACY_KERAS": "0"})
    result = train_quantize(TrainQuantizeOptions(
        data="digits", model=str(path), fine_tune_epochs=2, out=str(tmp_path / "run")))
    assert result.report["model"]["trained_from_scratch"] is False
    assert read_tflite(result.int8_model).input_tensors()[0].dtype == "int8"
    assert result.report["accuracy"]["int8_litert"] > 0.5


@pytest.mark.parametrize(
    ("layers", "fragments"),
    [
        (lambda k: [k.Input((28, 28, 1)), k.layers.Flatten(), k.layers.Dense(10)],
         ["takes samples of shape (28, 28, 1)", "(8, 8, 1)"]),
        (lambda k: [k.Input((8, 8, 1)), k.layers.Flatten(), k.layers.Dense(3)],
         ["3 outputs", "10 classes"]),
        (lambda k: [k.Input((8, 8, 1)), k.layers.Flatten(),
                    k.layers.LayerNormalization(name="norm"), k.layers.Dense(10)],
         ["cannot quantize layer 'norm' (LayerNormalization)", "--no-qat"]),
    ],
)
def test_user_model_errors_are_one_line(tmp_path, layers, fragments):
    model = _tf_keras_model(tmp_path / "user.keras", layers)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-quantize", "--data", "digits", "--model", str(model),
                                      "--out", str(out),
                                      "--fine-tune-epochs", "1"])
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert "user.keras" in message
    for fragment in fragments:
        assert fragment in message, message
    assert not out.exists()
