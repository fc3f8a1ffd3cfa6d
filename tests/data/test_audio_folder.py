"""A Speech Commands-style folder: labels, lists or a seeded speaker-wise split, errors."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import DataError
from edgetf.data.audio_folder import read_audio_folder, speaker
from tests.audio_signals import tone, tone_folder, write_wav


def test_labels_clips_and_noise(tmp_path):
    found = read_audio_folder(tone_folder(tmp_path), 16000, 16000)
    assert found.labels == ("high", "low")  # sorted; _background_noise_ is no label
    assert found.clips.shape == (24, 16000) and found.clips.dtype == np.int16
    assert len(found.noise) == 1 and len(found.noise[0]) == 48000
    short = found.files.index(tmp_path / "low" / "spk0_nohash_0.wav")  # 0.6 s: padded
    assert not found.clips[short, 9600:].any() and found.clips[short, :9600].any()
    assert found.split_from == "seeded"


def test_seeded_split_keeps_speakers_together_and_covers_labels(tmp_path):
    found = read_audio_folder(tone_folder(tmp_path, speakers=10), 16000, 16000)
    speakers = np.array([speaker(f.name) for f in found.files])
    for name in ("train", "validation", "test"):
        assert (found.split == name).any(), name
    for s in set(speakers):
        assert len(set(found.split[speakers == s])) == 1, s
    for label in range(2):
        assert set(found.split[found.y == label]) == {"train", "validation", "test"}
    again = read_audio_folder(tmp_path, 16000, 16000)
    other = read_audio_folder(tmp_path, 16000, 16000, seed=7)
    assert np.array_equal(found.split, again.split)
    assert not np.array_equal(found.split, other.split)


def test_files_without_speaker_ids_split_stratified(tmp_path):
    for label in ("a", "b"):
        for i in range(10):
            write_wav(tmp_path / label / f"clip{i}.wav", tone(300 + 50 * i, 0.1))
    found = read_audio_folder(tmp_path, 16000, 1600)
    assert sorted(np.unique(found.split[found.y == 0], return_counts=True)[1]) == \
        sorted(np.unique(found.split[found.y == 1], return_counts=True)[1])
    assert (found.split == "test").sum() == 4


def test_lists_are_honoured(tmp_path):
    tone_folder(tmp_path)
    (tmp_path / "validation_list.txt").write_text("low/spk1_nohash_0.wav\nhigh/spk2_nohash_1.wav\n"
                                                   "gone/x_nohash_0.wav\n")
    (tmp_path / "testing_list.txt").write_text("low/spk3_nohash_0.wav\n")
    found = read_audio_folder(tmp_path, 16000, 16000)
    named = {f.relative_to(tmp_path).as_posix(): s
             for f, s in zip(found.files, found.split, strict=True)}
    assert found.split_from == "lists"
    assert [n for n, s in named.items() if s == "validation"] == [
        "high/spk2_nohash_1.wav", "low/spk1_nohash_0.wav"]
    assert [n for n, s in named.items() if s == "test"] == ["low/spk3_nohash_0.wav"]
    assert list(named.values()).count("train") == 21


@pytest.mark.parametrize("make, fragment", [
    (lambda root: root.mkdir(), "found none"),
    (lambda root: write_wav(root / "yes" / "a.wav", tone(440, 0.1)), "found only 'yes'"),
    (lambda root: (write_wav(root / "yes" / "a.wav", tone(440, 0.1)),
                   (root / "no").mkdir()), "no: holds no .wav files"),
    (lambda root: (write_wav(root / "yes" / "a.wav", tone(440, 0.1)),
                   write_wav(root / "no" / "b.wav", tone(440, 0.1, rate=8000), rate=8000)),
     "b.wav: has 8000 Hz"),
    (lambda root: None, "no such folder"),
])
def test_bad_folders_are_one_line(tmp_path, make, fragment):
    root = tmp_path / "clips"
    make(root)
    with pytest.raises(DataError, match=fragment) as e:
        read_audio_folder(root, 16000, 16000)
    assert "\n" not in str(e.value)
