"""edgetf's LUT decoder (firmware/edgetf/edgetf_lut_decode.*), built by the host compiler.

A small driver program reads test cases on stdin (element count, value size, channel
count, quantized dimension, rank, the packed indices and the ancillary tensor in hex),
runs ``lut::MakePlan`` and ``lut::Decode`` on exact-size copies and prints the decoded
bytes or the refusal. The cases are packed here, as tflite-micro's compressor packs them
(MSB-first indices, a 16-byte header, per-channel tables padded to the stride), and the
packing is checked against the tflite-micro wheel's own functions where it is installed.
The driver is built with AddressSanitizer and UBSan where the compiler has them, so a
read past the exact-size buffers fails the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgetf.codegen.resources import resource_dir

GXX = shutil.which("g++")
#: What a generated library's edgetf/edgetf_library.h gives the hand-written files (their
#: C prefix and C++ namespace), for building them alone, outside a generated library.
STANDALONE_LIBRARY_H = (
    "#pragma once\n#define EDGETF_API(fn) standalone_##fn\n"
    '#define EDGETF_API_PREFIX "standalone_"\n#define EDGETF_LIBRARY_NS standalone\n'
    '#define EDGETF_ARENA_OVERRIDE "STANDALONE_ARENA_BYTES"\n')
pytestmark = pytest.mark.skipif(GXX is None, reason="g++ not found: compile checks need it")
FIRMWARE = resource_dir("firmware")

_DRIVER = r"""
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>
#include "edgetf/edgetf_lut_decode.h"

static std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  if (hex == "-") return out;
  out.reserve(hex.size() / 2);  // exactly: AddressSanitizer then sees the real end
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

int main() {
  std::size_t elements, value_bytes, channels;
  int qd, rank;
  std::string index_hex, ancillary_hex;
  while (std::cin >> elements >> value_bytes >> channels >> qd >> rank >> index_hex >>
         ancillary_hex) {
    // Exact-size heap copies: AddressSanitizer catches any read past them.
    const std::vector<uint8_t> indices = FromHex(index_hex);
    const std::vector<uint8_t> ancillary = FromHex(ancillary_hex);
    edgetf::lut::TensorFacts facts = {indices.empty() ? nullptr : indices.data(),
                                      indices.size(),
                                      ancillary.empty() ? nullptr : ancillary.data(),
                                      ancillary.size(), elements, value_bytes, channels, qd,
                                      rank};
    edgetf::lut::Plan plan;
    const edgetf::lut::Status status = edgetf::lut::MakePlan(facts, &plan);
    if (status != edgetf::lut::kOk) {
      std::printf("err %d %s\n", static_cast<int>(status), edgetf::lut::StatusText(status));
      continue;
    }
    std::vector<uint8_t> out(elements * value_bytes);
    edgetf::lut::Decode(plan, indices.data(), ancillary.data(), elements, out.data());
    std::printf("ok ");
    for (uint8_t byte : out) std::printf("%02x", byte);
    std::printf("\n");
  }
  return 0;
}
"""


def _status_numbers() -> dict[str, int]:
    """The Status enum's names and values, read from the header."""
    header = (FIRMWARE / "edgetf" / "edgetf_lut_decode.h").read_text()
    body = re.search(r"enum Status \{(.*?)\};", header, re.S).group(1)
    names = re.findall(r"^\s*(k\w+)", body, re.M)
    assert names[0] == "kOk" and "= 0" in body.splitlines()[1]
    return {name: i for i, name in enumerate(names)}


