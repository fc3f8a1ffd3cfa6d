"""What the board prints at boot, from the generated demo compiled on the host.

``edgetf_demo.cc`` needs no TFLM: it calls the library's C API, which this test stands
in for (the runtime itself is checked against real TFLM outside CI). The boot line must
show the declared and the used arena with thousands separators, and the figure TFLM
needs, so that nobody trims the arena to ``arena_used_bytes()``.
"""

from __future__ import annotations

import subprocess

import pytest

from edgetf.codegen.emit_firmware import build_project
from tests.codegen.test_emit_firmware import GXX, _compile, _library_src, _write
from tests.tiny_models import tiny_models

_FAKE_LIBRARY = r"""
#include <cstdio>
#include <cstdlib>
#include "cnn_inferencing.h"
static size_t g_used = 0;
extern "C" {
int cnn_init(void) { return EDGETF_OK; }
int cnn_self_test(void) { return 0; }
int cnn_self_test_mismatch(edgetf_mismatch*) { return 0; }
size_t cnn_arena_used_bytes(void) { return g_used; }
size_t cnn_arena_size(void) { return EDGETF_ARENA_BYTES; }
size_t cnn_input_size(void) { return 1; }
size_t cnn_output_size(void) { return 1; }
int cnn_label_count(void) { return 0; }
const char* cnn_label(int) { return nullptr; }
const float* cnn_sample_input(void) { return nullptr; }
void cnn_set_clock(uint32_t (*)(void)) {}
int cnn_run(const float*, size_t, float*, size_t, edgetf_result*) { return 0; }
int cnn_run_int8(const int8_t*, size_t, int8_t*, size_t, uint32_t*) { return 0; }
}
static void Print(const char* text) { std::fputs(text, stdout); }
int main(int, char** argv) {
  g_used = std::strtoul(argv[1], nullptr, 10);
  return cnn_demo_begin(Print);
}
"""


@pytest.fixture(scope="module")
def boot(tmp_path_factory):
    """The demo of a nano33ble project, compiled with the fake library: (program, arena)."""
    if GXX is None:
        pytest.skip("no host C++ compiler")
    tmp_path = tmp_path_factory.mktemp("boot")
    result = build_project(tiny_models()["cnn"], "nano33ble", name="cnn")
    _write(result.files, tmp_path)
    src = tmp_path / _library_src(result)
    (tmp_path / "fake.cc").write_text(_FAKE_LIBRARY)
    program = tmp_path / "boot"
    _compile(["-std=c++17", "-Wall", "-Werror", f"-I{src}",
              "-include", str(src / "edgetf/model_metadata.h"), str(tmp_path / "fake.cc"),
              str(src / "edgetf/edgetf_demo.cc"), "-o", str(program)])
    return program, result.spec.arena


@pytest.mark.parametrize(("used", "shown"), [(23_940, "23,940"), (724, "724"),
                                             (1_234_567, "1,234,567"), (0, "0")])
def test_the_boot_line_shows_used_declared_and_needed_arena(boot, used, shown):
    program, arena = boot
    lines = subprocess.run([str(program), str(used)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    suffix = f" for {arena.table}" if arena.table else ""
    assert (f"edgetf: arena {shown} of {arena.bytes:,} bytes ({arena.method}: "
            f"{arena.needed_bytes:,} needed{suffix})") in lines, lines
    assert any(line.startswith("edgetf: self-test PASS") for line in lines)
