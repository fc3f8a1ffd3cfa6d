"""Knowing a model before flashing it: ``inspect`` (what it is, what it costs, whether it
fits each board) and ``validate`` (int8 against its reference, LiteRT against TFLM, as a
gate; for keyword models, from raw clips, with false activations per hour and miss rate
against the threshold on streams), with the HTML report and its charts.

May import every folder below it: base, tflite, tflm, targets, data, codegen.
"""
