"""emit-firmware: the checks, the files it writes, and the C++ they hold.

Generated code is compiled by the host's g++ wherever TFLM is not needed: the model
array is written back byte for byte, the headers compile as C++17 (and the public ones
as C), and a small program prints the golden vectors and labels exactly as the firmware
sees them, to compare with the TFLM and LiteRT interpreters run here.
"""

from __future__ import annotations

import configparser
import os
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from edgetf.base.errors import FirmwareError, TfliteFormatError
from edgetf.codegen.emit_firmware import EmitOptions, build_project, emit_firmware
from edgetf.codegen.golden import MAX_GOLDEN_BYTES
from edgetf.codegen.project import generate_project, partition_plan
from edgetf.targets.board_arena import arena_place
from edgetf.targets.boards import BOARDS, get_board
from edgetf.targets.planner import REFERENCE_64, plan_arena
from edgetf.tflite.ops import tflm_method
from edgetf.tflite.quantization import quantize
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import run_tflm
from tests.tiny_models import tiny_models

GXX = shutil.which("g++")
GCC = shutil.which("gcc")
MODELS = ("cnn", "residual", "lstm")
#: Other ways users' models are quantized: one scale per weight tensor (older
#: converters), and int16 activations with int8 weights.
VARIANTS = ("per_tensor", "int16x8")


@pytest.fixture(scope="module")
def models():
    return tiny_models()


@pytest.fixture(scope="module")
def projects(models):
    """(model, board) -> EmitResult for the three int8 models on every board."""
    return {(name, board): build_project(models[name], board, name=name,
                                         model_file=f"{name}.tflite",
                                         labels=("zero", "one", "two", "three", "four"))
            for name in MODELS for board in BOARDS}


