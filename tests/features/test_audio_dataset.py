"""A WAV folder as a training set: features by the TFLM front end, splits, augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import DataError
from edgetf.data.audio_folder import read_audio_folder
from edgetf.data.audio_wav import fit_clip, read_wav
from edgetf.features.audio import audio_features, audio_front_end
from edgetf.features.audio_dataset import augmented, load_audio_dataset, noise_alone
from edgetf.tflm.interpreter import tflm_available
from tests.audio_signals import tone, tone_folder, write_wav

needs_tflm = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")


@needs_tflm
def test_features_are_the_front_ends_per_clip(tmp_path):
    tone_folder(tmp_path, speakers=10)
    data = load_audio_dataset(tmp_path, augment=0)
    assert data.labels == ("high", "low")
    assert data.input_shape == (49, 40, 1) and data.x_train.dtype == np.float32
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 40
    found = read_audio_folder(tmp_path, 16000, 16000)
    test_files = [f for f, s in zip(found.files, found.split, strict=True) if s == "test"]
    clips = np.stack([fit_clip(read_wav(f, 16000), 16000) for f in test_files])
    assert np.array_equal(data.x_test[..., 0] * 128, audio_features(clips))
    # the two tone bands differ where the mel channels say they should: low channels
    # are louder for the low tones
    low, high = data.x_train[data.y_train == 1], data.x_train[data.y_train == 0]
    assert low[:, :, :8].mean() > high[:, :, :8].mean()


@needs_tflm
def test_augmentation_adds_shifted_noisy_copies_of_training_clips(tmp_path):
    tone_folder(tmp_path)
    front_end = audio_front_end({"channels": 10, "window_ms": 64, "stride_ms": 64})
    plain = load_audio_dataset(tmp_path, front_end, clip_ms=500, augment=0)
    more = load_audio_dataset(tmp_path, front_end, clip_ms=500, augment=2)
    assert plain.input_shape == (7, 10, 1)
    n = len(plain.x_train)
    assert len(more.x_train) == 3 * n
    assert np.array_equal(more.x_train[:n], plain.x_train)
    assert np.array_equal(more.y_train, np.tile(plain.y_train, 3))
    assert not np.array_equal(more.x_train[n:2 * n], plain.x_train)
    assert np.array_equal(more.x_test, plain.x_test)  # only training clips are augmented


def test_augmented_copies_are_seeded_shifts_plus_noise(tmp_path):
    found = read_audio_folder(tone_folder(tmp_path), 16000, 16000)
    clips = found.clips[:4]
    a, _ = augmented(clips, found, np.random.default_rng(1), 1600, 0.0, 1.0)
    b, _ = augmented(clips, found, np.random.default_rng(1), 1600, 0.0, 1.0)
    assert np.array_equal(a, b)
    for original, copy in zip(clips, a, strict=True):  # gain 0: a pure shift
        shifts = [s for s in range(-1600, 1601)
                  if np.array_equal(np.roll(original, s)[1600:-1600], copy[1600:-1600])]
        assert shifts
    noisy, _ = augmented(clips, found, np.random.default_rng(1), 0, 0.1, 1.0)
    assert not np.array_equal(noisy, clips) and np.abs(noisy - clips.astype(int)).max() < 3300


def test_a_noisy_copys_lead_is_the_noise_just_before_its_stretch_at_its_gain(tmp_path):
    found = read_audio_folder(tone_folder(tmp_path), 16000, 16000)
    silent = np.zeros((3, 16000), np.int16)  # the copy is then the noise alone
    copies, leads = augmented(silent, found, np.random.default_rng(3), 0, 0.1, 1.0, 8000)
    assert leads.shape == (3, 8000) and leads.any(axis=1).all()
    noise = np.concatenate([found.noise[0]] * 3).astype(np.float64)  # the loop
    for copy, lead in zip(copies, leads, strict=True):
        joined = np.concatenate([lead, copy]).astype(np.float64)
        gain = np.abs(copy).max() / np.abs(found.noise[0]).max()
        # the lead and the copy are one stretch of the (looped) recording at one gain
        best = min(np.abs(np.round(gain * noise[s:s + 24000]) - joined).max()
                   for s in range(0, len(noise) - 24000))
        assert best <= 2
    _, none = augmented(silent, found, np.random.default_rng(3), 0, 0.1, 0.0, 8000)
    assert not none.any()  # no noise mixed in: a silent lead


@needs_tflm
def test_noisy_training_copies_are_featurized_after_their_noise(tmp_path):
    tone_folder(tmp_path)
    front_end = audio_front_end({"channels": 10, "window_ms": 64, "stride_ms": 64})
    cold = load_audio_dataset(tmp_path, front_end, clip_ms=512, augment=1, warm_up_ms=0,
                              noise_fraction=1.0)
    warm = load_audio_dataset(tmp_path, front_end, clip_ms=512, augment=1, noise_fraction=1.0)
    n = len(cold.x_train) // 2
    # the originals, validation and test clips are clean: the same as from a reset
    assert np.array_equal(warm.x_train[:n], cold.x_train[:n])
    assert np.array_equal(warm.x_test, cold.x_test)
    # the noisy copies differ, and are what the front end gives after their lead
    assert not np.array_equal(warm.x_train[n:], cold.x_train[n:])
    found = read_audio_folder(tmp_path, 16000, 8192, 42)
    train = found.clips[found.split == "train"]
    copies, leads = augmented(train, found, np.random.default_rng(42), 1600, 0.1, 1.0, 15360)
    expected = audio_features(copies, front_end, lead=leads)
    assert np.array_equal(warm.x_train[n:, ..., 0] * 128, expected)


def test_too_few_clips_to_split_is_one_line(tmp_path):
    for label in ("yes", "no"):
        write_wav(tmp_path / label / "only_nohash_0.wav", tone(440, 1.0))
    with pytest.raises(DataError, match="too few clips or speakers to fill"):
        load_audio_dataset(tmp_path)
    with pytest.raises(DataError, match="shorter than one 30 ms window"):
        load_audio_dataset(tmp_path, clip_ms=10)


def test_noise_alone_goes_to_the_folders_non_keyword_label():
    from edgetf.features.audio_dataset import non_keyword_label

    assert non_keyword_label(("down", "unknown", "yes")) == 1
    assert non_keyword_label(("_silence_", "_unknown_", "yes")) == 0
    assert non_keyword_label(("high", "low")) is None  # no label for noise: none added


@needs_tflm
def test_noise_alone_clips_join_the_unknown_label_after_their_warm_up(tmp_path):
    tone_folder(tmp_path)
    (tmp_path / "low").rename(tmp_path / "unknown")
    front_end = audio_front_end({"channels": 10, "window_ms": 64, "stride_ms": 64})
    plain = load_audio_dataset(tmp_path, front_end, clip_ms=512, silence_fraction=0)
    quiet = load_audio_dataset(tmp_path, front_end, clip_ms=512)
    n = len(plain.x_train)
    extra = round(0.1 * n)
    assert len(quiet.x_train) == n + extra and extra > 0
    assert np.array_equal(quiet.x_train[:n], plain.x_train)
    assert (quiet.y_train[n:] == quiet.labels.index("unknown")).all()
    # each is the noise alone, featurized after the second of noise before it (15 strides
    # of 1024 samples), drawn after the augmented copies from the same seeded generator
    found = read_audio_folder(tmp_path, 16000, 8192, 42)
    rng = np.random.default_rng(42)
    augmented(found.clips[found.split == "train"], found, rng, 1600, 0.1, 0.8, 15360)
    clips, leads = noise_alone(found, rng, extra, 8192, 0.1, 15360)
    assert leads.any(axis=1).all()
    expected = audio_features(clips, front_end, lead=leads)
    assert np.array_equal(quiet.x_train[n:, ..., 0] * 128, expected)
