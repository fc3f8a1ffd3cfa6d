"""Golden vectors: inputs and the outputs the TFLM interpreter in Python gave for them.

The firmware's ``edgetf_self_test()`` replays them on the board and counts the output
values that differ, so a user sees at boot whether the board computes what Python
computed. Outputs come from :func:`edgetf.tflm.interpreter.run_tflm` (TFLM's reference kernels in a
child process), each vector from a freshly reset interpreter, as the firmware replays
them.

Inputs (:func:`edgetf.targets.firmware_contract.golden_inputs`) are real samples when the
caller has them (``samples.npz`` of a ``train-quantize`` run), otherwise seeded random
values over the input's whole quantized range, seeded from the model's hash so that the
same model always gets the same vectors. How many, and the flash they may take, are the
firmware contract's (:mod:`edgetf.targets.firmware_contract`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

import numpy as np

from edgetf.targets.firmware_contract import (  # noqa: F401 (golden vectors' sizing)
    DEFAULT_COUNT,
    MAX_GOLDEN_BYTES,
    MAX_VECTOR_BYTES,
    golden_count,
    golden_inputs,
    golden_vector_bytes,
)
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.quantization import dequantize


@dataclass(frozen=True)
class GoldenVectors:
    """``inputs[i]`` is ``(count, *shape)`` for model input ``i``; ``outputs`` likewise."""

    inputs: tuple[np.ndarray, ...]
    outputs: tuple[np.ndarray, ...]
    source: str
    """Where the inputs came from, one phrase (goes into generated comments)."""
    sample: np.ndarray | None
    """The first input of vector 0 as floats (the demo's sample input)."""
    tflm_version: str

    @property
    def count(self) -> int:
        return len(self.inputs[0]) if self.inputs else 0

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (*self.inputs, *self.outputs))


def make_golden_vectors(model: TfliteModel, model_bytes: bytes, count: int,
                        samples: np.ndarray | None = None) -> GoldenVectors:
    """Inputs (see :func:`golden_inputs`) and TFLM's outputs for them."""
    from edgetf.tflm.interpreter import run_tflm

    inputs, source = golden_inputs(model, model_bytes, count, samples)
    return golden_vectors(model, inputs, run_tflm(model_bytes, inputs, reset_between=True),
                          source)


def golden_vectors(model: TfliteModel, inputs: list[np.ndarray], outputs: list[np.ndarray],
                   source: str) -> GoldenVectors:
    """Golden vectors from inputs and the TFLM outputs already computed for them (by
    :func:`edgetf.targets.prepared.prepare_model` and the board's verdict)."""
    shaped_outputs = tuple(
        np.asarray(out).reshape((len(inputs[0]), *tensor.shape))
        for out, tensor in zip(outputs, model.output_tensors(), strict=True))
    first = model.input_tensors()[0]
    sample = dequantize(inputs[0][0], first) if first.dtype in _SAMPLE_TYPES else None
    return GoldenVectors(tuple(inputs), shaped_outputs, source, sample, _tflm_version())


# Input types the demo's float sample can stand for (edgetf_run quantizes to these).
_SAMPLE_TYPES = {"float32", "int8", "uint8", "int16"}


def _tflm_version() -> str:
    try:
        return metadata.version("tflite-micro")
    except metadata.PackageNotFoundError:
        return "unknown"
