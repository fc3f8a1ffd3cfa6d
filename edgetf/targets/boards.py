"""The board table: one source of truth for every board edgetf can emit firmware for.

A board is one record: its PlatformIO ids, its framework (:mod:`.frameworks`: the
project's files, the framework's own flash and RAM, how it builds and flashes), where its
TFLM comes from, its budgets, the arena planner's table for its TFLM build (by name, in
:data:`edgetf.targets.planner.tables.TABLES`, which also holds that build's
must-stay-constant inputs), its CPU clock and its chip's throughput rows
(:mod:`.throughput`) for latency estimates. ``tests/targets/test_board_record.py``
resolves every part of every entry, so a new board is one entry here (plus a planner
table if it brings a new TFLM build or kernel library).

Each entry is written out explicitly (no defaults shared by string tricks) so that a
reviewer can check it line by line against the "Boards" table in the README.

The Arduino-ESP32 route (``Chirale_TensorFLowLite`` on ``esp32``) is valid but has no
ESP-NN kernels, so it is not a board here. The old ``TensorFlowLite_ESP32`` library
(2022) still needs an ``ErrorReporter`` and must never be used.

This module imports nothing heavy, so ``emit-firmware`` can use it without TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from edgetf.base.errors import ConfigError
from edgetf.targets import throughput
from edgetf.targets.frameworks import ARDUINO, ESPIDF, Framework
from edgetf.targets.throughput import MHZ, Throughput

#: Model arrays and arenas are aligned to 16 bytes (TFLM's convention); arena sizes are
#: rounded up to this so that the arena the firmware declares stays a multiple of it.
ARENA_ALIGNMENT = 16

_KB = 1024
_MB = 1024 * 1024
#: Where ESP-IDF's app partition starts: bootloader, partition table, NVS and PHY
#: calibration data take the first 64 KB of flash.
_APP_OFFSET = 0x10000


@dataclass(frozen=True)
class TflmSource:
    """Where a board's project gets TensorFlow Lite for Microcontrollers from."""

    kind: str
    """``"idf-component"`` (declared in ``src/idf_component.yml``) or
    ``"arduino-library"`` (``lib_deps`` in ``platformio.ini``)."""
    name: str
    """The component or library as the package manager spells it."""
    version: str | None
    """Pinned version, or ``None`` to take the registry's current one."""
    arduino_header: str | None = None
    """The header an Arduino sketch includes so that the Arduino tools build and link
    the library (its umbrella header); ``None`` for ESP-IDF components."""
    kernel_package: str | None = None
    """The optimized-kernel package the TFLM package pulls in, pinned beside it where the
    package manager allows (ESP-IDF components: ``espressif/esp-nn``); ``None`` when the
    kernels are bundled (Chirale_TensorFLowLite carries its CMSIS-NN)."""
    kernel_version: str | None = None
    described: str = ""
    """The versions in words, for reports: TFLM's and the kernels'."""

    @property
    def spec(self) -> str:
        """``name@version`` (PlatformIO ``lib_deps`` style), or ``name`` alone."""
        return f"{self.name}@{self.version}" if self.version else self.name


