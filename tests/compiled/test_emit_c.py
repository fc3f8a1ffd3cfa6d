"""The first C emitter: the generated program compiles with the host compiler against
declarations of CMSIS-NN's s8 kernels (tests/compiled/cmsis_nn_stubs/, the API of the
CMSIS-NN in Chirale_TensorFlowLite 2.0.0). Linked with definitions that print each call,
it calls the kernels in the program's order with the plan's offsets, the tensors' shapes
and the oracle's parameters; linked with definitions that compute TFLM's reference
arithmetic, its outputs equal the oracle's."""

from __future__ import annotations

import shutil
import subprocess
from math import prod
from pathlib import Path

import numpy as np
import pytest

from edgetf.compiled.emit_c import emit_c
from edgetf.compiled.memory_plan import plan_memory
from edgetf.compiled.oracle import run_program
from edgetf.compiled.program import VIEW_OPS, compile_program
from edgetf.targets.planner.plan import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.reader import read_tflite
from tests.compiled.lut_decoder import decoder_build
from tests.compiled.op_models import op_models
from tests.conftest import SEED, shared_model_path

CC = shutil.which("cc") or shutil.which("gcc")
CXX = shutil.which("c++") or shutil.which("g++")
STUBS = Path(__file__).resolve().parent / "cmsis_nn_stubs"
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler: compile checks need one")
_KERNELS = {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "depthwise",
            "FULLY_CONNECTED": "fully_connected", "AVERAGE_POOL_2D": "average_pool",
            "MAX_POOL_2D": "max_pool", "SOFTMAX": "softmax", "ADD": "add", "MUL": "mul"}


def _build(data: bytes):
    model = read_tflite(data)
    program = compile_program(model)
    board = plan_arena(model, TABLES["chirale-2.0.0-cmsis-nn"])
    scratch = {u.index: tuple(u.scratch) for u in board.ops if u.scratch}
    plan = plan_memory(model, scratch)
    return model, program, plan, scratch


