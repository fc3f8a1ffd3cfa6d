"""The constant tables of the audio front end: the Hann window, the mel filter bank and
PCAN's gain look-up table, in the fixed-point formats TFLM's signal kernels read.

The arithmetic follows the generators TFLM's micro_speech graph was built with
(``python/tflite_micro/signal/ops/{window_op,filter_bank_ops}.py`` and
``python/tflite_micro/signal/utils/{freq_to_mel,wide_dynamic_func_lut}_wrapper.cc``,
tflite-micro 90b983c), down to the float width of each step: the mel scale and the PCAN
gain are computed in 32-bit float (the C ``log1pf``/``powf`` of the original "Speech
Micro" code), the bin spacing and window in 64-bit float. The tests pin the results to
the constants stored in ``audio_preprocessor_int8.tflite``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_F32 = np.float32
_MIN_FFT, _MAX_FFT = 64, 2048  # the lengths TFLM's RFFT kernel is built for
_LUT_BITS = 32  # PCAN's gain table covers 32-bit inputs: 4 * 32 - 3 entries
PCAN_SNR_BITS = 12


def hann_window(length: int, scaling_bits: int) -> np.ndarray:
    """The periodic-at-half-sample Hann window in Q``scaling_bits`` int16."""
    index = np.arange(length)
    weights = 0.5 - 0.5 * np.cos(2 * np.pi / length * (index + 0.5))
    return np.round(weights * (1 << scaling_bits)).astype(np.int16)


def fft_length(window_samples: int) -> tuple[int, int]:
    """The power-of-two FFT length for a window, and its log2; ValueError if TFLM has
    no such FFT."""
    bits = math.ceil(math.log2(window_samples))
    if not _MIN_FFT <= 1 << bits <= _MAX_FFT:
        raise ValueError(f"a {window_samples}-sample window needs a {1 << bits}-point FFT;"
                         f" TFLM's RFFT takes {_MIN_FFT} to {_MAX_FFT} points")
    return 1 << bits, bits


def _mel(freq: float) -> np.float32:
    """Hz to mel in 32-bit float: ``1127 * log1pf(f / 700)`` (the argument is rounded to
    float first, as the C function's ``float`` parameter does)."""
    return _F32(1127.0) * np.log1p(_F32(freq) / _F32(700.0))


@dataclass(frozen=True)
class FilterBank:
    """The mel filter bank as TFLM's SignalFilterBank takes it (``channels + 1`` entries
    per table: channel 0 is the lower edge's half-triangle, which the kernel drops)."""

    start_index: int  # first FFT bin any channel reads
    end_index: int  # one past the last
    weights: np.ndarray  # int16, Q(scaling_bits)
    unweights: np.ndarray
    frequency_starts: np.ndarray
    weight_starts: np.ndarray
    widths: np.ndarray


def filter_bank(spectrum_size: int, sample_rate: int, channels: int, lower_hz: float,
                upper_hz: float, *, scaling_bits: int = 12, alignment: int = 4,
                block_size: int = 4) -> FilterBank:
    """Triangular mel channels over the spectrum's bins, padded to ``block_size`` weights
    and aligned to ``alignment`` bytes of int16 as the kernel's inner loop expects."""
    if not 0 <= lower_hz < upper_hz:
        raise ValueError(f"the filter bank's band {lower_hz:g}-{upper_hz:g} Hz is empty")
    index_alignment = max(1, alignment // 2)
    mel_lower, mel_upper = _mel(lower_hz), _mel(upper_hz)
    spacing = (mel_upper - mel_lower) / _F32(channels + 1)
    centers = mel_lower + spacing * np.arange(1, channels + 2, dtype=_F32)
    hz_per_bin = (sample_rate / 2) / (spectrum_size - 1)  # bin 0 (DC) excluded, as HTK
    start_index = round(1 + lower_hz / hz_per_bin)

    n = channels + 1
    freq_starts = np.zeros(n, np.int16)
    weight_starts = np.zeros(n, np.int16)
    widths = np.zeros(n, np.int16)
    actual_starts = np.zeros(n, np.int64)
    actual_widths = np.zeros(n, np.int64)
    chan_start, next_weight, zeros_added = start_index, 0, False
    for chan in range(n):
        freq = chan_start
        while _mel(freq * hz_per_bin) <= centers[chan]:
            freq += 1
        width = freq - chan_start
        actual_starts[chan], actual_widths[chan] = chan_start, width
        if width == 0:
            # An empty channel multiplies one block of zero weights, kept at the front.
            widths[chan] = block_size
            if not zeros_added:
                zeros_added = True
                weight_starts[:chan] += block_size
                next_weight += block_size
        else:
            aligned = chan_start // index_alignment * index_alignment
            padded = ((chan_start - aligned + width - 1) // block_size + 1) * block_size
            freq_starts[chan], weight_starts[chan], widths[chan] = aligned, next_weight, padded
            next_weight += padded
        chan_start = freq

    weights = np.zeros(next_weight, np.int16)
    unweights = np.zeros(next_weight, np.int16)
    end_index = 0
    scale = _F32(1 << scaling_bits)
    for chan in range(n):
        below = _mel(lower_hz) if chan == 0 else centers[chan - 1]
        den = centers[chan] - _F32(below)
        for j in range(actual_widths[chan]):
            freq = actual_starts[chan] + j
            weight = (centers[chan] - _mel(freq * hz_per_bin)) / den
            at = weight_starts[chan] + actual_starts[chan] - freq_starts[chan] + j
            weights[at] = int(weight * scale)  # truncated, as the generator's int()
            unweights[at] = int((_F32(1) - weight) * scale)
        end_index = max(end_index, int(actual_starts[chan] + actual_widths[chan]))
    if end_index >= spectrum_size:
        raise ValueError(f"the filter bank's upper edge {upper_hz:g} Hz is above the"
                         f" Nyquist frequency {sample_rate / 2:g} Hz")
    return FilterBank(start_index, end_index, weights, unweights, freq_starts,
                      weight_starts, widths)


def _pcan_gain(strength: float, offset: float, gain_bits: int, input_bits: int,
               x: int) -> int:
    """PCAN's gain ``2**gain_bits * (x / 2**input_bits + offset) ** -strength`` in float,
    rounded half up, saturated at int16's maximum."""
    x_f = _F32(x) / _F32(1 << input_bits)
    gain = _F32(1 << gain_bits) * np.power(x_f + _F32(offset), -_F32(strength))
    if gain > 32767:
        return 32767
    return int(gain + _F32(0.5))


def pcan_gain_lut(strength: float, offset: float, input_bits: int,
                  gain_bits: int) -> np.ndarray:
    """PCAN's piecewise-quadratic gain table: the gains at 0 and 1, then for each power of
    two ``x0`` (intervals 2..32) the gain at ``x0`` and two quadratic coefficients fitted
    through ``x0``, ``1.5 x0`` and ``2 x0``, and a zero (4 int16 per interval)."""
    size = 4 * _LUT_BITS - 3
    lut = np.zeros(size + 7, np.int64)  # indexed as TFLM's "gain_lut - 6"
    lut[6] = _pcan_gain(strength, offset, gain_bits, input_bits, 0)
    lut[7] = _pcan_gain(strength, offset, gain_bits, input_bits, 1)
    for interval in range(2, _LUT_BITS + 1):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == _LUT_BITS else 2 * x0
        y0, y1, y2 = (_pcan_gain(strength, offset, gain_bits, input_bits, x)
                      for x in (x0, x1, x2))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        a2 = (y2 - y0) - a1
        lut[4 * interval:4 * interval + 4] = (y0, a1, a2, 0)
    return lut[6:6 + size].astype(np.int16)  # the last interval's zero is not kept
