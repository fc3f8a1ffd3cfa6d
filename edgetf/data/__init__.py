"""What a run starts from: data sets (built-in, ``.npz``, ``.csv``; WAV folders and
time-series CSVs cut into windows, the raw input of the feature front ends), the built-in model
architectures, users' Keras files (``.keras``, ``.h5``, SavedModel), and the table of model
formats a path is recognised by (``model_formats``).

May import :mod:`edgetf.base` only.
"""