def _run(source: str, input_offset: int, tmp_path: Path) -> list[dict[str, str]]:
    (tmp_path / "program.c").write_text(source)
    (tmp_path / "main.c").write_text(
        "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
        "size_t edgetf_compiled_arena_bytes(void);\n"
        "void *edgetf_compiled_input(uint8_t *arena, int index);\n"
        "int edgetf_compiled_run(uint8_t *arena);\n"
        "extern const unsigned char *record_base;\n"
        "int main(void) {\n"
        "    uint8_t *arena = (uint8_t *)calloc(edgetf_compiled_arena_bytes(), 1);\n"
        "    record_base = (const unsigned char *)edgetf_compiled_input(arena, 0)"
        f" - {input_offset};\n"
        "    return edgetf_compiled_run(arena);\n}\n")
    build = subprocess.run(
        [CC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{STUBS}",
         str(tmp_path / "program.c"), str(STUBS / "record_calls.c"), str(tmp_path / "main.c"),
         "-o", str(tmp_path / "program")], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(tmp_path / "program")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    calls = []
    for line in run.stdout.splitlines():
        kernel, *pairs = line.split()
        calls.append({"kernel": kernel, **dict(p.split("=", 1) for p in pairs)})
    return calls


def _dims(shape) -> str:
    return ",".join(str(d) for d in shape)


@needs_cc
@pytest.mark.parametrize("name", ["every_op", "person_detect"])
def test_the_program_calls_each_kernel_on_the_planned_buffers(name, tmp_path):
    data = (op_models()[name] if name == "every_op"
            else shared_model_path(f"{name}.tflite").read_bytes())
    model, program, plan, scratch = _build(data)
    graph = model.main
    offsets, scratch_at = plan.tensor_offsets(), plan.scratch_offsets()
    calls = _run(emit_c(program, graph, plan, scratch, title=name),
                 offsets[program.inputs[0]], tmp_path)
    steps = [s for s in program.steps if s.op not in VIEW_OPS]
    assert [c["kernel"] for c in calls] == [_KERNELS[s.op] for s in steps]
    for step, call in zip(steps, calls, strict=True):
        p, out = step.params, graph.tensors[step.outputs[0]]
        ins = [str(offsets[i]) for i in step.inputs if i in offsets]
        assert call["in"] == ",".join(ins) and call["out"] == str(offsets[step.outputs[0]])
        if "ctx" in call:
            expected = (f"{scratch_at[step.op_index][0]},{scratch[step.op_index][0]}"
                        if step.op_index in scratch_at else "-1,0")
            assert call["ctx"] == expected
        if step.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            assert call["output"] == _dims(out.shape)
            assert call["quant"] == (f"{p.multipliers[0]},{p.shifts[0]},"
                                     f"{p.multipliers[-1]},{p.shifts[-1]}")
            assert call["pad"] == f"{p.pad_h},{p.pad_w}"
            assert call["offsets"] == f"{p.input_offset},{p.output_offset}"
            assert call["act"] == f"{p.act_min},{p.act_max}"
        elif step.op == "FULLY_CONNECTED":
            assert call["quant"] == f"{p.multipliers[0]},{p.shifts[0]}"
            assert call["output"] == f"{prod(out.shape) // out.shape[-1]},1,1,{out.shape[-1]}"
        elif step.op == "SOFTMAX":
            assert call["params"] == f"{p.input_multiplier},{p.input_left_shift},{p.diff_min}"
        elif step.op in ("ADD", "MUL"):
            assert call["size"] == str(prod(out.shape))
            assert call["act"] == f"{p.act_min},{p.act_max}"


def _compile_runner(source: str, in_bytes: int, out_bytes: int, tmp_path: Path) -> Path:
    """The program linked with kernels that compute TFLM's reference arithmetic
    (cmsis_nn_stubs/reference_kernels.c, and reference_ops.cc for a program that calls
    TFLM's reference kernels, then C++; with edgetf's LUT decoder for a program that
    decodes look-up tables, C++ too): input bytes on stdin, output bytes on stdout."""
    decoder_flags, decoder_sources = decoder_build(source, tmp_path)
    cplusplus = "tensorflow/lite/kernels" in source or bool(decoder_sources)
    program = tmp_path / ("program.cc" if cplusplus else "program.c")
    program.write_text(source)
    (tmp_path / "main.c").write_text(
        "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
        "size_t edgetf_compiled_arena_bytes(void);\n"
        "void *edgetf_compiled_input(uint8_t *arena, int index);\n"
        "void *edgetf_compiled_output(uint8_t *arena, int index);\n"
        "int edgetf_compiled_run(uint8_t *arena);\n"
        "int main(void) {\n"
        "    uint8_t *arena = (uint8_t *)calloc(edgetf_compiled_arena_bytes(), 1);\n"
        f"    if (fread(edgetf_compiled_input(arena, 0), 1, {in_bytes}, stdin) != {in_bytes})"
        " return 90;\n"
        "    const int rc = edgetf_compiled_run(arena);\n"
        "    if (rc) return rc;\n"
        f"    fwrite(edgetf_compiled_output(arena, 0), 1, {out_bytes}, stdout);\n"
        "    return 0;\n}\n")
    # -fwrapv: gemmlowp's raw int32 sums wrap, as they do on the boards.
    flags = ["-O1", "-fwrapv", "-Wall", "-Wextra", "-Werror", f"-I{STUBS}", *decoder_flags]
    objects = []
    for source_file, compiler, standard in (
            (STUBS / "reference_kernels.c", CC, "-std=c99"), (tmp_path / "main.c", CC, "-std=c99"),
            (program, CXX if cplusplus else CC, "-std=c++17" if cplusplus else "-std=c99"),
            *([(STUBS / "reference_ops.cc", CXX, "-std=c++17")] if cplusplus else []),
            *((path, CXX, "-std=c++17") for path in decoder_sources)):
        objects.append(str(tmp_path / f"{source_file.name}.o"))
        build = subprocess.run([compiler, standard, *flags, "-c", str(source_file), "-o",
                                objects[-1]], capture_output=True, text=True)
        assert build.returncode == 0, build.stderr
    build = subprocess.run([CXX if cplusplus else CC, *objects, "-lm", "-o",
                            str(tmp_path / "runner")], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    return tmp_path / "runner"


@needs_cc
@pytest.mark.parametrize("name", ["every_op", "person_detect", "float_io", "broadcast",
                                  "mean"])
def test_the_program_computes_what_the_oracle_computes(name, tmp_path):
    """With kernels that compute as TFLM's reference kernels do, the generated program's
    outputs equal the oracle's: its weights, biases, parameters and buffers are wired
    right (views in place, elementwise ops writing over their dead inputs), and so are
    its calls of TFLM's reference kernels (float_io: QUANTIZE and DEQUANTIZE at its ends,
    per-channel FULLY_CONNECTED; broadcast: ADD and MUL), which CMSIS-NN has no kernel
    for."""
    if name in ("float_io", "broadcast") and CXX is None:
        pytest.skip("no C++ compiler: TFLM's reference kernels are C++")
    data = (op_models()[name] if name in op_models()
            else shared_model_path(f"{name}.tflite").read_bytes())
    model, program, plan, scratch = _build(data)
    graph = model.main
    source, output = graph.tensors[program.inputs[0]], graph.tensors[program.outputs[0]]
    dtype = {"int8": np.int8, "float32": np.float32}
    runner = _compile_runner(emit_c(program, graph, plan, scratch, title=name),
                             prod(source.shape) * np.dtype(dtype[source.dtype]).itemsize,
                             prod(output.shape) * np.dtype(dtype[output.dtype]).itemsize,
                             tmp_path)
    rng = np.random.default_rng(SEED)
    for _ in range(3):
        sample = (rng.normal(size=source.shape).astype(np.float32) if source.dtype == "float32"
                  else rng.integers(-128, 128, source.shape).astype(np.int8))
        run = subprocess.run([str(runner)], input=sample.tobytes(), capture_output=True)
        assert run.returncode == 0
        expected = run_program(program, graph, [sample])[program.outputs[0]]
        got = np.frombuffer(run.stdout, dtype[output.dtype])
        assert got.tolist() == expected.ravel().tolist()
