"""LUT-compressed weights in the compiled runtime (``--runtime compiled --compress``).

The filters a clustered model stores as look-up tables are written in TFLM's DECODE
format (byte for byte what tflite-micro's compressor writes for the same tensor), decode
in numpy to the model's own bytes, and the oracle that decodes them computes what the TFLM
interpreter computes on the compressed model (its DECODE operator) bit for bit. The
static plan keeps each decoded filter live during its op only. The generated C over
CMSIS-NN and over ESP-NN decodes them with edgetf's decoder (firmware/edgetf/
edgetf_lut_decode.cc) and equals the oracle; the emitted library passes its self-test."""

from __future__ import annotations

import dataclasses
import io
import subprocess
from math import prod
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from edgetf.base.progress import Reporter
from edgetf.codegen.emit_firmware import build_project
from edgetf.compiled.board_plan import board_luts, board_scratch
from edgetf.compiled.emit_c import emit_c
from edgetf.compiled.emit_esp_nn import emit_esp_nn
from edgetf.compiled.figures import compiled_figures
from edgetf.compiled.lut_weights import DECODER_CODE_BYTES, candidates, choose, lut_weight
from edgetf.compiled.memory_plan import plan_memory
from edgetf.compiled.oracle import run_program
from edgetf.compiled.program import compile_program
from edgetf.compiled.tflm_tensors import tflm_tensors
from edgetf.targets.boards import get_board
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.compression import compression_unavailable, device_model, lut_choices
from edgetf.tflm.interpreter import tflm_available
from tests.compiled import test_emit_c
from tests.compiled.test_compiled_library import (
    GCC,
    GXX,
    STUBS,
    _check,
    _harness,
    _write,
    needs_compilers,
)
from tests.compiled.test_emit_esp_nn import _runner as esp_nn_runner
from tests.compiled.test_emit_esp_nn import kernels  # noqa: F401 (a fixture)
from tests.conftest import SEED
from tests.tiny_models import clustered_cnn


