"""Drive PlatformIO to upload a generated firmware project and watch its serial output.

edgetf does not talk to boards itself: ``edgetf emit-firmware`` writes a PlatformIO
project and PlatformIO knows every board's toolchain, uploader and port detection.
This module only finds the ``pio`` command, reads enough of ``platformio.ini`` to pick
the environment (so that errors are ours, one line, before PlatformIO starts
downloading toolchains), and runs PlatformIO with the terminal handed over to it.

PlatformIO is an optional extra (``pip install 'edgetf[flash]'``); nothing here
imports it or TensorFlow, so ``edgetf flash`` starts instantly.

Command lines follow PlatformIO Core 6.1: checked against docs.platformio.org (stable
6.1.19) and platformio-core's ``platformio/run/cli.py`` and
``platformio/device/monitor/command.py`` (commit 145142e, 6.1.18a1):

- ``pio run``: ``-d/--project-dir``, ``-e/--environment``, ``-t/--target``,
  ``--upload-port`` (core/userguide/cmd_run.html). The ``upload`` target builds
  first, so one command compiles and flashes.
- ``pio device monitor``: ``-p/--port``, ``-b/--baud``, ``-d/--project-dir``,
  ``-e/--environment`` (core/userguide/device/cmd_monitor.html). Started outside
  the project without ``--project-dir`` it silently skips platformio.ini, so also
  ``monitor_speed``, and listens at 9600 baud; ``--environment`` makes it read the
  same env that was uploaded. Both are always passed.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib.util
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from edgetf.base.errors import ConfigError, ToolError
from edgetf.base.progress import Reporter

#: Names the command the user can set to choose a PlatformIO executable.
PIO_ENV_VAR = "EDGETF_PIO"

_INSTALL_HINT = "install it with: pip install 'edgetf[flash]'"
_NOT_A_PROJECT_FIX = "pass the --out folder of edgetf emit-firmware"


@dataclass(frozen=True)
class PlatformioProject:
    """What edgetf needs from a PlatformIO project folder."""

    path: Path
    """The project folder (the one holding ``platformio.ini``)."""
    envs: tuple[str, ...]
    """Every ``[env:NAME]`` section, in file order."""
    default_env: str
    """The environment the commands use: the one asked for, else the first of
    ``default_envs``, else the only one."""


def find_pio() -> list[str]:
    """The command that runs PlatformIO, as a list to put in front of its arguments.

    ``EDGETF_PIO`` wins so that a user (or a test) can point at any executable; then
    ``pio`` and ``platformio`` on PATH; last ``python -m platformio``, for a venv that
    has the ``flash`` extra installed but whose ``bin`` folder is not on PATH.
    """
    chosen = os.environ.get(PIO_ENV_VAR)
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise ToolError(f"{PIO_ENV_VAR}={chosen} is not an executable; point it at "
                            f"PlatformIO's pio or unset it")
        return [found]
    for name in ("pio", "platformio"):
        found = shutil.which(name)
        if found is not None:
            return [found]
    if importlib.util.find_spec("platformio") is not None:
        return [sys.executable, "-m", "platformio"]
    raise ToolError(f"PlatformIO is not installed (no 'pio' on PATH); {_INSTALL_HINT}")


def read_project(project: Path | str, env: str | None = None) -> PlatformioProject:
    """Check that ``project`` is a PlatformIO project and choose its environment.

    Parsed with :mod:`configparser` the way PlatformIO does (``;`` and ``#`` start
    inline comments) but without interpolation, since only section names and
    ``default_envs`` matter here. Envs from ``extra_configs`` files are not seen;
    generated projects have none.
    """
    path = Path(project).expanduser()
    if not path.exists():
        raise ConfigError(f"{path}: no such folder; {_NOT_A_PROJECT_FIX}")
    if not path.is_dir():
        raise ConfigError(f"{path}: is a file, not a folder; {_NOT_A_PROJECT_FIX}")
    ini = path / "platformio.ini"
    if not ini.is_file():
        raise ConfigError(f"{path}: is not a PlatformIO project: no platformio.ini; "
                          f"{_NOT_A_PROJECT_FIX}")
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
    try:
        with open(ini, encoding="utf-8") as file:
            parser.read_file(file)
    except OSError as error:
        raise ConfigError(f"{ini}: cannot be read ({error.strerror or error}); check its "
                          f"permissions") from None
    except (configparser.Error, UnicodeDecodeError) as error:
        problem = " ".join(str(error).split())  # configparser's messages span lines
        raise ConfigError(f"{ini}: cannot be parsed ({problem}); fix the file or emit "
                          f"the firmware again") from None
    envs = tuple(section[4:] for section in parser.sections() if section.startswith("env:"))
    if not envs:
        raise ConfigError(f"{ini}: no [env:NAME] section; emit the firmware again or add one")

    if env is not None:
        if env not in envs:
            raise ConfigError(f"{ini}: no environment {env!r} (--env); use one of "
                              f"{', '.join(envs)}")
        return PlatformioProject(path, envs, env)
    # PlatformIO takes the first of default_envs (a comma- or line-separated list).
    defaults = [name.strip() for name in
                re.split(r"[,\n]", parser.get("platformio", "default_envs", fallback=""))]
    defaults = [name for name in defaults if name]
    if defaults:
        if defaults[0] not in envs:
            raise ConfigError(f"{ini}: default_envs names {defaults[0]!r}, which has no "
                              f"[env:{defaults[0]}] section; pass --env with one of "
                              f"{', '.join(envs)}")
        return PlatformioProject(path, envs, defaults[0])
    if len(envs) > 1:
        raise ConfigError(f"{ini}: several environments ({', '.join(envs)}) and no "
                          f"default_envs; pass --env with one of them")
    return PlatformioProject(path, envs, envs[0])


def upload_command(project: Path | str, env: str, port: str | None = None) -> list[str]:
    """``pio run ... --target upload``: build if needed, then flash the board."""
    command = [*find_pio(), "run", "--project-dir", str(project), "--environment", env,
               "--target", "upload"]
    if port:
        command += ["--upload-port", port]
    return command


def monitor_command(project: Path | str, env: str, port: str | None = None,
                    baud: int | None = None) -> list[str]:
    """``pio device monitor`` with the project's settings (``monitor_speed`` among them)."""
    command = [*find_pio(), "device", "monitor", "--project-dir", str(project),
               "--environment", env]
    if port:
        command += ["--port", port]
    if baud is not None:
        if baud <= 0:
            raise ConfigError(f"--baud {baud}: must be a positive number of bits per "
                              f"second, e.g. 115200")
        command += ["--baud", str(baud)]
    return command


