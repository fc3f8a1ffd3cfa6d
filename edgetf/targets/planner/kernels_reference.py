"""The ``reference-64`` table: TFLM's reference kernels as the tflite-micro wheel runs them.

Read from tflite-micro commit 90b983c2b3f1 (2026-08-20), ``tensorflow/lite/micro/
kernels/`` (each entry names its file) and ``tensorflow/lite/core/api/
flatbuffer_conversions.cc`` (which builtin params struct each op's parser allocates:
``Parse*`` functions that allocate nothing have ``params=None``). Checked byte for byte
against ``edgetf.tflm.interpreter.measure_arena`` with the ``tflite-micro`` wheel
0.dev20261023182759 (built from 8f6596d) in ``tests/test_arena_planner.py``.

Two things in this table belong to the Python interpreter, not to TFLM as a C++
firmware builds it:

- :data:`PYTHON_INTERPRETER_OBJECTS`: ``tflite_micro.runtime.Interpreter`` always
  creates a ``RecordingMicroAllocator`` (``python/tflite_micro/interpreter_wrapper.cc``,
  kAllocationRecording), which puts a RecordingSingleArenaBufferAllocator (104 bytes)
  and a RecordingMicroAllocator (272) at the end of the arena where a firmware's
  ``MicroInterpreter(model, resolver, arena, size)`` puts a SingleArenaBufferAllocator
  (72) and a MicroAllocator (72): 232 bytes more, in :data:`PYTHON_INTERPRETER_EXTRA`.
- The wheel is built with ``USE_TFLM_COMPRESSION`` (its ``_runtime.so`` has
  ``GetCompressionMetadata``), a firmware usually is not: the layout is
  ``HOST_64_WHEEL``, in which SubgraphAllocations, OpDataConv,
  OpDataFullyConnected, concatenation's and transpose_conv's OpData are larger
  (and which also has the wheel's newer TfLiteTensor, NodeAndRegistration and
  TfLiteFullyConnectedParams: see :mod:`.layouts`).

The kernel logic (which tensors Prepare reads, in which order, what it allocates) was
read at 90b983c2b3f1 and holds for the wheel's 8f6596d on every model of the tests;
the struct sizes are the wheel's, read from its binary.
"""

from __future__ import annotations

from math import prod

from edgetf.targets.planner import kernels_decode
from edgetf.targets.planner.constant_inputs import TFLM_90B983C
from edgetf.targets.planner.kernels import Kernel, KernelTable, OpContext, int_array_bytes
from edgetf.targets.planner.kernels_signal import SIGNAL_KERNELS
from edgetf.targets.planner.layouts import HOST_64_WHEEL

_AT = "tensorflow/lite/micro/kernels/{} @90b983c2b3f1"
_LUT_INT16 = 513  # LUTSize<int16_t>() (kernels/internal/common.h)


def _inputs_then_outputs(*inputs: int, outputs: tuple[int, ...] = (0,)):
    """Prepare that only reads tensors: temporaries for these inputs, then outputs."""
    def prepare(op: OpContext) -> None:
        for i in inputs:
            op.temp_input(i)
        for o in outputs:
            op.temp_output(o)
    return prepare


def _gather(op: OpContext) -> None:
    """gather.cc GatherPrepare (no Init): input, positions and output as temporaries,
    then, while they are live, CreateWritableTensorDimsWithCopy's persistent copy of the
    output's dims (a TfLiteIntArray of its rank), written at once; counted clear of the
    temporaries (without it the plan of the audio front end was 16 bytes short)."""
    for i in (0, 1):
        op.temp_input(i)
    op.temp_output(0)
    op.persistent_on_temps(int_array_bytes(op.layout, len(op.output(0).shape)), 0)


