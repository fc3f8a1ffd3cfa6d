"""Ctrl-C: every command that writes a folder exits 130 and leaves no trace of it.

The library's promise (``edgetf/base/output_dir.py``): files are staged beside the
destination and swapped in at the end, with Ctrl-C held back during the swap. Checked
in process at the exact moments that matter (while files are written, in the middle of
the swap), and end to end on the real CLI: SIGINT sent to the process group, as a
terminal sends it, while ``emit-firmware`` waits for its TFLM child and while
``train-quantize`` works. (``validate`` writes no folder; ``inspect`` writes nothing.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgetf.base.output_dir import staged_output
from edgetf.cli.app import app
from tests.tiny_models import tiny_models


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_interrupted_while_writing_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt), staged_output(out, force=False) as staging:
        (staging / "model.tflite").write_bytes(b"half")
        raise KeyboardInterrupt
    assert _leftovers(tmp_path) == []


def test_interrupted_while_replacing_keeps_the_old_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("mine")
    with pytest.raises(KeyboardInterrupt), staged_output(out, force=True) as staging:
        (staging / "new.txt").write_text("half")
        raise KeyboardInterrupt
    assert _leftovers(tmp_path) == ["run"] and _leftovers(out) == ["old.txt"]


@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_in_the_middle_of_the_swap_is_undone(tmp_path, monkeypatch, existing):
    """A real SIGINT arrives between the two renames of the swap."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has a handler of its own here")
    out = tmp_path / "run"
    if existing:
        out.mkdir()
        (out / "old.txt").write_text("mine")
    real_rename = Path.rename
    renames = []

    def rename_then_ctrl_c(self, target):
        result = real_rename(self, target)
        renames.append(self.name)
        if len(renames) == 1:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, before the next rename
        return result

    monkeypatch.setattr(Path, "rename", rename_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt), staged_output(out, force=True) as staging:
        (staging / "new.txt").write_text("complete")
    monkeypatch.undo()
    assert len(renames) >= 2  # the swap went on after the signal, then was undone
    if existing:
        assert _leftovers(tmp_path) == ["run"] and _leftovers(out) == ["old.txt"]
    else:
        assert _leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_emit_firmware_interrupted_while_writing_files(tmp_path, monkeypatch):
    model = tmp_path / "m.tflite"
    model.write_bytes(tiny_models()["cnn"])
    real_write = Path.write_bytes
    written = []

    def write_then_ctrl_c(self, data):
        written.append(self.name)
        if len(written) == 5:
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_then_ctrl_c)
    result = CliRunner().invoke(app, ["emit-firmware", "--model", str(model), "--board",
                                      "esp32", "--out", str(tmp_path / "fw")])
    monkeypatch.undo()
    assert result.exit_code == 130, result.output
    assert "interrupted; no output was written" in result.stderr
    assert _leftovers(tmp_path) == ["m.tflite"]


