"""What a run starts from: data sets (built-in, ``.npz``, ``.csv``), the built-in model
architectures, and users' Keras files (``.keras``, ``.h5``, SavedModel).

May import :mod:`edgetf.base` only.
"""
