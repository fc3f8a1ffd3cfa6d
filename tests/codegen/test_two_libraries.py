"""Two emitted libraries (different models, different boards' runtimes) in one program.

Every source file of both libraries is compiled by the host's g++ and linked into one
program with a harness that inits and self-tests both, then runs each on its sample
input: a clash (two definitions of a runtime function, of the LUT decoder, of an inline
metadata table) fails the link or, for inline C++ symbols the linker merges silently,
makes one library run the other's model, which the self-test notices.

CI has no TFLM sources, so TFLM is tests/sdk_stubs/tflm: its declarations, and a fake
interpreter that plays back outputs recorded by the real TFLM interpreter (in Python,
here) for the inputs it was given, and checks that each library hands it its own model
array and a resolver holding every op of that model. (The rig in the lead's notes builds
the same program against real TFLM builds.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgetf.codegen.emit_firmware import build_project
from edgetf.tflite.ops import TFLM_RESOLVER_METHODS
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import run_tflm, tflm_available
from tests.codegen.test_emit_firmware import GXX, _compile, _write
from tests.tiny_models import tiny_models

STUBS = Path(__file__).resolve().parents[1] / "sdk_stubs" / "tflm"
#: TfLiteType per numpy dtype, as the fake interpreter's tensors carry it.
_TFLITE_TYPES = {"float32": "kTfLiteFloat32", "int32": "kTfLiteInt32", "uint8": "kTfLiteUInt8",
                 "int64": "kTfLiteInt64", "bool": "kTfLiteBool", "int16": "kTfLiteInt16",
                 "int8": "kTfLiteInt8"}

pytestmark = [
    pytest.mark.skipif(GXX is None, reason="g++ not found: compile checks need it"),
    pytest.mark.skipif(not tflm_available(), reason="the golden vectors need tflite-micro"),
]


def resolver_stub() -> str:
    """``tflite::MicroMutableOpResolver<N>`` with every ``Add*`` method of edgetf's table,
    each recording the op it registers (TFLM refuses an op registered twice, and more ops
    than N)."""
    methods = "".join(
        f'  TfLiteStatus {method}() {{ return Add("{op}"); }}\n'
        for op, method in sorted(TFLM_RESOLVER_METHODS.items()))
    return f"""// Written by test_two_libraries.py from edgetf's TFLM_RESOLVER_METHODS.
#pragma once
#include <cstring>
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"
namespace tflite {{
template <unsigned int tOpCount>
class MicroMutableOpResolver : public MicroOpResolver {{
 public:
  bool Registered(const char* op) const override {{
    for (unsigned int i = 0; i < count_; ++i) if (std::strcmp(ops_[i], op) == 0) return true;
    return false;
  }}
  template <typename Registration>
  TfLiteStatus AddCustom(const char* name, Registration*) {{
    return std::strcmp(name, "TFLM_DECODE") == 0 ? Add("CUSTOM:TFLM_DECODE") : kTfLiteError;
  }}
{methods}
 private:
  TfLiteStatus Add(const char* op) {{
    if (count_ >= tOpCount || Registered(op)) return kTfLiteError;
    ops_[count_++] = op;
    return kTfLiteOk;
  }}
  const char* ops_[tOpCount] = {{}};
  unsigned int count_ = 0;
}};
}}  // namespace tflite
"""


def _bytes(values: np.ndarray) -> str:
    return ", ".join(str(b) for b in np.ascontiguousarray(values).tobytes()) or "0"


def fake_model(result, rows_in: list[np.ndarray]) -> str:
    """The fake interpreter's record of one library's model: its array, ops, tensors, and
    the outputs the real TFLM interpreter (Python) gives for ``rows_in``."""
    name = result.spec.name
    stored = read_tflite(result.spec.model_bytes)
    rows_out = run_tflm(result.spec.model_bytes, rows_in)
    count = len(rows_in[0])
    inputs = [np.asarray(a).reshape(count, -1) for a in rows_in]
    outputs = [np.asarray(a).reshape(count, -1) for a in rows_out]
    in_rows = np.concatenate([a.view(np.uint8).reshape(count, -1) for a in inputs], axis=1)
    out_rows = np.concatenate([a.view(np.uint8).reshape(count, -1) for a in outputs], axis=1)

    def tensors(tensors, arrays):
        return ", ".join(f"{{{_TFLITE_TYPES[t.dtype]}, {a[0].nbytes}}}"
                         for t, a in zip(tensors, arrays, strict=True))

    ops = ", ".join(f'"{op}"' for op in stored.op_names())
    return f"""
