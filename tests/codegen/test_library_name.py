"""The default library name follows the model or its run folder, never tune's best/."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgetf.codegen.library_name import model_file_name, run_folder_name


@pytest.mark.parametrize(("run", "name"), [
    ("runs/digits", "digits"),
    ("tunes/kws/best", "kws"),
    ("tunes/kws/trials/0007", "kws_trial_0007"),
])
def test_run_folders(tmp_path, run, name):
    assert run_folder_name(tmp_path / run) == name


def test_run_folder_given_as_dot_is_named_by_the_folder(tmp_path, monkeypatch):
    (tmp_path / "wake" / "best").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "wake" / "best")
    assert run_folder_name(Path(".")) == "wake"


@pytest.mark.parametrize(("model", "name"), [
    ("models/person_detect.tflite", "person_detect"),
    ("runs/digits/model.tflite", "digits"),
    ("tunes/kws/best/model.tflite", "kws"),
])
def test_model_files(tmp_path, model, name):
    assert model_file_name(tmp_path / model) == name
