"""The TFLM interpreter in a child process: agreement with LiteRT, arena, failures.

The models come from tests/tiny_models.py: a small CNN, an MLP with a residual ADD and
an LSTM in full int8, plus a dynamic-range ("hybrid") CNN that TFLM must refuse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgetf.base.errors import InterpreterError, TfliteFormatError
from edgetf.tflite.reader import read_tflite
from edgetf.tflm import interpreter as tflm
from edgetf.tflm.estimate import estimate_arena
from tests.tiny_models import tiny_models

_SEED = 42
_SAMPLES = 20
needs_tflm = pytest.mark.skipif(not tflm.tflm_available(), reason="tflite-micro not installed")


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    return tiny_models()


def _int8_inputs(model: bytes, n: int = _SAMPLES) -> np.ndarray:
    shape = read_tflite(model).input_tensors()[0].shape
    rng = np.random.default_rng(_SEED)
    return rng.integers(-128, 128, size=(n, *shape[1:]), dtype=np.int8)


def _litert(model: bytes, x: np.ndarray, delegates: bool = True) -> np.ndarray:
    """LiteRT, with variables reset before each sample as run_tflm resets TFLM."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kind = OpResolverType.AUTO if delegates else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = Interpreter(model_content=model, experimental_op_resolver_type=kind)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    results = []
    for sample in x:
        interpreter.reset_all_variables()
        interpreter.set_tensor(inp["index"], sample[None])
        interpreter.invoke()
        results.append(interpreter.get_tensor(out["index"])[0].copy())
    return np.stack(results)


# Not bit-exact. Measured (tflite-micro 0.dev20261023, ai-edge-litert 2.3.0) on 500
# random int8 samples per model, TFLM vs LiteRT's default interpreter: CNN 98.8% of
# output values equal, residual 98.5%, LSTM 92%, the rest off by 1 quantum, rarely 2
# (3 once, for the residual model at another seed). Causes: LiteRT's default XNNPACK
# delegate rounds differently (without it the CNN is bit-exact, see below), and
# TFLite's integer ADD and LSTM kernels are not TFLM's. Stated tolerance: at most
# 2 quanta, and at least 85% of the values identical.
@needs_tflm
@pytest.mark.parametrize("name", ["cnn", "residual", "lstm"])
def test_run_tflm_agrees_with_litert(models, name):
    x = _int8_inputs(models[name])
    micro = tflm.run_tflm(models[name], x)[0]
    litert = _litert(models[name], x)
    assert micro.shape == litert.shape == (_SAMPLES, *litert.shape[1:])
    assert micro.dtype == np.int8
    difference = np.abs(micro.astype(int) - litert.astype(int))
    assert difference.max() <= 2
    assert np.mean(difference == 0) >= 0.85


@needs_tflm
def test_cnn_is_bit_exact_with_litert_builtin_kernels(models):
    x = _int8_inputs(models["cnn"])
    micro = tflm.run_tflm(models["cnn"], x)[0]
    assert np.array_equal(micro, _litert(models["cnn"], x, delegates=False))


@needs_tflm
def test_lstm_state_is_reset_between_samples(models):
    x = _int8_inputs(models["lstm"])
    fresh = tflm.run_tflm(models["lstm"], x)[0]
    carried = tflm.run_tflm(models["lstm"], x, reset_between=False)[0]
    assert np.array_equal(fresh[0], carried[0])  # the first sample sees a fresh state
    assert not np.array_equal(fresh, carried)


@needs_tflm
@pytest.mark.parametrize("name", ["cnn", "residual", "lstm"])
def test_measured_arena_is_the_smallest_that_works(models, name):
    model = models[name]
    arena = tflm.measure_arena(model)
    assert arena.method == "measured"
    assert arena.bytes % 16 == 0
    # The recording allocator's total misses temporary memory (planning, LSTM invoke).
    assert arena.recorded_bytes is not None and arena.recorded_bytes <= arena.bytes
    x = _int8_inputs(model, 2)
    tflm.run_tflm(model, x, arena_size=arena.bytes)
    # 16 bytes less fails (cleanly or by a crash in the child); less still is assumed
    # to fail too, which is what measure_arena's bisection relies on.
    with pytest.raises(InterpreterError, match="arena"):
        tflm.run_tflm(model, x, arena_size=arena.bytes - 16)


