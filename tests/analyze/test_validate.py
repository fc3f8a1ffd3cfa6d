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
    (["--reference", "missing.keras"], "--reference missing.keras: no such file or folder"),
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
    # the note is there exactly when TFLM did not run
    tflm_ran = unlabelled.tflm_litert_bit_exact_rate is not None
    assert ("tflite-micro is not installed" in result.stdout) is not tflm_ran


def test_tflm_litert_differences_are_explained_in_one_line(files):
    from edgetf.analyze.validate import _tflm_litert_note
    from edgetf.tflite.litert import litert_outputs
    from edgetf.tflite.quantization import quantized_inputs
    from edgetf.tflm.agreement import InterpreterComparison

    model = files["int8"].read_bytes()
    with np.load(files["data"]) as data:
        x = data["x_test"][:20]
    litert = litert_outputs(model, quantized_inputs(model, x))
    tflm = litert.astype(np.int64).reshape(len(x), -1)
    tflm[3, tflm[3].argmin()] += 3  # one sample off by 3 steps, its top label kept
    comparison = InterpreterComparison(None, None, 1.0, 19 / 20, 3, tflm_outputs=tflm)
    note = _tflm_litert_note(comparison, model, litert, x)
    assert "\n" not in note
    assert note.startswith("TFLM vs LiteRT: 1 of 20 samples differ, by at most 3 steps, "
                           "the top label on 0; ")
    reference = litert_outputs(model, quantized_inputs(model, x), reference_kernels=True)
    gap = np.abs(tflm - reference.astype(np.int64).reshape(len(x), -1))
    same = np.mean(np.all(gap == 0, axis=1))
    assert f"match TFLM on {100 * same:.0f} % (at most {gap.max()} steps)" in note
    assert ("mostly LiteRT's optimized kernels" in note) is bool(same > 19 / 20)
