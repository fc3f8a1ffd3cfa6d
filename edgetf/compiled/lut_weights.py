"""LUT-compressed weights in the compiled runtime: which filters are stored as packed
indices and value tables in flash, and what the program needs to decode them.

The format is TFLM's ``TFLM_DECODE`` one (:mod:`edgetf.tflm.lut`): ``b``-bit indices,
most significant bit first, and an ancillary array of a 16-byte header and one value
table per quantization channel. The program decodes a filter with edgetf's own decoder
(``firmware/edgetf/edgetf_lut_decode.cc``, ``edgetf::lut::Decode``, the code the TFLM
runtime's DECODE kernel wraps on the Nano) into an arena buffer that the static plan
keeps live during the op that reads it, and only then (:mod:`.memory_plan`): right
before the kernel call, never earlier.

Which filters: the weights (input 1) of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
that one op reads, with at most 128 distinct values per channel (clustered, pruned,
``--weight-bits``), whose indices and tables are smaller than the values. The tables are
written here, from the model's own int8 data (no tflite-micro compressor is needed), and
checked: they decode, in numpy, to the model's bytes exactly (:func:`lut_weight`).

Which of them a board gets is :func:`choose`'s business (``--compress``):

- ``off``: none.
- ``always``: every candidate, while the decoder's code is smaller than the flash the
  tables save, and while the board's RAM holds the arena they grow.
- ``auto`` (the default): only tables that cost no arena (the decoded filter fits in the
  plan's free space during its op, so the declared arena stays the same), unless the
  model would not fit the board's flash without tables, when it is ``always``. RAM is
  the scarcer resource: ``auto`` never spends it on flash the board has to spare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from edgetf.tflite.model import TfliteModel
from edgetf.tflm import lut

#: Ops whose weights (input 1) may be stored as look-up tables.
WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
#: ``edgetf::lut::Plan``'s size: the const struct each table adds besides its bytes.
PLAN_BYTES = 8
#: Code of ``edgetf::lut::Decode`` (all four value sizes; the program never calls
#: ``MakePlan``, so the linker's ``--gc-sections`` drops it): its ``.text`` section in
#: edgetf_lut_decode.cc built by arm-none-eabi-g++ 12.2 -O2 -mcpu=cortex-m4 -mthumb
#: -ffunction-sections (1,000 bytes, 2026-12-07). The tables must save more than this.
DECODER_CODE_BYTES = 1000


@dataclass(frozen=True)
class LutWeight:
    """One filter stored as look-up tables: ``tensor`` (its index in subgraph 0), read by
    op ``op_index``; ``indices`` and ``ancillary`` are the bytes stored in flash, in
    TFLM's format; ``plan`` is ``edgetf::lut::Plan``'s fields."""

    tensor: int
    op_index: int
    shape: tuple[int, ...]
    bits: int
    stride: int
    channels: int
    axis: int | None
    indices: bytes
    ancillary: bytes

    @property
    def decoded_bytes(self) -> int:
        return int(np.prod(self.shape))

    @property
    def stored_bytes(self) -> int:
        return len(self.indices) + len(self.ancillary) + PLAN_BYTES

    @property
    def saved_bytes(self) -> int:
        return self.decoded_bytes - self.stored_bytes

    @property
    def alternate_axis(self) -> bool:
        """Element ``i`` uses table ``i % channels`` (channels on the last axis)."""
        return self.axis is not None and self.axis == len(self.shape) - 1 and self.channels > 1

    def decode(self) -> np.ndarray:
        """The int8 values, expanded in numpy as the DECODE kernel expands them."""
        return lut.decode(self.indices, self.ancillary, self.shape, np.int8,
                          self.channels, self.axis)


def _header(bits: int, axis: int | None, stride: int) -> bytes:
    """TFLM's 16-byte LUT header (decode type 0, versions 1, ``axis << 4 | bits``)."""
    header = bytearray(lut.HEADER_BYTES)
    header[0], header[1], header[4] = lut.LUT_DECODE_TYPE, 1, 1
    header[5] = ((lut.PER_TENSOR_AXIS if axis is None else axis) << 4) | bits
    header[6] = stride
    return bytes(header)


def lut_weight(model: TfliteModel, tensor: int, op_index: int) -> LutWeight | None:
    """``tensor`` as look-up tables, or None where it holds more than 128 values in a
    channel, is quantized along an axis DECODE cannot follow, or would not decode to
    its own bytes."""
    t = model.main.tensors[tensor]
    if t.dtype != "int8" or not t.data or t.quantization is None:
        return None
    values = t.array()
    if values.size != int(np.prod(t.shape)) or values.size == 0:
        return None
    scales = len(t.quantization.scales)
    axis = lut.channel_axis(t.shape, scales, t.quantization.quantized_dimension)
    if axis is not None and (axis not in (0, len(t.shape) - 1) or t.shape[axis] != scales):
        return None
    bits = lut.table_bits(values, axis)
    if bits is None:
        return None
    split = lut.to_lut(values, axis)
    stride = split.stride
    tables = np.zeros((len(split.tables), stride), np.int8)
    for channel, table in enumerate(split.tables):
        tables[channel, :len(table)] = table
    weight = LutWeight(tensor, op_index, tuple(t.shape), bits, stride,
                       len(split.tables), axis, lut.pack_indices(split.indices, bits),
                       _header(bits, axis, stride) + tables.tobytes())
    if not np.array_equal(weight.decode(), values):  # lossless, or not stored this way
        return None
    return weight


