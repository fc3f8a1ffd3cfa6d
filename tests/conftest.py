"""Shared fixtures: seeded, tiny, built by the tests themselves."""

from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # before anything imports TensorFlow
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SEED = 42


@pytest.fixture
def rng():
    return np.random.default_rng(SEED)


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.fixture
def small_npz(tmp_path, rng):
    """A valid 3-class vector dataset as .npz."""
    x = rng.normal(size=(120, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5).astype(np.int64)
    return write_npz(tmp_path / "data.npz", x_train=x[:90], y_train=y[:90], x_test=x[90:],
                     y_test=y[90:], labels=np.array(["low", "mid", "high"]))


def error_line(result) -> str:
    """The CLI's error: exactly one 'error:' line, the last one, and no traceback."""
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    return errors[0]
