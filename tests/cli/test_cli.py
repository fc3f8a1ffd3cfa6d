"""The CLI: help, version, and one clean line (exit 2, nothing written) per user error."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf._version import __version__
from edgetf.cli.app import app
from tests.conftest import error_line, write_npz

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_version_and_help():
    assert invoke("--version").stdout.strip() == f"edgetf {__version__}"
    result = invoke("train-quantize", "--help")
    assert result.exit_code == 0
    for flag in ("--prune", "--cluster", "--qat", "--calibration-samples", "--config",
                 "--low-rank", "--low-rank-energy", "--distill-from", "--distill-temperature",
                 "--distill-alpha", "--distill-baseline", "--weight-bits", "--binary-weights"):
        assert flag in result.stdout


def _assert_user_error(result, out, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = error_line(result)
    for fragment in fragments:
        assert fragment in message, message
    assert not out.exists()
    assert not list(out.parent.glob(".*partial*"))


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--prune", "1.5"], ["--prune 1.5", "[0, 1)"]),
        (["--cluster", "1"], ["--cluster 1", "2..256"]),
        (["--data", "missing.npz"], ["missing.npz", "no such file"]),
        (["--low-rank", "1"], ["--low-rank 1.0", "(0, 1)"]),
        (["--low-rank", "0.5", "--low-rank-energy", "0.9"], ["give one of them"]),
        (["--distill-alpha", "0.5"], ["--distill-alpha needs --distill-from"]),
        (["--weight-bits", "9"], ["--weight-bits 9", "1..7"]),
        (["--weight-bits", "2", "--cluster", "4"], ["--weight-bits 2 already clusters"]),
        (["--binary-weights", "inner", "--prune", "0.5"],
         ["--binary-weights and --prune do not combine"]),
        (["--distill-from", "no_teacher.keras"],
         ["--distill-from no_teacher.keras: no such file or folder", "--out folder"]),
    ],
)
def test_option_errors(tmp_path, args, fragments):
    out = tmp_path / "run"
    _assert_user_error(invoke("train-quantize", "--data", "digits", "--out", str(out), *args),
                       out, *fragments)


def test_binary_weights_takes_inner_or_all(tmp_path):
    from edgetf.cli.app import BinaryWeights
    from edgetf.compress.binary import MODES

    assert tuple(mode.value for mode in BinaryWeights) == MODES
    out = tmp_path / "run"
    result = invoke("train-quantize", "--out", str(out), "--binary-weights", "half")
    assert result.exit_code == 2 and "Traceback" not in result.output
    message = " ".join(result.output.replace("│", " ").split())  # unwrap the error box
    assert "Invalid value for '--binary-weights'" in message
    assert "'half' is not one of 'inner', 'all'" in message
    assert not out.exists()


def test_data_errors_name_the_file(tmp_path):
    out = tmp_path / "run"
    bad_names = write_npz(tmp_path / "names.npz", x=np.zeros((20, 3)), y=np.zeros(20))
    _assert_user_error(invoke("train-quantize", "--data", str(bad_names), "--out", str(out)),
                       out, "names.npz", "x_train")
    nan = write_npz(tmp_path / "nan.npz", x_train=np.full((20, 3), np.nan), y_train=np.zeros(20),
                    x_test=np.zeros((5, 3)), y_test=np.zeros(5))
    _assert_user_error(invoke("train-quantize", "--data", str(nan), "--out", str(out)),
                       out, "nan.npz", "NaN")
    labels = write_npz(tmp_path / "labels.npz", x_train=np.zeros((20, 3)),
                       y_train=np.arange(20) % 3, x_test=np.zeros((5, 3)), y_test=np.zeros(5),
                       labels=np.array(["a", "b"]))
    _assert_user_error(invoke("train-quantize", "--data", str(labels), "--out", str(out)),
                       out, "labels.npz", "out of range")


def test_non_empty_out_needs_force(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("train-quantize", "--data", "digits", "--out", str(out))
    assert result.exit_code == 2 and "--force" in result.stderr
    assert (out / "keep.txt").read_text() == "mine"


def test_out_is_required(tmp_path):
    result = invoke("train-quantize", "--data", "digits")
    assert result.exit_code == 2 and "--out is required" in result.stderr


def test_data_is_required(tmp_path):
    out = tmp_path / "run"
    _assert_user_error(invoke("train-quantize", "--out", str(out)), out,
                       "--data is required", "--data digits")


@pytest.mark.parametrize(("args", "fragments"), [
    (["--model", "MODEL.tflite"], ["unsupported file type '.tflite'", "emit-firmware --model"]),
    (["--model", "missing.keras"], ["--model missing.keras: no such model file"]),
    (["--board", "uno"], ["unknown board 'uno'", "nano33ble"]),
])
def test_input_errors_come_before_tensorflow_loads(tmp_path, args, fragments):
    import sys

    if "MODEL.tflite" in args:
        args = [str(tmp_path / "model.tflite") if a == "MODEL.tflite" else a for a in args]
        (tmp_path / "model.tflite").write_bytes(b"TFL3")
    out = tmp_path / "run"
    already = "tensorflow" in sys.modules
    _assert_user_error(invoke("train-quantize", "--data", "digits", "--out", str(out), *args),
                       out, *fragments)
    assert already or "tensorflow" not in sys.modules


@pytest.mark.parametrize("command", [["emit-firmware", "--model", "m.tflite", "--out", "fw"],
                                     ["emit-firmware", "--from", "runs/r", "--out", "fw"]])
def test_a_missing_board_is_one_line_naming_the_boards(command):
    result = runner.invoke(app, command, env={"EDGETF_BOARD": ""})
    assert result.exit_code == 2
    message = error_line(result)
    assert message.startswith("error: --board is required: one of esp32, ")
    assert "nano33ble" in message and "╭" not in result.output


def test_every_train_quantize_flag_is_an_option():
    """The command passes its flags on by name: each must be a TrainQuantizeOptions field."""
    import inspect

    from edgetf.cli.app import train_quantize_command
    from edgetf.train.options import FIELD_NAMES

    flags = set(inspect.signature(train_quantize_command).parameters)
    assert flags - set(FIELD_NAMES) == {"config", "board"}  # board: the field is boards