def _sanitizer_flags(tmp: Path) -> list[str]:
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    probe = tmp / "probe.cc"
    probe.write_text("int main() { return 0; }\n")
    result = subprocess.run([GXX, *flags, str(probe), "-o", str(tmp / "probe")],
                            capture_output=True)
    return flags if result.returncode == 0 else []


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("lut_driver")
    (tmp / "driver.cc").write_text(_DRIVER)
    (tmp / "edgetf_library.h").write_text(STANDALONE_LIBRARY_H)
    binary = tmp / "driver"
    result = subprocess.run(
        [GXX, "-std=c++17", "-O1", "-g", "-Wall", "-Wextra", "-Wconversion", "-Werror",
         *_sanitizer_flags(tmp), f"-I{tmp}", f"-I{FIRMWARE}", str(tmp / "driver.cc"),
         str(FIRMWARE / "edgetf" / "edgetf_lut_decode.cc"), "-o", str(binary)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return binary


def _run(driver: Path, cases: list[tuple]) -> list[str]:
    """Each case: (elements, value_bytes, channels, qd, rank, indices, ancillary)."""
    lines = [f"{n} {vb} {c} {qd} {rank} {idx.hex() or '-'} {anc.hex() or '-'}"
             for n, vb, c, qd, rank, idx, anc in cases]
    result = subprocess.run([str(driver)], input="\n".join(lines) + "\n", capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(cases)
    return out


# --- packing, as tflite-micro's compressor does it ----------------------------------


def pack_indices(indices: np.ndarray, bits: int) -> bytes:
    """MSB-first: index 0's top bit is bit 7 of byte 0; zero bits pad the last byte."""
    flat = [int(i) for i in np.asarray(indices).ravel()]
    total = len(flat) * bits
    value = 0
    for i in flat:
        value = (value << bits) | i
    value <<= -total % 8
    return value.to_bytes((total + 7) // 8, "big") if flat else b""


def header(bits: int, stride: int, axis: int | None) -> bytes:
    out = bytearray(16)
    out[1] = 1  # header version; out[0] = 0: LUT
    out[4] = 1  # LUT version
    out[5] = ((0xF if axis is None else axis) << 4) | bits
    out[6] = stride
    return bytes(out)


def compress(data: np.ndarray, bits: int, axis: int | None) -> tuple[bytes, bytes, int]:
    """(indices, ancillary, channels) for ``data`` compressed per tensor (axis None) or
    per channel along ``axis`` (0 or the last)."""
    slices = [data] if axis is None else list(np.moveaxis(data, axis, 0))
    tables, index_slices = [], []
    for piece in slices:
        values, inverse = np.unique(piece, return_inverse=True)
        tables.append(values)
        index_slices.append(inverse.reshape(piece.shape))
    indices = index_slices[0] if axis is None else np.moveaxis(np.stack(index_slices), 0, axis)
    stride = max(len(t) for t in tables)
    padded = b"".join(np.pad(t, (0, stride - len(t))).tobytes() for t in tables)
    return pack_indices(indices, bits), header(bits, stride, axis) + padded, len(tables)


_SHAPE = (5, 4, 8, 7)  # 5 channels on axis 0 (224 values each), 7 on the last (160)


def sample(rng, bits: int, axis: int | None, dtype) -> np.ndarray:
    """Random values with at most 2**bits distinct ones per channel (exactly that many
    in channel 0, so all ``bits`` are needed)."""
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    channels = 1 if axis is None else _SHAPE[axis]
    pieces = []
    for channel in range(channels):
        count = 2 ** bits if channel == 0 else int(rng.integers(1, 2 ** bits + 1))
        if info is not None:
            values = rng.choice(np.arange(info.min, info.max + 1) if info.bits <= 16 else
                                rng.integers(info.min, info.max, 4096), count, replace=False)
        else:
            values = rng.standard_normal(count)
        piece_shape = _SHAPE if axis is None else tuple(np.delete(_SHAPE, axis))
        piece = rng.choice(values.astype(dtype), piece_shape)
        piece.flat[:count] = values.astype(dtype)  # every value occurs
        pieces.append(piece)
    return pieces[0] if axis is None else np.moveaxis(np.stack(pieces), 0, axis)


_MODES = {"per_tensor": None, "axis_0": 0, "last_axis": 3}


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32])
@pytest.mark.parametrize("mode", list(_MODES))
def test_every_bit_width_decodes_to_the_original_bytes(driver, rng, mode, dtype):
    axis = _MODES[mode]
    cases, originals = [], []
    for bits in range(1, 8):
        data = sample(rng, bits, axis, dtype)
        indices, ancillary, channels = compress(data, bits, axis)
        assert len(indices) == -(-data.size * bits // 8)
        qd = 0 if axis is None else axis
        cases.append((data.size, data.itemsize, channels, qd, data.ndim, indices, ancillary))
        originals.append(data.tobytes())
    for line, original in zip(_run(driver, cases), originals, strict=True):
        assert line == f"ok {original.hex()}"


def test_one_dimensional_per_channel_tensors_decode(driver, rng):
    # A [C] tensor quantized on axis 0 is also "the last axis": TFLM takes the
    # alternate-axis path, which gives element i table i as axis 0 would.
    data = rng.integers(-128, 128, 9).astype(np.int8)
    indices, ancillary, channels = compress(data, 1, 0)
    assert _run(driver, [(9, 1, channels, 0, 1, indices, ancillary)]) == [
        f"ok {data.tobytes().hex()}"]


def test_the_packing_is_tflite_micros(rng):
    lut = pytest.importorskip("tflite_micro.tensorflow.lite.micro.compression.lut")
    decode = pytest.importorskip("tflite_micro.tensorflow.lite.micro.compression.decode")
    for bits in range(1, 8):
        for axis in (None, 0, 3):
            data = sample(rng, bits, axis, np.int8)
            compressed = lut.compress_array(data, axis)
            stride = max(len(t) for t in compressed.lookup_tables)
            theirs_anc = decode.DecodeCommonMetadata(
                decode_type=decode.DecodeType.LUT,
                user_data=lut.LutAncillaryData(
                    bitwidth=bits, axis=0xF if axis is None else axis,
                    value_table_stride=stride).to_user_data()).to_bytes() + \
                lut.pack_lookup_tables(compressed.lookup_tables, stride)
            ours = compress(data, bits, axis)
            assert ours[0] == lut.pack_indices(compressed.indices, bits)
            assert ours[1] == theirs_anc


# --- refusals ------------------------------------------------------------------------


def _good(rng) -> tuple:
    data = sample(rng, 3, 0, np.int8)
    indices, ancillary, channels = compress(data, 3, 0)
    return (data.size, 1, channels, 0, data.ndim, indices, ancillary)


def _with_byte(blob: bytes, i: int, value: int) -> bytes:
    return blob[:i] + bytes([value]) + blob[i + 1:]


def test_damaged_inputs_are_refused(driver, rng):
    n, vb, c, qd, rank, idx, anc = _good(rng)
    table_end = len(anc)
    cases = {
        "kOk": (n, vb, c, qd, rank, idx, anc),
        "kShortAncillary": (n, vb, c, qd, rank, idx, anc[:15]),
        "kNotLut": (n, vb, c, qd, rank, idx, _with_byte(anc, 0, 1)),
        "kBadHeaderVersion": (n, vb, c, qd, rank, idx, _with_byte(anc, 1, 2)),
        "kBadLutVersion": (n, vb, c, qd, rank, idx, _with_byte(anc, 4, 0)),
        "kBadBitWidth": (n, vb, c, qd, rank, idx, _with_byte(anc, 5, anc[5] & 0xF8)),
        "kBadStride": (n, vb, c, qd, rank, idx, _with_byte(anc, 6, 0)),
        "kBadValueType": (n, 3, c, qd, rank, idx, anc),
        "kNoElements": (0, vb, c, qd, rank, idx, anc),
        "kBadChannels": (n, vb, 3, qd, rank, idx, anc),
        "kBadAxis": (n, vb, c, 1, rank, idx, anc),
        "kShortValueTables": (n, vb, c, qd, rank, idx, anc[:table_end - 1]),
        "kExtraValueTables": (n, vb, c, qd, rank, idx, anc + b"\0"),
        "kShortIndices": (n, vb, c, qd, rank, idx[:-1], anc),
    }
    # The header says one table, the output's quantization five channels.
    cases["kBadAxis (per-tensor header)"] = (n, vb, c, qd, rank, idx,
                                             _with_byte(anc, 5, 0xF0 | 3))
    # Axis 0 in the header, the quantization on the last axis.
    cases["kBadAxis (header axis)"] = (n, vb, c, 3, rank, idx, anc)
    # Index 7 in the last element where the stride is 6: another channel's entry.
    data = sample(rng, 3, None, np.int8)
    small_idx, small_anc, _ = compress(data, 3, None)
    stride = small_anc[6]
    bad = np.zeros(data.size, np.int64)
    bad[-1] = 7
    cases["kIndexPastTable"] = (data.size, 1, 1, 0, data.ndim, pack_indices(bad, 3),
                                _with_byte(small_anc, 6, 6)[:16 + 6])
    assert stride == 8
    cases["kShortIndices (none)"] = (n, vb, c, qd, rank, b"", anc)
    numbers = _status_numbers()
    for name, line in zip(cases, _run(driver, list(cases.values())), strict=True):
        status = name.split()[0]
        if status == "kOk":
            assert line.startswith("ok "), name
        else:
            assert line.startswith(f"err {numbers[status]} "), (name, line)
