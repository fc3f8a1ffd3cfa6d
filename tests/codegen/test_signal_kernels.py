"""edgetf's own signal-op arithmetic (firmware/edgetf/edgetf_signal.*), built by the host
compiler and compared, op by op, with the tflite-micro wheel's interpreter.

Front-end graphs (micro_speech's ``audio_preprocessor_int8.tflite`` and edgetf's ``audio``
graph at other settings) and single-op graphs fed extreme values run in TFLM with every
tensor kept (``kPreserveAllTensors``), frame after frame in one interpreter, so the noise
estimate carries over as on the board. Each signal op's inputs, as TFLM saw them, go
through a small driver built from edgetf_signal.cc, whose outputs must equal TFLM's
bit for bit (the driver keeps the spectral subtraction's state across frames too).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from flatbuffers import flexbuffers

from edgetf.codegen.resources import resource_dir
from edgetf.features.audio_config import AudioConfig
from edgetf.features.audio_graph import audio_graph
from edgetf.features.spectral import spectral_front_end
from edgetf.tflite.reader import read_tflite
from edgetf.tflite.writer import ModelWriter
from tests.codegen.test_lut_decode import STANDALONE_LIBRARY_H
from tests.conftest import shared_model_path

GXX = shutil.which("g++")
pytestmark = pytest.mark.skipif(GXX is None, reason="g++ not found: compile checks need it")
FIRMWARE = resource_dir("firmware")
RATE = 16000

# Reads int64 words on stdin: the op's parameters, then frame after frame its inputs
# (each a length and the values); writes each frame's outputs the same way.
_DRIVER = r"""
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include "edgetf/edgetf_signal.h"

namespace s = edgetf::signal;
using Words = std::vector<int64_t>;

