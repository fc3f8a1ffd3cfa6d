"""The board kernel tables: their scratch-size formulas against the C functions they were
read from, and their plans against arenas measured on the boards' real TFLM builds.

Every expected plan below is the smallest arena (a multiple of 16) with which a library
emitted by edgetf passed AllocateTensors() and one Invoke() on the board's TFLM build, found
by bisection: ``nano33ble`` is Chirale_TensorFlowLite v2.0.0 (46da2f989205, its bundled TFLM
and CMSIS-NN) built with arm-none-eabi-gcc for Cortex-M4F and run under QEMU (mps2-an386).
The formulas' expected values were printed by the C functions themselves, compiled for the
host with the branch the board takes (named per test).
"""

from __future__ import annotations

import pytest

from edgetf.targets.planner import cmsis_nn, esp_nn, plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.reader import read_tflite
from tests.conftest import shared_model_path
from tests.tiny_models import tiny_models

CHIRALE = TABLES["chirale-2.0.0-cmsis-nn"]
ESP32 = TABLES["esp-tflite-micro-1.4.0-esp-nn-esp32"]
ESP32S3 = TABLES["esp-tflite-micro-1.4.0-esp-nn-esp32s3"]
ESP_ANSI = TABLES["esp-tflite-micro-1.4.0-esp-nn-ansi"]


def test_the_board_tables_are_registered():
    assert {"chirale-2.0.0-cmsis-nn", "esp-tflite-micro-1.4.0-esp-nn-esp32",
            "esp-tflite-micro-1.4.0-esp-nn-esp32s3", "esp-tflite-micro-1.4.0-esp-nn-ansi",
            "reference-64"} <= set(TABLES)
    assert all(name == table.name for name, table in TABLES.items())


# --- CMSIS-NN V.11.0.0 (Chirale 2.0.0), ARM_MATH_DSP without ARM_MATH_MVEI ----------


def test_cmsis_nn_convolution_buffers():
    # arm_convolve_wrapper_s8_get_buffer_size (arm_convolve_wrapper_s8.c): 3x3 padded,
    # 1x1 unpadded (arm_convolve_1x1_s8_fast), 1xN on a one-row input (arm_convolve_1_x_n_s8).
    common = {"stride_w": 1, "stride_h": 1, "dilation_w": 1, "dilation_h": 1}
    assert cmsis_nn.convolve_wrapper_s8(pad_w=1, pad_h=1, input_h=10, input_c=8, filter_w=3,
                                        filter_h=3, output_w=8, **common) == 288
    assert cmsis_nn.convolve_wrapper_s8(pad_w=0, pad_h=0, input_h=10, input_c=8, filter_w=1,
                                        filter_h=1, output_w=10, **common) == 0
    assert cmsis_nn.convolve_wrapper_s8(pad_w=0, pad_h=0, input_h=1, input_c=10, filter_w=3,
                                        filter_h=1, output_w=48, **common) == 120
    # arm_convolve_wrapper_s16_get_buffer_size: arm_convolve_fast_s16 under 512 taps.
    assert cmsis_nn.convolve_wrapper_s16(dilation_w=1, dilation_h=1, input_c=8, filter_w=3,
                                         filter_h=3) == 288
    assert cmsis_nn.convolve_wrapper_s16(dilation_w=1, dilation_h=1, input_c=64, filter_w=3,
                                         filter_h=3) == 0


def test_cmsis_nn_depthwise_and_pool_buffers():
    # arm_depthwise_conv_wrapper_s8_get_buffer_size: the opt kernel for multiplier 1 only.
    assert cmsis_nn.depthwise_conv_wrapper_s8(input_n=1, input_c=8, output_c=8, dilation_w=1,
                                              dilation_h=1, filter_w=3, filter_h=3) == 144
    assert cmsis_nn.depthwise_conv_wrapper_s8(input_n=1, input_c=1, output_c=8, dilation_w=1,
                                              dilation_h=1, filter_w=3, filter_h=3) == 0
    assert cmsis_nn.avgpool_s8(32) == 128  # arm_avgpool_s8_get_buffer_size
    assert cmsis_nn.fully_connected_s8() == cmsis_nn.fully_connected_s16() == 0


# --- ESP-NN 1.2.3 (5f0a807), the ESP32-S3 functions ----------------------------------
# Values printed by esp_nn_get_conv_scratch_size_esp32s3 (src/convolution/
# esp_nn_conv_esp32s3.c) and esp_nn_get_depthwise_conv_scratch_size_esp32s3
# (src/convolution/esp_nn_depthwise_conv_s8_esp32s3.c) compiled for the host (gcc -m32),
# for layers of person_detect, micro_speech and tests/tiny_models' CNN.

D = esp_nn.Dims


