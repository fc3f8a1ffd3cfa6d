"""The frameworks a board's firmware is built on (PlatformIO's ``framework``), one entry each.

A framework entry holds everything that differs between ESP-IDF and Arduino projects:
which files a project gets and which templates write them, the template fragments the
shared templates include (``platformio.ini``'s environment, the README's paragraph on
using the library without PlatformIO), where TFLM comes from (an ESP-IDF component or an
Arduino library), the flash and RAM the framework itself takes, and the PlatformIO
commands that build, flash and monitor it. A board names its framework
(:attr:`edgetf.targets.boards.Board.framework`); nothing else branches on the framework's
name. Template paths are relative to ``templates/``; ``{lib}`` in a file's path is the
project's library folder (``lib/<name>_inferencing``).
"""

from __future__ import annotations

from dataclasses import dataclass

_KB = 1024


@dataclass(frozen=True)
class ProjectFile:
    """One file a framework's projects get: its path and the template that writes it."""

    path: str
    template: str
    only_if: str | None = None
    """A key of the project's template context: the file is written only when that value
    is set (``partitions``: only for applications larger than the default partition)."""


@dataclass(frozen=True)
class PlatformioCommands:
    """How PlatformIO builds and flashes, and monitors, a project (``pio`` arguments)."""

    upload: tuple[str, ...]
    """Builds first if needed, then flashes (``edgetf flash``)."""
    monitor: tuple[str, ...]
    """The serial monitor with the project's settings (``edgetf monitor``)."""


#: PlatformIO Core 6.1 (see :mod:`edgetf.codegen.platformio` for what was checked).
PLATFORMIO = PlatformioCommands(upload=("run", "--target", "upload"),
                                monitor=("device", "monitor"))


@dataclass(frozen=True)
class Framework:
    """One PlatformIO framework and what edgetf's projects need from it."""

    id: str
    """PlatformIO's name for it (``framework =`` in ``platformio.ini``)."""
    name: str
    """As people write it, for help texts and reports."""
    tflm_source_kind: str
    """How its boards' TFLM is packaged (:attr:`edgetf.targets.boards.TflmSource.kind`)."""
    files: tuple[ProjectFile, ...]
    """The files its projects get besides the ones every project has."""
    platformio_env_template: str
    """Included by ``project/platformio.ini.j2`` after the environment's common keys."""
    readme_library_template: str
    """Included by ``project/README.md.j2``: using the library without edgetf or PlatformIO."""
    flash_bytes: int
    """The framework's own image, for an application that prints to the serial port and
    uses no radio (see the basis below)."""
    ram_bytes: int
    """RAM the framework keeps for itself (stacks, heap reserve, its drivers' state)."""
    commands: PlatformioCommands = PLATFORMIO


# Flash and RAM of the frameworks. Basis: sizes PlatformIO reports for minimal projects
# (ESP-IDF 5 "hello world" with the console: ~180 KB flash, ~30 KB of the 320 KB DRAM
# budget with the main task's stack; Arduino mbed core for the Nano 33 BLE with Serial:
# ~80 KB flash and ~45 KB RAM including mbed OS's heap reserve and stacks). Estimates,
# not measurements made by edgetf.
ESPIDF = Framework(
    id="espidf",
    name="ESP-IDF",
    tflm_source_kind="idf-component",
    files=(
        ProjectFile("CMakeLists.txt", "project/CMakeLists.txt.j2"),
        ProjectFile("src/CMakeLists.txt", "project/src_CMakeLists.txt.j2"),
        ProjectFile("src/idf_component.yml", "library/idf_component.yml.j2"),
        ProjectFile("sdkconfig.defaults", "project/sdkconfig.defaults.j2"),
        ProjectFile("src/main.cpp", "project/main_espidf.cpp.j2"),
        ProjectFile("{lib}/CMakeLists.txt", "library/CMakeLists.txt.j2"),
        ProjectFile("{lib}/idf_component.yml", "library/idf_component.yml.j2"),
        ProjectFile("partitions.csv", "project/partitions.csv.j2", only_if="partitions"),
    ),
    platformio_env_template="project/platformio_env_espidf.ini.j2",
    readme_library_template="project/README_library_espidf.md.j2",
    flash_bytes=180 * _KB,
    ram_bytes=30 * _KB,
)
ARDUINO = Framework(
    id="arduino",
    name="Arduino",
    tflm_source_kind="arduino-library",
    files=(ProjectFile("src/main.cpp", "project/main_arduino.cpp.j2"),),
    platformio_env_template="project/platformio_env_arduino.ini.j2",
    readme_library_template="project/README_library_arduino.md.j2",
    flash_bytes=80 * _KB,
    ram_bytes=45 * _KB,
)

FRAMEWORKS: dict[str, Framework] = {framework.id: framework for framework in (ESPIDF, ARDUINO)}