def candidates(model: TfliteModel) -> list[LutWeight]:
    """Every filter the compiled runtime could store as look-up tables and that saves
    flash by it (one op reads it; not a model input or output), in op order."""
    graph = model.main
    readers: dict[int, int] = {}
    for op in graph.operators:
        for index in op.inputs:
            if index >= 0:
                readers[index] = readers.get(index, 0) + 1
    buffers: dict[int, int] = {}
    for t in graph.tensors:
        buffers[t.buffer] = buffers.get(t.buffer, 0) + 1
    found = []
    for op in graph.operators:
        if op.name not in WEIGHT_OPS or len(op.inputs) < 2:
            continue
        index = op.inputs[1]
        if index < 0 or readers.get(index) != 1 or index in graph.inputs \
                or buffers.get(graph.tensors[index].buffer, 0) > 1:
            continue
        weight = lut_weight(model, index, op.index)
        if weight is not None and weight.saved_bytes > 0:
            found.append(weight)
    return found


@dataclass(frozen=True)
class LutChoice:
    """What :func:`choose` stores as tables, and one line per decision for the report."""

    weights: tuple[LutWeight, ...]
    decisions: tuple[str, ...] = ()

    @property
    def saved_bytes(self) -> int:
        return sum(w.saved_bytes for w in self.weights)


#: ``arena(weights)``: the compiled arena with those filters decoded.
ArenaOf = Callable[[Sequence[LutWeight]], int]
#: ``fits(arena)``: whether the board's RAM (or flash, for ``flash_fits(weights)``) holds it.
Fits = Callable[[int], bool]


def choose(model: TfliteModel, mode: str, arena: ArenaOf, ram_fits: Fits,
           flash_fits_plain: bool, board_name: str = "board") -> LutChoice:
    """The filters stored as tables under ``--compress mode`` (see the module's text).

    ``arena`` plans the compiled arena for a set of decoded filters; ``ram_fits`` says
    whether an arena fits the board; ``flash_fits_plain`` whether the model fits its
    flash with no tables."""
    if mode == "off":
        return LutChoice(())
    found = candidates(model)
    if not found:
        return LutChoice(())
    decisions: list[str] = []
    saved = sum(w.saved_bytes for w in found)
    if saved <= DECODER_CODE_BYTES:
        return LutChoice((), (f"compiled runtime: weights stored uncompressed: the look-up "
                              f"tables would save {saved:,} bytes, less than the "
                              f"{DECODER_CODE_BYTES:,} bytes of decoder code",))
    plain = arena(())
    always_figures = None
    strict = mode == "auto" and flash_fits_plain
    chosen = sorted(found, key=lambda w: w.decoded_bytes)
    if strict:  # a table that grows the arena on its own grows it with the others too
        alone = [w for w in chosen if arena((w,)) <= plain]
        if len(alone) < len(chosen):
            grow = sum(w.saved_bytes for w in chosen)
            always_figures = (grow, arena(chosen) - plain)
            for w in chosen:
                if w not in alone:
                    decisions.append(_grows(w, board_name))
        chosen = alone
    while chosen:
        size = arena(chosen)
        if strict and size > plain:
            if always_figures is None:
                always_figures = (sum(w.saved_bytes for w in chosen), size - plain)
            decisions.append(_grows(chosen.pop(), board_name))  # the largest first
            continue
        if not ram_fits(size):
            largest = chosen.pop()
            decisions.append(
                f"compiled runtime: tensor {largest.tensor} stored uncompressed: decoding its "
                f"{largest.decoded_bytes:,} bytes would make the arena not fit the "
                f"{board_name}'s RAM")
            continue
        break
    if always_figures is not None:
        decisions.append(
            f"compiled runtime: --compress always would store every table: "
            f"{always_figures[0]:,} bytes less flash for {always_figures[1]:+,} bytes of arena")
    chosen.sort(key=lambda w: w.op_index)
    if chosen and sum(w.saved_bytes for w in chosen) <= DECODER_CODE_BYTES:
        decisions.append("compiled runtime: weights stored uncompressed: the tables left "
                         "save less than the decoder's code")
        chosen = []
    return LutChoice(tuple(chosen), tuple(decisions))


def _grows(weight: LutWeight, board_name: str) -> str:
    return (f"compiled runtime: tensor {weight.tensor} stored uncompressed: decoding its "
            f"{weight.decoded_bytes:,} bytes would grow the arena, to save flash the "
            f"{board_name} has room for (--compress always stores it as a look-up table)")
