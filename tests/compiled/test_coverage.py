"""Issue 21's coverage: every built-in architecture with every train-quantize step runs on
the compiled runtime bit for bit with TFLM, or ``--runtime auto`` keeps TFLM naming the op.

Two tiny runs per architecture (1 epoch on 300 generated 12x10 samples, a 2-D input as
audio and motion features give, for which Keras writes its channel Reshape with shape
arithmetic): QAT with pruning (2:4), per-channel clustering (``--weight-bits``' graph)
and low-rank factorisation; and binary weights without QAT. Each converted model's
program is run by the oracle against the tflite-micro interpreter, every tensor
(:mod:`tests.compiled.bit_exact`); ``emit-firmware --runtime auto`` then picks the compiled
runtime on each board; and with device compression (LUT weights that TFLM's DECODE
expands) the golden vectors TFLM records on the compressed model are the oracle's outputs
on the plain weights the compiled library stores.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from edgetf.base.progress import Reporter
from edgetf.codegen.emit_firmware import build_project
from edgetf.compiled.oracle import run_program
from edgetf.compiled.program import compile_program
from edgetf.data.builtin_models import ARCHITECTURES
from edgetf.targets.prepared import prepare_model
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import tflm_available
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.compiled.bit_exact import check_bit_exact
from tests.conftest import SEED, write_npz
from tests.lut_models import snapped_and_compressed

pytestmark = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")

#: The train-quantize steps, in two runs (binary weights combine with none of the others).
STEPS = {
    "qat-prune-cluster-low-rank": {"qat": True, "prune": 0.5, "prune_structure": "2:4",
                                   "cluster": 4, "cluster_per_channel": True,
                                   "low_rank": 0.5},
    "binary": {"qat": False, "binary_weights": "all"},
}
#: An op a built-in architecture makes that the compiled runtime lacks (auto keeps TFLM
#: and names it). Empty: every architecture compiles.
FALLBACKS: dict[str, str] = {}
_RUNS: dict[tuple[str, str], bytes] = {}


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    """(frames, coefficients) samples whose class is the row holding the energy."""
    rng = np.random.default_rng(SEED)
    y = rng.integers(0, 3, size=300)
    x = rng.normal(0, 0.3, size=(300, 12, 10)).astype(np.float32)
    x[np.arange(300), y * 4] += 2.0
    folder = tmp_path_factory.mktemp("features")
    return str(write_npz(folder / "features.npz", x_train=x[:240], y_train=y[:240],
                         x_test=x[240:], y_test=y[240:]))


def _model(features, tmp_path_factory, architecture: str, steps: str) -> bytes:
    if (architecture, steps) not in _RUNS:
        out = tmp_path_factory.mktemp(f"{architecture}-{steps}") / "run"
        result = train_quantize(TrainQuantizeOptions(
            data=features, out=str(out), model=architecture, epochs=1, fine_tune_epochs=1,
            calibration_samples=50, seed=SEED, boards=("esp32",), **STEPS[steps]))
        _RUNS[architecture, steps] = result.int8_model
    return _RUNS[architecture, steps]


@pytest.mark.parametrize("steps", list(STEPS))
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_and_step_compiles_bit_exact_or_names_its_op(
        features, tmp_path_factory, architecture, steps):
    data = _model(features, tmp_path_factory, architecture, steps)
    said = io.StringIO()
    emitted = build_project(data, "esp32", name="m", golden=2, runtime="auto",
                            reporter=Reporter(console=Console(file=said, width=400)))
    if architecture in FALLBACKS:
        assert emitted.spec.runtime == "tflm"
        assert f" is {FALLBACKS[architecture]}, which the compiled runtime has no kernel" \
            in said.getvalue()
        return
    assert emitted.spec.runtime == "compiled", said.getvalue()
    ops = check_bit_exact(data, samples=2, outputs_vary=False)
    assert {"CONV_2D", "FULLY_CONNECTED"} & ops and "SOFTMAX" in ops
    nano = build_project(data, "nano33ble", name="m", golden=0, runtime="auto")
    assert nano.spec.runtime == "compiled" and nano.spec.compiled.kernels == "cmsis-nn"


@pytest.mark.filterwarnings("ignore:Compression of tensor")  # tiny tensors grow: no matter
@pytest.mark.parametrize("architecture", [a for a in ARCHITECTURES if a not in FALLBACKS])
def test_device_compression_keeps_the_golden_vectors_the_compiled_program_computes(
        features, tmp_path_factory, architecture):
    """LUT weights (device compression, here by tflite-micro's own compressor, as
    ``--compress`` makes them where they pay) are lossless: the vectors TFLM records on
    the compressed model, which the compiled library's self-test compares with, are the
    oracle's outputs on the plain weights the compiled program stores."""
    snapped, compressed = snapped_and_compressed(
        _model(features, tmp_path_factory, architecture, "qat-prune-cluster-low-rank"))
    assert "CUSTOM:TFLM_DECODE" in read_tflite(compressed).op_names()
    x = np.random.default_rng(SEED).normal(0, 1, size=(3, 12, 10)).astype(np.float32)
    prepared = prepare_model(snapped, "model.tflite", golden=3, samples=x)
    recorded = prepared.run_device(compressed)[1]
    program, graph = compile_program(prepared.model), prepared.model.main
    for row in range(3):
        ours = run_program(program, graph, [g[row] for g in prepared.golden_in])
        for index, outputs in zip(program.outputs, recorded, strict=True):
            assert np.array_equal(ours[index].ravel(), np.asarray(outputs[row]).ravel())


def test_shape_arithmetic_feeding_a_reshape_is_folded(features, tmp_path_factory):
    """Keras' Reshape of a 2-D input: SHAPE, STRIDED_SLICE and PACK compute a shape the
    flatbuffer already holds; the program leaves them out and keeps the RESHAPE."""
    model = read_tflite(_model(features, tmp_path_factory, "tiny-cnn", "binary"))
    assert {"SHAPE", "STRIDED_SLICE", "PACK"} <= set(model.op_names())
    ops = [step.op for step in compile_program(model).steps]
    assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(ops) and ops[0] == "RESHAPE"
