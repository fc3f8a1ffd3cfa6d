"""Ops that only compute a RESHAPE's new shape, folded away when the program is made.

Keras writes ``Reshape`` with an unknown batch as ``SHAPE`` → ``STRIDED_SLICE`` → ``PACK``
→ ``RESHAPE``: the new shape is computed at run time from the input's. The built-in
architectures do so for every 2-D input (spectrograms, motion windows), and so do many
user models. In a TFLM model every tensor's shape is static, so that arithmetic always
gives the RESHAPE output's stored shape, which the compiled RESHAPE uses (a view): the
int32 ops that feed only RESHAPE's shape operand have nothing left to do at run time and
are not compiled. (Their few bytes of int32 outputs stay in the static plan, which follows
TFLM's lifetimes; the oracle-against-TFLM tests check every RESHAPE output.)
"""

from __future__ import annotations

from edgetf.tflite.model import Subgraph

#: Ops that may be folded: they compute a shape from shapes or constants.
SHAPE_OPS = ("SHAPE", "STRIDED_SLICE", "PACK", "CONCATENATION", "SLICE", "GATHER")
_INDEX_TYPES = ("int32", "int64")


def shape_only_ops(g: Subgraph) -> frozenset[int]:
    """Indices of the ops whose outputs (int32 or int64, none a model output) are read
    only as RESHAPE's shape operand, directly or through other such ops."""
    readers: dict[int, list[tuple[str, int, int]]] = {}
    for op in g.operators:
        for position, tensor in enumerate(op.inputs):
            if tensor >= 0:
                readers.setdefault(tensor, []).append((op.name, op.index, position))
    folded: set[int] = set()
    for op in reversed(g.operators):  # readers come after the op that writes their input
        if op.name not in SHAPE_OPS:
            continue
        outputs = [t for t in op.outputs if t >= 0]
        if outputs and all(
                g.tensors[t].dtype in _INDEX_TYPES and t not in g.outputs and readers.get(t)
                and all((name == "RESHAPE" and position == 1) or index in folded
                        for name, index, position in readers[t])
                for t in outputs):
            folded.add(op.index)
    return frozenset(folded)
