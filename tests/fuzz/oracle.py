"""The fuzz oracle: does the TFLM interpreter itself allocate and invoke a model?

Asked without edgetf's reader (whose verdicts are what the oracle judges): every model
goes to TFLM's Python interpreter (tflite-micro's reference kernels) as bytes, in a
forked child of one helper process, so that a crash (TFLM segfaults on some corrupt
files) only answers "no". A model TFLM runs must be described by ``inspect`` and not be
called corrupt by ``emit-firmware``: the reader refuses only what TFLM refuses or what
would crash it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

#: Arena for the oracle's runs: the seeds need a few KB, the mutants' absurd shapes more;
#: beyond this a mutant counts as refused (edgetf caps its own probes at 32 MiB).
ARENA = 4 << 20
TIMEOUT = 10.0  # seconds per model; a hang counts as "no"

#: What emit-firmware says of a file it takes for damaged rather than unsupported.
CORRUPT_WORDS = ("corrupt", "truncated", "not a TFLite", "empty file", "too short")
#: Refusals that stand although TFLM ran the mutant here, each with why. TFLM never
#: verifies a flatbuffer: a field it reads past the end of the file, of its table or of
#: a vector reads whatever memory follows (here the Python heap, on the board flash), so
#: that run proves nothing; sizes that go negative or overflow 32 bits make TFLM's byte
#: counts wrong in the same way; a NaN or infinite scale becomes an integer multiplier in
#: Prepare (QuantizeMultiplier casts it to int64: undefined behaviour in C++).
STANDING_REFUSALS = {
    "points past the end of the file": "read outside the file",
    "which end past the end of the file": "read outside the file",
    "lies outside its table": "read outside its table",
    "has an invalid vtable": "read outside its table",
    "has an invalid offset": "read outside the file",
    "but there are": "index past the end of a vector",
    "which TFLM would read past": "index past the end of a vector",
    "with a negative dimension": "negative sizes in TFLM's byte counts",
    "more elements than the 32-bit": "element counts that overflow TFLM's 32-bit ints",
    "not a finite number": "NaN/inf scales (integer multipliers from them are UB)",
}


def disagrees(command: str, exit_code: int | None, message: str) -> bool:
    """Whether a command's outcome on a model TFLM runs breaks the promise: inspect must
    describe it (exit 0), emit-firmware must not call it corrupt (it may refuse it for
    fit or kernels), unless the refusal is one of :data:`STANDING_REFUSALS`."""
    if any(reason in message for reason in STANDING_REFUSALS):
        return False
    if command == "inspect":
        return exit_code != 0
    return any(word in message for word in CORRUPT_WORDS)


_HELPER = r"""
import json, os, signal, sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime

def run(path, arena):
    with open(path, "rb") as f:
        data = f.read()
    interpreter = runtime.Interpreter.from_bytes(data, arena_size=arena)
    interpreter.invoke()

answers = []
for path in sys.argv[3:]:
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1); os.dup2(devnull, 2)
        signal.alarm(int(float(sys.argv[2])) + 1)
        try:
            run(path, int(sys.argv[1]))
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    answers.append(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
print(json.dumps(answers))
"""


def tflm_available() -> bool:
    return importlib.util.find_spec("tflite_micro") is not None


def tflm_runs(models: list[bytes]) -> list[bool]:
    """For each model, whether TFLM allocates it and invokes it once (inputs as allocated)."""
    with tempfile.TemporaryDirectory(prefix="edgetf-oracle-") as tmp:
        paths = []
        for i, data in enumerate(models):
            path = Path(tmp) / f"m{i}.tflite"
            path.write_bytes(data)
            paths.append(str(path))
        result = subprocess.run(
            [sys.executable, "-c", _HELPER, str(ARENA), str(TIMEOUT), *paths],
            capture_output=True, text=True, timeout=TIMEOUT * len(models) + 60)
    if result.returncode != 0:
        raise RuntimeError(f"the oracle's helper failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
