"""``tune --runtime compiled``: the trials are held to the compiled runtime's arena, the
figure ``inspect`` shows beside TFLM's; a model it cannot run keeps TFLM's figures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from edgetf.base.errors import ConfigError
from edgetf.compiled.figures import compiled_figures
from edgetf.targets.boards import BOARDS
from edgetf.tflite.reader import read_tflite
from edgetf.tune.figures import Caps, board_figures
from edgetf.tune.options import load_tune_options
from tests.conftest import shared_model_path


def test_compiled_runtime_figures_and_caps():
    board = BOARDS["nano33ble"]
    data = shared_model_path("hello_world_int8.tflite").read_bytes()
    tflm, compiled = board_figures(data, board), board_figures(data, board, "compiled")
    expected = compiled_figures(read_tflite(data), board, tflm.arena_bytes)
    assert (tflm.runtime, compiled.runtime) == ("tflm", "compiled")
    assert compiled.arena_bytes == expected.arena_bytes < tflm.arena_bytes
    assert compiled.lower_bound_bytes == expected.lower_bound_bytes
    assert compiled.tflm_arena_bytes == tflm.arena_bytes
    assert compiled.ram_bytes - tflm.ram_bytes == compiled.arena_bytes - tflm.arena_bytes
    caps = Caps(max_ram=compiled.arena_bytes)  # met by the compiled arena only
    assert caps.broken(compiled) == [] and caps.violations(compiled) == [0.0, 0.0]
    assert caps.broken(tflm) == [f"arena {tflm.arena_bytes:,} B > --max-ram "
                                 f"{compiled.arena_bytes:,}"]
    # PAD has no compiled kernel: emit-firmware would keep TFLM, and so do the figures.
    pad = shared_model_path("pad0.tflite").read_bytes()
    kept = board_figures(pad, board, "compiled")
    assert "op 0 is PAD" in kept.compiled_refusal
    assert kept == replace(board_figures(pad, board), compiled_refusal=kept.compiled_refusal)
    # The runtime is a setting of the study (absent for tflm, as before the option).
    options = load_tune_options(out="study", board="nano33ble", runtime="compiled")
    assert options.settings()["runtime"] == "compiled"
    assert "runtime" not in load_tune_options(out="study", board="nano33ble").settings()
    with pytest.raises(ConfigError, match="--runtime 'jit' is not one of tflm, compiled, auto"):
        load_tune_options(out="study", board="nano33ble", runtime="jit")
