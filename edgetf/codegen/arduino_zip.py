"""``emit-firmware --format arduino-zip``: the library as an Arduino IDE ``.zip``.

Sketch → Include Library → Add .ZIP Library (or ``arduino-cli lib install --zip-path``)
installs it. The zip holds one folder, ``<name>_inferencing/``, in the Arduino library
specification's 1.5 format:

- ``library.properties``: name, version, ``architectures`` (the board's Arduino core),
  ``depends`` (the board's TFLM library at the version edgetf's arena plan was made for,
  which the IDE offers to install from the Library Manager) and ``includes``;
- ``src/``: the same portable library as the PlatformIO project's ``lib/`` (the
  hand-written runtime and the generated model, metadata, resolver and golden vectors),
  compiled recursively by the Arduino builder;
- ``examples/<name>_self_test/``: the self-test and one prediction on the sample input;
  ``examples/<name>_serial_input/``: the model run on numbers sent over the serial port.

Bytes in, bytes out: :func:`arduino_library_files` and :func:`zip_library` touch no disk,
and the same spec gives a byte-identical zip (sorted entries, fixed timestamps).
"""

from __future__ import annotations

import io
import zipfile

from edgetf.base.errors import ConfigError
from edgetf.codegen.project import ProjectSpec, template_context
from edgetf.codegen.render import render
from edgetf.targets.boards import Board

#: The Arduino core architecture of each board that has an Arduino IDE route with a
#: pinned TFLM library (library.properties' ``architectures``): the Nano 33 BLE's core is
#: ``arduino:mbed_nano``, one of Chirale_TensorFLowLite 2.0.0's architectures.
#:
#: Not the ESP32 boards: the Arduino-ESP32 core (3.x) bundles esp-tflite-micro itself,
#: precompiled, at whatever version ">=1.2.0" resolved to when that core release was
#: built (espressif/esp32-arduino-lib-builder, main/idf_component.yml), so no library
#: version can be pinned in ``depends`` and the arena planned for esp-tflite-micro 1.4.0
#: under ESP-IDF is not known to hold. Their route is the ESP-IDF project.
ARDUINO_ARCHITECTURES = {"nano33ble": "mbed_nano"}
#: Where a zip's timestamps point (the earliest a zip can store): reproducible output.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def check_arduino_board(board: Board) -> None:
    """Refuse a board the Arduino IDE route does not cover, naming the one that it does."""
    if board.id not in ARDUINO_ARCHITECTURES or board.tflm_source.kind != "arduino-library":
        boards = ", ".join(sorted(ARDUINO_ARCHITECTURES))
        raise ConfigError(
            f"--format arduino-zip is for {boards}, not {board.id}: the Arduino-ESP32 core "
            "bundles its own esp-tflite-micro, whose version edgetf cannot pin or plan the "
            f"arena for; emit the ESP-IDF project for the {board.id} instead (--format "
            "platformio)")


def library_depends(board: Board) -> str:
    """``depends=`` of library.properties: the TFLM library as the Library Manager names
    it, pinned to the version the arena was planned for, e.g. ``Chirale_TensorFLowLite
    (=2.0.0)`` (the specification's version-constraint syntax)."""
    source = board.tflm_source
    name = source.name.split("/")[-1]
    return f"{name} (={source.version})" if source.version else name


def arduino_library_files(spec: ProjectSpec, project_files: dict[str, bytes]) -> dict[str, bytes]:
    """The library folder's files, by path relative to ``<name>_inferencing/``.

    ``project_files`` is :func:`~edgetf.codegen.project.generate_project`'s output: its
    ``lib/<name>_inferencing/src/`` is taken as it is.
    """
    check_arduino_board(spec.board)
    src = f"lib/{spec.library}/src/"
    files = {path[len(f"lib/{spec.library}/"):]: content
             for path, content in project_files.items() if path.startswith(src)}
    context = {**template_context(spec),
               "architectures": ARDUINO_ARCHITECTURES[spec.board.id],
               "depends": library_depends(spec.board)}
    text = {
        "library.properties": render("arduino/library.properties.j2", **context),
        f"examples/{spec.name}_self_test/{spec.name}_self_test.ino":
            render("arduino/self_test.ino.j2", **context),
        f"examples/{spec.name}_serial_input/{spec.name}_serial_input.ino":
            render("arduino/serial_input.ino.j2", **context),
    }
    files.update({path: content.encode("utf-8") for path, content in text.items()})
    return dict(sorted(files.items()))


def zip_library(library: str, files: dict[str, bytes]) -> bytes:
    """``files`` in a zip under one top folder ``library/``, as the IDE expects."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{library}/{path}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()


def arduino_zip_files(spec: ProjectSpec, project_files: dict[str, bytes]) -> dict[str, bytes]:
    """What ``--format arduino-zip`` writes into ``--out``: ``<name>_inferencing.zip``."""
    return {f"{spec.library}.zip": zip_library(spec.library,
                                               arduino_library_files(spec, project_files))}
