"""A folder of WAV clips, one subfolder per label, in the Speech Commands layout.

::

    clips/
      yes/  a1b2c3d4_nohash_0.wav ...      one subfolder per label (sorted: class order)
      no/   ...
      _background_noise_/ *.wav           long noise recordings, not a label
      validation_list.txt                 optional: "yes/a1b2c3d4_nohash_0.wav" per line
      testing_list.txt                    optional

With both lists, their files are the validation and test sets and the rest trains (list
entries for files that are not there are ignored). Without them, the split is seeded and
keeps each speaker's clips in one set (the speaker is the part of a file name before
``_nohash_``; a file without one is its own speaker), stratified by label
(scikit-learn's ``StratifiedGroupKFold``): a fifth of the clips for test, a tenth of the
rest for validation. Folders whose name starts with ``_`` or ``.`` are not labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgetf.base.errors import DataError
from edgetf.data.audio_wav import fit_clip, read_wav
from edgetf.data.grouped_split import grouped_split

NOISE_FOLDER = "_background_noise_"
#: Label names (lower case, underscores stripped) that are not keywords: noise alone
#: belongs to them, and streams count a report of them as nothing.
NON_KEYWORDS = frozenset({"silence", "unknown", "noise", "background", "other", "none"})
LISTS = {"validation": "validation_list.txt", "test": "testing_list.txt"}
_SPEAKER = re.compile(r"^(.+?)_nohash_")


@dataclass(frozen=True)
class AudioFolder:
    """The clips of a folder, fitted to one length, and how they split."""

    labels: tuple[str, ...]
    files: tuple[Path, ...]
    clips: np.ndarray  # (N, samples) int16, padded or trimmed at the end
    y: np.ndarray  # (N,) int64 label index
    split: np.ndarray  # (N,) "train" / "validation" / "test"
    noise: tuple[np.ndarray, ...]  # _background_noise_ recordings, whole
    split_from: str  # "lists" or "seeded"


def read_audio_folder(folder: Path | str, rate: int, clip_samples: int,
                      seed: int = 42) -> AudioFolder:
    """Read every WAV file under ``folder``'s label subfolders (see the module docstring);
    each clip is padded with zeros or cut at its end to ``clip_samples``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder; pass a folder of one subfolder of WAV"
                        " files per label")
    labels = tuple(sorted(p.name for p in folder.iterdir()
                          if p.is_dir() and not p.name.startswith(("_", "."))))
    if len(labels) < 2:
        found = f"only '{labels[0]}'" if labels else "none"
        raise DataError(f"{folder}: needs at least two label subfolders of WAV files, found"
                        f" {found}; add one subfolder per class (e.g. yes/, no/)")
    files: list[Path] = []
    y: list[int] = []
    for index, label in enumerate(labels):
        wavs = sorted((folder / label).glob("*.wav"))
        if not wavs:
            raise DataError(f"{folder / label}: holds no .wav files; add clips or remove"
                            " the folder")
        files += wavs
        y += [index] * len(wavs)
    clips = np.stack([fit_clip(read_wav(f, rate), clip_samples) for f in files])
    y_arr = np.array(y, np.int64)
    names = [f.relative_to(folder).as_posix() for f in files]
    if all((folder / name).is_file() for name in LISTS.values()):
        split, split_from = _split_by_lists(folder, names), "lists"
    else:
        split, split_from = _seeded_split(names, y_arr, seed), "seeded"
    if not (split == "train").any():
        raise DataError(f"{folder}: every clip is in {LISTS['validation']} or"
                        f" {LISTS['test']}; leave some for training")
    noise_dir = folder / NOISE_FOLDER
    noise = tuple(read_wav(f, rate) for f in sorted(noise_dir.glob("*.wav"))) \
        if noise_dir.is_dir() else ()
    return AudioFolder(labels, tuple(files), clips, y_arr, split, noise, split_from)


def _split_by_lists(folder: Path, names: list[str]) -> np.ndarray:
    split = np.full(len(names), "train", dtype=object)
    for name, list_file in LISTS.items():
        listed = {line.strip() for line in (folder / list_file).read_text(
            encoding="utf-8").splitlines() if line.strip()}
        split[[n in listed for n in names]] = name
    return split.astype(str)


def speaker(name: str) -> str:
    """The speaker id of a Speech Commands file name, or the name itself."""
    base = name.rsplit("/", 1)[-1]
    found = _SPEAKER.match(base)
    return found.group(1) if found else name


def _seeded_split(names: list[str], y: np.ndarray, seed: int) -> np.ndarray:
    groups = np.array([speaker(n) for n in names])
    return grouped_split(y, groups, seed)
