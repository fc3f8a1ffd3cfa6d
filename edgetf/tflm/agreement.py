"""Accuracy of a ``.tflite`` under LiteRT and under TFLM, on the same quantized inputs.

Inputs are quantized once, here, with the model's own scale and zero point, and
the very same int8 arrays go to both interpreters: any disagreement is then the
interpreters', not the preprocessing's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgetf.tflite.litert import litert_outputs
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.quantization import quantized_inputs
from edgetf.tflm import interpreter


@dataclass(frozen=True)
class InterpreterComparison:
    """Accuracy under both interpreters and how often they pick the same class."""

    litert_accuracy: float | None
    tflm_accuracy: float | None
    top1_agreement: float | None
    bit_exact_rate: float | None
    max_abs_difference: int | None
    tflm_outputs: np.ndarray | None = field(default=None, repr=False, compare=False)
    """TFLM's raw outputs, one row per sample (None where TFLM did not run)."""
    litert_raw: np.ndarray | None = field(default=None, repr=False, compare=False)
    """LiteRT's raw outputs, one row per sample."""

    def to_dict(self) -> dict:
        return {
            "int8_litert": self.litert_accuracy,
            "int8_tflm": self.tflm_accuracy,
            "tflm_litert_top1_agreement": self.top1_agreement,
            "tflm_litert_bit_exact_rate": self.bit_exact_rate,
            "tflm_litert_max_abs_difference": self.max_abs_difference,
        }


def compare_interpreters(model: bytes, x: np.ndarray, y: np.ndarray | None,
                         run_tflm: bool = True, *, parsed: TfliteModel | None = None
                         ) -> InterpreterComparison:
    """Accuracy of the int8 model under LiteRT and (in a child process) TFLM, and how
    the two agree; without labels (``y`` None), the agreement only. ``parsed``: the
    caller's :func:`~edgetf.tflite.reader.read_tflite` of ``model``, not read again."""
    inputs = quantized_inputs(model, x, parsed=parsed)
    litert = litert_outputs(model, inputs)
    litert_top1 = np.argmax(litert, axis=-1)
    litert_accuracy = None if y is None else float(np.mean(litert_top1 == y))
    if not (run_tflm and interpreter.tflm_available()):
        return InterpreterComparison(litert_accuracy, None, None, None, None,
                                     litert_raw=litert)
    micro = interpreter.run_tflm(model, inputs, parsed=parsed)[0].reshape(litert.shape)
    micro_top1 = np.argmax(micro, axis=-1)
    difference = np.abs(micro.astype(np.int64) - litert.astype(np.int64))
    return InterpreterComparison(
        litert_accuracy=litert_accuracy,
        tflm_accuracy=None if y is None else float(np.mean(micro_top1 == y)),
        top1_agreement=float(np.mean(micro_top1 == litert_top1)),
        bit_exact_rate=float(np.mean(np.all(difference.reshape(len(x), -1) == 0, axis=1))),
        max_abs_difference=int(difference.max()) if difference.size else 0,
        tflm_outputs=micro,
        litert_raw=litert,
    )
