"""The oracle-against-TFLM check the compiled runtime's tests share: every tensor the
program computes equals the tflite-micro wheel interpreter's, chained (the oracle's whole
run) and isolated (each op alone on TFLM's own inputs, so a difference names the op)."""

from __future__ import annotations

import numpy as np

from edgetf.compiled.oracle import run_program, run_step
from edgetf.compiled.program import compile_program
from edgetf.compiled.tflm_tensors import tflm_tensors
from edgetf.tflite.reader import read_tflite
from edgetf.tflite.types import NUMPY_DTYPES
from tests.conftest import SEED


def _inputs(model, rng) -> list[np.ndarray]:
    found = []
    for index in model.main.inputs:
        t = model.main.tensors[index]
        dtype = NUMPY_DTYPES[t.dtype]
        found.append(rng.normal(0, 2, t.shape).astype(dtype) if dtype == np.float32
                     else rng.integers(-128, 128, t.shape).astype(dtype))
    return found


def check_bit_exact(data: bytes, samples: int, outputs_vary: bool = True) -> set[str]:
    """The ops of the program, once every tensor of ``samples`` random inputs matched.
    ``outputs_vary=False`` (a model trained for one epoch may give one answer to every
    input): where the outputs do not vary, every op's output but the last few must, so
    that the ops still computed values that differ."""
    model = read_tflite(data)
    graph = model.main
    program = compile_program(model)
    rng = np.random.default_rng(SEED)
    outputs = []
    seen: dict[int, set[bytes]] = {}
    for _ in range(samples):
        inputs = _inputs(model, rng)
        reference = {i: v.reshape(graph.tensors[i].shape)
                     for i, v in tflm_tensors(data, inputs).items()}
        ours = run_program(program, graph, inputs)
        for step in program.steps:
            out = step.outputs[0]
            where = f"op {step.op_index} ({step.op})"
            isolated = run_step(step, graph, reference)
            assert isolated.dtype == reference[out].dtype, where
            assert np.array_equal(isolated, reference[out]), f"{where}, on TFLM's inputs"
            assert np.array_equal(ours[out], reference[out]), f"{where}, chained"
            seen.setdefault(step.op_index, set()).add(ours[out].tobytes())
        outputs.append(ours[program.outputs[0]].ravel())
    # A comparison of constant outputs would prove little: the values must vary.
    if outputs_vary or len(np.unique(np.concatenate(outputs))) > 1:
        assert len(np.unique(np.concatenate(outputs))) > 1
    else:
        varying = [len(values) > 1 for values in seen.values()]
        assert varying[0] and sum(varying) >= len(varying) - 3, varying
    return {step.op for step in program.steps}
