"""The default name of an emitted library: what the model is, never where tune put it.

A library is ``<name>_inferencing`` and its C API ``<name>_init``, ``<name>_run``, ...; two
libraries in one firmware must have different names, so the default must tell models
apart. File and folder names that every run shares say nothing: train-quantize always
writes ``model.tflite``, tune always writes its chosen run to ``best/`` and its trials to
``trials/NNNN/`` (edgetf/tune/tune.py and trial.py; not imported: tune is a later stage).
Those are replaced by the folder that holds them.
"""

from __future__ import annotations

from pathlib import Path

#: train-quantize's model file (without ``.tflite``), tune's chosen run, tune's trials.
_RUN_MODEL_STEM = "model"
_TUNE_BEST = "best"
_TUNE_TRIALS = "trials"


def run_folder_name(run: Path) -> str:
    """The name for a run folder: its own, or for tune's ``best/`` the study folder's,
    for a trial ``trials/0007/`` ``<study folder>_trial_0007``."""
    run = Path(run).resolve()
    if run.name == _TUNE_BEST and run.parent.name:
        return run.parent.name
    if run.parent.name == _TUNE_TRIALS and run.parent.parent.name:
        return f"{run.parent.parent.name}_trial_{run.name}"
    return run.name


def model_file_name(model: Path) -> str:
    """The name for a model file: its stem, unless it is train-quantize's ``model.tflite``,
    whose run folder names it instead."""
    model = Path(model)
    if model.stem == _RUN_MODEL_STEM and model.resolve().parent.name:
        return run_folder_name(model.resolve().parent)
    return model.stem
