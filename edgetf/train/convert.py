"""Keras model to TFLite bytes: full int8 with calibration data, and float for reference."""

from __future__ import annotations

import numpy as np

from edgetf.base.errors import ConversionError
from edgetf.base.native_output import captured_native_stderr
from edgetf.base.tf_import import import_tf


def to_int8_tflite(model, calibration: np.ndarray, *, samples: int = 200, seed: int = 42,
                   per_tensor_dense: bool = False) -> bytes:
    """Full-integer conversion: int8 weights, activations, input and output.

    ``samples`` inputs drawn (seeded) from ``calibration`` set the activation
    ranges; a QAT model already carries its ranges and they are kept.
    ``per_tensor_dense``: one scale per FULLY_CONNECTED weight tensor instead of one per
    output channel, for boards whose TFLM computes per-channel ones wrongly (the
    converter's private ``_experimental_disable_per_channel_quantization_for_dense_layers``;
    a QAT model's Dense layers are per tensor already, tfmot's 8-bit config quantizes
    them so).
    """
    if samples < 1:
        raise ConversionError("--calibration-samples must be at least 1; the default is 200")
    tf, _ = import_tf()
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(calibration), size=min(samples, len(calibration)), replace=False)
    representative = calibration[np.sort(chosen)].astype(np.float32)

    def representative_dataset():
        for sample in representative:
            yield [sample[np.newaxis]]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    if per_tensor_dense:
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    return _convert(converter, "full-int8")


def per_channel_fully_connected(model) -> list[int]:
    """The FULLY_CONNECTED ops of a parsed model whose weights have one scale per channel."""
    graph = model.main
    found = []
    for op in graph.operators:
        if op.name != "FULLY_CONNECTED" or len(op.inputs) < 2 or op.inputs[1] < 0:
            continue
        weights = graph.tensors[op.inputs[1]]
        if weights.quantization is not None and len(weights.quantization.scales) > 1:
            found.append(op.index)
    return found


def to_float_tflite(model) -> bytes:
    """Plain float32 conversion, the size and accuracy reference for the int8 model."""
    tf, _ = import_tf()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    return _convert(converter, "float")


def _convert(converter, kind: str) -> bytes:
    with captured_native_stderr() as log:
        try:
            return bytes(converter.convert())
        except Exception as error:  # the converter raises many types, all mean "refused"
            reason = str(error).strip().splitlines()
            detail = reason[-1] if reason else log.last_meaningful_line()
            failure = error
    raise ConversionError(
        f"the TFLite converter could not make a {kind} model ({detail}); check that every "
        f"layer has a TFLite builtin op, or rerun with --no-qat"
    ) from failure
