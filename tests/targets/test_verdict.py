"""The board verdict: one decision per model and board, from a model read and measured once.

Counts, for one emit-firmware run of the shared person_detect model (300 KB, int8, no
weight worth a look-up table on these boards), how often each distinct flatbuffer is
parsed by edgetf's reader and how many TFLM child processes each one starts: at most
one each, and none for the device model (names stripped, no table) that TFLM cannot
judge differently from the model it came from.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import edgetf.tflite.reader as reader
import edgetf.tflm.interpreter as interpreter
from edgetf.analyze.inspect import inspect_model
from edgetf.analyze.validate import ValidateOptions, validate
from edgetf.base.progress import Reporter
from edgetf.codegen.emit_firmware import build_project
from edgetf.targets.boards import get_board
from edgetf.targets.prepared import prepare_model
from edgetf.targets.verdict import board_verdict
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.compression import compression_unavailable
from edgetf.tflm.interpreter import tflm_available
from edgetf.train.run_result import measure
from edgetf.tune.figures import board_figures
from tests.conftest import shared_model_path

needs_tflm = pytest.mark.skipif(not tflm_available(), reason="tflite-micro has no wheel here")


def _digest(data) -> str:
    return hashlib.sha256(bytes(data)).hexdigest()


@pytest.fixture
def counted(monkeypatch):
    """(parses, children): Counters by model SHA-256, filled while the test runs."""
    parses: Counter = Counter()
    children: Counter = Counter()
    decode = reader._model
    run_child = interpreter._run_child

    def counting_decode(buf):
        parses[_digest(buf.data)] += 1
        return decode(buf)

    def counting_child(args, cwd: Path, timeout):
        children[_digest((cwd / "model.tflite").read_bytes())] += 1
        return run_child(args, cwd, timeout)

    monkeypatch.setattr(reader, "_model", counting_decode)
    monkeypatch.setattr(interpreter, "_run_child", counting_child)
    return parses, children


@needs_tflm
@pytest.mark.parametrize("board", ["nano33ble", "esp32"])
def test_emit_firmware_reads_and_measures_each_model_once(counted, board):
    parses, children = counted
    data = shared_model_path("person_detect.tflite").read_bytes()
    result = build_project(data, board, name="person", force=True)
    stored = result.spec.model_bytes
    assert not result.spec.stored.compressed  # the premise: no look-up table pays here
    assert stored != data  # names stripped: a second, distinct flatbuffer
    assert parses == Counter({_digest(data): 1, _digest(stored): 1})
    # One child measures the model and records the golden vectors; the stored model,
    # which only lost its names, is not run again.
    assert children == Counter({_digest(data): 1})
    assert result.spec.golden is not None and result.spec.golden.count == 3


@needs_tflm
def test_one_prepared_model_serves_every_board(counted):
    """inspect, emit-firmware and tune read one verdict; a prepared model judged on all
    four boards is still parsed and measured once."""
    parses, children = counted
    data = shared_model_path("person_detect.tflite").read_bytes()
    prepared = prepare_model(data, "person_detect.tflite")
    verdicts = {b: board_verdict(prepared, get_board(b))
                for b in ("esp32", "esp32s3", "esp32s3-psram", "nano33ble")}
    assert parses[_digest(data)] == 1
    assert max(parses.values()) == 1  # the boards' stored models: each parsed once too
    assert children == Counter({_digest(data): 1})
    nano = verdicts["nano33ble"]
    emitted = build_project(prepared, "nano33ble", name="person", force=True).spec
    assert (emitted.arena.bytes, emitted.footprint) == (nano.arena.bytes, nano.footprint)
    inspected = inspect_model(data, "person_detect.tflite", boards=["nano33ble"])
    assert inspected.boards["nano33ble"].to_dict() == nano.to_dict()
    figures = board_figures(data, get_board("nano33ble"))
    assert figures.arena_bytes == nano.arena.bytes
    assert figures.board_flash_bytes == nano.footprint.flash_bytes
    assert figures.fits_board == nano.fits


@needs_tflm
@pytest.mark.skipif(compression_unavailable() is not None, reason="no tflite-micro compressor")
def test_a_compressed_model_costs_exactly_its_decode_more():
    """The stored model's DECODE runs at every inference: its latency estimate is the
    uncompressed one's plus the decoded bytes at the board's cycles per byte, no more."""
    from lut_models import snapped_and_compressed

    data = shared_model_path("micro_speech_quantized.tflite").read_bytes()
    snapped, _ = snapped_and_compressed(data, bits=3)  # weights that fit 3-bit tables
    prepared = prepare_model(snapped, "micro_speech (snapped)")
    board = get_board("nano33ble")
    off = board_verdict(prepared, board, "off")
    always = board_verdict(prepared, board, "always")
    decoded = sum(t.decoded_bytes for t in always.stored.device.compressed_tensors)
    assert decoded > 0 and not off.stored.compressed
    term = decoded * board.decode_cost.cycles_per_byte / board.cpu_hz * 1000
    assert always.latency.decode_ms == pytest.approx(term, rel=1e-12)
    assert always.latency.latency_ms - off.latency.latency_ms == pytest.approx(term,
                                                                              rel=1e-9)
    assert off.latency.decode_ms == 0 and "DECODE" in always.latency.basis
    assert always.to_dict()["latency"]["decode_ms"] == always.latency.decode_ms


@needs_tflm
def test_validate_reads_the_model_once(counted, tmp_path):
    """validate (LiteRT and TFLM on the same inputs, the TFLM-vs-LiteRT note, a .tflite
    reference) parses each flatbuffer once and runs TFLM in one child."""
    parses, children = counted
    path = shared_model_path("hello_world_int8.tflite")
    reference = shared_model_path("hello_world_float.tflite")
    x = np.linspace(0, 6.28, 40, dtype=np.float32).reshape(-1, 1)
    np.savez(tmp_path / "x.npz", x=x)  # unlabelled samples: agreement and error only
    result = validate(ValidateOptions(model=path, reference=reference,
                                      data=str(tmp_path / "x.npz")))
    assert result.samples == 40 and result.output_max_abs_error is not None
    assert parses == Counter({_digest(path.read_bytes()): 1,
                              _digest(reference.read_bytes()): 1})
    assert children == Counter({_digest(path.read_bytes()): 1})


@needs_tflm
def test_train_quantize_reads_the_converted_model_once(counted):
    """train-quantize after conversion (its report: LiteRT and TFLM accuracy, weight table,
    sizes with the device model, each board's verdict) reads the converted model once,
    where the conversion read it, and measures it in one child; the test split's run is
    the only other one. The per-board device model is parsed at most once."""
    parses, children = counted
    data = shared_model_path("hello_world_int8.tflite").read_bytes()
    float_model = shared_model_path("hello_world_float.tflite").read_bytes()
    x = np.linspace(0, 6.28, 20, dtype=np.float32).reshape(-1, 1)
    split = SimpleNamespace(x_test=x, y_test=np.zeros(len(x), dtype=np.int64))
    parsed = read_tflite(data, source="the converted model")  # as the conversion does
    report, prepared = measure(data, parsed, float_model, split, [], Reporter(quiet=True),
                                [get_board("nano33ble"), get_board("esp32")])
    assert prepared.model is parsed and set(report["device"]) == {"nano33ble", "esp32"}
    assert parses[_digest(data)] == 1 and max(parses.values()) == 1
    # One child measures the arena and records the golden vectors, one runs the test split.
    assert children == Counter({_digest(data): 2})
