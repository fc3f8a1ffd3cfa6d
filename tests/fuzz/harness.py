"""Feeding fuzz mutants to the real ``edgetf`` commands and judging what came back.

The promise being checked: whatever the file, ``inspect`` and ``emit-firmware`` end with
exit code 0 (a model) or 2 (one ``error:`` line), never a traceback, never another exit
code, never a numpy ``RuntimeWarning`` (arithmetic on values the reader should have
refused), and a failed ``emit-firmware`` leaves neither its output folder nor a staging
folder behind. A new process per run costs about half a second of Python start and imports,
so the commands run in this process through Typer's ``CliRunner`` (the TFLM interpreter
still runs only in :mod:`edgetf.tflm`'s child process, as in the real CLI);
:func:`run_subprocess` checks a few mutants through the real console entry point too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.mutate import Mutant

BOARDS = ("esp32", "esp32s3", "nano33ble")
#: The valid models mutants are made from (tests/tiny_models.py), all small.
SEED_NAMES = ("cnn", "residual", "lstm", "int16x8", "float", "hybrid")


@dataclass(frozen=True)
class Outcome:
    """One command on one mutant. ``ok``: exit 0 or 2, no traceback, nothing left over."""

    command: str
    exit_code: int | None
    ok: bool
    seconds: float
    message: str
    tflm_crashed: bool = False
    """The TFLM child died by a signal (edgetf reported it: an error or a warning)."""


def seed_models() -> dict[str, bytes]:
    """The valid models the fuzzer mutates: the tests' tiny models, plus the CNN with its
    weights stored after the flatbuffer (the >2 GB layout, whose buffer offset and size
    fields the others lack) where the schema's object API is installed."""
    from tests.tiny_models import tiny_models

    models = tiny_models()
    seeds = {name: models[name] for name in SEED_NAMES}
    external = weights_after_flatbuffer(models["cnn"])
    if external is not None:
        seeds["cnn_external_weights"] = external
    return seeds


def weights_after_flatbuffer(data: bytes) -> bytes | None:
    """``data`` with its largest buffer moved after the flatbuffer (Buffer.offset/size).

    Uses the TFLite schema's generated Python classes, which only the tflite-micro wheel
    (Linux x86-64) ships; None without them.
    """
    try:
        import flatbuffers
        from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema
    except ImportError:
        return None

    def pack(model) -> bytes:
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    sizes = [0 if b.data is None else len(b.data) for b in model.buffers]  # numpy arrays
    buffer = model.buffers[sizes.index(max(sizes))]
    payload = bytes(bytearray(buffer.data))
    buffer.data, buffer.offset, buffer.size = None, 1, len(payload)
    offset = -(-len(pack(model)) // 16) * 16  # same layout with the placeholder offset
    buffer.offset = offset
    head = pack(model)
    return head + bytes(offset - len(head)) + payload


def write_mutant(mutant: Mutant, path: Path) -> Path:
    """Put the mutant at ``path``: a file, or a folder for the 'directory' mutation."""
    if mutant.directory:
        path.mkdir(parents=True)
        (path / "model.tflite").write_bytes(b"")
    else:
        path.write_bytes(mutant.data)
    return path


def _judge(command: str, exit_code: int | None, output: str, crashed: str,
           seconds: float, out: Path | None, numeric: tuple[str, ...] = (),
           model: Path | None = None) -> Outcome:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    message = crashed or (lines[-1] if lines else "")
    problems = []
    if crashed:
        problems.append(f"raised {crashed}")
    if numeric:
        problems.append(f"numpy warned: {numeric[0]}")
    if exit_code not in (0, 2):
        problems.append(f"exit code {exit_code}")
    if "Traceback" in output:
        problems.append("printed a traceback")
    if exit_code == 2 and [line for line in lines if line.startswith("error:")] != lines[-1:]:
        problems.append("exit 2 without exactly one error: line, last")
    elif exit_code == 2 and model is not None and str(model) not in lines[-1]:
        problems.append("the error does not name the file")
    if out is not None:
        if exit_code != 0 and out.exists():
            problems.append(f"left {out.name}/ behind after failing")
        staging = [p.name for p in out.parent.glob(f".{out.name}.*")]
        if staging:
            problems.append(f"left staging folders {staging}")
    if problems:
        message = f"{'; '.join(problems)}: {message}"
    return Outcome(command, exit_code, not problems, seconds, message,
                   "TFLM crashed with" in output)


def commands(path: Path, out: Path, index: int) -> dict[str, list[str]]:
    """The two commands for mutant ``index``; boards and output styles take turns."""
    inspect = ["inspect", str(path)] + (["--json"] if index % 2 else [])
    emit = ["emit-firmware", "--model", str(path), "--board", BOARDS[index % len(BOARDS)],
            "--out", str(out)]
    return {"inspect": ["-q", *inspect], "emit-firmware": ["-q", *emit]}


def run_in_process(name: str, args: list[str], out: Path | None = None,
                   model: Path | None = None) -> Outcome:
    """One CLI command through CliRunner, judged as :func:`run_subprocess` judges; an
    error must name ``model`` when given."""
    from typer.testing import CliRunner

    from edgetf.cli.app import app

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # numpy's RuntimeWarnings (overflow, invalid value) mean arithmetic on garbage
        # that the reader should have refused; users would see them on stderr.
        warnings.simplefilter("always", RuntimeWarning)
        result = CliRunner().invoke(app, args)
    seconds = time.perf_counter() - start
    error = result.exception
    crashed = "" if error is None or isinstance(error, SystemExit) else (
        f"{type(error).__name__}: {error}")
    numeric = tuple(str(w.message) for w in caught if issubclass(w.category, RuntimeWarning))
    judged = _judge(name, result.exit_code, result.output, crashed, seconds, out, numeric,
                    model)
    if out is not None and out.exists():
        shutil.rmtree(out)
    return judged


def run_subprocess(name: str, args: list[str], out: Path | None = None,
                   cwd: Path | None = None, model: Path | None = None) -> Outcome:
    """One command as users run it: a new process, the real entry point."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "edgetf.cli", *args], capture_output=True,
                            text=True, cwd=cwd, timeout=300)
    seconds = time.perf_counter() - start
    output = result.stdout + result.stderr
    numeric = tuple(line for line in output.splitlines() if "RuntimeWarning:" in line)
    judged = _judge(name, result.returncode, output, "", seconds, out, numeric, model)
    if out is not None and out.exists():
        shutil.rmtree(out)
    return judged