@pytest.mark.parametrize(("inp", "filt", "out", "pad", "stride", "expected"), [
    (D(48, 48, 8), D(1, 1, 8), D(48, 48, 16), (0, 0), (1, 1), 320),       # 1x1
    (D(3, 3, 256), D(1, 1, 256), D(3, 3, 256), (0, 0), (1, 1), 69696),    # 1x1, < 8 pixels
    (D(12, 12, 1), D(3, 3, 1), D(10, 10, 4), (0, 0), (1, 1), 848),        # im2col
    (D(6, 6, 3), D(3, 3, 3), D(4, 4, 8), (0, 0), (1, 1), 416),            # im2col
    (D(10, 49, 1), D(4, 10, 1), D(5, 25, 64), (1, 4), (2, 2), 3472),      # padded, strided
])
def test_esp_nn_s3_conv_scratch(inp, filt, out, pad, stride, expected):
    assert esp_nn.conv_esp32s3(inp, filt, out, pad_w=pad[0], pad_h=pad[1], stride_w=stride[0],
                               stride_h=stride[1]) == expected


@pytest.mark.parametrize(("inp", "filt", "out", "mult", "pad", "stride", "expected"), [
    (D(96, 96, 1), D(3, 3, 8), D(48, 48, 8), 8, (0, 0), (2, 2), 18608),   # multiplier 8
    (D(48, 48, 8), D(3, 3, 8), D(48, 48, 8), 1, (1, 1), (1, 1), 37040),   # 3x3, 8 channels
    (D(48, 48, 16), D(3, 3, 16), D(24, 24, 16), 1, (0, 0), (2, 2), 40160),  # 3x3 % 16
    (D(5, 25, 64), D(3, 3, 64), D(5, 25, 64), 1, (1, 1), (1, 1), 12688),
    (D(40, 49, 1), D(8, 10, 8), D(20, 25, 8), 8, (3, 4), (2, 2), 5232),
    (D(12, 12, 3), D(3, 3, 3), D(12, 12, 3), 1, (1, 1), (1, 1), 32),      # fallback
])
def test_esp_nn_s3_depthwise_scratch(inp, filt, out, mult, pad, stride, expected):
    assert esp_nn.depthwise_conv_esp32s3(inp, filt, out, ch_mult=mult, pad_w=pad[0],
                                         pad_h=pad[1], stride_w=stride[0],
                                         stride_h=stride[1]) == expected


def test_esp_nn_softmax_and_plain_c_scratch():
    # esp_nn_get_softmax_scratch_size_{esp32s3,opt}: width * 4; the ansi and opt conv and
    # depthwise functions return 0.
    assert esp_nn.softmax_esp32s3(5, 0) == esp_nn.softmax_opt(5, 0) == 20
    assert esp_nn.ANSI.softmax(5, 0) == 0
    assert esp_nn.GENERIC_OPT.conv() == esp_nn.GENERIC_OPT.depthwise_conv() == 0


def test_the_s3_table_requests_the_s3_sizes():
    # person_detect's first depthwise conv: 18608 B on the S3, nothing on the ESP32.
    model = read_tflite(shared_model_path("person_detect.tflite").read_bytes())
    assert plan_arena(model, ESP32S3).ops[0].scratch == [18608]
    assert plan_arena(model, ESP32).ops[0].scratch == []
    assert plan_arena(model, ESP32S3).total > plan_arena(model, ESP32).total


# --- plans against the boards' measurements ------------------------------------------


def _plan(model: bytes, table) -> int:
    result = plan_arena(read_tflite(model), table)
    assert result.complete, result.unknown_ops
    return result.total


# Measured on the nano33ble rig flavour (Chirale 2.0.0, 46da2f9).
_NANO_SHARED = {"hello_world_int8": 1152, "hello_world_float": 1152, "add0": 2496,
                "conv10": 6288, "keyword_scrambled": 15760, "leaky_relu0": 10688,
                "micro_speech_quantized": 6928, "pad0": 3088, "person_detect": 82752,
                "simple_add_model": 49728, "strided_slice0": 9856, "transpose_conv0": 24816,
                "dtln_noise_suppression": 15040, "trained_lstm": 7184,
                "trained_lstm_int8": 5776}
_NANO_TINY = {"cnn": 1712, "residual": 1232, "float": 4032, "int16x8": 4592, "per_tensor": 1712,
              "lstm": 5360}


@pytest.mark.parametrize(("name", "expected"), sorted(_NANO_SHARED.items()))
def test_chirale_plans_equal_the_nano_measurements_of_public_models(name, expected):
    assert _plan(shared_model_path(f"{name}.tflite").read_bytes(), CHIRALE) == expected


@pytest.mark.parametrize(("name", "expected"), sorted(_NANO_TINY.items()))
def test_chirale_plans_equal_the_nano_measurements_of_test_models(name, expected):
    assert _plan(tiny_models()[name], CHIRALE) == expected


_NANO_LSTM = {"dtln_noise_suppression": 15040, "trained_lstm": 7184, "trained_lstm_int8": 5776,
              "tiny lstm": 5360}