def _compile(args: list[str], compiler: str | None = GXX) -> None:
    """Run the host compiler; on failure, fail the test with its message."""
    assert compiler, "the host C/C++ compiler is needed for these checks"
    result = subprocess.run([compiler, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _write(files: dict[str, bytes], root) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _library_src(result) -> str:
    return f"lib/{result.spec.library}/src"


# --- what is emitted -----------------------------------------------------------------


@pytest.mark.parametrize("board", list(BOARDS))
def test_project_layout_per_framework(projects, board):
    files = projects[("cnn", board)].files
    lib = "lib/cnn_inferencing"
    common = {"platformio.ini", "README.md", ".gitignore", "src/main.cpp",
              f"{lib}/library.properties", f"{lib}/src/cnn_inferencing.h",
              *(f"{lib}/src/edgetf/{name}" for name in (
                  "edgetf.h", "edgetf_library.h", "edgetf_runtime.cc", "edgetf_demo.cc",
                  "edgetf_lut_decode.h", "edgetf_lut_decode.cc", "edgetf_lut_decode_tflm.h",
                  "edgetf_lut_decode_tflm.cc", "edgetf_signal.h", "edgetf_signal.cc",
                  "edgetf_signal_tflm.h", "edgetf_signal_tflm.cc", "edgetf_impulse.h",
                  "edgetf_impulse.cc", "edgetf_recognize.h", "model_types.h", "model_data.h",
                  "model_data.cc", "model_metadata.h", "op_resolver.h", "golden_vectors.h"))}
    espidf = {"CMakeLists.txt", "src/CMakeLists.txt", "src/idf_component.yml",
              "sdkconfig.defaults", f"{lib}/CMakeLists.txt", f"{lib}/idf_component.yml"}
    expected = common | espidf if BOARDS[board].framework.id == "espidf" else common
    assert set(files) == expected


@pytest.mark.parametrize("board", list(BOARDS))
def test_platformio_ini_has_the_boards_keys(projects, board):
    spec = BOARDS[board]
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(projects[("cnn", board)].files["platformio.ini"].decode())
    assert ini["platformio"]["default_envs"] == board
    env = ini[f"env:{board}"]
    assert env["platform"] == spec.platformio_platform
    assert env["board"] == spec.platformio_board
    assert env["framework"] == spec.framework.id
    assert env["monitor_speed"] == "115200"
    if spec.framework.id == "arduino":
        assert env["lib_deps"].split() == ["spaziochirale/Chirale_TensorFLowLite@2.0.0"]
        assert "EDGETF_HAVE_STD_CHRONO=0" in env["build_flags"]
    else:
        assert env["lib_ignore"] == "cnn_inferencing"
        assert "lib_deps" not in env and "board_build.partitions" not in env


@pytest.mark.parametrize("board", ["esp32", "esp32s3", "esp32s3-psram"])
def test_esp_idf_files_pin_esp_tflite_micro_and_esp_nn(projects, board):
    """The versions the arena plan holds for: a later esp-nn changed scratch sizes."""
    files = projects[("cnn", board)].files
    for manifest in ("src/idf_component.yml", "lib/cnn_inferencing/idf_component.yml"):
        assert yaml.safe_load(files[manifest]) == {
            "dependencies": {"espressif/esp-tflite-micro": "1.4.0", "espressif/esp-nn": "1.2.3"}}
    readme = files["README.md"].decode()
    assert "espressif/esp-tflite-micro 1.4.0 with espressif/esp-nn 1.2.3" in readme
    top = files["CMakeLists.txt"].decode()
    assert 'list(APPEND EXTRA_COMPONENT_DIRS "${CMAKE_CURRENT_LIST_DIR}/lib/cnn_inferencing")' \
        in top
    assert top.index("EXTRA_COMPONENT_DIRS") < top.index("project.cmake")
    component = files["lib/cnn_inferencing/CMakeLists.txt"].decode()
    sources = re.findall(r'"(src/[^"]+\.cc)"', component)
    assert sorted(sources) == sorted(
        path.removeprefix("lib/cnn_inferencing/") for path in files
        if path.startswith("lib/cnn_inferencing/src/") and path.endswith(".cc"))
    assert "app_main" in files["src/main.cpp"].decode()
    # edgetf.targets.latency's estimates assume the clock this sets.
    assert "CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240=y" in files["sdkconfig.defaults"].decode()


def test_arduino_main_includes_the_tflm_library_header(projects):
    main = projects[("cnn", "nano33ble")].files["src/main.cpp"].decode()
    assert "#include <Chirale_TensorFlowLite.h>" in main
    assert "void setup()" in main and "void loop()" in main
    props = projects[("cnn", "nano33ble")].files[
        "lib/cnn_inferencing/library.properties"].decode()
    fields = dict(line.split("=", 1) for line in props.splitlines())
    assert fields["name"] == "cnn_inferencing"
    assert fields["includes"] == "cnn_inferencing.h"
    assert fields["depends"] == "Chirale_TensorFLowLite"


@pytest.mark.parametrize("name", MODELS)
def test_resolver_holds_exactly_the_models_ops(projects, models, name):
    result = projects[(name, "esp32")]
    resolver = result.files[f"{_library_src(result)}/edgetf/op_resolver.h"].decode()
    ops = read_tflite(models[name]).op_names()
    added = re.findall(r"resolver\.(Add\w+)\(\)", resolver)
    assert sorted(added) == sorted(tflm_method(op) for op in ops)
    assert len(added) == len(set(added))
    assert f"constexpr int kOpCount = {len(ops)};" in resolver
    assert "MicroMutableOpResolver<kOpCount>" in resolver
    assert "AllOpsResolver" not in resolver and "ErrorReporter" not in resolver


def test_portable_sources_include_only_tflm_and_the_standard_library(projects):
    files = projects[("cnn", "esp32")].files
    for path, content in files.items():
        if "/src/" not in path or not path.startswith("lib/"):
            continue
        for quote, header in re.findall(r'#include\s+([<"])([^>"]+)[>"]', content.decode()):
            # The library's own files are included by paths relative to the including
            # file, so that each library finds its own copy when several are on the
            # include path (several models in one firmware).
            own = posixpath.normpath(posixpath.join(posixpath.dirname(path), header))
            # front_end_*.h: generated only for a library with a front end (edgetf_impulse.cc
            # includes them under EDGETF_HAS_FRONT_END; tests/codegen/test_impulse.py).
            assert (header.startswith("tensorflow/lite/") or (quote == '"' and own in files)
                    or header in ("front_end_metadata.h", "front_end_resolver.h")
                    or re.fullmatch(r"c[a-z]+|[a-z]+\.h|new|limits|chrono", header)), (
                f"{path} includes {header}")
            assert header not in ("Arduino.h", "esp_timer.h")


def test_model_array_round_trips_through_gxx(projects, models, tmp_path):
    result = projects[("lstm", "nano33ble")]
    _write(result.files, tmp_path)
    src = tmp_path / _library_src(result)
    (tmp_path / "dump.cc").write_text(
        '#include <cstdio>\n#include <cstdint>\n#include "edgetf/model_data.h"\n'
        "int main(int, char** argv) {\n"
        "  if (reinterpret_cast<std::uintptr_t>(EDGETF_MODEL_ARRAY) % 16 != 0) return 3;\n"
        '  std::FILE* f = std::fopen(argv[1], "wb");\n'
        "  std::fwrite(EDGETF_MODEL_ARRAY, 1, EDGETF_MODEL_ARRAY_LEN, f);\n"
        "  return std::fclose(f);\n}\n")
    binary = tmp_path / "dump"
    _compile(["-std=c++17", "-Wall", "-Werror", f"-I{src}", str(tmp_path / "dump.cc"),
              str(src / "edgetf/model_data.cc"), "-o", str(binary)])
    subprocess.run([str(binary), str(tmp_path / "back.tflite")], check=True)
    # The array is the device model (names TFLM never reads dropped); --compress off
    # stores the .tflite itself, byte for byte.
    assert (tmp_path / "back.tflite").read_bytes() == result.spec.model_bytes
    assert len(result.spec.model_bytes) < len(models["lstm"])


@pytest.mark.parametrize("board", list(BOARDS))
def test_headers_that_do_not_need_tflm_compile(projects, tmp_path, board):
    result = projects[("residual", board)]
    _write(result.files, tmp_path)
    src = tmp_path / _library_src(result)
    for header in ("edgetf/edgetf.h", "edgetf/edgetf_library.h", "edgetf/model_types.h",
                   "edgetf/model_data.h", "edgetf/model_metadata.h",
                   "edgetf/golden_vectors.h", "residual_inferencing.h"):
        _compile(["-std=c++17", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only",
                  f"-I{src}", "-x", "c++", str(src / header)])
    for header in ("edgetf/edgetf.h", "residual_inferencing.h"):
        _compile(["-std=c99", "-Wall", "-pedantic", "-Werror", "-fsyntax-only", f"-I{src}",
                  "-x", "c", str(src / header)], compiler=GCC)


_PRINT_GOLDEN = r"""
#include <cstdio>
#include "edgetf/golden_vectors.h"
#include "edgetf/model_metadata.h"
using namespace edgetf;
static void print(const GoldenTensor& t, const TensorSpec& spec, int count) {
  for (std::size_t i = 0; i < t.elements * count; ++i) {
    if (spec.type == EDGETF_INT8) std::printf("%d ", static_cast<const int8_t*>(t.data)[i]);
    else if (spec.type == EDGETF_INT16) std::printf("%d ", static_cast<const int16_t*>(t.data)[i]);
    else std::printf("%.9g ", static_cast<const float*>(t.data)[i]);
  }
  std::printf("\n");
}
int main() {
  for (std::size_t i = 0; i < metadata::kInputCount; ++i)
    print(golden::kInputs[i], metadata::kInputs[i], golden::kVectorCount);
  for (std::size_t i = 0; i < metadata::kOutputCount; ++i)
    print(golden::kOutputs[i], metadata::kOutputs[i], golden::kVectorCount);
  for (std::size_t i = 0; i < metadata::kLabelCount; ++i) {
    std::fputs(metadata::kLabels[i], stdout);
    std::fputc(0, stdout);
  }
  return 0;
}
"""


def _golden_as_compiled(result, tmp_path) -> tuple[list[np.ndarray], list[str]]:
    """The golden vectors and labels as a compiled program reads them from the headers."""
    _write(result.files, tmp_path)
    src = tmp_path / _library_src(result)
    (tmp_path / "golden.cc").write_text(_PRINT_GOLDEN)
    binary = tmp_path / "golden"
    _compile(["-std=c++17", "-Wall", "-Werror", f"-I{src}", str(tmp_path / "golden.cc"),
              "-o", str(binary)])
    out = subprocess.run([str(binary)], check=True, capture_output=True).stdout
    lines = out.split(b"\n")
    tensor_count = len(result.spec.model.input_tensors()) + len(result.spec.model.output_tensors())
    arrays = [np.array(line.split(), dtype=np.float64) for line in lines[:tensor_count]]
    labels = b"\n".join(lines[tensor_count:]).split(b"\0")[:-1]
    return arrays, [label.decode("utf-8") for label in labels]


@pytest.mark.parametrize("name", MODELS + VARIANTS)
def test_golden_vectors_are_tflm_outputs_and_agree_with_litert(projects, models, name,
                                                              tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    result = projects.get((name, "nano33ble")) or build_project(models[name], "esp32",
                                                                  name=name)
    model = read_tflite(models[name])
    dtype = np.dtype(model.input_tensors()[0].dtype)
    arrays, _ = _golden_as_compiled(result, tmp_path)
    count = result.spec.golden.count
    assert count == 3
    inputs = arrays[0].astype(dtype).reshape((count, *model.input_tensors()[0].shape))
    expected = arrays[1].astype(dtype).reshape(count, -1)
    tflm = run_tflm(models[name], inputs, reset_between=True)[0].reshape(count, -1)
    np.testing.assert_array_equal(expected, tflm)
    # LiteRT's builtin kernels (no XNNPACK): within one quantization step of TFLM's.
    interpreter = Interpreter(model_content=models[name],
                              experimental_op_resolver_type=_builtin_resolver())
    interpreter.allocate_tensors()
    for vector in range(count):
        interpreter.reset_all_variables()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], inputs[vector])
        interpreter.invoke()
        litert = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        difference = np.abs(litert.reshape(-1).astype(int) - expected[vector].astype(int))
        assert difference.max() <= 1, (name, vector, difference)


def _builtin_resolver():
    from ai_edge_litert.interpreter import OpResolverType

    return OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES


def test_golden_inputs_from_samples_are_quantized_like_the_firmware(models):
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(5, 12, 12, 1)).astype(np.float32)
    result = build_project(models["cnn"], "esp32", name="cnn", samples=samples, golden=2)
    tensor = read_tflite(models["cnn"]).input_tensors()[0]
    golden = result.spec.golden.inputs[0]
    assert golden.shape == (2, *tensor.shape)
    np.testing.assert_array_equal(golden, quantize(samples[:2].reshape(golden.shape), tensor))
    assert "test samples" in result.spec.golden.source


