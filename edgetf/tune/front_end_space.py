"""The front ends' entries of the search space (raw data only), as Edge Impulse's EON
Tuner searches its signal-processing block with the model: each sets one key of the
trial's ``[features.<kind>]`` table (train-quantize's ``feature_params``), so the trial's
report records the front end it was trained with and ``emit-firmware --from`` embeds it.
"""

from __future__ import annotations

from collections.abc import Callable

from edgetf.base.errors import ConfigError
from edgetf.features.audio_config import AudioConfig
from edgetf.tune.entries import Domain, Param

SOURCE = "[tune.space]"


def _feature(name: str) -> Callable[[object], dict]:
    return lambda value: {"feature_params": {name: value}}


def _front_end_param(kind: str, name: str, value_type: type, default: Domain | None,
                     meaning: str) -> Param:
    return Param(name, value_type, "front_end", default, "feature_params", _feature(name),
                 f"{kind} front end: {meaning}", front_end=kind)


#: Only for data that goes through that front end. Windows from 20 to 40 ms take 512- and
#: 1024-point FFTs at 16 kHz; no stride is longer than the shortest window.
FRONT_END_PARAMS: tuple[Param, ...] = (
    _front_end_param("audio", "channels", int, Domain(choices=(20, 32, 40)),
                     "mel channels (the model's input width)"),
    _front_end_param("audio", "window_ms", float, Domain(choices=(20.0, 30.0, 40.0)),
                     "window length (its FFT: the next power of two)"),
    _front_end_param("audio", "stride_ms", float, Domain(choices=(10.0, 20.0)),
                     "time between frames (the frames of a clip: the model's input height)"),
    _front_end_param("spectral", "bands", int, Domain(choices=(4, 8, 16)),
                     "FFT bands per axis"),
    _front_end_param("spectral", "fft_length", int, None,
                     "FFT length (0: the smallest power of two that holds the window)"),
    _front_end_param("spectral", "filter_low_hz", float, None,
                     "the band-pass filter's low edge"),
)


def check_strides(domains: dict[str, Domain], fixed: dict | None) -> None:
    """No audio stride longer than the shortest window (``fixed``: the table every trial
    starts from): the library streams, which needs overlapping or adjacent windows
    (emit-firmware refuses a front end that skips samples)."""
    window, stride = (domains.get(name) for name in ("window_ms", "stride_ms"))
    if window is None and stride is None:
        return
    c = AudioConfig(**{k: v for k, v in (fixed or {}).items()
                       if k in ("window_ms", "stride_ms")})
    windows = [float(v) for v in (window.candidates() if window else (c.window_ms,))]
    strides = [float(v) for v in (stride.candidates() if stride else (c.stride_ms,))]
    if max(strides) > min(windows):
        raise ConfigError(f"{SOURCE}: a stride-ms of {max(strides):g} is longer than a "
                          f"window-ms of {min(windows):g}; the library streams, which needs "
                          "overlapping or adjacent windows: keep every stride at most the "
                          "shortest window")
