"""The esp-tflite-micro 1.4.0 tables: the ESP32's and the ESP32-S3's TFLM.

espressif/esp-tflite-micro 1.4.0 (commit 9fee33d) ships tflite-micro 90b983c2b3f1's TFLM
unchanged (its ``tensorflow/lite/micro`` differs only in arg_min_max.cc, kernel_util.cc
and while.cc, none of which allocates differently), with the reference conv, depthwise
conv, fully connected, add, mul, pooling and softmax kernels replaced by
``tensorflow/lite/micro/kernels/esp_nn/*.cc``. So these tables are the reference kernels
of :mod:`.kernels_reference` (read at 90b983c) where esp-tflite-micro keeps them, the
entries below where it does not, the struct sizes of
:data:`.layouts.ESP_TFLITE_MICRO_32` and one of ESP-NN 1.2.3's sets of scratch sizes
(:mod:`.esp_nn`), which is all that differs between the chips.
"""

from __future__ import annotations

from math import prod

from edgetf.targets.planner import esp_nn
from edgetf.targets.planner.constant_inputs import TFLM_90B983C
from edgetf.targets.planner.conv_geometry import conv_padding
from edgetf.targets.planner.kernels import Kernel, KernelTable, OpContext
from edgetf.targets.planner.kernels_reference import (
    FIRMWARE_OBJECTS,
    REFERENCE_KERNELS,
    _fully_connected,
    _inputs_then_outputs,
)
from edgetf.targets.planner.layouts import ESP_TFLITE_MICRO_32

_AT = "tensorflow/lite/micro/kernels/esp_nn/{} @esp-tflite-micro v1.4.0 (9fee33d)"


def _geometry(op: OpContext, filt_h: int, filt_w: int) -> tuple[esp_nn.Dims, esp_nn.Dims,
                                                                  esp_nn.Dims, dict]:
    """The data_dims_t and conv_params_t fields esp_nn/conv.cc and depthwise_conv.cc fill
    in Prepare: input and output (width, height, channels), filter (width, height and its
    last dimension), stride, and padding from CalculateOpData*'s TfLitePaddingValues."""
    source, filt, out = op.input(0), op.input(1), op.output(0)
    pad = conv_padding(op.op, source.shape[1], source.shape[2], filt_h, filt_w)
    inp = esp_nn.Dims(source.shape[2], source.shape[1], source.shape[3])
    output = esp_nn.Dims(out.shape[2], out.shape[1], out.shape[3])
    kernel = esp_nn.Dims(filt_w, filt_h, filt.shape[3])
    params = {"pad_w": pad.width, "pad_h": pad.height,
              "stride_w": op.op.options.get("stride_w", 0),
              "stride_h": op.op.options.get("stride_h", 0)}
    return inp, kernel, output, params


def _int4_unpack(op: OpContext) -> None:
    filt = op.input(1)
    if filt.dtype == "int4":
        op.scratch(prod(filt.shape))


def _conv(sizes: esp_nn.ScratchSizes):
    """esp_nn/conv.cc Prepare: output, input, filter; per-channel multiplier and shift
    (every type); conv_common.cc CalculateOpDataConv's input, filter, bias, output; int4
    unpack; for int8, esp_nn_get_conv_scratch_size."""
    def prepare(op: OpContext) -> None:
        op.temp_output(0)
        op.temp_input(0)
        op.temp_input(1)
        filt = op.input(1)
        op.persistent(4 * filt.shape[0])
        op.persistent(4 * filt.shape[0])
        for i in (0, 1, 2):
            op.temp_input(i)
        op.temp_output(0)
        _int4_unpack(op)
        if op.input(0).dtype == "int8":
            inp, kernel, out, params = _geometry(op, filt.shape[1], filt.shape[2])
            size = sizes.conv(inp, kernel, out, **params)
            if size > 0:
                op.scratch(size)
    return prepare


def _depthwise_conv(sizes: esp_nn.ScratchSizes):
    """esp_nn/depthwise_conv.cc Prepare: output, input, filter; per-channel multiplier and
    shift; int4 unpack; depthwise_conv_common.cc CalculateOpDataDepthwiseConv's input,
    filter, bias, output; for int8, esp_nn_get_depthwise_conv_scratch_size."""
    def prepare(op: OpContext) -> None:
        op.temp_output(0)
        op.temp_input(0)
        op.temp_input(1)
        filt = op.input(1)
        op.persistent(4 * filt.shape[3])
        op.persistent(4 * filt.shape[3])
        _int4_unpack(op)
        for i in (0, 1, 2):
            op.temp_input(i)
        op.temp_output(0)
        if op.input(0).dtype == "int8":
            inp, kernel, out, params = _geometry(op, filt.shape[1], filt.shape[2])
            size = sizes.depthwise_conv(inp, kernel, out,
                                        ch_mult=op.op.options.get("depth_multiplier", 0),
                                        **params)
            if size > 0:
                op.scratch(size)
    return prepare


