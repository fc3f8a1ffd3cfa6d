"""emit-firmware for a model of TFLM's signal ops: TFLM's micro_speech audio front end
(``audio_preprocessor_int8.tflite``: int16 PCM in, int8 features out).

On the ESP32 boards the resolver registers esp-tflite-micro 1.4.0's signal kernels, the
arena is planned, and the golden vectors (int16 in, int8 out) read back from the
compiled headers are what the TFLM interpreter computes for them. The Nano's
Chirale_TensorFLowLite 2.0.0 has no signal kernels: its library registers edgetf's own
(firmware/edgetf/edgetf_signal*) for a model of signal ops, with the arena planned; but
micro_speech's front end also has int32 builtins that Chirale 2.0.0 lacks (CAST to
uint32, int32 ADD and DIV), so that model is refused there, with --force too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgetf.base.errors import FirmwareError
from edgetf.codegen.emit_firmware import build_project
from edgetf.targets.planner import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.ops import tflm_method
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import run_tflm, tflm_available
from tests.conftest import shared_model_path

GXX, GCC = shutil.which("g++"), shutil.which("gcc")
NAME = "audio_preprocessor_int8"
STUBS = Path(__file__).parents[1] / "sdk_stubs"
needs_tflm = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return shared_model_path(f"{NAME}.tflite").read_bytes()


@pytest.fixture(scope="module")
def esp32(model_bytes):
    return build_project(model_bytes, "esp32", name=NAME, model_file=f"{NAME}.tflite")


def _compile(args: list[str], compiler: str | None = GXX) -> None:
    assert compiler, "the host C/C++ compiler is needed for these checks"
    result = subprocess.run([compiler, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _written(result, root: Path) -> Path:
    for relative, content in result.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root / f"lib/{result.spec.library}/src"


def test_the_resolver_registers_the_signal_kernels(esp32, model_bytes):
    resolver = esp32.files[f"lib/{esp32.spec.library}/src/edgetf/op_resolver.h"].decode()
    ops = read_tflite(model_bytes).op_names()
    added = re.findall(r"resolver\.(Add\w+)\(\) != kTfLiteOk", resolver)
    assert sorted(added) == sorted(tflm_method(op) for op in ops)
    assert {"AddWindow", "AddFftAutoScale", "AddRfft", "AddEnergy", "AddFilterBank",
            "AddFilterBankSquareRoot", "AddFilterBankSpectralSubtraction", "AddPCAN",
            "AddFilterBankLog"} <= set(added)
    assert f"constexpr int kOpCount = {len(ops)};" in resolver
    assert "AddCustom" not in resolver  # TFLM's own methods name the ops
    assert esp32.spec.compatibility.quantization == "integer"
    assert not esp32.warnings


def test_the_arena_is_planned_for_esp_tflite_micro(esp32, model_bytes):
    arena = esp32.spec.arena
    assert arena.method == "planned" and arena.table == "esp-tflite-micro-1.4.0-esp-nn-esp32"
    plan = plan_arena(read_tflite(model_bytes), TABLES[arena.table])
    assert arena.needed_bytes == plan.total
    assert arena.bytes >= plan.total and arena.bytes % 16 == 0


def test_the_nano_refuses_micro_speechs_int32_tail_even_when_forced(model_bytes):
    # The signal ops have edgetf's kernels there; CAST to uint32 and int32 ADD/DIV have
    # no Chirale 2.0.0 kernel.
    for force in (False, True):
        with pytest.raises(FirmwareError, match=r"CAST \(op 8\) to uint32: .*Chirale_"
                           r"TensorFLowLite 2\.0\.0's kernel computes.*Nano 33 BLE"):
            build_project(model_bytes, "nano33ble", name=NAME, force=force)


def _signal_only() -> bytes:
    """Window, auto-scale, RFFT, energy over every bin, filter bank, square root, spectral
    subtraction, PCAN and log, as micro_speech's front end has them, int16 out."""
    from edgetf.features.audio_config import AudioConfig
    from edgetf.features.audio_graph import _spectral_subtraction_options
    from edgetf.features.audio_tables import filter_bank, hann_window, pcan_gain_lut
    from edgetf.tflite.writer import ModelWriter

    c = AudioConfig(window_ms=16.0, channels=16)
    fft, n = c.fft_length, c.window_samples
    bank = filter_bank(fft // 2 + 1, c.sample_rate, c.channels, c.lower_hz, c.upper_hz,
                       scaling_bits=c.filter_bank_scaling_bits,
                       alignment=c.filter_bank_alignment, block_size=c.filter_bank_block_size)
    w = ModelWriter()
    t = {name: w.tensor(name, shape, dtype) for name, shape, dtype in (
        ("win", (n,), "int16"), ("scaled", (n,), "int16"), ("shift", (), "int32"),
        ("rfft", (fft + 2,), "int16"), ("energy", (fft // 2 + 1,), "uint32"),
        ("mel", (c.channels,), "uint64"), ("root", (c.channels,), "uint32"),
        ("sub", (c.channels,), "uint32"), ("noise", (c.channels,), "uint32"),
        ("pcan", (c.channels,), "uint32"), ("log", (c.channels,), "int16"))}
    x = w.input("pcm", (n,), "int16")
    w.custom("SignalWindow", [x, w.constant("hann", hann_window(n, 12))], [t["win"]],
             {"shift": 12})
    w.custom("SignalFftAutoScale", [t["win"]], [t["scaled"], t["shift"]], {})
    w.custom("SignalRfft", [t["scaled"]], [t["rfft"]], {"T": 7, "fft_length": fft})
    w.custom("SignalEnergy", [t["rfft"]], [t["energy"]],
             {"end_index": fft // 2 + 1, "start_index": 0})
    tables = [w.constant(k, getattr(bank, k)) for k in
              ("weights", "unweights", "frequency_starts", "weight_starts", "widths")]
    w.custom("SignalFilterBank", [t["energy"], *tables], [t["mel"]],
             {"num_channels": c.channels})
    w.custom("SignalFilterBankSquareRoot", [t["mel"], t["shift"]], [t["root"]], {})
    w.custom("SignalFilterBankSpectralSubtraction", [t["root"]], [t["sub"], t["noise"]],
             _spectral_subtraction_options(c))
    lut = pcan_gain_lut(c.pcan_strength, c.pcan_offset, c.smoothing_bits - c.correction_bits,
                        c.pcan_gain_bits)
    w.custom("SignalPCAN", [t["sub"], t["noise"], w.constant("lut", lut)], [t["pcan"]],
             {"snr_shift": 6})
    w.custom("SignalFilterBankLog", [t["pcan"]], [t["log"]],
             {"input_correction_bits": c.correction_bits, "output_scale": 64})
    return w.finish([t["log"]])


def test_the_nano_registers_edgetfs_signal_kernels(esp32):
    nano = build_project(_signal_only(), "nano33ble", name="front")
    resolver = nano.files["lib/front_inferencing/src/edgetf/op_resolver.h"].decode()
    assert "#define EDGETF_OWN_SIGNAL 1" in resolver
    assert '#include "edgetf_signal_tflm.h"' in resolver
    calls = re.findall(r'resolver\.AddCustom\("(\w+)", edgetf::(\w+)\(\)\)', resolver)
    assert len(calls) == 9 and ("SignalPCAN", "SignalPcanRegistration") in calls
    assert all(f"{code}Registration" == fn for code, fn in calls if code != "SignalPCAN")
    assert "AddRfft" not in resolver
    # Planned on the Nano's table with edgetf's kernels' allocations.
    assert nano.spec.arena.method == "planned"
    assert nano.spec.arena.table == "chirale-2.0.0-cmsis-nn"
    # The ESP32 registers TFLM's own and never compiles edgetf's.
    esp = esp32.files[f"lib/{esp32.spec.library}/src/edgetf/op_resolver.h"].decode()
    assert "EDGETF_OWN_SIGNAL" not in esp and "edgetf_signal" not in esp


_PRINT_GOLDEN = r"""
#include <cstdio>
#include "edgetf/golden_vectors.h"
#include "edgetf/model_metadata.h"
using namespace edgetf;
int main() {
  if (metadata::kInputs[0].type != EDGETF_INT16 || metadata::kOutputs[0].type != EDGETF_INT8)
    return 2;
  const int n = golden::kVectorCount;
  const auto* in = static_cast<const int16_t*>(golden::kInputs[0].data);
  for (std::size_t i = 0; i < golden::kInputs[0].elements * n; ++i) std::printf("%d ", in[i]);
  std::printf("\n");
  const auto* out = static_cast<const int8_t*>(golden::kOutputs[0].data);
  for (std::size_t i = 0; i < golden::kOutputs[0].elements * n; ++i) std::printf("%d ", out[i]);
  std::printf("\n%d\n", n);
  return 0;
}
"""


@needs_tflm
def test_int16_golden_vectors_read_back_are_what_tflm_computes(esp32, model_bytes, tmp_path):
    src = _written(esp32, tmp_path)
    (tmp_path / "golden.cc").write_text(_PRINT_GOLDEN)
    _compile(["-std=c++17", "-Wall", "-Werror", f"-I{src}", str(tmp_path / "golden.cc"),
              "-o", str(tmp_path / "golden")])
    lines = subprocess.run([str(tmp_path / "golden")], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    count = int(lines[2])
    inputs = np.array(lines[0].split(), dtype=np.int16).reshape(count, 1, 480)
    outputs = np.array(lines[1].split(), dtype=np.int8).reshape(count, 40)
    assert count == esp32.spec.golden.count >= 2
    assert inputs.min() < -10_000 and inputs.max() > 10_000  # the whole int16 range
    # Each vector from a freshly reset interpreter (the noise estimate of spectral
    # subtraction is state), as edgetf_self_test() replays them.
    (expected,) = run_tflm(model_bytes, [inputs], reset_between=True)
    assert np.array_equal(np.asarray(expected).reshape(count, 40), outputs)


def test_headers_and_main_compile_for_int16_input(esp32, tmp_path):
    src = _written(esp32, tmp_path)
    for header in ("edgetf/edgetf.h", "edgetf/model_types.h", "edgetf/model_metadata.h",
                   "edgetf/golden_vectors.h", f"{NAME}_inferencing.h"):
        _compile(["-std=c++17", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only",
                  f"-I{src}", "-x", "c++", str(src / header)])
    _compile(["-std=c99", "-Wall", "-pedantic", "-Werror", "-fsyntax-only", f"-I{src}",
              "-x", "c", str(src / f"{NAME}_inferencing.h")], compiler=GCC)
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", f"-I{STUBS}",
              f"-I{src}", str(tmp_path / "src/main.cpp")])

