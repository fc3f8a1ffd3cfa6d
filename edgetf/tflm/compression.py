"""The model as the device stores it: LUT-compressed weights and no bytes TFLM never reads.

Flash holds a ``.tflite`` byte for byte, so pruning and clustering save nothing on a board
until the weights are stored in fewer bits. TFLM can run look-up-table weights (see
:mod:`edgetf.tflm.lut`): this module picks the constant int8 tensors that store in at most
7 bits per value without loss and have them rewritten by tflite-micro's own compressor
(``tflite_micro.tensorflow.lite.micro.compression``, shipped in the tflite-micro wheel),
which inserts a ``TFLM_DECODE`` operator before each consumer. Before that, it drops what
TFLM never reads: tensor and subgraph names, the description, signature definitions,
min/max statistics, shape signatures and every metadata entry but the offline memory plan.

Which tensors a board may decode, and whether the decoded tensors still fit its arena,
is the board's business (:mod:`edgetf.targets.board_compression`); this module only
knows the format and the bytes.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from edgetf.base.errors import FirmwareError
from edgetf.tflite.model import Subgraph, Tensor, TfliteModel
from edgetf.tflite.types import tensor_nbytes
from edgetf.tflm import lut

DECODE_OP = "CUSTOM:TFLM_DECODE"
"""How :meth:`TfliteModel.op_names` names the DECODE operator."""
OFFLINE_PLAN = "OfflineMemoryAllocation"
"""The one metadata entry TFLM reads (``micro_allocator.cc``); a model that has one is
not rewritten, since new tensors would not be in its plan."""
_COMPRESSOR = "tflite_micro.tensorflow.lite.micro.compression"
# Bytes one DECODE adds besides the packed data and tables: the operator, the decoded
# tensor's table (shape, a copy of the quantization: 4-byte scales and 8-byte zero points
# per channel) and the ancillary tensor. From compressed digits and person_detect models:
# within 40 bytes of what the files grew by.
_DECODE_OVERHEAD = 112
_PER_CHANNEL_OVERHEAD = 12


@dataclass(frozen=True)
class TensorChoice:
    """One constant int8 tensor and what LUT storage does with it.

    ``bits`` is None when a channel holds more than 128 values. ``reason`` is None for a
    tensor that is compressed, else why it is stored as it is.
    """

    subgraph: int
    tensor: int
    name: str
    consumers: tuple[str, ...]
    shape: tuple[int, ...]
    channels: int
    axis: int | None
    bits: int | None
    bytes_before: int
    bytes_after: int
    """Stored: indices, tables and the DECODE operator's own tensors (an estimate)."""
    decoded_bytes: int
    reason: str | None = None
    lut_bytes: int = 0
    """Indices and tables alone (0 when not a LUT)."""

    @property
    def compressed(self) -> bool:
        return self.reason is None

    def left_alone(self, reason: str) -> TensorChoice:
        return TensorChoice(**{**self.__dict__, "reason": reason})

    def to_dict(self) -> dict:
        return {"subgraph": self.subgraph, "tensor": self.tensor, "name": self.name,
                "consumers": list(self.consumers), "shape": list(self.shape),
                "channels": self.channels, "bits": self.bits,
                "bytes_before": self.bytes_before, "bytes_after": self.bytes_after,
                "lut_bytes": self.lut_bytes,
                "compressed": self.compressed, "reason": self.reason}


@dataclass(frozen=True)
class DeviceModel:
    """The bytes the firmware stores, and how they came from the model's."""

    data: bytes
    original_bytes: int
    tensors: tuple[TensorChoice, ...] = field(default_factory=tuple)
    stripped: bool = False
    source_sha256: str = ""
    """Of the model it came from: the stored bytes have another hash."""

    @property
    def compressed_tensors(self) -> tuple[TensorChoice, ...]:
        return tuple(t for t in self.tensors if t.compressed)

    @property
    def saved_bytes(self) -> int:
        return self.original_bytes - len(self.data)

    def to_dict(self) -> dict:
        return {"original_bytes": self.original_bytes, "device_bytes": len(self.data),
                "saved_bytes": self.saved_bytes, "stripped": self.stripped,
                "tensors": [t.to_dict() for t in self.tensors]}


def compression_unavailable() -> str | None:
    """Why models cannot be rewritten here, or None when they can."""
    try:
        importlib.import_module(f"{_COMPRESSOR}.compress")
    except ImportError as error:
        return (f"tflite-micro's compressor cannot be imported ({error}); install edgetf "
                "on Linux x86-64, where the tflite-micro wheel exists")
    return None


