"""The ``audio`` front end's last step, log-mel int16 to int8 features: edgetf's clamp and
table lookup (int32 MINIMUM, MAXIMUM, int8 GATHER, which Chirale 2.0.0 runs) against
micro_speech's int32 arithmetic (CAST, MUL, ADD, DIV, ADD, MINIMUM, MAXIMUM, CAST, which it
does not), both run in the TFLM interpreter over every int16 value."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.features.audio_graph import _to_int8
from edgetf.tflite.reader import read_tflite
from edgetf.tflite.writer import ModelWriter
from edgetf.tflm.interpreter import run_tflm, tflm_available
from tests.conftest import shared_model_path

ALL = 1 << 16  # every int16 the log op can give


def _micro_speech_tail(w: ModelWriter, log: int, n: int) -> int:
    """audio_preprocessor_int8.tflite's ops after SignalFilterBankLog, its constants."""
    def scalar(value: int) -> int:
        return w.constant(f"c{value}", np.array(value, np.int32))

    def step(op: str, a: int, b: int) -> int:
        out = w.tensor(f"{op}_{a}", (n,), "int32")
        w.builtin(op, [a, b], [out])
        return out

    value = w.tensor("log_int32", (n,), "int32")
    w.builtin("CAST", [log], [value])
    value = step("MUL", value, scalar(256))
    value = step("ADD", value, scalar(333))
    value = step("DIV", value, scalar(666))
    value = step("ADD", value, scalar(-128))
    value = step("MINIMUM", value, scalar(127))
    value = step("MAXIMUM", value, scalar(-128))
    out = w.tensor("features", (n,), "int8")
    w.builtin("CAST", [value], [out])
    return out


def _tail_model(tail) -> bytes:
    w = ModelWriter()
    log = w.input("log", (ALL,), "int16")
    return w.finish([tail(w, log, ALL)])


def test_micro_speech_tail_is_the_reference_models():
    ref = read_tflite(shared_model_path("audio_preprocessor_int8.tflite").read_bytes()).main
    ops = [op.name for op in ref.operators]
    assert ops[-8:] == ["CAST", "MUL", "ADD", "DIV", "ADD", "MINIMUM", "MAXIMUM", "CAST"]
    scalars = sorted(int(t.array().ravel()[0]) for t in ref.tensors
                     if t.data and t.array().size == 1 and t.dtype == "int32")
    assert {-128, 127, 256, 333, 666} <= set(scalars)


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_table_tail_equals_micro_speechs_for_every_int16():
    values = np.arange(-(1 << 15), 1 << 15, dtype=np.int16)[None]
    (ours,) = run_tflm(_tail_model(_to_int8), values)
    (ref,) = run_tflm(_tail_model(_micro_speech_tail), values)
    assert ours.dtype == ref.dtype == np.int8 and ours.shape == ref.shape == (1, ALL)
    assert np.array_equal(ours, ref)
    # The whole int8 range is reached, so the table is not a constant.
    assert len(np.unique(ref)) == 256
    assert not {op.name for op in read_tflite(_tail_model(_to_int8)).main.operators} & {
        "ADD", "DIV", "MUL"}


@pytest.mark.parametrize("kwargs", [{}, {"channels": 16, "window_ms": 16.0},
                                    {"channels": 32, "lower_hz": 300.0, "upper_hz": 4000.0}])
def test_the_filter_bank_weighs_bins_outside_its_range_zero(kwargs):
    # Why edgetf leaves out micro_speech's zeroing of the energy bins outside
    # [start_index, end_index): every such bin SignalFilterBank reads has weight and
    # unweight 0, so what SignalEnergy left there never reaches the output.
    from edgetf.features.audio_config import AudioConfig
    from edgetf.features.audio_tables import filter_bank

    c = AudioConfig(**kwargs)
    bank = filter_bank(c.fft_length // 2 + 1, c.sample_rate, c.channels, c.lower_hz,
                       c.upper_hz, scaling_bits=c.filter_bank_scaling_bits,
                       alignment=c.filter_bank_alignment, block_size=c.filter_bank_block_size)
    outside = 0
    for start, first, width in zip(bank.frequency_starts, bank.weight_starts, bank.widths,
                                   strict=True):
        for j in range(int(width)):
            if not bank.start_index <= start + j < bank.end_index:
                outside += 1
                assert bank.weights[first + j] == bank.unweights[first + j] == 0
    assert outside > 0  # the bank does read such bins


def test_the_nano_accepts_and_plans_the_audio_front_end():
    from edgetf.features.audio import audio_front_end
    from edgetf.targets.board_compatibility import board_missing_kernels
    from edgetf.targets.boards import BOARDS
    from edgetf.targets.planner import plan_arena
    from edgetf.targets.planner.tables import TABLES

    model = read_tflite(audio_front_end().model)
    assert board_missing_kernels(model, BOARDS["nano33ble"]) == []
    # Every op has a Chirale 2.0.0 entry: planned, not the host figure's fallback.
    assert plan_arena(model, TABLES["chirale-2.0.0-cmsis-nn"]).total > 0


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_the_plan_of_the_audio_front_end_is_the_measured_arena():
    # GATHER's Prepare keeps a persistent copy of its output's dims: without it in the
    # plan, the front end's was 16 bytes short (on the host and on the Cortex-M4 rig).
    from edgetf.features.audio import audio_front_end
    from edgetf.targets.planner import plan_arena
    from edgetf.targets.planner.tables import TABLES
    from edgetf.tflm.interpreter import measure_arena

    model = audio_front_end().model
    assert plan_arena(read_tflite(model), TABLES["reference-64"]).total == measure_arena(
        model).bytes
