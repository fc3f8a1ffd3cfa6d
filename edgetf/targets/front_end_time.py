"""How long the ``audio`` front end takes on a board: an estimate, never a measurement.

A frame costs the instructions edgetf's signal kernels (firmware/edgetf/edgetf_signal.cc,
bit-exact with TFLM's, the code the Nano runs) ran per frame, counted by valgrind's
callgrind on the host build (g++ -O2, x86-64) by ``benchmarks/front_end_instructions.py``:
a part per window sample (window, FFT auto-scale), a part per mel channel (its share of
the filter bank, square root, noise reduction, PCAN, log) and a part per FFT length (the
FFT, the energy of its bins, the rest). One instruction is taken as one CPU cycle at the
clock the board's project runs (``Board.cpu_hz``), as for the DECODE operator
(:mod:`edgetf.targets.throughput`, where host instruction counts and the Cortex-M4 loop
agreed to within a third); not in it: TFLM's dispatch of the graph's ~13 ops per frame,
flash wait states, and ESP-IDF boards running TFLM's own signal kernels (the same
arithmetic, from the same kissfft FFT) rather than edgetf's.

A clip's features are ``frames`` frames: what ``<name>_classify`` computes for one clip,
and what streaming computes, frame by frame as the samples arrive, over a clip's length.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edgetf.targets.boards import Board
from edgetf.targets.throughput import MHZ

# benchmarks/front_end_instructions.py on edgetf 5160eec's edgetf_signal.cc (g++ 12.2
# -O2, valgrind 3.19), instructions per frame: 30.2 per window sample (from 320 and 512
# samples at 512 points), 702.3 per channel (from 10 and 80 channels; the bit-by-bit
# 64-bit square root is half of it), and what is left at each FFT length with a window of
# that length and 40 channels (64: 33,167 in all ... 512: 107,743, micro_speech's setting
# 106,800 ... 2048: 387,244).
_PER_WINDOW_SAMPLE = 30.2
_PER_CHANNEL = 702.3
_PER_FFT_LENGTH = {64: 3_147, 128: 12_987, 256: 33_903, 512: 64_214, 1024: 156_015,
                   2048: 297_402}
_SOURCE = ("edgetf's signal kernels, callgrind on the host build "
           "(benchmarks/front_end_instructions.py), one instruction taken as one cycle")


@dataclass(frozen=True)
class FrontEndTime:
    """The estimated time of a clip's features on one board."""

    frames: int
    instructions_per_frame: int
    ms_per_frame: float
    ms: float
    """All ``frames`` of a clip."""
    basis: str

    def to_dict(self) -> dict:
        return {"estimate": True, **asdict(self)}


def instructions_per_frame(fft_length: int, window_samples: int, channels: int) -> int:
    """The signal kernels' instructions for one frame of the ``audio`` front end."""
    return round(_PER_FFT_LENGTH[fft_length] + _PER_WINDOW_SAMPLE * window_samples
                 + _PER_CHANNEL * channels)


def front_end_time(config, frames: int, board: Board) -> FrontEndTime:
    """The time ``frames`` frames of an ``audio`` front end take on ``board`` (see the
    module); ``config``: its AudioConfig (read for its FFT length, window and channels)."""
    count = instructions_per_frame(config.fft_length, config.window_samples, config.channels)
    per_frame = count / board.cpu_hz * 1000
    return FrontEndTime(frames, count, per_frame, per_frame * frames,
                        f"{frames} frames of ~{count:,} instructions at "
                        f"{board.cpu_hz // MHZ} MHz ({_SOURCE})")
