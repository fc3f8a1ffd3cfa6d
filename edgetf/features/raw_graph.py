"""The ``none`` front end of a time-series CSV as a TFLite graph: one window of float
samples (``window * axes`` values, interleaved as in the file: sample 0's axes, then
sample 1's, ...) quantized to the model's int8 input by one QUANTIZE.

Training took the float samples themselves; the int8 model quantizes its input at its
own scale and zero point. On the board that quantization is this graph, run by TFLM's
QUANTIZE kernel in the front end's interpreter, so that the board computes the model's
int8 input as the TFLM interpreter did for the golden vectors (a hand-written rounding in
C could differ from the kernel's at halfway values).
"""

from __future__ import annotations

from edgetf.tflite.writer import ModelWriter


def raw_graph(values: int, quantization: tuple[float, int]) -> bytes:
    """``values`` float32 in, ``values`` int8 out at ``quantization`` (scale, zero point)."""
    w = ModelWriter(description="edgetf raw-samples front end")
    samples = w.input("samples", (values,), "float32")
    out = w.tensor("features", (values,), "int8", quantization)
    w.builtin("QUANTIZE", [samples], [out])
    return w.finish([out])