extern const unsigned char {name}_model[];
namespace {name}_fake {{
const char* const kOps[] = {{{ops}}};
const edgetf_stub::FakeTensor kInputs[] = {{{tensors(stored.input_tensors(), inputs)}}};
const edgetf_stub::FakeTensor kOutputs[] = {{{tensors(stored.output_tensors(), outputs)}}};
const uint8_t kInputRows[] = {{{_bytes(in_rows)}}};
const uint8_t kOutputRows[] = {{{_bytes(out_rows)}}};
const edgetf_stub::FakeModel kModel = {{{name}_model, kOps, {len(stored.op_names())}, kInputs,
    {len(inputs)}, kOutputs, {len(outputs)}, kInputRows, kOutputRows, {count}}};
}}  // namespace {name}_fake
"""


_HARNESS_PER_LIBRARY = """
  {{
    edgetf_stub::RegisterModel(&{name}_fake::kModel);
    const int init = {name}_init();
    const int self_test = {name}_self_test();
    float scores[{macro}_OUTPUT_SIZE];
    edgetf_result result = {{-1, nullptr, 0.0f, 0}};
    const int run = {name}_run({name}_sample_input(), {macro}_INPUT_SIZE, scores,
                                {macro}_OUTPUT_SIZE, &result);
    std::printf("{name} init %d self_test %d run %d label %d inputs %u used %u\\n", init,
                self_test, run, result.label_index, static_cast<unsigned>({name}_input_size()),
                static_cast<unsigned>({name}_arena_used_bytes()));
  }}