def lut_choices(model: TfliteModel) -> list[TensorChoice]:
    """Every constant int8 tensor an operator reads, with its LUT width and sizes; those
    that cannot or should not be compressed carry the reason."""
    choices = []
    for number, graph in enumerate(model.subgraphs):
        readers = _readers(graph)
        buffer_users = _buffer_users(graph)
        for tensor in graph.tensors:
            if tensor.dtype != "int8" or not tensor.data or tensor.is_variable:
                continue
            if tensor.index not in readers:
                continue
            choices.append(_choice(number, graph, tensor, readers[tensor.index],
                                   buffer_users[tensor.buffer]))
    return choices


def device_model(model_bytes: bytes, model: TfliteModel,
                 choices: Iterable[TensorChoice]) -> DeviceModel:
    """Strip what TFLM never reads and LUT-compress the ``choices`` that are compressed.

    Raises FirmwareError when the compressor is not installed or fails: emit-firmware's
    ``--compress off`` is the way around it.
    """
    choices = tuple(choices)
    if any(key == OFFLINE_PLAN for key, _ in model.metadata):
        return DeviceModel(model_bytes, len(model_bytes), tuple(
            c.left_alone("the model has an offline memory plan, which new tensors would "
                         "break") if c.compressed else c for c in choices))
    unavailable = compression_unavailable()
    if unavailable:
        raise FirmwareError(f"cannot compress: {unavailable}; or pass --compress off")
    chosen = [c for c in choices if c.compressed]
    try:
        data = _strip(model_bytes)
        if chosen:
            data = _compress(data, chosen)
    except Exception as error:  # the compressor is a dependency: name it, not crash
        raise FirmwareError(
            f"tflite-micro's compressor failed on this model ({type(error).__name__}: "
            f"{error}); pass --compress off to emit it uncompressed") from None
    return DeviceModel(bytes(data), len(model_bytes), choices, stripped=True,
                       source_sha256=hashlib.sha256(model_bytes).hexdigest())