def test_golden_vectors_are_capped_in_size(models):
    result = build_project(models["cnn"], "esp32", name="cnn", golden=10_000)
    assert 1 <= result.spec.golden.count < 10_000
    assert result.spec.golden.nbytes <= MAX_GOLDEN_BYTES


def test_no_golden_vector_larger_than_any_flash_is_made(models):
    """A shape can claim 2 GB for an input; one vector is kept only while it could fit."""
    import dataclasses

    from edgetf.codegen.golden import MAX_VECTOR_BYTES, golden_count

    model = read_tflite(models["cnn"])
    graph = model.main
    tensors = list(graph.tensors)

    def with_input(shape):
        tensors[graph.inputs[0]] = dataclasses.replace(tensors[graph.inputs[0]], shape=shape)
        return dataclasses.replace(model, subgraphs=(dataclasses.replace(
            graph, tensors=tuple(tensors)),))

    assert golden_count(with_input((1, 1024, 1024, 4)), 3) == 1  # 4 MB: one vector
    assert golden_count(with_input((1, 4096, 4096, 1)), 3) == 0  # 16 MB: none
    assert MAX_VECTOR_BYTES == 8 * 1024 * 1024


def test_without_a_golden_vector_the_project_says_why(models, monkeypatch):
    monkeypatch.setattr("edgetf.targets.firmware_contract.MAX_VECTOR_BYTES", 100)  # cnn: 149 bytes
    result = build_project(models["cnn"], "esp32", name="cnn")
    assert result.spec.golden is None
    assert any(w.startswith("no golden vectors: one vector would take 149 bytes")
               for w in result.warnings), result.warnings
    header = result.files[f"{_library_src(result)}/edgetf/golden_vectors.h"].decode()
    assert "one vector would take 149 bytes" in header