def _softmax(sizes: esp_nn.ScratchSizes):
    """esp_nn/softmax.cc Prepare: input, output; softmax_common.cc's int16 LUTs; for int8
    in and out, esp_nn_get_softmax_scratch_size(dims[1], dims[2]). (A rank-1 input
    would make the C read past its dims: its element count stands in for dims[1].)"""
    def prepare(op: OpContext) -> None:
        op.temp_input(0)
        op.temp_output(0)
        source = op.input(0)
        if source.dtype == "int16":
            op.persistent(2 * 513)  # LUTSize<int16_t>()
            op.persistent(2 * 513)
        if source.dtype == "int8" and op.output(0).dtype == "int8":
            shape = source.shape
            width = shape[1] if len(shape) > 1 else prod(shape)
            height = shape[2] if len(shape) > 2 else 0
            size = sizes.softmax(width, height)
            if size > 0:
                op.scratch(size)
    return prepare


def _kernels(sizes: esp_nn.ScratchSizes) -> dict[str, Kernel]:
    return {
        **REFERENCE_KERNELS,
        "CONV_2D": Kernel(_AT.format("conv.cc"), "TfLiteConvParams", "EspNnConvNodeData",
                          _conv(sizes)),
        "DEPTHWISE_CONV_2D": Kernel(_AT.format("depthwise_conv.cc"),
                                    "TfLiteDepthwiseConvParams", "EspNnDepthwiseConvNodeData",
                                    _depthwise_conv(sizes)),
        # The same calls as the reference fully_connected.cc; no ESP-NN scratch.
        "FULLY_CONNECTED": Kernel(_AT.format("fully_connected.cc"),
                                  "TfLiteFullyConnectedParams", "OpDataFullyConnected",
                                  _fully_connected),
        "SOFTMAX": Kernel(_AT.format("softmax.cc"), "TfLiteSoftmaxParams",
                          "EspNnSoftmaxNodeData", _softmax(sizes)),
        # add_common.cc / mul_common.cc / pooling_common.cc Prepare, as in the reference.
        "ADD": Kernel(_AT.format("add.cc"), "TfLiteAddParams", "OpDataAdd",
                      _inputs_then_outputs(0, 1)),
        "MUL": Kernel(_AT.format("mul.cc"), "TfLiteMulParams", "OpDataMul",
                      _inputs_then_outputs(0, 1)),
        "AVERAGE_POOL_2D": Kernel(_AT.format("pooling.cc"), "TfLitePoolParams",
                                  "OpDataPooling", _inputs_then_outputs(0)),
        "MAX_POOL_2D": Kernel(_AT.format("pooling.cc"), "TfLitePoolParams", "OpDataPooling",
                              _inputs_then_outputs(0)),
    }


def _table(name: str, chip: str, sizes: esp_nn.ScratchSizes) -> KernelTable:
    return KernelTable(
        name=name,
        description=f"esp-tflite-micro 1.4.0 (tflite-micro 90b983c) + esp-nn 1.2.3 "
                    f"{sizes.variant}, {chip}, C++ MicroInterpreter",
        layout=ESP_TFLITE_MICRO_32,
        arena_objects=FIRMWARE_OBJECTS,
        kernels=_kernels(sizes),
        constant_inputs=TFLM_90B983C,  # esp-tflite-micro 1.4.0 ships these files
    )


#: The classic ESP32 as edgetf's projects build it (ESP-NN's default, CONFIG_NN_OPTIMIZED:
#: the generic C kernels).
ESP_NN_ESP32 = _table("esp-tflite-micro-1.4.0-esp-nn-esp32", "ESP32", esp_nn.GENERIC_OPT)
#: The ESP32-S3 (CONFIG_NN_OPTIMIZED: the SIMD kernels' scratch sizes).
ESP_NN_ESP32S3 = _table("esp-tflite-micro-1.4.0-esp-nn-esp32s3", "ESP32-S3", esp_nn.ESP32S3)
#: Any ESP chip built with CONFIG_NN_ANSI_C (ESP-NN's debug setting).
ESP_NN_ANSI = _table("esp-tflite-micro-1.4.0-esp-nn-ansi", "any ESP32 (CONFIG_NN_ANSI_C)",
                     esp_nn.ANSI)