# Observed estimate / measured: cnn 1.14, residual 1.06, lstm 0.95 (0.90..1.14 also on
# larger CNNs and MLPs); the stated tolerance is 25%.
@needs_tflm
@pytest.mark.parametrize("name", ["cnn", "residual", "lstm"])
def test_estimate_is_within_25_percent_of_measurement(models, name):
    measured = tflm.measure_arena(models[name]).bytes
    estimate = estimate_arena(read_tflite(models[name]))
    assert estimate % 16 == 0
    assert 0.75 <= estimate / measured <= 1.25


def test_without_tflm_the_arena_is_estimated(models, monkeypatch):
    monkeypatch.setattr(tflm, "tflm_available", lambda: False)
    arena = tflm.measure_arena(models["cnn"])
    assert arena.method == "estimated"
    assert arena.bytes == estimate_arena(read_tflite(models["cnn"]))
    assert "no wheel for this platform" in arena.note
    with pytest.raises(InterpreterError, match="tflite-micro is not installed"):
        tflm.run_tflm(models["cnn"], _int8_inputs(models["cnn"], 1))


@needs_tflm
def test_hybrid_model_is_refused_quietly(models, capfd):
    x = np.zeros((2, 12, 12, 1), np.float32)
    with pytest.raises(InterpreterError, match="hybrid") as error:
        tflm.run_tflm(models["hybrid"], x)
    assert "FULLY_CONNECTED" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(InterpreterError, match="hybrid"):
        tflm.measure_arena(models["hybrid"])
    # TFLM's own complaint is in the message, not on the terminal.
    assert "FLOAT32" not in capfd.readouterr().err


@pytest.mark.parametrize("corrupt", [b"", b"garbage" * 20, "truncated"])
def test_corrupt_model_never_reaches_a_child(models, monkeypatch, corrupt):
    def no_child(*args, **kwargs):
        raise AssertionError("a child process was started")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    data = models["cnn"][: len(models["cnn"]) // 2] if corrupt == "truncated" else corrupt
    with pytest.raises(TfliteFormatError):
        tflm.run_tflm(data, np.zeros((1, 12, 12, 1), np.int8))
    with pytest.raises(TfliteFormatError):
        tflm.measure_arena(data)


@needs_tflm
def test_parent_survives_a_crashing_child(models):
    # A 128-byte arena cannot even hold TFLM's allocator: the wrapper then dereferences
    # a null pointer (a real crash, no test hook), which kills only the child.
    x = _int8_inputs(models["cnn"], 2)
    with pytest.raises(InterpreterError, match=r"crashed with SIG\w+ while allocating"):
        tflm.run_tflm(models["cnn"], x, arena_size=128)
    assert tflm.run_tflm(models["cnn"], x)[0].shape == (2, 5)


@needs_tflm
def test_timeout_becomes_interpreter_error(models):
    with pytest.raises(InterpreterError, match="did not finish within"):
        tflm.run_tflm(models["cnn"], _int8_inputs(models["cnn"], 2), timeout=0.05)


def test_inputs_are_checked_before_running(models):
    with pytest.raises(InterpreterError, match="expects int8"):
        tflm.run_tflm(models["cnn"], np.zeros((2, 12, 12, 1), np.float32))
    with pytest.raises(InterpreterError, match="1 input"):
        tflm.run_tflm(models["cnn"], [np.zeros((2, 144), np.int8)] * 2)


def test_child_does_not_import_tensorflow():
    code = (
        "import sys, edgetf.tflm.child;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    if not tflm.tflm_available():
        pytest.skip("tflite-micro not installed")
    env = {**os.environ, "PYTHONPATH": str(Path(tflm.__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == "[]"
