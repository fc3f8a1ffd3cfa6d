"""The ESP-NN emitter: the generated C++ compiles with the host compiler against
declarations of esp-nn 1.2.3's s8 kernels (tests/compiled/esp_nn_stubs/esp_nn.h) and of
the TFLM reference kernels it calls for QUANTIZE and DEQUANTIZE (stand-ins under
esp_nn_stubs/tensorflow/); linked with definitions that compute TFLM's reference
arithmetic (esp_nn_reference.c, over the CMSIS-NN stand-ins of cmsis_nn_stubs/), its
outputs equal the oracle's. The real esp-nn is checked outside the repository (see
docs/compiled-runtime.md)."""

from __future__ import annotations

import shutil
import subprocess
from math import prod
from pathlib import Path

import numpy as np
import pytest

from edgetf.compiled.emit_esp_nn import emit_esp_nn
from edgetf.compiled.memory_plan import plan_memory
from edgetf.compiled.oracle import run_program
from edgetf.compiled.program import UnsupportedOpError, compile_program
from edgetf.targets.planner.plan import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.reader import read_tflite
from tests.compiled.lut_decoder import decoder_build
from tests.compiled.op_models import op_models
from tests.conftest import SEED, shared_model_path

CC = shutil.which("cc") or shutil.which("gcc")
CXX = shutil.which("c++") or shutil.which("g++")
HERE = Path(__file__).resolve().parent
STUBS, CMSIS = HERE / "esp_nn_stubs", HERE / "cmsis_nn_stubs"
CMSIS_INCLUDE = CMSIS / "third_party/cmsis_nn/Include"
needs_cc = pytest.mark.skipif(CC is None or CXX is None,
                              reason="no C and C++ compilers: compile checks need them")
ESP32 = "esp-tflite-micro-1.4.0-esp-nn-esp32"
_DTYPES = {"int8": np.int8, "float32": np.float32}


def _build(data: bytes, table: str = ESP32):
    model = read_tflite(data)
    board = plan_arena(model, TABLES[table])
    scratch = {u.index: tuple(u.scratch) for u in board.ops if u.scratch}
    return model, compile_program(model), plan_memory(model, scratch), scratch


@pytest.fixture(scope="module")
def kernels(tmp_path_factory) -> list[Path]:
    """The stand-in kernels compiled once as C objects."""
    out = tmp_path_factory.mktemp("esp_nn_kernels")
    objects = []
    for source in (STUBS / "esp_nn_reference.c", CMSIS / "reference_kernels.c"):
        obj = out / (source.stem + ".o")
        build = subprocess.run(
            [CC, "-std=c99", "-O1", "-fwrapv", "-Wall", "-Wextra", "-Werror", f"-I{STUBS}",
             f"-I{CMSIS_INCLUDE}", "-c", str(source), "-o", str(obj)],
            capture_output=True, text=True)
        assert build.returncode == 0, build.stderr
        objects.append(obj)
    return objects


