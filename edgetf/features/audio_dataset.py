"""A folder of WAV clips (:mod:`edgetf.data.audio_folder`) as a training data set: each
clip's features computed by the ``audio`` front end's graph in the TFLM interpreter, the
same bytes the board's front end will give.

``x`` holds the int8 features divided by 128, as float32 (-1 to 127/128, exactly),
shaped ``(frames, channels, 1)`` like a one-channel image. A model trained on them takes
the front end's int8 frames unchanged when its int8 input has scale 1/128 and zero point 0,
which is what the converter picks when the calibration data spans -1 to 127/128 (loud
and silent channels, which clip to 127 and -128, make that the rule in speech).

Augmentation (training clips only, seeded; ``augment`` extra copies of each, 1 by
default, 0 for none) follows the Speech Commands recipe's defaults: each copy is shifted by
up to ±100 ms (``shift_ms``, zeros shifted in) and, when the folder has
``_background_noise_`` recordings, mixed with a random stretch of one of them at a gain
drawn from 0 to 0.1 (``noise_gain``) in 80 % of copies (``noise_fraction``).

Warm-up (``warm_up_ms``, 1000 by default, 0 for none): a noise-mixed copy's features are
computed after ``warm_up_ms`` of the same noise recording, at the same gain, that comes
just before the stretch mixed in (looped at the recording's start), as
:func:`~edgetf.features.audio.audio_features`' ``lead``. On the board the front end runs
without resets, so a keyword heard in noise reaches a front end whose noise estimate and
PCAN gain have settled on that noise; training on clips from a reset front end teaches the
model frames the board never computes (measured on the espeak keyword set: the same noisy
keyword clips, 65 % right from a reset front end, 24 % right after one second of their
noise). One second covers the noise estimate's settling (its smoothing of 0.025 to 0.06
per frame at 20 ms strides).

Noise alone (``silence_fraction``, 0.1 by default): when the folder has background noise
and a non-keyword label (``silence`` or ``unknown``, ...:
:data:`~edgetf.data.audio_folder.NON_KEYWORDS`; ``silence``-like names first), a tenth
as many extra training clips as there are (augmented) training clips are stretches of the
noise alone at a gain drawn from 0 to ``noise_gain``, each after its warm-up, with that
label, as the Speech Commands recipe adds its ``_silence_`` clips. A stream is mostly noise
between keywords, and a warmed front end makes noise alone look unlike any clip of the
folder (near the floor in every channel): a model that never saw it reports keywords on it.

Clips without noise (the originals, the un-noised copies,
validation and test) keep a reset front end: a silent lead leaves it exactly as a reset
does (all-zero windows add no energy to any state), which the tests check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from edgetf.base.errors import DataError
from edgetf.data.audio_folder import NON_KEYWORDS, AudioFolder, read_audio_folder
from edgetf.data.datasets import Dataset
from edgetf.features.audio import AudioFrontEnd, audio_features, audio_front_end


@dataclass(frozen=True)
class AudioDataset(Dataset):
    """A :class:`Dataset` that also keeps what the board needs to compute its features:
    the test clips' raw samples (the firmware's raw-sample golden vectors), the front end
    and the clip length."""

    test_clips: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int16))
    front_end: AudioFrontEnd | None = None
    clip_ms: float = 1000

    def features_record(self) -> dict:
        """What a run records (``report.json``'s ``features``) so that ``emit-firmware``
        embeds the same front end with a ring buffer of the same clip length."""
        return {"kind": "audio", "clip_ms": self.clip_ms,
                "config": asdict(self.front_end.config) if self.front_end else {}}


def load_audio_dataset(folder, front_end: AudioFrontEnd | None = None, *,
                       clip_ms: float = 1000, seed: int = 42, augment: int = 1,
                       shift_ms: float = 100, noise_gain: float = 0.1,
                       noise_fraction: float = 0.8, warm_up_ms: float = 1000,
                       silence_fraction: float = 0.1) -> Dataset:
    """The features of every clip in ``folder``, split as the folder says (lists) or
    seeded by speaker; each clip padded with zeros or cut at its end to ``clip_ms``."""
    front_end = front_end or audio_front_end()
    rate = front_end.config.sample_rate
    clip_samples = int(clip_ms * rate / 1000)
    if front_end.frames(clip_samples) == 0:
        raise DataError(f"--clip-ms {clip_ms:g} is shorter than one {front_end.config.window_ms:g}"
                        " ms window of the front end; use longer clips")
    found = read_audio_folder(folder, rate, clip_samples, seed)
    sets = {name: found.split == name for name in ("train", "validation", "test")}
    empty = [name for name, mask in sets.items() if not mask.any()]
    if empty:
        raise DataError(f"{folder}: too few clips or speakers to fill the {' and '.join(empty)}"
                        f" set ({len(found.y)} clips); add clips, or list them in"
                        " validation_list.txt and testing_list.txt")
    train_clips, train_y = found.clips[sets["train"]], found.y[sets["train"]]
    stride = front_end.config.stride_samples
    lead_samples = int(warm_up_ms * rate / 1000) // stride * stride
    train_leads = np.zeros((len(train_clips), lead_samples), np.int16)
    if augment:
        rng = np.random.default_rng(seed)
        copies = [augmented(train_clips, found, rng, int(shift_ms * rate / 1000), noise_gain,
                            noise_fraction, lead_samples) for _ in range(augment)]
        train_clips = np.concatenate([train_clips, *(clips for clips, _ in copies)])
        train_leads = np.concatenate([train_leads, *(leads for _, leads in copies)])
        train_y = np.concatenate([train_y] * (augment + 1))
        quiet = non_keyword_label(found.labels)
        if quiet is not None and found.noise and silence_fraction > 0:
            count = round(silence_fraction * len(train_clips))
            clips, leads = noise_alone(found, rng, count, clip_samples, noise_gain, lead_samples)
            train_clips = np.concatenate([train_clips, clips])
            train_leads = np.concatenate([train_leads, leads])
            train_y = np.concatenate([train_y, np.full(count, quiet, train_y.dtype)])

    def features(clips: np.ndarray, leads: np.ndarray | None = None) -> np.ndarray:
        out = audio_features(clips, front_end)
        warmed = np.flatnonzero(leads.any(axis=1)) if leads is not None else []
        if len(warmed):
            out[warmed] = audio_features(clips[warmed], front_end, lead=leads[warmed])
        return (out / np.float32(128))[..., np.newaxis]

    test_clips = found.clips[sets["test"]]
    return AudioDataset(str(folder), features(train_clips, train_leads), train_y,
                        features(found.clips[sets["validation"]]), found.y[sets["validation"]],
                        features(test_clips), found.y[sets["test"]], found.labels,
                        test_clips=test_clips, front_end=front_end, clip_ms=clip_ms)


def non_keyword_label(labels: tuple[str, ...]) -> int | None:
    """The label that noise alone belongs to: a silence-like one, else ``unknown``-like."""
    names = [name.strip("_").lower() for name in labels]
    for preferred in ("silence", "background", "noise", "none"):
        if preferred in names:
            return names.index(preferred)
    found = [i for i, name in enumerate(names) if name in NON_KEYWORDS]
    return found[0] if found else None


def noise_alone(found: AudioFolder, rng: np.random.Generator, count: int, length: int,
                noise_gain: float, lead_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` seeded stretches of the folder's noise recordings at gains from 0 to
    ``noise_gain``, and each one's lead (the noise just before it, looped)."""
    clips = np.zeros((count, length), np.float64)
    leads = np.zeros((count, lead_samples), np.float64)
    for i in range(count):
        noise = found.noise[rng.integers(len(found.noise))].astype(np.float64)
        start = int(rng.integers(len(noise)))
        gain = rng.uniform(0, noise_gain)
        clips[i] = gain * noise[(start + np.arange(length)) % len(noise)]
        leads[i] = gain * noise[(start - lead_samples + np.arange(lead_samples)) % len(noise)]
    return (np.clip(np.round(clips), -32768, 32767).astype(np.int16),
            np.clip(np.round(leads), -32768, 32767).astype(np.int16))


def augmented(clips: np.ndarray, found: AudioFolder, rng: np.random.Generator,
              max_shift: int, noise_gain: float, noise_fraction: float,
              lead_samples: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One shifted, noise-mixed copy of ``clips`` and each copy's lead (``lead_samples`` of
    the noise before its stretch, at its gain; zeros for a copy without noise)."""
    n, length = clips.shape
    out = np.zeros((n, length), np.float64)
    leads = np.zeros((n, lead_samples), np.float64)
    for i, shift in enumerate(rng.integers(-max_shift, max_shift + 1, n)):
        if shift >= 0:
            out[i, shift:] = clips[i, :length - shift]
        else:
            out[i, :shift] = clips[i, -shift:]
    noises = [x for x in found.noise if len(x) >= length]
    if noises:
        for i in np.flatnonzero(rng.random(n) < noise_fraction):
            noise = noises[rng.integers(len(noises))]
            start = rng.integers(len(noise) - length + 1)
            gain = rng.uniform(0, noise_gain)
            out[i] += gain * noise[start:start + length]
            leads[i] = gain * noise[(start - lead_samples + np.arange(lead_samples)) % len(noise)]
    return (np.clip(np.round(out), -32768, 32767).astype(np.int16),
            np.clip(np.round(leads), -32768, 32767).astype(np.int16))