def _emit_with_real_ctrl_c_at_the_fifth_file(tmp_path, monkeypatch, on_interrupt):
    """emit-firmware in process; a real SIGINT arrives while the fifth file is written,
    and ``on_interrupt(exception)`` plays TensorFlow's part with the KeyboardInterrupt.
    Returns the CLI result and the files written."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has a handler of its own here")
    model = tmp_path / "m.tflite"
    model.write_bytes(tiny_models()["cnn"])
    real_write = Path.write_bytes
    written = []

    def write_with_ctrl_c(self, data):
        written.append(self.name)
        if len(written) == 5:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
            except KeyboardInterrupt as interrupt:
                on_interrupt(interrupt)
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_with_ctrl_c)
    result = CliRunner().invoke(app, ["emit-firmware", "--model", str(model), "--board",
                                      "esp32", "--out", str(tmp_path / "fw")])
    monkeypatch.undo()
    return result, written


def test_ctrl_c_that_tensorflow_turned_into_another_error(tmp_path, monkeypatch):
    """Seen in CI: SIGINT while TensorFlow traced a training step came out of model.fit
    as a SystemError, then a TypeError. Still exit 130, one line, nothing written."""

    def mangle(interrupt):
        mangled = SystemError("returned a result with an exception set")
        mangled.__cause__ = interrupt
        raise TypeError("") from mangled

    result, _ = _emit_with_real_ctrl_c_at_the_fifth_file(tmp_path, monkeypatch, mangle)
    assert result.exit_code == 130, result.output
    assert result.stderr.strip().splitlines()[-1] == "interrupted; no output was written"
    assert _leftovers(tmp_path) == ["m.tflite"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_that_tensorflow_swallowed(tmp_path, monkeypatch):
    """Seen under load: TensorFlow printed the interrupted call's traceback and carried
    on training. The next checkpoint (here: before the output folder is swapped in;
    in training: every batch) raises it again."""
    result, written = _emit_with_real_ctrl_c_at_the_fifth_file(
        tmp_path, monkeypatch, lambda interrupt: None)
    assert len(written) > 5  # the work went on after the lost interrupt
    assert result.exit_code == 130, result.output
    assert result.stderr.strip().splitlines()[-1] == "interrupted; no output was written"
    assert _leftovers(tmp_path) == ["m.tflite"]


def test_ctrl_c_lost_during_training_stops_at_the_next_batch():
    """The training progress bar's callback checks after every batch."""
    import numpy as np

    from edgetf.base.interrupts import interruptible
    from edgetf.base.progress import Reporter
    from edgetf.base.tf_import import import_tf

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has a handler of its own here")
    _, keras = import_tf()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    batches = []
    with interruptible() as ctrl_c:

        class LoseCtrlC(keras.callbacks.Callback):  # as if TensorFlow had eaten it
            def on_train_batch_end(self, batch, logs=None):
                batches.append(batch)
                ctrl_c.received = batch == 2

        with pytest.raises(KeyboardInterrupt):
            model.fit(np.zeros((64, 4)), np.zeros((64, 2)), batch_size=4, epochs=3, verbose=0,
                      callbacks=[LoseCtrlC(), Reporter(quiet=True).keras_callback("t", 3)])
    assert batches == [0, 1, 2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_caught_ctrl_c_inside_exec_still_exits_130(tmp_path):
    """CPython marks a KeyboardInterrupt raised in exec()'d string code as unhandled even
    when it is caught; under ``python -m`` the process then ends by SIGINT (status -2)
    instead of with its exit code. A Ctrl-C during an import can land there (dataclasses
    exec their methods). The entry point clears the mark on the way out."""
    (tmp_path / "interrupted_edgetf.py").write_text(
        "import sys, edgetf.cli.app, edgetf.cli.entry\n"
        "def interrupted_command():\n"
        "    try:\n"
        "        exec('raise KeyboardInterrupt')\n"
        "    except KeyboardInterrupt:\n"
        "        sys.exit(130)\n"
        "edgetf.cli.app.main = interrupted_command\n"
        "edgetf.cli.entry.main()\n"
    )
    proc = subprocess.run([sys.executable, "-m", "interrupted_edgetf"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 130, proc.stderr


def test_ctrl_c_while_the_summary_prints_says_the_folder_is_complete(tmp_path, monkeypatch):
    from edgetf.base.progress import Reporter

    model = tmp_path / "m.tflite"
    model.write_bytes(tiny_models()["cnn"])
    real_info = Reporter.info

    def info_then_ctrl_c(self, message):
        if message.startswith("wrote "):
            raise KeyboardInterrupt
        real_info(self, message)

    monkeypatch.setattr(Reporter, "info", info_then_ctrl_c)
    # A path longer than the 80 columns CliRunner's console has: the line must not wrap
    # (people grep stderr), wherever the temporary folder is.
    out = tmp_path / ("firmware-" + "x" * 90)
    result = CliRunner().invoke(app, ["emit-firmware", "--model", str(model), "--board",
                                      "esp32", "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert f"interrupted; {out} was already written in full\n" in result.stderr
    assert (out / "platformio.ini").is_file()


def _start(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """The real CLI (``python -m edgetf`` runs what the console script runs) in a process
    group of its own, so that SIGINT can go to the group."""
    return subprocess.Popen([sys.executable, "-m", "edgetf", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, **(env or {})})


def _ctrl_c(proc: subprocess.Popen) -> tuple[int, str]:
    os.killpg(proc.pid, signal.SIGINT)
    # Generous: under CI's load (two test workers on two cores) a process that is still
    # importing TensorFlow takes a while to reach its handler and clean up.
    _, stderr = proc.communicate(timeout=240)
    return proc.returncode, stderr


def test_ctrl_c_while_emit_firmware_runs_tflm(tmp_path):
    (tmp_path / "m.tflite").write_bytes(tiny_models()["lstm"])
    temp = tmp_path / "temp"  # where the TFLM child's working folder appears
    temp.mkdir()
    # The TFLM child lives about a second; on a loaded machine this loop can miss it (the
    # command then finishes whole, exit 0): try again, up to three times.
    for _attempt in range(3):
        shutil.rmtree(tmp_path / "fw", ignore_errors=True)
        proc = _start(["emit-firmware", "--model", "m.tflite", "--board", "esp32", "--out",
                       "fw"], tmp_path, {"TMPDIR": str(temp)})
        deadline = time.monotonic() + 60
        # stderr.txt is opened just before the child starts (tflm.interpreter._run_child).
        while not any(temp.glob("edgetf-tflm-*/stderr.txt")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the TFLM child never started"
            time.sleep(0.002)
        if proc.poll() is None:
            break
        proc.communicate()
    else:
        pytest.fail("emit-firmware finished three times before its TFLM child was seen")
    code, stderr = _ctrl_c(proc)
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted; no output was written"
    assert "Traceback" not in stderr
    assert _leftovers(tmp_path) == ["m.tflite", "temp"] and _leftovers(temp) == []


def test_ctrl_c_while_train_quantize_works(tmp_path):
    proc = _start(["train-quantize", "--data", "digits", "--epochs", "50", "--out", "run"],
                  tmp_path, {"TF_CPP_MIN_LOG_LEVEL": "3"})
    seen = []
    for line in proc.stderr:  # the data is loaded: TensorFlow and training come next
        seen.append(line)
        if "load data" in line:
            break
    time.sleep(3)
    assert proc.poll() is None, "".join(seen) + proc.stderr.read()
    code, stderr = _ctrl_c(proc)
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted; no output was written"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("delay", [0.3, 0.8])
def test_ctrl_c_before_the_work_starts_is_quiet(tmp_path, delay):
    """While Python still imports the CLI or Click parses the options: no traceback, no
    "Aborted!" with exit code 1, but the same line and exit code 130."""
    (tmp_path / "m.tflite").write_bytes(tiny_models()["cnn"])
    proc = _start(["emit-firmware", "--model", "m.tflite", "--board", "esp32", "--out", "fw"],
                  tmp_path)
    time.sleep(delay)
    code, stderr = _ctrl_c(proc)
    assert "Traceback" not in stderr and "Aborted" not in stderr, stderr
    last_line = stderr.strip().splitlines()[-1]
    if code == 0 or "already written in full" in last_line:
        # It finished first on a fast machine: the folder must then be whole.
        assert (tmp_path / "fw" / "platformio.ini").is_file(), stderr
        return
    assert code == 130, stderr
    assert last_line == "interrupted; no output was written"
    assert _leftovers(tmp_path) == ["m.tflite"]


def test_ctrl_c_after_the_work_is_not_a_failure(tmp_path):
    """Ctrl-C just after the last line: the folder is complete, so exit 0 (or 130 saying
    so when the summary was still being printed), never death by the signal during
    Python's shutdown (exit status -2), never "no output was written"."""
    (tmp_path / "m.tflite").write_bytes(tiny_models()["cnn"])
    for attempt in range(3):
        fw = tmp_path / f"fw{attempt}"
        proc = _start(["emit-firmware", "--model", "m.tflite", "--board", "esp32", "--out",
                       fw.name], tmp_path)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "next: edgetf flash" in line:
                break
        code, rest = _ctrl_c(proc)
        stderr = "".join(seen) + rest
        assert "no output was written" not in stderr, stderr
        assert code == 0 or (code == 130 and "already written in full" in stderr), stderr
        assert (fw / "platformio.ini").is_file()