@dataclass(frozen=True)
class Board:
    """One target board: how to build for it, and the budgets a model must fit in."""

    id: str
    name: str
    platformio_platform: str
    platformio_board: str
    framework: Framework
    """Its PlatformIO ``framework`` (:mod:`.frameworks`): ESP-IDF or Arduino."""
    tflm_source: TflmSource
    kernels: str
    """Optimized kernel library TFLM uses on this board: ``"ESP-NN"`` or ``"CMSIS-NN"``."""
    ram_bytes: int
    """RAM the application can use (data, bss and heap together)."""
    static_ram_limit_bytes: int | None
    """Most statically allocated RAM (``.data`` + ``.bss``) the link accepts; an arena
    larger than what is left must be allocated on the heap. ``None``: no separate cap."""
    flash_bytes: int
    """Most flash the application image can have: on the ESP32s, with a partition table
    that gives the app everything after the bootloader, partition table, NVS and PHY
    data (the first 64 KB)."""
    chip_flash_bytes: int
    """Size of the whole flash chip (bootloader, partition table and app included)."""
    default_app_partition_bytes: int | None
    """The app partition of the framework's default partition table (ESP-IDF: 1 MB); a
    larger application needs a partition table of its own. ``None``: no partitions."""
    static_arena_max_bytes: int | None
    """Largest arena declared as a static array; larger ones go on the heap. ``None``:
    always static. On the ESP32 static DRAM is capped at 160 KB, which ESP-IDF's own
    ``.data``/``.bss`` share, so 96 KB is left for the arena."""
    arena_margin: float
    """Multiplier applied to the arena measured with TFLM's reference kernels."""
    arena_margin_bytes: int
    """Fixed bytes added after the multiplier, for the kernels' scratch buffers."""
    cpu_hz: int
    """The clock the generated project runs the CPU at (see :mod:`.throughput`)."""
    throughput: Mapping[str, Throughput] = field(hash=False)  # a board stays hashable
    """The chip's speed per kernel library (its optimized one and ``"reference"``), for
    latency estimates (:mod:`edgetf.targets.latency`)."""
    notes: str = ""
    per_channel_fully_connected: bool = True
    """Whether the board's TFLM computes FULLY_CONNECTED with per-channel weights
    correctly (see :func:`edgetf.targets.board_compatibility.board_limitations`)."""
    divergent_ops: tuple[str, ...] = ()
    """Ops whose kernels in the board's TFLM were measured to give other numbers than
    current TFLM's (which make the golden vectors)."""
    divergent_quantizations: tuple[str, ...] = ()
    """Quantization kinds (see :mod:`edgetf.tflite.compatibility`) the board's kernels compute
    differently from current TFLM."""
    divergence_note: str = ""
    """What was measured about the divergences, for the warning emit-firmware gives."""
    arena_table: str = ""
    """The arena planner's table for this board's TFLM build and kernels (see
    :data:`edgetf.targets.planner.tables.TABLES`); until it exists, the board falls back to
    ``arena_margin`` on the host figure."""
    psram_bytes: int = 0
    """External PSRAM the firmware enables (0: none). An arena larger than
    ``internal_arena_max_bytes`` is then allocated there."""
    internal_arena_max_bytes: int = 0
    """With PSRAM: the largest arena kept in internal RAM."""
    sdkconfig: tuple[str, ...] = ()
    """Extra ``sdkconfig.defaults`` lines (ESP-IDF), e.g. to enable PSRAM."""
    platformio_options: tuple[str, ...] = ()
    """Extra ``platformio.ini`` lines for the environment."""
    decode_kernel: str = "tflm"
    """Who runs ``TFLM_DECODE`` (LUT-compressed weights): ``"tflm"`` where the board's TFLM
    registers it (``MicroMutableOpResolver::AddDecode``), ``"edgetf"`` where it predates
    the operator and the library registers edgetf's own kernel (``firmware/``)."""
    compiled_kernels: str = ""
    """The kernel library ``emit-firmware --runtime compiled`` calls (``"cmsis-nn"``,
    ``"esp-nn"``: a name in :data:`edgetf.compiled.emitters.EMITTERS`); ``""``: none."""
    signal_kernels: str = "tflm"
    """Who runs TFLM's signal-library ops (the audio front end's ``CUSTOM:Signal*``, see
    :data:`edgetf.tflite.ops.SIGNAL_RESOLVER_METHODS`): ``"tflm"`` where the board's TFLM
    registers them (``AddWindow()``...), ``"edgetf"`` where its TFLM predates the signal
    library and the library registers edgetf's own kernels for the audio front end's nine
    ops (``firmware/edgetf/edgetf_signal*``, see
    :data:`edgetf.targets.board_compatibility.EDGETF_SIGNAL_REGISTRATIONS`), ``"none"``
    where models with signal ops are refused for the board."""

    @property
    def summary(self) -> str:
        """One line for help texts: framework, kernels, and PSRAM where there is some."""
        psram = f", {self.psram_bytes // _MB} MB PSRAM" if self.psram_bytes else ""
        return f"{self.framework.name}, {self.kernels}{psram}"

    @property
    def decode_cost(self) -> throughput.DecodeCost:
        """What the DECODE operator costs per decoded byte on this board."""
        return throughput.DECODE_COSTS[self.decode_kernel]

    @property
    def tflm_versions(self) -> str:
        """Which TFLM build and kernel library the arena figures hold for."""
        return self.tflm_source.described or self.tflm_source.spec


