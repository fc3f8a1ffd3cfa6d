"""The teacher for ``--distill-from``: find it, check it fits the data, run it once.

A teacher is a Keras model file, or the ``--out`` folder of an earlier
``train-quantize`` run (its ``model.keras``). Only its outputs are needed, so it runs
once on the training, validation and test samples and is then dropped.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgetf.base.errors import ModelError
from edgetf.base.progress import Reporter
from edgetf.compress.distill import Distillation, as_logits
from edgetf.data.datasets import Dataset

RUN_MODEL = "model.keras"
RUN_FLOAT_MODEL = "model_float.tflite"
_FIX = "give a .keras / .h5 model or the --out folder of an earlier train-quantize run"


@dataclass(frozen=True)
class Teacher:
    """The teacher's logits on each split, and where they came from."""

    source: str
    train_logits: np.ndarray
    val_logits: np.ndarray
    test_logits: np.ndarray

    def accuracy(self, labels: np.ndarray) -> float:
        """Top-1 accuracy on the test split."""
        return float(np.mean(np.argmax(self.test_logits, axis=-1) == labels))

    def distillation(self, temperature: float, alpha: float) -> Distillation:
        return Distillation(self.train_logits, self.val_logits, temperature, alpha)


def check_teacher_path(path: str) -> None:
    """Fail on a missing teacher before the data are loaded, not after."""
    if not Path(path).exists():
        raise ModelError(f"--distill-from {path}: no such file or folder; {_FIX}")


def load_teacher(path: str, data: Dataset, reporter: Reporter) -> Teacher:
    """Load the teacher at ``path``, check it against ``data`` and run it on every split."""
    check_teacher_path(path)
    location = Path(path)
    if location.is_dir() and (location / RUN_MODEL).is_file():
        location = location / RUN_MODEL
    if location.suffix.lower() == ".keras" and _is_qat_model(location):
        float_model = location.parent / RUN_FLOAT_MODEL
        if not float_model.is_file():
            raise ModelError(
                f"--distill-from {path}: a quantization-aware-trained model, which tf-keras "
                f"cannot load back (a tfmot bug); pass a model saved before QAT, or the run "
                f"folder of a train-quantize run (it holds {RUN_FLOAT_MODEL})")
        reporter.warn(
            f"--distill-from {path}: {location.name} is a QAT model, which tf-keras cannot "
            f"load back; distilling from the same run's {RUN_FLOAT_MODEL} (the float model "
            f"before compression) instead")
        with reporter.stage(f"run the teacher {float_model}"):
            return _tflite_teacher(float_model, data)
    with reporter.stage(f"load and run the teacher {location}"):
        return _keras_teacher(location, data)


def _keras_teacher(path: Path, data: Dataset) -> Teacher:
    from edgetf.data.builtin_models import check_model_fits_data
    from edgetf.data.model_formats import load_model

    model = load_model(path)
    check_model_fits_data(model, f"--distill-from {path}", data.input_shape, data.num_classes)

    def outputs(x):
        return as_logits(model.predict(x, batch_size=256, verbose=0))

    return Teacher(str(path), outputs(data.x_train), outputs(data.x_val), outputs(data.x_test))


def _tflite_teacher(path: Path, data: Dataset) -> Teacher:
    """A float .tflite as teacher, run by LiteRT."""
    from edgetf.tflite.litert import litert_outputs
    from edgetf.tflite.quantization import quantized_inputs
    from edgetf.tflite.reader import read_tflite

    model = path.read_bytes()
    parsed = read_tflite(model, source=str(path))
    shape = tuple(parsed.main.tensors[parsed.main.inputs[0]].shape[1:])
    units = parsed.main.tensors[parsed.main.outputs[0]].shape[-1]
    if shape != data.input_shape or units != data.num_classes:
        raise ModelError(
            f"--distill-from {path}: the teacher maps samples of shape {shape} to {units} "
            f"outputs but the data has shape {data.input_shape} and {data.num_classes} "
            f"classes; distill from a model trained on the same data")

    def outputs(x):
        return as_logits(litert_outputs(model, quantized_inputs(model, x, parsed=parsed)))

    return Teacher(str(path), outputs(data.x_train), outputs(data.x_val), outputs(data.x_test))


def _is_qat_model(path: Path) -> bool:
    """Whether a .keras file holds tfmot QAT wrappers.

    tf-keras cannot load those back, even inside tfmot's ``quantize_scope``: tfmot's
    QuantizeLayer and QuantizeWrapperV2 build their variables twice while the model is
    rebuilt (tfmot 0.8.1, tf-keras 2.21: "Layer 'quantize_layer' expected 5 variables,
    but received 3"; tensorflow/model-optimization pull request 1123, not merged).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False  # not ours to judge: load_model names the problem
    return '"QuantizeWrapperV2"' in json.dumps(config)
