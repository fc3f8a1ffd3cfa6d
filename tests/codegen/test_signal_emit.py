"""emit-firmware for a model of TFLM's signal ops: TFLM's micro_speech audio front end
(``audio_preprocessor_int8.tflite``: int16 PCM in, int8 features out).

On the ESP32 boards the resolver registers esp-tflite-micro 1.4.0's signal kernels, the
arena is planned, and the golden vectors (int16 in, int8 out) read back from the
compiled headers are what the TFLM interpreter computes for them. The Nano's
Chirale_TensorFLowLite 2.0.0 has no signal kernels: refused, with --force too.
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


def test_the_nano_refuses_it_even_when_forced(model_bytes):
    for force in (False, True):
        with pytest.raises(FirmwareError, match=r"CUSTOM:SignalEnergy, .*: "
                           r"Chirale_TensorFLowLite 2\.0\.0 has no signal kernels.*"
                           r"use --board esp32.*Nano 33 BLE"):
            build_project(model_bytes, "nano33ble", name=NAME, force=force)


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

