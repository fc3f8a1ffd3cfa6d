"""The ``spectral`` front end as a TFLite graph: one window of float samples (``[window,
axes]``, interleaved as a sensor gives them) in, ``axes * (1 + bands)`` features out.

Per axis, feature 0 is the mean square of the filtered signal and the others the power in
each band, each in decibels (``10 log10``), mapped linearly from ``db_min`` .. ``db_max``
to -1 .. 127/128 (clamped)::

    TRANSPOSE -> [axes, window] -> FULLY_CONNECTED (mean), SUB (filter_low_hz > 0 only)
      -> CUSTOM:SignalRfft (float) -> MUL (square) -> FULLY_CONNECTED (filter, Parseval)
      -> MUL (Hann window) -> CUSTOM:SignalRfft -> MUL (square) -> FULLY_CONNECTED (bands)
    -> CONCATENATION -> MAXIMUM (floor at db_min) -> LOG -> MUL, ADD -> MINIMUM
    -> RESHAPE [axes * (1 + bands)] -> QUANTIZE (int8: the model's input scale and zero
       point; 1/128 and 0 before there is a model, so that int8 q stands for q / 128)

Training takes the float values before QUANTIZE (the same graph without its last op); the
board's graph ends with QUANTIZE at the trained model's input quantization, which is the
arithmetic edgetf and LiteRT quantize a float model input with, so the int8 features the
board computes are the bytes the int8 model was evaluated on.

The filter is ideal in the frequency domain. With ``filter_low_hz`` above 0 the window's
mean is taken out first (the bins of a zero-padded FFT would carry the leakage of a DC
offset, gravity on an accelerometer, far above 0 Hz). The RMS sums the unwindowed
spectrum's power over the filter's bins (Parseval: over all bins, the plain mean square of
the window). The bands sum the Hann-windowed spectrum's power over their bins, divided by
the window's energy, so a band's power is in the samples' units squared, like the RMS's
square. Edge Impulse filters with a Butterworth IIR first; TFLM has no IIR filter op, and
the signal library's other kernels (SignalWindow, SignalEnergy, SignalFilterBank) take
int16 or uint32, not the float samples a motion sensor gives, so only SignalRfft is a
signal op here and sums of squares are FULLY_CONNECTED with constant weights (one row per
output). Every op is one that TFLM's Python interpreter runs and esp-tflite-micro 1.4.0
registers (``AddRfft``, ``AddTranspose``, ``AddFullyConnected``, ``AddSub``, ``AddMul``,
``AddConcatenation``, ``AddMaximum``, ``AddLog``, ``AddAdd``, ``AddMinimum``,
``AddReshape``, ``AddQuantize``).
"""

from __future__ import annotations

import math

import numpy as np

from edgetf.features.spectral_config import SpectralConfig, SpectralLayout
from edgetf.tflite.writer import ModelWriter

#: The output's quantization: int8 features ``q`` stand for ``q / 128``.
OUTPUT_SCALE, OUTPUT_ZERO_POINT = 1 / 128, 0
_TENSOR_TYPE_FLOAT32 = 0  # SignalRfft's "T" option: the schema's TensorType