def _runner(source: str, in_bytes: int, out_bytes: int, kernels: list[Path],
            tmp_path: Path) -> Path:
    """The program with the stand-in kernels: input bytes on stdin, output bytes on stdout;
    exit status the run's result."""
    (tmp_path / "program.cc").write_text(source)
    (tmp_path / "main.cc").write_text(
        "#include <cstddef>\n#include <cstdint>\n#include <cstdio>\n"
        'extern "C" size_t m_compiled_arena_bytes(void);\n'
        'extern "C" void *m_compiled_input(uint8_t *arena, int index);\n'
        'extern "C" void *m_compiled_output(uint8_t *arena, int index);\n'
        'extern "C" int m_compiled_run(uint8_t *arena);\n'
        "alignas(16) static uint8_t arena[1 << 20];\n"
        "int main() {\n"
        "    if (m_compiled_arena_bytes() > sizeof arena) return 91;\n"
        f"    if (std::fread(m_compiled_input(arena, 0), 1, {in_bytes}, stdin) != {in_bytes})"
        " return 90;\n"
        "    const int rc = m_compiled_run(arena);\n"
        "    if (rc) return rc;\n"
        f"    std::fwrite(m_compiled_output(arena, 0), 1, {out_bytes}, stdout);\n"
        "    return 0;\n}\n")
    decoder_flags, decoder_sources = decoder_build(source, tmp_path)
    build = subprocess.run(
        [CXX, "-std=c++17", "-O1", "-fwrapv", "-Wall", "-Wextra", "-Werror", f"-I{STUBS}",
         *decoder_flags, str(tmp_path / "program.cc"), str(tmp_path / "main.cc"),
         *map(str, decoder_sources), *map(str, kernels), "-o", str(tmp_path / "runner")],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    return tmp_path / "runner"


def _check_against_oracle(data: bytes, kernels, tmp_path: Path, samples: int = 3) -> None:
    model, program, plan, scratch = _build(data)
    graph = model.main
    source, output = graph.tensors[program.inputs[0]], graph.tensors[program.outputs[0]]
    in_type, out_type = _DTYPES[source.dtype], _DTYPES[output.dtype]
    out_bytes = prod(output.shape) * np.dtype(out_type).itemsize
    runner = _runner(emit_esp_nn(program, graph, plan, scratch, prefix="m"),
                     prod(source.shape) * np.dtype(in_type).itemsize, out_bytes, kernels,
                     tmp_path)
    rng = np.random.default_rng(SEED)
    for _ in range(samples):
        sample = (rng.normal(size=source.shape).astype(np.float32) if in_type == np.float32
                  else rng.integers(-128, 128, source.shape).astype(np.int8))
        run = subprocess.run([str(runner)], input=sample.tobytes(), capture_output=True)
        assert run.returncode == 0 and len(run.stdout) == out_bytes, run.stdout[:200]
        expected = run_program(program, graph, [sample])[program.outputs[0]]
        assert run.stdout == expected.astype(out_type).tobytes()


@needs_cc
@pytest.mark.parametrize("name", ["every_op", "person_detect", "mean"])
def test_the_program_computes_what_the_oracle_computes(name, kernels, tmp_path):
    """ESP-NN's kernels with esp-tflite-micro's arguments (views in place, elementwise ops
    over their dead inputs, softmax with its planned scratch) give the oracle's outputs."""
    data = (op_models()[name] if name in ("every_op", "mean")
            else shared_model_path(f"{name}.tflite").read_bytes())
    _check_against_oracle(data, kernels, tmp_path)


@needs_cc
@pytest.mark.parametrize("name", ["every_op_per_channel_fc", "float_io"])
def test_per_channel_dense_and_float_ends_compute_what_the_oracle_computes(name, kernels,
                                                                          tmp_path):
    """Per-channel FULLY_CONNECTED runs on esp_nn_fully_connected_per_ch_s8; QUANTIZE and
    DEQUANTIZE on TFLM's reference kernels, as esp-tflite-micro runs them."""
    _check_against_oracle(op_models()[name], kernels, tmp_path, samples=2)


@needs_cc
def test_a_plan_with_less_scratch_than_the_kernels_ask_for_refuses_to_run(kernels, tmp_path):
    """Planned for ESP-NN's ANSI build (no scratch), the program does not run on a build
    whose softmax asks for a row of int32: the first run names the softmax step."""
    model, program, plan, scratch = _build(op_models()["every_op"],
                                           "esp-tflite-micro-1.4.0-esp-nn-ansi")
    assert not scratch
    graph = model.main
    source = graph.tensors[program.inputs[0]]
    runner = _runner(emit_esp_nn(program, graph, plan, scratch, prefix="m"),
                     prod(source.shape), 6, kernels, tmp_path)
    run = subprocess.run([str(runner)], input=bytes(prod(source.shape)), capture_output=True)
    softmax = [s.op for s in program.steps].index("SOFTMAX") + 1
    assert run.returncode == softmax and run.stdout == b""


def test_a_softmax_scratch_smaller_than_its_row_is_refused_naming_the_op():
    """esp-tflite-micro sizes softmax's scratch by the input's dims[1]: a plan that gives
    less than a row of int32 would let the kernel write past it."""
    model, program, plan, scratch = _build(op_models()["every_op"])
    softmax = next(s for s in program.steps if s.op == "SOFTMAX")
    too_small = {**scratch, softmax.op_index: (8,)}
    with pytest.raises(UnsupportedOpError, match=rf"op {softmax.op_index} \(SOFTMAX\) has a"
                                                 r" softmax scratch buffer of 8 bytes"):
        emit_esp_nn(program, model.main, plan, too_small)
