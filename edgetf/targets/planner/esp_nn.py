"""ESP-NN's scratch-buffer sizes, per build variant, as espressif/esp-nn 1.2.3 (commit
5f0a807) computes them in ``src/``. esp-tflite-micro 1.4.0's kernels ask for three:
``esp_nn_get_conv_scratch_size``, ``esp_nn_get_depthwise_conv_scratch_size`` and
``esp_nn_get_softmax_scratch_size`` (fully connected, add, mul and pooling ask for none).
``include/esp_nn.h`` maps them to one of three sets:

- ``ansi`` (CONFIG_NN_ANSI_C, ``esp_nn_ansi_c.h``): every size is 0;
- ``opt`` (CONFIG_NN_OPTIMIZED, the Kconfig default, on the classic ESP32 and other
  chips without SIMD: ``esp_nn_generic_opt.h``): conv and depthwise 0, softmax an int32
  per element of a row;
- ``esp32s3`` (CONFIG_NN_OPTIMIZED on the ESP32-S3: ``esp_nn_esp32s3.h``): the
  functions below, which size the SIMD kernels' padded copies.

The S3 functions cast their arguments to ``uint16_t`` first and then compute in ``int``;
:func:`_u16` keeps that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Dims:
    """``data_dims_t`` (esp_nn_defs.h): width, height, channels."""

    width: int
    height: int
    channels: int


def _u16(value: int) -> int:
    return value & 0xFFFF


def conv_esp32s3(inp: Dims, filt: Dims, out: Dims, *, pad_w: int, pad_h: int, stride_w: int,
                 stride_h: int) -> int:
    """``esp_nn_get_conv_scratch_size_esp32s3`` (src/convolution/esp_nn_conv_esp32s3.c)."""
    in_w, in_h, in_ch = _u16(inp.width), _u16(inp.height), _u16(inp.channels)
    f_w, f_h, out_ch = _u16(filt.width), _u16(filt.height), _u16(out.channels)
    pad_w, pad_h, stride_w, stride_h = _u16(pad_w), _u16(pad_h), _u16(stride_w), _u16(stride_h)
    align_buf = 64  # alignment (16) + assembly pre/post access margin (48)
    if f_w == 1 and f_h == 1 and pad_w == 0 and pad_h == 0 and stride_w == 1 and stride_h == 1:
        new_channels = (in_ch + 7) & ~7
        transpose = 0 if in_w * in_h < 8 else 2 * (8 * new_channels)
        input_scratch = in_w * in_h * new_channels if in_ch % 8 else 0
        return input_scratch + new_channels * out_ch + transpose + align_buf
    filter_row = f_w * in_ch
    window = f_w * f_h * in_ch
    if filter_row < 16 and window >= 16:  # the im2col path
        window_aligned = (window + 15) & ~15
        return out_ch * 4 + 16 + out_ch * window_aligned + 16 + window_aligned + align_buf
    new_channels = (in_ch + 15) & ~15
    input_scratch = 0 if pad_w == 0 and pad_h == 0 else (
        (in_w + 2 * pad_w) * (in_h + 2 * pad_h) * in_ch)
    filter_scratch = f_w * f_h * new_channels * out_ch
    filter_alignment = ((filter_row + 15) // 16) * 16 * f_h * out_ch
    # output_dims->width and ->height are read as int32, not cast.
    pad_right = max(0, (out.width * stride_w + f_w - 1) - in_w)
    pad_bottom = max(0, (out.height * stride_h + f_h - 1) - in_h)
    boundary = (in_w + pad_right) * (in_h + pad_bottom) * in_ch if (
        pad_right > 0 or pad_bottom > 0) else 0
    return (input_scratch + filter_scratch + filter_alignment + boundary + align_buf
            + out_ch * 4)


def _align16(n: int) -> int:
    return (n + 15) & ~15


def depthwise_conv_esp32s3(inp: Dims, filt: Dims, out: Dims, *, ch_mult: int, pad_w: int,
                           pad_h: int, stride_w: int, stride_h: int) -> int:
    """``esp_nn_get_depthwise_conv_scratch_size_esp32s3``
    (src/convolution/esp_nn_depthwise_conv_s8_esp32s3.c)."""
    in_w, in_h, ch = _u16(inp.width), _u16(inp.height), _u16(inp.channels)
    f_w, f_h, mult = _u16(filt.width), _u16(filt.height), _u16(ch_mult)
    out_w, out_h = _u16(out.width), _u16(out.height)
    pad_w, pad_h, stride_w, stride_h = _u16(pad_w), _u16(pad_h), _u16(stride_w), _u16(stride_h)
    filter_size = f_w * f_h * ch * mult
    if mult == 1 and ch % 8 == 0:
        if f_w == 3 and f_h == 3:
            if ch % 16 == 0:
                if pad_w or pad_h:
                    pad_width, pad_height = pad_w * 2, pad_h * 2
                else:  # may be negative: the C does not clamp it
                    pad_width = (out_w * stride_w + f_w - 1) - in_w
                    pad_height = (out_h * stride_h + f_h - 1) - in_h
                if pad_width or pad_height:
                    full_input = (in_w + pad_width) * (in_h + pad_height) * ch
                    if full_input <= 40 * 1024:
                        return filter_size + full_input + 16
                    return filter_size + (in_w + pad_width) * f_h * ch + 16  # tiled strip
                return filter_size + 16
            if ch >= 12:  # pad channels to 16, s8 path + compaction
                new_ch = (ch + 15) & ~15
                total_pad_w = pad_w * 2 + max(0, (out_w * stride_w + 2) - in_w)
                total_pad_h = pad_h * 2 + max(0, (out_h * stride_h + 2) - in_h)
                new_input = (in_w + total_pad_w) * (in_h + total_pad_h) * new_ch
                return 9 * new_ch + new_input + out_w * out_h * new_ch + 64
            return 2 * (filter_size + in_w * in_h * ch) + 32  # ch == 8: the s16 path
        total_s16 = 2 * (filter_size + in_w * in_h * ch)
        if total_s16 <= 48 * 1024:
            return total_s16 + 32
        return 2 * filter_size + 2 * in_w * f_h * ch + 32  # tiled
    if mult == 1 and ch > 3:  # channels padded to a multiple of 8, 16-aligned sections
        padded = (ch + 7) & ~7
        input_start = _align16(f_w * f_h * padded * 2)
        out_start = _align16(input_start + in_w * in_h * padded * 2)
        bias_start = _align16(out_start + out_w * out_h * padded)
        return bias_start + 3 * padded * 4 + 16
    if mult % 4 == 0:
        return 2 * (filter_size + in_w * in_h * ch) + 32
    return 32


def softmax_esp32s3(width: int, height: int) -> int:
    """``esp_nn_get_softmax_scratch_size_esp32s3`` (src/softmax/esp_nn_softmax_s8_esp32s3.c):
    an int32 per element of a row."""
    return width * 4


def softmax_opt(width: int, height: int) -> int:
    """``esp_nn_get_softmax_scratch_size_opt`` (src/softmax/esp_nn_softmax_opt.c)."""
    return width * 4


def zero(*_args, **_kwargs) -> int:
    """``esp_nn_get_{conv,depthwise_conv}_scratch_size_{ansi,opt}`` and
    ``esp_nn_get_softmax_scratch_size_ansi`` (src/convolution/esp_nn_conv_ansi.c,
    esp_nn_conv_opt.c, esp_nn_depthwise_conv_ansi.c, esp_nn_depthwise_conv_opt.c,
    src/softmax/esp_nn_softmax_ansi.c): no scratch."""
    return 0


@dataclass(frozen=True)
class ScratchSizes:
    """The three size functions one ESP-NN build links."""

    variant: str
    conv: Callable[..., int]
    depthwise_conv: Callable[..., int]
    softmax: Callable[[int, int], int]


ANSI = ScratchSizes("ansi (CONFIG_NN_ANSI_C)", zero, zero, zero)
GENERIC_OPT = ScratchSizes("generic opt (CONFIG_NN_OPTIMIZED, ESP32)", zero, zero, softmax_opt)
ESP32S3 = ScratchSizes("esp32s3 (CONFIG_NN_OPTIMIZED, ESP32-S3)", conv_esp32s3,
                       depthwise_conv_esp32s3, softmax_esp32s3)
