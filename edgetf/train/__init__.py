"""The ``train-quantize`` job: its options and config file, conversion to full-int8 TFLite,
weight statistics, the run's report, and :func:`~edgetf.train.train_quantize.train_quantize`
which strings data, compression, conversion and evaluation together; PyTorch programs
(``torch_run``, ``torch_convert``: the ``torch`` extra) converted and measured the same way.

May import every folder below it: base, tflite, tflm, data, compress.
"""
