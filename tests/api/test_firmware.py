"""``edgetf.emit_firmware``: a Keras model object, ``.tflite`` bytes and a ``.tflite`` path
give the project ``edgetf emit-firmware`` writes, byte for byte, and the figures it prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import edgetf
from edgetf.base.errors import ConfigError
from edgetf.codegen.library_name import model_file_name
from edgetf.data.datasets import load_dataset
from edgetf.tflite.reader import read_tflite
from tests.conftest import SEED


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def keras_model():
    from edgetf.base.tf_import import import_tf

    tf, keras = import_tf()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.layers.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    data = load_dataset("digits", seed=SEED)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(data.x_train, data.y_train, epochs=1, batch_size=64, verbose=0)
    return model


def test_object_bytes_and_path_give_the_clis_project(keras_model, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from edgetf.cli.app import app

    monkeypatch.chdir(tmp_path)
    made = edgetf.emit_firmware(keras_model, board="esp32", out="from-object", data="digits")
    kind = read_tflite(made.tflite)
    assert [t.dtype for t in (*kind.input_tensors(), *kind.output_tensors())] == ["int8"] * 2
    assert made.quantization == "int8"
    Path("model.tflite").write_bytes(made.tflite)
    # The CLI names train-quantize's model.tflite after its folder; bytes and objects have
    # none, so they are "model": the same name is given to the CLI for the comparison.
    cli = CliRunner().invoke(app, ["-q", "emit-firmware", "--model", "model.tflite",
                                   "--board", "esp32", "--out", "from-cli", "--name", "model"])
    assert cli.exit_code == 0, cli.output
    from_bytes = edgetf.emit_firmware(made.tflite, board="esp32", out="from-bytes")
    from_path = edgetf.emit_firmware("model.tflite", board="esp32", out="from-path",
                                     name="model")
    # Without a name, a path is named as the CLI names it: by the folder of model.tflite.
    assert edgetf.emit_firmware("model.tflite", board="esp32", out="default-name",
                                golden=0).result.spec.name == model_file_name(
                                    Path("model.tflite"))

    expected = _tree(tmp_path / "from-cli")
    assert "platformio.ini" in expected and len(expected) > 20
    for folder in ("from-object", "from-bytes", "from-path"):
        assert _tree(tmp_path / folder) == expected, folder
    assert made.files == tuple(sorted(expected)) == from_path.files
    spec = from_bytes.result.spec
    assert made.fits and made.arena_bytes == spec.arena.bytes > 0
    assert (made.flash_bytes, made.ram_bytes) == (spec.footprint.flash_bytes,
                                                  spec.footprint.ram_bytes)
    assert 0 < made.flash_bytes < made.flash_budget and 0 < made.ram_bytes < made.ram_budget


def test_the_conversion_is_train_quantizes(keras_model, tmp_path):
    """The same converter, calibration samples and seed as train-quantize's full int8."""
    from edgetf.train.convert import to_int8_tflite
    from edgetf.train.options import TrainQuantizeOptions

    options = TrainQuantizeOptions(data="digits")
    data = load_dataset("digits", seed=options.seed)
    expected = to_int8_tflite(keras_model, data.x_train, samples=options.calibration_samples,
                              seed=options.seed)
    made = edgetf.emit_firmware(keras_model, board="esp32", out=tmp_path / "fw",
                                data=data.x_train)
    assert made.tflite == expected


def test_what_cannot_be_emitted_is_refused_and_nothing_written(keras_model, tmp_path):
    out = tmp_path / "fw"
    with pytest.raises(ConfigError, match=r"^a Keras model needs data= to be converted"):
        edgetf.emit_firmware(keras_model, board="esp32", out=out)
    with pytest.raises(ConfigError, match=r"^data= is calibration data .* leave data out$"):
        edgetf.emit_firmware(b"TFL3", board="esp32", out=out, data=np.zeros((4, 8, 8, 1)))
    with pytest.raises(ConfigError, match=r"^model is a list; pass a .tflite path"):
        edgetf.emit_firmware([1, 2], board="esp32", out=out)
    with pytest.raises(edgetf.EdgetfError, match="data= holds"):
        edgetf.emit_firmware(keras_model, board="esp32", out=out, data=np.array([]))
    assert not out.exists()


def test_a_pytorch_program_without_the_torch_extra_names_it(tmp_path, monkeypatch):
    """Where the torch extra is missing (CI has it: the lookup is told it is not there)."""
    import importlib.util

    from edgetf.base.tf_import import EXTRAS, MissingExtraError

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None
                        if name in EXTRAS["torch"] else find_spec(name, *args))
    with pytest.raises(MissingExtraError, match=r"pip install 'edgetf\[torch\]'$"):
        edgetf.emit_firmware(tmp_path / "model.pt2", board="esp32", out=tmp_path / "fw",
                             data=np.zeros((4, 1, 8, 8)))
    assert not (tmp_path / "fw").exists()
