"""How fast each chip runs TFLM's kernels: the rows a board's latency estimate reads.

Each row is MACs per CPU cycle of one kernel library on one chip, worked out from a
published whole-model timing of TFLM and the model's MACs as
:mod:`edgetf.tflite.op_costs` counts them. A board carries its chip's rows
(:attr:`edgetf.targets.boards.Board.throughput`, by kernel library: the optimized one and
``"reference"``, TFLM's portable C++ kernels) and the clock its generated project runs
the CPU at (:attr:`~edgetf.targets.boards.Board.cpu_hz`):

- ESP32 and ESP32-S3: 240 MHz, which the generated ``sdkconfig.defaults`` sets
  (``CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240``; ESP-IDF's default is 160 MHz, and PlatformIO's
  ``espidf`` builder does not apply the board's ``f_cpu``), as in Espressif's timings.
- Nano 33 BLE: the nRF52840's fixed 64 MHz.

:mod:`edgetf.targets.latency` turns a model's MACs into milliseconds with them, and adds
the time the DECODE operator takes to expand look-up-table weights (:data:`DECODE_COSTS`,
by who runs DECODE on the board: ``Board.decode_kernel``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: MACs of tflite-micro's ``tensorflow/lite/micro/models/person_detect.tflite`` (the
#: person-detection example), counted by :func:`edgetf.tflite.op_costs.model_cost`.
_PERSON_DETECT_MACS = 7_157_888
#: MACs of the MLPerf Tiny v0.5 reference models (github.com/mlcommons/tiny,
#: ``benchmark/training/*/trained_models``), counted the same way; they match the
#: suite's published 7.49 M / 2.66 M / 12.5 M.
_MLPERF_VWW_MACS = 7_489_664  # vww_96_int8.tflite
_MLPERF_KWS_MACS = 2_656_768  # kws_ref_model.tflite
_MLPERF_IC_MACS = 12_501_632  # pretrainedResnet_quant.tflite

MHZ = 1_000_000


@dataclass(frozen=True)
class Throughput:
    """MACs per CPU cycle of one kernel library on one chip, and where it comes from."""

    macs_per_cycle: float
    source: str


@dataclass(frozen=True)
class DecodeCost:
    """CPU cycles per byte the DECODE operator writes: at every inference it expands each
    look-up-table tensor (packed indices and value tables) into the int8 weights the next
    op reads, in the arena. Not in the MAC figures above, whose models had no DECODE."""

    cycles_per_byte: float
    source: str


# Measured here on edgetf's decoder (firmware/edgetf/edgetf_lut_decode.cc, the Eval of the
# DECODE kernel edgetf registers), decoding 65,536 int8 weights once per run:
# - valgrind --tool=callgrind (3.19) on the host build (g++ 12.2 -O2, x86-64): lut::Decode
#   took 12.3 instructions per byte with 2-bit indices, 13.5 with 4-bit ones, 16.5 with
#   4-bit ones on the last axis (16 tables cycling), 18.4 with 7-bit ones on the last axis.
# - arm-none-eabi-g++ 12.2 -O2 -mcpu=cortex-m4 -mthumb (disassembled, not run): the int8
#   loop is 11 instructions per byte plus 4 per index byte read (half a read per weight
#   with 4-bit indices), two of them loads and one a taken branch, which cost 2 to 3
#   cycles each on a Cortex-M4.
# Both put one decoded byte at about 16 cycles, the figure taken. TFLM's own DECODE
# (kernels/decode_state_lut.cc, which ESP-IDF boards run) was not measured: it does the same
# work per weight (unpack an index, load from the channel's table, store), so the same
# figure stands for it. Flash wait states and caches (the encoded weights are read from
# flash) are not in it.
_DECODE_CYCLES_PER_BYTE = 16.0

#: What DECODE costs, by who runs it (``Board.decode_kernel``).
DECODE_COSTS: Mapping[str, DecodeCost] = {
    "edgetf": DecodeCost(
        _DECODE_CYCLES_PER_BYTE,
        "edgetf's DECODE kernel: about 16 cycles per decoded byte (callgrind on the host "
        "build, 12-18 instructions per byte; its Cortex-M4 loop disassembled)"),
    "tflm": DecodeCost(
        _DECODE_CYCLES_PER_BYTE,
        "TFLM's DECODE kernel, taken as edgetf's (about 16 cycles per decoded byte, "
        "measured on edgetf's; TFLM's does the same work per weight)"),
}


def _espressif(chip: str, seconds: float, kernels: str) -> Throughput:
    """A row of esp-tflite-micro's person-detection timings (at 240 MHz)."""
    how = "with ESP-NN" if kernels == "ESP-NN" else "without ESP-NN"
    return Throughput(
        _PERSON_DETECT_MACS / (seconds * 240 * MHZ),
        f"esp-tflite-micro README: person detection in {seconds * 1000:g} ms {how} on an "
        f"{chip} at 240 MHz")


# espressif/esp-tflite-micro README, "Performance Comparison" (invoke() of the
# person-detection example, internal memory, 240 MHz): ESP32-S3 54 ms with ESP-NN,
# 2300 ms without; ESP32 380 ms with, 4084 ms without.
ESP32S3: Mapping[str, Throughput] = {
    "ESP-NN": _espressif("ESP32-S3", 0.054, "ESP-NN"),
    "reference": _espressif("ESP32-S3", 2.300, "reference"),
}
ESP32: Mapping[str, Throughput] = {
    "ESP-NN": _espressif("ESP32", 0.380, "ESP-NN"),
    "reference": _espressif("ESP32", 4.084, "reference"),
}
NRF52840: Mapping[str, Throughput] = {
    # MLPerf Tiny v0.5 closed-division reference submission (mlcommons/tiny_results_v0.5,
    # closed/reference): NUCLEO-L4R5ZI, Cortex-M4F at 120 MHz, TFLM 2.3.1 built with
    # CMSIS-NN (TF_MAKE_TAGS="cmsis-nn" in mlcommons/tiny's setup_example.sh); median
    # throughput 1.665 (VWW), 5.497 (KWS) and 1.420 (IC) inferences/s. All three
    # together: 0.127 MACs/cycle (0.104, 0.122 and 0.148 apart). A later measurement
    # of person_detect on a NUCLEO-F413ZH (Cortex-M4F, 100 MHz) with CMSIS-NN, 386.6 ms
    # (Samsung/ONE issue 7598), works out to 0.185: current CMSIS-NN may be faster than
    # this figure. The nRF52840 is a Cortex-M4F too; cycles per MAC are taken as equal.
    "CMSIS-NN": Throughput(
        (_MLPERF_VWW_MACS + _MLPERF_KWS_MACS + _MLPERF_IC_MACS)
        / ((1 / 1.665 + 1 / 5.497 + 1 / 1.420) * 120 * MHZ),
        "MLPerf Tiny v0.5 reference submission: VWW, KWS and IC with TFLM + CMSIS-NN on "
        "a Cortex-M4F (STM32L4R5) at 120 MHz"),
    # The same Samsung/ONE issue 7598 measurement without CMSIS-NN: 13005 ms at 100 MHz.
    "reference": Throughput(
        _PERSON_DETECT_MACS / (13.005 * 100 * MHZ),
        "Samsung/ONE issue 7598: person detection in 13.0 s with TFLM's reference kernels "
        "on a Cortex-M4F (STM32F413) at 100 MHz"),
}
