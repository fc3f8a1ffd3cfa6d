"""``edgetf.emit_firmware(model, board=..., out=..., data=...)``: any model to a project.

``model`` may be a ``.tflite`` path, ``.tflite`` bytes, a Keras (``tf_keras``) model
object, a PyTorch ``nn.Module`` or a ``torch.export`` file (``.pt2``). Keras objects are
converted as ``train-quantize`` converts (full int8: int8 weights,
activations, input and output, 200 calibration samples drawn with seed 42 from ``data``),
then everything goes through :func:`edgetf.codegen.emit_firmware.build_project`, as the
CLI's ``emit-firmware --model`` does. PyTorch models go through
:func:`edgetf.train.torch_convert.torch_to_int8_tflite` (the ``torch`` extra). TensorFlow
and PyTorch are imported only to convert.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgetf.base.errors import ConfigError, DataError
from edgetf.base.output_dir import check_destination, staged_output
from edgetf.base.progress import Reporter
from edgetf.codegen.emit_firmware import EmitResult, build_project
from edgetf.codegen.golden import DEFAULT_COUNT
from edgetf.codegen.library_name import model_file_name
from edgetf.codegen.runtime_choice import check_runtime
from edgetf.targets.board_compression import MODES as COMPRESS_MODES
from edgetf.targets.boards import get_board
from edgetf.tflite.model_files import read_model_file

#: The file name a model given as bytes or as an object is known by in the project (its
#: README, its warnings), as if ``emit-firmware --model model.tflite`` had been run.
UNNAMED_FILE = "model.tflite"
#: train-quantize's defaults for the full-int8 conversion.
CALIBRATION_SAMPLES = 200
SEED = 42


@dataclass(frozen=True)
class Firmware:
    """What :func:`emit_firmware` wrote and the figures ``emit-firmware`` prints."""

    out: Path
    board: str
    files: tuple[str, ...]
    """The project's files, relative to ``out``."""
    fits: bool
    """Flash and RAM within the board's budgets (estimates; ``force`` emits either way)."""
    arena_bytes: int
    arena_place: str
    flash_bytes: int
    flash_budget: int
    ram_bytes: int
    ram_budget: int
    quantization: str
    tflite: bytes
    """The model as given, or as converted from the object: an ordinary ``.tflite``."""
    warnings: tuple[str, ...]
    result: EmitResult
    """Everything else (``result.spec``: the arena plan, golden vectors, ops ...)."""
    runtime: str = "tflm"
    """The runtime the library got: ``"compiled"`` only where ``runtime="compiled"`` or
    ``"auto"`` was asked and the board's kernel library covers every op (see the warnings,
    or with ``"auto"`` the reporter's lines, otherwise)."""


def emit_firmware(model, *, board: str, out: str | Path, data=None, name: str | None = None,
                  labels: Sequence[str] = (), golden: int = DEFAULT_COUNT,
                  compress: str = "auto", force: bool = False, runtime: str = "tflm",
                  reporter: Reporter | None = None) -> Firmware:
    """Write the PlatformIO project for ``model`` on ``board`` to ``out``; return its figures.

    ``data`` is the calibration data a model object needs (an array of float inputs, a
    :class:`edgetf.data.datasets.Dataset`, or what ``--data`` takes: ``"digits"``, a
    ``.npz`` or ``.csv`` path, whose training split is used); a ``.tflite`` is already
    converted and takes none. The rest are ``emit-firmware``'s options (``runtime``:
    ``"tflm"``, ``"compiled"`` or ``"auto"``). Raises
    :class:`edgetf.EdgetfError` subclasses, and writes nothing, when anything is wrong.
    """
    reporter = reporter or Reporter(quiet=True)
    board_id = get_board(board).id  # an unknown board fails before any work
    if golden < 0:
        raise ConfigError(f"golden must be >= 0, got {golden}")
    if compress not in COMPRESS_MODES:
        raise ConfigError(f"compress={compress!r} is not one of {', '.join(COMPRESS_MODES)}; "
                          "e.g. compress='off'")
    check_runtime(runtime, api=True)
    out = Path(out)
    check_destination(out, force)
    tflite, model_file = _tflite_of(model, data, reporter)
    # A file is named as emit-firmware names it (train-quantize's model.tflite by its run
    # folder); bytes and objects are "model".
    default_name = (model_file_name(Path(model)) if isinstance(model, (str, Path))
                    else Path(model_file).stem)
    result = build_project(
        tflite, board_id, name=name or default_name, model_file=model_file,
        labels=tuple(str(label) for label in labels),
        labels_source="the labels given to edgetf.emit_firmware" if labels else "",
        golden=golden, compress=compress, force=force, runtime=runtime, reporter=reporter)
    with reporter.stage(f"write {len(result.files)} files to {out}"):
        with staged_output(out, force) as staging:
            for relative, content in result.files.items():
                path = staging / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
    result.out = out
    spec = result.spec
    footprint = spec.footprint
    return Firmware(
        out=out, board=board_id, files=tuple(sorted(result.files)),
        fits=footprint.flash_ok and footprint.ram_ok, arena_bytes=spec.arena.bytes,
        arena_place=spec.arena.place, flash_bytes=footprint.flash_bytes,
        flash_budget=footprint.flash_budget, ram_bytes=footprint.ram_bytes,
        ram_budget=footprint.ram_budget, quantization=spec.compatibility.quantization,
        tflite=tflite, warnings=tuple(result.warnings), result=result, runtime=spec.runtime)


