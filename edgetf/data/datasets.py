"""Datasets: the built-in digits, ``.npz`` and ``.csv`` files, checked before training.

Everything a user can get wrong about a data file (missing arrays, object arrays,
labels out of range, NaN, ragged CSV rows) is caught here and reported as a
:class:`~edgetf.base.errors.DataError` naming the file, so that no later stage has to
guess why training diverged or the converter failed.
"""

from __future__ import annotations

import csv
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgetf.base.errors import DataError

BUILTIN_DATASETS = ("digits",)
NPZ_REQUIRED = ("x_train", "y_train", "x_test", "y_test")
_TEST_SPLIT_SEED = 0  # fixed, so every run of a dataset is scored on the same test set
_TEST_FRACTION = 0.2
_MAX_ELEMENTS = 500_000_000  # ~2 GB of float32: more is a mistake, not a microcontroller dataset
# Integer labels are class indices, so the largest one sets the number of classes: a stray
# 10**12 would otherwise ask for a trillion class names (and all of the memory).
_MAX_CLASSES = 10_000


@dataclass(frozen=True)
class Dataset:
    """Float32 features and int64 class indices, split three ways."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    labels: tuple[str, ...]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "classes": self.num_classes,
            "train": int(len(self.x_train)),
            "validation": int(len(self.x_val)),
            "test": int(len(self.x_test)),
        }


def load_dataset(
    spec: str,
    *,
    label_column: str | None = None,
    validation_fraction: float = 0.1,
    seed: int = 42,
) -> Dataset:
    """Load ``digits``, ``FILE.npz`` or ``FILE.csv`` and split off a validation set.

    The validation split is drawn from the training data with ``seed``; the test
    split of built-in and CSV data is fixed so accuracies stay comparable across seeds.
    """
    if not 0.0 < validation_fraction < 0.5:
        raise DataError(
            f"validation fraction {validation_fraction} is outside (0, 0.5); use e.g. 0.1"
        )
    if spec == "digits":
        x_train, y_train, x_test, y_test, labels = _load_digits()
    else:
        path = Path(spec)
        suffix = path.suffix.lower()
        if suffix not in (".npz", ".csv"):
            raise DataError(
                f"{spec}: unknown data source; use 'digits', a .npz file "
                f"({', '.join(NPZ_REQUIRED)}) or a .csv file with a label column"
            )
        if not path.is_file():
            raise DataError(f"{spec}: no such file; check the path passed to --data")
        if suffix == ".npz":
            x_train, y_train, x_test, y_test, labels = _load_npz(path)
        else:
            x_train, y_train, x_test, y_test, labels = _load_csv(path, label_column)
    x_train, x_val, y_train, y_val = _split(
        x_train, y_train, validation_fraction, seed, source=spec
    )
    return Dataset(spec, x_train, y_train, x_val, y_val, x_test, y_test, labels)


def _load_digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]  # (n, 8, 8, 1) in [0, 1]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = _stratified_split(x, y, _TEST_FRACTION, _TEST_SPLIT_SEED)
    return x_train, y_train, x_test, y_test, tuple(str(d) for d in range(10))


def _load_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in NPZ_REQUIRED if k not in archive.files]
            if missing:
                raise DataError(
                    f"{path}: missing array(s) {', '.join(missing)} (found: "
                    f"{', '.join(archive.files) or 'none'}); save it with "
                    f"np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)"
                )
            arrays = {k: read_npz_array(archive, k, path) for k in NPZ_REQUIRED}
            labels_array = (
                read_npz_array(archive, "labels", path) if "labels" in archive.files else None
            )
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, NotImplementedError,
            RuntimeError) as error:
        # NotImplementedError, RuntimeError: zipfile's answer to unknown compression
        # methods and to encrypted members.
        raise DataError(
            f"{path}: not a readable .npz archive ({_first_line(error)}); "
            f"write it with numpy.savez"
        ) from None
    x_train = _features(arrays["x_train"], path, "x_train")
    x_test = _features(arrays["x_test"], path, "x_test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"{path}: x_train samples have shape {x_train.shape[1:]} but x_test samples "
            f"{x_test.shape[1:]}; both must have the same sample shape"
        )
    labels = None
    if labels_array is not None:
        if labels_array.ndim != 1 or labels_array.dtype.kind not in "USi" or not len(labels_array):
            raise DataError(
                f"{path}: 'labels' must be a 1-D array of class names (strings); "
                f"got dtype {labels_array.dtype} and shape {labels_array.shape}"
            )
        labels = tuple(str(v) for v in labels_array)
    y_train = _class_indices(arrays["y_train"], path, "y_train", len(x_train))
    y_test = _class_indices(arrays["y_test"], path, "y_test", len(x_test))
    labels = _check_label_range(path, y_train, y_test, labels)
    return x_train, y_train, x_test, y_test, labels


def read_npz_array(archive, key: str, path: Path) -> np.ndarray:
    """One array of an open ``np.load(..., allow_pickle=False)`` archive, checked first.

    The ``.npy`` header is read before the data: its shape decides how much memory
    loading takes (a few bytes can claim terabytes, which numpy would try to allocate)
    and its dtype whether the array holds pickled objects (refused unread).
    """
    try:
        if f"{key}.npy" not in archive.zip.namelist():  # numpy would return its raw bytes
            raise ValueError("a file in the archive that is not a .npy array")
        with archive.zip.open(f"{key}.npy") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f".npy format version {version[0]}.{version[1]}")
    except (ValueError, TypeError, SyntaxError, EOFError, OSError, zipfile.BadZipFile,
            NotImplementedError, RuntimeError) as error:
        # SyntaxError: numpy parses the header, a Python literal, with ast.
        raise DataError(
            f"{path}: '{key}' is not a readable numpy array ({_first_line(error)}); "
            f"write the file with numpy.savez"
        ) from None
    if dtype.hasobject:
        # allow_pickle=False would refuse them too: loading them would run pickled code.
        raise DataError(
            f"{path}: array '{key}' holds Python objects, which edgetf never unpickles; "
            f"save numeric arrays (e.g. x.astype('float32')) and string labels as a 'U' array"
        )
    elements = math.prod(shape)
    if elements > _MAX_ELEMENTS:
        raise DataError(
            f"{path}: array '{key}' has {elements:,} elements (shape {shape}), more than "
            f"edgetf accepts ({_MAX_ELEMENTS:,}); use a subset of the data"
        )
    try:
        return archive[key]
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as error:
        raise DataError(
            f"{path}: array '{key}' cannot be read ({_first_line(error)}); the file is "
            f"damaged or incomplete, write it again with numpy.savez"
        ) from None


def _load_csv(path: Path, label_column: str | None):
    label_column = label_column or "label"
    try:
        # utf-8-sig: spreadsheets start their CSV files with a byte-order mark, which
        # would otherwise become part of the first column's name.
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: cannot read the CSV file ({_first_line(error)})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [name.strip() for name in rows[0]]
    if label_column not in header:
        raise DataError(
            f"{path}: no column named '{label_column}' (columns: {', '.join(header)}); "
            f"name the label column with --label-column"
        )
    label_index = header.index(label_column)
    if len(header) < 2:
        raise DataError(
            f"{path}: has only the label column '{label_column}'; add at least one numeric "
            f"feature column"
        )
    features, raw_labels = [], []
    for line_number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {line_number} has {len(row)} cells but the header has "
                f"{len(header)}; every row needs one value per column"
            )
        values = []
        for column, cell in enumerate(row):
            if column == label_index:
                if not cell.strip():
                    raise DataError(
                        f"{path}: line {line_number} has an empty '{label_column}' cell; "
                        f"every row needs a label"
                    )
                raw_labels.append(cell.strip())
                continue
            try:
                values.append(float(cell))
            except ValueError:
                raise DataError(
                    f"{path}: line {line_number}, column '{header[column]}': '{cell}' is not "
                    f"a number; feature columns must be numeric"
                ) from None
        features.append(values)
    x = _features(np.asarray(features, dtype=np.float32), path, "features")
    y, labels = _encode_csv_labels(raw_labels)
    labels = _check_label_range(path, y, y, labels)
    x_train, x_test, y_train, y_test = _stratified_split(x, y, _TEST_FRACTION, _TEST_SPLIT_SEED)
    return x_train, y_train, x_test, y_test, labels


def _encode_csv_labels(raw: list[str]) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Integer labels are used as class indices; any other label text becomes a class name."""
    try:
        as_int = [int(v) for v in raw]
    except ValueError:
        names = tuple(sorted(set(raw)))
        index = {name: i for i, name in enumerate(names)}
        return np.array([index[v] for v in raw], dtype=np.int64), names
    y = np.array(as_int, dtype=np.int64)
    return y, None