def flash(project: Path | str, port: str | None = None, env: str | None = None,
          reporter: Reporter | None = None) -> None:
    """Compile (if needed) and upload the project's firmware to the board."""
    chosen = read_project(project, env)
    command = upload_command(chosen.path, chosen.default_env, port)
    returncode = _call(command, reporter)
    if returncode != 0:
        raise _failed("upload", returncode, chosen)


def monitor(project: Path | str, port: str | None = None, baud: int | None = None,
            env: str | None = None, reporter: Reporter | None = None) -> None:
    """Show the board's serial output until the user quits (Ctrl-C ends it normally)."""
    chosen = read_project(project, env)
    command = monitor_command(chosen.path, chosen.default_env, port, baud)
    try:
        returncode = _call(command, reporter)
    except KeyboardInterrupt:
        return  # the usual way to leave a monitor, not an error
    # PlatformIO's monitor leaves through Ctrl-C too: exit 130, or killed by SIGINT.
    if returncode not in (0, 130, -signal.SIGINT):
        raise _failed("serial monitor", returncode, chosen)


def _call(command: list[str], reporter: Reporter | None) -> int:
    """Run ``command`` on this terminal and return its exit status.

    stdin, stdout and stderr are inherited, not captured: the user needs PlatformIO's
    own progress and errors, and the monitor is interactive. On Ctrl-C the child got
    the same SIGINT; it is given a moment to release the serial port before it is
    killed, then the interrupt goes on to the caller.
    """
    reporter = reporter or Reporter(quiet=True)
    # escaped: a path such as "runs/[esp32]" is not rich markup.
    reporter.info(f"running: {escape(shlex.join(command))}")
    try:
        process = subprocess.Popen(command)
    except OSError as error:
        raise ToolError(f"cannot run PlatformIO ({command[0]}): {error.strerror or error}; "
                        f"{_INSTALL_HINT}, or set {PIO_ENV_VAR}") from None
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        raise


def _failed(what: str, returncode: int, project: PlatformioProject) -> ToolError:
    status = f"exit {returncode}" if returncode >= 0 else _signal_text(-returncode)
    return ToolError(f"PlatformIO {what} failed ({status}) for env {project.default_env} in "
                     f"{project.path}; see its output above; check the board is connected "
                     f"and --port")


def _signal_text(number: int) -> str:
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"
