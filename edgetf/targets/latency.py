"""How long one inference may take on a board: an estimate from MACs, never a measurement.

latency = MACs / throughput, where throughput is the MACs per second that published
whole-model timings of TFLM on the same chip and kernel library work out to. Those
timings are of ``invoke()`` on MobileNet- and DS-CNN-style models, so they already
include the models' non-MAC ops (pooling, softmax, requantization, the interpreter's
per-op dispatch); no per-op overhead is added on top, as it would count them twice.
Models far from those (LSTMs, elementwise-heavy graphs, very small models whose time
is mostly dispatch) can be off by several times. The firmware's demo prints the real
time per inference.

Each figure is MACs per CPU cycle (the board's rows, :mod:`edgetf.targets.throughput`)
times the clock the board's generated project runs its CPU at (``Board.cpu_hz``).

Which kernels run a model's MACs: the board's optimized library (ESP-NN, CMSIS-NN) for
full int8; for int16x8, CMSIS-NN (it has 16x8 kernels, whose speed is taken as that of
its int8 ones) but TFLM's reference kernels on ESP-NN boards (ESP-NN has none); the
reference kernels for float and mixed models. No figure for float reference kernels was
found, so the int8 reference figure stands in for them (both boards' CPUs have a
single-precision FPU, and TFLM's float kernels do the same loop work without the
requantization). Hybrid and uint8 models get no estimate: TFLM cannot run them.

A stored model with look-up-table weights runs the DECODE operator first, at every
inference: its decoded bytes times the board's cycles per decoded byte
(:data:`edgetf.targets.throughput.DECODE_COSTS`) at the same clock are added.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgetf.targets.boards import Board
from edgetf.targets.throughput import MHZ
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.types import tensor_nbytes
from edgetf.tflm.compression import DECODE_OP

#: Quantization kinds whose MACs run on TFLM's reference kernels whatever the board.
_REFERENCE_KINDS = frozenset({"float", "mixed"})
#: Kernel libraries with int16x8 kernels of their own (the others fall back to reference).
_INT16X8_LIBRARIES = frozenset({"CMSIS-NN"})


@dataclass(frozen=True)
class LatencyEstimate:
    """Estimated time of one inference on one board (``None`` when TFLM cannot run it)."""

    board: str
    kernels: str | None
    macs_per_second: float | None
    latency_ms: float | None
    basis: str
    decode_ms: float = 0.0
    """The DECODE operator's part of ``latency_ms`` (0 without look-up-table weights)."""

    def to_dict(self) -> dict:
        return {"estimate": True, "latency_ms": self.latency_ms, "kernels": self.kernels,
                "macs_per_second": self.macs_per_second, "decode_ms": self.decode_ms,
                "basis": self.basis}


def kernels_for(board: Board, quantization: str) -> str | None:
    """The kernels that run a model's MACs on ``board``: its optimized library,
    ``"reference"``, or ``None`` when TFLM cannot run the quantization at all."""
    if quantization == "int8":
        return board.kernels
    if quantization == "int16x8":
        return board.kernels if board.kernels in _INT16X8_LIBRARIES else "reference"
    if quantization in _REFERENCE_KINDS:
        return "reference"
    return None


#: Said of every estimate whose arena lives in PSRAM: the figures above were all measured
#: with the arena in internal RAM, and no measurement of TFLM with its arena in PSRAM was
#: found to put a number on it.
PSRAM_NOTE = ("the arena is in PSRAM, which this estimate does not include: activations "
              "are then read and written over octal SPI (80 MHz) through the data cache, "
              "slower than internal SRAM, so expect a slower inference, the more so the "
              "more the activations exceed the cache")


def decoded_bytes(model: TfliteModel) -> int:
    """Bytes the DECODE operators of ``model`` write per inference (their outputs' arena
    size); 0 for a model without look-up-table weights."""
    return sum(tensor_nbytes(graph.tensors[t].shape, graph.tensors[t].dtype, in_arena=True)
               for graph in model.subgraphs for op in graph.operators
               if f"CUSTOM:{op.custom_code}" == DECODE_OP for t in op.outputs)


def estimate_latency(macs: int, board: Board, quantization: str,
                     arena_in_psram: bool = False, decoded: int = 0) -> LatencyEstimate:
    """``macs`` at the throughput of the kernels ``board`` runs ``quantization`` with, plus
    ``decoded`` bytes of look-up-table weights expanded by DECODE (:func:`decoded_bytes`)."""
    kernels = kernels_for(board, quantization)
    if kernels is None:
        return LatencyEstimate(board.id, None, None, None,
                               f"no estimate: TFLM cannot run {quantization} models")
    figure = board.throughput[kernels]
    per_second = figure.macs_per_cycle * board.cpu_hz
    basis = (f"{macs:,} MACs at {per_second / 1e6:.3g} M MACs/s ({kernels}, "
             f"{figure.macs_per_cycle:.3g} MACs/cycle at {board.cpu_hz // MHZ} MHz; "
             f"{figure.source})")
    decode_ms = decoded * board.decode_cost.cycles_per_byte / board.cpu_hz * 1000
    if decoded:
        basis += (f"; plus DECODE of {decoded:,} bytes of look-up-table weights, "
                  f"{decode_ms:.3g} ms ({board.decode_cost.source})")
    if arena_in_psram:
        basis += f"; {PSRAM_NOTE}"
    return LatencyEstimate(board.id, kernels, per_second,
                           macs / per_second * 1000 + decode_ms, basis, decode_ms)
