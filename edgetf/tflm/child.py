"""The child process in which :mod:`edgetf.tflm` runs the TFLM interpreter.

TFLM's C++ can kill its process (SIGSEGV, SIGFPE) on a too-small arena or an odd
model, so it never runs in the caller's process: :mod:`edgetf.tflm` starts
``python -m edgetf.tflm.child`` and reads back what it wrote. This module imports
only numpy and ``tflite_micro`` (never TensorFlow) and exchanges arrays as ``.npz``
files loaded with ``allow_pickle=False``. Two modes::

    run MODEL INPUTS.npz OUTPUTS.npz ARENA N_OUTPUTS RESET
        Runs every sample in this process, resetting the interpreter after every RESET
        samples (0: never); prints ``stage allocate`` / ``stage invoke``
        before each step so that the parent can tell where a crash happened, and a
        JSON line ``{"failed": stage, "error": ...}`` (exit 3) when TFLM refuses.
    measure MODEL N_INPUTS START CAP [INPUTS.npz OUTPUTS.npz N_OUTPUTS]
        Finds the smallest working arena. Every probe runs in a forked grandchild, so a
        crashing probe only answers "too small"; one JSON line per probe, then a
        ``{"arena": ...}`` or ``{"failed": ...}`` line. With the optional arguments it
        then runs the inputs as ``run`` does (arena START, reset between samples): one
        process start instead of two for emit-firmware's arena and golden vectors.

TFLM prints to C stderr; the parent points this process's stderr at a file, and each
probe's stderr comes back through a pipe (a failed search puts it in its JSON line).
The runtime's docstrings promise a RuntimeError on failure, but an arena too small for
TFLM's own allocator objects (a few hundred bytes) ends in SIGSEGV instead.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from dataclasses import dataclass

import numpy as np
from tflite_micro.python.tflite_micro import runtime

from edgetf.tflm.interpreter import SHORT_OF_MEMORY

ALIGN = 16  # TFLM aligns arena buffers to 16 bytes (MicroArenaBufferAlignment).
_RECORDED = re.compile(r"Arena allocation total (\d+) bytes")


def _emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def _round_up(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def run(model_path, inputs_path, outputs_path, arena, n_outputs, reset) -> int:
    with open(model_path, "rb") as f:
        model = f.read()
    with np.load(inputs_path, allow_pickle=False) as f:
        inputs = [f[f"input_{i}"] for i in range(len(f.files))]
    print("stage allocate", flush=True)
    try:
        interpreter = runtime.Interpreter.from_bytes(model, arena_size=int(arena))
    except RuntimeError as e:
        _emit(failed="allocate", error=str(e))
        return 3
    shapes = [interpreter.get_input_details(i)["shape"] for i in range(len(inputs))]
    results: list[list[np.ndarray]] = [[] for _ in range(int(n_outputs))]
    print("stage invoke", flush=True)
    for sample in range(len(inputs[0])):
        for i, (batch, shape) in enumerate(zip(inputs, shapes, strict=True)):
            interpreter.set_input(np.ascontiguousarray(batch[sample]).reshape(shape), i)
        try:
            interpreter.invoke()
        except RuntimeError as e:
            _emit(failed="invoke", error=str(e), sample=sample)
            return 3
        for j, outs in enumerate(results):
            out = np.array(interpreter.get_output(j), copy=True)  # the arena is reused
            outs.append(out[0] if out.ndim and out.shape[0] == 1 else out)
        if int(reset) and (sample + 1) % int(reset) == 0:
            interpreter.reset()
    np.savez(outputs_path, **{f"output_{j}": np.stack(outs) for j, outs in enumerate(results)})
    return 0


@dataclass
class Probe:
    arena: int
    ok: bool
    stage: str  # "ok", "allocate", "invoke", "crash", "error"
    text: str  # what TFLM printed during the probe
    signal: str = ""

    @property
    def short_of_memory(self) -> bool:
        return self.stage == "crash" or SHORT_OF_MEMORY.search(self.text) is not None


def _probe_in_grandchild(model: bytes, arena: int, n_inputs: int) -> int:
    """Allocate, invoke once on zeros, print the recording allocator's figures."""
    try:
        interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena)
    except RuntimeError:
        return 3
    for i in range(n_inputs):
        details = interpreter.get_input_details(i)
        interpreter.set_input(np.zeros(details["shape"], details["dtype"]), i)
    try:
        interpreter.invoke()
    except RuntimeError:
        return 4
    interpreter.print_allocations()
    return 0