def _conv_like(quantized_dimension: int):
    """conv_common.cc ConvPrepare / depthwise_conv_common.cc DepthwiseConvPrepare:
    output, input and filter as temporaries; two int32 per-channel arrays (for float
    models too); CalculateOpData's input, filter, bias, output temporaries; a scratch
    buffer of the filter's size to unpack int4 weights."""
    def prepare(op: OpContext) -> None:
        op.temp_output(0)
        op.temp_input(0)
        op.temp_input(1)
        filt = op.input(1)
        channels = filt.shape[quantized_dimension]
        op.persistent(4 * channels)
        op.persistent(4 * channels)
        for i in (0, 1, 2):
            op.temp_input(i)
        op.temp_output(0)
        if filt.dtype == "int4":
            op.scratch(prod(filt.shape))
    return prepare


def _fully_connected(op: OpContext) -> None:
    """fully_connected.cc FullyConnectedPrepare + fully_connected_common.cc: input,
    filter, bias, output temporaries; int4 unpack scratch; per-channel multiplier and
    shift when the (quantized) filter has more than one scale."""
    for i in (0, 1, 2):
        op.temp_input(i)
    op.temp_output(0)
    filt = op.input(1)
    if filt.dtype == "int4":
        op.scratch(prod(filt.shape))
    quantized = op.input(0).dtype != "float32"
    if quantized and filt.quantization is not None and len(filt.quantization.scales) > 1:
        op.persistent(4 * len(filt.quantization.scales))
        op.persistent(4 * len(filt.quantization.scales))


def _softmax(op: OpContext) -> None:
    """softmax_common.cc SoftmaxPrepare: input, output; two int16 LUTs for int16 input."""
    op.temp_input(0)
    op.temp_output(0)
    if op.input(0).dtype == "int16":
        op.persistent(2 * _LUT_INT16)
        op.persistent(2 * _LUT_INT16)


def _reshape(op: OpContext) -> None:
    """reshape_common.cc ReshapeOutput: input, output; new dims when the output shape
    has a -1 (edgetf's reader refuses such shapes, as LiteRT does, so never here)."""
    op.temp_input(0)
    op.temp_output(0)


def _mean(op: OpContext) -> None:
    """reduce_common.cc PrepareMeanOrSumHelper: input, output, axis; an int32
    accumulator per output element (int8/int16), input-rank and axis-count int
    scratches; then PrepareSimple's input, axis (and output for int8)."""
    op.temp_input(0)
    op.temp_output(0)
    op.temp_input(1)
    source, out, axis = op.input(0), op.output(0), op.input(1)
    if source.dtype in ("int8", "int16"):
        op.scratch(4 * prod(out.shape))
    op.scratch(4 * len(source.shape))
    op.scratch(4 * prod(axis.shape))
    op.temp_input(0)
    op.temp_input(1)
    if source.dtype == "int8":
        op.temp_output(0)


def _concatenation(op: OpContext) -> None:
    """concatenation.cc ConcatenationPrepare: input 0 and output, then every input."""
    op.temp_input(0)
    op.temp_output(0)
    for i in range(op.num_inputs):
        op.temp_input(i)


def _transpose_conv(op: OpContext) -> None:
    """transpose_conv.cc TransposeConvPrepare (inputs: output shape, filter, input,
    bias): output, input, filter; per-channel arrays; an int32 (int8) or int64 (int16)
    accumulator per output element; CalculateOpData's input, filter, bias, output for
    quantized models, plus an int64 bias copy for int16 bias."""
    op.temp_output(0)
    op.temp_input(2)
    op.temp_input(1)
    channels = op.input(1).shape[0]
    op.persistent(4 * channels)
    op.persistent(4 * channels)
    source = op.input(2)
    if source.dtype == "int8":
        op.scratch(4 * prod(op.output(0).shape))
    if source.dtype == "int16":
        op.scratch(8 * prod(op.output(0).shape))
    if source.dtype != "float32":
        op.temp_input(2)
        op.temp_input(1)
        op.temp_input(3)
        op.temp_output(0)
        bias = op.input(3)
        if source.dtype == "int16" and bias is not None and bias.dtype == "int16":
            op.scratch(8 * prod(bias.shape))


