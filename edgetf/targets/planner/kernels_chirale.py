"""The ``chirale-2.0.0-cmsis-nn`` table: the Nano 33 BLE's TFLM.

Chirale_TensorFLowLite 2.0.0 (spaziochirale/Chirale_TensorFlowLite, tag v2.0.0, commit
46da2f989205) bundles a TFLM of 2023 whose ``kernels/cmsis_nn/*.cpp`` replace the
reference conv, depthwise conv, fully connected, softmax, add, mul, pooling and SVDF
kernels; the other ops are that TFLM's reference kernels. Every entry below was read from
``src/tensorflow/lite/micro/kernels/`` of that tag (the file is named per entry), the
scratch sizes from :mod:`.cmsis_nn`, the struct sizes from :data:`.layouts.CHIRALE_2023_M4`.

Its allocator differs from tflite-micro 90b983c2b3f1's (``micro_allocator.cpp``,
``micro_allocation_info.cpp`` of the tag) only in when it allocates variable tensors and
in treating offline-planned variables as persistent (:class:`~.kernels.AllocatorRules`).
The 2023 UNIDIRECTIONAL_SEQUENCE_LSTM is a different kernel from today's (intermediate
tensors, precomputed effective biases): see :func:`_lstm`.
"""

from __future__ import annotations

from math import prod

from edgetf.targets.planner import cmsis_nn, kernels_decode
from edgetf.targets.planner.constant_inputs import CHIRALE_2_0_0
from edgetf.targets.planner.conv_geometry import conv_padding
from edgetf.targets.planner.kernels import (
    AllocatorRules,
    Kernel,
    KernelTable,
    OpContext,
    int_array_bytes,
)
from edgetf.targets.planner.kernels_reference import (
    FIRMWARE_OBJECTS,
    _gather,
    _inputs_then_outputs,
    _softmax,
    _svdf,
    _transpose_conv,
)
from edgetf.targets.planner.kernels_signal import EDGETF_SIGNAL_KERNELS
from edgetf.targets.planner.layouts import CHIRALE_2023_M4

_AT = "src/tensorflow/lite/micro/kernels/{} @Chirale_TensorFlowLite v2.0.0 (46da2f9)"


def _int4_unpack(op: OpContext) -> None:
    """The scratch buffer every kernel requests to unpack int4 weights: a byte each."""
    filt = op.input(1)
    if filt.dtype == "int4":
        op.scratch(prod(filt.shape))


def _dilation(op: OpContext) -> tuple[int, int]:
    return op.op.options.get("dilation_w", 1), op.op.options.get("dilation_h", 1)


def _conv(op: OpContext) -> None:
    """cmsis_nn/conv.cpp Prepare: input, filter, output; int4 unpack; per-channel
    multiplier and shift (int8, int16); conv_common.cpp CalculateOpDataConv's input,
    filter, bias, output; then arm_convolve_wrapper_s8/_s16_get_buffer_size."""
    op.temp_input(0)
    op.temp_input(1)
    op.temp_output(0)
    source, filt, out = op.input(0), op.input(1), op.output(0)
    _int4_unpack(op)
    if source.dtype in ("int8", "int16"):
        op.persistent(4 * filt.shape[0])
        op.persistent(4 * filt.shape[0])
    for i in (0, 1, 2):
        op.temp_input(i)
    op.temp_output(0)
    _, in_h, in_w, in_c = source.shape
    filter_h, filter_w = filt.shape[1], filt.shape[2]
    dil_w, dil_h = _dilation(op)
    if source.dtype == "int8":
        pad = conv_padding(op.op, in_h, in_w, filter_h, filter_w)
        size = cmsis_nn.convolve_wrapper_s8(
            pad_w=pad.width, pad_h=pad.height, stride_w=op.op.options.get("stride_w", 0),
            stride_h=op.op.options.get("stride_h", 0), dilation_w=dil_w, dilation_h=dil_h,
            input_h=in_h, input_c=in_c, filter_w=filter_w, filter_h=filter_h,
            output_w=out.shape[2])
    elif source.dtype == "int16":
        size = cmsis_nn.convolve_wrapper_s16(dilation_w=dil_w, dilation_h=dil_h, input_c=in_c,
                                             filter_w=filter_w, filter_h=filter_h)
    else:
        size = 0
    if size > 0:
        op.scratch(size)


