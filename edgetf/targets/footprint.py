"""Will a model fit a board? Flash and RAM estimates against the board table's budgets.

Flash: the model bytes, plus the code of TFLM's interpreter and of the kernels of the
ops the model uses, plus the framework's own image (ESP-IDF or the Arduino core). RAM:
the arena the firmware declares (the board's planned arena, see
:mod:`edgetf.targets.board_arena`), plus the runtime's static state and stack, plus
what the framework keeps for itself. The framework's figures are its entry's
(:mod:`edgetf.targets.frameworks`). Every figure below is an estimate whose basis is
given beside it; the firmware prints the real arena use at boot, and PlatformIO prints
the real image size after a build.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgetf.targets.boards import Board
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.ops import is_signal_op
from edgetf.tflm.compression import DECODE_OP

_KB = 1024

# Code sizes, in bytes of .text + .rodata. Basis: linker maps of edgetf's own
# verification builds of generated libraries for a Cortex-M4F (arm-none-eabi-gcc 12.2,
# -O2, Thumb-2, tflite-micro main of 2026-11 with CMSIS-NN kernels), summed per archive
# member and split by op across seven models: FC+ADD 57.5 KB of TFLM in all;
# AVG_POOL+FC+LOGISTIC+MUL+RESHAPE 66.3; FC+STRIDED_SLICE+LSTM 74.6;
# CONV+FC+RESHAPE+SOFTMAX 81.3; the same + MAX_POOL 85.3; CONV+DEPTHWISE+FC+MEAN+SOFTMAX
# 103.0. The figures below reproduce those totals within 2 KB. Xtensa (ESP32) builds
# were not measured; the same figures are used for them.
TFLM_CORE_CODE = 28 * _KB
"""Interpreter, allocator, memory planner, flatbuffer access, op resolver, logging."""
RUNTIME_CODE = 4 * _KB
"""edgetf's runtime and demo (edgetf_runtime.cc, edgetf_demo.cc)."""
KERNEL_CODE_DEFAULT = 6 * _KB
"""A kernel not listed in :data:`KERNEL_CODE` (most elementwise and shape ops are 1-6 KB)."""
KERNEL_CODE: dict[str, int] = {
    "CONV_2D": 26 * _KB,
    "DEPTHWISE_CONV_2D": 14 * _KB,
    "FULLY_CONNECTED": 18 * _KB,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": 15 * _KB,
    "STRIDED_SLICE": 14 * _KB,
    "ADD": 12 * _KB,
    "MUL": 11 * _KB,
    "MEAN": 9 * _KB,
    "SOFTMAX": 7 * _KB,
    "LOGISTIC": 4 * _KB,
    "MAX_POOL_2D": 4 * _KB,
    "AVERAGE_POOL_2D": 4 * _KB,
    "RESHAPE": 2 * _KB,
    "QUANTIZE": 3 * _KB,
    "DEQUANTIZE": 3 * _KB,
}
#: ``TFLM_DECODE`` (look-up-table weights, see :mod:`edgetf.targets.board_compression`),
#: by who provides it (:attr:`~edgetf.targets.boards.Board.decode_kernel`). TFLM's: the
#: five files its registration links (decode, decode_state, and the LUT, Huffman and prune
#: decoders, the LUT one templated over six types) of esp-tflite-micro 1.4.0 compiled like
#: the figures above: 1,687 + 148 + 17,141 + 1,689 + 1,818 bytes of .text. edgetf's own
#: kernel (firmware/edgetf/edgetf_lut_decode*.cc) for the Nano 33 BLE: 2,278 bytes of .text in
#: a QEMU Cortex-M4F image of a compressed digits model (arm-none-eabi-size).
DECODE_CODE = {"tflm": 22 * _KB, "edgetf": 2 * _KB}
#: Each signal op (``CUSTOM:Signal*``) where edgetf's own kernels run them
#: (:attr:`~edgetf.targets.boards.Board.signal_kernels` ``"edgetf"``): the nine took
#: 13,772 bytes of .text (firmware/edgetf/edgetf_signal*.cc, flexbuffers included) and the
#: RFFT's twiddles about 5 KB more of newlib's double cos/sin in a QEMU Cortex-M4F image of
#: micro_speech's front end (arm-none-eabi-nm -S): about 2 KB per op.
EDGETF_SIGNAL_CODE = 2 * _KB

