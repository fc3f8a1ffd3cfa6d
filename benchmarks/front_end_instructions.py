"""Instructions per frame of the audio front end's arithmetic, by window and channels.

What :mod:`edgetf.targets.front_end_time` estimates a front end's time from: edgetf's own
signal kernels (firmware/edgetf/edgetf_signal.cc, bit-exact with TFLM's, the code the
Nano runs) built by the host compiler (g++ -O2, x86-64) and run frame after frame, one
frame of every op of the ``audio`` graph (window, FFT auto-scale, RFFT, energy, filter
bank, square root, spectral subtraction, PCAN, log) on seeded noise. valgrind's callgrind
counts the instructions the signal kernels ran in 1 and in 21 frames; the difference
over 20 is one frame's (the tables' set-up drops out, and the driver's noise generation
is not counted). The TFLM interpreter's dispatch of the ~13 ops per frame
is not in it.

    PYTHONPATH=. python benchmarks/front_end_instructions.py

needs g++ and valgrind; prints the instructions per window sample (window, auto-scale)
and per channel (filter bank's share, square root, noise reduction, PCAN, log), and what
is left per FFT length (the FFT, its energy and the rest).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from edgetf.codegen.resources import resource_dir
from edgetf.features.audio_config import AudioConfig
from edgetf.features.audio_graph import _PCAN_SNR_SHIFT, _spectral_subtraction_options
from edgetf.features.audio_tables import filter_bank, hann_window, pcan_gain_lut

#: FFT lengths measured with a window of the same length and 40 channels; the slopes per
#: window sample (at 512 points: 320 and 512 samples) and per channel (10 and 80).
FFT_LENGTHS = (64, 128, 256, 512, 1024, 2048)
CHANNELS = 40
LIBRARY_H = ("#pragma once\n#define EDGETF_API(fn) bench_##fn\n"
             '#define EDGETF_API_PREFIX "bench_"\n#define EDGETF_LIBRARY_NS bench\n')

DRIVER = r"""
#include <cstdint>
#include <cstdlib>
#include <vector>
#include "edgetf/edgetf_signal.h"
namespace s = edgetf::signal;
%(tables)s
int main(int argc, char** argv) {
  const int frames = std::atoi(argv[1]);
  std::vector<char> memory(s::RfftBytes(kFft));
  s::Rfft* fft = s::RfftMake(kFft, memory.data(), memory.size());
  std::vector<int16_t> in(kWindow), windowed(kWindow), frame(kFft, 0);
  std::vector<s::Cpx16> spectrum(kFft / 2 + 1);
  std::vector<uint32_t> energy(kFft / 2 + 1), root(kChannels), sub(kChannels),
      noise(kChannels, 0), gained(kChannels);
  std::vector<uint64_t> mel(kChannels);
  std::vector<int16_t> logs(kChannels);
  const s::FilterBankTables bank{kChannels, kStarts, kWeightStarts, kWidths, kWeights,
                                 kUnweights, kWeightCount};
  const s::SpectralSubtractionOptions sub_options{%(subtraction)s};
  uint32_t seed = 12345u;
  long checksum = 0;
  for (int f = 0; f < frames; ++f) {
    for (auto& v : in) {
      seed = seed * 1664525u + 1013904223u;
      v = static_cast<int16_t>(static_cast<int32_t>(seed >> 16) - 32768) / 4;
    }
    s::ApplyWindow(in.data(), kHann, kWindow, %(window_shift)d, windowed.data());
    const int32_t shift = s::FftAutoScale(windowed.data(), kWindow, frame.data());
    s::RfftApply(fft, frame.data(), spectrum.data());
    s::Energy(spectrum.data(), kStart, kEnd, energy.data());
    s::FilterBank(bank, energy.data(), mel.data());
    s::FilterBankSquareRoot(mel.data(), kChannels, shift, root.data());
    s::SpectralSubtraction(sub_options, root.data(), noise.data(), sub.data());
    s::Pcan(sub.data(), noise.data(), kPcanLut, %(snr_shift)d, kChannels, gained.data());
    s::FilterBankLog(gained.data(), kChannels, %(log_scale)d, %(correction)d, logs.data());
    checksum += logs[static_cast<std::size_t>(f %% kChannels)];
  }
  return static_cast<int>(checksum & 1);
}
"""


def _array(name: str, kind: str, values) -> str:
    values = np.asarray(values).ravel()
    return f"static const {kind} {name}[] = {{{', '.join(str(int(v)) for v in values)}}};\n"


def driver_source(c: AudioConfig) -> str:
    """The C++ driver for one front-end setting, its tables written out."""
    bank = filter_bank(c.fft_length // 2 + 1, c.sample_rate, c.channels, c.lower_hz,
                       c.upper_hz, scaling_bits=c.filter_bank_scaling_bits,
                       alignment=c.filter_bank_alignment,
                       block_size=c.filter_bank_block_size)
    lut = pcan_gain_lut(c.pcan_strength, c.pcan_offset, c.smoothing_bits - c.correction_bits,
                        c.pcan_gain_bits)
    tables = (f"constexpr int kWindow = {c.window_samples}, kFft = {c.fft_length}, "
              f"kChannels = {c.channels}, kStart = {bank.start_index}, "
              f"kEnd = {bank.end_index}, kWeightCount = {len(bank.weights)};\n"
              + _array("kHann", "int16_t", hann_window(c.window_samples,
                                                       c.window_scaling_bits))
              + _array("kStarts", "int16_t", bank.frequency_starts)
              + _array("kWeightStarts", "int16_t", bank.weight_starts)
              + _array("kWidths", "int16_t", bank.widths)
              + _array("kWeights", "int16_t", bank.weights)
              + _array("kUnweights", "int16_t", bank.unweights)
              + _array("kPcanLut", "int16_t", lut))
    o = _spectral_subtraction_options(c)
    subtraction = ", ".join(str(int(v)) for v in (
        c.channels, o["smoothing"], o["one_minus_smoothing"], o["alternate_smoothing"],
        o["alternate_one_minus_smoothing"], o["min_signal_remaining"], o["smoothing_bits"],
        o["spectral_subtraction_bits"], o["clamping"]))
    return DRIVER % {"tables": tables, "subtraction": subtraction,
                     "window_shift": c.window_scaling_bits, "snr_shift": _PCAN_SNR_SHIFT,
                     "log_scale": 1 << c.log_scaling_bits, "correction": c.correction_bits}


def instructions(binary: Path, frames: int, tmp: Path) -> int:
    """Instructions the signal kernels ran (callgrind's self cost of each function in
    ``edgetf::...::signal``): the driver's own noise generation is left out."""
    out = tmp / f"callgrind.{frames}"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    str(binary), str(frames)], capture_output=True, check=False)
    table = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)],
                           capture_output=True, text=True, check=True).stdout
    return sum(int(m.group(1).replace(",", "")) for m in
               re.finditer(r"^\s*([\d,]+) \(.*::signal::", table, re.M))


