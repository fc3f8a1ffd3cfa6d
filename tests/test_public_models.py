"""Models nobody here wrote (``../shared/models``: TFLM's examples and integration-test
models): ``inspect`` describes every one, and ``emit-firmware`` accepts each for every
board it fits, or refuses it for the reason TFLM itself would give (an op it has no
kernel for) or for the fit that inspect reports too. That the planner's reference-64
figure equals TFLM's own for each is checked in tests/targets/test_arena_planner.py."""

from __future__ import annotations

import pytest

from edgetf.analyze.inspect import inspect_model
from edgetf.base.errors import FirmwareError
from edgetf.codegen.emit_firmware import build_project
from edgetf.targets.boards import BOARDS
from tests.conftest import shared_model_names, shared_model_path

#: What a board's TFLM cannot run, and why: on the Nano, the audio front end's int32 tail
#: (CAST to uint32, int32 ADD and DIV), which Chirale 2.0.0's kernels lack (edgetf's own
#: kernels run its signal ops there).
REFUSED_ON_BOARD = {("audio_preprocessor_int8", "nano33ble"):
                    "CAST (op 8) to uint32: spaziochirale/Chirale_TensorFLowLite 2.0.0's"}


@pytest.fixture(scope="module")
def inspections():
    return {}


@pytest.mark.parametrize("name", shared_model_names() or ["(absent)"])
def test_inspect_describes_every_public_model(name, inspections):
    data = shared_model_path(f"{name}.tflite").read_bytes()
    inspection = inspect_model(data, f"{name}.tflite")
    d = inspection.to_dict()
    assert d["model_bytes"] == len(data) and d["ops"], name
    assert set(d["boards"]) == set(BOARDS)
    assert not inspection.problems, inspection.problems
    assert d["arena_method"] == "measured"
    for (refused, board), reason in REFUSED_ON_BOARD.items():
        if refused == name:
            verdict = inspection.boards[board]
            assert not verdict.fits and any(reason in p for p in verdict.problems)
    inspections[name] = inspection


@pytest.mark.parametrize("board", list(BOARDS))
@pytest.mark.parametrize("name", shared_model_names() or ["(absent)"])
def test_emit_firmware_accepts_each_public_model_where_inspect_says_it_fits(name, board):
    data = shared_model_path(f"{name}.tflite").read_bytes()
    verdict = inspect_model(data, f"{name}.tflite", boards=[board]).boards[board]
    try:
        result = build_project(data, board, name=name, model_file=f"{name}.tflite")
    except FirmwareError as error:
        assert not verdict.fits, f"inspect says it fits, emit-firmware says: {error}"
        reason = REFUSED_ON_BOARD.get((name, board))
        if reason is not None:
            assert reason in str(error)
        else:  # the only other refusal of a public model: the board's budget
            assert "does not fit" in str(error) and not verdict.ram_ok or not verdict.flash_ok
        return
    assert verdict.fits, verdict.problems
    assert result.spec.arena.bytes == verdict.arena.bytes
    assert result.spec.footprint == verdict.footprint