def _features(x: np.ndarray, path: Path, name: str) -> np.ndarray:
    if x.dtype.kind not in "fiub":
        raise DataError(f"{path}: '{name}' has dtype {x.dtype}; features must be numeric")
    if x.ndim < 2 or len(x) == 0:
        raise DataError(
            f"{path}: '{name}' has shape {x.shape}; expected (samples, features...) "
            f"with at least one sample"
        )
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        first = np.argwhere(bad)[0]
        raise DataError(
            f"{path}: '{name}' contains NaN or inf ({int(bad.sum())} values, first at sample "
            f"{int(first[0])}); clean or impute the data first"
        )
    return x


def _class_indices(y: np.ndarray, path: Path, name: str, expected: int) -> np.ndarray:
    y = np.squeeze(y) if y.ndim == 2 and 1 in y.shape else y
    if y.ndim != 1 or len(y) != expected:
        raise DataError(
            f"{path}: '{name}' has shape {y.shape} but there are {expected} samples; "
            f"labels must be one class index per sample"
        )
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.isfinite(y))):
        raise DataError(f"{path}: '{name}' must hold integer class indices, got dtype {y.dtype}")
    if y.dtype.kind == "f" and np.any(y != np.round(y)):
        raise DataError(
            f"{path}: '{name}' holds fractional values; labels must be class indices "
            f"0..N-1 (one-hot labels: use argmax)"
        )
    return y.astype(np.int64)


