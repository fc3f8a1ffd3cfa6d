"""The ``audio`` front end's parameters: a frozen record, read from a config table.

The defaults are those TFLM's micro_speech example built ``audio_preprocessor_int8.tflite``
with (``FeatureParams`` in ``tensorflow/lite/micro/examples/micro_speech/
audio_preprocessor.py``, tflite-micro 90b983c): 16 kHz, 30 ms windows every 20 ms, 40 mel
channels over 125-7500 Hz, noise reduction and PCAN on, int8 out. A config file sets any
field by name in its ``[features.audio]`` table::

    [features.audio]
    channels = 32
    window_ms = 32
    stride_ms = 16
    pcan = false
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from edgetf.base.errors import ConfigError
from edgetf.features.audio_tables import PCAN_SNR_BITS, fft_length


@dataclass(frozen=True)
class AudioConfig:
    """What the ``audio`` front end computes; see the module docstring for the source."""

    sample_rate: int = 16000
    window_ms: float = 30.0
    stride_ms: float = 20.0
    channels: int = 40
    lower_hz: float = 125.0
    upper_hz: float = 7500.0
    noise_reduction: bool = True
    pcan: bool = True
    # Fixed-point details of the signal ops (micro_speech's values).
    window_scaling_bits: int = 12
    filter_bank_scaling_bits: int = 12
    filter_bank_alignment: int = 4
    filter_bank_block_size: int = 4
    log_scaling_bits: int = 6
    spectral_subtraction_bits: int = 14
    smoothing_bits: int = 10
    even_smoothing: float = 0.025
    odd_smoothing: float = 0.06
    min_signal_remaining: float = 0.05
    clamping: bool = False
    pcan_strength: float = 0.95
    pcan_offset: float = 80.0
    pcan_gain_bits: int = 21

    @property
    def window_samples(self) -> int:
        return int(self.window_ms * self.sample_rate / 1000)

    @property
    def stride_samples(self) -> int:
        return int(self.stride_ms * self.sample_rate / 1000)

    @property
    def fft_length(self) -> int:
        return fft_length(self.window_samples)[0]

    @property
    def correction_bits(self) -> int:
        """Bits the filter bank's output carries above the log's and PCAN's input."""
        return fft_length(self.window_samples)[1] - self.filter_bank_scaling_bits // 2

    def frames(self, samples: int) -> int:
        """Frames (whole windows, ``stride`` apart from sample 0) in ``samples`` samples."""
        if samples < self.window_samples:
            return 0
        return 1 + (samples - self.window_samples) // self.stride_samples


def audio_config(table: dict | None = None, source: str = "the config") -> AudioConfig:
    """An :class:`AudioConfig` from a ``[features.audio]`` table (None: the defaults),
    checked: unknown keys, wrong types and values TFLM's kernels cannot take are
    ConfigErrors naming ``source``."""
    known = {f.name: f for f in fields(AudioConfig)}
    values = {}
    for key, value in (table or {}).items():
        if key not in known:
            raise ConfigError(f"{source}: [features.audio] has no key {key!r}; known keys:"
                              f" {', '.join(known)}")
        default = known[key].default
        kind = type(default)
        ok = (isinstance(value, bool) if kind is bool else
              isinstance(value, (int, float)) and not isinstance(value, bool)
              and (kind is float or float(value).is_integer()))
        if not ok:
            wanted = {bool: "true or false", int: "an integer", float: "a number"}[kind]
            raise ConfigError(f"{source}: [features.audio] {key} = {value!r} should be"
                              f" {wanted}")
        values[key] = kind(value)
    config = replace(AudioConfig(), **values)
    _check(config, source)
    return config


def _check(c: AudioConfig, source: str) -> None:
    def fail(problem: str) -> None:
        raise ConfigError(f"{source}: [features.audio] {problem}")

    if not 1000 <= c.sample_rate <= 192000:
        fail(f"sample_rate = {c.sample_rate} Hz is not an audio rate (1000-192000)")
    try:
        fft_length(c.window_samples)
    except ValueError as e:
        fail(f"window_ms = {c.window_ms:g}: {e}; pick a window of 64-2048 samples")
    if not 0 < c.stride_samples:
        fail(f"stride_ms = {c.stride_ms:g} is under one sample; use a positive stride")
    if not 1 <= c.channels <= 128:
        fail(f"channels = {c.channels} should be 1 to 128")
    if not 0 <= c.lower_hz < c.upper_hz <= c.sample_rate / 2:
        fail(f"the band lower_hz = {c.lower_hz:g} to upper_hz = {c.upper_hz:g} should lie"
             f" within 0-{c.sample_rate / 2:g} Hz (half the sample rate), lower first")
    if c.pcan and not c.noise_reduction:
        fail("pcan = true needs noise_reduction = true: PCAN divides by the noise"
             " estimate that noise reduction keeps; turn both on, or pcan off")
    if c.pcan and c.pcan_gain_bits - c.correction_bits - PCAN_SNR_BITS < 1:
        fail(f"pcan_gain_bits = {c.pcan_gain_bits} is too small for this window; use at"
             f" least {c.correction_bits + PCAN_SNR_BITS + 1}")
