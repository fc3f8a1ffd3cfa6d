"""The TFLM_DECODE operator wrapper (firmware/edgetf/edgetf_lut_decode_tflm.cc) on the host.

CI has no TFLM sources, so the wrapper is compiled against tests/sdk_stubs/tflm: the
declarations it uses, with TFLM's names and signatures (TfLiteRegistration as in the
Nano's TFLM of 2023, or TFLMRegistration as today), and run through its registration's
prepare and invoke by a fake MicroContext that hands out copies of the graph's tensors
as temporaries and counts what is allocated. (The rig in the lead's notes compiles and
runs it against the real Chirale 2.0.0 and tflite-micro; this checks its logic.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgetf.codegen.resources import resource_dir
from tests.codegen.test_lut_decode import STANDALONE_LIBRARY_H, compress, sample

GXX = shutil.which("g++")
NM = shutil.which("nm")
pytestmark = pytest.mark.skipif(GXX is None, reason="g++ not found: compile checks need it")
FIRMWARE = resource_dir("firmware")
STUBS = Path(__file__).resolve().parents[1] / "sdk_stubs" / "tflm"

_OWN_DECODE = '#define EDGETF_OWN_DECODE 1\n#include "edgetf/edgetf_lut_decode_tflm.h"\n'

_FAKE_TFLM = r"""
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "edgetf/edgetf_lut_decode_tflm.h"
#include "cases.h"

namespace tflite {
namespace micro {
edgetf::DecodeRegistration RegisterOp(void* (*init)(TfLiteContext*, const char*, size_t),
                                      TfLiteStatus (*prepare)(TfLiteContext*, TfLiteNode*),
                                      TfLiteStatus (*invoke)(TfLiteContext*, TfLiteNode*),
                                      void (*free)(TfLiteContext*, void*)) {
  edgetf::DecodeRegistration r = {};
  r.init = init; r.free = free; r.prepare = prepare; r.invoke = invoke;
  return r;
}
const TfLiteEvalTensor* GetEvalInput(const TfLiteContext* c, const TfLiteNode* n, int i) {
  return c->GetEvalTensor(c, n->inputs->data[i]);
}
TfLiteEvalTensor* GetEvalOutput(const TfLiteContext* c, const TfLiteNode* n, int i) {
  return c->GetEvalTensor(c, n->outputs->data[i]);
}
}  // namespace micro
}  // namespace tflite

void MicroPrintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::printf("log: ");
  std::vprintf(format, args);
  std::printf("\n");
  va_end(args);
}

static std::vector<TfLiteTensor> g_tensors;
static std::vector<TfLiteEvalTensor> g_evals;

class FakeContext : public tflite::MicroContext {
 public:
  std::size_t persistent = 0;
  int live = 0, temps = 0;
  void* AllocatePersistentBuffer(std::size_t n) override {
    persistent += n;
    return std::calloc(1, n);  // lives until exit
  }
  TfLiteTensor* AllocateTempInputTensor(const TfLiteNode* node, int i) override {
    return Temp(node->inputs->data[i]);
  }
  TfLiteTensor* AllocateTempOutputTensor(const TfLiteNode* node, int i) override {
    return Temp(node->outputs->data[i]);
  }
  void DeallocateTempTfLiteTensor(TfLiteTensor* t) override { --live; delete t; }

 private:
  TfLiteTensor* Temp(int index) { ++live; ++temps; return new TfLiteTensor(g_tensors[index]); }
};

static TfLiteEvalTensor* GetEval(const TfLiteContext*, int i) { return &g_evals[i]; }

static TfLiteIntArray* Ints(std::vector<int> values) {
  auto* a = static_cast<TfLiteIntArray*>(std::malloc(sizeof(int) * (values.size() + 1)));
  a->size = static_cast<int>(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) a->data[i] = values[i];
  return a;
}

static TfLiteTensor Constant(const uint8_t* data, std::size_t bytes) {
  TfLiteTensor t = {};
  t.type = kTfLiteUInt8;
  t.data.data = const_cast<uint8_t*>(data);
  t.dims = Ints({static_cast<int>(bytes)});
  t.allocation_type = kTfLiteMmapRo;
  t.bytes = bytes;
  return t;
}

