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

The arguments themselves come from the project's framework entry
(:attr:`edgetf.targets.frameworks.Framework.commands`, chosen by the env's ``framework``).

PlatformIO installs the env's platform and toolchain on first use. When that fails (no
network, full disk, no package for this system), it prints the exception as
``ClassName: message`` on stderr (``platformio/__main__.py``) and exits 1, like any other
failure; the class names that mean "could not install" are in :data:`INSTALL_FAILURES`
(``platformio/package/exception.py``, ``platform/exception.py``, ``http.py`` at 145142e).
So stderr is relayed to the terminal as it comes and its tail kept, to say which it was.
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
import threading
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from edgetf.base.errors import ConfigError, ToolError
from edgetf.base.progress import Reporter
from edgetf.targets.frameworks import FRAMEWORKS, PLATFORMIO, PlatformioCommands

#: Names the command the user can set to choose a PlatformIO executable.
PIO_ENV_VAR = "EDGETF_PIO"

_INSTALL_HINT = "install it with: pip install 'edgetf[flash]'"
_NOT_A_PROJECT_FIX = "pass the --out folder of edgetf emit-firmware"
#: PlatformIO exceptions raised when a platform, toolchain or tool cannot be installed:
#: the registry or a mirror unreachable, a download that failed or did not unpack, no
#: package for this system, a platform that needs a newer PlatformIO; ``UnknownPlatform``
#: is what ``device monitor`` (which never installs) raises for a platform not installed.
INSTALL_FAILURES = ("PackageException", "UnknownPackageError", "MissingPackageManifestError",
                    "ManifestException", "ManifestParserError", "HTTPClientError",
                    "InternetConnectionError", "UnknownPlatform", "IncompatiblePlatform")
_INSTALL_FAILURE = re.compile(rf"^({'|'.join(INSTALL_FAILURES)}): *(.*)$", re.M)
#: Colour codes PlatformIO writes when told to keep its colours.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: How much of PlatformIO's stderr is kept to explain a failure.
_TAIL_BYTES = 16 * 1024


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
    platform: str = ""
    """That env's ``platform`` ("" when it names none)."""
    framework: str = ""
    """That env's ``framework`` ("" when it names none)."""

    @property
    def commands(self) -> PlatformioCommands:
        """How its framework builds, flashes and monitors (PlatformIO's usual commands for
        a framework edgetf has no entry for)."""
        entry = FRAMEWORKS.get(self.framework)
        return entry.commands if entry else PLATFORMIO


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

    chosen = _choose_env(parser, ini, envs, env)
    section = f"env:{chosen}"
    return PlatformioProject(path, envs, chosen,
                             platform=parser.get(section, "platform", fallback="").strip(),
                             framework=parser.get(section, "framework", fallback="").strip())


def _choose_env(parser: configparser.ConfigParser, ini: Path, envs: tuple[str, ...],
                env: str | None) -> str:
    if env is not None:
        if env not in envs:
            raise ConfigError(f"{ini}: no environment {env!r} (--env); use one of "
                              f"{', '.join(envs)}")
        return env
    # PlatformIO takes the first of default_envs (a comma- or line-separated list).
    defaults = [name.strip() for name in
                re.split(r"[,\n]", parser.get("platformio", "default_envs", fallback=""))]
    defaults = [name for name in defaults if name]
    if defaults:
        if defaults[0] not in envs:
            raise ConfigError(f"{ini}: default_envs names {defaults[0]!r}, which has no "
                              f"[env:{defaults[0]}] section; pass --env with one of "
                              f"{', '.join(envs)}")
        return defaults[0]
    if len(envs) > 1:
        raise ConfigError(f"{ini}: several environments ({', '.join(envs)}) and no "
                          f"default_envs; pass --env with one of them")
    return envs[0]


def upload_command(project: Path | str, env: str, port: str | None = None,
                   commands: PlatformioCommands = PLATFORMIO) -> list[str]:
    """``pio run ... --target upload``: build if needed, then flash the board."""
    upload = list(commands.upload)
    command = [*find_pio(), *upload[:1], "--project-dir", str(project), "--environment", env,
               *upload[1:]]
    if port:
        command += ["--upload-port", port]
    return command