def hann(window: int) -> np.ndarray:
    """The periodic Hann window, float64."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)


def bin_weights(layout: SpectralLayout) -> np.ndarray:
    """Each bin's share of a real signal's power: 2 (it stands for its mirror image too),
    1 for DC and, with an even FFT, the Nyquist bin."""
    weights = np.full(layout.fft_length // 2 + 1, 2.0)
    weights[0] = weights[-1] = 1.0
    return weights


def power_weights(c: SpectralConfig, layout: SpectralLayout) -> tuple[np.ndarray, np.ndarray]:
    """The two FULLY_CONNECTED weight matrices over a squared spectrum's interleaved real
    and imaginary parts (``2 * (fft / 2 + 1)`` columns): the filtered mean square
    ``[1, 2K]`` and the band powers ``[bands, 2K]``, float64, ``scale**2`` folded in."""
    n, fft = layout.window, layout.fft_length
    share = bin_weights(layout) * c.scale ** 2
    rms = np.zeros(fft // 2 + 1)
    lo, hi = layout.filter_bins
    rms[lo:hi] = share[lo:hi] / (n * fft)
    bands = np.zeros((len(layout.bands), fft // 2 + 1))
    energy = float(np.sum(hann(n) ** 2))
    for row, (lo, hi) in zip(bands, layout.bands, strict=True):
        row[lo:hi] = share[lo:hi] / (fft * energy)
    return np.repeat(rms[None], 2, axis=1), np.repeat(bands, 2, axis=1)


def db_mapping(c: SpectralConfig) -> tuple[float, float]:
    """``(a, b)`` with ``a * ln(power) + b`` the value QUANTIZE (scale 1/128) rounds:
    ``((dB - db_min) / step - 128) / 128``, dB being ``10 log10(power)``."""
    step = c.db_step
    return 10 / (math.log(10) * step * 128), -(c.db_min / step + 128) / 128


def spectral_graph(c: SpectralConfig, layout: SpectralLayout,
                   quantization: tuple[float, int] | None = (OUTPUT_SCALE, OUTPUT_ZERO_POINT)
                   ) -> bytes:
    """The front end's ``.tflite`` bytes for ``layout``: int8 out at ``quantization``
    (scale, zero point), or float32 out (the values training takes) with None."""
    n, axes, fft = layout.window, layout.axes, layout.fft_length
    spectrum = 2 * (fft // 2 + 1)
    per_axis = layout.features_per_axis
    w = ModelWriter(description="edgetf spectral front end")
    samples = w.input("samples", (n, axes), "float32")
    by_axis = w.tensor("by_axis", (axes, n), "float32")
    w.builtin("TRANSPOSE", [samples, w.constant("perm", np.array([1, 0], np.int32))],
              [by_axis])
    if c.filter_low_hz > 0:  # take the mean out: a FULLY_CONNECTED row of 1/n, SUB
        mean = w.tensor("mean", (axes, 1), "float32")
        w.builtin("FULLY_CONNECTED", [by_axis, w.constant(
            "mean_weights", np.full((1, n), 1 / n, np.float32)), -1], [mean])
        centred = w.tensor("centred", (axes, n), "float32")
        w.builtin("SUB", [by_axis, mean], [centred])
        by_axis = centred
    rms_weights, band_weights = power_weights(c, layout)

    def power(name: str, signal: int, weights: np.ndarray) -> int:
        spec = w.tensor(f"{name}_spectrum", (axes, spectrum), "float32")
        w.custom("SignalRfft", [signal], [spec], {"T": _TENSOR_TYPE_FLOAT32, "fft_length": fft})
        squared = w.tensor(f"{name}_squared", (axes, spectrum), "float32")
        w.builtin("MUL", [spec, spec], [squared])
        out = w.tensor(f"{name}_power", (axes, len(weights)), "float32")
        w.builtin("FULLY_CONNECTED", [squared, w.constant(f"{name}_weights", weights.astype(
            np.float32)), -1], [out])
        return out

    mean_square = power("filtered", by_axis, rms_weights)
    windowed = w.tensor("windowed", (axes, n), "float32")
    w.builtin("MUL", [by_axis, w.constant("hann_window", hann(n).astype(np.float32))],
              [windowed])
    bands = power("band", windowed, band_weights)
    powers = w.tensor("powers", (axes, per_axis), "float32")
    w.builtin("CONCATENATION", [mean_square, bands], [powers], axis=1)

    def scalar_op(op: str, name: str, x: int, value: float) -> int:
        out = w.tensor(name, (axes, per_axis), "float32")
        w.builtin(op, [x, w.constant(f"{name}_by", np.array(value, np.float32))], [out])
        return out

    floored = scalar_op("MAXIMUM", "floored", powers, 10 ** (c.db_min / 10))
    log = w.tensor("log_power", (axes, per_axis), "float32")
    w.builtin("LOG", [floored], [log])
    a, b = db_mapping(c)
    value = scalar_op("ADD", "shifted", scalar_op("MUL", "scaled", log, a), b)
    value = scalar_op("MINIMUM", "clamped", value, 127 / 128)
    flat = w.tensor("values", (axes * per_axis,), "float32")
    w.builtin("RESHAPE", [value, w.constant("shape", np.array([-1], np.int32))], [flat])
    if quantization is None:
        return w.finish([flat])
    out = w.tensor("features", (axes * per_axis,), "int8", quantization)
    w.builtin("QUANTIZE", [flat], [out])
    return w.finish([out])
