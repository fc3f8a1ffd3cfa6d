"""Operator inputs a board's TFLM reads in Prepare: those must stay constant tensors.

A LUT-compressed tensor reaches its consumer as the output of a ``TFLM_DECODE``
operator: an arena tensor, not constant, that holds no values until DECODE runs in
Invoke. A kernel whose Prepare reads an input's *data* therefore either refuses it
(TFLM's ``IsConstantTensor`` checks: AllocateTensors fails) or, without a check, reads
the tensor's null data pointer (the TFLM of 2023 on the Nano: address 0 is the vector
table in flash, so the kernel silently plans with garbage). Such inputs must not be
compressed for that board. Each kernel table (:class:`.kernels.KernelTable`) carries its
build's list as ``constant_inputs``: one of the lists below;
:func:`edgetf.targets.planner.weights_in_prepare.must_stay_constant` reads it.

What was read, per table (each entry names the file and function):

- ``reference-64`` and the three esp-tflite-micro 1.4.0 tables: tflite-micro 90b983c2b3f1
  ``tensorflow/lite/micro/kernels/*.cc`` (esp-tflite-micro 9fee33d ships the same files,
  except arg_min_max.cc, kernel_util.cc and while.cc, none of them relevant) and
  esp-tflite-micro's ``kernels/esp_nn/{conv,depthwise_conv,fully_connected,add,mul,
  pooling,softmax}.cc``, whose Prepare reads no tensor data. Only parameter inputs stay
  constant (13 of them); no weight, filter or bias does: conv_common.cc,
  depthwise_conv_common.cc, fully_connected_common.cc (int4 filters are unpacked in
  Eval), transpose_conv.cc, svdf_common.cc and the LSTM (lstm_eval_common.cc
  CreateGateParams / PrepareGateParametersInteger read only the weights' and biases'
  quantization) read shapes and scales only. BATCH_MATMUL (batch_matmul.cc) keeps
  working with a non-constant operand, but transposes it on every Invoke instead of
  once. This list is the same as tflite-micro's own compressor refuses
  (``compression/constant_inputs.py`` of the wheel, which leaves out kernels of
  other targets).
- ``chirale-2.0.0-cmsis-nn``: Chirale_TensorFlowLite v2.0.0 (46da2f9)
  ``src/tensorflow/lite/micro/kernels/*.cpp`` and ``cmsis_nn/*.cpp`` (conv, depthwise
  conv, fully connected, svdf, add, mul, pooling, softmax: no data reads in Prepare).
  The 2023 int8 UNIDIRECTIONAL_SEQUENCE_LSTM folds its weights and biases into
  persistent "effective biases" in Prepare, and four parameter readers have no
  constant check at all.

How it was found: every function of those files that Prepare calls, searched for
``GetTensorData`` on a TfLiteTensor, ``->data.`` and ``IsConstantTensor``; every hit read.
"""

from __future__ import annotations

from collections.abc import Mapping

_TFLM = "tensorflow/lite/micro/kernels/{} @90b983c2b3f1"
_CHIRALE = "src/tensorflow/lite/micro/kernels/{} @Chirale 2.0.0"


def _checked(file: str, function: str, what: str) -> str:
    return f"{what}: {file} {function} refuses a non-constant tensor (IsConstantTensor)"


def _unchecked(file: str, function: str, what: str) -> str:
    return (f"{what}: {file} {function} reads its data with no constant check (a "
            "non-constant tensor's data is null at Prepare: garbage or a fault)")


def _parameters(at: str, files: Mapping[str, str]) -> dict[tuple[str, int], str]:
    """The parameter inputs every TFLM here requires constant (IsConstantTensor)."""
    f = {name: at.format(file) for name, file in files.items()}
    return {
        ("PAD", 1): _checked(f["pad"], "PadPrepare", "paddings"),
        ("PADV2", 1): _checked(f["pad"], "PadPrepare", "paddings"),
        ("RESIZE_BILINEAR", 1): _checked(f["resize_bilinear"], "Prepare", "size"),
        ("RESIZE_NEAREST_NEIGHBOR", 1): _checked(f["resize_nearest"], "Prepare", "size"),
        ("SPLIT", 0): _checked(f["split"], "Prepare", "axis"),
        ("SPLIT_V", 2): _checked(f["split_v"], "Prepare", "axis"),
    }