@pytest.fixture(scope="module")
def clustered():
    """The 4-bit clustered CNN and its program with every filter as look-up tables:
    CONV_2D (per channel, axis 0), DEPTHWISE_CONV_2D (per channel, the last axis: the
    alternate axis) and both FULLY_CONNECTED (one table), whether or not each saves
    flash (the small ones do not: the format is what is checked here)."""
    data = clustered_cnn(4)
    model = read_tflite(data)
    program = compile_program(model)
    weights = tuple(lut_weight(model, step.inputs[1], step.op_index)
                    for step in program.steps if step.op in
                    ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"))
    assert None not in weights
    return data, model, dataclasses.replace(program, luts=weights)


def test_tables_decode_to_the_model_bytes_along_each_channel_axis(clustered):
    _, model, program = clustered
    axes = {}
    for weight in program.luts:
        tensor = model.main.tensors[weight.tensor]
        assert weight.bits <= 4 and weight.decode().tobytes() == tensor.data
        assert len(weight.indices) == -(-weight.decoded_bytes * weight.bits // 8)
        axes[model.main.operators[weight.op_index].name] = (weight.axis, weight.alternate_axis)
    assert axes == {"CONV_2D": (0, False), "DEPTHWISE_CONV_2D": (3, True),
                    "FULLY_CONNECTED": (None, False)}
    # A tensor with more than 128 values in a channel is no candidate.
    assert lut_weight(read_tflite(clustered_cnn(8)), program.luts[-2].tensor,
                      program.luts[-2].op_index) is None


@pytest.mark.skipif(compression_unavailable() is not None, reason="no tflite-micro compressor")
def test_the_bytes_are_those_tflite_micros_compressor_writes(clustered):
    """Indices and ancillary data (header and tables) equal the compressor's own for
    the same tensors: the compiled runtime stores TFLM's format."""
    data, model, program = clustered
    ours = {w.tensor: w for w in program.luts}
    choices = [dataclasses.replace(c, reason=None) for c in lut_choices(model)
               if c.tensor in ours]
    assert len(choices) == len(ours)
    device = read_tflite(device_model(data, model, choices).data)
    graph = device.main
    found = 0
    for op in graph.operators:
        if op.custom_code != "TFLM_DECODE":
            continue
        for slot in range(0, len(op.inputs), 2):
            encoded, ancillary = (graph.tensors[op.inputs[slot]],
                                  graph.tensors[op.inputs[slot + 1]])
            decoded = graph.tensors[op.outputs[slot // 2]]
            match = [w for w in program.luts if w.shape == tuple(decoded.shape)]
            assert len(match) == 1
            assert (match[0].indices, match[0].ancillary) == (encoded.data, ancillary.data)
            found += 1
    assert found == len(ours)


@pytest.mark.skipif(not tflm_available() or compression_unavailable() is not None,
                    reason="tflite-micro (interpreter and compressor) not installed")
def test_the_oracle_equals_tflm_running_the_compressed_model(clustered):
    """TFLM's interpreter on the model as ``--compress always`` stores it for TFLM (a
    DECODE operator before each consumer) and the oracle decoding the program's tables
    give the same outputs, bit for bit; and the oracle's every activation equals TFLM's
    on the plain model."""
    data, model, program = clustered
    choices = [dataclasses.replace(c, reason=None) for c in lut_choices(model)
               if c.tensor in {w.tensor for w in program.luts}]
    stored = device_model(data, model, choices).data
    device = read_tflite(stored)
    rng = np.random.default_rng(SEED)
    outputs = []
    for _ in range(3):
        sample = rng.integers(-128, 128, model.main.tensors[program.inputs[0]].shape
                              ).astype(np.int8)
        ours = run_program(program, model.main, [sample])
        compressed = tflm_tensors(stored, [sample])[device.main.outputs[0]]
        assert ours[program.outputs[0]].ravel().tolist() == compressed.ravel().tolist()
        plain = tflm_tensors(data, [sample])
        for step in program.steps:
            out = step.outputs[0]
            assert np.array_equal(ours[out].ravel(), plain[out].ravel()), step.op
        assert not set(ours) & {w.tensor for w in program.luts}  # dead after their op
        outputs.append(ours[program.outputs[0]].ravel())
    assert len(np.unique(np.concatenate(outputs))) > 1


def test_a_decoded_filter_lives_during_its_op_only(clustered):
    _, model, program = clustered
    scratch = board_scratch(model, get_board("nano33ble"))
    plan = plan_memory(model, scratch, decoded=program.decoded())
    blocks = {t: b for b in plan.blocks for t in b.tensors}
    for weight in program.luts:
        block = blocks[weight.tensor]
        assert (block.first, block.last) == (weight.op_index + 1, weight.op_index + 1)
        assert block.size >= weight.decoded_bytes
        for other in plan.blocks:  # nothing live at the same time shares its bytes
            if other is block or other.last < block.first or other.first > block.last:
                continue
            assert (other.offset >= block.offset + block.size
                    or block.offset >= other.offset + other.size)
    # The largest decoded filter, live at its op, is in the lower bound.
    largest = max(program.luts, key=lambda w: w.decoded_bytes)
    assert plan.lower_bound >= largest.decoded_bytes
    assert plan.size >= plan_memory(model, scratch).size


def _compile_and_compare(source: str, model, program, runner, tmp_path: Path) -> None:
    graph = model.main
    src, out = graph.tensors[program.inputs[0]], graph.tensors[program.outputs[0]]
    assert source.count("edgetf::lut::Decode(") == len(program.luts)
    binary = runner(source, prod(src.shape), prod(out.shape), tmp_path)
    rng = np.random.default_rng(SEED)
    for _ in range(3):
        sample = rng.integers(-128, 128, src.shape).astype(np.int8)
        run = subprocess.run([str(binary)], input=sample.tobytes(), capture_output=True)
        assert run.returncode == 0, run.stderr
        expected = run_program(program, graph, [sample])[program.outputs[0]]
        assert np.frombuffer(run.stdout, np.int8).tolist() == expected.ravel().tolist()


@pytest.mark.skipif(GXX is None or GCC is None, reason="no host C/C++ compiler")
def test_the_cmsis_nn_program_decodes_and_computes_what_the_oracle_computes(clustered,
                                                                            tmp_path):
    _, model, program = clustered
    scratch = board_scratch(model, get_board("nano33ble"))
    plan = plan_memory(model, scratch, decoded=program.decoded())
    source = emit_c(program, model.main, plan, scratch, title="lut")
    _compile_and_compare(source, model, program, test_emit_c._compile_runner, tmp_path)


@pytest.mark.skipif(GXX is None or GCC is None, reason="no host C/C++ compiler")
def test_the_esp_nn_program_decodes_and_computes_what_the_oracle_computes(
        clustered, kernels, tmp_path):  # noqa: F811 (the fixture imported above)
    _, model, program = clustered
    scratch = board_scratch(model, get_board("esp32"))
    plan = plan_memory(model, scratch, decoded=program.decoded())
    source = emit_esp_nn(program, model.main, plan, scratch, title="lut", prefix="m")
    _compile_and_compare(source, model, program,
                         lambda *args: esp_nn_runner(*args[:3], kernels, args[3]), tmp_path)


def _arena_of(sizes: dict[int, int], base: int):
    return lambda weights: base + sum(sizes.get(w.tensor, 0) for w in weights)


def test_auto_spends_no_arena_unless_flash_needs_it():
    """``choose`` by mode, with the arena each set of tables would need given: ``auto``
    keeps only tables that leave the arena as it is while the model fits flash; with
    flash short it stores them like ``always``; ``always`` stops at the board's RAM."""
    model = read_tflite(clustered_cnn(4))
    found = candidates(model)
    wide = max(found, key=lambda w: w.decoded_bytes)
    assert wide.saved_bytes > DECODER_CODE_BYTES  # the wide Dense layer is worth a table
    arena = _arena_of({wide.tensor: wide.decoded_bytes}, 1024)
    auto = choose(model, "auto", arena, lambda size: True, flash_fits_plain=True)
    assert auto.weights == ()
    assert any("--compress always would store every table" in d for d in auto.decisions)
    short = choose(model, "auto", arena, lambda size: True, flash_fits_plain=False)
    always = choose(model, "always", arena, lambda size: True, flash_fits_plain=True)
    assert wide in short.weights and short.weights == always.weights
    tight = choose(model, "always", arena, lambda size: size <= 2048, flash_fits_plain=True)
    assert wide not in tight.weights and any("RAM" in d for d in tight.decisions)
    assert choose(model, "off", arena, lambda size: True, flash_fits_plain=False).weights == ()
    # A table that costs no arena is kept by auto too.
    free = choose(model, "auto", _arena_of({}, 1024), lambda size: True,
                  flash_fits_plain=True)
    assert wide in free.weights


def test_board_figures_follow_the_compress_mode():
    """inspect's and tune's compiled arena (figures.py) reads the same choice as emit."""
    model = read_tflite(clustered_cnn(4))
    nano = get_board("nano33ble")
    off, auto, always = (compiled_figures(model, nano, 10_000, compress=mode)
                         for mode in ("off", "auto", "always"))
    assert off.arena_bytes == auto.arena_bytes < always.arena_bytes
    tiny_flash = dataclasses.replace(nano, flash_bytes=60_000)
    scratch = board_scratch(model, nano)
    assert board_luts(model, tiny_flash, scratch, "auto").weights
    assert not board_luts(model, nano, scratch, "auto").weights


@pytest.fixture(scope="module")
def emitted():
    said = io.StringIO()
    result = build_project(clustered_cnn(4), "nano33ble", name="lut", runtime="compiled",
                           compress="always", reporter=Reporter(console=Console(file=said)))
    return result, said.getvalue()


def test_emit_firmware_stores_the_tables_and_the_decoder(emitted):
    result, said = emitted
    spec = result.spec
    names = {Path(p).name for p in result.files}
    assert {"compiled_program.cc", "edgetf_lut_decode.cc", "edgetf_lut_decode.h"} <= names
    assert "edgetf_lut_decode_tflm.cc" not in names
    assert spec.compiled.program.luts and spec.arena.bytes == spec.compiled.arena_bytes
    assert spec.compiled.arena_bytes > spec.compiled.plain_arena_bytes
    assert "each decoded into the arena only while its op runs" in said
    plain = build_project(clustered_cnn(4), "nano33ble", name="lut", runtime="compiled",
                          compress="off")
    assert {Path(p).name for p in plain.files}.isdisjoint({"edgetf_lut_decode.cc"})
    assert spec.compiled.const_bytes < plain.spec.compiled.const_bytes - 20_000


@needs_compilers
def test_the_compressed_library_reproduces_the_golden_vectors(emitted, tmp_path):
    """The library as emitted, built by the host compiler with edgetf's decoder: its
    self-test reproduces the TFLM interpreter's golden vectors with the declared arena,
    and init refuses 16 bytes less."""
    result, _ = emitted
    _write(result.files, tmp_path)
    src = tmp_path / "lib/lut_inferencing/src"
    (tmp_path / "main.cc").write_text(_harness("lut_inferencing", "lut"))
    _check([GCC, "-std=c99", "-O1", "-fwrapv", "-c", f"-I{STUBS}",
            str(STUBS / "reference_kernels.c"), "-o", str(tmp_path / "kernels.o")])
    flags = ["-std=c++17", "-O1", "-fwrapv", "-Wall", "-Wextra", "-Werror", f"-I{STUBS}",
             f"-I{src}"]
    runtime = src / "edgetf/edgetf_compiled_runtime.cc"
    objects = [str(tmp_path / "kernels.o")]
    for source in [tmp_path / "main.cc", STUBS / "reference_ops.cc",
                   *(p for p in sorted(src.rglob("*.cc")) if p != runtime)]:
        objects.append(str(tmp_path / f"{source.name}.o"))
        _check([GXX, *flags, "-c", str(source), "-o", objects[-1]])
    _check([GXX, *flags, str(runtime), *objects, "-o", str(tmp_path / "declared")])
    run = subprocess.run([str(tmp_path / "declared")], capture_output=True, text=True)
    assert run.stdout.strip() == f"self_test 0 arena {result.spec.compiled.plan.size}"
    short = f"-DEDGETF_ARENA_BYTES={result.spec.compiled.arena_bytes - 16}"
    _check([GXX, *flags, short, str(runtime), *objects, "-o", str(tmp_path / "short")])
    run = subprocess.run([str(tmp_path / "short")], capture_output=True, text=True)
    assert run.stdout.strip() == "init -3", run.stdout
