"""The TFLM_DECODE custom operator's Prepare: TFLM's kernel and edgetf's own.

A LUT-compressed weight is a constant pair (packed indices, ancillary table) read by a
``TFLM_DECODE`` operator placed right before the weight's consumer; its output, the
decoded weight, is an ordinary arena tensor (no buffer in the model) that the DECODE op
creates and the consumer reads last, so :mod:`.lifetimes` gives it that one-step life
with no special case (``micro_allocation_info.cc`` treats it like any activation).
Neither kernel has an Init or parses options; each DECODE is one entry under
``"CUSTOM:TFLM_DECODE"``.

- :func:`tflm_decode`: ``kernels/decode.cc`` Prepare (tflite-micro 90b983c2b3f1, and
  esp-tflite-micro 1.4.0 = 9fee33d, whose decode*.cc are the same files):
  ``node->user_data`` = ``num_outputs * sizeof(DecodeState*)``, persistent; then per
  output the encoded, ancillary and output tensors as temporaries, and, while they are
  live, ``DecodeState::CreateDecodeStateLUT`` (``decode_state.cc``): one persistent
  ``DecodeStateLut``. ``SetOutputTensorData`` asks
  ``MicroContext::AllocateDecompressionMemory`` for the output first; with no
  alternate decompression memory given (``SetDecompressionMemory`` never called, as in
  edgetf's runtime and the Python interpreter) it returns nullptr and allocates nothing,
  so the output stays in the memory plan.
- :func:`edgetf_decode`: ``firmware/edgetf/edgetf_lut_decode_tflm.cc``, the operator
  edgetf ships for the Nano's TFLM of 2023 (which has no DECODE): one persistent array
  of 8-byte plans, allocated before any temporary, then the same three temporaries per
  output.
"""

from __future__ import annotations

from edgetf.targets.planner.kernels import Kernel, OpContext, int_array_bytes

NAME = "CUSTOM:TFLM_DECODE"


def _outputs(op: OpContext) -> int:
    return len(op.op.outputs)


def _unread_top(op: OpContext, output_index: int) -> int:
    """Bytes at the top of the temporaries (the output's, allocated last) that TFLM's
    Prepare neither reads nor writes after ``CreateDecodeStateLUT``: the output's
    zero-point array and the padding that ends its TfLiteAffineQuantization. Setup then
    still reads that struct's scale pointer and quantized_dimension, and
    DeallocateTempTfLiteTensor its zero-point pointer and the TfLiteTensor below, so a
    DecodeStateLut reaching further would be read back as garbage or overwritten. An
    unquantized output (float, say): nothing is safe to cover."""
    output = op.output(output_index)
    if output is None or output.quantization is None:
        return 0
    layout = op.layout
    padding = layout.size("TfLiteAffineQuantization") - (2 * layout.pointer + 4)
    return padding + int_array_bytes(layout, len(output.quantization.scales))


def tflm_decode(op: OpContext) -> None:
    """decode.cc Prepare; see the module docstring."""
    op.persistent(op.layout.size("void*") * _outputs(op))
    for k in range(_outputs(op)):
        op.temp_input(2 * k)
        op.temp_input(2 * k + 1)
        op.temp_output(k)
        op.persistent_on_temps(op.layout.size("DecodeStateLut"), _unread_top(op, k))


def edgetf_decode(op: OpContext) -> None:
    """edgetf_lut_decode_tflm.cc Prepare: the plans, then three temporaries per output
    (freed one by one, but the temp section is only reset after Prepare)."""
    op.persistent(op.layout.size("EdgetfLutPlan") * _outputs(op))
    for k in range(_outputs(op)):
        op.temp_input(2 * k)
        op.temp_input(2 * k + 1)
        op.temp_output(k)


#: TFLM's DECODE: current tflite-micro, and esp-tflite-micro 1.4.0.
TFLM_DECODE = Kernel("tensorflow/lite/micro/kernels/decode.cc, decode_state.cc @90b983c2b3f1"
                     " (= esp-tflite-micro 1.4.0, 9fee33d)", None, None, tflm_decode)
#: edgetf's own, for TFLMs without DECODE.
EDGETF_DECODE = Kernel("firmware/edgetf/edgetf_lut_decode_tflm.cc (edgetf)", None, None,
                       edgetf_decode)