@pytest.mark.parametrize(("name", "expected"), sorted(_NANO_LSTM.items()))
def test_the_2023_lstm_is_planned_as_measured_on_the_nano(name, expected):
    """DTLN, TFLM's mnist_lstm (float and int8) and the tests' tiny int8 LSTM: planned,
    not the host x margin fallback, from the rig's measured figures."""
    from edgetf.targets.board_arena import plan_board_arena
    from edgetf.targets.boards import get_board

    data = (tiny_models()["lstm"] if name == "tiny lstm"
            else shared_model_path(f"{name}.tflite").read_bytes())
    arena = plan_board_arena(read_tflite(data), get_board("nano33ble"), 4208, "measured", "")
    assert (arena.method, arena.needed_bytes, arena.fallback_reason) == (
        "planned", expected, "")
    assert arena.bytes > expected


def test_the_int8_lstm_is_bound_by_its_effective_biases_on_its_temporaries():
    """The int8 LSTMs' effective biases (persistent) are allocated while their Prepare's
    temporaries are live and may cover the temporaries' top 12 bytes, no more: mnist_lstm
    int8 works at 5,776 B and hard-faults at 5,760 B (the last bias covering 4 and 20
    bytes); with the head moved up by 8 bytes (an instrumented copy of Chirale's
    allocator) it still works at 5,776 B (12 bytes covered), by 12 bytes it hard-faults
    there (16) and works at 5,792 B. Ignoring the temporaries planned 5,632 B."""
    from edgetf.targets.planner.arena import ArenaSim
    from edgetf.targets.planner.kernels import OpContext, OpUsage

    mnist = plan_arena(read_tflite(shared_model_path("trained_lstm_int8.tflite")
                                   .read_bytes()), CHIRALE)
    assert (mnist.total, mnist.binding_stage) == (
        5776, "prepare op 0 (UNIDIRECTIONAL_SEQUENCE_LSTM)")
    assert mnist.ops[0].temporaries == 3780 and mnist.persistent_by_stage[
        "prepare op 0 (UNIDIRECTIONAL_SEQUENCE_LSTM)"] == 8 * 80
    for head_moved_by, needed in ((0, 5776), (8, 5776), (12, 5792)):
        # the state before the last effective bias: temporaries end at 3,924 B (head 144
        # + 3,780), the tail is 1,776 B
        sim = ArenaSim(head=144 + head_moved_by, temp=3924 + head_moved_by, tail=1776)
        OpContext(sim, CHIRALE.layout, None, None, [], OpUsage(0, "LSTM")).persistent_on_temps(
            80, unread_top=12)
        assert -(-sim.need // 16) * 16 == needed


# Measured on the esp32 rig flavour: esp-tflite-micro 1.4.0 (9fee33d) with esp-nn 1.2.3
# (5f0a807), ESP-NN's default optimized C kernels, built with gcc -m32 -malign-double.
_ESP32_SHARED = {
    "add0": 2400, "conv10": 6208, "dtln_noise_suppression": 5136, "hello_world_float": 1104,
    "hello_world_int8": 1104, "keyword_scrambled": 15600, "leaky_relu0": 10608,
    "micro_speech_quantized": 6816, "pad0": 3008, "person_detect": 82304,
    "simple_add_model": 49632, "strided_slice0": 9776, "trained_lstm": 7392,
    "trained_lstm_int8": 3232, "transpose_conv0": 24720,
    # TFLM's signal ops (micro_speech's audio front end): esp-tflite-micro 1.4.0's own files
    # (the model's 18 ops' kernels, its signal/ and kissfft) built with g++ -m32 -malign-double
    # -O1 -DTF_LITE_STATIC_MEMORY, reference ADD and MUL (whose Prepare ESP-NN's add.cc and
    # mul.cc repeat): self-test 0 at 8,496 B, AllocateTensors fails at 8,480.
    "audio_preprocessor_int8": 8496,
}


_ESP32_TINY = {"cnn": 1600, "residual": 1184, "lstm": 2752, "int16x8": 4544}


@pytest.mark.parametrize(("name", "expected"), sorted(_ESP32_SHARED.items()))
def test_esp32_plans_equal_the_esp32_measurements_of_public_models(name, expected):
    assert _plan(shared_model_path(f"{name}.tflite").read_bytes(), ESP32) == expected


@pytest.mark.parametrize(("name", "expected"), sorted(_ESP32_TINY.items()))
def test_esp32_plans_equal_the_esp32_measurements_of_test_models(name, expected):
    assert _plan(tiny_models()[name], ESP32) == expected


def test_board_tables_report_ops_they_do_not_know():
    # Chirale 2.0.0's TFLM of 2023 has no signal library (edgetf's own kernels stand in,
    # and its table has them) and edgetf's table no DIV (its kernel takes no int32):
    # micro_speech's front end is not planned there.
    result = plan_arena(read_tflite(shared_model_path("audio_preprocessor_int8.tflite")
                                    .read_bytes()), CHIRALE)
    assert not result.complete
    assert "DIV" in result.unknown_ops
    assert not {"CAST", "ADD", "CUSTOM:SignalRfft"} & set(result.unknown_ops)