static bool Read(int64_t* v) { return std::fread(v, 8, 1, stdin) == 1; }
static Words ReadArray() {
  int64_t n = 0;
  Read(&n);
  Words w(static_cast<std::size_t>(n));
  for (auto& v : w) Read(&v);
  return w;
}
template <typename T> std::vector<T> As(const Words& w) {
  std::vector<T> out(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) out[i] = static_cast<T>(w[i]);
  return out;
}
template <typename T> void Write(const std::vector<T>& values) {
  const int64_t n = static_cast<int64_t>(values.size());
  std::fwrite(&n, 8, 1, stdout);
  for (T v : values) {
    const int64_t w = static_cast<int64_t>(v);
    std::fwrite(&w, 8, 1, stdout);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) return 1;
  const std::string op = argv[1];
  const Words p = ReadArray();
  const int inputs = std::stoi(argv[2]);
  std::vector<uint32_t> noise;
  std::vector<char> fft_memory;
  s::Rfft* fft = nullptr;
  s::RfftFloat* fft_float = nullptr;
  int64_t first = 0;
  while (Read(&first)) {
    std::vector<Words> in(static_cast<std::size_t>(inputs));
    in[0].resize(static_cast<std::size_t>(first));
    for (auto& v : in[0]) Read(&v);
    for (int i = 1; i < inputs; ++i) in[static_cast<std::size_t>(i)] = ReadArray();
    if (op == "window") {
      auto x = As<int16_t>(in[0]), w = As<int16_t>(in[1]);
      std::vector<int16_t> out(x.size());
      for (std::size_t i = 0; i < x.size(); i += w.size())
        s::ApplyWindow(&x[i], w.data(), static_cast<int>(w.size()), static_cast<int>(p[0]),
                       &out[i]);
      Write(out);
    } else if (op == "autoscale") {
      auto x = As<int16_t>(in[0]);
      std::vector<int16_t> out(x.size());
      const int32_t shift = s::FftAutoScale(x.data(), static_cast<int>(x.size()), out.data());
      Write(out);
      Write(std::vector<int32_t>{shift});
    } else if (op == "rfft") {
      const int32_t n = static_cast<int32_t>(p[0]);
      if (fft == nullptr) {
        fft_memory.resize(s::RfftBytes(n) + 16);
        char* base = fft_memory.data();
        base += (16 - reinterpret_cast<std::uintptr_t>(base) % 16) % 16;
        fft = s::RfftMake(n, base, s::RfftBytes(n));
        if (fft == nullptr) return 3;
      }
      const auto x = As<int16_t>(in[0]);
      const std::size_t frame = static_cast<std::size_t>(p[1]);
      std::vector<int16_t> out;
      for (std::size_t at = 0; at < x.size(); at += frame) {
        std::vector<int16_t> padded(x.begin() + static_cast<long>(at),
                                    x.begin() + static_cast<long>(at + frame));
        padded.resize(static_cast<std::size_t>(n), 0);
        std::vector<s::Cpx16> spectrum(static_cast<std::size_t>(n / 2 + 1));
        s::RfftApply(fft, padded.data(), spectrum.data());
        for (auto c : spectrum) { out.push_back(c.re); out.push_back(c.im); }
      }
      Write(out);
    } else if (op == "rfftf") {  // float32 values travel as their bit patterns
      const int32_t n = static_cast<int32_t>(p[0]);
      if (fft_float == nullptr) {
        fft_memory.resize(s::RfftFloatBytes(n) + 16);
        char* base = fft_memory.data();
        base += (16 - reinterpret_cast<std::uintptr_t>(base) % 16) % 16;
        fft_float = s::RfftFloatMake(n, base, s::RfftFloatBytes(n));
        if (fft_float == nullptr) return 3;
      }
      std::vector<float> x(in[0].size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        const uint32_t bits = static_cast<uint32_t>(in[0][i]);
        std::memcpy(&x[i], &bits, 4);
      }
      const std::size_t frame = static_cast<std::size_t>(p[1]);
      std::vector<uint32_t> out;
      for (std::size_t at = 0; at < x.size(); at += frame) {
        std::vector<float> padded(x.begin() + static_cast<long>(at),
                                  x.begin() + static_cast<long>(at + frame));
        padded.resize(static_cast<std::size_t>(n), 0.0f);
        std::vector<s::CpxF> spectrum(static_cast<std::size_t>(n / 2 + 1));
        s::RfftFloatApply(fft_float, padded.data(), spectrum.data());
        for (auto c : spectrum) {
          uint32_t bits[2];
          std::memcpy(&bits[0], &c.re, 4);
          std::memcpy(&bits[1], &c.im, 4);
          out.push_back(bits[0]);
          out.push_back(bits[1]);
        }
      }
      Write(out);
    } else if (op == "energy") {
      auto x = As<int16_t>(in[0]);
      std::vector<s::Cpx16> spectrum(x.size() / 2);
      std::memcpy(spectrum.data(), x.data(), x.size() * 2);
      std::vector<uint32_t> out(spectrum.size(), 0);
      s::Energy(spectrum.data(), static_cast<int>(p[1]), static_cast<int>(p[0]), out.data());
      Write(out);
    } else if (op == "filterbank") {
      auto e = As<uint32_t>(in[0]);
      auto w = As<int16_t>(in[1]), u = As<int16_t>(in[2]), f = As<int16_t>(in[3]),
           ws = As<int16_t>(in[4]), wd = As<int16_t>(in[5]);
      s::FilterBankTables t{static_cast<int32_t>(p[0]), f.data(), ws.data(), wd.data(),
                            w.data(), u.data(), static_cast<int32_t>(w.size())};
      if (!s::FilterBankTablesFit(t, static_cast<int32_t>(e.size()))) return 4;
      std::vector<uint64_t> out(static_cast<std::size_t>(p[0]));
      s::FilterBank(t, e.data(), out.data());
      Write(out);
    } else if (op == "sqrt") {
      auto x = As<uint64_t>(in[0]);
      std::vector<uint32_t> out(x.size());
      s::FilterBankSquareRoot(x.data(), static_cast<int>(x.size()),
                              static_cast<int32_t>(in[1][0]), out.data());
      Write(out);
    } else if (op == "subtract") {
      s::SpectralSubtractionOptions o{static_cast<int32_t>(p[4]),
          static_cast<uint32_t>(p[6]), static_cast<uint32_t>(p[5]),
          static_cast<uint32_t>(p[1]), static_cast<uint32_t>(p[0]),
          static_cast<uint32_t>(p[3]), static_cast<uint32_t>(p[7]),
          static_cast<uint32_t>(p[8]), p[2] != 0};
      noise.resize(static_cast<std::size_t>(o.channels), 0);
      auto x = As<uint32_t>(in[0]);
      std::vector<uint32_t> out(x.size());
      s::SpectralSubtraction(o, x.data(), noise.data(), out.data());
      Write(out);
      Write(noise);
    } else if (op == "pcan") {
      auto x = As<uint32_t>(in[0]), n = As<uint32_t>(in[1]);
      auto lut = As<int16_t>(in[2]);
      if (lut.size() < s::kPcanLutEntries) return 5;
      std::vector<uint32_t> out(x.size());
      s::Pcan(x.data(), n.data(), lut.data(), static_cast<int32_t>(p[0]),
              static_cast<int>(x.size()), out.data());
      Write(out);
    } else if (op == "log") {
      auto x = As<uint32_t>(in[0]);
      std::vector<int16_t> out(x.size());
      s::FilterBankLog(x.data(), static_cast<int>(x.size()), static_cast<int32_t>(p[1]),
                       static_cast<int32_t>(p[0]), out.data());
      Write(out);
    } else {
      return 2;
    }
  }
  return 0;
}
"""

# Custom code -> (driver op, option keys in the order the driver takes them, inputs,
# outputs compared).
_OPS = {
    "SignalWindow": ("window", ["shift"], 2),
    "SignalFftAutoScale": ("autoscale", [], 1),
    "SignalRfft": ("rfft", ["fft_length"], 1),
    "SignalEnergy": ("energy", ["end_index", "start_index"], 1),
    "SignalFilterBank": ("filterbank", ["num_channels"], 6),
    "SignalFilterBankSquareRoot": ("sqrt", [], 2),
    "SignalFilterBankSpectralSubtraction": (
        "subtract", ["alternate_one_minus_smoothing", "alternate_smoothing", "clamping",
                     "min_signal_remaining", "num_channels", "one_minus_smoothing",
                     "smoothing", "smoothing_bits", "spectral_subtraction_bits"], 1),
    "SignalPCAN": ("pcan", ["snr_shift"], 3),
    "SignalFilterBankLog": ("log", ["input_correction_bits", "output_scale"], 1),
}

# Runs a model frame by frame in one TFLM interpreter that keeps every tensor; saves
# each frame's tensors as f"{frame}_{tensor}".
_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime
    folder = sys.argv[1]
    model = open(folder + "/model.tflite", "rb").read()
    tensors = int(sys.argv[2])
    interpreter = runtime.Interpreter.from_bytes(
        model, arena_size=1 << 22,
        intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    found = {}
    with np.load(folder + "/in.npz") as f:
        frames = sorted({int(k[1:].split("_")[0]) for k in f.files})
        for frame in frames:
            for i in range(sum(k.startswith(f"f{frame}_") for k in f.files)):
                interpreter.set_input(f[f"f{frame}_{i}"], i)
            interpreter.invoke()
            for t in range(tensors):
                got = interpreter.GetTensor(t, 0)
                if isinstance(got, dict) and "tensor_data" in got:
                    found[f"{frame}_{t}"] = np.array(got["tensor_data"], copy=True)
    np.savez(folder + "/out.npz", **found)
""")


