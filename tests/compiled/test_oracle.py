"""The compiled program's numpy oracle equals the TFLM interpreter bit for bit, op by op.

TFLM's intermediate tensors come from the tflite-micro wheel's interpreter itself
(``kPreserveAllTensors`` and ``GetTensor``, in a child process: see
:mod:`edgetf.compiled.tflm_tensors`). Each op is checked twice: chained (the oracle's
whole run, every tensor equal to TFLM's) and isolated (the op alone on TFLM's own
inputs), so a difference names the op that made it.
"""

from __future__ import annotations

import pytest

from edgetf.compiled.program import UnsupportedOpError, compile_program
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import tflm_available
from tests.compiled.bit_exact import check_bit_exact
from tests.compiled.op_models import op_models
from tests.conftest import shared_model_names, shared_model_path

pytestmark = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")

#: Shared models the compiled runtime runs (the others have an op or type it refuses).
COMPILED_SHARED = ("hello_world_int8", "micro_speech_quantized", "person_detect",
                   "simple_add_model")


@pytest.mark.parametrize("name", ["every_op", "every_op_per_channel_fc", "every_op_per_tensor",
                                  "float_io", "broadcast"])
def test_every_op_is_bit_exact_with_tflm(name):
    ops = check_bit_exact(op_models()[name], samples=3)
    expected = {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MUL", "AVERAGE_POOL_2D",
                "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}
    if name == "broadcast":
        expected = {"CONV_2D", "AVERAGE_POOL_2D", "ADD", "MUL", "RESHAPE", "FULLY_CONNECTED"}
    if name == "float_io":
        expected |= {"QUANTIZE", "DEQUANTIZE"}
    assert ops == expected


def test_mean_over_rows_and_columns_is_bit_exact_with_tflm():
    """MEAN with and without keep_dims, its input and output scales different, 30 values
    a mean (not a power of two): the multiplier TFLM folds 1/30 into."""
    ops = check_bit_exact(op_models()["mean"], samples=3)
    assert ops == {"CONV_2D", "MEAN", "RESHAPE", "ADD", "FULLY_CONNECTED"}


@pytest.mark.parametrize("name", COMPILED_SHARED)
def test_public_models_are_bit_exact_with_tflm(name):
    check_bit_exact(shared_model_path(f"{name}.tflite").read_bytes(), samples=2)


@pytest.mark.parametrize("name", [n for n in shared_model_names() if n not in COMPILED_SHARED])
def test_other_public_models_are_refused_naming_the_op(name):
    model = read_tflite(shared_model_path(f"{name}.tflite").read_bytes())
    with pytest.raises(UnsupportedOpError, match=r"op \d+ .*use the TFLM runtime"):
        compile_program(model)


def test_parameters_are_those_of_tflm_prepare():
    """Spot checks of the const data: per-channel multipliers in [2^30, 2^31), one per
    output channel; the fused RELU6's lower clamp; SAME padding of a stride-2 3x3 conv on 12
    rows (total 1, all after)."""
    program = compile_program(read_tflite(op_models()["every_op"]))
    conv = program.steps[0].params
    assert len(conv.multipliers) == len(conv.shifts) == 8
    assert all((1 << 30) <= m < (1 << 31) for m in conv.multipliers)
    assert (conv.pad_h, conv.pad_w, conv.stride_h) == (0, 0, 2)
    assert conv.act_min == conv.output_offset  # RELU6: nothing below real 0
    fc = [s for s in program.steps if s.op == "FULLY_CONNECTED"]
    assert [s.params.per_channel for s in fc] == [False, False]
