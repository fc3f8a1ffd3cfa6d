"""The decoded model: plain frozen dataclasses of the parts of the TFLite schema that edgetf
reads (:mod:`edgetf.tflite.reader` builds them, after checking every field)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgetf.base.errors import TfliteFormatError
from edgetf.tflite.types import NUMPY_DTYPES, tensor_nbytes


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``, per channel along an axis."""

    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int


@dataclass(frozen=True)
class Tensor:
    """One tensor of a subgraph; ``data`` is its constant value, ``b""`` for activations."""

    index: int
    name: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...] | None
    dtype: str
    buffer: int
    data: bytes
    quantization: Quantization | None
    is_variable: bool

    def array(self) -> np.ndarray:
        """The constant data as a read-only array of ``shape``; raises if it cannot be one."""
        where = f"tensor {self.index} '{self.name}'"
        dtype = NUMPY_DTYPES.get(self.dtype)
        if dtype is None:
            raise TfliteFormatError(
                f"{where}: {self.dtype} data cannot be read as a numpy array;"
                " only whole-byte numeric types are supported"
            )
        expected = tensor_nbytes(self.shape, self.dtype)
        if any(d < 0 for d in self.shape) or len(self.data) != expected:
            raise TfliteFormatError(
                f"{where}: holds {len(self.data)} bytes of data but shape {list(self.shape)}"
                f" of {self.dtype} needs {expected}; it is not a constant (or it is sparse),"
                " read only tensors whose buffer has data"
            )
        return np.frombuffer(self.data, dtype=dtype).reshape(self.shape)


@dataclass(frozen=True)
class Operator:
    """One operator; ``-1`` in ``inputs`` is an absent optional input.

    ``options`` holds the decoded builtin options (enums as schema names) for the ops
    edgetf generates code for or counts the cost of, and is empty for other ops or when
    the model stores none (TFLM then uses its defaults). It is left out of the hash,
    being a dict.
    """

    index: int
    opcode_index: int
    builtin_code: int
    name: str
    custom_code: str | None
    version: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Subgraph:
    """A graph of operators over tensors; ``inputs``/``outputs`` are tensor indices."""

    name: str
    tensors: tuple[Tensor, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    operators: tuple[Operator, ...]


@dataclass(frozen=True)
class TfliteModel:
    """A decoded ``.tflite`` file; ``size`` is the file size in bytes."""

    version: int
    description: str
    subgraphs: tuple[Subgraph, ...]
    size: int
    metadata: tuple[tuple[str, bytes], ...] = ()

    @property
    def main(self) -> Subgraph:
        """Subgraph 0, the one the interpreters run."""
        return self.subgraphs[0]

    def op_names(self) -> tuple[str, ...]:
        """Sorted builtin names used anywhere in the model; custom ops as ``CUSTOM:<code>``."""
        names = {
            f"CUSTOM:{op.custom_code}" if op.name == "CUSTOM" else op.name
            for graph in self.subgraphs
            for op in graph.operators
        }
        return tuple(sorted(names))

    def input_tensors(self) -> tuple[Tensor, ...]:
        """The main subgraph's input tensors, in order."""
        return tuple(self.main.tensors[i] for i in self.main.inputs)

    def output_tensors(self) -> tuple[Tensor, ...]:
        """The main subgraph's output tensors, in order."""
        return tuple(self.main.tensors[i] for i in self.main.outputs)

    def metadata_names(self) -> tuple[str, ...]:
        """Names of the model's metadata entries (e.g. ``min_runtime_version``)."""
        return tuple(name for name, _ in self.metadata)