_TFLM_FILES = {"pad": "pad_common.cc", "resize_bilinear": "resize_bilinear.cc",
               "resize_nearest": "resize_nearest_neighbor.cc", "split": "split.cc",
               "split_v": "split_v.cc"}
_CHIRALE_FILES = {"pad": "pad.cpp", "resize_bilinear": "resize_bilinear.cpp",
                  "resize_nearest": "resize_nearest_neighbor.cpp", "split": "split.cpp",
                  "split_v": "split_v.cpp"}

#: tflite-micro 90b983c2b3f1 and esp-tflite-micro 1.4.0 (same kernel files).
TFLM_90B983C: dict[tuple[str, int], str] = {
    **_parameters(_TFLM, _TFLM_FILES),
    **{("STRIDED_SLICE", i): _checked(_TFLM.format("strided_slice_common.cc"),
                                      "StridedSlicePrepare", name)
       for i, name in ((1, "begin"), (2, "end"), (3, "strides"))},
    ("TRANSPOSE", 1): _checked(_TFLM.format("transpose_common.cc"), "TransposePrepare",
                               "perm"),
    ("EXPAND_DIMS", 1): _checked(_TFLM.format("expand_dims.cc"), "ExpandDimsPrepare", "axis"),
    ("FILL", 0): _checked(_TFLM.format("fill.cc"), "FillPrepare", "dims"),
    ("BROADCAST_TO", 1): _checked(_TFLM.format("broadcast_to.cc"), "BroadcastToPrepare",
                                  "shape"),
}

_LSTM = _CHIRALE.format("unidirectional_sequence_lstm.cpp")
_LSTM_FOLD = ("PopulatePrecomputedZPTimesWeightsWithBias -> "
              "PrecomputeZeroPointTimesWeightWithBias")
#: (input, what) the 2023 int8 LSTM folds in Prepare: weights times the input's (1-4),
#: the output state's (5-8) or the hidden state's (16) zero point, plus the gate
#: biases (12-15, without layer norm) and the projection bias (17), all copied into
#: persistent int32 effective biases.
_LSTM_FOLDED = (
    (1, "input-to-input weights"), (2, "input-to-forget weights"),
    (3, "input-to-cell weights"), (4, "input-to-output weights"),
    (5, "recurrent-to-input weights"), (6, "recurrent-to-forget weights"),
    (7, "recurrent-to-cell weights"), (8, "recurrent-to-output weights"),
    (12, "input gate bias"), (13, "forget gate bias"), (14, "cell gate bias"),
    (15, "output gate bias"), (16, "projection weights"), (17, "projection bias"),
)

#: Chirale_TensorFlowLite 2.0.0 (TFLM of 2023 + CMSIS-NN).
CHIRALE_2_0_0: dict[tuple[str, int], str] = {
    **_parameters(_CHIRALE, _CHIRALE_FILES),
    **{("STRIDED_SLICE", i): _unchecked(_CHIRALE.format("strided_slice.cpp"),
                                        "Prepare (BuildStridedSliceParams)", name)
       for i, name in ((1, "begin"), (2, "end"), (3, "strides"))},
    ("TRANSPOSE", 1): _unchecked(_CHIRALE.format("transpose.cpp"), "Prepare", "perm"),
    ("EXPAND_DIMS", 1): _unchecked(_CHIRALE.format("expand_dims.cpp"),
                                   "Prepare (GetAxisValueFromTensor)", "axis"),
    ("BROADCAST_TO", 1): _unchecked(_CHIRALE.format("broadcast_to.cpp"),
                                    "BroadcastToPrepare (ValidateOutputTensor)", "shape"),
    # FILL: fill.cpp Prepare compares the dims with the output only when they have data.
    **{("UNIDIRECTIONAL_SEQUENCE_LSTM", i):
       f"{what}: {_LSTM} {_LSTM_FOLD} reads its data in Prepare (int8 LSTM), with no "
       "constant check"
       for i, what in _LSTM_FOLDED},
}
