"""One-call entry points for notebooks and scripts: a model in (a ``.tflite`` path or bytes,
a Keras model object with calibration data), a firmware project and its figures out.

Each call runs the same stages as the CLI (the same full-int8 conversion as
``train-quantize``, the same checks and files as ``emit-firmware``), so the results are
byte for byte those of the commands. Importing this folder does not import TensorFlow.

May import every folder but cli.
"""