def monitor_command(project: Path | str, env: str, port: str | None = None,
                    baud: int | None = None,
                    commands: PlatformioCommands = PLATFORMIO) -> list[str]:
    """``pio device monitor`` with the project's settings (``monitor_speed`` among them)."""
    command = [*find_pio(), *commands.monitor, "--project-dir", str(project),
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
    command = upload_command(chosen.path, chosen.default_env, port, chosen.commands)
    returncode, errors = _call(command, reporter)
    if returncode != 0:
        raise _failed("upload", returncode, chosen, errors, rerun="flash")


def monitor(project: Path | str, port: str | None = None, baud: int | None = None,
            env: str | None = None, reporter: Reporter | None = None) -> None:
    """Show the board's serial output until the user quits (Ctrl-C ends it normally)."""
    chosen = read_project(project, env)
    command = monitor_command(chosen.path, chosen.default_env, port, baud, chosen.commands)
    try:
        returncode, errors = _call(command, reporter)
    except KeyboardInterrupt:
        return  # the usual way to leave a monitor, not an error
    # PlatformIO's monitor leaves through Ctrl-C too: exit 130, or killed by SIGINT.
    if returncode not in (0, 130, -signal.SIGINT):
        raise _failed("serial monitor", returncode, chosen, errors, rerun="monitor")


def _call(command: list[str], reporter: Reporter | None) -> tuple[int, str]:
    """Run ``command`` on this terminal; its exit status and the tail of its stderr.

    stdin and stdout are inherited: the user needs PlatformIO's own progress, and the
    monitor is interactive. stderr is relayed to ours as it comes (so that a failure can
    be told apart, see the module docstring); PlatformIO is told to keep its colours when
    our stdout and stderr are both terminals. On Ctrl-C the child got the same SIGINT; it
    is given a moment to release the serial port before it is killed, then the interrupt
    goes on to the caller.
    """
    reporter = reporter or Reporter(quiet=True)
    # escaped: a path such as "runs/[esp32]" is not rich markup.
    reporter.info(f"running: {escape(shlex.join(command))}")
    environment = dict(os.environ)
    if sys.stdout.isatty() and sys.stderr.isatty() and not any(
            name in environment for name in ("PLATFORMIO_NO_ANSI", "PLATFORMIO_FORCE_ANSI")):
        environment["PLATFORMIO_FORCE_ANSI"] = "true"
    try:
        process = subprocess.Popen(command, stderr=subprocess.PIPE, env=environment)
    except OSError as error:
        raise ToolError(f"cannot run PlatformIO ({command[0]}): {error.strerror or error}; "
                        f"{_INSTALL_HINT}, or set {PIO_ENV_VAR}") from None
    relay = _StderrRelay(process.stderr)
    relay.start()
    try:
        returncode = process.wait()
    except KeyboardInterrupt:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        raise
    finally:
        relay.join(timeout=5)
    return returncode, relay.tail()


class _StderrRelay(threading.Thread):
    """Copies a child's stderr to ours as it arrives, keeping the last bytes."""

    def __init__(self, source) -> None:
        super().__init__(daemon=True)
        self._source = source
        self._kept = bytearray()
        self._target = sys.stderr  # the caller's, also under a test's capture

    def run(self) -> None:
        out = getattr(self._target, "buffer", None)
        with self._source:
            while chunk := os.read(self._source.fileno(), 4096):
                if out is not None:
                    out.write(chunk)
                    out.flush()
                else:
                    self._target.write(chunk.decode("utf-8", "replace"))
                    self._target.flush()
                self._kept += chunk
                del self._kept[:-_TAIL_BYTES]

    def tail(self) -> str:
        return bytes(self._kept).decode("utf-8", "replace")


def _failed(what: str, returncode: int, project: PlatformioProject, errors: str,
            rerun: str) -> ToolError:
    """The one-line error for a PlatformIO failure; ``errors``: the tail of its stderr,
    ``rerun``: the edgetf command to run again once the cause is fixed."""
    status = f"exit {returncode}" if returncode >= 0 else _signal_text(-returncode)
    where = f"env {project.default_env} in {project.path}"
    found = _INSTALL_FAILURE.findall(_ANSI.sub("", errors))
    if found:
        kind, message = found[-1]
        cause = " ".join(f"{kind}: {message}".split())
        platform = f"the {project.platform} platform" if project.platform else "the platform"
        if kind == "UnknownPlatform" and rerun == "monitor":
            return ToolError(f"PlatformIO {what} failed ({status}) for {where}: {platform} is "
                             f"not installed ({cause}); run edgetf flash first, which installs "
                             f"it, or: pio pkg install --project-dir {project.path}")
        return ToolError(f"PlatformIO {what} failed ({status}) for {where}: it could not "
                         f"install {platform} or its tools ({cause}); check the internet "
                         f"connection and free disk space, then run edgetf {rerun} again")
    return ToolError(f"PlatformIO {what} failed ({status}) for {where}; see its output "
                     f"above; check the board is connected and --port")


def _signal_text(number: int) -> str:
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"
