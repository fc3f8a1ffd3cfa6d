"""The boards: their table, flash footprint, latency estimates and what each board's TFLM
build and kernel library get wrong or refuse.

May import :mod:`edgetf.base`, :mod:`edgetf.tflite` and :mod:`edgetf.tflm`.
"""
