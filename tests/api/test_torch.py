"""PyTorch models in (the ``torch`` extra): a small CNN trained on digits here, saved as a
``torch.export`` program, goes through ``train-quantize --model digits.pt2`` with its int8
accuracy under TFLM within a point of the float PyTorch model's, and emits firmware for
every board; ``edgetf.emit_firmware`` with the ``nn.Module`` gives the CLI's project byte for
byte; a MobileNetV2-style inverted-residual block converts to full int8 and runs in TFLM.

CI installs PyTorch 2.13.0 and ``requirements/torch.txt`` (the route's packages without
their declared dependencies, which it never imports) and sets ``EDGETF_REQUIRE_TORCH=1``:
there a missing package fails the module; elsewhere these tests skip.
"""

from __future__ import annotations

import json
import os
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

# Looked up, not imported: importing litert-torch (and JAX with it) costs about 10 s of CPU
# and 0.5 GB in every pytest-xdist worker that collects this module; only the worker that
# runs these tests imports it (tests/api/torch_models.py, the fixtures below).
_MISSING = [name for name in ("torch", "litert_torch", "ai_edge_quantizer")
            if find_spec(name) is None]
if _MISSING:
    _REASON = (f"the torch extra is not installed (no {', '.join(_MISSING)}): pip install "
               "torch==2.13.0, then pip install --no-deps -r requirements/torch.txt")
    if os.environ.get("EDGETF_REQUIRE_TORCH") == "1":
        pytest.fail(f"EDGETF_REQUIRE_TORCH=1 but {_REASON}", pytrace=False)
    pytest.skip(_REASON, allow_module_level=True)

import edgetf  # noqa: E402
from edgetf.base.errors import ConfigError  # noqa: E402
from edgetf.cli.app import app  # noqa: E402
from edgetf.data.datasets import load_dataset  # noqa: E402
from edgetf.targets.boards import BOARDS  # noqa: E402
from edgetf.tflite.quantization import dequantize, quantize  # noqa: E402
from edgetf.tflite.reader import read_tflite  # noqa: E402
from edgetf.tflm.interpreter import run_tflm  # noqa: E402
from tests.conftest import SEED  # noqa: E402


@pytest.fixture(scope="module")
def torch():
    import torch

    return torch


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits", seed=SEED)
    # edgetf's data sets are NHWC; the PyTorch model takes NCHW.
    return data, data.x_train.transpose(0, 3, 1, 2).copy(), data.x_test.transpose(0, 3, 1, 2)