static TfLiteTensor Output(TfLiteType type, std::vector<int> dims, int channels, int axis,
                           std::size_t bytes) {
  TfLiteTensor t = {};
  t.type = type;
  t.dims = Ints(dims);
  t.allocation_type = kTfLiteArenaRw;
  t.bytes = bytes;
  auto* q = static_cast<TfLiteAffineQuantization*>(
      std::calloc(1, sizeof(TfLiteAffineQuantization)));
  q->scale = static_cast<TfLiteFloatArray*>(std::calloc(1, sizeof(int) + 4 * channels));
  q->scale->size = channels;
  q->quantized_dimension = axis;
  t.quantization.type = kTfLiteAffineQuantization;
  t.quantization.params = q;
  return t;
}

// One DECODE with two outputs: A (int8, axis 0) and B (int16, last axis).
static void Run(const char* name, void (*damage)(TfLiteNode*)) {
  g_tensors = {Constant(kIdxA, sizeof(kIdxA)), Constant(kAncA, sizeof(kAncA)),
               Constant(kIdxB, sizeof(kIdxB)), Constant(kAncB, sizeof(kAncB)),
               Output(kTfLiteInt8, kDimsA, kChannelsA, 0, sizeof(kOutA)),
               Output(kTfLiteInt16, kDimsB, kChannelsB, 3, sizeof(kOutB))};
  static int8_t out_a[sizeof(kOutA)];
  static int16_t out_b[sizeof(kOutB) / 2];
  std::memset(out_a, 0x55, sizeof(out_a));
  std::memset(out_b, 0x55, sizeof(out_b));
  g_evals.clear();
  for (const TfLiteTensor& t : g_tensors) g_evals.push_back({t.data, t.dims, t.type});
  g_evals[4].data.data = out_a;
  g_evals[5].data.data = out_b;
  TfLiteNode node = {Ints({0, 1, 2, 3}), Ints({4, 5}), nullptr};
  if (damage != nullptr) damage(&node);
  FakeContext micro;
  TfLiteContext context = {&micro, GetEval};
  const edgetf::DecodeRegistration* reg = edgetf::LutDecodeRegistration();
  TfLiteStatus status = reg->prepare(&context, &node);
  std::printf("%s prepare=%d persistent=%zu temps=%d live=%d\n", name, status,
              micro.persistent, micro.temps, micro.live);
  if (status != kTfLiteOk) return;
  status = reg->invoke(&context, &node);
  const bool same = std::memcmp(out_a, kOutA, sizeof(kOutA)) == 0 &&
                    std::memcmp(out_b, kOutB, sizeof(kOutB)) == 0;
  std::printf("%s invoke=%d decoded=%s\n", name, status, same ? "same" : "DIFFERENT");
}