# Basis for the arena margins. The arena edgetf measures comes from the tflite-micro
# wheel: reference kernels on a 64-bit host. On a 32-bit Cortex-M4 the same models used
# 3%-60% less than that host figure, and occasionally a little more (alignment,
# 32-bit vs 64-bit tail of the allocator's bookkeeping), so the host figure is a near
# upper bound for the *reference* kernels. Optimized kernels add scratch buffers of
# their own that the reference kernels never request:
# - ESP-NN (esp-tflite-micro): on the ESP32-S3 it has been reported needing ~4x the
#   exported arena (its conv/depthwise kernels ask for im2col-style scratch buffers whose
#   size grows with the input). The plain ESP32 has no SIMD path, so ESP-NN's generic
#   C kernels ask for less scratch; 2x is still chosen there because the board's RAM is
#   the same and an arena that is too large only wastes heap, while one that is too
#   small fails at boot.
# - CMSIS-NN, measured: edgetf's generated libraries built for a Cortex-M4F (tflite-micro
#   main of 2026-11, CMSIS-NN kernels) and run under QEMU (mps2-an386) used
#   arena_used_bytes() of 0.40x-1.08x the host figure on ten public TFLM example models
#   and edgetf's test models, except DTLN (int8 LSTMs), whose CMSIS-NN LSTM kernel
#   asked for 2.13x (14,356 B against 6,752 B on the host): a 1.5x margin fell 132 B
#   short there. Hence 2x.
# The fixed 4 KB added on every board covers the small-model end, where the interpreter's
# own bookkeeping (tensor structs, node allocations, persistent buffers) dominates and
# a pure multiplier of a few hundred bytes is not enough.
# The firmware prints arena_used_bytes() at boot, so a user can shrink the arena later.
# Measured: libraries generated by edgetf, built on an x86-64 host with
# espressif/esp-tflite-micro (2026-08) and esp-nn's portable C kernels (the ones the plain
# ESP32 runs; the S3 has SIMD versions): every int8 and float model matched the golden
# vectors; an int16x8 CNN was off by up to ~1000 steps. Both ESP boards get this note.
_ESP_NN_INT16X8 = (
    "esp-tflite-micro's ESP-NN kernels gave int16x8 outputs far from current TFLM's in "
    "edgetf's checks (C kernels on a host), so the board's self-test may report FAIL; "
    "prefer full int8")

#: The versions the ESP boards' arena tables were read from and checked against; the
#: project pins both, so that an upstream release (a 2026 esp-nn changed its scratch sizes
#: under a popular wake-word project) cannot change the arena under the user.
_ESP_TFLITE_MICRO = TflmSource(
    kind="idf-component", name="espressif/esp-tflite-micro", version="1.4.0",
    kernel_package="espressif/esp-nn", kernel_version="1.2.3",
    described="espressif/esp-tflite-micro 1.4.0 with espressif/esp-nn 1.2.3")
#: ESP32-S3 modules with 8 MB octal PSRAM (ESP32-S3-DevKitC-1 N8R8, ESP32-S3-WROOM-1
#: N8R8): ESP-IDF maps it into the address space and adds it to the heap under the
#: SPIRAM capability once these options are set.
_OCTAL_PSRAM_SDKCONFIG = (
    "CONFIG_SPIRAM=y",
    "CONFIG_SPIRAM_MODE_OCT=y",
    "CONFIG_SPIRAM_SPEED_80M=y",
    "CONFIG_SPIRAM_USE_CAPS_ALLOC=y",
)

