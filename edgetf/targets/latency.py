"""How long one inference may take on a board: an estimate from MACs, never a measurement.

latency = MACs / throughput, where throughput is the MACs per second that published
whole-model timings of TFLM on the same chip and kernel library work out to. Those
timings are of ``invoke()`` on MobileNet- and DS-CNN-style models, so they already
include the models' non-MAC ops (pooling, softmax, requantization, the interpreter's
per-op dispatch); no per-op overhead is added on top, as it would count them twice.
Models far from those (LSTMs, elementwise-heavy graphs, very small models whose time
is mostly dispatch) can be off by several times. The firmware's demo prints the real
time per inference.

Each figure is MACs per CPU cycle, from a published timing and the model's MACs as
:mod:`edgetf.tflite.op_costs` counts them, times the clock the generated project runs at:

- ESP32 and ESP32-S3: 240 MHz, which the generated ``sdkconfig.defaults`` sets
  (``CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240``; ESP-IDF's default is 160 MHz, and PlatformIO's
  ``espidf`` builder does not apply the board's ``f_cpu``), as in Espressif's timings.
- Nano 33 BLE: the nRF52840's fixed 64 MHz.

Which kernels run a model's MACs: the board's optimized library (ESP-NN, CMSIS-NN) for
full int8; for int16x8, CMSIS-NN (it has 16x8 kernels, whose speed is taken as that of
its int8 ones) but TFLM's reference kernels on ESP-NN boards (ESP-NN has none); the
reference kernels for float and mixed models. No figure for float reference kernels was
found, so the int8 reference figure stands in for them (both boards' CPUs have a
single-precision FPU, and TFLM's float kernels do the same loop work without the
requantization). Hybrid and uint8 models get no estimate: TFLM cannot run them.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgetf.targets.boards import Board

#: MACs of tflite-micro's ``tensorflow/lite/micro/models/person_detect.tflite`` (the
#: person-detection example), counted by :func:`edgetf.tflite.op_costs.model_cost`.
_PERSON_DETECT_MACS = 7_157_888
#: MACs of the MLPerf Tiny v0.5 reference models (github.com/mlcommons/tiny,
#: ``benchmark/training/*/trained_models``), counted the same way; they match the
#: suite's published 7.49 M / 2.66 M / 12.5 M.
_MLPERF_VWW_MACS = 7_489_664  # vww_96_int8.tflite
_MLPERF_KWS_MACS = 2_656_768  # kws_ref_model.tflite
_MLPERF_IC_MACS = 12_501_632  # pretrainedResnet_quant.tflite

_MHZ = 1_000_000

#: The clock each board's generated project runs its CPU at (see the module docstring).
CPU_HZ: dict[str, int] = {"esp32": 240 * _MHZ, "esp32s3": 240 * _MHZ, "nano33ble": 64 * _MHZ}


@dataclass(frozen=True)
class Throughput:
    """MACs per CPU cycle of one kernel library on one chip, and where it comes from."""

    macs_per_cycle: float
    source: str


def _espressif(chip: str, seconds: float, kernels: str) -> Throughput:
    """A row of esp-tflite-micro's person-detection timings (at 240 MHz)."""
    how = "with ESP-NN" if kernels == "ESP-NN" else "without ESP-NN"
    return Throughput(
        _PERSON_DETECT_MACS / (seconds * 240 * _MHZ),
        f"esp-tflite-micro README: person detection in {seconds * 1000:g} ms {how} on an "
        f"{chip} at 240 MHz")