"""


def _harness(results) -> str:
    includes = "".join(f'#include "{r.spec.library}.h"\n' for r in results)
    bodies = "".join(_HARNESS_PER_LIBRARY.format(name=r.spec.name, macro=r.spec.name.upper())
                     for r in results)
    return (f"#include <cstdio>\n{includes}#include \"fake_models.h\"\n"
            f"int main() {{\n{bodies}"
            "  std::printf(\"played %u unknown %u\\n\", "
            "static_cast<unsigned>(edgetf_stub::PlayedBack()), "
            "static_cast<unsigned>(edgetf_stub::Unknown()));\n  return 0;\n}\n")


@pytest.fixture(scope="module")
def pair():
    """A CNN for the Nano 33 BLE and a residual model for the ESP32, as two libraries."""
    models = tiny_models()
    return [build_project(models["cnn"], "nano33ble", name="wake_word"),
            build_project(models["residual"], "esp32", name="command")]


def _build(results, tmp_path: Path, fake: str) -> Path:
    """Compile every library source of ``results`` and link them with the harness."""
    include = tmp_path / "include"
    header = include / "tensorflow/lite/micro/micro_mutable_op_resolver.h"
    header.parent.mkdir(parents=True)
    header.write_text(resolver_stub())
    (include / "fake_models.h").write_text(
        '#pragma once\n#include <cstdint>\n#include "fake_interpreter.h"\n' + fake)
    (tmp_path / "main.cc").write_text(_harness(results))
    sources, flags = [tmp_path / "main.cc", STUBS / "fake_interpreter.cc"], []
    for result in results:
        root = tmp_path / result.spec.name
        _write(result.files, root)
        src = root / f"lib/{result.spec.library}/src"
        sources += sorted(src.rglob("*.cc"))
        flags.append(f"-I{src}")
    program = tmp_path / "two"
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", *flags, f"-I{include}",
              f"-I{STUBS}", *map(str, sources), "-o", str(program)])
    return program


def _golden_rows(result) -> list[np.ndarray]:
    return list(result.spec.golden.inputs)


def test_two_libraries_link_into_one_program_and_both_self_tests_pass(pair, tmp_path):
    fake = "".join(fake_model(r, _golden_rows(r)) for r in pair)
    program = _build(pair, tmp_path, fake)
    lines = subprocess.run([str(program)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    for result in pair:
        golden = result.spec.golden
        expected = run_tflm(result.spec.model_bytes, list(golden.inputs))[0][0]
        line = next(line for line in lines if line.startswith(f"{result.spec.name} "))
        fields = dict(zip(line.split()[1::2], map(int, line.split()[2::2]), strict=True))
        # Both libraries initialised, and every golden vector of each matched.
        assert fields["init"] == 0 and fields["self_test"] == 0, lines
        # The sample input (golden input 0, dequantized by edgetf and quantized again
        # by the runtime) gives TFLM's top class.
        assert fields["run"] == 0 and fields["label"] == int(np.argmax(expected)), lines
        assert fields["inputs"] == golden.inputs[0][0].size
        assert fields["used"] > 0
    # Every inference played back a recorded row: none ran on another model's input.
    runs = sum(r.spec.golden.count + 1 for r in pair)
    assert f"played {runs} unknown 0" in lines, lines


def test_a_wrong_answer_fails_the_self_test_of_that_library_only(pair, tmp_path):
    """The harness can fail: the second model's recorded outputs are for other inputs,
    so its self-test counts differences while the first still passes."""
    first, second = pair
    other = [np.roll(a, 1, axis=-1) for a in _golden_rows(second)]
    fake = fake_model(first, _golden_rows(first)) + fake_model(second, other)
    program = _build(pair, tmp_path, fake)
    out = subprocess.run([str(program)], capture_output=True, text=True, check=True).stdout
    assert f"{first.spec.name} init 0 self_test 0 run 0" in out
    second_line = next(line for line in out.splitlines() if line.startswith(second.spec.name))
    assert int(second_line.split()[4]) > 0, out


def test_the_two_libraries_share_no_symbol_definition(pair, tmp_path):
    """Every external symbol either library defines carries its name: the prefix of the
    C API (wake_word_init) or its C++ namespace (edgetf::wake_word_inferencing::). Inline
    ones too (metadata tables, RegisterOps): the linker would merge those silently. Only
    TFLM's templates (the resolver) and the C++ library's inline code may be shared."""
    include = tmp_path / "include"
    header = include / "tensorflow/lite/micro/micro_mutable_op_resolver.h"
    header.parent.mkdir(parents=True)
    header.write_text(resolver_stub())
    defined: dict[str, set[str]] = {}
    for result in pair:
        root = tmp_path / result.spec.name
        _write(result.files, root)
        src = root / f"lib/{result.spec.library}/src"
        symbols = set()
        for source in sorted(src.rglob("*.cc")):
            obj = tmp_path / f"{result.spec.name}_{source.stem}.o"
            _compile(["-std=c++17", "-c", f"-I{src}", f"-I{include}", f"-I{STUBS}",
                      str(source), "-o", str(obj)])
            nm = subprocess.run(["nm", "-C", "--defined-only", "--extern-only", str(obj)],
                                capture_output=True, text=True, check=True).stdout
            for line in nm.splitlines():
                _, kind, symbol = line.split(" ", 2)
                if kind in ("W", "V", "u") and "edgetf" not in symbol:
                    continue  # TFLM's and the C++ library's inline code, shared rightly
                symbols.add(symbol)
        name = result.spec.name
        assert symbols
        for symbol in symbols:
            assert symbol.startswith((f"{name}_", f"edgetf::{result.spec.library}::")), symbol
        defined[name] = symbols
    assert not defined[pair[0].spec.name] & defined[pair[1].spec.name]


_GENERIC_CALLER = """#include "{first}.h"
{second}
int main() {{ return edgetf_init() + edgetf_self_test() + (int)edgetf_arena_used_bytes(); }}
"""


def test_generic_names_call_the_only_library_and_are_refused_with_two(pair, tmp_path):
    """DESIGN's C API (edgetf_init, edgetf_self_test, ...) stays for a file that includes
    one library (the rig's harness and single-model programs); with two it is a compile
    error naming the reason, never a silent pick of one model."""
    first, second = pair
    flags = []
    for result in pair:
        root = tmp_path / result.spec.name
        _write(result.files, root)
        flags.append(f"-I{root / f'lib/{result.spec.library}/src'}")
    one = tmp_path / "one.cc"
    one.write_text(_GENERIC_CALLER.format(first=first.spec.library, second=""))
    _compile(["-std=c++17", "-fsyntax-only", *flags, f"-I{STUBS}", str(one)])
    preprocessed = subprocess.run([GXX, "-std=c++17", "-E", *flags, f"-I{STUBS}", str(one)],
                                  capture_output=True, text=True, check=True).stdout
    assert f"return {first.spec.name}_init() + {first.spec.name}_self_test()" in preprocessed
    two = tmp_path / "two.cc"
    two.write_text(_GENERIC_CALLER.format(first=first.spec.library,
                                          second=f'#include "{second.spec.library}.h"'))
    failed = subprocess.run([GXX, "-std=c++17", "-fsyntax-only", *flags, f"-I{STUBS}",
                             str(two)], capture_output=True, text=True)
    assert failed.returncode != 0
    assert "edgetf_init_names_no_model_with_several_libraries" in failed.stderr
