"""The ``spectral`` front end's parameters: a frozen record, read from a config table.

In the spirit of Edge Impulse's spectral-analysis block for motion data: per axis, the RMS
of the filtered signal and the power in a few FFT bands, both in decibels, quantized to
int8. The filter is an ideal band-pass in the frequency domain (``filter_low_hz`` to
``filter_high_hz``): TFLM has no IIR filter op, and masking FFT bins is what its kernels
can do (see :mod:`edgetf.features.spectral_graph`). A config file sets any field by name
in its ``[features.spectral]`` table::

    [features.spectral]
    fft_length = 128          # 0: the next power of two that holds the window
    bands = 8                 # equal bands over the filter's band...
    band_edges_hz = [0.5, 2, 5, 10]   # ...or these edges (3 bands)
    filter_low_hz = 0.5       # drop gravity and drift
    filter_high_hz = 0        # 0: half the sample rate
    scale = 1.0               # multiplies every sample first
    db_min = -60.0            # int8 -128
    db_max = 40.0             # int8 127

The sample rate, window and stride belong to the data (``--sample-rate``,
``--window-ms``, ``--stride-ms``), not to this table: the front end is built for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from edgetf.base.errors import ConfigError

_MIN_FFT, _MAX_FFT = 16, 2048
_MAX_BANDS = 64


@dataclass(frozen=True)
class SpectralConfig:
    """What the ``spectral`` front end computes; see the module docstring."""

    fft_length: int = 0
    bands: int = 8
    band_edges_hz: tuple[float, ...] = ()
    filter_low_hz: float = 0.0
    filter_high_hz: float = 0.0
    scale: float = 1.0
    db_min: float = -60.0
    db_max: float = 40.0

    @property
    def db_step(self) -> float:
        """Decibels per int8 step: ``db_min`` is -128, ``db_max`` 127."""
        return (self.db_max - self.db_min) / 255


@dataclass(frozen=True)
class SpectralLayout:
    """The numbers the graph is built from, for one sample rate, window and axis count."""

    sample_rate: float
    window: int  # samples per window
    axes: int
    fft_length: int
    filter_bins: tuple[int, int]  # [first, last) FFT bins inside the filter
    bands: tuple[tuple[int, int], ...]  # [first, last) bins of each band, inside the filter

    @property
    def features_per_axis(self) -> int:
        return 1 + len(self.bands)

    @property
    def features(self) -> int:
        return self.axes * self.features_per_axis

    def feature_names(self, axis_names: tuple[str, ...] | None = None) -> list[str]:
        """``"<axis> rms"``, ``"<axis> <lo>-<hi> Hz"`` (the band's first and last bin)
        ... in the output's order."""
        names = axis_names or tuple(f"axis{i}" for i in range(self.axes))
        hz = self.sample_rate / self.fft_length
        return [f"{axis} {what}" for axis in names for what in
                ["rms", *(f"{lo * hz:.3g}-{(hi - 1) * hz:.3g} Hz" for lo, hi in self.bands)]]


def spectral_config(table: dict | None = None, source: str = "the config") -> SpectralConfig:
    """A :class:`SpectralConfig` from a ``[features.spectral]`` table (None: defaults),
    checked: unknown keys, wrong types and impossible values are ConfigErrors naming
    ``source``."""
    known = {f.name: f for f in fields(SpectralConfig)}
    values = {}
    for key, value in (table or {}).items():
        if key not in known:
            raise ConfigError(f"{source}: [features.spectral] has no key {key!r}; known keys:"
                              f" {', '.join(known)}")
        default = known[key].default
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(_is_number(v) for v in value):
                raise ConfigError(f"{source}: [features.spectral] {key} = {value!r} should be"
                                  " a list of numbers, e.g. [0.5, 2, 5, 10]")
            values[key] = tuple(float(v) for v in value)
            continue
        kind = type(default)
        if not _is_number(value) or (kind is int and not float(value).is_integer()):
            wanted = "an integer" if kind is int else "a number"
            raise ConfigError(f"{source}: [features.spectral] {key} = {value!r} should be"
                              f" {wanted}")
        values[key] = kind(value)
    config = replace(SpectralConfig(), **values)
    _check(config, source)
    return config


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _check(c: SpectralConfig, source: str) -> None:
    def fail(problem: str) -> None:
        raise ConfigError(f"{source}: [features.spectral] {problem}")

    if c.fft_length and (c.fft_length & (c.fft_length - 1) or
                         not _MIN_FFT <= c.fft_length <= _MAX_FFT):
        fail(f"fft_length = {c.fft_length} should be a power of two from {_MIN_FFT} to"
             f" {_MAX_FFT}, or 0 for the smallest that holds the window")
    if not 1 <= c.bands <= _MAX_BANDS:
        fail(f"bands = {c.bands} should be 1 to {_MAX_BANDS}")
    edges = c.band_edges_hz
    if edges and (len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or
                  edges[0] < 0 or len(edges) > _MAX_BANDS + 1):
        fail(f"band_edges_hz = {list(edges)} should be 2 to {_MAX_BANDS + 1} increasing"
             " frequencies from 0 Hz up, e.g. [0.5, 2, 5, 10]")
    if c.filter_low_hz < 0 or c.filter_high_hz < 0 or (
            c.filter_high_hz and c.filter_high_hz <= c.filter_low_hz):
        fail(f"the filter filter_low_hz = {c.filter_low_hz:g} to filter_high_hz ="
             f" {c.filter_high_hz:g} should be 0 <= low < high (high 0: half the sample rate)")
    if not c.scale > 0:
        fail(f"scale = {c.scale:g} should be positive")
    if not c.db_min < c.db_max:
        fail(f"db_min = {c.db_min:g} should be below db_max = {c.db_max:g}")


def spectral_layout(c: SpectralConfig, sample_rate: float, window: int, axes: int,
                    source: str = "the config") -> SpectralLayout:
    """The FFT length, filter and band bins for ``window`` samples of ``axes`` axes at
    ``sample_rate`` Hz; a ConfigError names ``source`` where they do not fit."""
    def fail(problem: str) -> None:
        raise ConfigError(f"{source}: [features.spectral] {problem}")

    nyquist = sample_rate / 2
    fft = c.fft_length or max(_MIN_FFT, 1 << math.ceil(math.log2(max(window, 1))))
    if fft > _MAX_FFT or window > fft:
        fail(f"a window of {window} samples needs fft_length >= {window}, at most"
             f" {_MAX_FFT}; raise fft_length (0: automatic) or use a shorter --window-ms")
    high = c.filter_high_hz or nyquist
    if high > nyquist or c.filter_low_hz >= high:
        fail(f"the filter {c.filter_low_hz:g}-{high:g} Hz should lie within 0-{nyquist:g} Hz"
             f" (half the sample rate {sample_rate:g} Hz)")
    hz = sample_rate / fft
    bins = np.arange(fft // 2 + 1) * hz
    inside = np.flatnonzero((bins >= c.filter_low_hz) & (bins <= high))
    if not len(inside):
        fail(f"the filter {c.filter_low_hz:g}-{high:g} Hz holds no FFT bin ({hz:g} Hz"
             " apart); widen it or raise fft_length")
    filter_bins = (int(inside[0]), int(inside[-1]) + 1)
    edges = c.band_edges_hz or tuple(np.linspace(c.filter_low_hz, high, c.bands + 1))
    if edges[-1] > nyquist:
        fail(f"band_edges_hz reach {edges[-1]:g} Hz, above half the sample rate"
             f" ({nyquist:g} Hz)")
    bands = []
    for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False)):
        last = i == len(edges) - 2
        mask = (bins >= lo) & ((bins <= hi) if last else (bins < hi))
        held = np.flatnonzero(mask)
        held = held[(held >= filter_bins[0]) & (held < filter_bins[1])]
        if not len(held):
            fail(f"the band {lo:g}-{hi:g} Hz holds no FFT bin inside the filter (bins are"
                 f" {hz:g} Hz apart); use fewer or wider bands, or raise fft_length")
        bands.append((int(held[0]), int(held[-1]) + 1))
    return SpectralLayout(float(sample_rate), int(window), int(axes), int(fft),
                          filter_bins, tuple(bands))
