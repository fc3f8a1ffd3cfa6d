"""``validate``: the int8 model against its reference on a labelled dataset, as a gate.

What STM32Cube.AI's validate does for a TFLite model: run the int8 model under LiteRT
and (in a child process) the TFLM interpreter, and the reference (a float ``.tflite``
under LiteRT, or a Keras model) on the same test samples; report each model's accuracy,
their top-1 agreement, the confusion matrix of the int8 model, the error of its
dequantized outputs against the reference's (max abs, RMSE), and LiteRT against TFLM
(bit-exact rate, max difference). On unlabelled samples (an ``.npz`` holding only
``x``) it reports the agreement and output error only. With ``max_drop`` it is a gate:
:class:`AccuracyDropError` (exit code 1) when int8 accuracy falls more than that many
points below the reference's. With ``report`` it also writes a self-contained HTML page
(:mod:`edgetf.analyze.validate_report`), before the gate decides, so a failed gate comes with
the page that explains it.

A Keras reference needs TensorFlow; a ``.tflite`` reference does not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgetf.analyze.validate_audio import (
    audio_run,
    held_out_inputs,
    model_path,
    read_clips,
    recognizer_config,
    require_audio_run,
    streaming_figures,
)
from edgetf.analyze.validate_report import check_report_path, write_report
from edgetf.analyze.validation import Validation
from edgetf.base.errors import ConfigError, DataError, EdgetfError, ModelError
from edgetf.base.progress import Reporter
from edgetf.data.datasets import load_dataset
from edgetf.tflite.litert import litert_outputs
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.model_files import read_model_file
from edgetf.tflite.quantization import dequantize, quantized_inputs
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.agreement import compare_interpreters

#: Bins of the output error histogram (odd, so that zero error has a bin of its own).
ERROR_BINS = 41


class AccuracyDropError(EdgetfError):
    """The int8 model lost more accuracy than ``--max-drop`` allows."""

    exit_code = 1


@dataclass
class ValidateOptions:
    model: Path
    reference: Path | None = None
    data: str = "digits"
    label_column: str | None = None
    max_drop: float | None = None
    report: Path | None = None
    seed: int = 42
    config: Path | None = None
    stream_minutes: float = 10.0


def validate(options: ValidateOptions, reporter: Reporter | None = None) -> Validation:
    """Measure the int8 model (and its reference) on the test split of ``options.data``;
    raise :class:`AccuracyDropError` if the drop exceeds ``options.max_drop``."""
    reporter = reporter or Reporter(quiet=True)
    if options.max_drop is not None and options.max_drop < 0:
        raise ConfigError(f"--max-drop must be >= 0 points, got {options.max_drop}")
    if options.report is not None:
        check_report_path(Path(options.report))  # fail before the long work, not after
    if options.stream_minutes < 0:
        raise ConfigError(f"--stream-minutes must be >= 0, got {options.stream_minutes:g}")
    model_file = model_path(Path(options.model))
    model_bytes = read_model_file(model_file)
    if options.reference is not None:  # what the path alone shows, before any loading
        _check_reference_path(Path(options.reference))
    model = read_tflite(model_bytes, source=str(model_file))
    clips = run = None
    if Path(options.data).is_dir():  # raw clips: the run's front end makes the inputs
        run = require_audio_run(audio_run(model_file), model_file, options.data)
        recognizer = recognizer_config(options.config)
        with reporter.stage(f"features of {options.data}'s test clips (front end in TFLM)"):
            clips = read_clips(options.data, run)
            x, y, labels = held_out_inputs(clips, run, options.data)
    else:
        if not Path(options.data).exists() and audio_run(model_file) is not None:
            raise DataError(f"{options.data}: no such folder; {model_file} was trained from"
                            " audio clips: pass their folder (one subfolder of WAV files per"
                            " label)")
        if options.config is not None:
            raise ConfigError("--config sets the streaming recognizer, which validate runs on"
                              " a folder of audio clips only; pass --data FOLDER or drop it")
        x, y, labels = _load_data(options)
    classes = len(labels) if labels else int(np.prod(model.output_tensors()[0].shape))
    _check_shapes(model, model_file, x.shape[1:], classes)
    if run is not None:  # frames laid out as the model takes them (the board copies bytes)
        x = x.reshape((len(x), *model.input_tensors()[0].shape[1:]))
    with reporter.stage(f"run {model_file} under LiteRT and TFLM on {len(x)} samples"):
        comparison = compare_interpreters(model_bytes, x, y, parsed=model)
        int8_raw = comparison.litert_raw
    int8_out = dequantize(int8_raw, model.output_tensors()[0]).reshape(len(x), -1)
    result = Validation(
        samples=len(x), labels=labels, int8_accuracy=comparison.litert_accuracy,
        tflm_accuracy=comparison.tflm_accuracy,
        tflm_litert_top1_agreement=comparison.top1_agreement,
        tflm_litert_bit_exact_rate=comparison.bit_exact_rate,
        tflm_litert_max_abs_difference=comparison.max_abs_difference,
        confusion=None if y is None else _confusion(y, int8_out.argmax(axis=1), classes),
        model_file=str(model_file), model_sha256=hashlib.sha256(model_bytes).hexdigest(),
        data=str(options.data), max_drop=options.max_drop,
        reference_file=None if options.reference is None else str(options.reference))
    if y is None:
        result.notes.append("unlabelled data: agreement and output error only")
    if comparison.tflm_outputs is None:
        result.notes.append("tflite-micro is not installed here: no TFLM figures")
    elif comparison.bit_exact_rate is not None and comparison.bit_exact_rate < 1:
        result.notes.append(_tflm_litert_note(comparison, model_bytes, int8_raw, x,
                                               parsed=model))
    if options.reference is not None:
        with reporter.stage(f"run the reference {options.reference}"):
            reference = _reference_outputs(Path(options.reference), x)
        _compare_reference(result, int8_out, reference, y, classes)
    if run is not None and options.stream_minutes > 0:
        with reporter.stage(f"streaming: {options.stream_minutes:g} min of background and"
                            " the held-out keywords through front end, model and recognizer"):
            result.streaming = streaming_figures(model_bytes, str(model_file), clips, run,
                                                 recognizer, options.stream_minutes,
                                                 options.data, options.seed)
    if options.max_drop is not None and result.accuracy_drop_points is None:
        raise ConfigError("--max-drop needs --reference and labelled data: the drop is "
                          "measured against the reference's accuracy")
    if options.report is not None:
        write_report(result, Path(options.report))
    if options.max_drop is not None:
        _gate(result, options.max_drop, options.report)
    return result


def _load_data(options: ValidateOptions) -> tuple[np.ndarray, np.ndarray | None, tuple]:
    """Test samples, labels (None for unlabelled data) and label names.

    Labelled data take train-quantize's forms (its test split is used). An ``.npz`` that
    holds only ``x`` (float samples, no labels) is unlabelled: validate then reports
    agreement and output error only.
    """
    path = Path(options.data)
    if path.suffix == ".npz" and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as archive:
                names = set(archive.files)
                x = archive["x"] if names == {"x"} else None
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: cannot be read as .npz ({error}); pass a numpy .npz "
                            "file") from None
        if x is not None:
            if x.dtype.kind not in "fiu" or x.ndim < 2:
                raise DataError(f"{path}: 'x' must be a numeric (N, ...) array of samples, "
                                f"got {x.dtype} of shape {list(x.shape)}")
            return x.astype(np.float32), None, ()
    data = load_dataset(options.data, label_column=options.label_column, seed=options.seed)
    return data.x_test, data.y_test, data.labels


def _check_shapes(model, source, input_shape: tuple[int, ...], classes: int) -> None:
    tensor = model.input_tensors()[0]
    if int(np.prod(tensor.shape)) != int(np.prod(input_shape)):
        raise ModelError(f"{source}: takes input {list(tensor.shape)} but the data's samples "
                         f"are {list(input_shape)}; pass the data the model was trained on")
    outputs = int(np.prod(model.output_tensors()[0].shape))
    if outputs != classes:
        raise ModelError(f"{source}: has {outputs} outputs but the data has {classes} "
                         "classes; pass the data the model was trained on")


def _check_reference_path(path: Path) -> None:
    if path.suffix == ".tflite":
        if not path.is_file():
            raise ModelError(f"{path}: no such file; check the --reference path")
        return
    from edgetf.data.model_formats import check_model_path

    try:
        check_model_path(path)
    except ModelError as error:
        raise ModelError(f"--reference {error}") from None


def _tflm_litert_note(comparison, model_bytes: bytes, litert_raw: np.ndarray,
                      x: np.ndarray, *, parsed: TfliteModel | None = None) -> str:
    """One line on why TFLM and LiteRT differ, measured: LiteRT's optimized kernels
    against its reference kernels (those TFLM's are ported from), and whether the top
    label changes."""
    tflm = comparison.tflm_outputs.reshape(len(x), -1).astype(np.int64)
    litert = litert_raw.reshape(len(x), -1).astype(np.int64)
    reference = litert_outputs(model_bytes, quantized_inputs(model_bytes, x, parsed=parsed),
                               reference_kernels=True).reshape(len(x), -1).astype(np.int64)
    differ = int(np.sum(np.any(tflm != litert, axis=1)))
    changed = int(np.sum(tflm.argmax(axis=1) != litert.argmax(axis=1)))
    to_reference = np.abs(tflm - reference)
    same = float(np.mean(np.all(to_reference == 0, axis=1)))
    cause = ("mostly LiteRT's optimized kernels (XNNPACK, ruy) rounding otherwise"
             if same > comparison.bit_exact_rate else "not LiteRT's optimized kernels alone")
    return (f"TFLM vs LiteRT: {differ} of {len(x)} samples differ, by at most "
            f"{comparison.max_abs_difference} steps, the top label on {changed}; LiteRT's "
            f"reference kernels (which TFLM's are ported from) match TFLM on "
            f"{100 * same:.0f} % (at most {int(to_reference.max())} steps), so the cause is "
            f"{cause}; the board runs TFLM, whose figures are the ones that count")


def _reference_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    """The reference's float outputs: a ``.tflite`` under LiteRT, else a Keras model."""
    if path.suffix == ".tflite":
        reference = read_model_file(path, argument="--reference")
        parsed = read_tflite(reference, source=str(path))
        raw = litert_outputs(reference, quantized_inputs(reference, x, parsed=parsed))
        return dequantize(raw, parsed.output_tensors()[0]).reshape(len(x), -1)
    from edgetf.data.model_formats import load_model

    keras_model = load_model(str(path))
    return np.asarray(keras_model.predict(x, verbose=0)).reshape(len(x), -1)


def _compare_reference(result: Validation, int8_out: np.ndarray, reference: np.ndarray,
                       y: np.ndarray | None, classes: int) -> None:
    if reference.shape != int8_out.shape:
        raise ModelError(f"the reference gives outputs of shape {list(reference.shape[1:])}, "
                         f"the int8 model {list(int8_out.shape[1:])}; pass the model's own "
                         "float version")
    if y is not None:
        result.reference_accuracy = float(np.mean(reference.argmax(axis=1) == y))
        result.reference_confusion = _confusion(y, reference.argmax(axis=1), classes)
    result.reference_top1_agreement = float(np.mean(reference.argmax(axis=1)
                                                    == int8_out.argmax(axis=1)))
    error = int8_out.astype(np.float64) - reference.astype(np.float64)
    result.output_max_abs_error = float(np.abs(error).max())
    result.output_rmse = float(np.sqrt(np.mean(error ** 2)))
    result.error_histogram = _histogram(error)


def _histogram(error: np.ndarray, bins: int = ERROR_BINS) -> dict:
    """Counts of the signed errors in ``bins`` equal bins symmetric around zero, so a
    bias shows as a lopsided histogram."""
    reach = float(np.abs(error).max()) or 1e-6
    counts, edges = np.histogram(error, bins=bins, range=(-reach, reach))
    return {"edges": [float(edge) for edge in edges], "counts": counts.tolist()}


def _gate(result: Validation, max_drop: float, report: Path | None) -> None:
    drop = result.accuracy_drop_points
    if drop > max_drop:
        raise AccuracyDropError(
            f"int8 accuracy {100 * result.int8_accuracy:.2f}% is {drop:.2f} points below the "
            f"reference's {100 * result.reference_accuracy:.2f}% on {result.samples} samples, "
            f"more than --max-drop {max_drop:g}; retrain with QAT or a larger calibration set"
            + (f" (report: {report})" if report is not None else ""))


def _confusion(y: np.ndarray, predicted: np.ndarray, classes: int) -> list[list[int]]:
    """``matrix[true][predicted]`` counts."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (y.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix.tolist()
