"""edgetf: from a Keras model to a microcontroller.

The library is a chain of plain functions, one module per stage::

    load_dataset → train_quantize (prune, cluster, QAT, convert, evaluate) → ...

Importing :mod:`edgetf` does not import TensorFlow; only training does.
"""

from edgetf._version import __version__
from edgetf.base.errors import EdgetfError

__all__ = ["EdgetfError", "TrainQuantizeOptions", "__version__", "emit_firmware", "load_dataset",
           "train_quantize"]


def __getattr__(name: str):
    # Lazy so that `import edgetf` stays cheap for commands that never train.
    if name == "train_quantize":
        from edgetf.train.train_quantize import train_quantize

        return train_quantize
    if name == "TrainQuantizeOptions":
        from edgetf.train.options import TrainQuantizeOptions

        return TrainQuantizeOptions
    if name == "emit_firmware":
        from edgetf.api.firmware import emit_firmware

        return emit_firmware
    if name == "load_dataset":
        from edgetf.data.datasets import load_dataset

        return load_dataset
    raise AttributeError(f"module 'edgetf' has no attribute {name!r}")