def _check_label_range(path, y_train, y_test, labels):
    low = int(min(y_train.min(), y_test.min()))
    high = int(max(y_train.max(), y_test.max()))
    if labels is None and high >= _MAX_CLASSES:
        raise DataError(
            f"{path}: label {high} would mean {high + 1:,} classes, more than edgetf "
            f"accepts ({_MAX_CLASSES:,}); labels must be class indices 0..N-1"
        )
    classes = len(labels) if labels is not None else high + 1
    if low < 0 or high >= classes:
        bad = low if low < 0 else high
        raise DataError(
            f"{path}: label {bad} is out of range for {classes} classes; labels must be "
            f"0..{classes - 1}" + (" (one per entry of 'labels')" if labels is not None else "")
        )
    if classes < 2:
        raise DataError(f"{path}: only one class; classification needs at least two")
    return labels if labels is not None else tuple(str(i) for i in range(classes))


def _stratified_split(x, y, fraction, seed):
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 else None
    return train_test_split(x, y, test_size=fraction, random_state=seed, stratify=stratify)


def _split(x, y, fraction, seed, source):
    if len(x) < 10:
        raise DataError(
            f"{source}: only {len(x)} training samples; edgetf needs at least 10 "
            f"to hold out a validation split"
        )
    x_train, x_val, y_train, y_val = _stratified_split(x, y, fraction, seed)
    return x_train, x_val, y_train, y_val


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
