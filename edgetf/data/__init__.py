"""What a run starts from: data sets (built-in, ``.npz``, ``.csv``), the built-in model
architectures, users' Keras files (``.keras``, ``.h5``, SavedModel), and the table of model
formats a path is recognised by (``model_formats``).

May import :mod:`edgetf.base` only.
"""