def _svdf(op: OpContext) -> None:
    """svdf_common.cc PrepareSvdf: inputs 0-4 (bias optional), output; int32 scratch
    of batch x filters and of batch x units (int8), or float batch x filters."""
    for i in range(5):
        op.temp_input(i)
    op.temp_output(0)
    batch, filters = op.input(0).shape[0], op.input(1).shape[0]
    if op.input(0).dtype == "int8":
        op.scratch(4 * batch * filters)
        op.scratch(4 * batch * op.output(0).shape[1])  # units = filters / rank
    else:
        op.scratch(4 * batch * filters)


def _lstm(op: OpContext) -> None:
    """unidirectional_sequence_lstm.cc Prepare: LstmTensors (lstm_eval.cc) takes all 24
    inputs and the output as temporaries; four scratch buffers of batch x state of the
    cell state's type (the hidden state, input 18, is [batch, state])."""
    for i in range(24):
        op.temp_input(i)
    op.temp_output(0)
    hidden, cell = op.input(18), op.input(19)
    for _ in range(4):
        op.scratch(prod(hidden.shape) * op.type_size(cell.dtype))


def _k(file: str, params: str | None, op_data: str | None, prepare) -> Kernel:
    return Kernel(_AT.format(file), params, op_data, prepare)


REFERENCE_KERNELS: dict[str, Kernel] = {
    "CONV_2D": _k("conv_common.cc", "TfLiteConvParams", "OpDataConv", _conv_like(0)),
    "DEPTHWISE_CONV_2D": _k("depthwise_conv_common.cc", "TfLiteDepthwiseConvParams",
                            "OpDataConv", _conv_like(3)),
    "FULLY_CONNECTED": _k("fully_connected.cc", "TfLiteFullyConnectedParams",
                          "OpDataFullyConnected", _fully_connected),
    "SOFTMAX": _k("softmax_common.cc", "TfLiteSoftmaxParams", "SoftmaxParams", _softmax),
    "RESHAPE": _k("reshape_common.cc", "TfLiteReshapeParams", None, _reshape),
    "ADD": _k("add_common.cc", "TfLiteAddParams", "OpDataAdd", _inputs_then_outputs(0, 1)),
    "MUL": _k("mul_common.cc", "TfLiteMulParams", "OpDataMul", _inputs_then_outputs(0, 1)),
    "AVERAGE_POOL_2D": _k("pooling_common.cc", "TfLitePoolParams", "OpDataPooling",
                          _inputs_then_outputs(0)),
    "MAX_POOL_2D": _k("pooling_common.cc", "TfLitePoolParams", "OpDataPooling",
                      _inputs_then_outputs(0)),
    "LOGISTIC": _k("logistic_common.cc", None, "OpDataLogistic", _inputs_then_outputs(0)),
    "PAD": _k("pad_common.cc", None, "OpDataPad", _inputs_then_outputs(0, 1, 2)),
    "PADV2": _k("pad_common.cc", None, "OpDataPad", _inputs_then_outputs(0, 1, 2)),
    "MEAN": _k("reduce_common.cc", "TfLiteReducerParams", "OpDataReduce", _mean),
    "STRIDED_SLICE": _k("strided_slice_common.cc", "TfLiteStridedSliceParams",
                        "StridedSliceParams", _inputs_then_outputs(0, 1, 2, 3)),
    "CONCATENATION": _k("concatenation.cc", "TfLiteConcatenationParams",
                        "OpDataConcatenation", _concatenation),
    "QUANTIZE": _k("quantize_common.cc", None, "OpDataQuantizeReference",
                   _inputs_then_outputs(0)),
    "DEQUANTIZE": _k("dequantize_common.cc", None, "DequantizeOpData",
                     _inputs_then_outputs(0)),
    "TRANSPOSE_CONV": _k("transpose_conv.cc", "TfLiteTransposeConvParams",
                         "OpDataTransposeConv", _transpose_conv),
    "LEAKY_RELU": _k("leaky_relu_common.cc", "TfLiteLeakyReluParams", "LeakyReluOpData",
                     _inputs_then_outputs(0)),
    "SVDF": _k("svdf_common.cc", "TfLiteSVDFParams", "OpDataSvdf", _svdf),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _k("unidirectional_sequence_lstm.cc",
                                       "TfLiteUnidirectionalSequenceLSTMParams",
                                       "OpDataLSTM", _lstm),
    # shape.cc: Prepare only checks the counts; pack.cc: no Prepare. Their builtin
    # options (ParseShape, ParsePack) are the only allocation.
    "SHAPE": _k("shape.cc", "TfLiteShapeParams", None, lambda op: None),
    "PACK": _k("pack.cc", "TfLitePackParams", None, lambda op: None),
    kernels_decode.NAME: kernels_decode.TFLM_DECODE,
    # cast.cc: no Init, Prepare reads input and output; div.cc: OpDataDiv, then input1,
    # input2, output; maximum_minimum.cc: neither Init nor Prepare (and ParseMaximum,
    # ParseMinimum allocate nothing).
    "CAST": _k("cast.cc", "TfLiteCastParams", None, _inputs_then_outputs(0)),
    "DIV": _k("div.cc", "TfLiteDivParams", "OpDataDiv", _inputs_then_outputs(0, 1)),
    "MAXIMUM": _k("maximum_minimum.cc", None, None, None),
    "MINIMUM": _k("maximum_minimum.cc", None, None, None),
    # The audio front end's int8 table: gather.cc GatherPrepare, see _gather.
    "GATHER": _k("gather.cc", "TfLiteGatherParams", None, _gather),
    # The spectral front end's: sub.cc SubInit (OpDataSub), sub_common.cc SubPrepare
    # (input1, input2, output); transpose.h's TransposeContext (input, perm, output;
    # no Init, ParseTranspose allocates nothing); elementwise.cc GenericPrepare for LOG
    # (input, output; no Init, ParseLog allocates nothing).
    "SUB": _k("sub_common.cc", "TfLiteSubParams", "OpDataSub", _inputs_then_outputs(0, 1)),
    "TRANSPOSE": _k("transpose_common.cc", None, None, _inputs_then_outputs(0, 1)),
    "LOG": _k("elementwise.cc", None, None, _inputs_then_outputs(0)),
    **SIGNAL_KERNELS,
}

