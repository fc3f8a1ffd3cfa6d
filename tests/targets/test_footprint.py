"""Flash and RAM estimates: the kernel table and the fit verdict at the budget's edge."""

from __future__ import annotations

import pytest

from edgetf.targets import footprint
from edgetf.targets.boards import BOARDS
from edgetf.targets.footprint import estimate_footprint
from edgetf.tflite.reader import read_tflite
from tests.tiny_models import tiny_models

_KB = 1024


# TFLM's code in the Cortex-M4 + CMSIS-NN verification builds (linker maps), per op set.
@pytest.mark.parametrize(("ops", "measured_kb"), [
    (("FULLY_CONNECTED", "ADD"), 57.5),
    (("AVERAGE_POOL_2D", "FULLY_CONNECTED", "LOGISTIC", "MUL", "RESHAPE"), 66.3),
    (("FULLY_CONNECTED", "STRIDED_SLICE", "UNIDIRECTIONAL_SEQUENCE_LSTM"), 74.6),
    (("CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"), 81.3),
    (("CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "RESHAPE", "SOFTMAX"), 85.3),
    (("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MEAN", "SOFTMAX"), 103.0),
])
def test_kernel_table_reproduces_the_measured_builds(ops, measured_kb):
    estimate = footprint.TFLM_CORE_CODE + sum(footprint.KERNEL_CODE[op] for op in ops)
    assert abs(estimate / _KB - measured_kb) <= 2.5


@pytest.mark.parametrize("board_id", list(BOARDS))
def test_fit_verdict_at_the_edges_of_the_budgets(board_id):
    board = BOARDS[board_id]
    model = read_tflite(tiny_models()["cnn"])
    base = estimate_footprint(model, board, 0)
    fits = estimate_footprint(model, board, board.ram_bytes - base.ram_bytes)
    assert fits.ram_ok and fits.ram_headroom == 0
    over = estimate_footprint(model, board, board.ram_bytes - base.ram_bytes + 1)
    assert not over.ram_ok and over.ram_headroom == -1
    spare = board.flash_bytes - base.flash_bytes
    assert estimate_footprint(model, board, 0, extra_flash=spare).flash_ok
    assert not estimate_footprint(model, board, 0, extra_flash=spare + 1).flash_ok
    assert base.flash_bytes == (model.size + footprint.code_bytes(model)
                                + board.framework.flash_bytes)
