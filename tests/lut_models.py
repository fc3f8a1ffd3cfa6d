"""LUT-compressed versions of the test models, made by tflite-micro's own compressor.

A converted model's weights take nearly every int8 value, so first every weight tensor
(int8 or float32) and bias (int32, int64 or float32) that the board's TFLM lets a DECODE produce
(:func:`~edgetf.targets.planner.weights_in_prepare.must_stay_constant`) is snapped, in
place in the flatbuffer, to at most ``2**bits`` values per quantization channel (the
"snapped" model: same ops, same sizes, fewer distinct weights); then the wheel's
``compress`` LUT-compresses exactly those tensors, per channel where they are quantized
per channel (axis 0 or the last), and inserts the TFLM_DECODE operators. LUT is lossless,
so the two models must give the same outputs.
"""

from __future__ import annotations

import importlib

import numpy as np

from edgetf.targets.planner.weights_in_prepare import must_stay_constant
from edgetf.tflite.reader import read_tflite

_DTYPES = {"int8": np.int8, "int32": np.int32, "int64": np.int64, "float32": np.float32}


def _buffer_offsets(model: bytes) -> dict[int, int]:
    """Where each buffer's data starts in the file (flatbuffers' vector position)."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    root = schema.Model.GetRootAs(model, 0)
    offsets = {}
    for i in range(root.BuffersLength()):
        table = root.Buffers(i)._tab
        field = table.Offset(4)  # Buffer.data
        if field:
            offsets[i] = table.Vector(field)
    return offsets


def _snap(values: np.ndarray, levels: int) -> np.ndarray:
    """Each value moved to the nearest of ``levels`` evenly spaced ones (integers for
    integer tensors)."""
    grid = np.linspace(float(values.min()), float(values.max()), levels)
    if np.issubdtype(values.dtype, np.integer):
        grid = np.round(grid)
    grid = np.unique(grid.astype(values.dtype))
    nearest = np.abs(values.astype(np.float64)[..., None] - grid).argmin(axis=-1)
    return grid[nearest]


def _compressible(model, table: str) -> list[int]:
    """Constant int8, int32, int64 (quantized) and float32 tensors of subgraph 0 that
    every consumer may take from a DECODE on ``table``'s TFLM."""
    graph = model.main
    uses: dict[int, list[tuple[str, int]]] = {}
    for op in graph.operators:
        name = f"CUSTOM:{op.custom_code}" if op.name == "CUSTOM" else op.name
        for position, index in enumerate(op.inputs):
            if index >= 0:
                uses.setdefault(index, []).append((name, position))
    return [t.index for t in graph.tensors
            if t.data and t.dtype in _DTYPES and t.index in uses
            and (t.quantization is not None or t.dtype == "float32") and _decodable_axis(t)
            and all(must_stay_constant(table, n, p) is None for n, p in uses[t.index])]


def _decodable_axis(tensor) -> bool:
    """TFLM's DECODE (DecodeStateLut::Setup) takes the channel axis from the output's
    quantized_dimension and refuses any but 0 and, with more than one channel, the last.
    person_detect's rank-1 depthwise biases say dimension 3: such tensors stay as they
    are."""
    q = tensor.quantization
    if q is None:
        return True
    if len(q.scales) > 1 and q.quantized_dimension == len(tensor.shape) - 1:
        return True
    return q.quantized_dimension == 0


def snapped_and_compressed(model: bytes, bits: int = 3,
                           table: str = "reference-64") -> tuple[bytes, bytes]:
    """(snapped, compressed): see the module docstring."""
    spec = importlib.import_module("tflite_micro.tensorflow.lite.micro.compression.spec")
    compress = importlib.import_module(
        "tflite_micro.tensorflow.lite.micro.compression.compress")
    parsed = read_tflite(model)
    offsets = _buffer_offsets(model)
    out = bytearray(model)
    specs = []
    for index in _compressible(parsed, table):
        tensor = parsed.main.tensors[index]
        data = np.frombuffer(tensor.data, _DTYPES[tensor.dtype]).reshape(tensor.shape)
        per_channel = tensor.quantization is not None and len(tensor.quantization.scales) > 1
        axis = tensor.quantization.quantized_dimension if per_channel else None
        if axis is None:
            snapped = _snap(data, 2 ** bits)
        else:
            snapped = np.moveaxis(np.stack([_snap(s, 2 ** bits)
                                            for s in np.moveaxis(data, axis, 0)]), 0, axis)
        start = offsets[tensor.buffer]
        out[start:start + len(tensor.data)] = snapped.tobytes()
        slices = [snapped] if axis is None else list(np.moveaxis(snapped, axis, 0))
        needed = max(len(np.unique(s)) for s in slices)
        mode = spec.PerTensor() if axis is None else spec.PerChannel(axis=axis)
        specs.append(spec.Tensor(subgraph=0, tensor=index, compression=[
            spec.LookUpTableCompression(index_bitwidth=max(1, (needed - 1).bit_length()),
                                        mode=mode)]))
    snapped_model = bytes(out)
    return snapped_model, bytes(compress.compress(snapped_model, specs))
