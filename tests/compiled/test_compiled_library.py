"""``emit-firmware --runtime compiled``: the library holds the compiled program instead of
the flatbuffer and TFLM's interpreter, with the same C API and golden vectors.

Where CMSIS-NN is absent (CI), the whole library is compiled by the host's g++ against
the declarations of CMSIS-NN's kernels (cmsis_nn_stubs/) and linked with definitions that
compute TFLM's reference arithmetic (cmsis_nn_stubs/reference_kernels.c, written in
these tests): its ``<name>_self_test()`` must then reproduce the golden vectors the TFLM
interpreter recorded in Python. The ESP boards' library is built the same way against
ESP-NN stand-ins (esp_nn_stubs/). The real kernels were checked on the Cortex-M4 and
ESP32 rigs (docs/compiled-runtime.md)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from edgetf.base.progress import Reporter
from edgetf.cli.app import app
from edgetf.codegen.emit_firmware import build_project
from edgetf.compiled.emitters import compile_library
from edgetf.compiled.memory_plan import plan_memory
from edgetf.targets.boards import get_board
from edgetf.targets.planner.plan import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.reader import read_tflite
from tests.compiled.op_models import op_models
from tests.conftest import error_line, shared_model_path

GXX, GCC = shutil.which("g++"), shutil.which("gcc")
STUBS = Path(__file__).resolve().parent / "cmsis_nn_stubs"
ESP_STUBS = STUBS.parent / "esp_nn_stubs"
CMSIS_INCLUDE = "third_party/cmsis_nn/Include"
needs_compilers = pytest.mark.skipif(GXX is None or GCC is None,
                                     reason="no host C/C++ compiler: the build check needs one")


def _write(files: dict[str, bytes], root: Path) -> None:
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)


def _check(command: list[str]) -> None:
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]


def _harness(library: str, prefix: str) -> str:
    return (f'#include <cstdio>\n#include "{library}.h"\n'
            f"int main() {{\n  const int status = {prefix}_init();\n"
            f'  if (status != EDGETF_OK) {{ std::printf("init %d\\n", status); return 2; }}\n'
            f'  std::printf("self_test %d arena %u\\n", {prefix}_self_test(),\n'
            f"              (unsigned){prefix}_arena_used_bytes());\n  return 0;\n}}\n")


@pytest.fixture(scope="module")
def every_op():
    """Every op, with per-channel Dense weights: CMSIS-NN's kernels and TFLM's reference
    kernel for the per-channel FULLY_CONNECTED (which Chirale's own FULLY_CONNECTED gets
    wrong, so that the TFLM runtime is refused on the nano33ble without --force)."""
    said = io.StringIO()
    result = build_project(op_models()["every_op_per_channel_fc"], "nano33ble", name="every_op",
                           runtime="compiled", reporter=Reporter(console=Console(file=said)))
    return result, said.getvalue()


def test_the_compiled_library_replaces_the_flatbuffer_and_the_interpreter(every_op):
    result, said = every_op
    spec = result.spec
    assert spec.runtime == "compiled" and spec.compiled.kernels == "cmsis-nn"
    names = {Path(p).name for p in result.files}
    assert {"compiled_program.cc", "edgetf_compiled_runtime.cc", "golden_vectors.h",
            "model_metadata.h", "every_op_inferencing.h", "edgetf_demo.cc"} <= names
    assert not names & {"model_data.cc", "model_data.h", "op_resolver.h",
                        "edgetf_runtime.cc", "edgetf_lut_decode_tflm.cc"}
    sources = b"".join(c for p, c in result.files.items() if p.endswith((".cc", ".h")))
    assert b"tensorflow/lite/micro" not in sources  # no interpreter, no TFLM runtime call
    # The arena is the static plan, exactly, and smaller than TFLM's for the same model.
    assert spec.arena.method == "compiled"
    assert spec.arena.bytes == spec.compiled.arena_bytes >= spec.compiled.plan.size
    program = result.files["lib/every_op_inferencing/src/edgetf/compiled_program.cc"].decode()
    assert program.count("reference_integer_ops::FullyConnectedPerChannel(") == 2
    tflm = build_project(op_models()["every_op_per_channel_fc"], "nano33ble", name="every_op",
                         force=True)
    assert spec.arena.bytes < tflm.spec.arena.bytes
    assert spec.golden is not None and spec.golden.count == tflm.spec.golden.count
    assert [a.tolist() for a in spec.golden.outputs] == [
        a.tolist() for a in tflm.spec.golden.outputs]
    assert any(line.startswith("runtime: compiled (cmsis-nn): arena ")
               for line in said.splitlines())


@needs_compilers
def test_the_compiled_library_reproduces_the_golden_vectors(every_op, tmp_path):
    """The library as emitted, built by the host compiler: init succeeds with the
    declared arena and its self-test finds no difference from TFLM's golden vectors;
    16 bytes less than the plan, init refuses."""
    result, _ = every_op
    _write(result.files, tmp_path)
    src = tmp_path / "lib/every_op_inferencing/src"
    (tmp_path / "main.cc").write_text(_harness("every_op_inferencing", "every_op"))
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
    plan = result.spec.compiled.plan.size
    assert run.stdout.strip() == f"self_test 0 arena {plan}", run.stdout
    short = f"-DEDGETF_ARENA_BYTES={result.spec.compiled.arena_bytes - 16}"
    _check([GXX, *flags, short, str(runtime), *objects, "-o", str(tmp_path / "short")])
    run = subprocess.run([str(tmp_path / "short")], capture_output=True, text=True)
    assert run.stdout.strip() == "init -3", run.stdout


def test_an_op_the_kernels_lack_keeps_the_tflm_runtime_naming_it():
    data = shared_model_path("hello_world_float.tflite").read_bytes()
    result = build_project(data, "nano33ble", name="m", runtime="compiled")
    assert result.spec.runtime == "tflm"
    assert "lib/m_inferencing/src/edgetf/model_data.cc" in result.files
    notes = [w for w in result.warnings if w.startswith("--runtime compiled:")]
    assert len(notes) == 1 and "op 0 (FULLY_CONNECTED) takes float32" in notes[0]
    assert notes[0].endswith("this library uses the TFLM runtime")


@pytest.fixture(scope="module")
def esp32_sine():
    data = shared_model_path("hello_world_int8.tflite").read_bytes()
    return build_project(data, "esp32", name="sine", runtime="compiled")


def test_the_esp32_gets_the_compiled_runtime_over_esp_nn(esp32_sine):
    """The ESP-IDF component lists the program among its sources; esp-nn's headers come
    from the esp-nn component the library's manifest depends on."""
    spec = esp32_sine.spec
    assert spec.runtime == "compiled" and spec.compiled.kernels == "esp-nn"
    assert not [w for w in esp32_sine.warnings if w.startswith("--runtime compiled:")]
    lib = "lib/sine_inferencing"
    program = esp32_sine.files[f"{lib}/src/edgetf/compiled_program.cc"].decode()
    assert '#include "esp_nn.h"' in program and "esp_nn_fully_connected_s8(" in program
    assert 'extern "C" int sine_compiled_run(uint8_t *arena)' in program
    listed = esp32_sine.files[f"{lib}/CMakeLists.txt"].decode()
    assert '"src/edgetf/compiled_program.cc"' in listed
    assert '"src/edgetf/edgetf_compiled_runtime.cc"' in listed
    assert "edgetf_runtime.cc" not in listed
    assert "espressif/esp-nn" in esp32_sine.files[f"{lib}/idf_component.yml"].decode()