BOARDS: dict[str, Board] = {
    "esp32": Board(
        id="esp32",
        name="ESP32 (ESP32-DevKitC, esp32dev)",
        platformio_platform="espressif32",
        platformio_board="esp32dev",
        framework=ESPIDF,
        tflm_source=_ESP_TFLITE_MICRO,
        kernels="ESP-NN",
        compiled_kernels="esp-nn",
        ram_bytes=320 * _KB,
        static_ram_limit_bytes=160 * _KB,
        flash_bytes=4 * _MB - _APP_OFFSET,
        chip_flash_bytes=4 * _MB,
        default_app_partition_bytes=1 * _MB,
        static_arena_max_bytes=96 * _KB,
        arena_margin=2.0,
        arena_margin_bytes=4 * _KB,
        cpu_hz=240 * MHZ,
        throughput=throughput.ESP32,
        notes=(
            "Static DRAM is capped at 160 KB: larger arenas are allocated on the heap. "
            "The default app partition is 1 MB; use a larger partition table when needed."
        ),
        divergent_quantizations=("int16x8",),
        divergence_note=_ESP_NN_INT16X8,
        arena_table="esp-tflite-micro-1.4.0-esp-nn-esp32",
    ),
    "esp32s3": Board(
        id="esp32s3",
        name="ESP32-S3 (ESP32-S3-DevKitC-1)",
        platformio_platform="espressif32",
        platformio_board="esp32-s3-devkitc-1",
        framework=ESPIDF,
        tflm_source=_ESP_TFLITE_MICRO,
        kernels="ESP-NN",
        compiled_kernels="esp-nn",
        ram_bytes=320 * _KB,
        static_ram_limit_bytes=None,
        flash_bytes=8 * _MB - _APP_OFFSET,
        chip_flash_bytes=8 * _MB,
        default_app_partition_bytes=1 * _MB,
        static_arena_max_bytes=None,
        arena_margin=4.0,
        arena_margin_bytes=4 * _KB,
        cpu_hz=240 * MHZ,
        throughput=throughput.ESP32S3,
        notes="512 KB SRAM, of which about 320 KB is available to the application.",
        divergent_quantizations=("int16x8",),
        divergence_note=_ESP_NN_INT16X8,
        arena_table="esp-tflite-micro-1.4.0-esp-nn-esp32s3",
    ),
    "esp32s3-psram": Board(
        id="esp32s3-psram",
        name="ESP32-S3 with 8 MB PSRAM (ESP32-S3-DevKitC-1 N8R8)",
        platformio_platform="espressif32",
        platformio_board="esp32-s3-devkitc-1",
        framework=ESPIDF,
        tflm_source=_ESP_TFLITE_MICRO,
        kernels="ESP-NN",
        compiled_kernels="esp-nn",
        ram_bytes=320 * _KB,
        static_ram_limit_bytes=None,
        flash_bytes=8 * _MB - _APP_OFFSET,
        chip_flash_bytes=8 * _MB,
        default_app_partition_bytes=1 * _MB,
        static_arena_max_bytes=None,
        arena_margin=4.0,
        arena_margin_bytes=4 * _KB,
        cpu_hz=240 * MHZ,
        throughput=throughput.ESP32S3,
        notes=("8 MB octal PSRAM, enabled in sdkconfig.defaults: an arena too big for the "
               "internal RAM goes there (slower than internal SRAM)."),
        divergent_quantizations=("int16x8",),
        divergence_note=_ESP_NN_INT16X8,
        arena_table="esp-tflite-micro-1.4.0-esp-nn-esp32s3",
        psram_bytes=8 * _MB,
        # Internal RAM for the app stays the S3's 320 KB; arenas over 192 KB leave too
        # little of it for the stack, Wi-Fi and the user's buffers, so they go to PSRAM.
        internal_arena_max_bytes=192 * _KB,
        sdkconfig=_OCTAL_PSRAM_SDKCONFIG,
        platformio_options=("board_upload.flash_size = 8MB",),
    ),
    "nano33ble": Board(
        id="nano33ble",
        decode_kernel="edgetf",  # Chirale 2.0.0 (TFLM of 2023) has no DECODE
        signal_kernels="edgetf",  # nor any signal/micro/kernels
        name="Arduino Nano 33 BLE (nRF52840)",
        platformio_platform="nordicnrf52",
        platformio_board="nano33ble",
        framework=ARDUINO,
        tflm_source=TflmSource(
            kind="arduino-library",
            name="spaziochirale/Chirale_TensorFLowLite",
            version="2.0.0",
            arduino_header="Chirale_TensorFlowLite.h",
            described="spaziochirale/Chirale_TensorFLowLite 2.0.0 (TFLM of 2023 with its "
                      "bundled CMSIS-NN)",
        ),
        kernels="CMSIS-NN",
        compiled_kernels="cmsis-nn",
        ram_bytes=256 * _KB,
        static_ram_limit_bytes=None,
        flash_bytes=983040,
        chip_flash_bytes=1 * _MB,
        default_app_partition_bytes=None,
        static_arena_max_bytes=None,
        arena_margin=2.0,
        arena_margin_bytes=4 * _KB,
        cpu_hz=64 * MHZ,
        throughput=throughput.NRF52840,
        notes="983040 bytes of flash: 1 MB minus the bootloader.",
        # Measured: libraries generated by edgetf, built with Chirale_TensorFLowLite
        # 2.0.0's TFLM (2023, its bundled CMSIS-NN) for a Cortex-M4F and run under QEMU,
        # against golden vectors from tflite-micro 0.dev20261023: FULLY_CONNECTED with
        # per-channel weights (TF 2.x converters' default for Dense) gave wrong outputs;
        # with per-tensor weights it, and CONV_2D, DEPTHWISE_CONV_2D, ADD, MUL, LOGISTIC,
        # pooling, MEAN, RESHAPE, SOFTMAX and TFLM's example models (hello_world,
        # micro_speech, keyword_scrambled, person_detect, both LSTM examples) matched
        # bit for bit. A Keras LSTM converted by TF 2.21 was up to 29 quantization steps off.
        per_channel_fully_connected=False,
        divergent_ops=("UNIDIRECTIONAL_SEQUENCE_LSTM",),
        divergence_note=(
            "the LSTM kernel of Chirale_TensorFLowLite 2.0.0 (TFLM of 2023) gave outputs up "
            "to 29 quantization steps from current TFLM's on a Keras LSTM converted by TF "
            "2.21 in edgetf's Cortex-M4 checks (TFLM's own LSTM examples matched), so the "
            "self-test will likely report FAIL; check the outputs before relying on them, "
            "or use an ESP32 board"),
        arena_table="chirale-2.0.0-cmsis-nn",
    ),
}


