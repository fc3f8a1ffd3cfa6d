"""Instructions per inference, TFLM runtime against compiled runtime (issue 21), on the
real-TFLM rig's board builds: the same model emitted twice (``--runtime tflm`` with
``--compress auto``, and ``--runtime compiled``), each library built against the same
kernel library and run by one harness that times ``<name>_init()`` once, then
``<name>_self_test()`` (one golden vector: one inference, its input copied in and its
output compared) once and ``--runs`` more times.

- **nano33ble** (``RIG/cm4/libtflm_cm4.a``: Chirale 2.0.0 + CMSIS-NN, Cortex-M4F): built
  with ``arm-none-eabi-g++ -O2`` as the rig's ``cm4_selftest`` builds it (its startup code,
  port and linker script from ``RIG_SCRIPTS/cm4``), run on QEMU's mps2-an386 with
  ``-icount shift=0``: the virtual clock advances 1 ns per guest instruction, so the
  board's 25 MHz CMSDK timer 0, read by the harness, ticks once per 40 instructions. The
  figures are instructions (to 40), not cycles: QEMU models no pipeline or wait states.
- **esp32** (``RIG/esp32/libtflm_esp32.a``: esp-tflite-micro 1.4.0 + esp-nn 1.2.3's plain
  ESP32 C kernels, built for i386): built with ``g++ -m32`` as the rig's
  ``esp32_selftest`` builds it (``-O1``; ``--esp32-opt`` to change), run under
  ``valgrind --tool=callgrind``, the harness dumping callgrind's counters after each
  phase: x86 instructions, not Xtensa ones (the same C kernels, another instruction set).

Prints a Markdown table; a flavour whose library is absent is skipped, saying so. Needs
tflite-micro (golden vectors) and, per flavour, its compiler, QEMU or valgrind.

    python benchmarks/runtime_speed.py --rig /work/rig --rig-scripts /work/shared/rig \\
        [--runs 5] MODEL.tflite ...
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgetf.codegen.emit_firmware import build_project  # noqa: E402
from edgetf.targets.prepared import prepare_model  # noqa: E402

CM4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard", "-O2",
             "-ffunction-sections", "-fdata-sections"]
#: The macros of the rig's Cortex-M4 library (a PlatformIO build of Chirale for the Nano).
CM4_DEFINES = ["-DARDUINO=10607", "-DARDUINO_ARCH_MBED", "-DARDUINO_ARCH_NRF52840",
               "-DARDUINO_ARDUINO_NANO33BLE", "-DARDUINO_EXCLUDE_CODE",
               "-DEDGETF_HAVE_STD_CHRONO=0"]
CM4_INCLUDES = ["src", "src/third_party/flatbuffers/include", "src/third_party/gemmlowp",
                "src/third_party/ruy", "src/third_party/cmsis_nn",
                "src/third_party/cmsis_nn/Include"]
ESP32_DEFINES = ["-DTF_LITE_STATIC_MEMORY", "-DESP_NN", "-DCONFIG_NN_OPTIMIZED=1",
                 "-DCONFIG_IDF_TARGET_ESP32=1"]
ESP32_INCLUDES = ["src", "src/third_party/flatbuffers/include", "src/third_party/gemmlowp",
                  "src/third_party/ruy", "src/third_party/kissfft", "esp-nn/include"]
#: QEMU's mps2 timer runs at the board's 25 MHz; with -icount shift=0 one guest
#: instruction is 1 ns of virtual time.
INSTRUCTIONS_PER_TICK = 40


def harness(header: str, prefix: str, runs: int, clock: str) -> str:
    """A main() timing init, the first self-test and ``runs`` more; ``clock``: "cmsdk"
    (QEMU's timer, counting down) or "callgrind" (a dump per phase)."""
    if clock == "cmsdk":
        head = ("#include <cstdint>\n#define T0 ((volatile uint32_t*)0x40000000)\n"
                "static uint32_t mark_at = 0;\n"
                "static unsigned long mark() { uint32_t now = T0[1];"
                f" unsigned long d = (mark_at - now) * {INSTRUCTIONS_PER_TICK}UL;"
                " mark_at = now; return d; }\n")
        start = "T0[2] = 0xFFFFFFFFu; T0[1] = 0xFFFFFFFFu; T0[0] = 1; mark_at = T0[1];"
    else:
        head = ("#include <valgrind/callgrind.h>\n"
                "static unsigned long mark_n = 0;\n"
                "static unsigned long mark() { CALLGRIND_DUMP_STATS; return mark_n++; }\n")
        start = "CALLGRIND_ZERO_STATS;"
    return (f'#include <cstdio>\n{head}#include "{header}"\n'
            f"int main() {{\n  {start}\n"
            f"  const int status = {prefix}_init();\n  const unsigned long init = mark();\n"
            f'  if (status != 0) {{ std::printf("init %d\\n", status); return 2; }}\n'
            f"  int bad = {prefix}_self_test();\n  const unsigned long first = mark();\n"
            f"  for (int i = 0; i < {runs}; ++i) bad |= {prefix}_self_test();\n"
            f"  const unsigned long rest = mark();\n"
            f'  std::printf("self_test %d init %lu first %lu rest %lu\\n", bad, init, first,'
            f" rest);\n  return bad ? 3 : 0;\n}}\n")


def emit(prepared, board: str, runtime: str, name: str, root: Path) -> tuple[Path, str]:
    """Write the project; return its library folder and the C API's prefix."""
    result = build_project(prepared, board, name=name, runtime=runtime, golden=1, force=True)
    if result.spec.runtime != runtime:
        raise RuntimeError(f"{name}: {runtime} runtime not emitted for the {board}: "
                           f"{'; '.join(result.warnings)}")
    for relative, content in result.files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    return root / "lib" / result.spec.library, result.spec.name


def _sources(library: Path) -> tuple[list[str], list[str]]:
    sources = [str(p) for p in sorted(library.rglob("*.cc")) + sorted(library.rglob("*.cpp"))
               if "examples" not in p.parts]
    folders = sorted({str(p.parent) for p in library.rglob("*.h")})
    return sources, [f"-I{d}" for d in folders]


def _run(command: list[str], what: str, timeout: float = 1800) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout)[-1500:]}")
    return done.stdout


