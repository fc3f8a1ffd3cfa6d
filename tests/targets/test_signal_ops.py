"""TFLM's signal-library ops (the audio front end): which boards run them, how they are
classified, and what the planner's tables count for them.

The model is TFLM's micro_speech front end, ``audio_preprocessor_int8.tflite`` (int16 PCM
in, 40 int8 features out; Window, FftAutoScale, Rfft, Energy, FilterBank,
FilterBankSquareRoot, FilterBankSpectralSubtraction, PCAN, FilterBankLog). Its reference-64
plan equals the TFLM interpreter's measurement in tests/targets/test_arena_planner.py.
"""

from __future__ import annotations

import pytest

from edgetf.targets.board_compatibility import board_limitations, board_missing_kernels
from edgetf.targets.boards import BOARDS
from edgetf.targets.planner import REFERENCE_64, plan_arena
from edgetf.targets.planner.arena import ArenaSim
from edgetf.targets.planner.kernels import OpContext, OpUsage
from edgetf.targets.planner.kernels_signal import SIGNAL_KERNELS, kiss_fftr_bytes
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.compatibility import check_compatibility
from edgetf.tflite.ops import SIGNAL_RESOLVER_METHODS
from edgetf.tflite.reader import read_tflite
from tests.conftest import shared_model_path

ESP_TABLES = [TABLES[name] for name in ("esp-tflite-micro-1.4.0-esp-nn-esp32",
                                        "esp-tflite-micro-1.4.0-esp-nn-esp32s3",
                                        "esp-tflite-micro-1.4.0-esp-nn-ansi")]
FRONT_END_OPS = {"CUSTOM:SignalWindow", "CUSTOM:SignalFftAutoScale", "CUSTOM:SignalRfft",
                 "CUSTOM:SignalEnergy", "CUSTOM:SignalFilterBank",
                 "CUSTOM:SignalFilterBankSquareRoot",
                 "CUSTOM:SignalFilterBankSpectralSubtraction", "CUSTOM:SignalPCAN",
                 "CUSTOM:SignalFilterBankLog"}


@pytest.fixture(scope="module")
def front_end():
    return read_tflite(shared_model_path("audio_preprocessor_int8.tflite").read_bytes())


def _int8_model():
    return read_tflite(shared_model_path("hello_world_int8.tflite").read_bytes())


def test_the_front_end_is_plain_integer_and_runnable(front_end):
    compatibility = check_compatibility(front_end)
    assert compatibility.unsupported_ops == ()
    assert compatibility.quantization == "integer"
    assert FRONT_END_OPS <= set(front_end.op_names())
    # Quantized models keep their kinds: the signal rule applies only beside signal ops.
    assert check_compatibility(_int8_model()).quantization == "int8"


def test_boards_whose_tflm_has_the_signal_library_accept_it(front_end):
    for board in ("esp32", "esp32s3", "esp32s3-psram"):
        assert BOARDS[board].signal_kernels == "tflm"
        assert board_missing_kernels(front_end, BOARDS[board]) == []
        assert board_limitations(front_end, BOARDS[board]) == []


def test_the_nano_runs_the_signal_ops_with_edgetfs_kernels_but_not_the_int32_tail(front_end):
    # The nine signal ops: edgetf's own kernels. micro_speech's builtins around them are
    # what Chirale 2.0.0 lacks: CAST to uint32, and ADD and DIV on int32.
    assert BOARDS["nano33ble"].signal_kernels == "edgetf"
    reasons = board_missing_kernels(front_end, BOARDS["nano33ble"])
    assert [r.split(":")[0] for r in reasons] == [
        "CAST (op 8) to uint32", "ADD (op 16) to int32", "DIV (op 17) to int32",
        "ADD (op 18) to int32"]
    assert not any("Signal" in r for r in reasons)
    assert all(r.endswith("use --board esp32") for r in reasons)
    assert board_limitations(front_end, BOARDS["nano33ble"]) == reasons
    assert board_missing_kernels(_int8_model(), BOARDS["nano33ble"]) == []


def test_the_nano_refuses_signal_ops_edgetf_has_no_kernel_for():
    from edgetf.tflite.writer import ModelWriter

    w = ModelWriter()
    x = w.input("x", (1, 100), "int16")
    y = w.tensor("y", (1, 102), "int16")  # a 100-point FFT: not a power of two
    w.custom("SignalRfft", [x], [y], {"T": 7, "fft_length": 100})
    z = w.tensor("z", (1, 100), "int16")
    w.custom("SignalDelay", [x], [z], {"delay_length": 3})
    reasons = board_missing_kernels(read_tflite(w.finish([y, z])), BOARDS["nano33ble"])
    assert reasons[0].startswith("CUSTOM:SignalDelay: Chirale_TensorFLowLite 2.0.0 has no "
                                 "signal kernels and edgetf's own cover")
    assert reasons[1].startswith("CUSTOM:SignalRfft (op 0) is a int16 FFT of 100 points")