def decoded_weights(device: TfliteModel, choice: TensorChoice) -> np.ndarray:
    """The values ``choice``'s tensor decodes to in ``device`` (a compressed model),
    expanded here in numpy: what the lossless round trip is checked against."""
    graph = device.subgraphs[choice.subgraph]
    for op in graph.operators:
        if op.custom_code != "TFLM_DECODE" or choice.tensor not in op.inputs[0::2]:
            continue
        slot = op.inputs.index(choice.tensor)
        encoded, ancillary = graph.tensors[op.inputs[slot]], graph.tensors[op.inputs[slot + 1]]
        decoded = graph.tensors[op.outputs[slot // 2]]
        quant = decoded.quantization
        channels = len(quant.scales) if quant else 1
        axis = lut.channel_axis(decoded.shape, channels, quant.quantized_dimension if quant
                                else 0)
        return lut.decode(encoded.data, ancillary.data, decoded.shape, np.int8, channels, axis)
    raise ValueError(f"tensor {choice.tensor} is not decoded in this model")


def _readers(graph: Subgraph) -> dict[int, list[str]]:
    readers: dict[int, list[str]] = {}
    for op in graph.operators:
        for position in op.inputs:
            if position >= 0:
                readers.setdefault(position, []).append(op.name)
    return readers


def _buffer_users(graph: Subgraph) -> dict[int, int]:
    users: dict[int, int] = {}
    for tensor in graph.tensors:
        users[tensor.buffer] = users.get(tensor.buffer, 0) + 1
    return users


def _choice(subgraph: int, graph: Subgraph, tensor: Tensor, consumers: list[str],
            buffer_users: int) -> TensorChoice:
    quant = tensor.quantization
    scales = len(quant.scales) if quant else 1
    axis = lut.channel_axis(tensor.shape, scales, quant.quantized_dimension if quant else 0)
    channels = scales if axis is not None else 1
    size = len(tensor.data)
    base = dict(subgraph=subgraph, tensor=tensor.index, name=tensor.name,
                consumers=tuple(sorted(set(consumers))), shape=tensor.shape,
                channels=channels, axis=axis, decoded_bytes=size)

    def alone(reason: str, bits: int | None = None) -> TensorChoice:
        return TensorChoice(**base, bits=bits, bytes_before=size, bytes_after=size,
                            reason=reason)

    if any(d < 0 for d in tensor.shape) or size != tensor_nbytes(tensor.shape, tensor.dtype):
        return alone(f"its {size:,} bytes of data do not match its shape")
    if axis is not None and (axis >= len(tensor.shape) or tensor.shape[axis] != scales):
        return alone(f"its {scales} scales do not match axis {axis} of its shape")
    if axis is not None and axis not in (0, len(tensor.shape) - 1):
        return alone(f"it is quantized along axis {axis}; DECODE reads only the first or "
                     "the last axis")
    if tensor.index in graph.outputs or tensor.index in graph.inputs:
        return alone("it is a subgraph input or output")
    if buffer_users > 1:
        return alone("its buffer is shared with another tensor")
    bits = lut.table_bits(tensor.array(), axis)
    if bits is None:
        return alone(f"a channel holds more than {2 ** lut.MAX_BITS} distinct values")
    stride = lut.distinct_per_channel(tensor.array(), axis)  # the compressor's table length
    tables = lut.packed_bytes(size, bits) + lut.ancillary_bytes(channels, stride, 1)
    after = tables + len(set(consumers)) * (_DECODE_OVERHEAD + _PER_CHANNEL_OVERHEAD * channels)
    if after >= size:
        return alone(f"saves no flash: {after:,} bytes as {bits}-bit LUT with its DECODE, "
                     f"{size:,} as it is", bits)
    return TensorChoice(**base, bits=bits, bytes_before=size, bytes_after=after,
                        lut_bytes=tables)


def _strip(model_bytes: bytes) -> bytes:
    """The model without the fields TFLM never reads, re-aligned."""
    editor = importlib.import_module(f"{_COMPRESSOR}.model_editor")
    model = editor.read(model_bytes)
    _restore_builtin_codes(model)
    model.description = None
    model._fb.signatureDefs = None  # the editor keeps fields it has no API for in _fb
    model.metadata = {k: v for k, v in model.metadata.items() if k == OFFLINE_PLAN}
    for graph in model.subgraphs:
        graph.name = None
        for tensor in graph.tensors:
            tensor.name = None
            tensor._fb.shapeSignature = None
            if tensor._fb.quantization is not None:
                tensor._fb.quantization.min = None
                tensor._fb.quantization.max = None
    editor.prune_buffers(model)
    return _aligned(model.build())


def _restore_builtin_codes(model) -> None:
    """Give every operator its real builtin code before the editor rebuilds the table.

    Models written before schema 3a (person_detect, micro_speech, MLPerf KWS) keep the
    code in ``deprecated_builtin_code`` and leave ``builtin_code`` 0. TFLM takes the
    larger of the two; the editor of tflite-micro 0.dev20261023 reads only
    ``builtin_code``, so it merged all their operator codes into one ``ADD`` and the
    rebuilt model failed in Prepare (seen: SOFTMAX given CONV_2D's three inputs).
    """
    for code in model.operator_codes:
        code._fb.builtinCode = max(code._fb.builtinCode or 0,
                                   code._fb.deprecatedBuiltinCode or 0)
    for graph in model.subgraphs:
        for op in graph.operators:
            op.opcode = model.operator_codes[op.opcode_index].builtin_code


def _compress(model_bytes: bytes, chosen: list[TensorChoice]) -> bytes:
    spec = importlib.import_module(f"{_COMPRESSOR}.spec")
    compress = importlib.import_module(f"{_COMPRESSOR}.compress")
    specs = []
    for choice in chosen:
        mode = spec.PerTensor() if choice.axis is None else spec.PerChannel(axis=choice.axis)
        specs.append(spec.Tensor(subgraph=choice.subgraph, tensor=choice.tensor, compression=[
            spec.LookUpTableCompression(index_bitwidth=choice.bits, mode=mode)]))
    with warnings.catch_warnings():
        # It warns where it would expand a tensor or skip a shared buffer; the choices
        # already leave those alone, and the sizes are checked on the result.
        warnings.simplefilter("ignore")
        return bytes(compress.compress(model_bytes, specs))


def _aligned(model_bytes: bytes) -> bytes:
    """Re-pack with the schema's ``force_align`` honoured (flatbuffers' Python builder
    ignores it; the wheel's C++ wrapper does not), as the compressor itself does."""
    wrapper = importlib.import_module(
        "tflite_micro.tensorflow.lite.micro.tools.tflite_flatbuffer_align_wrapper")
    with tempfile.TemporaryDirectory(prefix="edgetf-align-") as folder:
        source, target = os.path.join(folder, "in.tflite"), os.path.join(folder, "out.tflite")
        with open(source, "wb") as handle:
            handle.write(model_bytes)
        wrapper.align_tflite_model(source, target)
        with open(target, "rb") as handle:
            return handle.read()
