"""The one place that imports TensorFlow, so that it always comes with Keras 2.

tensorflow-model-optimization (prune, cluster, QAT) only works with Keras 2, the
``tf_keras`` package, while TensorFlow >= 2.16 routes ``tf.keras`` to Keras 3 unless
``TF_USE_LEGACY_KERAS=1`` is set. Every edgetf model is therefore a ``tf_keras`` model,
and the variable must be set before anything touches ``tf.keras``.

Import TensorFlow through :func:`import_tf`, inside the function that needs it, never
at module level: importing TensorFlow takes seconds, and the commands that do not train
(``emit-firmware``, ``inspect``, ``flash``) must never call this function.

The base install (``pip install edgetf``) has no TensorFlow: it is the ``train`` extra,
and PyTorch the ``torch`` one. :data:`EXTRAS` says which extra brings each optional
package edgetf imports; a command that needs one that is missing fails, before any
work, with :class:`MissingExtraError` naming the ``pip install`` that brings it.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from types import ModuleType

from edgetf.base.errors import EdgetfError

#: Each extra: the top-level modules edgetf imports from it, and their PyPI names.
EXTRAS: dict[str, dict[str, str]] = {
    "train": {
        "tensorflow": "tensorflow",
        "tf_keras": "tf-keras",
        "tensorflow_model_optimization": "tensorflow-model-optimization",
        "ai_edge_litert": "ai-edge-litert",
        "sklearn": "scikit-learn",
        "optuna": "optuna",
    },
    "torch": {
        "torch": "torch",
        "litert_torch": "litert-torch",
        "ai_edge_quantizer": "ai-edge-quantizer",
        "ai_edge_litert": "ai-edge-litert",
    },
}


class MissingExtraError(EdgetfError):
    """An optional dependency of edgetf (an extra) is not installed."""


def _message(needed_by: str, packages: list[str], extra: str) -> str:
    verb, pronoun = ("is", "it") if len(packages) == 1 else ("are", "them")
    return (f"{needed_by} needs {', '.join(packages)}, which {verb} not installed (the base "
            f"install of edgetf leaves {pronoun} out); install {pronoun} with: "
            f"pip install 'edgetf[{extra}]'")


def require_extra(extra: str, needed_by: str) -> None:
    """Raise :class:`MissingExtraError` unless every package of ``extra`` can be imported.

    Looks the modules up without importing them (no TensorFlow start-up cost), so a
    command can check before it does any work rather than fail halfway.
    """
    missing = [package for module, package in EXTRAS[extra].items()
               if importlib.util.find_spec(module) is None]
    if missing:
        raise MissingExtraError(_message(needed_by, missing, extra))


def missing_extra(error: BaseException, needed_by: str) -> MissingExtraError | None:
    """The :class:`MissingExtraError` for ``error`` when it is the import of a package an
    extra brings failing (it is not installed); None for any other error."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    module = error.name.split(".")[0]
    for extra, modules in EXTRAS.items():
        if module in modules:
            return MissingExtraError(_message(needed_by, [modules[module]], extra))
    return None


@functools.cache
def import_tf() -> tuple[ModuleType, ModuleType]:
    """Import and return ``(tensorflow, tf_keras)``, with Keras 2 behind ``tf.keras``.

    ``setdefault`` leaves a value the user chose alone. TensorFlow 2.21 reads the
    variable on the first ``tf.keras`` access rather than at import, and tfmot's
    ``compat`` module overwrites it with "1" when imported, but neither is documented:
    setting it before the import is the rule that holds for every version.
    ``TF_CPP_MIN_LOG_LEVEL=3`` hides TensorFlow's C++ log lines (failures still raise),
    but not all of them: with TensorFlow 2.21 the "I0000 ... port.cc / cudart_stub.cc"
    lines logged before absl is initialised reach stderr even at level 3, so the import
    itself runs with file descriptor 2 captured.
    """
    from edgetf.base.native_output import captured_native_stderr

    require_extra("train", "training, validating and tuning")
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with captured_native_stderr():
        import tensorflow as tf
        import tf_keras

        tf.config.list_logical_devices()  # initialises the devices (and their CUDA chatter)
    # CQAT trains centroids, not kernels, and TensorFlow warns about every kernel
    # without a gradient on every step; real problems raise instead.
    tf.get_logger().setLevel("ERROR")

    return tf, tf_keras
