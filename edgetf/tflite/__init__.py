"""The ``.tflite`` flatbuffer: a bounds-checked reader, the op and tensor-type tables,
quantization arithmetic, per-op costs, the quantization kind and TFLM op support of a
model, and running it under LiteRT.

May import :mod:`edgetf.base` only. Never imports TensorFlow.
"""