def _depthwise_conv(op: OpContext) -> None:
    """cmsis_nn/depthwise_conv.cpp Prepare: input, filter, output; per-channel multiplier
    and shift (int8, int16); int4 unpack; depthwise_conv_common.cpp
    CalculateOpDataDepthwiseConv's input, filter, bias, output; for int8,
    arm_depthwise_conv_wrapper_s8_get_buffer_size (int16 requests none)."""
    op.temp_input(0)
    op.temp_input(1)
    op.temp_output(0)
    source, filt, out = op.input(0), op.input(1), op.output(0)
    if source.dtype in ("int8", "int16"):
        op.persistent(4 * filt.shape[3])
        op.persistent(4 * filt.shape[3])
    _int4_unpack(op)
    for i in (0, 1, 2):
        op.temp_input(i)
    op.temp_output(0)
    if source.dtype == "int8":
        dil_w, dil_h = _dilation(op)
        size = cmsis_nn.depthwise_conv_wrapper_s8(
            input_n=source.shape[0], input_c=source.shape[3], output_c=out.shape[3],
            dilation_w=dil_w, dilation_h=dil_h, filter_w=filt.shape[2], filter_h=filt.shape[1])
        if size > 0:
            op.scratch(size)


def _fully_connected(op: OpContext) -> None:
    """cmsis_nn/fully_connected.cpp Prepare: input, filter, bias, output
    (fully_connected_common.cpp CalculateOpDataFullyConnected allocates nothing: this
    TFLM has no per-channel fully connected); for int8 with an output of rank > 2 and an
    accumulation depth that is a multiple of 4 (the 1x1-convolution path), an output
    multiplier and shift per output channel; int4 unpack; the CMSIS-NN buffer (none for
    arm_fully_connected_s8/_s16 and arm_convolve_1x1_s8_fast)."""
    for i in (0, 1, 2):
        op.temp_input(i)
    op.temp_output(0)
    source, filt, out = op.input(0), op.input(1), op.output(0)
    size = 0
    if source.dtype == "int16":
        size = cmsis_nn.fully_connected_s16()
    elif source.dtype == "int8":
        if len(out.shape) > 2 and filt.shape[-1] % 4 == 0:
            op.persistent(4 * out.shape[-1])
            op.persistent(4 * out.shape[-1])
            size = cmsis_nn.convolve_1x1_s8_fast()
        else:
            size = cmsis_nn.fully_connected_s8()
    _int4_unpack(op)
    if size > 0:
        op.scratch(size)


def _average_pool(op: OpContext) -> None:
    """cmsis_nn/pooling.cpp AveragePrepare: pooling_common.cpp PoolingPrepare's input and
    output, then input and output again; for int8, arm_avgpool_s8_get_buffer_size."""
    op.temp_input(0)
    op.temp_output(0)
    op.temp_input(0)
    op.temp_output(0)
    if op.input(0).dtype == "int8":
        size = cmsis_nn.avgpool_s8(op.input(0).shape[3])
        if size > 0:
            op.scratch(size)


def _mean(op: OpContext) -> None:
    """reduce_common.cpp PrepareMeanOrSumHelper (2023): input, output, axis; an int32 per
    output element for int8/int16; then PrepareSimple's input, axis (and output for
    int8). No input-rank or axis-count scratch buffers yet."""
    op.temp_input(0)
    op.temp_output(0)
    op.temp_input(1)
    source = op.input(0)
    if source.dtype in ("int8", "int16"):
        op.scratch(4 * prod(op.output(0).shape))
    op.temp_input(0)
    op.temp_input(1)
    if source.dtype == "int8":
        op.temp_output(0)