#: The objects RecordingMicroAllocator::Create puts at the end of the arena
#: (recording_micro_allocator.cc), in order; see the module docstring.
PYTHON_INTERPRETER_OBJECTS = ("RecordingSingleArenaBufferAllocator", "GreedyMemoryPlanner",
                              "RecordingMicroAllocator")
#: What a C++ ``MicroInterpreter(model, resolver, arena, size)`` puts there instead
#: (MicroAllocator::Create and CreateMemoryPlanner in micro_allocator.cc).
FIRMWARE_OBJECTS = ("SingleArenaBufferAllocator", "GreedyMemoryPlanner", "MicroAllocator")
#: The Python interpreter's extra arena bytes over a firmware build, same layout.
PYTHON_INTERPRETER_EXTRA = sum(
    HOST_64_WHEEL.size(s) for s in PYTHON_INTERPRETER_OBJECTS) - sum(
    HOST_64_WHEEL.size(s) for s in FIRMWARE_OBJECTS)

REFERENCE_64 = KernelTable(
    name="reference-64",
    description="TFLM reference kernels, tflite-micro wheel (Python interpreter, recording"
                " allocator, USE_TFLM_COMPRESSION), 64-bit host",
    layout=HOST_64_WHEEL,
    arena_objects=PYTHON_INTERPRETER_OBJECTS,
    kernels=REFERENCE_KERNELS,
    constant_inputs=TFLM_90B983C,
)
