"""train-quantize on a time-series CSV through the ``spectral`` front end, end to end:
the CLI, accuracy, the run folder's front end, whose int8 output on raw windows is the
int8 model's input, emit-firmware for the esp32; and the option checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.cli.app import app
from edgetf.data.motion_csv import read_motion_csv, split_by_recording
from edgetf.features.motion_dataset import load_motion_dataset
from edgetf.features.spectral import spectral_features
from edgetf.tflite.quantization import quantized_inputs
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import run_tflm, tflm_available
from tests.motion_signals import motion_csv

needs_tflm = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
CUT = ["--sample-rate", "50", "--window-ms", "2000", "--stride-ms", "1000"]


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("motion")
    data = motion_csv(folder / "motion.csv")
    config = folder / "edgetf.toml"
    config.write_text("[features.spectral]\nbands = 6\nfilter_low_hz = 0.3\n")
    out = folder / "run"
    result = _cli("train-quantize", "--data", data, "--features", "spectral", *CUT,
                  "--config", config, "--epochs", 12, "--no-qat", "--board", "esp32",
                  "--out", out)
    assert result.exit_code == 0, result.output
    return data, out


@needs_tflm
def test_motion_csv_trains_well_above_chance(run):
    data, out = run
    report = json.loads((out / "report.json").read_text())
    assert report["labels"] == ["idle", "run", "walk"]
    assert report["data"]["input_shape"] == [21]  # 3 axes x (RMS + 6 bands)
    assert report["data"]["test"] >= 15
    assert report["accuracy"]["int8_tflm"] >= 0.8  # chance: 1/3; measured 1.0
    front = report["front_end"]
    assert front["kind"] == "spectral" and front["features"][:2] == ["accX rms",
                                                                    "accX 0.391-4.3 Hz"]
    assert front["config"]["filter_low_hz"] == 0.3


@needs_tflm
def test_the_run_front_end_gives_the_int8_model_its_input_from_raw_windows(run):
    data, out = run
    model = (out / "model.tflite").read_bytes()
    front_end_model = (out / "front_end.tflite").read_bytes()
    (x,) = read_tflite(model).input_tensors()
    (features,) = read_tflite(front_end_model).output_tensors()
    assert features.quantization == x.quantization and features.dtype == x.dtype == "int8"
    # The test windows, raw, as the board gets them
    found = read_motion_csv(data, sample_rate=50, window_ms=2000, stride_ms=1000)
    test = split_by_recording(data, found.y, found.recordings) == "test"
    on_board = run_tflm(front_end_model, found.windows[test])[0]
    dataset, front_end = load_motion_dataset(
        data, "spectral", {"bands": 6, "filter_low_hz": 0.3}, sample_rate=50,
        window_ms=2000, stride_ms=1000)
    assert np.array_equal(on_board, quantized_inputs(model, dataset.x_test))
    assert np.array_equal(on_board, spectral_features(found.windows[test],
                                                      front_end.for_model(model)))
    scores = run_tflm(model, on_board[:, np.newaxis])[0]
    assert (scores.argmax(axis=1) == found.y[test]).mean() >= 0.8


@needs_tflm
def test_emit_firmware_takes_the_model_for_esp32(run, tmp_path):
    # The run records its front end and raw test windows; the library embeds that front
    # end (raw float windows in) with golden vectors from those windows.
    _, out = run
    report = json.loads((out / "report.json").read_text())
    assert report["features"] == {
        "kind": "spectral", "sample_rate": 50.0, "window_samples": 100, "axes": 3,
        "axis_names": ["accX", "accY", "accZ"], "config": report["front_end"]["config"]}
    with np.load(out / "samples.npz") as samples:
        windows = samples["windows"]
    assert windows.dtype == np.float32 and windows.shape[1:] == (100, 3)
    result = _cli("emit-firmware", "--from", out, "--board", "esp32", "--out", tmp_path / "fw",
                  "--golden", 2)
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "fw").rglob("model_data.cc"))
    header = next((tmp_path / "fw/lib").glob("*/src/edgetf/front_end_metadata.h")).read_text()
    assert "the run's test windows" in header and "constexpr int kFeatures = 21;" in header
    assert "constexpr int kGoldenWindowCount = 2;" in header
    # train-quantize's per-board RAM counts the front end as emit-firmware embeds it
    # (golden windows are flash only, so --golden leaves the RAM as it is).
    ram = report["device"]["esp32"]["ram_bytes"]
    assert f"RAM ~{ram // 1024} of" in result.output, (ram, result.output[-400:])
    api = next((tmp_path / "fw/lib").glob("*/src/*_inferencing.h")).read_text()
    assert "_classify_float(const float* samples, size_t value_count" in api
    # --features none: the model alone
    result = _cli("emit-firmware", "--from", out, "--board", "esp32", "--features", "none",
                  "--out", tmp_path / "alone")
    assert result.exit_code == 0, result.output
    assert not list((tmp_path / "alone").rglob("front_end_metadata.h"))


@pytest.mark.parametrize(("args", "words"), [
    (["--data", "m.csv", "--features", "spectral", "--window-ms", "2000"],
     "a time-series CSV needs --sample-rate HZ and --window-ms MS"),
    (["--data", "m.csv", "--sample-rate", "50"], "--sample-rate cuts a time-series CSV"),
    (["--data", "m.npz", "--features", "spectral", *CUT], "cut a time-series .csv file"),
    (["--data", "m.csv", "--features", "audio", *CUT], "--features audio takes a folder"),
    (["--data", "m.csv", "--features", "mfcc", *CUT], "'mfcc' is not one of audio"),
    (["--data", "digits", "--features", "audio"], "--data digits is not a folder"),
    (["--data", "m.csv", "--features", "spectral", "--sample-rate", "50", "--window-ms",
      "-5"], "--window-ms -5.0 must be positive"),
])
def test_time_series_options_are_checked_first(args, words, tmp_path):
    out = tmp_path / "run"
    result = _cli("train-quantize", *args, "--out", out)
    assert result.exit_code != 0 and words in result.output
    assert "Traceback" not in result.output and not out.exists()


@needs_tflm
def test_bad_spectral_config_and_bad_csv_stop_before_training(tmp_path):
    data = motion_csv(tmp_path / "motion.csv", recordings=2, seconds=3.0)
    config = tmp_path / "bad.toml"
    config.write_text("[features.spectral]\nfft_length = 100\n")
    result = _cli("train-quantize", "--data", data, "--features", "spectral", *CUT,
                  "--config", config, "--out", tmp_path / "run")
    assert result.exit_code != 0 and f"{config}: [features.spectral] fft_length" in result.output
    data.write_text(data.read_text().replace("label", "activity"))
    result = _cli("train-quantize", "--data", data, "--features", "none", *CUT,
                  "--out", tmp_path / "run")
    assert result.exit_code != 0 and "no column named 'label'" in result.output
    assert not (tmp_path / "run").exists()


def test_features_none_gives_the_windows_samples(tmp_path):
    data = motion_csv(tmp_path / "motion.csv", recordings=3, seconds=4.0)
    dataset, front_end = load_motion_dataset(data, "none", sample_rate=50, window_ms=1000,
                                             stride_ms=1000)
    found = read_motion_csv(data, sample_rate=50, window_ms=1000, stride_ms=1000)
    assert front_end is None and dataset.input_shape == (150,)  # 50 samples x 3 axes
    everything = np.concatenate([dataset.x_train, dataset.x_val, dataset.x_test])
    assert {bytes(row) for row in everything} == {
        bytes(w) for w in found.windows.reshape(len(found.windows), -1)}


def test_a_config_file_names_the_front_end_and_holds_its_table(tmp_path):
    from edgetf.train.options import load_options

    config = tmp_path / "edgetf.toml"
    config.write_text('[train-quantize]\ndata = "m.csv"\nfeatures = "spectral"\n'
                      'sample-rate = 50\nwindow-ms = 2000\n\n[features.spectral]\nbands = 4\n')
    options = load_options(config)
    assert (options.features, options.sample_rate, options.window_ms) == ("spectral", 50.0,
                                                                         2000.0)
    assert options.time_series and options.config_file == str(config)
    config.write_text('config-file = "other.toml"\n')
    with pytest.raises(Exception, match="unknown key 'config-file'"):
        load_options(config)