def measure_cm4(library: Path, prefix: str, rig: Path, scripts: Path, runs: int,
                work: Path) -> dict:
    sources, includes = _sources(library)
    lib = rig / "cm4"
    (work / "harness.cc").write_text(harness(f"{library.name}.h", prefix, runs, "cmsdk"))
    _run(["arm-none-eabi-gcc", *CM4_FLAGS, "-c", str(scripts / "cm4/startup.c"), "-o",
          str(work / "startup.o")], "startup.c")
    elf = work / "fw.elf"
    _run(["arm-none-eabi-g++", "-std=c++17", "-fno-rtti", "-fno-exceptions",
          "-fno-threadsafe-statics", *CM4_FLAGS, *CM4_DEFINES,
          *(f"-I{lib / d}" for d in CM4_INCLUDES), *includes, str(work / "harness.cc"),
          str(scripts / "cm4/port.cc"), *sources, str(work / "startup.o"),
          str(lib / "libtflm_cm4.a"), "-T", str(scripts / "cm4/mps2.ld"),
          "--specs=rdimon.specs", "-Wl,--gc-sections", "-o", str(elf)], "Cortex-M4 build")
    size = _run(["arm-none-eabi-size", str(elf)], "size").splitlines()[1].split()
    out = _run(["qemu-system-arm", "-M", "mps2-an386", "-nographic",
                "-icount", "shift=0,align=off,sleep=off",
                "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
               "QEMU")
    figures = _parse(out.replace("\r", ""), runs)
    figures["flash"] = int(size[0]) + int(size[1])
    return figures


def measure_esp32(library: Path, prefix: str, rig: Path, runs: int, opt: str,
                  work: Path) -> dict:
    sources, includes = _sources(library)
    lib = rig / "esp32"
    (work / "harness.cc").write_text(harness(f"{library.name}.h", prefix, runs, "callgrind"))
    binary = work / "run"
    _run(["g++", "-m32", "-msse2", "-mfpmath=sse", "-std=c++17", opt, *ESP32_DEFINES,
          *includes, *(f"-I{lib / d}" for d in ESP32_INCLUDES), str(work / "harness.cc"),
          *sources, str(lib / "libtflm_esp32.a"), "-o", str(binary)], "i386 build")
    out = _run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={work}/cg.%p",
                str(binary)], "callgrind")
    # Each CALLGRIND_DUMP_STATS writes one file, numbered in order; its "totals:" line is
    # the instructions (Ir) since the previous dump or zeroing.
    dumps = sorted(work.glob("cg.*.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    totals = [int(re.search(r"^totals: (\d+)", p.read_text(), re.M).group(1)) for p in dumps]
    line = _parse(out, runs, check_only=True)
    return {**line, "init": totals[0], "first": totals[1], "each": totals[2] / runs}


def _parse(out: str, runs: int, check_only: bool = False) -> dict:
    match = re.search(r"self_test (-?\d+) init (\d+) first (\d+) rest (\d+)", out)
    if match is None:
        raise RuntimeError(f"no self-test line in: {out[-500:]}")
    if match.group(1) != "0":
        raise RuntimeError(f"self-test failed: {match.group(0)}")
    if check_only:
        return {}
    return {"init": int(match.group(2)), "first": int(match.group(3)),
            "each": int(match.group(4)) / runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--rig", type=Path, required=True,
                        help="the rig's build folder (cm4/, esp32/ with their libraries)")
    parser.add_argument("--rig-scripts", type=Path, required=True,
                        help="the rig's scripts (cm4/startup.c, port.cc, mps2.ld)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--esp32-opt", default="-O1")
    args = parser.parse_args()
    flavours = []
    if (args.rig / "cm4/libtflm_cm4.a").is_file() and shutil.which("qemu-system-arm"):
        flavours.append("nano33ble")
    else:
        print(f"skipped nano33ble: no {args.rig}/cm4/libtflm_cm4.a or no qemu-system-arm")
    if (args.rig / "esp32/libtflm_esp32.a").is_file() and shutil.which("valgrind"):
        flavours.append("esp32")
    else:
        print(f"skipped esp32: no {args.rig}/esp32/libtflm_esp32.a or no valgrind")
    print("| model | board | runtime | init | first inference | per inference | "
          "compiled / TFLM | flash |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for path in args.models:
        prepared = prepare_model(path.read_bytes(), path.name, golden=1)
        for board in flavours:
            found = {}
            for runtime in ("tflm", "compiled"):
                with tempfile.TemporaryDirectory(prefix="edgetf-speed-") as tmp:
                    work = Path(tmp)
                    try:
                        library, prefix = emit(prepared, board, runtime, path.stem, work / "p")
                        found[runtime] = (
                            measure_cm4(library, prefix, args.rig, args.rig_scripts,
                                        args.runs, work) if board == "nano33ble" else
                            measure_esp32(library, prefix, args.rig, args.runs,
                                          args.esp32_opt, work))
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        print(f"| {path.stem} | {board} | {runtime} | {error} |||||")
                        continue
                f = found[runtime]
                ratio = (f"{f['each'] / found['tflm']['each']:.3f}"
                         if runtime == "compiled" and "tflm" in found else "")
                flash = f"{f['flash']:,}" if "flash" in f else ""
                print(f"| {path.stem} | {board} | {runtime} | {f['init']:,} | "
                      f"{f['first']:,} | {f['each']:,.0f} | {ratio} | {flash} |", flush=True)


if __name__ == "__main__":
    main()