def _concatenation(op: OpContext) -> None:
    """concatenation.cpp Prepare (2023): input 0 and output; every input; output; for
    int8 a float scale and an int32 zero point per input, then every input again."""
    op.temp_input(0)
    op.temp_output(0)
    for i in range(op.num_inputs):
        op.temp_input(i)
    op.temp_output(0)
    if op.output(0).dtype == "int8":
        op.persistent(4 * op.num_inputs)
        op.persistent(4 * op.num_inputs)
        for i in range(op.num_inputs):
            op.temp_input(i)


_LSTM_CHECKED = (1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23)
_LSTM_QUANTIZED_PARAMS = (19, "out", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20, 21, 22, 23, 16,
                          18)
_LSTM_ZERO_POINT_INPUTS = (0, 18, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17)
# PopulatePrecomputedZPTimesWeightsWithBias: (gate bias or None, input weights, recurrent
# weights) for the forget, cell, output and input gates.
_LSTM_GATES = ((13, 2, 6), (14, 3, 7), (15, 4, 8), (12, 1, 5))


def _lstm(op: OpContext) -> None:
    """unidirectional_sequence_lstm.cpp (2023) UnidirectionalSequenceLstmPrepare: the
    forget layer-norm coefficients (24 inputs); input, input-to-output and
    recurrent-to-output weights; CheckInputTensorDimensions' weights, biases, projection
    and layer-norm tensors; output, output state, cell state; input-to-input weights.
    Float: one scratch of batch x (3 or 4) x cell. int8: PopulateQuantizedLstmParams8x8_16's
    tensors and intermediates (0-3 with layer norm, then 4), five scratch buffers of
    batch x cell (four int16, one int8), then PopulatePrecomputedZPTimesWeightsWithBias'
    tensors and an int32 effective bias per row of each gate's weights (and of the
    projection). Batch is the output state's first dimension (input 18 is [batch, out]).

    The effective biases are allocated while the temporaries are live, and may land on
    their top (the allocator checks the tail against the head only). That is harmless
    up to 12 bytes (the last gate bias's quantized_dimension and zero-point array), not
    beyond: on the Cortex-M4 the int8 mnist_lstm works at 5,776 B (the last effective
    bias covers the top 4 bytes) and hard-faults at 5,760 B (20 bytes: its zero-point
    pointer too, so DeallocateTempTfLiteTensor breaks the temp checksum and every later
    ResetTempAllocations fails, unchecked). See
    :meth:`~.kernels.OpContext.persistent_on_temps`."""
    present = [i for i in range(op.num_inputs) if op.input(i) is not None]
    if op.num_inputs == 24:
        op.temp_input(21)
    for i in (0, 4, 8):
        op.temp_input(i)
    for i in _LSTM_CHECKED:
        op.temp_input(i)
    op.temp_output(0)
    op.temp_input(18)
    op.temp_input(19)
    op.temp_input(1)
    batch, cell = op.input(18).shape[0], op.input(4).shape[0]
    layer_norm = op.num_inputs == 24 and op.input(21) is not None
    if op.input(0).dtype != "int8":
        gates = 4 if 1 in present else 3
        op.scratch(batch * cell * gates * op.type_size(op.input(0).dtype))
        return
    for i in _LSTM_QUANTIZED_PARAMS:
        if i == "out":
            op.temp_output(0)
        else:
            op.temp_input(i)
    for _ in range(4 if layer_norm else 0):
        op.temp_intermediate()
    op.temp_intermediate()  # intermediate 4, the hidden state
    for size in (2, 2, 2, 2, 1):
        op.scratch(batch * cell * size)
    for i in _LSTM_ZERO_POINT_INPUTS:
        op.temp_input(i)
    op.temp_intermediate()
    top = _unread_top(op, 1)  # the intermediate, the last temporary so far
    for bias, to_input, to_recurrent in _LSTM_GATES:
        if not layer_norm and op.input(bias) is not None:
            op.temp_input(bias)
            quantization = op.input(bias).quantization
            top = _unread_top(op, 0 if quantization is None else len(quantization.scales))
        for weights in (to_input, to_recurrent):
            if op.input(weights) is not None:
                op.persistent_on_temps(4 * op.input(weights).shape[0], top)
    if op.input(16) is not None:
        op.persistent_on_temps(4 * op.input(16).shape[0], top)


