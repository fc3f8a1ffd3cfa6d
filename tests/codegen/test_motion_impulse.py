"""A motion front end and a model emitted as one library (raw float windows in,
``<name>_classify_float``): the golden vectors are the front end's graph then the model in
the TFLM interpreter; the library counts the front end's RAM; the generated headers
compile and hold the windows bit for bit; the Nano registers edgetf's float RFFT; bad
input is one line. The model is a small int8 FULLY_CONNECTED written here (no training);
tests/train/test_train_motion.py emits a trained run."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.base.errors import ConfigError, FirmwareError
from edgetf.base.progress import Reporter
from edgetf.cli.app import app
from edgetf.codegen.emit_firmware import build_project
from edgetf.codegen.impulse import impulse_for
from edgetf.codegen.motion_impulse import make_motion_impulse
from edgetf.features.spectral import spectral_features, spectral_front_end
from edgetf.targets.prepared import prepare_model
from edgetf.tflite.writer import ModelWriter
from edgetf.tflm.interpreter import run_tflm
from tests.conftest import shared_model_path

pytest.importorskip("tflite_micro")

GXX, GCC = shutil.which("g++"), shutil.which("gcc")
NAME = "gesture"
RECORD = {"kind": "spectral", "sample_rate": 50.0, "window_samples": 100, "axes": 3,
          "axis_names": ["accX", "accY", "accZ"],
          "config": {"bands": 6, "filter_low_hz": 0.3}}
FEATURES, LABELS = 21, 3
INPUT_Q = (0.0078125, -5)


def classifier(features: int = FEATURES, labels: int = LABELS, seed: int = 7) -> bytes:
    """An int8 FULLY_CONNECTED from ``features`` values to ``labels`` scores."""
    rng = np.random.default_rng(seed)
    w = ModelWriter(description="test classifier")
    x = w.input("x", (1, features), "int8", INPUT_Q)
    weights = w.constant("w", rng.integers(-127, 128, (labels, features)).astype(np.int8),
                         quantization=(0.01, 0))
    bias = w.constant("b", rng.integers(-500, 500, labels).astype(np.int32),
                      quantization=(INPUT_Q[0] * 0.01, 0))
    y = w.tensor("y", (1, labels), "int8", (0.05, 3))
    w.builtin("FULLY_CONNECTED", [x, weights, bias], [y])
    return w.finish([y])


def windows(count: int = 3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(100)[None, :, None] / 50
    hz = rng.uniform(0.5, 10, (count, 1, 3))
    x = 9.81 * (np.arange(3) == 2) + rng.uniform(0.2, 4, (count, 1, 3)) * np.sin(
        2 * np.pi * hz * t) + rng.normal(0, 0.3, (count, 100, 3))
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def prepared():
    return prepare_model(classifier(), "gesture.tflite", golden=1)


@pytest.fixture(scope="module")
def impulse(prepared):
    return make_motion_impulse(prepared, RECORD, windows=windows(), golden=3)


@pytest.fixture(scope="module")
def project(prepared, impulse):
    return build_project(prepared, "esp32", name=NAME, labels=("idle", "walk", "run"),
                         impulse=impulse)


def _compile(args: list[str], compiler: str | None = GXX) -> None:
    assert compiler, "the host C/C++ compiler is needed for these checks"
    result = subprocess.run([compiler, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_golden_vectors_are_the_front_end_then_the_model(impulse, prepared):
    front_end = spectral_front_end(RECORD["config"], sample_rate=50, window=100, axes=3)
    mine = front_end.for_model(prepared.data)
    assert mine.quantization == INPUT_Q  # the graph ends at the model's input scale
    np.testing.assert_array_equal(impulse.windows, windows())
    values = spectral_features(windows(), mine)
    np.testing.assert_array_equal(impulse.feature_values, values)
    scores = run_tflm(prepared.data, [values.reshape(3, 1, FEATURES)], reset_between=True)[0]
    np.testing.assert_array_equal(impulse.outputs, np.asarray(scores).reshape(3, LABELS))
    assert len({bytes(v) for v in impulse.feature_values}) == 3
    assert impulse.golden_source == "the run's test windows (samples.npz)"


def test_the_library_embeds_the_motion_front_end_and_counts_its_ram(project, prepared):
    spec, files = project.spec, project.files
    edgetf = f"lib/{NAME}_inferencing/src/edgetf"
    assert b"#define EDGETF_FRONT_END_MOTION 1" in files[f"{edgetf}/edgetf_library.h"]
    resolver = files[f"{edgetf}/front_end_resolver.h"].decode()
    assert "AddRfft()" in resolver and "AddLog()" in resolver and "AddQuantize()" in resolver
    load = spec.front_end_load
    assert load.arena_bytes == spec.front_end_arena.bytes > 0
    assert load.ring_bytes == load.window_bytes == 0  # the window is the graph's input
    plain = build_project(prepared, "esp32", name="plain").spec.footprint
    assert spec.footprint.ram_bytes - plain.ram_bytes == load.ram_bytes
    header = files[f"lib/{NAME}_inferencing/src/{NAME}_inferencing.h"].decode()
    assert "int gesture_classify_float(const float* samples, size_t value_count" in header
    assert "#define GESTURE_INPUT_VALUES 300" in header and "#define GESTURE_AXES 3" in header
    assert "#define edgetf_classify_float gesture_classify_float" in header
    assert "gesture_classify(" not in header and "push_samples" not in header.split(
        "#elif")[0]
    assert "gesture_classify_float(samples, GESTURE_INPUT_VALUES" in files["README.md"].decode()


def test_generated_headers_compile_and_hold_the_windows_bit_for_bit(project, tmp_path):
    for path, content in project.files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    src = tmp_path / f"lib/{NAME}_inferencing/src"
    _compile(["-std=c99", "-Wall", "-pedantic", "-Werror", "-fsyntax-only", f"-I{src}", "-x",
              "c", str(src / f"{NAME}_inferencing.h")], compiler=GCC)
    (tmp_path / "read.cc").write_text(
        '#include <cstdio>\n#include <cstring>\n#include "front_end_metadata.h"\n'
        "int main() { namespace fe = edgetf::front_end;\n"
        "  for (int i = 0; i < fe::kGoldenWindowCount * fe::kInputValues; ++i) {\n"
        "    unsigned bits; std::memcpy(&bits, &fe::kGoldenWindows[i], 4);"
        " std::printf(\"%u\\n\", bits); }\n"
        "  for (int i = 0; i < fe::kGoldenWindowCount * fe::kFeatures; ++i)"
        " std::printf(\"%d\\n\", fe::kGoldenFeatures[i]); }\n")
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-I", str(src / "edgetf"),
              str(tmp_path / "read.cc"), "-o", str(tmp_path / "read")])
    values = np.array(subprocess.run([str(tmp_path / "read")], capture_output=True, text=True,
                                     check=True).stdout.split(), np.int64)
    impulse = project.spec.impulse
    n = impulse.windows.size
    np.testing.assert_array_equal(values[:n].astype(np.uint32),
                                  impulse.windows.reshape(-1).view(np.uint32))
    np.testing.assert_array_equal(values[n:], impulse.feature_values.reshape(-1))


def test_the_nano_runs_the_float_fft_on_edgetfs_kernel(prepared, impulse):
    result = build_project(prepared, "nano33ble", name=NAME, impulse=impulse)
    files = result.files
    resolver = next(v for k, v in files.items() if k.endswith("front_end_resolver.h")).decode()
    op_resolver = next(v for k, v in files.items() if k.endswith("/op_resolver.h")).decode()
    assert 'AddCustom("SignalRfft", edgetf::SignalRfftRegistration())' in resolver
    assert "#define EDGETF_OWN_SIGNAL 1" in op_resolver
    assert result.spec.front_end_arena.method == "planned"
    assert not result.spec.front_end_load.problems


def test_a_raw_run_quantizes_its_samples_with_one_quantize(tmp_path):
    # --features none: the window's samples are the model's input; the front end is one
    # QUANTIZE at the model's input scale (hello_world takes one value: a window of one
    # sample of one axis).
    model = shared_model_path("hello_world_int8.tflite").read_bytes()
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.tflite").write_bytes(model)
    (run / "labels.txt").write_text("y\n")
    (run / "report.json").write_text(json.dumps({"features": {
        "kind": "raw", "sample_rate": 10.0, "window_samples": 1, "axes": 1,
        "axis_names": ["x"]}}))
    samples = np.array([[[0.5]], [[-1.25]], [[3.0]]], np.float32)
    np.savez(run / "samples.npz", x=samples.reshape(3, 1), windows=samples)
    result = CliRunner().invoke(app, ["emit-firmware", "--from", str(run), "--board", "esp32",
                                      "--out", str(tmp_path / "fw"), "--golden", "3"])
    assert result.exit_code == 0, result.output
    lib = next((tmp_path / "fw/lib").glob("*/src"))
    resolver = (lib / "edgetf/front_end_resolver.h").read_text()
    assert "AddQuantize()" in resolver and "AddRfft" not in resolver
    prepared = prepare_model(model, "hello_world_int8.tflite", golden=0)
    impulse = make_motion_impulse(prepared, {"kind": "raw", "sample_rate": 10.0,
                                             "window_samples": 1, "axes": 1}, windows=samples)
    (q,) = prepared.model.input_tensors()
    scale, zero = float(q.quantization.scales[0]), int(q.quantization.zero_points[0])
    expected = np.clip(np.round(samples.reshape(3, 1) / np.float32(scale)) + zero, -128, 127)
    np.testing.assert_array_equal(impulse.feature_values, expected)
    header = (lib / "edgetf/front_end_metadata.h").read_text()
    assert "constexpr int kGoldenWindowCount = 3;" in header


def test_mismatches_are_one_line(prepared, tmp_path):
    with pytest.raises(FirmwareError, match="is not the spectral front end's 12 int8"):
        make_motion_impulse(prepared, {**RECORD, "config": {"bands": 3}})
    with pytest.raises(ConfigError, match="--features spectral needs the run"):
        impulse_for(prepared, "spectral", None, None, None, 1, Reporter(quiet=True))
    with pytest.raises(ConfigError, match="--features audio: the run was trained on a"
                       " time-series CSV with --features spectral"):
        impulse_for(prepared, "audio", None, RECORD, None, 1, Reporter(quiet=True))
    assert impulse_for(prepared, "none", None, RECORD, None, 1, Reporter(quiet=True)) is None
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.tflite").write_bytes(classifier())
    (run / "report.json").write_text(json.dumps({"features": {"kind": "raw"}}))
    result = CliRunner().invoke(app, ["emit-firmware", "--from", str(run), "--board", "esp32",
                                      "--out", str(tmp_path / "fw")])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code != 0 and len(errors) == 1, result.output
    assert "report.json: its features record" in errors[0] and "Traceback" not in result.output
    assert not (tmp_path / "fw").exists()
