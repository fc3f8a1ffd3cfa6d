"""validate: accuracies, agreement, confusion matrix, output error, and the --max-drop gate.

The models and data come from conftest's ``validation_files``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.analyze.validate import AccuracyDropError, ValidateOptions, validate
from edgetf.base.errors import ConfigError
from edgetf.cli.app import app
from tests.conftest import error_line


@pytest.fixture(scope="module")
def files(validation_files):
    return validation_files


def _options(files, model="int8", **overrides):
    return ValidateOptions(model=files[model], reference=files["float"],
                           data=str(files["data"]), **overrides)


def test_figures_against_the_float_reference(files):
    result = validate(_options(files))
    assert result.samples == 100 and result.reference_accuracy == 1.0
    assert result.reference_top1_agreement == result.int8_accuracy
    assert result.int8_accuracy >= 0.9
    matrix = np.array(result.confusion)
    assert matrix.sum() == 100
    assert matrix.trace() == round(100 * result.int8_accuracy)
    assert 0 < result.output_rmse <= result.output_max_abs_error <= 1
    assert result.tflm_litert_top1_agreement >= 0.99


def test_saturated_model_loses_accuracy_and_the_gate_stops_it(files):
    result = validate(_options(files, model="saturated"))
    drop = result.accuracy_drop_points
    assert drop > 5, drop  # the premise of this test
    with pytest.raises(AccuracyDropError, match=r"points below the reference's 100.00%"):
        validate(_options(files, model="saturated", max_drop=drop - 1))
    assert validate(_options(files, model="saturated", max_drop=drop + 1))


def test_cli_gate_exit_codes(files):
    runner = CliRunner()
    base = ["validate", "--model", str(files["saturated"]), "--reference",
            str(files["float"]), "--data", str(files["data"])]
    failed = runner.invoke(app, [*base, "--max-drop", "1"])
    assert failed.exit_code == 1
    assert "more than --max-drop 1" in error_line(failed)
    passed = runner.invoke(app, [*base, "--max-drop", "100", "--json"])
    assert passed.exit_code == 0, passed.output
    data = json.loads(passed.stdout)
    assert {"int8_accuracy", "reference_accuracy", "confusion", "output_rmse",
            "tflm_litert_bit_exact_rate", "accuracy_drop_points"} <= set(data)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--max-drop", "1"], "--max-drop needs --reference"),
    (["--reference", "MISSING.tflite"], "MISSING.tflite: no such file"),
    (["--data", "digits"], "takes input [1, 12, 12, 1] but the data's samples are [8, 8, 1]"),
    (["--max-drop", "-1", "--reference", "FLOAT"], "--max-drop must be >= 0"),
])
def test_cli_user_errors(files, tmp_path, args, fragment):
    args = [{"MISSING.tflite": str(tmp_path / "MISSING.tflite"),
             "FLOAT": str(files["float"])}.get(a, a) for a in args]
    if "--data" not in args:
        args += ["--data", str(files["data"])]
    result = CliRunner().invoke(app, ["validate", "--model", str(files["int8"]), *args])
    assert result.exit_code == 2, result.output
    assert fragment in error_line(result)


def test_unlabelled_samples_give_agreement_and_error_only(files, tmp_path):
    with np.load(files["data"]) as data:
        np.savez(tmp_path / "x.npz", x=data["x_test"])
    labelled = validate(_options(files))
    unlabelled = validate(ValidateOptions(model=files["int8"], reference=files["float"],
                                          data=str(tmp_path / "x.npz")))
    assert unlabelled.int8_accuracy is None and unlabelled.confusion is None
    assert unlabelled.reference_accuracy is None and unlabelled.accuracy_drop_points is None
    assert unlabelled.reference_top1_agreement == labelled.reference_top1_agreement
    assert unlabelled.output_rmse == labelled.output_rmse
    assert unlabelled.tflm_litert_bit_exact_rate == labelled.tflm_litert_bit_exact_rate
    with pytest.raises(ConfigError, match="needs --reference and labelled data"):
        validate(ValidateOptions(model=files["int8"], reference=files["float"],
                                 data=str(tmp_path / "x.npz"), max_drop=1))
    result = CliRunner().invoke(app, ["validate", "--model", str(files["int8"]),
                                      "--data", str(tmp_path / "x.npz")])
    assert result.exit_code == 0, result.output
    assert "unlabelled data" in result.stdout
