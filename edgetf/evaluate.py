"""Accuracy of a ``.tflite`` under LiteRT and under TFLM, on the same quantized inputs.

Inputs are quantized once, here, with the model's own scale and zero point, and
the very same int8 arrays go to both interpreters: any disagreement is then the
interpreters', not the preprocessing's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgetf.errors import InterpreterError
from edgetf.native_output import captured_native_stderr
from edgetf.tflite_ops import NUMPY_DTYPES
from edgetf.tflite_reader import Tensor, read_tflite


def quantize(values: np.ndarray, tensor: Tensor) -> np.ndarray:
    """Float values to the tensor's integer type (round half away from zero, saturate)."""
    dtype = np.dtype(NUMPY_DTYPES[tensor.dtype])
    if tensor.quantization is None or dtype.kind == "f":
        return values.astype(dtype)
    scale = tensor.quantization.scales[0]
    zero_point = tensor.quantization.zero_points[0]
    info = np.iinfo(dtype)
    if scale == 0:  # no real quantization: round only, as the firmware's WriteInput does
        scale, zero_point = 1.0, 0
    ratio = np.asarray(values, dtype=np.float64) / scale
    # np.round rounds half to even; TFLite's Quantize kernel (and edgetf's firmware)
    # round half away from zero, so do the same.
    scaled = np.sign(ratio) * np.floor(np.abs(ratio) + 0.5) + zero_point
    return np.clip(scaled, info.min, info.max).astype(dtype)


def dequantize(values: np.ndarray, tensor: Tensor) -> np.ndarray:
    if tensor.quantization is None or values.dtype.kind == "f":
        return values.astype(np.float32)
    scale = tensor.quantization.scales[0]
    zero_point = tensor.quantization.zero_points[0]
    if scale == 0:  # the raw values, as the firmware's Dequantized gives them
        return values.astype(np.float32)
    # A scale near float32's limit overflows to +-inf, as the same float32 product does
    # on the board; the generated code writes such values as numeric_limits.
    with np.errstate(over="ignore"):
        return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


def quantized_inputs(model: bytes, x: np.ndarray) -> np.ndarray:
    """The float samples ``x`` as the model's (single) input tensor expects them."""
    parsed = read_tflite(model)
    return quantize(x, parsed.main.tensors[parsed.main.inputs[0]])


def litert_outputs(model: bytes, inputs: np.ndarray) -> np.ndarray:
    """Run each already-quantized sample through LiteRT; raw output values, stacked."""
    from ai_edge_litert.interpreter import Interpreter

    with captured_native_stderr() as log:
        try:
            interpreter = Interpreter(model_content=model)
            interpreter.allocate_tensors()
            input_index = interpreter.get_input_details()[0]["index"]
            output_index = interpreter.get_output_details()[0]["index"]
            outputs = []
            for sample in inputs:
                interpreter.set_tensor(input_index, sample[np.newaxis])
                interpreter.invoke()
                outputs.append(interpreter.get_tensor(output_index)[0].copy())
        except (RuntimeError, ValueError) as error:
            detail = str(error).strip().splitlines() or [log.last_meaningful_line()]
            raise InterpreterError(f"LiteRT could not run the model ({detail[0]})") from None
    return np.stack(outputs)


@dataclass(frozen=True)
class InterpreterComparison:
    """Accuracy under both interpreters and how often they pick the same class."""

    litert_accuracy: float | None
    tflm_accuracy: float | None
    top1_agreement: float | None
    bit_exact_rate: float | None
    max_abs_difference: int | None

    def to_dict(self) -> dict:
        return {
            "int8_litert": self.litert_accuracy,
            "int8_tflm": self.tflm_accuracy,
            "tflm_litert_top1_agreement": self.top1_agreement,
            "tflm_litert_bit_exact_rate": self.bit_exact_rate,
            "tflm_litert_max_abs_difference": self.max_abs_difference,
        }


def compare_interpreters(model: bytes, x: np.ndarray, y: np.ndarray | None,
                         run_tflm: bool = True) -> InterpreterComparison:
    """Accuracy of the int8 model under LiteRT and (in a child process) TFLM, and how
    the two agree; without labels (``y`` None), the agreement only."""
    from edgetf import tflm

    inputs = quantized_inputs(model, x)
    litert = litert_outputs(model, inputs)
    litert_top1 = np.argmax(litert, axis=-1)
    litert_accuracy = None if y is None else float(np.mean(litert_top1 == y))
    if not (run_tflm and tflm.tflm_available()):
        return InterpreterComparison(litert_accuracy, None, None, None, None)
    micro = tflm.run_tflm(model, inputs)[0].reshape(litert.shape)
    micro_top1 = np.argmax(micro, axis=-1)
    difference = np.abs(micro.astype(np.int64) - litert.astype(np.int64))
    return InterpreterComparison(
        litert_accuracy=litert_accuracy,
        tflm_accuracy=None if y is None else float(np.mean(micro_top1 == y)),
        top1_agreement=float(np.mean(micro_top1 == litert_top1)),
        bit_exact_rate=float(np.mean(np.all(difference.reshape(len(x), -1) == 0, axis=1))),
        max_abs_difference=int(difference.max()) if difference.size else 0,
    )
