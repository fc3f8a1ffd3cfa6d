"""``train_quantize``: data and model in, a measured full-int8 ``.tflite`` out.

The order is fixed: train (or fine-tune) → low-rank → prune → cluster → QAT →
convert → evaluate under LiteRT and TFLM → write. Each step keeps what the earlier
ones did (sparsity-preserving clustering, PQAT/CQAT/PCQAT), and the report measures
that in the converted int8 weights. With a teacher (``--distill-from``) every fit,
training and each step's fine-tuning, uses the distillation loss.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from edgetf._version import __version__
from edgetf.base.errors import ModelError
from edgetf.base.output_dir import check_destination, staged_output
from edgetf.base.progress import Reporter
from edgetf.base.tf_import import import_tf
from edgetf.compress.common import Training, keras_accuracy
from edgetf.compress.qat import check_qat_supported
from edgetf.compress.teacher import Teacher, check_teacher_path, load_teacher
from edgetf.data.builtin_models import (
    build_model,
    check_model_fits_data,
    default_architecture,
    is_model_path,
    outputs_probabilities,
)
from edgetf.data.datasets import Dataset, load_dataset
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.agreement import compare_interpreters
from edgetf.train.convert import per_channel_fully_connected, to_float_tflite, to_int8_tflite
from edgetf.train.options import TrainQuantizeOptions, is_torch_program
from edgetf.train.run_result import SAMPLE_COUNT, TrainQuantizeResult, measure
from edgetf.train.steps import STEPS, StepContext
from edgetf.train.torch_run import train_quantize_torch

DEFAULT_EPOCHS = 20


def train_quantize(options: TrainQuantizeOptions, reporter: Reporter | None = None, *,
                   loaded: tuple | None = None) -> TrainQuantizeResult:
    """Run the whole pipeline; write ``options.out`` (if set) only when all of it succeeded.

    ``loaded``: :func:`load_training_data`'s result for these options, already computed
    (tune keeps one per front-end setting: raw data's features are costly)."""
    options.check()
    reporter = reporter or Reporter(quiet=True)
    if is_torch_program(options.model):  # a PyTorch program: converted as trained
        return train_quantize_torch(options, reporter)
    options.check_model_path()
    if options.out:
        check_destination(Path(options.out), options.force)
    if options.distill_from:
        check_teacher_path(options.distill_from)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    if loaded is None:
        with reporter.stage(f"load data '{options.data}'"):
            loaded = load_training_data(options)
    data, front_end = loaded
    tf, _ = import_tf()
    tf.config.experimental.enable_op_determinism()
    teacher = None
    if options.distill_from:
        start = time.perf_counter()
        teacher = load_teacher(options.distill_from, data, reporter)
        timings["teacher"] = time.perf_counter() - start  # "train" keeps loading the data
    model, source, from_scratch, training, epochs, distillation = _train(
        options, data, reporter, teacher)
    timings["train"] = _lap(clock, timings)
    # The float reference is the model before compression: pruning wraps its layers in
    # place, so convert it now.
    float_tflite = to_float_tflite(model)
    accuracy = {"float_keras": keras_accuracy(model, data.x_test, data.y_test)}
    parameters = int(model.count_params())

    steps = []
    context = StepContext(source, per_tensor_dense=options.qat or bool(
        _per_tensor_boards(options)))
    for quantizing in (False, True):  # the compression steps, then QAT
        if quantizing:
            if steps:
                _recompile(model, training)
                accuracy["compressed_float_keras"] = keras_accuracy(
                    model, data.x_test, data.y_test)
            layer_names = [layer.name for layer in model.layers]
        for entry in STEPS:
            if entry.quantizes is quantizing and entry.applies(options):
                model, step = entry.run(model, training, options, context)
                steps.append(step)
                if quantizing:
                    accuracy[f"{entry.name}_keras"] = keras_accuracy(
                        model, data.x_test, data.y_test)
                timings[entry.name] = _lap(clock, timings)

    if training.distillation is not None:
        # Compiled with the distillation loss, which model.keras would name and only
        # edgetf defines: recompile with the plain loss so that the file loads anywhere.
        _recompile(model, training.without_distillation())
    int8_model, parsed, fully_connected = _convert_for_boards(model, data, options, reporter)
    if front_end is not None:  # its int8 output: the model's input quantization
        front_end = front_end.for_model(int8_model)
    timings["convert"] = _lap(clock, timings)
    with reporter.stage("evaluate under LiteRT and the TFLM interpreter, measure the arena"):
        report, prepared = measure(int8_model, parsed, float_tflite, data, layer_names,
                                   reporter, options.board_records())
    timings["evaluate"] = _lap(clock, timings)
    report["accuracy"] = {**accuracy, **report["accuracy"]}
    if "per_channel_int8_litert" in fully_connected:
        fully_connected["per_tensor_int8_litert"] = report["accuracy"]["int8_litert"]
    report["boards"] = [board.id for board in options.board_records()]
    report["fully_connected"] = fully_connected
    _check_values(report["layers"], steps, reporter)
    report.update({
        "edgetf_version": __version__,
        "data": data.summary(),
        "labels": list(data.labels),
        "model": {"source": source, "trained_from_scratch": from_scratch,
                  "parameters": parameters, "epochs": epochs},
        "steps": [step.to_dict() for step in steps],
        **({"distillation": distillation} if distillation is not None else {}),
        **({"front_end": front_end_report(front_end)} if front_end is not None else {}),
        "options": options.to_dict(),
        # The front end the features came from: emit-firmware embeds it (features.audio_dataset).
        **({"features": data.features_record()} if hasattr(data, "features_record") else {}),
        "warnings": reporter.warnings,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
    })
    result = TrainQuantizeResult(
        int8_model, float_tflite, model, data.labels, report, timings=timings,
        samples={"x": data.x_test[:SAMPLE_COUNT].astype("float32"),
                 "y": data.y_test[:SAMPLE_COUNT],
                 # Raw clips (audio) or windows (motion): the firmware's golden vectors
                 # start from samples.
                 **({"clips": data.test_clips[:SAMPLE_COUNT]}
                    if getattr(data, "test_clips", None) is not None else {}),
                 **({"windows": data.test_windows[:SAMPLE_COUNT]}
                    if getattr(data, "test_windows", None) is not None else {})},
        front_end=front_end.model if front_end is not None else None, prepared=prepared)
    if options.out:
        result.out = write_run(result, Path(options.out), options.force)
    return result


def load_training_data(options: TrainQuantizeOptions) -> tuple:
    """The data set ``options`` train on, and the spectral front end of a time-series CSV
    (None otherwise: an audio data set carries its own front end)."""
    if Path(options.data).is_dir():  # WAV clips per label: features by the TFLM front end
        from edgetf.features.audio import audio_front_end
        from edgetf.features.audio_dataset import load_audio_dataset

        front_end = audio_front_end(_front_end_table(options, "audio"),
                                    source=options.config_file or "the config")
        return load_audio_dataset(options.data, front_end, clip_ms=options.clip_ms,
                                  seed=options.seed), None
    if options.time_series:  # sensor windows: features by the spectral front end
        return _load_time_series(options)
    return load_dataset(options.data, label_column=options.label_column,
                        validation_fraction=options.validation_fraction,
                        seed=options.seed), None


def _front_end_table(options: TrainQuantizeOptions, kind: str) -> dict | None:
    """The config file's ``[features.<kind>]`` table with ``feature_params`` over it."""
    from edgetf.train.options import read_toml

    document = read_toml(Path(options.config_file)) if options.config_file else {}
    tables = document.get("features", {})
    table = tables.get(kind) if isinstance(tables, dict) else None
    if options.feature_params:
        table = {**(table if isinstance(table, dict) else {}), **options.feature_params}
    return table


def _load_time_series(options: TrainQuantizeOptions):
    """A time-series CSV's windows through its front end, with the config file's
    ``[features.<kind>]`` table."""
    from edgetf.features.motion_dataset import load_motion_dataset

    kind = options.features or "spectral"
    table = _front_end_table(options, kind)
    return load_motion_dataset(
        options.data, kind, table, sample_rate=options.sample_rate,
        window_ms=options.window_ms, stride_ms=options.stride_ms,
        label_column=options.label_column, recording_column=options.recording_column,
        seed=options.seed, source=options.config_file or "the config")


def front_end_report(front_end) -> dict:
    """What ``report.json`` says of the front end that computed the features."""
    from dataclasses import asdict

    layout = front_end.layout
    return {"kind": "spectral", "file": "front_end.tflite", "config": asdict(front_end.config),
            "sample_rate": layout.sample_rate, "window_samples": layout.window,
            "axes": layout.axes, "fft_length": layout.fft_length,
            "features": front_end.feature_names(),
            "output_quantization": {"scale": front_end.quantization[0],
                                    "zero_point": front_end.quantization[1]}}


def _per_tensor_boards(options: TrainQuantizeOptions) -> list[str]:
    """The named boards whose TFLM computes per-channel FULLY_CONNECTED weights wrongly."""
    return [board.id for board in options.board_records()
            if not board.per_channel_fully_connected]


def _convert_for_boards(model, data: Dataset, options: TrainQuantizeOptions,
                        reporter: Reporter) -> tuple[bytes, TfliteModel | None, dict]:
    """The full-int8 model every named board's TFLM runs, the model read (None where it
    was converted again: the caller reads that one), and how its FULLY_CONNECTED weights
    are quantized.

    The converter writes per-channel Dense weights (a QAT model's are per tensor:
    tfmot's config). Where a named board needs per-tensor ones, the model is converted
    again with them, and both conversions' int8 accuracy (LiteRT, test split) reported.
    """
    with reporter.stage("convert to full-int8 TFLite"):
        int8_model = to_int8_tflite(model, data.x_train, samples=options.calibration_samples,
                                    seed=options.seed)
    parsed = read_tflite(int8_model, source="the converted model")
    per_channel = per_channel_fully_connected(parsed)
    boards = _per_tensor_boards(options)
    if not per_channel:
        has_dense = "FULLY_CONNECTED" in parsed.op_names()
        return int8_model, parsed, {"weights": "per tensor" if has_dense else "none"}
    if not boards:
        return int8_model, parsed, {"weights": "per channel"}
    with reporter.stage(f"convert again with per-tensor FULLY_CONNECTED weights, which "
                        f"{', '.join(boards)} need"):
        per_tensor_model = to_int8_tflite(
            model, data.x_train, samples=options.calibration_samples, seed=options.seed,
            per_tensor_dense=True)
    per_channel_accuracy = compare_interpreters(
        int8_model, data.x_test, data.y_test, run_tflm=False, parsed=parsed).litert_accuracy
    return per_tensor_model, None, {"weights": "per tensor", "for_boards": boards,
                              "per_channel_int8_litert": per_channel_accuracy}


def _train(options: TrainQuantizeOptions, data: Dataset, reporter: Reporter,
           teacher: Teacher | None):
    """Build (or load) the model and train it, from the teacher if there is one.

    Returns the model, its source, whether it was trained from scratch, the
    :class:`Training` every later step fine-tunes with, the epochs, and the
    distillation report (None without a teacher).
    """
    _, keras = import_tf()
    # Seeded here, after the teacher is loaded, so that a student starts (and is
    # shuffled) exactly as it would without a teacher, and the student alone too.
    keras.utils.set_random_seed(options.seed)
    model, source, from_scratch = _model_for(options, data, reporter)
    if options.qat:
        check_qat_supported(model, source)  # fail before training, not after it
    training = Training(data, reporter, from_logits=not outputs_probabilities(model))
    epochs = options.epochs if options.epochs is not None else (
        DEFAULT_EPOCHS if from_scratch else options.fine_tune_epochs)
    learning_rate = options.learning_rate if from_scratch else options.learning_rate / 10
    description = "train" if from_scratch else f"fine-tune {source}"
    distillation = None
    if teacher:
        distillation = _distillation_report(teacher, options, data)
        if options.distill_baseline:  # the same student, seed and epochs, on labels alone
            training.fit(model, epochs=epochs, learning_rate=learning_rate,
                         description=f"{description} the student alone (baseline)")
            distillation["student_alone_accuracy"] = keras_accuracy(
                model, data.x_test, data.y_test)
            keras.utils.set_random_seed(options.seed)
            model, source, from_scratch = _model_for(options, data, reporter)
        training = replace(training, distillation=teacher.distillation(
            options.distill_temperature, options.distill_alpha))
        description += f", distilled from {Path(teacher.source).name}"
    training.fit(model, epochs=epochs, learning_rate=learning_rate, description=description)
    if distillation is not None:
        distillation["distilled_student_accuracy"] = keras_accuracy(
            model, data.x_test, data.y_test)
    return model, source, from_scratch, training, epochs, distillation


def _model_for(options: TrainQuantizeOptions, data: Dataset, reporter: Reporter):
    """The model to train: a fresh built-in one, or the user's (to be fine-tuned)."""
    if options.model and is_model_path(options.model):
        from edgetf.data.model_formats import load_model

        with reporter.stage(f"load {options.model}"):
            model = load_model(options.model)
        check_model_fits_data(model, options.model, data.input_shape, data.num_classes)
        return model, options.model, False
    architecture = options.model or default_architecture(data.input_shape)
    if options.model and Path(options.model).suffix:
        raise ModelError(f"{options.model}: no such model file; check the --model path")
    model = build_model(architecture, data.input_shape, data.num_classes,
                        width=options.width, depth=options.depth)
    return model, architecture, True


def _distillation_report(teacher: Teacher, options: TrainQuantizeOptions, data: Dataset) -> dict:
    """The distillation part of the report; accuracies are float, on the test split."""
    return {
        "teacher": teacher.source,
        "temperature": options.distill_temperature,
        "alpha": options.distill_alpha,
        "teacher_accuracy": teacher.accuracy(data.y_test),
    }


def _check_values(layers: list[dict], steps, reporter: Reporter) -> None:
    """Warn where the int8 weights hold more values per channel than a step promised
    (clustering: its K; binarization: 2), naming the layer: the LUT would need more bits."""
    rows = {row["layer"]: row for row in layers}
    for step in steps:
        limit = {"cluster": step.settings.get("clusters"), "binary": 2}.get(step.step)
        for name in step.layers if limit else ():
            row = rows.get(name)
            if row is not None and row["max_distinct_per_channel"] > limit:
                reporter.warn(
                    f"{step.step}: layer '{name}' holds {row['max_distinct_per_channel']} "
                    f"distinct int8 values in a channel, more than {limit}; its LUT needs "
                    f"{row['weight_bits']} bits")


def _recompile(model, training: Training) -> None:
    """Stripped models lose their compile state; recompile so Keras can evaluate them."""
    training.fit(model, epochs=0, learning_rate=1e-3, description="")


def write_run(result: TrainQuantizeResult, out: Path, force: bool) -> Path:
    """Write the run's files together (see ``staged_output``)."""
    with staged_output(out, force) as staging:
        (staging / "model.tflite").write_bytes(result.int8_model)
        (staging / "model_float.tflite").write_bytes(result.float_model)
        result.keras_model.save(staging / "model.keras")
        (staging / "labels.txt").write_text(
            "".join(label.replace("\n", " ") + "\n" for label in result.labels),
            encoding="utf-8")
        if result.samples:
            np.savez(staging / "samples.npz", **result.samples)
        if result.front_end is not None:
            (staging / "front_end.tflite").write_bytes(result.front_end)
        (staging / "report.json").write_text(
            json.dumps(result.report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def _lap(start: float, earlier: dict | None = None) -> float:
    """Seconds since ``start`` minus the stages already timed."""
    return time.perf_counter() - start - sum((earlier or {}).values())