_AWKWARD_LABELS = ('say "hi"', "back\\slash", "*/ comment", "??= trigraph", "two\nlines",
                   "caf\u00e9 \U0001F600", "int", "", "return", "_Bool", "class", "/* open",
                   "// line", "??/", "trailing \\", "#define int char", "%s%n", "tab\there",
                   "cr\r", "\x01\x7f", "\u202e bidi", "\U0001F1FA\U0001F1F8 flag")
#: Library names as --name may give them: C and C++ keywords, emoji, comment and
#: trigraph openers, a name that would start with a digit or be empty.
_AWKWARD_NAMES = ("int", "return", "_Bool", "class", "main", "caf\u00e9 \U0001F600",
                  "*/ x ??= y", "1st model", "\U0001F600")


def test_labels_survive_escaping_into_compiled_c(models, tmp_path):
    labels = _AWKWARD_LABELS
    result = build_project(models["cnn"], "nano33ble", name="cnn", labels=labels)
    _, compiled = _golden_as_compiled(result, tmp_path)
    assert compiled == list(labels)


@pytest.mark.parametrize("name", _AWKWARD_NAMES)
def test_awkward_names_and_labels_give_headers_that_compile_as_c99_and_cxx17(
        models, tmp_path, name):
    result = build_project(models["residual"], "esp32", name=name,
                           labels=_AWKWARD_LABELS[:3])
    library = result.spec.library
    assert re.fullmatch(r"[a-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*_inferencing", library), library
    _write(result.files, tmp_path)
    src = tmp_path / _library_src(result)
    for header in (f"{library}.h", "edgetf/model_metadata.h", "edgetf/model_data.h",
                   "edgetf/golden_vectors.h"):
        _compile(["-std=c++17", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only",
                  f"-I{src}", "-x", "c++", str(src / header)])
    _compile(["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only",
              f"-I{src}", "-x", "c", str(src / f"{library}.h")], compiler=GCC)
    _compile(["-std=c++17", "-Wall", "-Werror", "-c", f"-I{src}", "-o",
              str(tmp_path / "model_data.o"), str(src / "edgetf/model_data.cc")])


def test_names_become_c_identifiers(models):
    result = build_project(models["residual"], "esp32", name="my model-v2.0 (final)")
    assert result.spec.library == "my_model_v2_0_final_inferencing"
    assert "lib/my_model_v2_0_final_inferencing/src/my_model_v2_0_final_inferencing.h" \
        in result.files
    assert b"my_model_v2_0_final_model[]" in result.files[
        "lib/my_model_v2_0_final_inferencing/src/edgetf/model_data.cc"]


def test_metadata_holds_shapes_scales_arena_and_hash(projects, models):
    import hashlib

    result = projects[("cnn", "esp32")]
    metadata = result.files[f"{_library_src(result)}/edgetf/model_metadata.h"].decode()
    model = read_tflite(models["cnn"])
    tensor = model.input_tensors()[0]
    assert f"kInput0Dims[] = {{{', '.join(map(str, tensor.shape))}}};" in metadata
    scale = re.search(r'kInputs\[\] = \{\n    \{"[^"]*", EDGETF_INT8, 4, kInput0Dims, 144, 144, '
                      r"([^,]+)f, (-?\d+)\}", metadata)
    assert scale, metadata
    assert np.float32(scale.group(1)) == np.float32(tensor.quantization.scales[0])
    assert int(scale.group(2)) == tensor.quantization.zero_points[0]
    assert hashlib.sha256(result.spec.model_bytes).hexdigest() in metadata
    arena = result.spec.arena
    assert f"#define EDGETF_ARENA_BYTES {arena.bytes}\n" in metadata
    assert arena.host_method == "measured" and arena.bytes > arena.needed_bytes
    assert '"0.1.0"' in metadata or "kEdgetfVersion" in metadata


