"""Compute audio features: clips of int16 samples through the front end's graph in the
TFLM interpreter, frame by frame, as the board will.

A clip of ``S`` samples gives ``1 + (S - window) // stride`` frames: windows start at
sample 0 and every ``stride`` after it, and a window that would run past the end is not
computed (micro_speech's ``evaluate.py`` frames a clip the same way: 1 s at 16 kHz gives
49 frames). The kernels keep state between frames (noise estimate, PCAN smoothing), so
each clip starts from a freshly reset interpreter, as micro_speech resets its front end
before each clip.

On the board the front end is never reset within a stream: when a keyword arrives, the
noise estimate and PCAN's gain have settled on the audio before it, and the same clip gives
very different frames (on speech in steady noise at a tenth of full scale, the frames' mean
falls from about -29 after a reset to about -88 after a second of that noise). ``lead``
gives each clip the audio that came before it: the front end runs over ``lead`` then the
clip, without a reset between them, and only the clip's frames are kept, which is what the
board computes for that clip inside a stream. A lead is a whole number of strides long, so
the clip's windows fall where they would without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgetf.base.errors import DataError
from edgetf.features.audio_config import AudioConfig, audio_config
from edgetf.features.audio_graph import audio_graph
from edgetf.tflm.interpreter import run_tflm

# Frames per TFLM child run: bounds the child's input file (~2 KB per 30 ms frame).
_FRAMES_PER_RUN = 1 << 15


@dataclass(frozen=True)
class AudioFrontEnd:
    """The ``audio`` front end: its parameters and its ``.tflite`` graph."""

    config: AudioConfig
    model: bytes = field(repr=False)

    def frames(self, samples: int) -> int:
        return self.config.frames(samples)

    def feature_shape(self, samples: int) -> tuple[int, int]:
        """(frames, channels) of a clip of ``samples`` samples."""
        return self.frames(samples), self.config.channels


def audio_front_end(config: AudioConfig | dict | None = None, *,
                    source: str = "the config") -> AudioFrontEnd:
    """The front end for ``config`` (an AudioConfig, a ``[features.audio]`` table, or None
    for micro_speech's)."""
    if not isinstance(config, AudioConfig):
        config = audio_config(config, source)
    return AudioFrontEnd(config, audio_graph(config, source=source))


def frame_clips(clips: np.ndarray, config: AudioConfig) -> np.ndarray:
    """``(N, samples)`` int16 clips -> ``(N, frames, window)`` windows (a view)."""
    n, window, stride = clips.shape[1], config.window_samples, config.stride_samples
    frames = config.frames(n)
    starts = np.arange(frames) * stride
    return clips[:, starts[:, None] + np.arange(window)[None, :]]


def audio_features(clips: np.ndarray, front_end: AudioFrontEnd | None = None, *,
                   lead: np.ndarray | None = None, timeout: float = 600) -> np.ndarray:
    """Features of ``clips`` (``(N, samples)`` or one ``(samples,)`` clip, int16):
    ``(N, frames, channels)`` (or ``(frames, channels)``) int8, from the TFLM interpreter;
    with ``lead`` (int16, ``(N, lead_samples)`` or ``(lead_samples,)``, a whole number of
    strides), each clip's frames as computed after its lead (module docstring).
    """
    front_end = front_end or audio_front_end()
    clips = np.asarray(clips)
    single = clips.ndim == 1
    batch = clips[None] if single else clips
    if lead is not None:
        return _after_lead(batch, np.asarray(lead), front_end, timeout, single)
    if batch.dtype != np.int16 or batch.ndim != 2:
        raise DataError(f"audio clips must be int16 samples of shape (N, samples), not"
                        f" {batch.dtype} {batch.shape}; read WAV files with"
                        " edgetf.data.audio_wav.read_wav")
    frames = front_end.frames(batch.shape[1])
    if frames == 0:
        c = front_end.config
        raise DataError(f"a clip of {batch.shape[1]} samples is shorter than one"
                        f" {c.window_ms:g} ms window ({c.window_samples} samples at"
                        f" {c.sample_rate} Hz); pass longer clips")
    out = np.empty((len(batch), frames, front_end.config.channels), np.int8)
    per_run = max(1, _FRAMES_PER_RUN // frames)
    for start in range(0, len(batch), per_run):
        windows = frame_clips(batch[start:start + per_run], front_end.config)
        flat = np.ascontiguousarray(windows.reshape(-1, 1, windows.shape[-1]))
        result = run_tflm(front_end.model, flat, reset_between=frames, timeout=timeout)[0]
        out[start:start + per_run] = result.reshape(-1, frames, front_end.config.channels)
    return out[0] if single else out


def _after_lead(batch: np.ndarray, lead: np.ndarray, front_end: AudioFrontEnd,
                timeout: float, single: bool) -> np.ndarray:
    """The clips' frames computed after their leads, the lead's frames dropped."""
    lead = lead[None] if lead.ndim == 1 else lead
    stride = front_end.config.stride_samples
    if lead.dtype != np.int16 or lead.ndim != 2 or len(lead) != len(batch) or \
            lead.shape[1] % stride:
        raise DataError(f"a lead must be int16 samples of shape ({len(batch)}, k *"
                        f" {stride}) (whole strides), not {lead.dtype} {lead.shape}")
    if batch.dtype != np.int16 or batch.ndim != 2:
        raise DataError(f"audio clips must be int16 samples of shape (N, samples), not"
                        f" {batch.dtype} {batch.shape}")
    frames = front_end.frames(batch.shape[1])
    joined = np.concatenate([lead, batch], axis=1)
    out = audio_features(joined, front_end, timeout=timeout)[:, -frames:] if frames else \
        audio_features(batch, front_end, timeout=timeout)  # raises the short-clip error
    return out[0] if single else out