def test_the_nano_runs_the_spectral_front_ends_float_fft():
    # The motion front end's only signal op is a float32 RFFT: edgetf's kernel computes it
    # (bit-exact: tests/codegen/test_signal_kernels.py); an int32 one is refused.
    from edgetf.features.spectral import spectral_front_end
    from edgetf.tflite.writer import ModelWriter

    graph = read_tflite(spectral_front_end({"filter_low_hz": 0.5}, sample_rate=50,
                                           window=100, axes=3).model)
    assert "CUSTOM:SignalRfft" in graph.op_names()
    for board in ("nano33ble", "esp32", "esp32s3"):
        assert board_limitations(graph, BOARDS[board]) == [], board
    plan = plan_arena(graph, TABLES[BOARDS["nano33ble"].arena_table])
    # Two 128-point float RFFTs: each 28 bytes of options and 88 + 8 * 160 of tables.
    assert plan.complete and plan.persistent >= 2 * (28 + 88 + 8 * 160)
    w = ModelWriter()
    x = w.input("x", (1, 64), "int32")
    y = w.tensor("y", (1, 66), "int32")
    w.custom("SignalRfft", [x], [y], {"T": 2, "fft_length": 64})
    reasons = board_missing_kernels(read_tflite(w.finish([y])), BOARDS["nano33ble"])
    assert reasons[0].startswith("CUSTOM:SignalRfft (op 0) is a int32 FFT of 64 points; "
                                 "edgetf's kernel for Chirale_TensorFLowLite 2.0.0 computes "
                                 "int16 and float32")


def test_kiss_fftr_state_is_kissffts_memneeded():
    # Printed by RfftInt16GetNeededMemory, RfftInt32GetNeededMemory and
    # RfftFloatGetNeededMemory (signal/src/rfft_*.cc with third_party/kissfft of
    # esp-tflite-micro 1.4.0), compiled for the host with -m64 and with -m32.
    assert [kiss_fftr_bytes(24, 512, "int16"), kiss_fftr_bytes(24, 512, "int32"),
            kiss_fftr_bytes(24, 256, "float32")] == [2848, 5408, 2848]
    assert [kiss_fftr_bytes(12, 512, "int16"), kiss_fftr_bytes(12, 512, "int32"),
            kiss_fftr_bytes(12, 256, "float32")] == [2836, 5396, 2836]


def test_every_table_entry_is_a_resolver_op():
    assert set(SIGNAL_KERNELS) <= set(SIGNAL_RESOLVER_METHODS)
    for table in (REFERENCE_64, *ESP_TABLES):
        assert set(SIGNAL_KERNELS) <= set(table.kernels)
        for name in SIGNAL_KERNELS:
            assert table.kernels[name].source.startswith("signal/micro/kernels/")


# What each op's Init allocates (every AllocatePersistentBuffer 16-aligned), on the 64-bit
# host (the wheel) and on 32-bit ESP32s (esp-tflite-micro 1.4.0), from the same calls.
_INIT = {
    "CUSTOM:SignalWindow": (16, 16),  # TFLMSignalWindowParams, 8 B
    "CUSTOM:SignalFftAutoScale": (0, 0),  # no Init
    "CUSTOM:SignalRfft": (48 + 2848, 32 + 2848),  # params 48 / 32; kiss 2848 / 2836
    "CUSTOM:SignalEnergy": (16, 16),
    "CUSTOM:SignalFilterBank": (64 + 336, 48 + 336),  # params 64 / 36; 41 uint64s
    "CUSTOM:SignalFilterBankSquareRoot": (0, 0),
    "CUSTOM:SignalFilterBankSpectralSubtraction": (64 + 160, 48 + 160),  # 56 / 44; 40 u32
    "CUSTOM:SignalPCAN": (16, 16),
    "CUSTOM:SignalFilterBankLog": (16, 16),
}


def _init_bytes(model, table, name: str) -> int:
    """The op's Init allocations alone, from an empty (aligned) tail."""
    op = next(op for op in model.main.operators if f"CUSTOM:{op.custom_code}" == name)
    kernel, usage = table.kernels[name], OpUsage(op.index, name)
    context = OpContext(ArenaSim(), table.layout, model.main, op, [], usage)
    if kernel.init is not None:
        kernel.init(context)
    elif kernel.op_data is not None:
        context.persistent(table.layout.size(kernel.op_data))
    return usage.persistent


@pytest.mark.parametrize("table", ESP_TABLES, ids=lambda t: t.name)
def test_the_front_end_plans_from_the_same_facts_at_each_tables_sizes(front_end, table):
    for name, expected in _INIT.items():
        assert (_init_bytes(front_end, REFERENCE_64, name),
                _init_bytes(front_end, table, name)) == expected, name
    host, board = plan_arena(front_end, REFERENCE_64), plan_arena(front_end, table)
    assert host.complete and board.complete
    host_ops = {op.name: op for op in host.ops}
    board_ops = {op.name: op for op in board.ops}
    # Rfft's work area: fft_length (512) int16s, a scratch buffer on every table.
    assert host_ops["CUSTOM:SignalRfft"].scratch == board_ops["CUSTOM:SignalRfft"].scratch == [
        1024]
    # The same memory plan (tensor bytes do not depend on the target), smaller structs.
    assert board.plan == host.plan
    assert board.total < host.total