RUNTIME_RAM = 4 * _KB
"""edgetf's static state: interpreter and resolver objects, demo buffers (inputs and
scores are added per model)."""


@dataclass(frozen=True)
class Footprint:
    """Estimated flash and RAM use of the firmware on one board, with the budgets."""

    board: str
    model_bytes: int
    code_bytes: int
    flash_bytes: int
    flash_budget: int
    arena_bytes: int
    ram_bytes: int
    ram_budget: int
    psram_bytes: int = 0
    """The arena, when it lives in PSRAM (then not in ``ram_bytes``)."""
    psram_budget: int = 0

    @property
    def flash_ok(self) -> bool:
        return self.flash_bytes <= self.flash_budget

    @property
    def ram_ok(self) -> bool:
        return self.ram_bytes <= self.ram_budget and self.psram_bytes <= self.psram_budget

    @property
    def flash_headroom(self) -> int:
        return self.flash_budget - self.flash_bytes

    @property
    def ram_headroom(self) -> int:
        return self.ram_budget - self.ram_bytes

    def to_dict(self) -> dict:
        return {
            "board": self.board, "model_bytes": self.model_bytes, "code_bytes": self.code_bytes,
            "flash_bytes": self.flash_bytes, "flash_budget": self.flash_budget,
            "flash_ok": self.flash_ok, "arena_bytes": self.arena_bytes,
            "ram_bytes": self.ram_bytes, "ram_budget": self.ram_budget, "ram_ok": self.ram_ok,
            **({"psram_bytes": self.psram_bytes, "psram_budget": self.psram_budget}
               if self.psram_budget else {}),
        }


def code_bytes(model: TfliteModel, board: Board | None = None) -> int:
    """TFLM core, edgetf's runtime, and one kernel per distinct op (unknown ops count
    the default; DECODE counts the kernel ``board`` uses, TFLM's without a board)."""
    return TFLM_CORE_CODE + RUNTIME_CODE + sum(kernel_code(name, board)
                                               for name in model.op_names())


def kernel_code(name: str, board: Board | None = None) -> int:
    """Code bytes of op ``name``'s kernel on ``board``."""
    if name == DECODE_OP:
        return DECODE_CODE[board.decode_kernel if board else "tflm"]
    if board is not None and board.signal_kernels == "edgetf" and is_signal_op(name):
        return EDGETF_SIGNAL_CODE
    return KERNEL_CODE.get(name, KERNEL_CODE_DEFAULT)


def estimate_footprint(model: TfliteModel, board: Board, arena_bytes: int,
                       extra_flash: int = 0, extra_ram: int = 0,
                       arena_in_psram: bool = False) -> Footprint:
    """Flash and RAM on ``board`` for ``model`` with a declared arena of ``arena_bytes``.

    ``extra_flash`` and ``extra_ram`` are what the generated code adds per model (golden
    vectors in flash, the demo's input and score buffers in RAM); ``arena_in_psram``: the
    arena counts against the board's PSRAM instead of its internal RAM.
    """
    code = code_bytes(model, board)
    flash = model.size + code + board.framework.flash_bytes + extra_flash
    internal_arena = 0 if arena_in_psram else arena_bytes
    ram = internal_arena + RUNTIME_RAM + board.framework.ram_bytes + extra_ram
    return Footprint(board.id, model.size, code, flash, board.flash_bytes, arena_bytes,
                     ram, board.ram_bytes, arena_bytes - internal_arena, board.psram_bytes)
