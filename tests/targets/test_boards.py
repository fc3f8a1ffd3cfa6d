"""The board table: facts from the README's Boards table, lookup errors, arena sizing."""

from __future__ import annotations

import dataclasses

import pytest

from edgetf.base.errors import ConfigError, EdgetfError
from edgetf.targets.boards import ARENA_ALIGNMENT, BOARDS, arena_for_board, get_board


def test_ids_and_keys_agree():
    assert list(BOARDS) == ["esp32", "esp32s3", "esp32s3-psram", "nano33ble"]
    for board_id, board in BOARDS.items():
        assert board.id == board_id
        assert get_board(board_id) is board


def test_boards_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BOARDS["esp32"].ram_bytes = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("board_id", "platform", "pio_board", "framework", "source", "kernels"),
    [
        ("esp32", "espressif32", "esp32dev", "espidf", "espressif/esp-tflite-micro@1.4.0",
         "ESP-NN"),
        (
            "esp32s3",
            "espressif32",
            "esp32-s3-devkitc-1",
            "espidf",
            "espressif/esp-tflite-micro@1.4.0",
            "ESP-NN",
        ),
        (
            "esp32s3-psram",
            "espressif32",
            "esp32-s3-devkitc-1",
            "espidf",
            "espressif/esp-tflite-micro@1.4.0",
            "ESP-NN",
        ),
        (
            "nano33ble",
            "nordicnrf52",
            "nano33ble",
            "arduino",
            "spaziochirale/Chirale_TensorFLowLite@2.0.0",
            "CMSIS-NN",
        ),
    ],
)
def test_build_facts(board_id, platform, pio_board, framework, source, kernels):
    board = get_board(board_id)
    assert board.platformio_platform == platform
    assert board.platformio_board == pio_board
    assert board.framework.id == framework
    assert board.tflm_source.spec == source
    assert board.kernels == kernels
    assert board.tflm_source.kind == (
        "idf-component" if framework == "espidf" else "arduino-library"
    )


@pytest.mark.parametrize(
    ("board_id", "ram", "static_limit", "flash", "chip_flash"),
    [
        ("esp32", 327680, 163840, 4128768, 4194304),
        ("esp32s3", 327680, None, 8323072, 8388608),
        ("esp32s3-psram", 327680, None, 8323072, 8388608),
        ("nano33ble", 262144, None, 983040, 1048576),
    ],
)
def test_budgets(board_id, ram, static_limit, flash, chip_flash):
    board = get_board(board_id)
    assert board.ram_bytes == ram
    assert board.static_ram_limit_bytes == static_limit
    assert board.flash_bytes == flash
    assert board.chip_flash_bytes == chip_flash
    assert board.flash_bytes <= board.chip_flash_bytes
    assert board.arena_margin >= 1.0 and board.arena_margin_bytes >= 0


def test_unknown_board():
    with pytest.raises(ConfigError) as caught:
        get_board("x")
    assert str(caught.value) == (
        "unknown board 'x'; use one of esp32, esp32s3, esp32s3-psram, nano33ble")
    assert isinstance(caught.value, EdgetfError)


@pytest.mark.parametrize("measured", [0, 1, 15, 16, 17, 1000, 12345, 200_000])
@pytest.mark.parametrize("board_id", list(BOARDS))
def test_arena_for_board(measured, board_id):
    board = get_board(board_id)
    arena = arena_for_board(measured, board)
    assert arena % ARENA_ALIGNMENT == 0
    exact = measured * board.arena_margin + board.arena_margin_bytes
    assert exact <= arena < exact + ARENA_ALIGNMENT
    assert arena >= measured


def test_arena_for_board_rounding_by_hand():
    board = dataclasses.replace(get_board("nano33ble"), arena_margin=1.5, arena_margin_bytes=0)
    assert arena_for_board(10, board) == 16  # 15 -> 16
    assert arena_for_board(32, board) == 48  # 48 stays
    assert arena_for_board(11, board) == 32  # 16.5 -> 17 -> 32
    assert get_board("esp32s3").arena_margin == 4.0  # ESP-NN on the S3: ~4x reported


def test_arena_for_board_rejects_negative():
    with pytest.raises(ValueError):
        arena_for_board(-1, get_board("esp32"))
