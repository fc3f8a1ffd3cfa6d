"""Which operator inputs must stay constant tensors on a board's TFLM (not LUT-compressed).

A LUT-compressed tensor reaches its consumer as the output of a ``TFLM_DECODE``
operator, an arena tensor with no values until Invoke; a kernel whose Prepare reads an
input's data cannot take one. Which inputs those are is a fact of each TFLM build, kept
with its kernel table (``KernelTable.constant_inputs``, read from the sources named in
:mod:`.constant_inputs`).
"""

from __future__ import annotations

from edgetf.targets.planner.tables import TABLES

DECODE = "CUSTOM:TFLM_DECODE"


def must_stay_constant(table_name: str, op_name: str, input_index: int) -> str | None:
    """Why input ``input_index`` of ``op_name`` (a builtin name, or ``CUSTOM:<code>``)
    must stay a constant tensor on the TFLM of ``table_name``; None when it may be the
    output of a DECODE. A table not listed in :data:`.tables.TABLES`: KeyError (no guess)."""
    table = TABLES[table_name]
    if op_name == DECODE:
        # Decoding a decoded tensor: decode.cc Prepare (and edgetf's) require both
        # inputs of each pair constant.
        return ("encoded and ancillary tensors: decode.cc Prepare (and edgetf's "
                "TFLM_DECODE) refuse non-constant ones")
    return table.constant_inputs.get((op_name, input_index))