@pytest.mark.parametrize(("board", "table"), [
    ("esp32", "esp-tflite-micro-1.4.0-esp-nn-esp32"),
    ("esp32s3", "esp-tflite-micro-1.4.0-esp-nn-esp32s3"),
    ("esp32s3-psram", "esp-tflite-micro-1.4.0-esp-nn-esp32s3")])
def test_each_esp_chip_plans_the_scratch_its_esp_nn_asks_for(board, table):
    """The plan's kernel scratch is that of the board's chip (the S3's SIMD convolutions
    ask for scratch the plain ESP32's do not)."""
    model = read_tflite(shared_model_path("person_detect.tflite").read_bytes())
    library = compile_library(model, get_board(board), prefix="m", title="m")
    asked = {u.index: tuple(u.scratch) for u in plan_arena(model, TABLES[table]).ops
             if u.scratch}
    assert library.plan == plan_memory(model, asked)
    assert library.kernels == "esp-nn"


@needs_compilers
def test_the_esp32_compiled_library_reproduces_the_golden_vectors(esp32_sine, tmp_path):
    """The ESP-NN library as emitted, built by the host compiler against the ESP-NN
    stand-ins (esp_nn_stubs/): its self-test finds no difference from TFLM's golden
    vectors with the declared arena; 16 bytes less, init refuses."""
    _write(esp32_sine.files, tmp_path)
    src = tmp_path / "lib/sine_inferencing/src"
    (tmp_path / "main.cc").write_text(_harness("sine_inferencing", "sine"))
    objects = []
    for source, include in ((ESP_STUBS / "esp_nn_reference.c", STUBS / CMSIS_INCLUDE),
                            (STUBS / "reference_kernels.c", STUBS)):
        objects.append(str(tmp_path / f"{source.stem}.o"))
        _check([GCC, "-std=c99", "-O1", "-fwrapv", "-c", f"-I{ESP_STUBS}", f"-I{include}",
                str(source), "-o", objects[-1]])
    flags = ["-std=c++17", "-O1", "-fwrapv", "-Wall", "-Wextra", "-Werror", f"-I{ESP_STUBS}",
             f"-I{src}"]
    runtime = src / "edgetf/edgetf_compiled_runtime.cc"
    for source in [tmp_path / "main.cc", *(p for p in sorted(src.rglob("*.cc"))
                                           if p != runtime)]:
        objects.append(str(tmp_path / f"{source.name}.o"))
        _check([GXX, *flags, "-c", str(source), "-o", objects[-1]])
    compiled = esp32_sine.spec.compiled
    for name, defines, expected in (
            ("declared", [], f"self_test 0 arena {compiled.plan.size}"),
            ("short", [f"-DEDGETF_ARENA_BYTES={compiled.arena_bytes - 16}"], "init -3")):
        _check([GXX, *flags, *defines, str(runtime), *objects, "-o", str(tmp_path / name)])
        run = subprocess.run([str(tmp_path / name)], capture_output=True, text=True)
        assert run.stdout.strip() == expected, run.stdout


