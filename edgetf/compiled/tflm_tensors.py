"""Every tensor of one TFLM inference, read in a child process: the reference the
oracle is checked against, op by op.

The tflite-micro wheel's interpreter keeps every tensor when created with
``InterpreterConfig.kPreserveAllTensors`` (each tensor gets its own arena buffer) and
then answers ``GetTensor(index, subgraph)`` with a dict whose ``tensor_data`` is the
tensor's value (seen with tflite-micro's wheel in this venv; its docstring says the
opposite of the enum's name: "the GetTensor() api is disabled" in both modes). TFLM runs
in a child (``python -m edgetf.compiled.tflm_tensors``), as :mod:`edgetf.tflm` runs it:
a malformed model can kill the process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from edgetf.base.errors import InterpreterError
from edgetf.tflite.reader import read_tflite

_ARENA = 16 << 20


def tflm_tensors(model: bytes, inputs: list[np.ndarray], *, timeout: float = 120
                 ) -> dict[int, np.ndarray]:
    """Run one sample through TFLM; every non-constant tensor of subgraph 0 by index."""
    parsed = read_tflite(model)  # a corrupt model fails here, not in TFLM
    with tempfile.TemporaryDirectory(prefix="edgetf-tensors-") as tmp:
        root = Path(tmp)
        (root / "model.tflite").write_bytes(model)
        np.savez(root / "in.npz", **{f"input_{i}": x for i, x in enumerate(inputs)})
        proc = subprocess.run(
            [sys.executable, "-m", "edgetf.compiled.tflm_tensors", str(root)],
            capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
                str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")]))})
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise InterpreterError(f"model: TFLM failed (exit {proc.returncode}:"
                                   f" {' '.join(tail)}); check the model with LiteRT")
        with np.load(root / "out.npz", allow_pickle=False) as f:
            return {int(k[1:]): f[k] for k in f.files
                    if not parsed.main.tensors[int(k[1:])].data}


def _child(folder: str) -> int:
    from tflite_micro.python.tflite_micro import runtime

    root = Path(folder)
    model = (root / "model.tflite").read_bytes()
    interpreter = runtime.Interpreter.from_bytes(
        model, arena_size=_ARENA,
        intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    with np.load(root / "in.npz", allow_pickle=False) as f:
        for i in range(len(f.files)):
            shape = interpreter.get_input_details(i)["shape"]
            interpreter.set_input(f[f"input_{i}"].reshape(shape), i)
    interpreter.invoke()
    count = len(read_tflite(model).main.tensors)
    found = {}
    for index in range(count):
        tensor = interpreter.GetTensor(index, 0)
        if isinstance(tensor, dict) and "tensor_data" in tensor:
            found[f"t{index}"] = np.array(tensor["tensor_data"], copy=True)
    np.savez(root / "out.npz", **found)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
