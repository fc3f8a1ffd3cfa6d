"""edgetf flash / monitor: the exact PlatformIO command lines, and one-line errors.

PlatformIO itself is replaced by a fake ``pio`` script that logs its arguments and
exits with the code it is told to; everything else (discovery through EDGETF_PIO and
PATH, platformio.ini parsing, subprocess, the CLI) is the real code.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
from typer.testing import CliRunner

from edgetf.base.errors import ConfigError, ToolError
from edgetf.cli.app import app
from edgetf.codegen.platformio import find_pio, flash, monitor, read_project
from tests.conftest import error_line

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake pio is a script")

runner = CliRunner()

FAKE_PIO = f"""#!{sys.executable}
import json, os, signal, sys, time
with open(os.environ["FAKE_PIO_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
print("fake pio says hello")
sys.stderr.write(os.environ.get("FAKE_PIO_STDERR", ""))  # what PlatformIO says of a failure
if os.environ.get("FAKE_PIO_SIGINT"):  # what Ctrl-C does: the whole group gets SIGINT
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(3)  # the parent handles it meanwhile, however loaded the machine is
sys.exit(int(os.environ.get("FAKE_PIO_EXIT", "0")))
"""

INI = """\
; PlatformIO Project Configuration File (written by edgetf emit-firmware)
[platformio]
default_envs = {default}

[env:{env}]
platform = espressif32
board = esp32dev
framework = espidf
monitor_speed = 115200
"""


def write_fake_pio(folder, name="pio"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(FAKE_PIO)
    path.chmod(0o755)
    return path


def make_project(folder, text=None, env="esp32"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "platformio.ini").write_text(text or INI.format(default=env, env=env))
    return folder


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No user settings leak in; the fake pio logs to tmp_path/pio.log."""
    for name in ("EDGETF_PIO", "EDGETF_PORT", "FAKE_PIO_EXIT", "FAKE_PIO_SIGINT",
                 "FAKE_PIO_STDERR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FAKE_PIO_LOG", str(tmp_path / "pio.log"))


@pytest.fixture
def pio(tmp_path, monkeypatch):
    """A fake pio chosen through EDGETF_PIO."""
    path = write_fake_pio(tmp_path / "fake")
    monkeypatch.setenv("EDGETF_PIO", str(path))
    return path


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "fw")


@pytest.fixture
def no_pio(tmp_path, monkeypatch):
    """No pio anywhere: empty PATH, no EDGETF_PIO, no importable platformio module."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setitem(sys.modules, "platformio", None)  # find_spec now says: not there


def calls(tmp_path):
    log = tmp_path / "pio.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


# --- command lines ------------------------------------------------------------------------


def test_flash_runs_pio_upload(tmp_path, pio, project):
    result = invoke("flash", "--project", str(project))
    assert result.exit_code == 0, result.output
    assert calls(tmp_path) == [["run", "--project-dir", str(project), "--environment", "esp32",
                                "--target", "upload"]]
    shown = " ".join(result.stderr.split())  # rich wraps long lines
    assert f"running: {pio} run --project-dir {project} --environment esp32" in shown


def test_flash_with_port(tmp_path, pio, project):
    assert invoke("flash", "-p", str(project), "--port", "/dev/ttyUSB0").exit_code == 0
    assert calls(tmp_path) == [["run", "--project-dir", str(project), "--environment", "esp32",
                                "--target", "upload", "--upload-port", "/dev/ttyUSB0"]]


def test_port_from_environment_variable(tmp_path, pio, project, monkeypatch):
    monkeypatch.setenv("EDGETF_PORT", "COM3")
    assert invoke("flash", "-p", str(project)).exit_code == 0
    assert calls(tmp_path)[0][-2:] == ["--upload-port", "COM3"]


def test_monitor_with_port_and_baud(tmp_path, pio, project):
    result = invoke("monitor", "-p", str(project), "--port", "/dev/ttyACM0", "--baud", "9600")
    assert result.exit_code == 0, result.output
    assert calls(tmp_path) == [["device", "monitor", "--project-dir", str(project),
                                "--environment", "esp32", "--port", "/dev/ttyACM0",
                                "--baud", "9600"]]


def test_monitor_defaults_leave_port_and_baud_to_platformio(tmp_path, pio, project):
    assert invoke("monitor", "-p", str(project)).exit_code == 0
    assert calls(tmp_path) == [["device", "monitor", "--project-dir", str(project),
                                "--environment", "esp32"]]


def test_project_defaults_to_current_folder(tmp_path, pio, project, monkeypatch):
    monkeypatch.chdir(project)
    assert invoke("flash").exit_code == 0
    assert calls(tmp_path)[0][1:3] == ["--project-dir", str(project)]


def test_pio_output_reaches_the_terminal(pio, project, capfd):
    flash(project)
    assert "fake pio says hello" in capfd.readouterr().out


# --- environments ---------------------------------------------------------------------------

TWO_ENVS = """\
[platformio]
{default}

[env]
monitor_speed = 115200

[env:esp32]
board = esp32dev

[env:esp32s3]
board = esp32-s3-devkitc-1  ; the S3
"""


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        ("default_envs = esp32s3", "esp32s3"),
        ("default_envs = esp32s3, esp32", "esp32s3"),
        ("default_envs =\n    esp32s3\n    esp32", "esp32s3"),
        ("default_envs = esp32s3 ; the one on my desk", "esp32s3"),
    ],
)
def test_default_envs_picks_the_first(tmp_path, default, expected):
    chosen = read_project(make_project(tmp_path / "fw", TWO_ENVS.format(default=default)))
    assert chosen.envs == ("esp32", "esp32s3")  # the common [env] section is not one
    assert chosen.default_env == expected


def test_only_env_without_default(tmp_path):
    text = "[env:nano33ble]\nplatform = nordicnrf52\nmonitor_speed = 115200\n"
    chosen = read_project(make_project(tmp_path / "fw", text))
    assert chosen.envs == ("nano33ble",) and chosen.default_env == "nano33ble"


def test_env_option_overrides_default(tmp_path, pio):
    project = make_project(tmp_path / "fw", TWO_ENVS.format(default="default_envs = esp32s3"))
    assert invoke("flash", "-p", str(project), "--env", "esp32").exit_code == 0
    assert invoke("monitor", "-p", str(project)).exit_code == 0
    envs = [call[call.index("--environment") + 1] for call in calls(tmp_path)]
    assert envs == ["esp32", "esp32s3"]


# --- errors -------------------------------------------------------------------------------


def _assert_error(result, *fragments):
    assert result.exit_code == 2, result.output
    message = error_line(result)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_missing_folder(tmp_path, pio):
    missing = tmp_path / "nowhere"
    _assert_error(invoke("flash", "-p", str(missing)), str(missing), "no such folder",
                  "emit-firmware")
    assert calls(tmp_path) == []


def test_not_a_platformio_project(tmp_path, pio):
    folder = tmp_path / "runs"
    folder.mkdir()
    for command in ("flash", "monitor"):
        _assert_error(invoke(command, "-p", str(folder)), str(folder), "no platformio.ini",
                      "--out folder of edgetf emit-firmware")
    assert calls(tmp_path) == []


def test_file_instead_of_folder(tmp_path, pio):
    file = tmp_path / "model.tflite"
    file.write_bytes(b"x")
    _assert_error(invoke("flash", "-p", str(file)), str(file), "not a folder")


def test_unparsable_ini(tmp_path, pio):
    project = make_project(tmp_path / "fw", "this is not an ini file\n[env:esp32\n")
    _assert_error(invoke("flash", "-p", str(project)), "platformio.ini", "cannot be parsed")
    assert calls(tmp_path) == []


def test_no_env_section(tmp_path, pio):
    project = make_project(tmp_path / "fw", "[platformio]\ndefault_envs = esp32\n[env]\nx = 1\n")
    _assert_error(invoke("flash", "-p", str(project)), "platformio.ini", "no [env:NAME] section")


def test_several_envs_without_default(tmp_path, pio):
    project = make_project(tmp_path / "fw", TWO_ENVS.format(default=""))
    _assert_error(invoke("monitor", "-p", str(project)), "several environments",
                  "esp32, esp32s3", "--env")
    assert calls(tmp_path) == []


def test_default_envs_naming_a_missing_env(tmp_path, pio):
    project = make_project(tmp_path / "fw", TWO_ENVS.format(default="default_envs = esp32c3"))
    _assert_error(invoke("flash", "-p", str(project)), "'esp32c3'", "esp32, esp32s3")


def test_unknown_env(tmp_path, pio, project):
    _assert_error(invoke("flash", "-p", str(project), "--env", "nano33ble"), "'nano33ble'",
                  "--env", "use one of esp32")
    with pytest.raises(ConfigError, match="nano33ble"):
        read_project(project, env="nano33ble")
    assert calls(tmp_path) == []


def test_bad_baud(tmp_path, pio, project):
    assert invoke("monitor", "-p", str(project), "--baud", "0").exit_code == 2
    with pytest.raises(ConfigError, match="--baud 0"):
        monitor(project, baud=0)
    assert calls(tmp_path) == []


def test_pio_missing(tmp_path, no_pio, project):
    for command in ("flash", "monitor"):
        message = _assert_error(invoke(command, "-p", str(project)), "PlatformIO is not installed",
                                "pip install 'edgetf[flash]'")
        assert len(message) < 200
    with pytest.raises(ToolError, match=r"edgetf\[flash\]"):
        find_pio()


def test_edgetf_pio_pointing_nowhere(tmp_path, project, monkeypatch):
    monkeypatch.setenv("EDGETF_PIO", str(tmp_path / "no-such-pio"))
    _assert_error(invoke("flash", "-p", str(project)), "EDGETF_PIO", "no-such-pio")


@pytest.mark.parametrize("command", ["flash", "monitor"])
def test_pio_failing(tmp_path, pio, project, monkeypatch, command):
    monkeypatch.setenv("FAKE_PIO_EXIT", "1")
    message = _assert_error(invoke(command, "-p", str(project)), "PlatformIO", "failed",
                            "(exit 1)", "env esp32", str(project), "--port")
    assert ("upload" in message) == (command == "flash")
    assert len(calls(tmp_path)) == 1


def test_pio_failing_through_library(pio, project, monkeypatch):
    monkeypatch.setenv("FAKE_PIO_EXIT", "3")
    with pytest.raises(ToolError, match=r"upload failed \(exit 3\)") as caught:
        flash(project, port="/dev/ttyUSB0")
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)


# --- PlatformIO could not install the platform ----------------------------------------------

#: What PlatformIO 6.1 prints on stderr when a first build cannot download the toolchain
#: (the "Tool Manager" lines as users reported them, the last line as
#: platformio/__main__.py prints the exception), and the other exceptions it ends with
#: when the registry, the network or the package for this system is missing.
TOOLCHAIN_DOWNLOAD_FAILED = """\
Tool Manager: Installing platformio/toolchain-xtensa-esp32 @ 8.4.0+2021r2-patch5
Tool Manager: Error: Please read https://bit.ly/package-manager-ioerror
Tool Manager: Warning! Package Mirror: [Errno 28] No space left on device
Tool Manager: Looking for another mirror...
PackageException: Could not install package 'platformio/toolchain-xtensa-esp32 @ \
8.4.0+2021r2-patch5' for 'linux_x86_64' system
"""
INSTALL_ERRORS = {
    "toolchain": (TOOLCHAIN_DOWNLOAD_FAILED, "PackageException: Could not install package"),
    "offline": ("Platform Manager: Installing espressif32\nInternetConnectionError: You are "
                "not connected to the Internet.\nPlatformIO needs the Internet connection to "
                "download dependent packages or to work with PlatformIO Account.\n",
                "InternetConnectionError: You are not connected to the Internet."),
    "registry": ("\x1b[31mHTTPClientError: 503 Server Error\x1b[0m\n",
                 "HTTPClientError: 503 Server Error"),
    "no package for this system": (
        "UnknownPackageError: Could not find the package with 'platformio/espressif32' "
        "requirements for your system 'linux_riscv64'\n",
        "UnknownPackageError: Could not find the package"),
}


@pytest.mark.parametrize("case", sorted(INSTALL_ERRORS))
@pytest.mark.parametrize("command", ["flash", "monitor"])
def test_install_failure_is_named_not_the_board(pio, project, monkeypatch, command, case):
    stderr, cause = INSTALL_ERRORS[case]
    monkeypatch.setenv("FAKE_PIO_STDERR", stderr)
    monkeypatch.setenv("FAKE_PIO_EXIT", "1")
    result = invoke(command, "-p", str(project))
    message = _assert_error(result, "could not install the espressif32 platform or its tools",
                            cause, "internet connection", f"run edgetf {command} again")
    assert "--port" not in message and "board is connected" not in message
    assert stderr.splitlines()[0] in result.stderr  # PlatformIO's own words still shown


def test_monitor_before_any_flash_says_install_the_platform(pio, project, monkeypatch):
    """``pio device monitor`` never installs: a platform not there is UnknownPlatform."""
    monkeypatch.setenv("FAKE_PIO_STDERR",
                       "UnknownPlatform: Unknown development platform 'espressif32'\n")
    monkeypatch.setenv("FAKE_PIO_EXIT", "1")
    with pytest.raises(ToolError) as caught:
        monitor(project)
    message = str(caught.value)
    assert "the espressif32 platform is not installed" in message
    assert "run edgetf flash first" in message and f"--project-dir {project}" in message
    assert "--port" not in message and "\n" not in message


def test_other_failures_still_point_at_the_board(pio, project, monkeypatch, capfd):
    monkeypatch.setenv("FAKE_PIO_STDERR", "A fatal error occurred: Failed to connect to "
                       "ESP32: No serial data received.\n*** [upload] Error 2\n")
    monkeypatch.setenv("FAKE_PIO_EXIT", "1")
    with pytest.raises(ToolError, match="check the board is connected and --port"):
        flash(project)
    assert "Failed to connect to ESP32" in capfd.readouterr().err


def test_project_env_names_its_platform_and_framework(tmp_path):
    chosen = read_project(make_project(tmp_path / "fw"))
    assert (chosen.platform, chosen.framework) == ("espressif32", "espidf")
    assert chosen.commands.upload == ("run", "--target", "upload")


# --- Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_ends_monitor_normally(tmp_path, pio, project, monkeypatch):
    monkeypatch.setenv("FAKE_PIO_SIGINT", "1")
    monkeypatch.setenv("FAKE_PIO_EXIT", "130")
    result = invoke("monitor", "-p", str(project))
    assert result.exit_code == 0, result.output
    assert "error" not in result.stderr
    monitor(project)  # the library returns too
    assert len(calls(tmp_path)) == 2


def test_ctrl_c_interrupts_flash(tmp_path, pio, project, monkeypatch):
    monkeypatch.setenv("FAKE_PIO_SIGINT", "1")
    monkeypatch.setenv("FAKE_PIO_EXIT", "130")
    assert invoke("flash", "-p", str(project)).exit_code == 130
    with pytest.raises(KeyboardInterrupt):
        flash(project)


# --- finding PlatformIO ---------------------------------------------------------------------


def test_pio_found_on_path(tmp_path, no_pio, project, monkeypatch):
    bin_dir = tmp_path / "bin"
    fake = write_fake_pio(bin_dir)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_pio() == [str(fake)]
    assert invoke("flash", "-p", str(project), "--port", "/dev/ttyUSB1").exit_code == 0
    assert calls(tmp_path)[0][-2:] == ["--upload-port", "/dev/ttyUSB1"]


def test_platformio_name_found_on_path(tmp_path, no_pio, monkeypatch):
    bin_dir = tmp_path / "bin"
    fake = write_fake_pio(bin_dir, name="platformio")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_pio() == [str(fake)]


def test_edgetf_pio_wins_over_path(tmp_path, no_pio, pio, monkeypatch):
    bin_dir = tmp_path / "bin"
    write_fake_pio(bin_dir)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_pio() == [str(pio)]


def test_platformio_python_module(tmp_path, no_pio, project, monkeypatch, capfd):
    """pip install 'edgetf[flash]' into a venv whose bin folder is not on PATH."""
    package = tmp_path / "site" / "platformio"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(FAKE_PIO.split("\n", 1)[1])
    monkeypatch.delitem(sys.modules, "platformio")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(tmp_path / "site"), os.environ.get("PYTHONPATH")])))
    assert find_pio() == [sys.executable, "-m", "platformio"]
    flash(project, port="COM4")
    assert calls(tmp_path) == [["run", "--project-dir", str(project), "--environment", "esp32",
                                "--target", "upload", "--upload-port", "COM4"]]