def _unread_top(op: OpContext, scales: int) -> int:
    """The bytes at the top of the last temporary TfLiteTensor that the LSTM's Prepare
    no longer reads when it allocates its effective biases: the quantized_dimension (the
    last int32 of TfLiteAffineQuantization) and the zero-point array of a quantized
    tensor with ``scales`` scales (DeallocateTempTfLiteTensor reads only the array's
    address and the struct's first two fields); none of an unquantized one."""
    return 4 + int_array_bytes(op.layout, scales) if scales else 0


def _k(file: str, params: str | None, op_data: str | None, prepare) -> Kernel:
    return Kernel(_AT.format(file), params, op_data, prepare)


CHIRALE_KERNELS: dict[str, Kernel] = {
    "CONV_2D": _k("cmsis_nn/conv.cpp", "TfLiteConvParams", "CmsisNnConvOpData", _conv),
    "DEPTHWISE_CONV_2D": _k("cmsis_nn/depthwise_conv.cpp", "TfLiteDepthwiseConvParams",
                            "CmsisNnDepthwiseConvOpData", _depthwise_conv),
    "FULLY_CONNECTED": _k("cmsis_nn/fully_connected.cpp", "TfLiteFullyConnectedParams",
                          "CmsisNnFullyConnectedOpData", _fully_connected),
    # cmsis_nn/softmax.cpp Prepare: input, output; softmax_common.cpp's int16 LUTs.
    "SOFTMAX": _k("cmsis_nn/softmax.cpp", "TfLiteSoftmaxParams", "CmsisNnSoftmaxParams",
                  _softmax),
    "ADD": _k("cmsis_nn/add.cpp", "TfLiteAddParams", "CmsisNnAddOpData",
              _inputs_then_outputs(0, 1)),
    # cmsis_nn/mul.cpp registers mul_common.cpp's MulInit and MulPrepare.
    "MUL": _k("cmsis_nn/mul.cpp", "TfLiteMulParams", "OpDataMul", _inputs_then_outputs(0, 1)),
    "AVERAGE_POOL_2D": _k("cmsis_nn/pooling.cpp", "TfLitePoolParams", "CmsisNnPoolingOpData",
                          _average_pool),
    # cmsis_nn/pooling.cpp MaxPrepare: PoolingPrepare only.
    "MAX_POOL_2D": _k("cmsis_nn/pooling.cpp", "TfLitePoolParams", "CmsisNnPoolingOpData",
                      _inputs_then_outputs(0)),
    # cmsis_nn/svdf.cpp: Init allocates OpDataSvdf, Prepare is svdf_common.cpp PrepareSvdf.
    "SVDF": _k("cmsis_nn/svdf.cpp", "TfLiteSVDFParams", "OpDataSvdf", _svdf),
    # reshape.cpp ReshapeOutput: input, output.
    "RESHAPE": _k("reshape.cpp", "TfLiteReshapeParams", None, _inputs_then_outputs(0)),
    "LOGISTIC": _k("logistic_common.cpp", None, "OpDataLogistic", _inputs_then_outputs(0)),
    # pad.cpp PadPrepare: input, paddings, constant values (PADV2), output.
    "PAD": _k("pad.cpp", None, "OpDataPad", _inputs_then_outputs(0, 1, 2)),
    "PADV2": _k("pad.cpp", None, "OpDataPad", _inputs_then_outputs(0, 1, 2)),
    "MEAN": _k("reduce_common.cpp", "TfLiteReducerParams", "OpDataReduce", _mean),
    "STRIDED_SLICE": _k("strided_slice.cpp", "TfLiteStridedSliceParams", "StridedSliceParams",
                        _inputs_then_outputs(0, 1, 2, 3)),
    "CONCATENATION": _k("concatenation.cpp", "TfLiteConcatenationParams",
                        "OpDataConcatenation", _concatenation),
    "QUANTIZE": _k("quantize_common.cpp", None, "OpDataQuantizeReference",
                   _inputs_then_outputs(0)),
    "DEQUANTIZE": _k("dequantize_common.cpp", None, "DequantizeOpData",
                     _inputs_then_outputs(0)),
    # transpose_conv.cpp Prepare and CalculateOpData: the same calls, in the same order,
    # as tflite-micro 90b983c's (kernels_reference._transpose_conv).
    "TRANSPOSE_CONV": _k("transpose_conv.cpp", "TfLiteTransposeConvParams",
                         "OpDataTransposeConv", _transpose_conv),
    "LEAKY_RELU": _k("leaky_relu_common.cpp", "TfLiteLeakyReluParams", "LeakyReluOpData",
                     _inputs_then_outputs(0)),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _k("unidirectional_sequence_lstm.cpp",
                                       "TfLiteUnidirectionalSequenceLSTMParams",
                                       "UnidirectionalSequenceLstmOpData", _lstm),
    # Not in this TFLM: edgetf's own operator (firmware/edgetf/edgetf_lut_decode_tflm.cc).
    # shape.cpp: Prepare only checks the counts; pack.cpp: no Prepare. Their builtin
    # options (ParseShape, ParsePack) are the only allocation.
    "SHAPE": _k("shape.cpp", "TfLiteShapeParams", None, lambda op: None),
    "PACK": _k("pack.cpp", "TfLitePackParams", None, lambda op: None),
    kernels_decode.NAME: kernels_decode.EDGETF_DECODE,
    # The audio front end's tail: cast.cpp Prepare (input, output; no Init);
    # maximum_minimum.cpp: neither Init nor Prepare; gather.cpp Prepare (input,
    # positions, output; no Init). ParseCast and ParseGather allocate their params.
    "CAST": _k("cast.cpp", "TfLiteCastParams", None, _inputs_then_outputs(0)),
    "MAXIMUM": _k("maximum_minimum.cpp", None, None, None),
    "MINIMUM": _k("maximum_minimum.cpp", None, None, None),
    "GATHER": _k("gather.cpp", "TfLiteGatherParams", None, _gather),  # the same calls
    # The spectral front end's: sub.cpp SubInit (OpDataSub), sub_common.cpp SubPrepare
    # (input1, input2, output); elementwise.cpp GenericPrepare for LOG (input, output; no
    # Init). TRANSPOSE, which the spectral front end and litert-torch's channel-last PyTorch
    # models both have: transpose.cpp registers no Init and ParseTranspose allocates
    # nothing; Prepare's TransposeContext takes input, perm and output as temporaries.
    "SUB": _k("sub.cpp", "TfLiteSubParams", "OpDataSub", _inputs_then_outputs(0, 1)),
    "TRANSPOSE": _k("transpose.cpp", None, None, _inputs_then_outputs(0, 1)),
    "LOG": _k("elementwise.cpp", None, None, _inputs_then_outputs(0)),
    # Nor TFLM's signal library: edgetf's own (firmware/edgetf/edgetf_signal_tflm.cc).
    **EDGETF_SIGNAL_KERNELS,
}


CHIRALE_2_0_0_CMSIS_NN = KernelTable(
    name="chirale-2.0.0-cmsis-nn",
    description="Chirale_TensorFLowLite 2.0.0 (TFLM of 2023 + CMSIS-NN V.11.0.0), "
                "Cortex-M4F (Arduino Nano 33 BLE), C++ MicroInterpreter",
    layout=CHIRALE_2023_M4,
    arena_objects=FIRMWARE_OBJECTS,
    kernels=CHIRALE_KERNELS,
    constant_inputs=CHIRALE_2_0_0,
    allocator=AllocatorRules(max_scratch_per_op=12, plans_offline_variables=False,
                             variables_before_allocation_info=True),
)