int main() {
  Run("good", nullptr);
  Run("encoded-in-arena", [](TfLiteNode*) { g_tensors[2].allocation_type = kTfLiteArenaRw; });
  Run("header-version", [](TfLiteNode*) {
    static uint8_t copy[sizeof(kAncB)];
    std::memcpy(copy, kAncB, sizeof(copy));
    copy[1] = 2;
    g_tensors[3].data.data = copy;
  });
  Run("odd-inputs", [](TfLiteNode* node) { node->inputs->size = 3; });
  Run("per-tensor-output", [](TfLiteNode*) {
    static_cast<TfLiteAffineQuantization*>(g_tensors[4].quantization.params)->scale->size = 1;
  });
  return 0;
}
"""


def _c_array(name: str, ctype: str, values) -> str:
    return f"static const {ctype} {name}[] = {{{', '.join(str(int(v)) for v in values)}}};\n"


def _cases_header(rng) -> str:
    a = sample(rng, 4, 0, np.int8)
    b = sample(rng, 3, 3, np.int16)
    idx_a, anc_a, channels_a = compress(a, 4, 0)
    idx_b, anc_b, channels_b = compress(b, 3, 3)
    return "".join([
        "#include <cstdint>\n#include <vector>\n",
        _c_array("kIdxA", "uint8_t", idx_a), _c_array("kAncA", "uint8_t", anc_a),
        _c_array("kIdxB", "uint8_t", idx_b), _c_array("kAncB", "uint8_t", anc_b),
        _c_array("kOutA", "int8_t", a.ravel()), _c_array("kOutB", "int16_t", b.ravel()),
        f"static const std::vector<int> kDimsA = {{{', '.join(map(str, a.shape))}}};\n",
        f"static const std::vector<int> kDimsB = {{{', '.join(map(str, b.shape))}}};\n",
        f"static const int kChannelsA = {channels_a};\nstatic const int kChannelsB = "
        f"{channels_b};\n"])


def _build(tmp: Path, own_decode: bool, defines: list[str], sources: list[Path]) -> None:
    # The generated headers the operator includes, by paths relative to its own folder:
    # found here through -I, as a generated library finds its own copies beside it.
    (tmp / "op_resolver.h").write_text(_OWN_DECODE if own_decode else "")
    (tmp / "edgetf_library.h").write_text(STANDALONE_LIBRARY_H)
    args = [GXX, "-std=c++17", "-Wall", "-Werror", *defines, f"-I{tmp}", f"-I{FIRMWARE}",
            f"-I{STUBS}", *map(str, sources)]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("registration", ["TfLiteRegistration", "TFLMRegistration"])
def test_the_operator_prepares_decodes_and_refuses(tmp_path, rng, registration):
    defines = ["-DEDGETF_STUB_TFLM_REGISTRATION"] if registration == "TFLMRegistration" else []
    (tmp_path / "cases.h").write_text(_cases_header(rng))
    (tmp_path / "fake.cc").write_text(_FAKE_TFLM)
    _build(tmp_path, True, [*defines, "-o", str(tmp_path / "fake")],
           [tmp_path / "fake.cc", FIRMWARE / "edgetf/edgetf_lut_decode_tflm.cc",
            FIRMWARE / "edgetf/edgetf_lut_decode.cc"])
    out = subprocess.run([str(tmp_path / "fake")], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    # Two 8-byte plans, one persistent buffer; three temporaries per output, all freed.
    assert "good prepare=0 persistent=16 temps=6 live=0" in out
    assert "good invoke=0 decoded=same" in out
    assert "log: TFLM_DECODE output 1: encoded and ancillary tensors must be constant" in out
    assert "encoded-in-arena prepare=1 persistent=16 temps=6 live=0" in out
    assert "log: TFLM_DECODE output 1: decode header version is not 1" in out
    assert "header-version prepare=1 persistent=16 temps=6 live=0" in out
    assert "log: TFLM_DECODE: 3 inputs for 2 outputs (two per output needed)" in out
    assert "odd-inputs prepare=1 persistent=0 temps=0 live=0" in out
    # Five tables but one channel: the tables do not fit the output's quantization.
    assert "log: TFLM_DECODE output 0: value tables longer than channels x stride" in out
    assert "per-tensor-output prepare=1 persistent=16 temps=3 live=0" in out
    assert not any("DIFFERENT" in line for line in out)


@pytest.mark.skipif(NM is None, reason="nm not found")
def test_without_the_macro_the_operator_is_not_compiled(tmp_path):
    # Boards whose TFLM has DECODE: the file compiles to nothing, so it cannot register a
    # second TFLM_DECODE or pull in code.
    obj = tmp_path / "decode.o"
    _build(tmp_path, False, ["-c", "-o", str(obj)],
           [FIRMWARE / "edgetf/edgetf_lut_decode_tflm.cc"])
    symbols = subprocess.run([NM, "-C", str(obj)], capture_output=True, text=True,
                             check=True).stdout
    assert "LutDecodeRegistration" not in symbols
    _build(tmp_path, True, ["-c", "-o", str(obj)],
           [FIRMWARE / "edgetf/edgetf_lut_decode_tflm.cc"])
    symbols = subprocess.run([NM, "-C", str(obj)], capture_output=True, text=True,
                             check=True).stdout
    # In the library's own namespace: two libraries' operators link side by side.
    assert "edgetf::standalone::LutDecodeRegistration()" in symbols
