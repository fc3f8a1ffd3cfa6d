"""Shared fixtures: seeded, tiny, built by the tests themselves."""

from __future__ import annotations

import os
import signal
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # before anything imports TensorFlow
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SEED = 42
#: Public models nobody here wrote (TFLM's examples; see its README). CI has the folder
#: beside the checkout; a clone without it skips the tests that need it, CI must not.
SHARED_MODELS = Path(__file__).resolve().parents[1].parent / "shared" / "models"


def shared_model_path(name: str) -> Path:
    """``../shared/models/NAME``; skips (fails under CI=true) where the folder is absent."""
    if not SHARED_MODELS.is_dir():
        message = f"{SHARED_MODELS} is absent (a clone without the shared models)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_MODELS / name


def shared_model_names() -> list[str]:
    """Names of the shared ``.tflite`` files, for parametrizing (empty where absent)."""
    return sorted(p.stem for p in SHARED_MODELS.glob("*.tflite")) if SHARED_MODELS.is_dir() \
        else []


@pytest.fixture(autouse=True)
def python_ctrl_c():
    """Every test starts with Python's own SIGINT handler. Under pytest-xdist a test run
    earlier on the same worker (a library's event loop, a command's exit handler) can
    leave another one, even SIG_IGN, which the CLI processes the Ctrl-C tests start would
    inherit: they would then ignore the Ctrl-C the test sends."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


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


@pytest.fixture(scope="session")
def validation_files(tmp_path_factory):
    """A float and two int8 versions of a small CNN, and data labelled by the float model
    itself, so the reference is 100% accurate and an int8 model's accuracy is its
    agreement with it; the ``saturated`` int8 model was calibrated on inputs a hundred
    times too small, so it clips its input and loses accuracy (for the gate)."""
    from edgetf.base.tf_import import import_tf
    from edgetf.tflite.litert import litert_outputs
    from edgetf.tflite.quantization import quantized_inputs
    from tests.tiny_models import convert, small_cnn

    tf, keras = import_tf()
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    cnn = small_cnn(keras)
    calibration = rng.normal(size=(32, 12, 12, 1)).astype(np.float32)
    root = tmp_path_factory.mktemp("validate")
    paths = {
        "float": root / "float.tflite", "int8": root / "int8.tflite",
        "saturated": root / "saturated.tflite", "data": root / "data.npz",
    }
    paths["float"].write_bytes(convert(tf, cnn, calibration, int8=False))
    paths["int8"].write_bytes(convert(tf, cnn, calibration))
    paths["saturated"].write_bytes(convert(tf, cnn, calibration * 0.01))
    x = rng.normal(size=(300, 12, 12, 1)).astype(np.float32)
    reference = paths["float"].read_bytes()
    y = litert_outputs(reference, quantized_inputs(reference, x)).reshape(len(x), -1)
    y = y.argmax(axis=1)
    np.savez(paths["data"], x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:],
             labels=np.array(["a", "b", "c", "d", "e"]))
    return paths


def pytest_collection_modifyitems(config, items):
    """Keep the work a fixture shares on one pytest-xdist worker.

    CI runs the suite on two workers (``-n auto --dist loadgroup``). A test goes to the
    group of the first session-scoped fixture of this suite it uses (tune's 4-trial study,
    the validation models), otherwise to its module's group, so a model a module or a
    session trains once is trained once, not once per worker.
    """
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        shared = sorted(
            name for name, defs in (info.name2fixturedefs.items() if info else ())
            if defs and defs[-1].scope == "session" and defs[-1].baseid)
        group = f"fixture:{shared[0]}" if shared else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