@pytest.fixture(scope="module")
def trained(torch, digits):
    from tests.api.torch_models import DigitsNet

    data, x_train, _ = digits
    torch.set_num_threads(1)  # several threads on a busy 2-core machine: 40x slower
    torch.manual_seed(SEED)
    model = DigitsNet()
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    x, y = torch.from_numpy(x_train), torch.from_numpy(data.y_train)
    order = np.random.default_rng(SEED).permutation(len(x))
    for _ in range(8):
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    return model.eval()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(*args: str) -> str:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["-q", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def run(torch, digits, trained, tmp_path_factory):
    """``train-quantize --model digits.pt2``: the program converted, measured and written."""
    _, x_train, _ = digits
    folder = tmp_path_factory.mktemp("torch")
    program = folder / "digits.pt2"
    torch.export.save(torch.export.export(trained, (torch.from_numpy(x_train[:1]),)), program)
    _cli("train-quantize", "--data", "digits", "--model", str(program),
         "--out", str(folder / "run"))
    return folder


def test_a_digits_cnn_keeps_its_accuracy_in_int8_under_tflm(torch, digits, trained, run):
    data, _, x_test = digits
    report = json.loads((run / "run" / "report.json").read_text())
    accuracy = report["accuracy"]
    with torch.no_grad():
        float_accuracy = float((trained(torch.from_numpy(x_test)).argmax(1).numpy()
                                == data.y_test).mean())
    assert accuracy["float_torch"] == pytest.approx(float_accuracy) and float_accuracy > 0.9
    assert abs(accuracy["int8_tflm"] - float_accuracy) <= 0.01, accuracy
    assert abs(accuracy["int8_litert"] - float_accuracy) <= 0.01, accuracy
    assert report["model"]["framework"] == "pytorch" and report["steps"] == []
    tflite = (run / "run" / "model.tflite").read_bytes()
    model = read_tflite(tflite)
    assert [t.dtype for t in (*model.input_tensors(), *model.output_tensors())] == ["int8"] * 2
    assert list(model.input_tensors()[0].shape) == [1, 8, 8, 1]  # channel-last in
    assert set(report["device"]) == set(BOARDS)
    # The run folder holds the program in place of model.keras, and the float conversion.
    assert (run / "run" / "model.pt2").read_bytes() == (run / "digits.pt2").read_bytes()
    assert read_tflite((run / "run" / "model_float.tflite").read_bytes()).input_tensors()[
        0].dtype == "float32"


def test_every_board_plans_the_arena_of_the_converted_model(run):
    """litert-torch's channel-last conversion leaves a TRANSPOSE before the flatten's
    RESHAPE. Every board's table has it, so the arena is a plan, not the host figure with a
    margin. Each plan is the smallest arena with which the emitted library ran on the rig:
    the Nano's (Chirale 2.0.0 on a Cortex-M4F under QEMU) passed the self-test with 2,240
    bytes and failed AllocateTensors with 2,224, the ESP32's (esp-tflite-micro 1.4.0 and
    ESP-NN, i386) with 2,032 and 2,016. The arena depends on the model's shapes, not its
    weights."""
    report = json.loads((run / "run" / "report.json").read_text())
    assert "TRANSPOSE" in read_tflite((run / "run" / "model.tflite").read_bytes()).op_names()
    methods = {board: figures["arena_method"] for board, figures in report["device"].items()}
    assert methods == dict.fromkeys(BOARDS, "planned")
    assert report["device"]["nano33ble"]["arena_needed_bytes"] == 2240
    assert report["device"]["esp32"]["arena_needed_bytes"] == 2032


def test_the_run_emits_firmware_for_every_board(run):
    for board in BOARDS:
        _cli("emit-firmware", "--from", str(run / "run"), "--board", board,
             "--out", str(run / "fw" / board))
        project = run / "fw" / board
        assert (project / "platformio.ini").is_file(), board
        assert any(project.rglob("*golden*")), board  # samples.npz became golden vectors


def test_the_module_gives_the_clis_project_byte_for_byte(trained, run, tmp_path,
                                                         monkeypatch):
    """``edgetf.emit_firmware(nn.Module, data="digits")`` converts as train-quantize does
    the program: the same model, hence the project ``emit-firmware --model`` writes."""
    monkeypatch.chdir(tmp_path)
    # Objects are "model" (model.tflite): the CLI is given that name, as for Keras objects.
    Path("model.tflite").write_bytes((run / "run" / "model.tflite").read_bytes())
    _cli("emit-firmware", "--model", "model.tflite", "--board", "esp32", "--out", "from-cli",
         "--name", "model")
    made = edgetf.emit_firmware(trained, board="esp32", out="from-module", data="digits")
    expected = _tree(tmp_path / "from-cli")
    assert "platformio.ini" in expected and len(expected) > 20
    assert _tree(tmp_path / "from-module") == expected
    assert made.quantization == "int8" and made.fits
    assert made.tflite == Path("model.tflite").read_bytes()


def test_steps_that_do_not_apply_to_a_program_are_refused(run, tmp_path):
    from typer.testing import CliRunner

    program = str(run / "digits.pt2")
    for flags, flag in ((["--prune", "0.5"], "--prune"), (["--cluster", "16"], "--cluster"),
                        (["--qat"], "--qat"), (["--epochs", "3"], "--epochs")):
        result = CliRunner().invoke(app, ["train-quantize", "--data", "digits", "--model",
                                          program, *flags, "--out", str(tmp_path / "r")])
        assert result.exit_code != 0
        line = result.output.strip()
        assert line.startswith(f"error: {flag} does not apply to a PyTorch program"), line
        assert "Traceback" not in result.output and "\n" not in line
    assert not (tmp_path / "r").exists()


def test_an_inverted_residual_block_converts_to_full_int8_and_runs_in_tflm(torch, tmp_path):
    from tests.api.torch_models import InvertedResidual

    torch.manual_seed(SEED)
    block = InvertedResidual().eval()
    x = np.random.default_rng(SEED).normal(size=(64, 8, 12, 12)).astype(np.float32)
    # As a torch.export file, given to the Python call with calibration inputs in its layout.
    program = tmp_path / "block.pt2"
    torch.export.save(torch.export.export(block, (torch.from_numpy(x[:1]),)), program)
    made = edgetf.emit_firmware(program, board="esp32s3", out=tmp_path / "fw", data=x)
    model = read_tflite(made.tflite)
    assert made.quantization == "int8"
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD"} <= set(model.op_names())
    assert {t.dtype for t in model.main.tensors} <= {"int8", "int32"}  # no float left
    tensor = model.input_tensors()[0]
    (out,) = run_tflm(made.tflite, [quantize(x[:4].transpose(0, 2, 3, 1), tensor)])
    with torch.no_grad():
        expected = block(torch.from_numpy(x[:4])).numpy()
    assert list(model.output_tensors()[0].shape) == [1, 8, 12, 12]  # outputs keep NCHW
    got = dequantize(np.asarray(out), model.output_tensors()[0]).reshape(expected.shape)
    assert np.abs(got - expected).mean() < 0.1 * np.abs(expected).mean()


def test_a_torch_model_needs_calibration_data(trained, tmp_path):
    with pytest.raises(ConfigError, match=r"^a PyTorch model needs data="):
        edgetf.emit_firmware(trained, board="esp32", out=tmp_path / "fw")
    assert not (tmp_path / "fw").exists()