def per_frame(c: AudioConfig, tmp: Path) -> float:
    (tmp / "edgetf_library.h").write_text(LIBRARY_H)
    (tmp / "driver.cc").write_text(driver_source(c))
    firmware = resource_dir("firmware")
    binary = tmp / "driver"
    subprocess.run(["g++", "-std=c++17", "-O2", f"-I{tmp}", f"-I{firmware}",
                    str(tmp / "driver.cc"), str(firmware / "edgetf" / "edgetf_signal.cc"),
                    "-o", str(binary)], check=True)
    return (instructions(binary, 21, tmp) - instructions(binary, 1, tmp)) / 20


def measure(window_samples: int, channels: int) -> float:
    c = AudioConfig(window_ms=window_samples / 16, channels=channels)
    with tempfile.TemporaryDirectory() as folder:
        return per_frame(c, Path(folder))


def main() -> None:
    if not (shutil.which("g++") and shutil.which("valgrind")):
        sys.exit("needs g++ and valgrind")
    full = {n: measure(n, CHANNELS) for n in FFT_LENGTHS}
    per_sample = (full[512] - measure(320, CHANNELS)) / (512 - 320)
    per_channel = (measure(512, 80) - measure(512, 10)) / 70
    print(f"per window sample: {per_sample:.1f} instructions; per channel: "
          f"{per_channel:.1f}")
    print("fft_length instructions_per_frame(window=fft, 40 ch) base(fft, energy, rest)")
    for n, count in full.items():
        base = count - per_sample * n - per_channel * CHANNELS
        print(f"{n:>10} {count:>32,.0f} {base:>24,.0f}")


if __name__ == "__main__":
    main()