def get_board(board_id: str) -> Board:
    """The board called ``board_id``; :class:`ConfigError` naming the valid ids if unknown."""
    try:
        return BOARDS[board_id]
    except KeyError:
        raise ConfigError(f"unknown board {board_id!r}; use one of {', '.join(BOARDS)}") from None


def describe_boards(detail: bool = True) -> str:
    """The boards for a help text, from the table: ``esp32 (ESP-IDF, ESP-NN), ... or
    nano33ble (Arduino, CMSIS-NN)``; without ``detail``, the ids alone."""
    items = [f"{b.id} ({b.summary})" if detail else b.id for b in BOARDS.values()]
    return f"{', '.join(items[:-1])} or {items[-1]}" if len(items) > 1 else items[0]


def arena_for_board(measured_bytes: int, board: Board) -> int:
    """The tensor arena to declare on ``board`` for a model measured at ``measured_bytes``.

    ``measured_bytes`` is ``arena_used_bytes()`` from TFLM's *reference* kernels on a
    64-bit host. That is close to an upper bound for the same kernels on a 32-bit MCU,
    but the board's optimized kernels (ESP-NN, CMSIS-NN) request scratch buffers the
    reference kernels never do, so the figure is scaled by ``board.arena_margin``, has
    ``board.arena_margin_bytes`` added, and is rounded up to a multiple of 16 (the
    arena's alignment). See the comment above :data:`BOARDS` for the basis of each value.
    """
    if measured_bytes < 0:
        raise ValueError(f"measured arena size must be >= 0, got {measured_bytes}")
    needed = math.ceil(measured_bytes * board.arena_margin) + board.arena_margin_bytes
    return -(-needed // ARENA_ALIGNMENT) * ARENA_ALIGNMENT
