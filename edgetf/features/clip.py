"""One file's features, for ``edgetf features``: the front end named by kind and built from
a config document's ``[features.<kind>]`` table, a clip read, its features computed, shown
or saved."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edgetf.base.errors import ConfigError, DataError
from edgetf.data.audio_wav import read_wav
from edgetf.features.audio import AudioFrontEnd, audio_features, audio_front_end

#: Front-end kind -> what builds it from its config table (None: the defaults).
FRONT_ENDS: dict[str, Callable[..., AudioFrontEnd]] = {"audio": audio_front_end}


def front_end(kind: str = "audio", document: dict | None = None,
              source: str = "the config") -> AudioFrontEnd:
    """The ``kind`` front end, with the parameters of ``document``'s
    ``[features.<kind>]`` table (a parsed TOML config; None: defaults)."""
    if kind not in FRONT_ENDS:
        raise ConfigError(f"unknown front end {kind!r}; edgetf has {', '.join(FRONT_ENDS)}")
    tables = (document or {}).get("features", {})
    if not isinstance(tables, dict) or not isinstance(tables.get(kind, {}), dict):
        raise ConfigError(f"{source}: [features] should hold a [features.{kind}] table")
    return FRONT_ENDS[kind](tables.get(kind), source=source)


def clip_features(path: Path | str, kind: str = "audio", document: dict | None = None,
                  source: str = "the config") -> tuple[np.ndarray, AudioFrontEnd]:
    """The features of one WAV file, whole (no padding or trimming): ``(frames,
    channels)`` int8, and the front end that computed them."""
    fe = front_end(kind, document, source)
    samples = read_wav(path, fe.config.sample_rate)
    c = fe.config
    if fe.frames(len(samples)) == 0:
        raise DataError(f"{path}: holds {len(samples)} samples, less than one"
                        f" {c.window_ms:g} ms window ({c.window_samples} samples); pass a"
                        " longer recording")
    return audio_features(samples, fe), fe


def describe(path: Path | str, features: np.ndarray, fe: AudioFrontEnd) -> str:
    """One line on what the features are."""
    c = fe.config
    steps = ", ".join(name for name, on in (("noise reduction", c.noise_reduction),
                                            ("PCAN", c.pcan)) if on) or "no noise reduction"
    return (f"{path}: {features.shape[0]} frames x {features.shape[1]} channels, int8"
            f" (audio front end: {c.sample_rate} Hz, {c.window_ms:g} ms windows every"
            f" {c.stride_ms:g} ms, {c.channels} mel channels {c.lower_hz:g}-{c.upper_hz:g} Hz,"
            f" {steps})")


def format_features(features: np.ndarray) -> str:
    """Every value, one frame per line."""
    return "\n".join(" ".join(f"{v:4d}" for v in frame) for frame in features)


def save_features(features: np.ndarray, out: Path | str) -> Path:
    """Write ``features`` as ``.npy`` at ``out`` all at once (a temporary file renamed),
    so an interruption leaves no half-written file."""
    out = Path(out)
    if out.suffix != ".npy":
        raise ConfigError(f"{out}: features are saved as a NumPy .npy file; name it .npy")
    if not out.parent.is_dir():
        raise ConfigError(f"{out}: the folder {out.parent} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(prefix=".edgetf-", suffix=".npy", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, features)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