def probe(model: bytes, arena: int, n_inputs: int) -> Probe:
    """One probe in a forked process: a crash there is an answer here, not a death."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # grandchild: never return into the caller's code
        code = 5
        try:
            os.close(read_end)
            os.dup2(write_end, 1)
            os.dup2(write_end, 2)
            code = _probe_in_grandchild(model, arena, n_inputs)
        except BaseException as e:  # noqa: B036 - report anything, then leave
            os.write(2, f"{type(e).__name__}: {e}\n".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:  # read to EOF before waiting: no deadlock
        while chunk := pipe.read(65536):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8", errors="replace")
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        return Probe(arena, False, "crash", text, name)
    stage = {0: "ok", 3: "allocate", 4: "invoke"}.get(os.WEXITSTATUS(status), "error")
    return Probe(arena, stage == "ok", stage, text)


def search(model: bytes, n_inputs: int, start: int, cap: int) -> dict:
    """The smallest multiple of 16 that works, assuming more arena never hurts.

    First a generous arena (grown 8x while TFLM says it is short of memory) gives the
    recording allocator's total; that figure is often exact, so it and the size just
    below are probed first. If it is too small, gallop upwards, then bisect.

    ``print_allocations()`` is documented as the arena usage, but its total is not
    the smallest arena that works: it leaves out temporary memory, both the memory
    planner's bookkeeping during AllocateTensors (a residual MLP: 1904 reported, 2304
    needed) and the temporary tensors kernels allocate in Prepare (the LSTM's 25:
    2752 reported, 4000 needed; anything in between crashes with SIGSEGV). The planner
    (:mod:`edgetf.targets.planner`) replays both and gives the same figure.
    """
    size = _round_up(start)
    while True:
        first = probe(model, size, n_inputs)
        _emit(probe=size, stage=first.stage)
        if first.ok:
            break
        if not first.short_of_memory or size >= cap:
            return dict(failed=first.stage, error=first.text, signal=first.signal, arena=size)
        size = min(cap, size * 8)
    found = _RECORDED.search(first.text)
    recorded = int(found.group(1)) if found else None
    lo, hi = 0, size  # lo fails (nothing fits in no arena), hi works

    def works(n: int) -> bool:
        nonlocal lo, hi
        result = probe(model, n, n_inputs)
        _emit(probe=n, stage=result.stage, signal=result.signal)
        if result.ok:
            hi = n
        else:
            lo = n
        return result.ok

    guess = _round_up(recorded) if recorded else hi
    if lo < guess < hi:
        if works(guess):
            works(guess - ALIGN)
        else:  # gallop upwards from the recorded figure
            step = max(ALIGN, _round_up(guess // 4))
            while lo + step < hi and not works(lo + step):
                step *= 2
    while hi - lo > ALIGN:
        works((lo + hi) // 2 // ALIGN * ALIGN)
    return dict(arena=hi, recorded=recorded)


def main(argv: list[str]) -> int:
    mode, *args = argv
    if mode == "run":
        return run(*args)
    if mode == "measure":
        model_path, n_inputs, start, cap, *then_run = args
        with open(model_path, "rb") as f:
            model = f.read()
        result = search(model, int(n_inputs), int(start), int(cap))
        _emit(**result)
        if then_run and "failed" not in result:
            inputs_path, outputs_path, n_outputs = then_run
            return run(model_path, inputs_path, outputs_path, start, n_outputs, "1")
        return 0
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
