"""The model files edgetf reads, as one table of front doors.

Each :class:`ModelFormat` says how a path is recognised (its suffixes, or a folder), which
install extra reads it, which module does, and, for a format train-quantize can start
from, the loader that returns a tf-keras model. :func:`check_model_path` (what the path
alone shows, before TensorFlow loads) and :func:`load_model` consult the table, so a new
format is one module plus one entry in :data:`FORMATS`. A ``.tflite`` is recognised but not
trainable: its reader (:mod:`edgetf.tflite.model_files`) is below ``tflite/``, which
``data/`` does not import; emit-firmware, inspect and validate read it there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edgetf.base.errors import ModelError
from edgetf.data.keras_files import check_keras_path, load_keras_model


@dataclass(frozen=True)
class ModelFormat:
    """One kind of model file."""

    name: str
    accepts: str
    """The files it takes, for messages: "a .keras or .h5 file or a SavedModel folder"."""
    suffixes: tuple[str, ...]
    """File suffixes, lower case."""
    module: str
    """The module that reads it."""
    extra: str | None
    """The install extra (``pip install edgetf[EXTRA]``) its reader needs; None: any install."""
    folder: bool = False
    """Whether a folder is of this format (a SavedModel)."""
    check: Callable[[Path], Path] | None = None
    """What the path alone shows, before TensorFlow loads: raises :class:`ModelError`."""
    load: Callable[[Path], object] | None = None
    """The tf-keras model train-quantize starts from; None: not trainable."""
    refusal: str = ""
    """Not trainable: why and what to do, after "unsupported file type '.x' " (``{trainable}``:
    the trainable formats)."""

    @property
    def trainable(self) -> bool:
        return self.load is not None


FORMATS: dict[str, ModelFormat] = {
    "keras": ModelFormat(
        "keras", "a .keras or .h5 file or a SavedModel folder", (".keras", ".h5", ".hdf5"),
        "edgetf.data.keras_files", "train", folder=True, check=check_keras_path,
        load=load_keras_model),
    "tflite": ModelFormat(
        "tflite", "a .tflite file", (".tflite",), "edgetf.tflite.model_files", None,
        refusal="(a converted model cannot be trained); give the Keras model it came from, "
                "{trainable}, or pass the .tflite to edgetf emit-firmware --model, inspect "
                "or validate"),
}


def trainable_suffixes() -> tuple[str, ...]:
    """The suffixes of the files train-quantize can start from."""
    return tuple(suffix for entry in FORMATS.values() if entry.trainable
                 for suffix in entry.suffixes)


def recognise(path: str | os.PathLike) -> ModelFormat | None:
    """The format a path's suffix (or, for an existing folder, the folder) names; None."""
    path = Path(path)
    if path.is_dir():
        return next((entry for entry in FORMATS.values() if entry.folder), None)
    suffix = path.suffix.lower()
    return next((entry for entry in FORMATS.values() if suffix in entry.suffixes), None)


def _trainable() -> str:
    return ", or ".join(entry.accepts for entry in FORMATS.values() if entry.trainable)


def check_model_path(path: str | os.PathLike) -> ModelFormat:
    """What the path alone shows, before TensorFlow loads: it exists and is a model
    train-quantize can start from (another format is refused with where it belongs)."""
    path = Path(path)
    suffix = path.suffix.lower()
    entry = next((entry for entry in FORMATS.values() if suffix in entry.suffixes), None)
    if entry is not None and not entry.trainable:
        raise ModelError(f"{path}: unsupported file type '{suffix}' "
                         + entry.refusal.format(trainable=_trainable()))
    if not path.exists():
        raise ModelError(f"{path}: no such file or folder; check the model path")
    entry = recognise(path)
    if entry is None:
        raise ModelError(f"{path}: unsupported file type '{suffix}'; expected {_trainable()}")
    entry.check(path)
    return entry


def load_model(path: str | os.PathLike):
    """The tf-keras model in ``path``, by its format's loader (checked first)."""
    return check_model_path(path).load(Path(path))
