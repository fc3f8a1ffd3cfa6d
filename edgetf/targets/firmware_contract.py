"""What the generated library promises, as far as deciding whether a model fits needs it.

The C library passes tensors of :data:`EDGETF_TYPES` in and out, embeds golden vectors
(at most :data:`MAX_GOLDEN_BYTES` of them), buffers the demo's first input and scores in
RAM, and on an ESP32 writes a larger app partition when the app outgrows the default one.
These are facts about the firmware that :mod:`edgetf.targets.verdict` counts before
anything is generated; :mod:`edgetf.codegen` writes the firmware from the same facts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from edgetf.base.errors import DataError
from edgetf.targets.boards import Board
from edgetf.tflite.model import Tensor, TfliteModel
from edgetf.tflite.quantization import quantize
from edgetf.tflite.types import NUMPY_DTYPES, tensor_nbytes

#: Tensor types the generated library passes in and out (``edgetf_type_t``).
EDGETF_TYPES = {"float32": "EDGETF_FLOAT32", "int32": "EDGETF_INT32", "uint8": "EDGETF_UINT8",
                "int64": "EDGETF_INT64", "bool": "EDGETF_BOOL", "int16": "EDGETF_INT16",
                "int8": "EDGETF_INT8"}

#: Golden vectors embedded by default, and the flash they may take at most: enough to
#: catch a wrong kernel or layout without crowding the model out of flash.
DEFAULT_COUNT = 3
MAX_GOLDEN_BYTES = 32 * 1024
#: One vector (all inputs and outputs) larger than this is not embedded at all, not even
#: one: it would not fit the flash of any board edgetf knows (8 MB at most), and making
#: it would allocate whatever a model's shapes claim.
MAX_VECTOR_BYTES = 8 * 1024 * 1024

# RAM the demo in the generated main.cpp adds per float of input and output it buffers.
_DEMO_MAX_INPUT_VALUES = 2048
_DEMO_MAX_SCORES = 64


def golden_count(model: TfliteModel, requested: int) -> int:
    """``requested``, lowered so that the vectors stay under :data:`MAX_GOLDEN_BYTES`
    (at least one is kept, unless one alone exceeds :data:`MAX_VECTOR_BYTES`: then 0)."""
    per_vector = golden_vector_bytes(model)
    if not requested or per_vector > MAX_VECTOR_BYTES:
        return 0
    return max(1, min(requested, MAX_GOLDEN_BYTES // max(per_vector, 1)))


def golden_too_large(model: TfliteModel, requested: int) -> str:
    """Why no vector is embedded although ``requested`` were asked for ("" otherwise)."""
    if requested and not golden_count(model, requested):
        return (f"one vector would take {golden_vector_bytes(model):,} bytes, "
                f"more than the {MAX_VECTOR_BYTES:,} edgetf embeds")
    return ""


def golden_vector_bytes(model: TfliteModel) -> int:
    """Bytes of one golden vector: every input and output of the main subgraph."""
    return sum(tensor_nbytes(t.shape, t.dtype, in_arena=True)
               for t in (*model.input_tensors(), *model.output_tensors()))


def golden_inputs(model: TfliteModel, model_bytes: bytes, count: int,
                  samples: np.ndarray | None = None) -> tuple[list[np.ndarray], str]:
    """``count`` inputs per model input, and a phrase saying where they came from.

    ``samples`` (float, ``(N, *input_shape)``) are used for a single-input model when
    given and shaped right; they are quantized as the firmware's ``edgetf_run`` does.
    Otherwise seeded random values over the input's whole quantized range, seeded from
    the model's hash so that the same model always gets the same vectors.
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


def demo_ram(model: TfliteModel) -> int:
    """RAM the generated demo buffers for the first input and output (floats, capped)."""
    if not model.input_tensors() or not model.output_tensors():
        return 0  # emit-firmware refuses such a model; inspect still describes it
    inputs = int(np.prod(model.input_tensors()[0].shape))
    outputs = int(np.prod(model.output_tensors()[0].shape))
    return 4 * (min(inputs, _DEMO_MAX_INPUT_VALUES) + min(outputs, _DEMO_MAX_SCORES))


def partition_plan(board: Board, app_estimate: int) -> dict | None:
    """A single large app partition when the app outgrows the default one, else None."""
    default = board.default_app_partition_bytes
    if default is None or app_estimate <= default:
        return None
    return {"app_estimate": app_estimate, "app_size": board.flash_bytes,
            "flash_size_name": f"{board.chip_flash_bytes // (1024 * 1024)}MB"}


def no_inputs_or_outputs(model: TfliteModel) -> str:
    """How many inputs and outputs the main subgraph has, when one of them is none."""
    return (f"its main subgraph has {len(model.main.inputs)} inputs and "
            f"{len(model.main.outputs)} outputs")


#: Raw-sample golden clips (a library with a front end) take at most this much flash.
MAX_RAW_GOLDEN_BYTES = 64 * 1024
#: The front end's interpreter, resolver and stream counters in static RAM (32-bit
#: sizeof(tflite::MicroInterpreter) is about 200 bytes; a resolver of 20 ops about 300).
FRONT_END_OBJECTS_BYTES = 640


@dataclass(frozen=True)
class FrontEndLoad:
    """What a front end adds to a library (firmware/edgetf/edgetf_impulse.cc), per board:
    RAM for its arena, objects, the window being filled, the ring of a clip's frames, the
    scores and the recognizer's history; flash for its graph and raw golden vectors."""

    arena_bytes: int
    window_bytes: int
    ring_bytes: int
    recognizer_bytes: int
    graph_bytes: int
    code_bytes: int
    """The signal kernels' code, for ops the model itself does not use."""
    golden_bytes: int
    problems: tuple[str, ...] = ()
    """Why the board's TFLM cannot run the front end (missing signal kernels): the
    verdict refuses the library, even with ``--force``."""

    @property
    def ram_bytes(self) -> int:
        return (self.arena_bytes + FRONT_END_OBJECTS_BYTES + self.window_bytes
                + self.ring_bytes + self.recognizer_bytes)

    @property
    def flash_bytes(self) -> int:
        return self.graph_bytes + self.code_bytes + self.golden_bytes

    def to_dict(self) -> dict:
        return {"front_end_arena_bytes": self.arena_bytes, "ring_bytes": self.ring_bytes,
                "window_bytes": self.window_bytes, "recognizer_bytes": self.recognizer_bytes,
                "objects_bytes": FRONT_END_OBJECTS_BYTES, "ram_bytes": self.ram_bytes,
                "graph_bytes": self.graph_bytes, "code_bytes": self.code_bytes,
                "golden_bytes": self.golden_bytes,
                "flash_bytes": self.flash_bytes}


def front_end_load(arena_bytes: int, window_samples: int, clip_frames: int, channels: int,
                   labels: int, history: int, graph_bytes: int, code_bytes: int,
                   golden_bytes: int, problems: tuple[str, ...] = ()) -> FrontEndLoad:
    """The front end's RAM and flash as the runtime allocates them: int16 window, int8
    ring, int8 + float scores per label, ``history`` x (labels + 4) recognizer bytes."""
    return FrontEndLoad(arena_bytes, 2 * window_samples, clip_frames * channels,
                        5 * labels + history * (labels + 4), graph_bytes, code_bytes,
                        golden_bytes, problems)
