"""``emit-firmware --format arduino-zip``: an Arduino IDE library, checked against the
Arduino library specification (1.5 format), and its examples built and run on the host.

No arduino-cli can be installed here (it is not in PyPI, npm or Debian; its release
binaries are a download). So the zip is checked rule by rule against the specification
(https://arduino.github.io/arduino-cli/latest/library-specification/), and each example
sketch is built as the Arduino builder would build it (``#include <Arduino.h>`` put
first, C++) with the host's g++, against tests/sdk_stubs (Arduino.h, the TFLM library's
header, TFLM's declarations and the fake interpreter of test_two_libraries.py), linked
with the library's sources, and run: the self-test example must print ``self_test 0``
and TFLM's top class for the sample input.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from edgetf.base.errors import ConfigError
from edgetf.codegen.arduino_zip import arduino_zip_files, library_depends
from edgetf.codegen.emit_firmware import EmitOptions, build_project, emit_firmware
from edgetf.targets.boards import get_board
from edgetf.tflm.interpreter import run_tflm, tflm_available
from tests.codegen.test_emit_firmware import GXX, _cli, _compile
from tests.codegen.test_two_libraries import STUBS, fake_model, resolver_stub
from tests.tiny_models import tiny_models

SDK_STUBS = STUBS.parent
#: library.properties' fields the specification requires (1.5 format).
_REQUIRED = ("name", "version", "author", "maintainer", "sentence", "paragraph", "category",
             "url", "architectures")
_CATEGORIES = {"Display", "Communication", "Signal Input/Output", "Sensors",
               "Device Control", "Timing", "Data Storage", "Data Processing", "Other"}
#: The Arduino core's functions the examples call, on the host: Serial prints to stdout,
#: and main() runs setup() then loop() once, as the core's main does (without end).
_ARDUINO_HOST = r"""
#include <Arduino.h>
#include <chrono>
#include <cstdio>
StubSerial Serial;
void StubSerial::begin(unsigned long) {}
StubSerial::operator bool() const { return true; }
size_t StubSerial::print(const char* text) { return std::fputs(text, stdout) >= 0; }
int StubSerial::available() { return 0; }
int StubSerial::read() { return -1; }
unsigned long micros() {
  return static_cast<unsigned long>(std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now().time_since_epoch()).count());
}
unsigned long millis() { return micros() / 1000; }
void delay(unsigned long) {}
void setup();
void loop();
int main() {
  setup();
  loop();
  return 0;
}
"""

pytestmark = pytest.mark.skipif(GXX is None, reason="g++ not found: compile checks need it")


@pytest.fixture(scope="module")
def emitted():
    """A Nano 33 BLE library with labels, and its zip unpacked in memory."""
    labels = ("zero", "one", "two")
    result = build_project(tiny_models()["cnn"], "nano33ble", name="gesture", labels=labels)
    files = arduino_zip_files(result.spec, result.files)
    assert list(files) == ["gesture_inferencing.zip"]
    with zipfile.ZipFile(io.BytesIO(files["gesture_inferencing.zip"])) as archive:
        unpacked = {info.filename: archive.read(info) for info in archive.infolist()}
    return result, unpacked


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return {key: value for key, value in pairs}


def test_the_zip_is_one_library_folder_in_the_1_5_format(emitted):
    result, unpacked = emitted
    library = "gesture_inferencing"
    # One top-level folder: the IDE installs it under libraries/ by that name.
    assert {path.split("/")[0] for path in unpacked} == {library}
    inside = {path[len(library) + 1:] for path in unpacked}
    # 1.5 format: library.properties at the root, the sources recursively under src/
    # (never beside a utility/ folder), examples/<name>/<name>.ino.
    assert "library.properties" in inside
    assert not any(path.startswith("utility/") for path in inside)
    for path in inside:
        top = path.split("/")[0]
        assert path == "library.properties" or top in ("src", "examples"), path
    examples = {path.split("/")[1] for path in inside if path.startswith("examples/")}
    assert examples == {"gesture_self_test", "gesture_serial_input"}
    for example in examples:
        assert f"examples/{example}/{example}.ino" in inside
    # src/ is the PlatformIO project's library, byte for byte.
    src = {path: content for path, content in unpacked.items()
           if path.startswith(f"{library}/src/")}
    project = {path: content for path, content in result.files.items()
               if path.startswith(f"lib/{library}/src/")}
    assert {path.removeprefix(f"{library}/"): content for path, content in src.items()} == {
        path.removeprefix(f"lib/{library}/"): content for path, content in project.items()}


def test_library_properties_follow_the_specification(emitted):
    result, unpacked = emitted
    properties = _properties(unpacked["gesture_inferencing/library.properties"].decode())
    for key in _REQUIRED:
        assert properties.get(key), key
    # Names: letters, digits, spaces, underscores, dots, dashes; a letter or digit first.
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.\-]*", properties["name"])
    assert properties["name"] == "gesture_inferencing"
    assert re.fullmatch(r"\d+\.\d+\.\d+", properties["version"])
    assert properties["category"] in _CATEGORIES
    assert properties["architectures"] == "mbed_nano"
    # includes= names headers of src/; depends= the pinned TFLM library (Library Manager
    # name, the version-constraint syntax "Name (=x.y.z)").
    for header in properties["includes"].split(","):
        assert f"gesture_inferencing/src/{header.strip()}" in unpacked
    board = get_board("nano33ble")
    assert properties["depends"] == "Chirale_TensorFLowLite (=2.0.0)"
    assert properties["depends"] == library_depends(board)
    assert board.tflm_source.version == "2.0.0"


def _build_example(unpacked, example: str, tmp_path: Path, fake: str) -> Path:
    for path, content in unpacked.items():
        target = tmp_path / "libraries" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    library = tmp_path / "libraries/gesture_inferencing"
    include = tmp_path / "include"
    resolver = include / "tensorflow/lite/micro/micro_mutable_op_resolver.h"
    resolver.parent.mkdir(parents=True)
    resolver.write_text(resolver_stub())
    (include / "fake_models.h").write_text(
        '#pragma once\n#include <cstdint>\n#include "fake_interpreter.h"\n' + fake)
    (tmp_path / "arduino_host.cc").write_text(_ARDUINO_HOST)
    (tmp_path / "register.cc").write_text(
        '#include "fake_models.h"\nnamespace { struct Register { Register() {\n'
        "  edgetf_stub::RegisterModel(&gesture_fake::kModel); } } g_register; }\n")
    sketch = library / f"examples/{example}/{example}.ino"
    program = tmp_path / example
    sources = sorted((library / "src").rglob("*.cc"))
    # As the Arduino builder does: Arduino.h first, the .ino compiled as C++; -I the
    # library's src/ (it is found through the sketch's #include <gesture_inferencing.h>).
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", f"-I{library / 'src'}",
              f"-I{include}", f"-I{SDK_STUBS}", f"-I{STUBS}", "-include", "Arduino.h",
              "-x", "c++", str(sketch), "-x", "none", *map(str, sources),
              str(STUBS / "fake_interpreter.cc"), str(tmp_path / "arduino_host.cc"),
              str(tmp_path / "register.cc"), "-o", str(program)])
    return program


@pytest.mark.skipif(not tflm_available(), reason="the golden vectors need tflite-micro")
def test_the_self_test_example_builds_and_prints_self_test_0_and_the_prediction(
        emitted, tmp_path):
    result, unpacked = emitted
    golden = result.spec.golden
    program = _build_example(unpacked, "gesture_self_test", tmp_path,
                             fake_model(result, list(golden.inputs)))
    out = subprocess.run([str(program)], capture_output=True, text=True, check=True).stdout
    assert "self_test 0 (pass)" in out, out
    top = int(np.argmax(run_tflm(result.spec.model_bytes, list(golden.inputs))[0][0]))
    label = result.spec.labels[top] if top < len(result.spec.labels) else "-"
    assert f"prediction: {label} (class {top}), score " in out, out


@pytest.mark.skipif(not tflm_available(), reason="the golden vectors need tflite-micro")
def test_the_serial_input_example_builds_and_boots(emitted, tmp_path):
    result, unpacked = emitted
    program = _build_example(unpacked, "gesture_serial_input", tmp_path,
                             fake_model(result, list(result.spec.golden.inputs)))
    out = subprocess.run([str(program)], capture_output=True, text=True, check=True).stdout
    assert "edgetf: self-test PASS" in out, out


def test_esp32_is_refused_with_the_route_that_works(tmp_path):
    with pytest.raises(ConfigError, match="--format arduino-zip is for nano33ble, not esp32"):
        emit_firmware(EmitOptions(board="esp32", out=tmp_path / "fw", model=tmp_path / "m",
                                  format="arduino-zip"))
    assert not (tmp_path / "fw").exists()


def test_cli_writes_the_zip_only(tmp_path):
    model = tmp_path / "wake.tflite"
    model.write_bytes(tiny_models()["cnn"])
    out = tmp_path / "fw"
    result = _cli("emit-firmware", "--model", str(model), "--board", "nano33ble", "--format",
                  "arduino-zip", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Add .ZIP Library" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["wake_inferencing.zip"]
    with zipfile.ZipFile(out / "wake_inferencing.zip") as archive:
        assert "wake_inferencing/examples/wake_self_test/wake_self_test.ino" in \
            archive.namelist()


def test_the_zip_is_reproducible(emitted):
    result, _ = emitted
    first = arduino_zip_files(result.spec, result.files)
    assert first == arduino_zip_files(result.spec, result.files)
