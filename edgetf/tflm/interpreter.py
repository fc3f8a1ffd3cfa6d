"""Run the real TFLM interpreter, safely, and measure the tensor arena a model needs.

The ``tflite-micro`` package runs TFLM's C++ reference kernels from Python, but a
malformed model or a too-small arena can kill the process (SIGSEGV, SIGFPE; an int8
LSTM crashes on any arena between the recording allocator's figure and what it really
needs). So TFLM never runs in the caller's process: every model is first decoded by
:func:`~edgetf.tflite.reader.read_tflite` (a corrupt file raises TfliteFormatError here
and reaches no child), then run by ``python -m edgetf.tflm.child``, which imports
numpy and tflite_micro only (never TensorFlow) and exchanges arrays as ``.npz`` files
without pickle. TFLM's own stderr chatter is kept in a file, out of the user's
terminal, and its last meaningful line goes into the error message.

``tflite-micro`` has Linux x86-64 wheels only; elsewhere :func:`measure_arena` falls
back to :func:`estimate_arena`, a packing of the flatbuffer's tensors, and says so.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

from edgetf.base.errors import InterpreterError
from edgetf.tflite.compatibility import hybrid_ops
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.reader import read_tflite
from edgetf.tflite.types import NUMPY_DTYPES
from edgetf.tflm.estimate import aligned, estimate_arena

_ALIGN = 16  # TFLM aligns every arena buffer to 16 bytes (MicroArenaBufferAlignment)
# measure_arena gives up on models that need more arena than this: 4x the most RAM any
# microcontroller TFLM targets has (8 MB of PSRAM on an ESP32-S3). Measuring is a bisection
# of invokes with reference kernels, so a corrupt shape asking for 50 MB took half a minute
# (fuzzing found it) before it failed anyway; beyond this, the estimate is what there is.
_CAP = 32 << 20
_SOURCE = "model"
#: What TFLM prints when the arena, not the model, is the problem: an allocation that
#: came up short, or a memory planner given too little room for its bookkeeping.
SHORT_OF_MEMORY = re.compile(r"Failed to allocate .*missing: \d+|Too many buffers \(max is")


def tflm_available() -> bool:
    """Whether ``tflite_micro`` can be imported here (looked up, not imported)."""
    try:
        return importlib.util.find_spec("tflite_micro") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class ArenaMeasurement:
    """Tensor arena size for a model, and how it was obtained.

    ``method`` is ``"measured"`` (the TFLM interpreter, reference kernels, on this
    host) or ``"estimated"`` (:func:`estimate_arena`, when tflite-micro is missing).
    ``note`` is one sentence for reports and generated headers. ``recorded_bytes`` is
    TFLM's RecordingMicroAllocator total after one invoke, for comparison: it misses
    the temporary memory used while planning and while kernels prepare (LSTM).
    """

    bytes: int
    method: str
    note: str
    recorded_bytes: int | None = None


def run_tflm(
    model: bytes,
    inputs: list[np.ndarray] | np.ndarray,
    *,
    arena_size: int | None = None,
    timeout: float = 120,
    reset_between: bool | int = True,
    parsed: TfliteModel | None = None,
) -> list[np.ndarray]:
    """Run a batch through the TFLM interpreter in one child process.

    ``inputs`` holds one array per model input, each ``(N, *input_shape)`` in the
    model's input dtype (a bare array for single-input models); ``input_shape`` may
    include the model's batch dimension of 1 or not. Returns one ``(N, ...)`` array per
    model output, with the model's batch dimension of 1 dropped. With ``reset_between``
    the interpreter is reset after each sample, so stateful models (LSTM) see every
    sample as a fresh interpreter would; an int N resets after every N samples (a
    stateful front end run over clips of N frames). ``arena_size`` defaults to a generous
    size derived from :func:`estimate_arena`; TFLM failures raise InterpreterError.
    ``parsed``: the caller's :func:`~edgetf.tflite.reader.read_tflite` of ``model``.
    """
    parsed = parsed if parsed is not None else read_tflite(model, _SOURCE)
    batches = _check_inputs(parsed, inputs)
    _require_tflm()
    if arena_size is None:
        _check_size(parsed)
    arena = arena_size if arena_size is not None else _generous_arena(parsed)
    with tempfile.TemporaryDirectory(prefix="edgetf-tflm-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "model.tflite").write_bytes(model)
        np.savez(tmp_path / "inputs.npz", **{f"input_{i}": b for i, b in enumerate(batches)})
        args = ["run", "model.tflite", "inputs.npz", "outputs.npz", str(int(arena)),
                str(len(parsed.main.outputs)), str(int(reset_between))]
        rc, lines, log = _run_child(args, tmp_path, timeout)
        if rc != 0:
            stages = [line.split()[1] for line in lines if line.startswith("stage ")]
            stage = stages[-1] if stages else "start"
            errors = [json.loads(line)["error"] for line in lines if line.startswith("{")]
            _raise_failure(parsed, stage, _signal_name(rc), log.strip() or "".join(errors),
                           arena, user_arena=arena_size is not None)
        with np.load(tmp_path / "outputs.npz", allow_pickle=False) as f:
            return [f[f"output_{j}"] for j in range(len(parsed.main.outputs))]


def measure_arena(model: bytes, *, timeout: float = 120) -> ArenaMeasurement:
    """The smallest arena, a multiple of 16, that allocates and runs one inference.

    Found by probing in a child process: a generous arena gives the recording
    allocator's total, then probes around it (each in its own forked process, so a
    crash just means "too small") settle the minimum; larger arenas are assumed to
    keep working. What the figure means: TFLM reference kernels and the recording
    allocator on this 64-bit host, which is an upper bound for the same kernels on a
    32-bit MCU (pointers and TFLM's structs are smaller there). Optimized kernels
    (CMSIS-NN, ESP-NN) need scratch buffers of their own, so the caller adds board
    margins on top; this module does not. Without tflite-micro, :func:`estimate_arena`.
    """
    return measure_arena_and_run(model, None, timeout=timeout)[0]


def measure_arena_and_run(model: bytes, inputs: list[np.ndarray] | np.ndarray | None, *,
                          timeout: float = 120, parsed: TfliteModel | None = None
                          ) -> tuple[ArenaMeasurement, list[np.ndarray] | None]:
    """:func:`measure_arena`, then :func:`run_tflm` on ``inputs`` (reset between
    samples), in one child process: emit-firmware needs both, and a child's start
    (Python, numpy, tflite_micro) is most of the cost on small models. ``inputs`` None:
    measure only. Without tflite-micro: the estimate, and no outputs. ``parsed``: the
    caller's :func:`~edgetf.tflite.reader.read_tflite` of ``model``, not read again."""
    parsed = parsed if parsed is not None else read_tflite(model, _SOURCE)
    if not tflm_available():
        estimate = estimate_arena(parsed)
        return ArenaMeasurement(
            estimate,
            "estimated",
            "Estimated from the flatbuffer (tensor lifetimes packed greedily plus TFLM's"
            " per-tensor and per-op structures) because tflite-micro has no wheel for this"
            " platform; check arena_used_bytes() on the board.",
        ), None
    batches = _check_inputs(parsed, inputs) if inputs is not None else None
    _check_size(parsed)
    generous = _generous_arena(parsed)
    with tempfile.TemporaryDirectory(prefix="edgetf-tflm-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "model.tflite").write_bytes(model)
        args = ["measure", "model.tflite", str(len(parsed.main.inputs)), str(generous),
                str(_CAP)]
        if batches is not None:
            np.savez(tmp_path / "inputs.npz",
                     **{f"input_{i}": b for i, b in enumerate(batches)})
            args += ["inputs.npz", "outputs.npz", str(len(parsed.main.outputs))]
        rc, lines, log = _run_child(args, tmp_path, timeout)
        results = [json.loads(line) for line in lines if line.startswith("{")]
        searched = [r for r in results if "arena" in r and "probe" not in r]
        if not searched:
            _raise_failure(parsed, "start", _signal_name(rc), log, None, user_arena=False)
        result = searched[0]
        if "failed" in result:
            _raise_failure(parsed, result["failed"], result["signal"], result["error"],
                           result["arena"], user_arena=False)
        outputs = None
        if batches is not None:
            if rc != 0:
                stages = [line.split()[1] for line in lines if line.startswith("stage ")]
                errors = [r["error"] for r in results if r is not result and "error" in r]
                _raise_failure(parsed, stages[-1] if stages else "start", _signal_name(rc),
                               log.strip() or "".join(errors), generous, user_arena=False)
            with np.load(tmp_path / "outputs.npz", allow_pickle=False) as f:
                outputs = [f[f"output_{j}"] for j in range(len(parsed.main.outputs))]
    return ArenaMeasurement(
        result["arena"],
        "measured",
        "Smallest working arena measured with the TFLM interpreter (reference kernels,"
        " recording allocator) on a 64-bit host, an upper bound for the same kernels on"
        " a 32-bit MCU; optimized kernels need extra scratch memory.",
        result["recorded"],
    ), outputs


# --- running the child --------------------------------------------------------------


def _require_tflm() -> None:
    if not tflm_available():
        raise InterpreterError(
            "tflite-micro is not installed (it has wheels for Linux x86-64 only), so the"
            " TFLM interpreter cannot run here; use LiteRT results, or run on Linux x86-64"
        )


def _check_size(parsed: TfliteModel) -> None:
    """Refuse, before any process starts, a model whose tensors (a corrupt shape, most
    likely) would make the child allocate more arena than :func:`measure_arena` ever
    measures up to."""
    estimate = estimate_arena(parsed)
    if estimate > _CAP:
        raise InterpreterError(
            f"the model's tensors need an estimated {estimate:,} bytes of arena, more than"
            f" the {_CAP:,} bytes edgetf runs TFLM with (4x the RAM of the largest"
            " microcontrollers); check the model's tensor shapes")


def _generous_arena(parsed: TfliteModel) -> int:
    """An arena far above what the model should need, to run it or to start measuring."""
    return aligned(4 * estimate_arena(parsed) + (1 << 20))


def _check_inputs(parsed: TfliteModel, inputs) -> list[np.ndarray]:
    """One array per model input, in its dtype and with the right size per sample."""
    tensors = parsed.input_tensors()
    given = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    batches = [np.asarray(b) for b in given]
    if len(batches) != len(tensors):
        raise InterpreterError(
            f"the model has {len(tensors)} input(s) but {len(batches)} array(s) were given;"
            " pass one (N, *input_shape) array per model input"
        )
    counts = {len(b) if b.ndim else 0 for b in batches}
    if len(counts) != 1 or 0 in counts:
        raise InterpreterError(
            "the input arrays must share one leading (sample) dimension N of at least 1;"
            " pass one (N, *input_shape) array per model input"
        )
    for i, (batch, tensor) in enumerate(zip(batches, tensors, strict=True)):
        per_sample = int(np.prod(tensor.shape, dtype=np.int64))
        if batch.dtype != NUMPY_DTYPES.get(tensor.dtype):
            raise InterpreterError(
                f"input {i} is {batch.dtype} but the model expects {tensor.dtype};"
                " quantize the data with the input's scale and zero point first"
            )
        if batch[0].size != per_sample:
            raise InterpreterError(
                f"input {i} has samples of shape {batch.shape[1:]} but the model expects"
                f" {list(tensor.shape)}; pass an (N, *input_shape) array"
            )
    return batches


def _run_child(args: list[str], cwd: Path, timeout: float) -> tuple[int, list[str], str]:
    """Run the child; return its exit code (-signal if killed), stdout lines, stderr."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"  # the child forks probes
    with open(cwd / "stderr.txt", "w+b") as log:
        # A session of its own, so that a timeout can kill the probes the child forked.
        proc = subprocess.Popen(
            [sys.executable, "-m", "edgetf.tflm.child", *args],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=log, start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except BaseException as e:  # a timeout, or Ctrl-C, which the session shields
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            if isinstance(e, subprocess.TimeoutExpired):
                raise InterpreterError(
                    f"the TFLM interpreter did not finish within {timeout:g} s;"
                    " pass a larger timeout or fewer samples"
                ) from None
            raise
        log.seek(0)
        text = log.read().decode("utf-8", errors="replace")
    return proc.returncode, out.decode("utf-8", errors="replace").splitlines(), text


# TFLM lines that only say where a failure happened, not why.
_CONTEXT_LINE = re.compile(r"^(Node .* failed to|Failed starting model allocation|"
                           r"\[RecordingMicroAllocator\]|Traceback|File \")")


def _signal_name(rc: int) -> str:
    if rc >= 0:
        return ""
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return f"signal {-rc}"


def _raise_failure(parsed: TfliteModel, stage: str, signal_name: str, log: str,
                   arena: int | None, *, user_arena: bool) -> NoReturn:
    """One line: what failed, TFLM's own reason or the model's ops, and what to do."""
    ops = ", ".join(parsed.op_names())
    reason = _tflm_reason(log)
    said = f" (TFLM: {reason})" if reason else ""
    during = {
        "allocate": "while allocating tensors",
        "invoke": "while invoking",
        "crash": "while allocating or invoking",
    }.get(stage, "while starting")
    measure = "omit arena_size or use measure_arena() to find the size the model needs"
    if signal_name:
        fix = (f"the arena is probably too small: {measure}" if user_arena else
               "TFLM's kernels cannot handle this model: check its ops and shapes with LiteRT")
        raise InterpreterError(
            f"TFLM crashed with {signal_name} {during} with a {arena}-byte arena{said};"
            f" model ops: {ops}; {fix}"
        )
    if SHORT_OF_MEMORY.search(reason):
        raise InterpreterError(
            f"the TFLM interpreter failed {during}: the {arena}-byte arena is too small"
            f"{said}; {measure}"
        )
    hybrid = hybrid_ops(parsed)
    if hybrid and stage != "start":
        raise InterpreterError(
            "TFLM cannot run a hybrid (dynamic-range quantized) model: float activations"
            f" with int8 weights in {', '.join(hybrid)}{said}; convert with full-int8"
            " quantization (a representative dataset) instead"
        )
    raise InterpreterError(
        f"the TFLM interpreter failed {during}{said}; model ops: {ops}; check that TFLM"
        " supports every op and tensor type"
    )


def _tflm_reason(log: str) -> str:
    """The line of TFLM's output that explains a failure.

    When the arena runs out, TFLM prints the shortage first and then a cascade of
    follow-on failures ("filter != nullptr was not true"), so the first shortage line
    wins; otherwise the last line that is not just "Node X failed to prepare".
    """
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    short = [line for line in lines if SHORT_OF_MEMORY.search(line)]
    reasons = [line for line in lines if not _CONTEXT_LINE.match(line)]
    return (short or reasons[-1:] or lines[-1:] or [""])[0]
