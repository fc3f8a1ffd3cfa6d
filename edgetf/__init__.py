"""edgetf: from a Keras model to a microcontroller.

The library is a chain of plain functions, one per stage, each exported here for
notebooks and scripts::

    load_dataset → train_quantize → inspect_file / validate → emit_firmware (build_project)
                   tune_models (train_quantize trials for one board)

with their options (``TrainQuantizeOptions``, ``ValidateOptions``,
``TuneOptions``) and the board table (``BOARDS``, ``get_board``). The search over trials
is ``tune_models`` because ``edgetf.tune`` is the package that holds it.

Importing :mod:`edgetf` does not import TensorFlow: every name is imported when first
used, and only training imports TensorFlow.
"""

from __future__ import annotations

import importlib

from edgetf._version import __version__
from edgetf.base.errors import EdgetfError

#: Public name -> (module, name in that module), imported on first use.
_LAZY: dict[str, tuple[str, str]] = {
    "load_dataset": ("edgetf.data.datasets", "load_dataset"),
    "TrainQuantizeOptions": ("edgetf.train.options", "TrainQuantizeOptions"),
    "train_quantize": ("edgetf.train.train_quantize", "train_quantize"),
    "emit_firmware": ("edgetf.api.firmware", "emit_firmware"),
    "build_project": ("edgetf.codegen.emit_firmware", "build_project"),
    "inspect_file": ("edgetf.analyze.inspect", "inspect_file"),
    "inspect_model": ("edgetf.analyze.inspect", "inspect_model"),
    "ValidateOptions": ("edgetf.analyze.validate", "ValidateOptions"),
    "validate": ("edgetf.analyze.validate", "validate"),
    "TuneOptions": ("edgetf.tune.options", "TuneOptions"),
    "tune_models": ("edgetf.tune.tune", "tune"),
    "BOARDS": ("edgetf.targets.boards", "BOARDS"),
    "get_board": ("edgetf.targets.boards", "get_board"),
}

__all__ = ["EdgetfError", "__version__", *_LAZY]


def __getattr__(name: str):
    # Lazy so that `import edgetf` stays cheap for commands that never train.
    if name not in _LAZY:
        raise AttributeError(f"module 'edgetf' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # the next lookup does not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
