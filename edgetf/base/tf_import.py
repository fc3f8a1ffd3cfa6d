"""The one place that imports TensorFlow, so that it always comes with Keras 2.

tensorflow-model-optimization (prune, cluster, QAT) only works with Keras 2, the
``tf_keras`` package, while TensorFlow >= 2.16 routes ``tf.keras`` to Keras 3 unless
``TF_USE_LEGACY_KERAS=1`` is set. Every edgetf model is therefore a ``tf_keras`` model,
and the variable must be set before anything touches ``tf.keras``.

Import TensorFlow through :func:`import_tf`, inside the function that needs it, never
at module level: importing TensorFlow takes seconds, and the commands that do not train
(``emit-firmware``, ``inspect``, ``flash``) must never call this function.
"""

from __future__ import annotations

import functools
import os
from types import ModuleType


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
