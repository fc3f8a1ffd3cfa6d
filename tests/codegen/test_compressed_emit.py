"""emit-firmware --compress: what the library stores, registers and checks."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import clustered_cnn

from edgetf.codegen.emit_firmware import build_project
from edgetf.targets.board_arena import host_figure, plan_board_arena
from edgetf.targets.board_compression import board_model
from edgetf.targets.boards import get_board
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.compression import DECODE_OP, compression_unavailable
from edgetf.tflm.interpreter import measure_arena, tflm_available

pytestmark = pytest.mark.skipif(
    compression_unavailable() is not None or not tflm_available(),
    reason="tflite-micro (its compressor and interpreter) is not installed")


@pytest.fixture(scope="module")
def emitted():
    data = clustered_cnn(4)
    return data, {(board, mode): build_project(data, board, name="lut", compress=mode)
                  for board in ("esp32", "nano33ble") for mode in ("auto", "always", "off")}


def _file(result, name: str) -> str:
    return result.files[f"lib/{result.spec.library}/src/edgetf/{name}"].decode()


@pytest.mark.parametrize("board", ["esp32", "nano33ble"])
def test_always_stores_the_compressed_model_with_the_same_golden_vectors(emitted, board):
    data, results = emitted
    auto, off = results[(board, "always")], results[(board, "off")]
    stored = auto.spec.stored
    assert stored.compressed and len(auto.spec.model_bytes) < len(data)
    assert DECODE_OP in read_tflite(auto.spec.model_bytes).op_names()
    # The golden vectors the board checks come from TFLM running the stored model, and
    # equal the uncompressed model's bit for bit.
    assert auto.spec.golden.count == off.spec.golden.count == 3
    for mine, theirs in zip(auto.spec.golden.outputs, off.spec.golden.outputs, strict=True):
        assert np.array_equal(mine, theirs)
    assert auto.spec.arena.bytes > off.spec.arena.bytes  # decoded weights take arena
    assert "| stored model |" in auto.files["README.md"].decode()


def test_each_board_registers_its_own_decode_kernel(emitted):
    _, results = emitted
    esp = _file(results[("esp32", "always")], "op_resolver.h")
    nano = _file(results[("nano33ble", "always")], "op_resolver.h")
    assert "resolver.AddDecode() != kTfLiteOk" in esp and "EDGETF_OWN_DECODE" not in esp
    assert 'resolver.AddCustom("TFLM_DECODE", edgetf::LutDecodeRegistration())' in nano
    assert "#define EDGETF_OWN_DECODE 1" in nano
    assert '#include "edgetf_lut_decode_tflm.h"' in nano


@pytest.mark.parametrize("board", ["esp32", "nano33ble"])
def test_off_stores_the_file_byte_for_byte(emitted, board):
    data, results = emitted
    off = results[(board, "off")]
    assert off.spec.model_bytes == data
    resolver = _file(off, "op_resolver.h")
    assert "DECODE" not in resolver and "edgetf_lut_decode" not in resolver
    assert "| stored model |" not in off.files["README.md"].decode()


def test_a_tensor_whose_decoding_would_not_fit_stays_uncompressed():
    data = clustered_cnn(4)
    model = read_tflite(data)
    measured = measure_arena(data)
    nano = get_board("nano33ble")
    plain = plan_board_arena(model, nano, *host_figure(model, measured.bytes, measured.method,
                                                        measured.note))
    roomy = board_model(model, data, nano, "always", plain_arena=plain)
    assert roomy.compressed and roomy.arena.bytes > plain.bytes
    # A board whose RAM holds the plain model's arena but not the decoded weights too.
    # The wide Dense layer's 55,296 decoded bytes do not fit; the small one's 576 would,
    # but alone it saves less flash than the DECODE kernel costs, so it goes back too.
    kept = board_model(model, data, nano, "always", plain_arena=plain,
                       fits=lambda candidate, arena: arena.bytes <= plain.bytes + 2048)
    assert not kept.compressed and kept.arena.bytes == plain.bytes
    reasons = {t.decoded_bytes: t.reason for t in kept.device.tensors
               if "FULLY_CONNECTED" in t.consumers}
    assert "not fit" in reasons[55296] and "DECODE kernel code" in reasons[576]
    assert len(kept.notes) == 1 and len(kept.decisions) == 1
    # Names still go: the model shrinks even with every tensor as it was.
    assert len(kept.device.data) < len(data)


@pytest.mark.parametrize("board", ["esp32", "nano33ble"])
def test_auto_keeps_the_arena_when_flash_has_room_and_says_what_always_would_do(
        emitted, board):
    """The wide Dense layer decodes to 55,296 bytes: far more arena than max(256 B, 2 %),
    to save flash that both boards have plenty of, so auto stores it as it is."""
    _, results = emitted
    auto, always, off = (results[(board, mode)].spec for mode in ("auto", "always", "off"))
    assert not auto.stored.compressed and auto.arena.bytes == off.arena.bytes
    assert always.stored.compressed and always.arena.bytes > off.arena.bytes + 2048
    saved, added = auto.stored.always
    assert added == always.arena.bytes - off.arena.bytes
    assert saved == len(off.model_bytes) - len(always.model_bytes)
    decisions = " ".join(auto.stored.decisions)
    assert "--compress always would store" in decisions and f"{added:+,} bytes" in decisions
    assert auto.stored.to_dict()["always_arena_added_bytes"] == added


def test_auto_compresses_when_the_model_would_not_fit_flash_otherwise():
    data = clustered_cnn(4)
    model = read_tflite(data)
    measured = measure_arena(data)
    nano = get_board("nano33ble")
    plain = plan_board_arena(model, nano, *host_figure(model, measured.bytes, measured.method,
                                                        measured.note))
    tight = board_model(model, data, nano, "auto", plain_arena=plain,
                        flash_fits=lambda candidate, arena: candidate.size < len(data) // 2)
    assert tight.compressed and tight.always is None
