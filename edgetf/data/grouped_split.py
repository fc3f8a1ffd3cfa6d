"""Train / validation / test by groups: one speaker's clips or one recording's windows
stay in one set, so the test set measures examples from people or sessions the model never
heard or felt. Stratified by label and seeded; WAV folders and motion CSVs both split here."""

from __future__ import annotations

import warnings

import numpy as np

TEST_FOLDS = 5  # a fifth of the groups for test
VALIDATION_FOLDS = 10  # a tenth of the rest for validation


def grouped_split(y: np.ndarray, groups: np.ndarray, seed: int) -> np.ndarray:
    """``"train"`` / ``"validation"`` / ``"test"`` per example. A set stays empty where
    there are too few groups to hold one out; the caller names the file and the fix."""
    split = np.full(len(y), "train", dtype=object)
    test = _one_fold(y, groups, TEST_FOLDS, seed)
    split[test] = "test"
    rest = np.flatnonzero(~test)
    split[rest[_one_fold(y[rest], groups[rest], VALIDATION_FOLDS, seed)]] = "validation"
    return split.astype(str)


def _one_fold(y: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A boolean mask: one fold of a stratified, grouped, seeded split; all False when
    there are too few groups to split."""
    from sklearn.model_selection import StratifiedGroupKFold

    mask = np.zeros(len(y), bool)
    n_folds = min(folds, len(set(groups)), int(np.bincount(y).max()))  # sklearn's limits
    if n_folds < 2:
        return mask
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # "least populated class has only N members"
        warnings.simplefilter("ignore", UserWarning)
        _, held = next(splitter.split(np.zeros(len(y)), y, groups))
    mask[held] = True
    return mask