def _build_driver(tmp, flags: tuple[str, ...] = ("-std=c++17", "-O1")):
    (tmp / "driver.cc").write_text(_DRIVER)
    (tmp / "edgetf_library.h").write_text(STANDALONE_LIBRARY_H)
    binary = tmp / "driver"
    result = subprocess.run(
        [GXX, *flags, "-Wall", "-Wextra", "-Werror",
         f"-I{tmp}", f"-I{FIRMWARE}", str(tmp / "driver.cc"),
         str(FIRMWARE / "edgetf" / "edgetf_signal.cc"), "-o", str(binary)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return binary


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return _build_driver(tmp_path_factory.mktemp("signal_driver"))


def _clips(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Tone, chirp, noise, silence, a clipped loud tone and full-scale square wave, one
    after the other (the noise estimate sees them all)."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    chirp_phase = 2 * np.pi * (100 * t + (7000 - 100) / (2 * seconds) * t * t)
    parts = [0.3 * np.sin(2 * np.pi * 1000 * t), 0.5 * np.sin(chirp_phase),
             0.2 * rng.standard_normal(n), np.zeros(n), 3.0 * np.sin(2 * np.pi * 440 * t),
             np.where(np.sin(2 * np.pi * 250 * t) >= 0, 1.0, -1.5),
             0.002 * rng.standard_normal(n)]
    audio = np.concatenate(parts) * 32768
    return np.clip(np.round(audio), -32768, 32767).astype(np.int16)


def _frames(audio: np.ndarray, window: int, stride: int, most: int = 60
             ) -> list[np.ndarray]:
    """Windows `stride` apart (further apart where that would give over `most`)."""
    stride = max(stride, (len(audio) - window) // (most - 1))
    count = 1 + (len(audio) - window) // stride
    return [audio[i * stride:i * stride + window].reshape(1, window) for i in range(count)]


def _run_tflm(tmp, model: bytes, frames: list) -> dict[str, np.ndarray]:
    """`frames`: per frame, the graph's input (an array) or inputs (a list)."""
    (tmp / "model.tflite").write_bytes(model)
    arrays = {}
    for f, inputs in enumerate(frames):
        for i, x in enumerate(inputs if isinstance(inputs, list) else [inputs]):
            arrays[f"f{f}_{i}"] = x
    np.savez(tmp / "in.npz", **arrays)
    count = len(read_tflite(model).main.tensors)
    result = subprocess.run([sys.executable, "-c", _CHILD, str(tmp), str(count)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    with np.load(tmp / "out.npz") as f:
        return {k: f[k] for k in f.files}


def _custom_options(model: bytes) -> list[dict]:
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    graph = schema.Model.GetRootAs(model, 0).Subgraphs(0)
    found = []
    for i in range(graph.OperatorsLength()):
        raw = graph.Operators(i).CustomOptionsAsNumpy()
        found.append(flexbuffers.Loads(bytes(raw)) if not isinstance(raw, int) else {})
    return found


def _words(arrays) -> bytes:
    out = []
    for a in arrays:
        a = np.asarray(a).ravel()
        out.append(np.array([a.size], np.int64))
        if a.dtype == np.float32:  # the bit patterns
            a = a.view(np.uint32)
        out.append(a.astype(np.uint64).view(np.int64) if a.dtype == np.uint64
                   else a.astype(np.int64))
    return np.concatenate(out).astype("<i8").tobytes()


def _parse(data: bytes, per_frame: int) -> list[list[np.ndarray]]:
    words = np.frombuffer(data, "<i8")
    frames, at = [], 0
    while at < len(words):
        arrays = []
        for _ in range(per_frame):
            n = int(words[at])
            arrays.append(words[at + 1:at + 1 + n])
            at += 1 + n
        frames.append(arrays)
    return frames


def _compare(driver, tmp, model: bytes, frames: list) -> dict[str, int]:
    """Every signal op of `model`, every frame: the driver's outputs equal TFLM's.
    Returns the number of values compared per op."""
    kept = _run_tflm(tmp, model, frames)
    graph = read_tflite(model).main
    options = _custom_options(model)
    compared: dict[str, int] = {}
    for op in graph.operators:
        if op.custom_code not in _OPS:
            continue
        name, keys, inputs = _OPS[op.custom_code]
        params = [int(options[op.index][k]) for k in keys]
        if name == "rfft":  # and the frame length, the input's last dimension
            params.append(graph.tensors[op.inputs[0]].shape[-1])
            if graph.tensors[op.inputs[0]].dtype == "float32":
                name = "rfftf"

        def value(t: int, f: int) -> np.ndarray:
            tensor = graph.tensors[t]
            return tensor.array() if tensor.data else kept[f"{f}_{t}"]

        stream = [_words([params])]
        for f in range(len(frames)):
            stream.append(_words([value(t, f) for t in op.inputs[:inputs]]))
        result = subprocess.run([str(driver), name, str(inputs)], input=b"".join(stream),
                                capture_output=True, timeout=120)
        assert result.returncode == 0, (op.custom_code, result.stderr.decode()[-2000:])
        got = _parse(result.stdout, len(op.outputs))
        assert len(got) == len(frames)
        for f, arrays in enumerate(got):
            for k, out in enumerate(op.outputs):
                want = np.asarray(kept[f"{f}_{out}"]).ravel()
                mine = arrays[k]
                if want.dtype == np.uint64:
                    mine = mine.view(np.uint64)
                if want.dtype == np.float32:  # bit for bit (NaNs included)
                    want, mine = want.view(np.uint32), mine.astype(np.uint32)
                if name == "energy":  # bins outside [start, end) are left as they were
                    end, start = params[:2]
                    want, mine = want[start:end], mine[start:end]
                assert np.array_equal(mine.astype(want.dtype), want), (
                    f"{op.custom_code} (op {op.index}) frame {f} output {k}: first "
                    f"difference at {np.flatnonzero(mine.astype(want.dtype) != want)[:5]}")
                compared[op.custom_code] = compared.get(op.custom_code, 0) + want.size
    return compared


def test_log_table_is_the_formula():
    # edgetf_signal.cc's correction table is round(65536 * (log2(1 + k/128) - k/128)).
    source = (FIRMWARE / "edgetf" / "edgetf_signal.cc").read_text()
    body = source.split("kLog2Correction[129] = {", 1)[1].split("};", 1)[0]
    table = np.array([int(v) for v in body.replace("\n", " ").split(",")])
    k = np.arange(129)
    assert np.array_equal(table, np.floor(65536 * (np.log2(1 + k / 128) - k / 128) + 0.5))


def test_micro_speech_front_end_op_by_op(driver, tmp_path, rng):
    model = shared_model_path("audio_preprocessor_int8.tflite").read_bytes()
    frames = _frames(_clips(rng, 0.25), 480, 320)
    compared = _compare(driver, tmp_path, model, frames)
    assert set(compared) == set(_OPS)  # all nine ops, every frame
    assert compared["SignalRfft"] == len(frames) * 514


@pytest.mark.parametrize("table", [
    {"window_ms": 64.0, "stride_ms": 32.0, "channels": 32, "upper_hz": 7900.0,
     "clamping": True},  # 1024 points
    {"sample_rate": 8000, "window_ms": 8.0, "stride_ms": 4.0, "channels": 8,
     "upper_hz": 3900.0, "pcan": False},  # 64 points: the radix-2 stage
])
def test_other_front_ends_op_by_op(driver, tmp_path, rng, table):
    config = AudioConfig(**table)
    model = audio_graph(config)
    audio = _clips(rng, 0.12)
    compared = _compare(driver, tmp_path, model,
                        _frames(audio, config.window_samples, config.stride_samples, 40))
    assert "SignalRfft" in compared and "SignalFilterBankLog" in compared


class _OneOps:
    """Independent one-op graphs in one model: each op its own inputs."""

    def __init__(self):
        self.w = ModelWriter(description="signal ops, one by one")
        self.outputs: list[int] = []

    def add(self, code: str, inputs: list[tuple], outputs: list[tuple], options: dict,
            constants: dict | None = None) -> None:
        ids = [self.w.constant(f"{code}_{name}", constants[name])
               if constants and name in constants else
               self.w.input(f"{code}_{name}", shape, dtype) for name, shape, dtype in inputs]
        outs = [self.w.tensor(f"{code}_{name}", shape, dtype) for name, shape, dtype in outputs]
        self.w.custom(code, ids, outs, options)
        self.outputs += outs


def test_extreme_inputs_op_by_op(driver, tmp_path, rng):
    # Full-scale and edge values the audio above rarely reaches: -32768 in the auto-scale
    # (TFLM's int16 maximum then goes negative), saturating windows, FFTs of full-scale
    # noise (int16 wraparound in the butterflies), huge filter-bank sums and logs.
    n, frames = 256, 6
    spikes = np.zeros((frames, 1, n), np.int16)
    spikes[0, 0, 3] = -32768
    spikes[1, 0, [0, 9]] = [-32768, 7]
    spikes[2, 0, 5] = 1
    spikes[4] = rng.integers(-32768, 32768, (1, n))
    spikes[5, 0, ::2] = 32767
    words = [rng.integers(0, 2 ** 32, (40,), np.uint32) >> rng.integers(0, 32, 40).astype(
        np.uint32) for _ in range(frames)]
    big = [rng.integers(0, 2 ** 64, (64,), np.uint64, endpoint=False) >> rng.integers(
        0, 64, 64).astype(np.uint64) for _ in range(frames)]
    ops = _OneOps()
    inputs = [[] for _ in range(frames)]

    def feed(arrays):
        for f in range(frames):
            inputs[f].append(arrays[f])

    ops.add("SignalFftAutoScale", [("x", (n,), "int16")],
            [("y", (n,), "int16"), ("shift", (), "int32")], {})
    feed([s.reshape(n) for s in spikes])
    ops.add("SignalWindow", [("x", (1, n), "int16"), ("w", (n,), "int16")],
            [("y", (1, n), "int16")], {"shift": 3},
            {"w": rng.integers(-32768, 32768, n).astype(np.int16)})
    feed(spikes)
    ops.add("SignalRfft", [("x", (1, n), "int16")], [("y", (1, n + 2), "int16")],
            {"T": 7, "fft_length": n})
    feed(spikes)
    ops.add("SignalFilterBankSquareRoot", [("x", (64,), "uint64"), ("s", (), "int32")],
            [("y", (64,), "uint32")], {}, {"s": np.array(3, np.int32)})
    feed(big)
    ops.add("SignalFilterBankLog", [("x", (40,), "uint32")], [("y", (40,), "int16")],
            {"input_correction_bits": 3, "output_scale": 1 << 14})
    feed(words)
    ops.add("SignalFilterBankSpectralSubtraction", [("x", (40,), "uint32")],
            [("y", (40,), "uint32"), ("n", (40,), "uint32")],
            {"alternate_one_minus_smoothing": 15000, "alternate_smoothing": 1384,
             "clamping": True, "min_signal_remaining": 819, "num_channels": 40,
             "one_minus_smoothing": 15974, "smoothing": 410, "smoothing_bits": 10,
             "spectral_subtraction_bits": 14})
    feed([w >> np.uint32(8) for w in words])
    ops.add("SignalPCAN", [("x", (40,), "uint32"), ("n", (40,), "uint32"),
                           ("g", (125,), "int16")], [("y", (40,), "uint32")],
            {"snr_shift": 6}, {"n": words[0], "g": rng.integers(-2000, 30000, 125).astype(
                np.int16)})
    feed([w >> np.uint32(12) for w in words])
    compared = _compare(driver, tmp_path, ops.w.finish(ops.outputs), inputs)
    assert len(compared) == 7


def test_shorter_frames_are_zero_padded(driver, tmp_path, rng):
    # 100 samples into a 128-point FFT: TFLM pads each frame with zeros.
    ops = _OneOps()
    ops.add("SignalRfft", [("x", (2, 100), "int16")], [("y", (2, 130), "int16")],
            {"T": 7, "fft_length": 128})
    frames = [rng.integers(-32768, 32768, (2, 100)).astype(np.int16) for _ in range(3)]
    assert _compare(driver, tmp_path, ops.w.finish(ops.outputs), frames)


def test_without_the_macro_the_operators_are_not_compiled(tmp_path):
    # Boards whose TFLM has the signal library: edgetf_signal_tflm.cc compiles to nothing
    # (no TFLM header is even read), so it cannot register a second set of kernels.
    (tmp_path / "op_resolver.h").write_text("")
    (tmp_path / "edgetf_library.h").write_text(STANDALONE_LIBRARY_H)
    obj = tmp_path / "glue.o"
    result = subprocess.run([GXX, "-std=c++17", "-c", f"-I{tmp_path}",
                             str(FIRMWARE / "edgetf" / "edgetf_signal_tflm.cc"), "-o", str(obj)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    symbols = subprocess.run(["nm", "-C", str(obj)], capture_output=True, text=True).stdout
    assert "Registration" not in symbols


def _motion(rng: np.random.Generator, windows: int, n: int, axes: int) -> list[np.ndarray]:
    """Accelerometer-like windows: gravity, a few tones, noise, a jolt; in m/s^2."""
    t = np.arange(n)[:, None] / 50
    out = []
    for w in range(windows):
        f = rng.uniform(0.3, 12, (1, axes))
        x = 9.81 * (np.arange(axes) == w % axes) + rng.uniform(0.1, 6, (1, axes)) * np.sin(
            2 * np.pi * f * t + rng.uniform(0, 6, (1, axes))) + rng.normal(0, 0.3, (n, axes))
        x[rng.integers(0, n)] += rng.normal(0, 20, axes)
        out.append(x.astype(np.float32))
    return out


@pytest.mark.parametrize("window,table", [
    (100, {"filter_low_hz": 0.5}),  # 128 points, the mean taken out
    (50, {"bands": 4, "fft_length": 64}),  # 64 points: the radix-2 stage
    (16, {"bands": 2}),  # 16 points, the shortest
])
def test_spectral_front_end_op_by_op(driver, tmp_path, rng, window, table):
    # The motion front end's float RFFT (two per window: filtered and Hann-windowed),
    # frame by frame: edgetf's kernel equals TFLM's kissfft bit for bit.
    front_end = spectral_front_end(table, sample_rate=50, window=window, axes=3)
    frames = _motion(rng, 8, window, 3)
    compared = _compare(driver, tmp_path, front_end.model, frames)
    assert compared == {"SignalRfft": 8 * 2 * 3 * (front_end.layout.fft_length + 2)}


def _cpu_has_fma() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return any(line.startswith("flags") and " fma " in f" {line} " for line in f)
    except OSError:
        return False


@pytest.mark.skipif(not _cpu_has_fma(), reason="this CPU has no fused multiply-add")
def test_float_fft_is_never_fused(tmp_path, rng):
    # Built as GCC builds for a core with FMA in a GNU dialect (the Nano's Arduino build:
    # gnu++, Cortex-M4F): contraction is on, and without edgetf's per-function "off" the
    # FFT's products would fuse and differ from TFLM's in the last bits.
    fused = _build_driver(tmp_path, ("-std=gnu++17", "-O2", "-mfma", "-ffp-contract=fast"))
    front_end = spectral_front_end({"filter_low_hz": 0.5}, sample_rate=50, window=100, axes=3)
    compared = _compare(fused, tmp_path, front_end.model, _motion(rng, 6, 100, 3))
    assert compared == {"SignalRfft": 6 * 2 * 3 * 130}


def test_float_fft_extreme_inputs(driver, tmp_path, rng):
    # Values over many magnitudes (products and sums that round), tiny and huge ones,
    # signed zeros, an impulse, a constant; shorter frames zero-padded; 8 to 1024 points.
    for n, frame in ((8, 8), (32, 20), (256, 256), (1024, 1000)):
        ops = _OneOps()
        ops.add("SignalRfft", [("x", (2, frame), "float32")],
                [("y", (2, n + 2), "float32")], {"T": 0, "fft_length": n})
        frames = []
        for kind in range(6):
            x = (rng.standard_normal((2, frame)) * 10.0 ** rng.uniform(-30, 30, (2, frame)))
            if kind == 1:
                x = np.where(rng.random((2, frame)) < 0.5, -0.0, 0.0)
            elif kind == 2:
                x = np.zeros((2, frame))
                x[:, 1] = 1.0
            elif kind == 3:
                x = np.full((2, frame), 9.81)
            elif kind == 4:
                x = rng.uniform(-1, 1, (2, frame)) * 1e-38  # subnormal products
            frames.append(x.astype(np.float32))
        compared = _compare(driver, tmp_path, ops.w.finish(ops.outputs), frames)
        assert compared == {"SignalRfft": 6 * 2 * (n + 2)}
