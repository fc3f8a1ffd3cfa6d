"""``train-quantize --model model.pt2``: a PyTorch program, trained in PyTorch, made full
int8 and measured as a Keras model is.

A ``torch.export`` program is taken as trained: edgetf converts it (litert-torch), makes it
full int8 with calibration inputs from ``--data``'s training split (ai-edge-quantizer, see
:mod:`edgetf.train.torch_convert`), and measures the float program under PyTorch and the
int8 model under LiteRT and TFLM on the test split, with the same report, run folder and
board figures as a Keras run. The steps that change a Keras model (low-rank, pruning,
clustering, binary weights, distillation, QAT, fine-tuning) are refused: do them in
PyTorch before ``torch.export``. edgetf's data sets are channel-last; a program whose
example input is 4-D takes them channel-first, and the int8 model channel-last again.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from edgetf._version import __version__
from edgetf.base.errors import ModelError
from edgetf.base.output_dir import check_destination, staged_output
from edgetf.base.progress import Reporter
from edgetf.data.datasets import Dataset, load_dataset
from edgetf.data.torch_files import load_exported_program
from edgetf.train.options import TrainQuantizeOptions, refuse_model_steps
from edgetf.train.run_result import SAMPLE_COUNT, TrainQuantizeResult, measure
from edgetf.train.torch_convert import channels_first, torch_to_tflite


def train_quantize_torch(options: TrainQuantizeOptions, reporter: Reporter):
    """``train_quantize`` for a ``.pt2`` ``--model`` (options already checked)."""
    refuse_model_steps(options)
    path = Path(options.model)
    if options.out:
        check_destination(Path(options.out), options.force)
    clock = time.perf_counter()
    with reporter.stage(f"load data '{options.data}'"):
        if Path(options.data).is_dir():
            from edgetf.features.audio_dataset import load_audio_dataset

            data = load_audio_dataset(options.data, seed=options.seed)
        else:
            data = load_dataset(options.data, label_column=options.label_column,
                                validation_fraction=options.validation_fraction,
                                seed=options.seed)
    with reporter.stage(f"load {path}"):
        module, example = load_exported_program(path)
    x_train, x_test = _module_inputs(path, example, data)
    float_accuracy = _torch_accuracy(path, module, example, x_test, data)
    timings = {"load": time.perf_counter() - clock}
    with reporter.stage("convert with litert-torch, full int8 with ai-edge-quantizer"):
        float_tflite, int8_model = torch_to_tflite(
            module, example, x_train, samples=options.calibration_samples, seed=options.seed)
    timings["convert"] = time.perf_counter() - clock - timings["load"]
    with reporter.stage("evaluate under LiteRT and the TFLM interpreter, measure the arena"):
        report, prepared = measure(int8_model, None, float_tflite, data, [], reporter,
                                   options.board_records())
    timings["evaluate"] = time.perf_counter() - clock - sum(timings.values())
    report["accuracy"] = {"float_torch": float_accuracy, **report["accuracy"]}
    for number, row in enumerate(report["layers"]):  # litert-torch's names are the wrapper's
        row["layer"] = f"{row['op'].lower()}_{number}"
    report["boards"] = [board.id for board in options.board_records()]
    has_dense = "FULLY_CONNECTED" in report["ops"]
    report["fully_connected"] = {"weights": "per tensor" if has_dense else "none"}
    report.update({
        "edgetf_version": __version__,
        "data": data.summary(),
        "labels": list(data.labels),
        "model": {"source": str(path), "framework": "pytorch", "trained_from_scratch": False,
                  "parameters": int(sum(p.numel() for p in module.parameters())),
                  "epochs": 0},
        "steps": [],
        "options": options.to_dict(),
        "warnings": reporter.warnings,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
    })
    result = TrainQuantizeResult(
        int8_model, float_tflite, None, data.labels, report, timings=timings,
        samples={"x": data.x_test[:SAMPLE_COUNT].astype("float32"),
                 "y": data.y_test[:SAMPLE_COUNT]}, prepared=prepared)
    if options.out:
        result.out = _write_run(result, path, Path(options.out), options.force)
    return result


def _module_inputs(path: Path, example: np.ndarray, data: Dataset):
    """The training and test inputs in the program's layout (channel-first for 4-D)."""
    wanted = tuple(example.shape[1:])
    shape = tuple(data.input_shape)
    if len(shape) == 3 and wanted == (shape[2], shape[0], shape[1]):
        return channels_first(data.x_train), channels_first(data.x_test)
    if len(shape) != 3 and wanted == shape:
        return data.x_train.astype(np.float32), data.x_test.astype(np.float32)
    expected = (shape[2], shape[0], shape[1]) if len(shape) == 3 else shape
    raise ModelError(
        f"{path}: the program takes inputs of shape {wanted}, the data's samples are "
        f"{shape} (fed to PyTorch as {expected}); export it with an input of that shape")


def _torch_accuracy(path: Path, module, example: np.ndarray, x: np.ndarray,
                    data: Dataset) -> float:
    """The float program's accuracy on the test split, in batches of its example's size
    (``torch.export`` fixes the batch dimension to the example's)."""
    import torch

    batch = len(example)
    padded = np.concatenate([x, np.repeat(x[-1:], -len(x) % batch, axis=0)])
    scores = []
    with torch.no_grad():
        for start in range(0, len(padded), batch):
            out = module(torch.from_numpy(padded[start:start + batch]))
            scores.append(np.asarray(out.detach().cpu().numpy()).reshape(batch, -1))
    scores = np.concatenate(scores)[:len(x)]
    if scores.shape[1] != data.num_classes:
        raise ModelError(f"{path}: the program has {scores.shape[1]} outputs, the data "
                         f"{data.num_classes} classes; export a classifier with one output per "
                         "class")
    return float(np.mean(scores.argmax(1) == data.y_test))


def _write_run(result, program: Path, out: Path, force: bool) -> Path:
    """The run folder of a Keras run, with the program itself (``model.pt2``) for
    ``model.keras``."""
    with staged_output(out, force) as staging:
        (staging / "model.tflite").write_bytes(result.int8_model)
        (staging / "model_float.tflite").write_bytes(result.float_model)
        shutil.copyfile(program, staging / "model.pt2")
        (staging / "labels.txt").write_text(
            "".join(label.replace("\n", " ") + "\n" for label in result.labels),
            encoding="utf-8")
        np.savez(staging / "samples.npz", **result.samples)
        (staging / "report.json").write_text(
            json.dumps(result.report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
