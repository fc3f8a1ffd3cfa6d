"""The two long recordings a keyword-spotting calibration plays to the recognizer, built
from a folder of clips (Edge Impulse's "performance calibration" measures the same two
numbers on the same two kinds of audio):

- the **background** stream: a noise bed with the held-out clips of the non-keyword
  labels (``unknown``, ``silence``, ...: :data:`NON_KEYWORDS`) laid over it, one per slot,
  for as long as asked; every keyword reported on it is a false activation;
- the **keyword** stream: the same noise bed with every held-out clip of a keyword label
  laid over it, one per slot, at known times; a keyword not reported soon after its clip
  is a miss.

How, exactly (so that a figure can be reproduced):

- held out: the clips of the folder's test split (the lists, or the seeded speaker split
  train-quantize used), the same clips validate's accuracy is measured on;
- noise bed: the folder's ``_background_noise_`` recordings, joined in name order and
  looped from a seeded offset, at gain :data:`NOISE_GAIN` (the top of training's
  augmentation range); a folder without them gets seeded white noise at
  :data:`WHITE_NOISE_RMS` of full scale;
- slots: ``clip + average window + suppression + 1 s`` long (4.5 s with the defaults), so
  that one clip's detections are over before the next clip starts and a repeated label is
  never suppressed; each clip starts at a seeded offset of 0-500 ms into its slot, clips
  in seeded order; clip and noise are added and clipped to int16;
- streams: cut into pieces of at most :data:`SEGMENT_S` seconds, each starting with one
  clip length of noise alone (the ring fills) and pushed from a reset library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edgetf.base.errors import DataError
from edgetf.data.audio_folder import NON_KEYWORDS, AudioFolder
from edgetf.features.streaming import StreamingConfig

NOISE_GAIN = 0.1
WHITE_NOISE_RMS = 0.01
SEGMENT_S = 300
JITTER_MS = 500
SEED = 42


@dataclass(frozen=True)
class Stream:
    """One recording pushed from a reset library, and the clips laid over it."""

    samples: np.ndarray = field(repr=False)  # int16
    events: tuple[tuple[int, int, int], ...]  # (start ms, end ms, label index)


@dataclass(frozen=True)
class KwsStreams:
    background: tuple[Stream, ...]
    keywords: tuple[Stream, ...]
    keyword_labels: tuple[int, ...]
    slot_ms: int
    rate: int
    description: str

    @property
    def background_hours(self) -> float:
        return sum(len(s.samples) for s in self.background) / self.rate / 3600

    @property
    def keyword_count(self) -> int:
        return sum(len(s.events) for s in self.keywords)


def keyword_labels(labels: tuple[str, ...]) -> tuple[int, ...]:
    """The indices of the labels that are keywords (all but :data:`NON_KEYWORDS`)."""
    return tuple(i for i, name in enumerate(labels)
                 if name.strip("_").lower() not in NON_KEYWORDS)


def slot_ms(clip_ms: float, config: StreamingConfig) -> int:
    return int(math.ceil(clip_ms + config.average_window_ms + config.suppression_ms + 1000))


def build_streams(found: AudioFolder, clip_samples: int, rate: int, config: StreamingConfig,
                  background_s: float, seed: int = SEED, source: str = "the data"
                  ) -> KwsStreams:
    """The background and keyword streams of ``found``'s test split (module docstring)."""
    keywords = keyword_labels(found.labels)
    if not keywords:
        raise DataError(f"{source}: every label ({', '.join(found.labels)}) is a non-keyword"
                        " name; streaming figures need at least one keyword label")
    held = found.split == "test"
    is_keyword = np.isin(found.y, keywords)
    rng = np.random.default_rng(seed)
    kw_index = rng.permutation(np.flatnonzero(held & is_keyword))
    other_index = rng.permutation(np.flatnonzero(held & ~is_keyword))
    if not len(kw_index):
        raise DataError(f"{source}: the test split holds no keyword clips; add clips or"
                        " list some in testing_list.txt")
    clip_ms = clip_samples * 1000 / rate
    slot = slot_ms(clip_ms, config)
    slot_samples = slot * rate // 1000
    bed = _NoiseBed(found.noise, rate, rng)
    per_segment = max(1, (SEGMENT_S * rate - clip_samples) // slot_samples)
    background_slots = max(1, round(background_s * 1000 / slot))
    other = [other_index[i % len(other_index)] for i in range(background_slots)] \
        if len(other_index) else [None] * background_slots
    streams = {}
    for name, order in (("keywords", list(kw_index)), ("background", other)):
        streams[name] = tuple(
            _stream(order[start:start + per_segment], found, bed, clip_samples, slot_samples,
                    rate, rng) for start in range(0, len(order), per_segment))
    noise = (f"the folder's {len(found.noise)} _background_noise_ recording(s) at gain"
             f" {NOISE_GAIN:g}" if found.noise else
             f"seeded white noise at {WHITE_NOISE_RMS:g} of full scale (the folder has no"
             " _background_noise_)")
    others = (f"{len(other_index)} held-out non-keyword clips, cycled" if len(other_index)
              else "no non-keyword clips (noise alone)")
    description = (f"test split of {source}; noise bed: {noise}; one clip per {slot} ms slot"
                   f" at a seeded 0-{JITTER_MS} ms offset (seed {seed}); keyword stream:"
                   f" {len(kw_index)} held-out keyword clips; background stream:"
                   f" {background_slots * slot / 60000:.1f} min with {others}; pieces of at"
                   f" most {SEGMENT_S} s, each from a reset library")
    return KwsStreams(streams["background"], streams["keywords"], keywords, slot, rate,
                      description)


class _NoiseBed:
    """Stretches of the noise bed, one after another (looped), as float samples."""

    def __init__(self, recordings: tuple[np.ndarray, ...], rate: int,
                 rng: np.random.Generator):
        self.rng = rng
        joined = np.concatenate(recordings).astype(np.float64) if recordings else None
        self.loop = None if joined is None or not len(joined) else joined * NOISE_GAIN
        self.position = int(rng.integers(len(self.loop))) if self.loop is not None else 0

    def take(self, n: int) -> np.ndarray:
        if self.loop is None:
            return self.rng.normal(0, WHITE_NOISE_RMS * 32767, n)
        out = self.loop[(self.position + np.arange(n)) % len(self.loop)]
        self.position = (self.position + n) % len(self.loop)
        return out


def _stream(clips: list, found: AudioFolder, bed: _NoiseBed, clip_samples: int,
            slot_samples: int, rate: int, rng: np.random.Generator) -> Stream:
    """A noise-alone lead of one clip, then one slot per entry of ``clips`` (an index into
    ``found``, or None for noise alone)."""
    total = clip_samples + len(clips) * slot_samples
    out = bed.take(total)
    events = []
    jitter = JITTER_MS * rate // 1000
    for slot, index in enumerate(clips):
        start = clip_samples + slot * slot_samples + int(rng.integers(jitter + 1))
        if index is None:
            continue
        out[start:start + clip_samples] += found.clips[index]
        events.append((start * 1000 // rate, (start + clip_samples) * 1000 // rate,
                       int(found.y[index])))
    samples = np.clip(np.round(out), -32768, 32767).astype(np.int16)
    return Stream(samples, tuple(events))