@pytest.mark.parametrize("board", list(BOARDS))
def test_every_project_carries_the_edgetf_version_and_the_model_hash(projects, models, board):
    import hashlib

    from edgetf._version import __version__

    result = projects[("cnn", board)]
    digest = hashlib.sha256(result.spec.model_bytes).hexdigest()
    files = {path: content.decode() for path, content in result.files.items()}
    src = _library_src(result)
    metadata = files[f"{src}/edgetf/model_metadata.h"]
    assert f'kEdgetfVersion[] = "{__version__}";' in metadata
    assert f'kModelSha256[] = "{digest}";' in metadata
    assert "md::kModelSha256" in files[f"{src}/edgetf/edgetf_demo.cc"]  # printed at boot
    assert f"edgetf {__version__}" in files["README.md"] and digest in files["README.md"]
    assert f"version={__version__}\n" in files[f"lib/{result.spec.library}/library.properties"]
    for path in ("platformio.ini", "src/main.cpp", f"{src}/{result.spec.library}.h"):
        assert f"Generated by edgetf {__version__}" in files[path], path


# --- the checks -----------------------------------------------------------------------


def test_hybrid_model_is_refused_with_the_fix(models):
    with pytest.raises(FirmwareError, match=r"hybrid.*FULLY_CONNECTED.*full-int8"):
        build_project(models["hybrid"], "esp32", name="h", model_file="h.tflite")


def test_int16x8_model_is_emitted_with_int16_tensors_and_a_warning(models):
    result = build_project(models["int16x8"], "esp32", name="q16")
    assert result.spec.compatibility.quantization == "int16x8"
    assert any("int16x8 model" in warning for warning in result.warnings)
    assert any("int16x8 quantization on the esp32" in warning
               for warning in result.warnings)
    metadata = result.files["lib/q16_inferencing/src/edgetf/model_metadata.h"].decode()
    assert "EDGETF_INT16, 4, kInput0Dims, 144, 288," in metadata
    assert "int16_t kInput0[]" in result.files[
        "lib/q16_inferencing/src/edgetf/golden_vectors.h"].decode()


def test_int16x8_per_channel_fully_connected_is_refused_for_cmsis_nn(models):
    with pytest.raises(FirmwareError, match=r"FULLY_CONNECTED \(op \d+\) has int16 input with "
                       r"per-channel weights.*CMSIS-NN.*--force"):
        build_project(models["int16x8"], "nano33ble", name="q16", model_file="q16.tflite")
    forced = build_project(models["int16x8"], "nano33ble", name="q16", force=True)
    assert any("CMSIS-NN" in warning for warning in forced.warnings)


def test_without_tflm_the_host_arena_is_planned_and_there_are_no_golden_vectors(
        models, monkeypatch, tmp_path):
    import edgetf.targets.prepared
    import edgetf.targets.verdict
    import edgetf.tflm.interpreter

    # The one switch the code reads; nothing else is replaced.
    monkeypatch.setattr(edgetf.tflm.interpreter, "tflm_available", lambda: False)
    monkeypatch.setattr(edgetf.targets.prepared, "tflm_available", lambda: False)
    monkeypatch.setattr(edgetf.targets.verdict, "tflm_available", lambda: False)
    result = build_project(models["cnn"], "esp32", name="cnn")
    arena = result.spec.arena
    # The planner's reference-64 figure stands in for the interpreter's measurement.
    assert arena.host_method == "planned" and result.spec.golden is None
    assert arena.host_bytes == plan_arena(read_tflite(models["cnn"]), REFERENCE_64).total
    assert sum("tflite-micro is not installed" in w for w in result.warnings) == 1
    src = tmp_path / "lib/cnn_inferencing/src"
    _write(result.files, tmp_path)
    metadata = (src / "edgetf/model_metadata.h").read_text()
    assert f'kArenaMethod[] = "{arena.method}"' in metadata
    assert "constexpr int kGoldenVectorCount = 0;" in metadata
    _compile(["-std=c++17", "-Wall", "-Werror", "-fsyntax-only", f"-I{src}", "-x", "c++",
              str(src / "edgetf/golden_vectors.h")])


def test_float_model_is_emitted_with_a_warning(models):
    result = build_project(models["float"], "esp32", name="f")
    assert any("float model" in warning for warning in result.warnings)
    metadata = result.files["lib/f_inferencing/src/edgetf/model_metadata.h"].decode()
    assert "EDGETF_FLOAT32" in metadata


