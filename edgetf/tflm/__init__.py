"""The TFLM interpreter (tflite-micro's reference kernels), always in a child process: runs,
arena measurement on this host, the flatbuffer-only arena estimate, and TFLM against LiteRT.

May import :mod:`edgetf.base` and :mod:`edgetf.tflite`. Never imports TensorFlow.
"""
