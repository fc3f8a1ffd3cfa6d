"""train-quantize converts for the boards it names: per-tensor FULLY_CONNECTED weights where
a board's TFLM needs them (the Nano 33 BLE), with both conversions' accuracy reported."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import ConfigError
from edgetf.base.tf_import import import_tf
from edgetf.targets.board_compatibility import board_limitations
from edgetf.targets.boards import BOARDS
from edgetf.tflite.reader import read_tflite
from edgetf.train.convert import per_channel_fully_connected
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.conftest import SEED
from tests.tiny_models import convert, small_cnn

QUICK = {"data": "digits", "qat": False, "epochs": 2, "seed": SEED}


@pytest.fixture(scope="module")
def every_board():
    return train_quantize(TrainQuantizeOptions(**QUICK))


def test_no_qat_model_runs_on_the_nano_and_reports_both_accuracies(every_board):
    model = read_tflite(every_board.int8_model)
    assert per_channel_fully_connected(model) == []
    assert board_limitations(model, BOARDS["nano33ble"]) == []
    report = every_board.report
    assert report["boards"] == list(BOARDS)
    fully_connected = report["fully_connected"]
    assert fully_connected["weights"] == "per tensor"
    assert fully_connected["for_boards"] == ["nano33ble"]
    assert fully_connected["per_tensor_int8_litert"] == report["accuracy"]["int8_litert"]
    assert 0.5 < fully_connected["per_channel_int8_litert"] <= 1.0


def test_boards_that_take_per_channel_weights_keep_them():
    result = train_quantize(TrainQuantizeOptions(**QUICK, boards=("esp32", "esp32s3")))
    model = read_tflite(result.int8_model)
    assert per_channel_fully_connected(model)
    assert result.report["fully_connected"] == {"weights": "per channel"}
    assert result.report["boards"] == ["esp32", "esp32s3"]


def test_the_nanos_refusal_names_the_command_that_fixes_it():
    tf, keras = import_tf()
    keras.utils.set_random_seed(SEED)
    cnn = small_cnn(keras)
    calibration = np.random.default_rng(SEED).random((16, 12, 12, 1), dtype=np.float32)
    model = read_tflite(convert(tf, cnn, calibration, per_channel_dense=True))
    (problem,) = board_limitations(model, BOARDS["nano33ble"])
    assert "edgetf train-quantize --board nano33ble" in problem


def test_an_unknown_board_is_one_line_naming_the_boards():
    with pytest.raises(ConfigError, match="unknown board 'uno'; use one of esp32, "):
        TrainQuantizeOptions(boards=("uno",)).check()