def _tflite_of(model, data, reporter: Reporter) -> tuple[bytes, str]:
    """The ``.tflite`` bytes of ``model`` and the file name they are known by."""
    if isinstance(model, (str, Path)) and Path(model).suffix.lower() == ".pt2":
        from edgetf.data.torch_files import load_exported_program

        module, example = load_exported_program(Path(model))
        return _from_torch(module, example, data, reporter), Path(model).stem + ".tflite"
    if isinstance(model, (str, Path)):
        _refuse_data(data, "a .tflite file")
        return read_model_file(Path(model), "model"), str(model)
    if isinstance(model, (bytes, bytearray, memoryview)):
        _refuse_data(data, ".tflite bytes")
        return bytes(model), UNNAMED_FILE
    if _is_keras_model(model):
        calibration = _calibration(data, "a Keras model")
        from edgetf.train.convert import to_int8_tflite

        with reporter.stage("convert the Keras model to full int8"):
            return to_int8_tflite(model, calibration, samples=CALIBRATION_SAMPLES,
                                  seed=SEED), UNNAMED_FILE
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return _from_torch(model, None, data, reporter), UNNAMED_FILE
    raise ConfigError(
        f"model is a {type(model).__name__}; pass a .tflite path, .tflite bytes, a .pt2 path, "
        "a Keras model built with tf_keras or a PyTorch nn.Module (with data= for "
        "calibration)")


def _from_torch(module, example, data, reporter: Reporter) -> bytes:
    """A module (``example`` None: traced with the first calibration input) or a program's."""
    from edgetf.train.torch_convert import (
        channels_first,
        exported_module,
        torch_to_int8_tflite,
    )

    calibration = _calibration(data, "a PyTorch model")
    if isinstance(data, (str, Path)) or hasattr(data, "x_train"):  # edgetf's: channel-last
        calibration = channels_first(calibration)
    if example is None:  # converted as its .pt2 would be (the same bytes)
        example = calibration[:1]
        module = exported_module(module, example)
    with reporter.stage("convert the PyTorch model to full int8"):
        return torch_to_int8_tflite(module, example, calibration,
                                    samples=CALIBRATION_SAMPLES, seed=SEED)


def _is_keras_model(model) -> bool:
    """A ``tf_keras`` model. Only looked up when ``tf_keras`` is already imported: whoever
    holds such a model has imported it, and edgetf does not import TensorFlow to ask."""
    tf_keras = sys.modules.get("tf_keras")
    if tf_keras is not None and isinstance(model, tf_keras.Model):
        return True
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, getattr(keras, "Model", ())) \
            and int(getattr(keras, "__version__", "2").split(".")[0]) >= 3:
        raise ConfigError(
            "model is a Keras 3 model; edgetf converts Keras 2 models (tfmot needs them): "
            "build it with tf_keras (import tf_keras as keras), or convert it to a full-int8 "
            ".tflite yourself and pass that")
    return False


def _refuse_data(data, what: str) -> None:
    if data is not None:
        raise ConfigError(f"data= is calibration data for converting a model object, and "
                          f"{what} is already converted; leave data out")


def _calibration(data, what: str) -> np.ndarray:
    """Float inputs to calibrate the int8 conversion with, from what ``data`` is."""
    if data is None:
        raise ConfigError(
            f"{what} needs data= to be converted to full int8 (activation ranges come from "
            "real inputs): an array of inputs, or a data set such as data='digits'")
    if isinstance(data, (str, Path)):
        from edgetf.data.datasets import load_dataset

        data = load_dataset(str(data), seed=SEED)
    x = getattr(data, "x_train", data)  # a Dataset's training split, as train-quantize uses
    x = np.asarray(x)
    if x.ndim < 1 or len(x) == 0 or x.dtype.kind not in "fiu":
        raise DataError(f"data= holds {x.shape} {x.dtype} values; pass a non-empty numeric "
                        "array of model inputs (N, *input_shape)")
    return x.astype(np.float32)