def test_a_float_model_beside_model_tflite_names_the_int8_one(models, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model_float.tflite").write_bytes(models["float"])
    (run / "model.tflite").write_bytes(models["cnn"])
    result = emit_firmware(EmitOptions(board="esp32", out=tmp_path / "fw",
                                       model=run / "model_float.tflite", golden=0))
    hints = [w for w in result.warnings if "beside it" in w]
    assert len(hints) == 1 and f"--model {run / 'model.tflite'}" in hints[0], result.warnings
    alone = emit_firmware(EmitOptions(board="esp32", out=tmp_path / "fw2",
                                      model=run / "model.tflite", golden=0))
    assert not any("beside it" in w for w in alone.warnings)


@pytest.fixture(scope="module")
def custom_and_flex_models():
    """A model with a custom op, one with a Flex op, and one with TOPK_V2 (no TFLM kernel)."""
    from edgetf.base.tf_import import import_tf

    tf, _ = import_tf()

    def convert(fn, allow_custom_ops=False, flex=False):
        concrete = tf.function(fn).get_concrete_function(tf.TensorSpec([1, 8], tf.float32))
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
        converter.allow_custom_ops = allow_custom_ops
        if flex:
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS,
                                                   tf.lite.OpsSet.SELECT_TF_OPS]
        return converter.convert()

    return {
        "custom": convert(lambda x: tf.math.cumprod(x, axis=1) + 1.0, allow_custom_ops=True),
        "flex": convert(lambda x: tf.math.cumprod(x, axis=1) + 1.0, flex=True),
        "topk": convert(lambda x: tf.math.top_k(x, k=3).values),
    }


@pytest.mark.parametrize(("kind", "listed"), [
    ("custom", "CUSTOM:Cumprod"), ("flex", "CUSTOM:FlexCumprod"), ("topk", "TOPK_V2")])
def test_ops_without_a_tflm_kernel_are_refused_and_listed(custom_and_flex_models, kind, listed):
    with pytest.raises(FirmwareError, match=rf"ops TFLM cannot run: .*{re.escape(listed)}"):
        build_project(custom_and_flex_models[kind], "esp32", name=kind)


@pytest.mark.parametrize("data", [b"", b"TFL3" * 3, b"not a model at all, just text\n"])
def test_unreadable_files_are_refused(data):
    with pytest.raises(TfliteFormatError):
        build_project(data, "esp32", name="x", model_file="x.tflite")


def test_truncated_model_is_refused(models):
    with pytest.raises(TfliteFormatError, match="x.tflite"):
        build_project(models["cnn"][: len(models["cnn"]) // 2], "esp32", name="x",
                      model_file="x.tflite")


@pytest.fixture(scope="module")
def large_model():
    """About 1.1 MB of int8 weights: over the Nano's flash, over ESP-IDF's 1 MB app."""
    from edgetf.base.tf_import import import_tf
    from tests.tiny_models import convert

    tf, keras = import_tf()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((1100,)), keras.layers.Dense(1000),
                              keras.layers.Dense(4)])
    calibration = np.random.default_rng(0).normal(size=(8, 1100)).astype(np.float32)
    return convert(tf, model, calibration)


def test_model_too_large_for_the_board_is_refused_with_the_numbers(large_model):
    with pytest.raises(FirmwareError, match=r"does not fit the Arduino Nano 33 BLE .*flash "
                       r"\d+ of 983040 bytes .*--force"):
        build_project(large_model, "nano33ble", name="big", model_file="big.tflite")


def test_force_emits_a_model_that_does_not_fit_with_a_warning(large_model):
    result = build_project(large_model, "nano33ble", name="big", force=True)
    assert any("does not fit" in warning and "--force" in warning for warning in result.warnings)
    assert "does not fit" in result.files["README.md"].decode()


def test_large_app_on_esp32_gets_a_partition_table(large_model):
    result = build_project(large_model, "esp32", name="big")
    csv = result.files["partitions.csv"].decode()
    assert "factory,  app,  factory, 0x10000, 0x3F0000," in csv
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(result.files["platformio.ini"].decode())
    assert ini["env:esp32"]["board_build.partitions"] == "partitions.csv"
    assert ini["env:esp32"]["board_upload.flash_size"] == "4MB"
    sdkconfig = result.files["sdkconfig.defaults"].decode()
    assert "CONFIG_PARTITION_TABLE_CUSTOM=y" in sdkconfig
    assert "CONFIG_ESPTOOLPY_FLASHSIZE_4MB=y" in sdkconfig


def test_partition_plan_only_beyond_the_default_app_partition():
    esp32 = get_board("esp32")
    assert partition_plan(esp32, 1024 * 1024) is None
    assert partition_plan(esp32, 1024 * 1024 + 1)["app_size"] == 0x3F0000
    assert partition_plan(get_board("esp32s3"), 2 * 1024 * 1024)["app_size"] == 0x7F0000
    assert partition_plan(get_board("nano33ble"), 900_000) is None


def test_large_arena_on_esp32_goes_on_the_heap(projects):
    esp32 = get_board("esp32")
    assert arena_place(esp32, 98_304) == ("static", "")
    place, reason = arena_place(esp32, 98_320)
    assert place == "heap" and "98320 bytes is more than the 98304 bytes of static DRAM" in reason
    assert arena_place(get_board("esp32s3"), 300_000)[0] == "static"
    spec = projects[("cnn", "esp32")].spec
    from dataclasses import replace

    large = replace(spec.arena, bytes=122_880, place=place, place_reason=reason)
    files = generate_project(replace(spec, arena=large))
    metadata = files["lib/cnn_inferencing/src/edgetf/model_metadata.h"].decode()
    assert "#define EDGETF_ARENA_ON_HEAP 1\n" in metadata


