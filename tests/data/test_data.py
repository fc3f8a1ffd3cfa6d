"""Data loading: the three sources and every way a data file can be wrong."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import DataError
from edgetf.data.datasets import load_dataset
from tests.conftest import write_npz


def test_digits_is_image_shaped_scaled_and_split_the_same_way_every_time():
    first = load_dataset("digits", seed=1)
    second = load_dataset("digits", seed=2)
    assert first.input_shape == (8, 8, 1)
    assert first.num_classes == 10
    assert 0.0 <= first.x_train.min() and first.x_train.max() <= 1.0
    assert len(first.x_train) + len(first.x_val) + len(first.x_test) == 1797
    np.testing.assert_array_equal(first.x_test, second.x_test)  # fixed test split
    assert not np.array_equal(first.y_val, second.y_val)  # validation follows --seed


def test_npz_with_labels(small_npz):
    data = load_dataset(str(small_npz))
    assert data.input_shape == (6,)
    assert data.labels == ("low", "mid", "high")
    assert len(data.x_train) + len(data.x_val) == 90 and len(data.x_test) == 30


def test_csv_with_text_labels(tmp_path):
    path = tmp_path / "d.csv"
    rows = ["a,b,kind"] + [f"{i % 7},{i % 3},{'cat' if i % 2 else 'dog'}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    data = load_dataset(str(path), label_column="kind")
    assert data.labels == ("cat", "dog")
    assert data.input_shape == (2,)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x_train": np.zeros((20, 3)), "y_train": np.zeros(20)},
         r"missing array\(s\) x_test, y_test"),
        ({"x_train": np.zeros((20, 3)), "y_train": np.r_[np.zeros(19), 5],
          "x_test": np.zeros((5, 3)), "y_test": np.zeros(5), "labels": np.array(["a", "b"])},
         "label 5 is out of range for 2 classes"),
        ({"x_train": np.full((20, 3), np.nan), "y_train": np.zeros(20),
          "x_test": np.zeros((5, 3)), "y_test": np.zeros(5)}, "NaN or inf"),
        ({"x_train": np.zeros((20, 3)), "y_train": np.zeros(20) - 1,
          "x_test": np.zeros((5, 3)), "y_test": np.zeros(5)}, "label -1 is out of range"),
        ({"x_train": np.zeros((20, 3)), "y_train": np.zeros(20),
          "x_test": np.zeros((5, 4)), "y_test": np.zeros(5)}, "same sample shape"),
        ({"x_train": np.zeros((20, 3)), "y_train": np.zeros(19),
          "x_test": np.zeros((5, 3)), "y_test": np.zeros(5)}, "one class index per sample"),
    ],
)
def test_bad_npz_files_name_the_file_and_the_problem(tmp_path, arrays, message):
    path = write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match=message) as error:
        load_dataset(str(path))
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, x_train=np.array([{"a": 1}] * 20, dtype=object), y_train=np.zeros(20),
             x_test=np.zeros((5, 3)), y_test=np.zeros(5))
    with pytest.raises(DataError, match="never unpickles"):
        load_dataset(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,label\n1,2,0\n3,4\n", "line 3 has 2 cells"),
        ("a,b,label\n1,x,0\n", "'x' is not a number"),
        ("a,b,kind\n1,2,0\n", "no column named 'label'"),
        ("a,b,label\n", "at least one data row"),
    ],
)
def test_bad_csv_files(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_dataset(str(path))


def test_missing_and_unknown_sources(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_dataset(str(tmp_path / "nope.npz"))
    with pytest.raises(DataError, match="unknown data source"):
        load_dataset("mnist")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip at all")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_dataset(str(corrupt))


def _npy(shape, descr="<f4", payload=b"") -> bytes:
    """A .npy member whose header says ``shape`` whatever the bytes after it hold."""
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": descr, "fortran_order": False, "shape": shape})
    return header.getvalue() + payload


def _crafted_npz(path, **members):
    import zipfile

    valid = {"x_train.npy": _npy((20, 3), payload=bytes(240)),
             "y_train.npy": _npy((20,), "<i8", (np.arange(20, dtype="<i8") % 2).tobytes()),
             "x_test.npy": _npy((5, 3), payload=bytes(60)),
             "y_test.npy": _npy((5,), "<i8", (np.arange(5, dtype="<i8") % 2).tobytes())}
    valid.update(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in valid.items():
            if data is not None:  # None: leave the member out
                archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("members", "message"),
    [
        # A 100-byte header claiming 12 TB: refused before numpy allocates anything.
        ({"x_train.npy": _npy((10**12, 3))}, r"3,000,000,000,000 elements .* use a subset"),
        ({"x_train.npy": _npy((1000, 3), payload=bytes(12))}, "damaged or incomplete"),
        ({"x_train.npy": b"not a numpy array"}, "'x_train' is not a readable numpy array"),
        ({"x_train.npy": _npy((20, 3), "|O")}, "never unpickles"),
        ({"x_train.npy": None, "x_train": _npy((20, 3), payload=bytes(240))},
         "not a .npy array"),
    ],
    ids=["huge shape", "truncated data", "not npy", "object header", "member without .npy"],
)
def test_crafted_npz_members_are_refused_without_loading_them(tmp_path, members, message):
    path = _crafted_npz(tmp_path / "crafted.npz", **members)
    with pytest.raises(DataError, match=message) as error:
        load_dataset(str(path))
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_object_labels_are_refused_without_unpickling(tmp_path):
    path = write_npz(tmp_path / "labels.npz", x_train=np.zeros((20, 3)), y_train=np.zeros(20),
                     x_test=np.zeros((5, 3)), y_test=np.zeros(5),
                     labels=np.array(["a", {"b": 1}], dtype=object))
    with pytest.raises(DataError, match="'labels' holds Python objects"):
        load_dataset(str(path))


def _rows(cells: str, count: int = 30) -> str:
    return "".join(cells.format(i=i, c=i % 2) + "\n" for i in range(count))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("label\n" + _rows("{c}"), "only the label column 'label'"),
        ("a,label\n" + _rows("{i},{c}") + "7,\n", r"line 32 has an empty 'label' cell"),
        ("a,label\n" + _rows("{i},{c}") + "7,1000000000000\n", r"label 1000000000000 would "
         r"mean 1,000,000,000,001 classes"),
        ("a,label\n" + _rows("{i},{c}") + "inf,1\n", "NaN or inf"),
        ("a,label\n" + _rows("{i},{c}") + "1e999,1\n", "NaN or inf"),
        ("a,b,label\n" + _rows("{i},{i},{c}") + "1,2,3,0\n", "line 32 has 4 cells"),
    ],
    ids=["no features", "empty label", "huge label", "inf", "overflow", "long row"],
)
def test_more_bad_csv_files(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as error:
        load_dataset(str(path))
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_csv_from_a_spreadsheet_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("\ufefflabel,a\n" + _rows("{c},{i}"), encoding="utf-8")
    assert load_dataset(str(path)).input_shape == (1,)


def test_binary_file_named_csv(tmp_path):
    path = tmp_path / "model.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="cannot read the CSV file"):
        load_dataset(str(path))
