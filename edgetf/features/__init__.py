"""Feature front ends: raw samples in, the model's input frames out, as TFLite graphs of
TFLM's signal ops that edgetf writes itself, so that training (the TFLM interpreter here)
and the board compute the same bytes. ``audio``: log-mel with noise reduction and PCAN,
micro_speech's front end by default; the audio-folder data set computed through it; the
streaming recognizer's config and Python twin (:mod:`.streaming`).
``spectral``: per-axis filtered RMS and FFT band powers of float sensor windows (motion);
the time-series-CSV data set computed through it (or, with ``none``, the raw windows).

May import :mod:`edgetf.base`, :mod:`edgetf.tflite`, :mod:`edgetf.tflm` and
:mod:`edgetf.data`. Never imports TensorFlow.
"""
