"""CMSIS-NN's scratch-buffer sizes, as the copy bundled in Chirale_TensorFLowLite 2.0.0
computes them (``src/third_party/cmsis_nn``, arm_nnfunctions.h V.11.0.0, 30 September
2022; commit 46da2f9 of spaziochirale/Chirale_TensorFlowLite) on a Cortex-M4F: the DSP
extension is there (``__ARM_FEATURE_DSP`` defines ARM_MATH_DSP), MVE is not, so every
function takes its ``ARM_MATH_DSP && !ARM_MATH_MVEI`` branch. Dimensions follow
``cmsis_nn_dims`` (n, h, w, c); each function names its C original and file.
"""

from __future__ import annotations

_INT16 = 2  # sizeof(int16_t)
_INT32 = 4


def convolve_s8(input_c: int, filter_w: int, filter_h: int) -> int:
    """``arm_convolve_s8_get_buffer_size`` (ConvolutionFunctions/arm_convolve_s8.c): two
    int16 im2col columns."""
    return 2 * input_c * filter_w * filter_h * _INT16


def convolve_wrapper_s8(*, pad_w: int, pad_h: int, stride_w: int, stride_h: int,
                        dilation_w: int, dilation_h: int, input_h: int, input_c: int,
                        filter_w: int, filter_h: int, output_w: int) -> int:
    """``arm_convolve_wrapper_s8_get_buffer_size`` (arm_convolve_wrapper_s8.c): 1x1
    unpadded unit-stride convolutions use arm_convolve_1x1_s8_fast (no buffer); 1xN ones
    with an output width that is a multiple of 4, arm_convolve_1_x_n_s8 (whose size, off
    MVE, is arm_convolve_s8's); the rest arm_convolve_s8."""
    if (pad_w == 0 and pad_h == 0 and stride_w == 1 and stride_h == 1 and filter_w == 1
            and filter_h == 1 and dilation_w == 1 and dilation_h == 1):
        return 0  # arm_convolve_1x1_s8_fast_get_buffer_size
    if input_h == 1 and output_w % 4 == 0 and dilation_w == 1 and filter_h == 1:
        return convolve_s8(input_c, filter_w, filter_h)  # arm_convolve_1_x_n_s8
    return convolve_s8(input_c, filter_w, filter_h)


def convolve_wrapper_s16(*, dilation_w: int, dilation_h: int, input_c: int, filter_w: int,
                         filter_h: int) -> int:
    """``arm_convolve_wrapper_s16_get_buffer_size`` (arm_convolve_wrapper_s16.c, DSP
    branch): arm_convolve_fast_s16 (two int16 columns) when the filter volume is under
    512 and there is no dilation, else arm_convolve_s16 (no buffer)."""
    if filter_w * filter_h * input_c < 512 and dilation_w == 1 and dilation_h == 1:
        return 2 * input_c * filter_w * filter_h * _INT16  # arm_convolve_fast_s16.c
    return 0  # arm_convolve_s16_get_buffer_size


def depthwise_conv_wrapper_s8(*, input_n: int, input_c: int, output_c: int, dilation_w: int,
                              dilation_h: int, filter_w: int, filter_h: int) -> int:
    """``arm_depthwise_conv_wrapper_s8_get_buffer_size`` (arm_depthwise_conv_wrapper_s8.c):
    arm_depthwise_conv_s8_opt's one int16 column (arm_depthwise_conv_s8_opt.c, DSP
    branch) when the channel multiplier is 1, the batch 1 and there is no dilation."""
    if input_c == output_c and input_n == 1 and dilation_w == 1 and dilation_h == 1:
        return input_c * filter_w * filter_h * _INT16
    return 0


def fully_connected_s8() -> int:
    """``arm_fully_connected_s8_get_buffer_size`` (arm_fully_connected_s8.c): none."""
    return 0


def fully_connected_s16() -> int:
    """``arm_fully_connected_s16_get_buffer_size`` (arm_fully_connected_s16.c): none."""
    return 0


def convolve_1x1_s8_fast() -> int:
    """``arm_convolve_1x1_s8_fast_get_buffer_size`` (arm_convolve_1x1_s8_fast.c): none."""
    return 0


def avgpool_s8(channels: int) -> int:
    """``arm_avgpool_s8_get_buffer_size`` (PoolingFunctions/arm_avgpool_s8.c, DSP
    branch): an int32 sum per channel."""
    return channels * _INT32
