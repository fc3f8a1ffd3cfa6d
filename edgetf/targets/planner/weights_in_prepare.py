"""Operator inputs a board's kernels read in Prepare, so a DECODE output cannot feed them.

(Minimal table until the kernel audit lands: the portable kernels' shape and parameter
inputs, which tflite-micro's compressor refuses too.)
"""

from __future__ import annotations

_PORTABLE: dict[tuple[str, int], str] = {
    ("PAD", 1): "paddings", ("PADV2", 1): "paddings", ("TRANSPOSE", 1): "perm",
    ("STRIDED_SLICE", 1): "begin", ("STRIDED_SLICE", 2): "end",
    ("STRIDED_SLICE", 3): "strides", ("EXPAND_DIMS", 1): "axis", ("FILL", 0): "dims",
    ("BROADCAST_TO", 1): "shape", ("SPLIT", 0): "axis", ("SPLIT_V", 2): "axis",
    ("RESIZE_BILINEAR", 1): "size", ("RESIZE_NEAREST_NEIGHBOR", 1): "size",
}


def must_stay_constant(table: str, op_name: str, input_index: int) -> str | None:
    """Why input ``input_index`` of ``op_name`` must be a constant on ``table``'s build."""
    name = _PORTABLE.get((op_name, input_index))
    return f"the kernel reads its {name!r} in Prepare" if name else None
