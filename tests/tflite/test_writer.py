"""edgetf's model writer: what it writes, edgetf's reader and TFLM's read back."""

from __future__ import annotations

import numpy as np
import pytest
from flatbuffers import flexbuffers

from edgetf.tflite.reader import read_tflite
from edgetf.tflite.writer import ModelWriter
from edgetf.tflm.interpreter import run_tflm, tflm_available


def _add_model() -> bytes:
    w = ModelWriter(description="test")
    x = w.input("x", (1, 4), "int32")
    c = w.constant("c", np.array([[1, -2, 3, 400000]], np.int32))
    y = w.tensor("y", (1, 4), "int32")
    w.builtin("ADD", [x, c], [y])
    z = w.tensor("z", (1, 4), "int32")
    w.builtin("MAXIMUM", [y, w.constant("zero", np.array(0, np.int32))], [z])
    return w.finish([z])


def test_reader_reads_back_tensors_ops_and_constants():
    m = read_tflite(_add_model(), "written")
    assert m.description == "test" and m.main.name == "main"
    assert [op.name for op in m.main.operators] == ["ADD", "MAXIMUM"]
    tensors = {t.name: t for t in m.main.tensors}
    assert tensors["c"].array().tolist() == [[1, -2, 3, 400000]]
    assert tensors["zero"].shape == () and tensors["x"].data == b""
    assert [t.name for t in m.input_tensors()] == ["x"]
    assert [t.name for t in m.output_tensors()] == ["z"]


def test_custom_options_are_a_flexbuffer_map():
    w = ModelWriter()
    x = w.input("x", (1, 8), "int16")
    y = w.tensor("y", (1, 8), "int16")
    w.custom("SignalWindow", [x, w.constant("w", np.ones(8, np.int16))], [y], {"shift": 3})
    model = w.finish([y])
    m = read_tflite(model, "written")
    assert m.op_names() == ("CUSTOM:SignalWindow",)
    # the options' bytes are in the file as flexbuffers wrote them
    assert bytes(flexbuffers.Dumps({"shift": 3})) in model


def test_unknown_options_are_refused():
    w = ModelWriter()
    with pytest.raises(ValueError, match="no option"):
        w.builtin("ADD", [0, 0], [0], axis=1)
    with pytest.raises(ValueError, match="no options table"):
        w.builtin("RESHAPE", [0, 0], [0], new_shape=[1])
    with pytest.raises(ValueError, match="unknown tensor type"):
        w.tensor("t", (1,), "float128")


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_tflm_runs_a_written_model():
    x = np.array([[[5, 5, -10, 0]], [[-1, 2, -3, -400000]]], np.int32)
    out = run_tflm(_add_model(), x)[0]
    assert out.tolist() == [[6, 3, 0, 400000], [0, 0, 0, 0]]


_DISTINCT = [0x11223344, 0x55667788, 0x0ABBCCDD]  # bytes found nowhere else in the file


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_tflite_micro_schema_reads_the_same_model():
    """An independent reader: the schema's generated Python that tflite-micro ships."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    w = ModelWriter()
    x = w.input("x", (3,), "int32")
    c = w.constant("c", np.array(_DISTINCT, np.int32))
    y = w.tensor("y", (6,), "int32")
    w.builtin("CONCATENATION", [x, c], [y], axis=0)
    z = w.tensor("z", (6,), "int32")
    w.custom("Whatever", [y], [z], {"n": 7, "on": True})
    data = w.finish([z])
    m = schema.ModelT.InitFromPackedBuf(data, 0)
    assert schema.Model.ModelBufferHasIdentifier(data, 0) and m.version == 3
    g = m.subgraphs[0]
    assert [t.name for t in g.tensors] == [b"x", b"c", b"y", b"z"]
    assert list(g.inputs) == [0] and list(g.outputs) == [3]
    concat, custom = g.operators
    assert m.operatorCodes[concat.opcodeIndex].builtinCode == 2  # CONCATENATION
    assert concat.builtinOptionsType == 10 and concat.builtinOptions.axis == 0
    assert m.operatorCodes[custom.opcodeIndex].customCode == b"Whatever"
    assert flexbuffers.Loads(bytes(custom.customOptions)) == {"n": 7, "on": True}
    buffer = m.buffers[g.tensors[1].buffer].data
    assert bytes(buffer) == np.array(_DISTINCT, "<i4").tobytes()
    start = bytes(data).index(np.array(_DISTINCT, "<i4").tobytes())
    assert start % 16 == 0  # the schema's force_align: 16