def test_the_cli_flag(tmp_path):
    model = shared_model_path("hello_world_int8.tflite")
    runner = CliRunner()
    bad = runner.invoke(app, ["emit-firmware", "--model", str(model), "--board", "nano33ble",
                              "--out", str(tmp_path / "bad"), "--runtime", "fast"])
    assert bad.exit_code == 2 and "--runtime 'fast' is not one of tflm, compiled, auto" in \
        error_line(bad)
    assert not (tmp_path / "bad").exists()
    good = runner.invoke(app, ["emit-firmware", "--model", str(model), "--board", "nano33ble",
                               "--out", str(tmp_path / "fw"), "--runtime", "compiled"])
    assert good.exit_code == 0, good.output
    assert "runtime: compiled (cmsis-nn): arena " in good.output
    assert "compiled runtime" in good.output
    program = tmp_path / "fw/lib/hello_world_int8_inferencing/src/edgetf"
    assert (program / "compiled_program.cc").is_file()
    assert not (program / "model_data.cc").exists()


def test_the_python_api_option(tmp_path):
    import edgetf
    from edgetf.base.errors import ConfigError

    model = shared_model_path("hello_world_int8.tflite")
    with pytest.raises(ConfigError, match=r"runtime='fast' is not one of tflm, compiled, auto"):
        edgetf.emit_firmware(model, board="nano33ble", out=tmp_path / "bad", runtime="fast")
    firmware = edgetf.emit_firmware(model, board="nano33ble", out=tmp_path / "fw",
                                    runtime="compiled")
    assert firmware.runtime == "compiled"
    assert firmware.arena_bytes == firmware.result.spec.compiled.arena_bytes
    assert "lib/hello_world_int8_inferencing/src/edgetf/compiled_program.cc" in firmware.files


@pytest.mark.parametrize("board", ["nano33ble", "esp32", "esp32s3"])
def test_inspect_shows_the_arena_emit_firmware_declares(board):
    """One number, two commands: inspect's compiled arena is the arena the compiled
    library declares, and the fit emit-firmware checks uses it."""
    from edgetf.analyze.inspect import inspect_file

    path = shared_model_path("person_detect.tflite")
    shown = inspect_file(path, boards=(board,)).compiled[board]
    emitted = build_project(path.read_bytes(), board, name="person", runtime="compiled",
                            golden=0).spec
    assert emitted.runtime == "compiled"
    assert shown.arena_bytes == emitted.arena.bytes
    assert emitted.footprint.arena_bytes == emitted.arena.bytes < shown.tflm_arena_bytes
