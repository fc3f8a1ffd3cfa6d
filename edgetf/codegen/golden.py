"""Golden vectors: inputs and the outputs the TFLM interpreter in Python gave for them.

The firmware's ``edgetf_self_test()`` replays them on the board and counts the output
values that differ, so a user sees at boot whether the board computes what Python
computed. Outputs come from :func:`edgetf.tflm.interpreter.run_tflm` (TFLM's reference kernels in a
child process), each vector from a freshly reset interpreter, as the firmware replays
them.

Inputs are real samples when the caller has them (``samples.npz`` of a
``train-quantize`` run), otherwise seeded random values over the input's whole
quantized range, seeded from the model's hash so that the same model always gets the
same vectors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from edgetf.base.errors import DataError
from edgetf.tflite.model import Tensor, TfliteModel
from edgetf.tflite.quantization import dequantize, quantize
from edgetf.tflite.types import NUMPY_DTYPES

#: Golden vectors embedded by default, and the flash they may take at most: enough to
#: catch a wrong kernel or layout without crowding the model out of flash.
DEFAULT_COUNT = 3
MAX_GOLDEN_BYTES = 32 * 1024
#: One vector (all inputs and outputs) larger than this is not embedded at all, not even
#: one: it would not fit the flash of any board edgetf knows (8 MB at most), and making
#: it would allocate whatever a model's shapes claim.
MAX_VECTOR_BYTES = 8 * 1024 * 1024


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


def golden_count(model: TfliteModel, requested: int) -> int:
    """``requested``, lowered so that the vectors stay under :data:`MAX_GOLDEN_BYTES`
    (at least one is kept, unless one alone exceeds :data:`MAX_VECTOR_BYTES`: then 0)."""
    per_vector = golden_vector_bytes(model)
    if not requested or per_vector > MAX_VECTOR_BYTES:
        return 0
    return max(1, min(requested, MAX_GOLDEN_BYTES // max(per_vector, 1)))


def golden_vector_bytes(model: TfliteModel) -> int:
    """Bytes of one golden vector: every input and output of the main subgraph."""
    return sum(_tensor_bytes(t) for t in (*model.input_tensors(), *model.output_tensors()))


def golden_inputs(model: TfliteModel, model_bytes: bytes, count: int,
                  samples: np.ndarray | None = None) -> tuple[list[np.ndarray], str]:
    """``count`` inputs per model input, and a phrase saying where they came from.

    ``samples`` (float, ``(N, *input_shape)``) are used for a single-input model when
    given and shaped right; they are quantized as the firmware's ``edgetf_run`` does.
    """
    tensors = model.input_tensors()
    if samples is not None and len(tensors) == 1:
        samples = np.asarray(samples)
        per_sample = int(np.prod(tensors[0].shape))
        if samples.ndim < 1 or len(samples) == 0 or samples[0].size != per_sample:
            raise DataError(
                f"samples of shape {list(samples.shape[1:])} do not fit the model's input "
                f"{list(tensors[0].shape)}; use the samples.npz of the run that made the model")
        chosen = samples[:count].reshape((-1, *tensors[0].shape)).astype(np.float32)
        return [quantize(chosen, tensors[0])], f"the first {len(chosen)} test samples of the run"
    seed = int.from_bytes(hashlib.sha256(model_bytes).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    inputs = [_random_input(rng, tensor, count) for tensor in tensors]
    return inputs, f"random values over the input range, seeded from the model hash ({seed})"


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
    :func:`edgetf.tflm.interpreter.measure_arena_and_run`, which emit-firmware uses)."""
    shaped_outputs = tuple(
        np.asarray(out).reshape((len(inputs[0]), *tensor.shape))
        for out, tensor in zip(outputs, model.output_tensors(), strict=True))
    first = model.input_tensors()[0]
    sample = dequantize(inputs[0][0], first) if first.dtype in _SAMPLE_TYPES else None
    return GoldenVectors(tuple(inputs), shaped_outputs, source, sample, _tflm_version())


# Input types the demo's float sample can stand for (edgetf_run quantizes to these).
_SAMPLE_TYPES = {"float32", "int8", "uint8", "int16"}


def _random_input(rng: np.random.Generator, tensor: Tensor, count: int) -> np.ndarray:
    dtype = NUMPY_DTYPES.get(tensor.dtype)
    if dtype is None:
        raise DataError(f"input '{tensor.name}' is {tensor.dtype}, which edgetf cannot make "
                        "golden vectors for")
    dtype = np.dtype(dtype)
    shape = (count, *tensor.shape)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype in (np.int8, np.uint8, np.int16):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    # Indices, lengths, flags: zeros are valid for any model that takes them.
    return np.zeros(shape, dtype=dtype)


def _tensor_bytes(tensor: Tensor) -> int:
    dtype = NUMPY_DTYPES.get(tensor.dtype)
    size = np.dtype(dtype).itemsize if dtype is not None else 4
    return int(np.prod([max(d, 1) for d in tensor.shape])) * size


def _tflm_version() -> str:
    try:
        return metadata.version("tflite-micro")
    except metadata.PackageNotFoundError:
        return "unknown"
