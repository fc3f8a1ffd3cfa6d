"""Every board is one complete record: each part of it resolves, nothing is half there.

A new board is one entry in ``BOARDS`` (plus a planner table if it brings a new TFLM
build): this walks every entry through everything that reads it (planner table and its
must-stay-constant inputs, latency rows and clock, framework, footprint, the templates
of its framework, the ``--board`` help) so that a missing piece fails here.
"""

from __future__ import annotations

import configparser
import dataclasses
import math

import pytest
from typer.testing import CliRunner

from edgetf.cli.app import app
from edgetf.codegen.emit_firmware import build_project
from edgetf.codegen.project import generate_project
from edgetf.codegen.render import environment
from edgetf.codegen.resources import resource_dir
from edgetf.targets.boards import BOARDS, Board, describe_boards
from edgetf.targets.footprint import estimate_footprint
from edgetf.targets.frameworks import FRAMEWORKS
from edgetf.targets.latency import estimate_latency, kernels_for
from edgetf.targets.planner.kernels import KernelTable
from edgetf.targets.planner.tables import TABLES
from edgetf.targets.planner.weights_in_prepare import must_stay_constant
from edgetf.tflite.reader import read_tflite
from tests.conftest import shared_model_path

#: The quantizations TFLM runs (each needs a latency row on every board).
RUNNABLE = ("int8", "int16x8", "float", "mixed")


@pytest.fixture(scope="module")
def hello_world() -> bytes:
    return shared_model_path("hello_world_int8.tflite").read_bytes()


def test_a_board_cannot_be_made_without_its_parts():
    required = {f.name for f in dataclasses.fields(Board)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert {"framework", "tflm_source", "cpu_hz", "throughput", "kernels",
            "flash_bytes", "ram_bytes"} <= required
    assert len(set(BOARDS.values())) == len(BOARDS)  # hashable, as before: usable as keys


@pytest.mark.parametrize("board", BOARDS.values(), ids=list(BOARDS))
def test_planner_table_resolves(board):
    table = TABLES[board.arena_table]
    assert isinstance(table, KernelTable) and table.name == board.arena_table
    assert table.constant_inputs, "a table says which inputs its kernels read in Prepare"
    assert must_stay_constant(board.arena_table, "PAD", 1)  # paddings: every TFLM reads them
    assert must_stay_constant(board.arena_table, "PAD", 0) is None


@pytest.mark.parametrize("board", BOARDS.values(), ids=list(BOARDS))
def test_latency_rows_and_clock_resolve(board):
    assert board.cpu_hz > 0
    for quantization in RUNNABLE:
        kernels = kernels_for(board, quantization)
        assert kernels in board.throughput, (quantization, kernels)
        estimate = estimate_latency(1_000_000, board, quantization)
        assert estimate.latency_ms is not None and math.isfinite(estimate.latency_ms)
        assert estimate.latency_ms > 0 and f"{board.cpu_hz // 1_000_000} MHz" in estimate.basis
    assert estimate_latency(1, board, "hybrid").latency_ms is None
    # DECODE (look-up-table weights): the board's cycles per decoded byte at its clock.
    cost = board.decode_cost
    assert cost.cycles_per_byte > 0 and cost.source
    plain = estimate_latency(1_000_000, board, "int8")
    decoding = estimate_latency(1_000_000, board, "int8", decoded=40_000)
    term = 40_000 * cost.cycles_per_byte / board.cpu_hz * 1000
    assert decoding.decode_ms == pytest.approx(term) and plain.decode_ms == 0
    assert decoding.latency_ms - plain.latency_ms == pytest.approx(term)


@pytest.mark.parametrize("board", BOARDS.values(), ids=list(BOARDS))
def test_framework_resolves(board, hello_world):
    framework = board.framework
    assert FRAMEWORKS[framework.id] is framework
    assert board.tflm_source.kind == framework.tflm_source_kind
    assert framework.commands.upload and framework.commands.monitor
    templates = resource_dir("templates")
    named = [framework.platformio_env_template, framework.readme_library_template,
             *(f.template for f in framework.files)]
    for template in named:
        assert (templates / template).is_file(), template
        environment().get_template(template)  # parses
    model = read_tflite(hello_world)
    base = estimate_footprint(model, board, 0)
    assert base.flash_bytes == model.size + base.code_bytes + framework.flash_bytes
    assert base.ram_bytes > framework.ram_bytes


@pytest.mark.parametrize("board", BOARDS.values(), ids=list(BOARDS))
def test_every_framework_file_renders(board, hello_world):
    result = build_project(hello_world, board.id, name="hello", model_file="hello.tflite")
    lib = "lib/hello_inferencing"
    # An application over the default app partition gets the conditional files too.
    big = dataclasses.replace(result.spec, footprint=dataclasses.replace(
        result.spec.footprint, flash_bytes=board.flash_bytes - 1))
    files = generate_project(big)
    for extra in board.framework.files:
        path = extra.path.format(lib=lib)
        if extra.only_if is None:
            assert path in result.files, path
        if extra.only_if is None or board.default_app_partition_bytes is not None:
            assert path in files and files[path].strip(), path
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(result.files["platformio.ini"].decode())
    assert ini[f"env:{board.id}"]["framework"] == board.framework.id
    readme = result.files["README.md"].decode()
    assert f"/ `{board.framework.id}`) |" in readme and "Without edgetf or PlatformIO" in readme


def test_board_help_is_generated_from_the_table():
    runner = CliRunner()
    for command in ("emit-firmware", "inspect", "tune"):
        shown = " ".join(runner.invoke(app, [command, "--help"],
                                       env={"COLUMNS": "200"}).stdout.split())
        for board in BOARDS.values():
            assert board.id in shown, (command, board.id)
    shown = " ".join(runner.invoke(app, ["emit-firmware", "--help"],
                                   env={"COLUMNS": "200"}).stdout.split())
    assert describe_boards() in shown
    assert "esp32s3-psram (ESP-IDF, ESP-NN, 8 MB PSRAM)" in describe_boards()