# --- writing ---------------------------------------------------------------------------


def test_emit_is_deterministic(models, tmp_path):
    (tmp_path / "m.tflite").write_bytes(models["lstm"])
    trees = []
    for out in ("a", "b"):
        emit_firmware(EmitOptions(board="esp32", out=tmp_path / out, model=tmp_path / "m.tflite"))
        trees.append({path.relative_to(tmp_path / out).as_posix(): path.read_bytes()
                      for path in sorted((tmp_path / out).rglob("*")) if path.is_file()})
    assert trees[0] == trees[1]
    # 22 + the four edgetf_lut_decode*, four edgetf_signal* and three impulse files
    assert len(trees[0]) == 33


def test_existing_output_is_untouched_without_force(models, tmp_path):
    (tmp_path / "m.tflite").write_bytes(models["cnn"])
    out = tmp_path / "fw"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    from edgetf.base.errors import ConfigError

    with pytest.raises(ConfigError, match="not empty.*--force"):
        emit_firmware(EmitOptions(board="esp32", out=out, model=tmp_path / "m.tflite"))
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    emit_firmware(EmitOptions(board="esp32", out=out, model=tmp_path / "m.tflite", force=True))
    assert not (out / "keep.txt").exists() and (out / "platformio.ini").is_file()


def test_failed_emit_leaves_nothing_behind(models, tmp_path):
    (tmp_path / "h.tflite").write_bytes(models["hybrid"])
    with pytest.raises(FirmwareError):
        emit_firmware(EmitOptions(board="esp32", out=tmp_path / "fw", model=tmp_path / "h.tflite"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.tflite"]


def test_emit_firmware_never_imports_tensorflow(models, tmp_path):
    (tmp_path / "m.tflite").write_bytes(models["cnn"])
    script = (
        "import sys\n"
        "from edgetf.cli.app import main\n"
        f"sys.argv = ['edgetf', '-q', 'emit-firmware', '--model', {str(tmp_path / 'm.tflite')!r},"
        f" '--board', 'nano33ble', '--out', {str(tmp_path / 'fw')!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = [m for m in sys.modules\n"
        "         if m.split('.')[0] in ('tensorflow', 'tf_keras', 'keras')]\n"
        "assert not heavy, heavy\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path)
    assert (tmp_path / "fw" / "platformio.ini").is_file()


# --- the command ------------------------------------------------------------------------


def _cli(*args):
    from typer.testing import CliRunner

    from edgetf.cli.app import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def run_dir(models, tmp_path):
    """A folder shaped like train-quantize's output (the files --from reads)."""
    run = tmp_path / "digits-run"
    run.mkdir()
    (run / "model.tflite").write_bytes(models["cnn"])
    (run / "labels.txt").write_text("".join(f"class {i}\n" for i in range(5)))
    samples = np.random.default_rng(1).normal(size=(8, 12, 12, 1)).astype(np.float32)
    np.savez(run / "samples.npz", x=samples, y=np.arange(8))
    return run


def test_cli_from_run_uses_its_model_labels_and_samples(run_dir, tmp_path):
    out = tmp_path / "fw"
    result = _cli("emit-firmware", "--from", str(run_dir), "--board", "nano33ble", "--out",
                  str(out))
    assert result.exit_code == 0, result.output
    assert "digits_run_inferencing" in result.stderr and "next: edgetf flash" in result.stderr
    src = out / "lib/digits_run_inferencing/src/edgetf"
    assert '"class 4"' in (src / "model_metadata.h").read_text()
    assert "test samples of the run" in (src / "golden_vectors.h").read_text()
    assert (out / "lib/digits_run_inferencing/src/edgetf/model_data.cc").is_file()


@pytest.mark.parametrize(("args", "fragment"), [
    ([], "pass --model MODEL.tflite or --from RUN_DIR"),
    (["--model", "MISSING.tflite"], "MISSING.tflite: no such file"),
    (["--model", "TEXT"], "not a TFLite"),
    (["--model", "MODEL", "--from", "RUN"], "either --model or --from"),
    (["--from", "NOWHERE"], "NOWHERE: no such folder"),
    (["--model", "MODEL", "--board", "uno"], "unknown board 'uno'; use one of esp32"),
    (["--model", "HYBRID"], "hybrid"),
    (["--model", "MODEL", "--labels", "MISSING.txt"], "no such labels file"),
])
def test_cli_user_errors_are_one_line_and_write_nothing(models, run_dir, tmp_path, args,
                                                       fragment):
    from tests.conftest import error_line

    (tmp_path / "m.tflite").write_bytes(models["cnn"])
    (tmp_path / "h.tflite").write_bytes(models["hybrid"])
    (tmp_path / "notes.tflite").write_text("just some notes\n")
    paths = {"MODEL": tmp_path / "m.tflite", "HYBRID": tmp_path / "h.tflite",
             "TEXT": tmp_path / "notes.tflite", "RUN": run_dir,
             "MISSING.tflite": tmp_path / "MISSING.tflite", "NOWHERE": tmp_path / "NOWHERE",
             "MISSING.txt": tmp_path / "MISSING.txt"}
    args = [str(paths.get(arg, arg)) for arg in args]
    if "--board" not in args:
        args += ["--board", "esp32"]
    out = tmp_path / "fw"
    result = _cli("emit-firmware", *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert fragment in error_line(result)
    assert not out.exists() and not list(tmp_path.glob(".fw.*"))


def test_cli_help_teaches_the_options():
    result = _cli("emit-firmware", "--help")
    assert result.exit_code == 0
    for flag in ("--model", "--from", "--board", "--out", "--name", "--labels", "--golden",
                 "--force", "esp32s3", "nano33ble", "Example:"):
        assert flag in result.stdout


def test_lstm_on_the_nano_gets_the_measured_divergence_warning(projects):
    assert any("UNIDIRECTIONAL_SEQUENCE_LSTM on the nano33ble" in w and "29" in w
               for w in projects[("lstm", "nano33ble")].warnings)
    assert not any("on the esp32" in w for w in projects[("lstm", "esp32")].warnings)


def test_per_channel_fully_connected_is_refused_for_the_nano_only(models):
    with pytest.raises(FirmwareError, match=r"FULLY_CONNECTED \(op \d+\) has per-channel "
                       r"weights, which spaziochirale/Chirale_TensorFLowLite@2.0.0's kernel "
                       r"computes with the first channel's scale only.*--force"):
        build_project(models["per_channel_fc"], "nano33ble", name="pc")
    for board in ("esp32", "esp32s3"):
        assert build_project(models["per_channel_fc"], board, name="pc").files


@pytest.mark.parametrize("board", list(BOARDS))
def test_main_cpp_compiles_against_the_sdk_calls_it_makes(projects, tmp_path, board):
    """main.cpp against stub declarations of the SDK functions it calls (tests/sdk_stubs):
    catches template mistakes; the SDKs themselves come with PlatformIO's toolchains."""
    from pathlib import Path

    result = projects[("cnn", board)]
    _write(result.files, tmp_path)
    stubs = Path(__file__).parents[1] / "sdk_stubs"
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", f"-I{stubs}",
              f"-I{tmp_path / _library_src(result)}", str(tmp_path / "src/main.cpp")])


def test_an_arena_too_big_for_internal_ram_goes_to_psram_on_the_psram_board(projects, tmp_path):
    board = get_board("esp32s3-psram")
    assert arena_place(board, 196_608)[0] == "static"
    place, reason = arena_place(board, 300_000)
    assert place == "psram" and "8 MB PSRAM" in reason and "MALLOC_CAP_SPIRAM" in reason
    assert arena_place(get_board("esp32s3"), 300_000)[0] == "static"  # no PSRAM there
    from dataclasses import replace

    result = projects[("cnn", "esp32s3-psram")]
    arena = replace(result.spec.arena, bytes=300_000, place=place, place_reason=reason)
    files = generate_project(replace(result.spec, arena=arena))
    metadata = files["lib/cnn_inferencing/src/edgetf/model_metadata.h"].decode()
    assert "#define EDGETF_ARENA_ON_HEAP 1\n" in metadata
    assert "#define EDGETF_ARENA_IN_PSRAM 1\n" in metadata
    main = files["src/main.cpp"].decode()
    assert "heap_caps_aligned_alloc(16, bytes, MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT)" in main
    sdkconfig = files["sdkconfig.defaults"].decode()
    assert {"CONFIG_SPIRAM=y", "CONFIG_SPIRAM_MODE_OCT=y",
            "CONFIG_SPIRAM_USE_CAPS_ALLOC=y"} <= set(sdkconfig.splitlines())
    _write(files, tmp_path)
    stubs = Path(__file__).parents[1] / "sdk_stubs"
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", f"-I{stubs}",
              f"-I{tmp_path / 'lib/cnn_inferencing/src'}", str(tmp_path / "src/main.cpp")])
    # The plain S3 project has none of it.
    plain = projects[("cnn", "esp32s3")].files
    assert b"SPIRAM" not in plain["sdkconfig.defaults"]
    assert b"heap_caps" not in plain["src/main.cpp"]


def test_an_arena_in_psram_does_not_count_against_internal_ram(models):
    from edgetf.targets.footprint import estimate_footprint

    model = read_tflite(models["cnn"])
    board = get_board("esp32s3-psram")
    inside = estimate_footprint(model, board, 300_000)
    outside = estimate_footprint(model, board, 300_000, arena_in_psram=True)
    assert not inside.ram_ok and outside.ram_ok
    assert outside.ram_bytes == inside.ram_bytes - 300_000 and outside.psram_bytes == 300_000
    assert not estimate_footprint(model, board, 9 << 20, arena_in_psram=True).ram_ok
