"""A train-quantize run's ``samples.npz``, read and checked for ``emit-firmware --from``:
the model's test inputs (``x``, the golden vectors) and the raw samples they came from,
where the run trained from raw data (``clips`` of audio, ``windows`` of a time-series
CSV), the golden vectors of a library with a front end."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from edgetf.base.errors import DataError
from edgetf.data.datasets import read_npz_array


def read_run_samples(path: Path) -> tuple[np.ndarray | None, np.ndarray | None,
                                        np.ndarray | None]:
    """``x`` (the model's test inputs) and, for a run trained from audio, ``clips`` (their
    raw samples), from a time-series CSV ``windows`` (theirs)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            x = read_npz_array(archive, "x", path) if "x" in archive.files else None
            clips = read_npz_array(archive, "clips", path) if "clips" in archive.files \
                else None
            windows = read_npz_array(archive, "windows", path) \
                if "windows" in archive.files else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path}: cannot be read as the samples of a train-quantize run "
                        f"({error}); run train-quantize again or delete the file") from None
    if x is None or x.dtype.kind not in "fiu":
        raise DataError(f"{path}: has no numeric array 'x'; run train-quantize again or delete "
                        "the file")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise DataError(f"{path}: 'x' holds NaN or inf, which no golden vector can be made "
                        "from; run train-quantize again or delete the file")
    if clips is not None and (clips.dtype != np.int16 or clips.ndim != 2):
        raise DataError(f"{path}: 'clips' should be int16 samples (clips x samples), not "
                        f"{clips.dtype} {clips.shape}; run train-quantize again")
    if windows is not None and (windows.dtype != np.float32 or windows.ndim != 3 or
                                not np.all(np.isfinite(windows))):
        raise DataError(f"{path}: 'windows' should be finite float32 samples (windows x"
                        f" samples x axes), not {windows.dtype} {windows.shape}; run"
                        " train-quantize again")
    return x, clips, windows
