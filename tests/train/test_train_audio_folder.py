"""train_quantize on a folder of WAV clips: features by the TFLM audio front end, and an
int8 model whose input takes the front end's int8 frames unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.codegen.emit_firmware import EmitOptions, emit_firmware
from edgetf.features.audio import audio_features
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import run_tflm, tflm_available
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.audio_signals import tone, tone_folder


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_tone_folder_trains_and_the_device_frames_are_the_model_input(tmp_path):
    folder = tone_folder(tmp_path / "clips", speakers=10, per_speaker=3)
    out = tmp_path / "run"
    result = train_quantize(TrainQuantizeOptions(data=str(folder), out=str(out), epochs=8,
                                                 fine_tune_epochs=1, seed=42))
    assert (out / "labels.txt").read_text().split() == ["high", "low"]
    model = (out / "model.tflite").read_bytes()
    (x,) = read_tflite(model).input_tensors()
    assert x.shape == (1, 49, 40, 1) and x.dtype == "int8"
    assert x.quantization.scales == (1 / 128,) and x.quantization.zero_points == (0,)
    assert result.report["accuracy"]["int8_tflm"] >= 0.75  # measured: 0.92 (12 test clips)
    # The run records its front end and clip length, and keeps raw test clips for the
    # firmware's golden vectors (emit-firmware --from embeds the front end).
    assert result.report["features"]["kind"] == "audio"
    assert result.report["features"]["clip_ms"] == 1000
    assert result.report["features"]["config"]["channels"] == 40
    with np.load(out / "samples.npz") as samples:
        assert samples["clips"].dtype == np.int16 and samples["clips"].shape[1] == 16000
        np.testing.assert_array_equal(audio_features(samples["clips"]) / np.float32(128),
                                      samples["x"][..., 0])
    # The per-board figures count the front end as emit-firmware --from embeds it.
    emitted = emit_firmware(EmitOptions(board="esp32", out=tmp_path / "fw", from_run=out))
    device = result.report["device"]
    assert emitted.spec.front_end_load is not None
    assert device["esp32"]["ram_bytes"] == emitted.spec.footprint.ram_bytes
    assert device["esp32"]["flash_bytes"] == emitted.spec.footprint.flash_bytes
    # The Nano runs the front end on edgetf's own signal kernels, counted the same way.
    assert device["nano33ble"]["why_not"] == ""
    # raw samples -> edgetf's front end in TFLM -> the int8 model in TFLM, nothing between
    clips = np.stack([tone(400, 1.0, 0.3), tone(3500, 1.0, 0.3)])
    frames = audio_features(clips)
    scores = run_tflm(model, frames[..., np.newaxis])[0]
    assert scores.argmax(axis=1).tolist() == [1, 0]  # low, high


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_the_config_files_front_end_and_feature_params_train_the_model(tmp_path):
    """--config's [features.audio] table sets the front end (it was ignored for WAV
    folders), and feature_params (tune's trials) go over it; the run records the result."""
    from edgetf.train.options import load_options

    folder = tone_folder(tmp_path / "clips", speakers=6, per_speaker=2)
    config = tmp_path / "edgetf.toml"
    config.write_text("[features.audio]\nchannels = 16\nstride_ms = 10\n")
    options = load_options(config, data=str(folder), epochs=1, fine_tune_epochs=1,
                           model="mlp", width=0.25, qat=False, boards=("esp32",))
    result = train_quantize(options.__class__(**{**options.to_dict(),
                                                 "feature_params": {"window_ms": 20}}))
    (x,) = read_tflite(result.int8_model).input_tensors()
    assert x.shape[1:] == (99, 16, 1)  # 1 + (16000 - 320) // 160 frames of 16 channels
    config_record = result.report["features"]["config"]
    assert (config_record["channels"], config_record["stride_ms"],
            config_record["window_ms"]) == (16, 10.0, 20.0)
    assert result.report["options"]["feature_params"] == {"window_ms": 20}