# (chip, kernels) -> throughput. "reference" is TFLM's portable C++ kernels.
THROUGHPUT: dict[tuple[str, str], Throughput] = {
    # espressif/esp-tflite-micro README, "Performance Comparison" (invoke() of the
    # person-detection example, internal memory, 240 MHz): ESP32-S3 54 ms with ESP-NN,
    # 2300 ms without; ESP32 380 ms with, 4084 ms without.
    ("esp32s3", "ESP-NN"): _espressif("ESP32-S3", 0.054, "ESP-NN"),
    ("esp32s3", "reference"): _espressif("ESP32-S3", 2.300, "reference"),
    ("esp32", "ESP-NN"): _espressif("ESP32", 0.380, "ESP-NN"),
    ("esp32", "reference"): _espressif("ESP32", 4.084, "reference"),
    # MLPerf Tiny v0.5 closed-division reference submission (mlcommons/tiny_results_v0.5,
    # closed/reference): NUCLEO-L4R5ZI, Cortex-M4F at 120 MHz, TFLM 2.3.1 built with
    # CMSIS-NN (TF_MAKE_TAGS="cmsis-nn" in mlcommons/tiny's setup_example.sh); median
    # throughput 1.665 (VWW), 5.497 (KWS) and 1.420 (IC) inferences/s. All three
    # together: 0.127 MACs/cycle (0.104, 0.122 and 0.148 apart). A later measurement
    # of person_detect on a NUCLEO-F413ZH (Cortex-M4F, 100 MHz) with CMSIS-NN, 386.6 ms
    # (Samsung/ONE issue 7598), works out to 0.185: current CMSIS-NN may be faster than
    # this figure. The nRF52840 is a Cortex-M4F too; cycles per MAC are taken as equal.
    ("nano33ble", "CMSIS-NN"): Throughput(
        (_MLPERF_VWW_MACS + _MLPERF_KWS_MACS + _MLPERF_IC_MACS)
        / ((1 / 1.665 + 1 / 5.497 + 1 / 1.420) * 120 * _MHZ),
        "MLPerf Tiny v0.5 reference submission: VWW, KWS and IC with TFLM + CMSIS-NN on "
        "a Cortex-M4F (STM32L4R5) at 120 MHz"),
    # The same Samsung/ONE issue 7598 measurement without CMSIS-NN: 13005 ms at 100 MHz.
    ("nano33ble", "reference"): Throughput(
        _PERSON_DETECT_MACS / (13.005 * 100 * _MHZ),
        "Samsung/ONE issue 7598: person detection in 13.0 s with TFLM's reference kernels "
        "on a Cortex-M4F (STM32F413) at 100 MHz"),
}

#: Quantization kinds whose MACs run on TFLM's reference kernels whatever the board.
_REFERENCE_KINDS = frozenset({"float", "mixed"})
#: Kernel libraries with int16x8 kernels of their own (the others fall back to reference).
_INT16X8_LIBRARIES = frozenset({"CMSIS-NN"})


@dataclass(frozen=True)
class LatencyEstimate:
    """Estimated time of one inference on one board (``None`` when TFLM cannot run it)."""

    board: str
    kernels: str | None
    macs_per_second: float | None
    latency_ms: float | None
    basis: str

    def to_dict(self) -> dict:
        return {"estimate": True, "latency_ms": self.latency_ms, "kernels": self.kernels,
                "macs_per_second": self.macs_per_second, "basis": self.basis}


def kernels_for(board: Board, quantization: str) -> str | None:
    """The kernels that run a model's MACs on ``board``: its optimized library,
    ``"reference"``, or ``None`` when TFLM cannot run the quantization at all."""
    if quantization == "int8":
        return board.kernels
    if quantization == "int16x8":
        return board.kernels if board.kernels in _INT16X8_LIBRARIES else "reference"
    if quantization in _REFERENCE_KINDS:
        return "reference"
    return None


#: Said of every estimate whose arena lives in PSRAM: the figures above were all measured
#: with the arena in internal RAM, and no measurement of TFLM with its arena in PSRAM was
#: found to put a number on it.
PSRAM_NOTE = ("the arena is in PSRAM, which this estimate does not include: activations "
              "are then read and written over octal SPI (80 MHz) through the data cache, "
              "slower than internal SRAM, so expect a slower inference, the more so the "
              "more the activations exceed the cache")


def estimate_latency(macs: int, board: Board, quantization: str,
                     arena_in_psram: bool = False) -> LatencyEstimate:
    """``macs`` at the throughput of the kernels ``board`` runs ``quantization`` with."""
    kernels = kernels_for(board, quantization)
    if kernels is None:
        return LatencyEstimate(board.id, None, None, None,
                               f"no estimate: TFLM cannot run {quantization} models")
    chip = board.chip or board.id
    figure = THROUGHPUT[(chip, kernels)]
    per_second = figure.macs_per_cycle * CPU_HZ[chip]
    basis = (f"{macs:,} MACs at {per_second / 1e6:.3g} M MACs/s ({kernels}, "
             f"{figure.macs_per_cycle:.3g} MACs/cycle at {CPU_HZ[chip] // _MHZ} MHz; "
             f"{figure.source})")
    if arena_in_psram:
        basis += f"; {PSRAM_NOTE}"
    return LatencyEstimate(board.id, kernels, per_second, macs / per_second * 1000, basis)
