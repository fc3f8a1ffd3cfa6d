"""Quantization-aware training, with the collaborative scheme that keeps earlier steps.

tfmot's default QAT would re-spread pruned and clustered weights; its "collaborative
optimization" schemes (PQAT, CQAT, PCQAT) keep the zeros and the centroids while
the model learns to live with int8 rounding.
"""

from __future__ import annotations

import re

from edgetf.base.errors import OptimizationError
from edgetf.base.tf_import import import_tf
from edgetf.compress.binary import keep_binary, kernel_variable
from edgetf.compress.common import StepReport, Training

LEARNING_RATE = 5e-4
_UNSUPPORTED = re.compile(r"Layer (\S+?):<class '[\w.]*?(\w+)'> is not supported")


def quantization_aware_train(model, training: Training, *, pruned: bool, clustered: bool,
                             epochs: int, source: str = "model",
                             binary: dict[str, tuple[int, ...]] | None = None):
    """Return the QAT model (with fake-quant nodes) after ``epochs`` of fine-tuning.

    ``binary`` maps the layers binarized by :func:`~edgetf.compress.binary.binarize` to
    their alpha axes: their kernels are kept at ``±alpha`` throughout.
    """
    import_tf()
    import tensorflow_model_optimization as tfmot

    quantization = tfmot.quantization.keras
    combine = tfmot.experimental.combine
    if clustered:
        scheme, name = (combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=pruned),
                        "PCQAT" if pruned else "CQAT")
    elif pruned:
        scheme, name = combine.Default8BitPrunePreserveQuantizeScheme(), "PQAT"
    else:
        scheme, name = quantization.default_8bit.Default8BitQuantizeScheme(), "QAT"
    report = StepReport("qat", {"scheme": name, "epochs": epochs})
    try:
        annotated = quantization.quantize_annotate_model(model)
        with quantization.quantize_scope():
            qat_model = quantization.quantize_apply(annotated, scheme)
    except (RuntimeError, ValueError, TypeError) as error:
        raise _unsupported_error(str(error), source) from None
    report.layers = [layer.name for layer in model.layers if layer.trainable_weights]
    callbacks = []
    if binary:
        callbacks.append(keep_binary(_binary_kernels(qat_model, binary)))
        report.settings["binary_weights_kept"] = sorted(binary)
    training.fit(qat_model, epochs=epochs, learning_rate=LEARNING_RATE,
                 description=f"quantization-aware training ({name})", callbacks=callbacks)
    return qat_model, report


def _binary_kernels(qat_model, binary: dict[str, tuple[int, ...]]) -> dict[str, tuple]:
    """The kernel variable of each binarized layer's QAT wrapper, with its alpha axes."""
    found = {}
    for wrapper in qat_model.layers:
        inner = getattr(wrapper, "layer", None)
        if inner is not None and inner.name in binary:
            variable = kernel_variable(inner, wrapper.trainable_weights)
            if variable is not None:
                found[inner.name] = (variable, binary[inner.name])
    missing = sorted(set(binary) - set(found))
    if missing:
        raise OptimizationError(
            f"quantization-aware training: no kernel found for the binarized layer(s) "
            f"{', '.join(missing)} in tfmot's wrappers; rerun with --no-qat")
    return found


def check_qat_supported(model, source: str):
    """Ask tfmot to quantize a clone of ``model`` (its default 8-bit scheme) and name every
    layer it refuses, before anything trains; return the clone (QAT-ready, untrained).

    tfmot decides, not a reading of its registry: its layout transforms fold a
    BatchNormalization that follows a Conv2D, DepthwiseConv2D or Dense into that layer
    (its registry lists BatchNormalization as "handled elsewhere"), and only what is
    left must be in the registry. tfmot stops at the first layer it refuses; the
    registry below lets it finish and records every such layer, so the message names
    them all.
    """
    import_tf()
    import tensorflow_model_optimization as tfmot

    quantization = tfmot.quantization.keras
    recording = _recording_scheme(quantization)
    try:
        annotated = quantization.quantize_annotate_model(model)
        with quantization.quantize_scope():
            clone = quantization.quantize_apply(annotated, recording)
    except (RuntimeError, ValueError, TypeError) as error:
        raise _unsupported_error(str(error), source) from None
    if recording.refused:
        raise OptimizationError(
            f"{source}: quantization-aware training cannot quantize "
            f"layer{'s' if len(recording.refused) > 1 else ''} "
            f"{', '.join(recording.refused)} (tfmot has no 8-bit rule for them; a "
            f"BatchNormalization is folded only directly after a Conv2D, DepthwiseConv2D "
            f"or Dense); move or replace them, or rerun with --no-qat (the model is still "
            f"converted to full int8 after training)"
        )
    return clone


def _recording_scheme(quantization):
    """tfmot's default 8-bit scheme, whose registry answers as tfmot's does but, for a
    layer it has no rule for, records it and quantizes nothing instead of raising."""
    default = quantization.default_8bit.Default8BitQuantizeScheme()
    registry = default.get_quantize_registry()

    class _Nothing(quantization.QuantizeConfig):
        def get_weights_and_quantizers(self, layer):
            return []

        def get_activations_and_quantizers(self, layer):
            return []

        def set_quantize_weights(self, layer, quantize_weights):
            pass

        def set_quantize_activations(self, layer, quantize_activations):
            pass

        def get_output_quantizers(self, layer):
            return []

        def get_config(self):
            return {}

    class _Recording(quantization.QuantizeRegistry):
        def __init__(self):
            self.refused: list[str] = []

        def supports(self, layer):
            return True

        def get_quantize_config(self, layer):
            if registry.supports(layer):
                return registry.get_quantize_config(layer)
            self.refused.append(f"'{layer.name}' ({type(layer).__name__})")
            return _Nothing()

    class _Scheme(quantization.QuantizeScheme):
        def __init__(self):
            self.registry = _Recording()

        @property
        def refused(self):
            return self.registry.refused

        def get_layout_transformer(self):
            return default.get_layout_transformer()

        def get_quantize_registry(self):
            return self.registry

    return _Scheme()


def _unsupported_error(message: str, source: str) -> OptimizationError:
    match = _UNSUPPORTED.search(message)
    if match:
        layer, kind = match.groups()
        return OptimizationError(
            f"{source}: quantization-aware training cannot quantize layer '{layer}' ({kind}); "
            f"rerun with --no-qat (the model is still converted to full int8) or replace it"
        )
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return OptimizationError(
        f"{source}: quantization-aware training failed ({first}); rerun with --no-qat"
    )
