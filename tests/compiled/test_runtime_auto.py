"""``--runtime auto``: the compiled runtime where it has a kernel for every op, TFLM
otherwise, one line (not a warning) saying which runtime and why; the library is then the
one ``--runtime compiled`` or ``--runtime tflm`` writes, file for file."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console
from typer.testing import CliRunner

from edgetf.base.progress import Reporter
from edgetf.cli.app import app
from edgetf.codegen.emit_firmware import build_project
from edgetf.codegen.runtime_choice import auto_keeps_tflm, front_end_keeps_tflm
from edgetf.targets.boards import get_board
from edgetf.targets.prepared import prepare_model
from edgetf.targets.verdict import board_verdict
from edgetf.tune.figures import board_figures
from edgetf.tune.options import load_tune_options
from tests.conftest import error_line, shared_model_path


def _emit(name: str, board: str, runtime: str) -> tuple:
    said = io.StringIO()
    data = shared_model_path(f"{name}.tflite").read_bytes()
    result = build_project(data, board, name="m", model_file=f"{name}.tflite", golden=1,
                           runtime=runtime,
                           reporter=Reporter(console=Console(file=said, width=400)))
    return result, said.getvalue()


@pytest.mark.parametrize("board, kernels", [("nano33ble", "cmsis-nn"), ("esp32", "esp-nn")])
def test_auto_compiles_a_model_whose_every_op_has_a_kernel(board, kernels):
    auto, said = _emit("micro_speech_quantized", board, "auto")
    compiled, _ = _emit("micro_speech_quantized", board, "compiled")
    assert auto.spec.runtime == "compiled" and auto.spec.compiled.kernels == kernels
    assert auto.files == compiled.files
    assert (f"runtime: compiled (--runtime auto): every op of the model (DEPTHWISE_CONV_2D, "
            f"FULLY_CONNECTED, RESHAPE, SOFTMAX) has a kernel in the compiled runtime over "
            f"{kernels}") in said
    assert f"runtime: compiled ({kernels}): arena " in said  # what it saved, as compiled says
    assert not [w for w in auto.warnings if "runtime" in w]


@pytest.mark.parametrize("name, why", [
    ("hello_world_float", "op 0 (FULLY_CONNECTED) takes float32 to float32; the compiled "
                          "runtime has int8 kernels only"),
    ("pad0", "op 0 is PAD, which the compiled runtime has no kernel for")])
def test_auto_keeps_tflm_naming_the_first_op_the_compiled_runtime_lacks(name, why):
    auto, said = _emit(name, "nano33ble", "auto")
    tflm, _ = _emit(name, "nano33ble", "tflm")
    assert auto.spec.runtime == "tflm" and auto.spec.compiled is None
    assert auto.files == tflm.files and auto.warnings == tflm.warnings
    line = next(s for s in said.splitlines() if s.startswith("runtime: tflm (--runtime auto)"))
    assert line == f"runtime: tflm (--runtime auto): {name}.tflite: {why}"  # no "use TFLM"


def test_auto_keeps_tflm_where_only_tflm_fits():
    """Compiled libraries store the weights uncompressed: where only TFLM's fits, auto keeps
    it (a board whose flash ends between the two estimates)."""
    board = get_board("nano33ble")
    prepared = prepare_model(shared_model_path("person_detect.tflite").read_bytes(), "p",
                             golden=0)
    verdict = board_verdict(prepared, board)
    said = io.StringIO()
    reporter = Reporter(console=Console(file=said, width=400))
    roomy = replace(verdict.footprint, flash_bytes=verdict.footprint.flash_budget)
    assert not auto_keeps_tflm(verdict, roomy, reporter) and said.getvalue() == ""
    over = replace(roomy, flash_bytes=roomy.flash_budget + 1)
    assert auto_keeps_tflm(verdict, over, reporter)
    assert said.getvalue().startswith(
        f"runtime: tflm (--runtime auto): the compiled library would not fit the "
        f"{board.name} (flash ~{over.flash_bytes:,} of {over.flash_budget:,} bytes")
    # A TFLM library that does not fit either is no reason to keep TFLM.
    misfit = replace(verdict, footprint=over)
    assert not misfit.fits and not auto_keeps_tflm(misfit, over, reporter)


def test_a_front_end_keeps_tflm_with_a_line_not_a_warning():
    said = io.StringIO()
    reporter = Reporter(console=Console(file=said, width=400))
    front_end_keeps_tflm("auto", reporter)
    assert reporter.warnings == [] and said.getvalue().startswith(
        "runtime: tflm (--runtime auto): the front end runs on TFLM's interpreter")
    front_end_keeps_tflm("compiled", reporter)
    assert reporter.warnings == ["--runtime compiled: the front end runs on TFLM's "
                                 "interpreter, so the model keeps the TFLM runtime too"]


def test_the_cli_and_python_api_take_auto(tmp_path):
    import edgetf
    from edgetf.base.errors import ConfigError

    model = shared_model_path("hello_world_int8.tflite")
    runner = CliRunner()
    bad = runner.invoke(app, ["emit-firmware", "--model", str(model), "--board", "esp32",
                              "--out", str(tmp_path / "bad"), "--runtime", "fast"])
    assert bad.exit_code == 2
    assert "--runtime 'fast' is not one of tflm, compiled, auto" in error_line(bad)
    good = runner.invoke(app, ["emit-firmware", "--model", str(model), "--board", "esp32",
                               "--out", str(tmp_path / "fw"), "--runtime", "auto"])
    assert good.exit_code == 0, good.output
    assert "runtime: compiled (--runtime auto)" in good.output
    assert "compiled runtime" in good.output  # the summary line
    with pytest.raises(ConfigError, match=r"runtime='fast' is not one of tflm, compiled, auto"):
        edgetf.emit_firmware(model, board="esp32", out=tmp_path / "bad", runtime="fast")
    firmware = edgetf.emit_firmware(model, board="esp32", out=tmp_path / "api", runtime="auto")
    assert firmware.runtime == "compiled"


def test_tune_auto_holds_trials_to_the_runtime_auto_would_choose():
    board = get_board("nano33ble")
    data = shared_model_path("hello_world_int8.tflite").read_bytes()
    assert board_figures(data, board, "auto") == board_figures(data, board, "compiled")
    pad = shared_model_path("pad0.tflite").read_bytes()
    kept = board_figures(pad, board, "auto")
    assert kept.runtime == "tflm" and "op 0 is PAD" in kept.compiled_refusal
    assert load_tune_options(out="s", board="esp32", runtime="auto").settings()["runtime"] \
        == "auto"
