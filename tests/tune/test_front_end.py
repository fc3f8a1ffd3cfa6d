"""tune with raw data: the front end's parameters are searched with the model, each
trial's features come from its own front end, and its figures count the front end as
emit-firmware embeds it."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from edgetf.base.errors import ConfigError
from edgetf.codegen.impulse import make_impulse
from edgetf.features.audio import audio_front_end
from edgetf.targets.boards import get_board
from edgetf.targets.front_end_time import front_end_time, instructions_per_frame
from edgetf.targets.prepared import prepare_model
from edgetf.targets.verdict import board_verdict
from edgetf.tflm.interpreter import tflm_available
from edgetf.train.options import TrainQuantizeOptions
from edgetf.tune import trial as trial_module
from edgetf.tune.options import load_tune_options
from edgetf.tune.results import describe_choices
from edgetf.tune.space import build_space
from tests.audio_signals import tone_folder
from tests.motion_signals import motion_csv

BOARD = "esp32"
#: Two settings of the front end; the model and its training fixed and tiny.
CONFIG = """\
[tune]
epochs = 2
fine-tune-epochs = 1
calibration-samples = 20

[tune.space]
model = ["mlp"]
width = 0.25
depth = 1
learning-rate = 0.003
qat = false
low-rank = 0
prune = 0
cluster = 0
binary-weights = "off"
weight-bits = 8
channels = [16, 32]
stride-ms = 20

[features.audio]
window_ms = 30
"""


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return tone_folder(tmp_path_factory.mktemp("clips") / "clips", speakers=6, per_speaker=2)


def _space(data, overrides=None, feature_params=None, **options):
    base = TrainQuantizeOptions(data=str(data), feature_params=feature_params, **options)
    return build_space(overrides or {}, base, fixed=set(), input_shape=(49, 40, 1),
                       user_model=False)


def test_raw_audio_adds_the_front_end_to_the_space(clips, tmp_path):
    space = _space(clips)
    assert space.domains["channels"].choices == (20, 32, 40)
    assert space.domains["window_ms"].choices == (20.0, 30.0, 40.0)
    assert space.domains["stride_ms"].choices == (10.0, 20.0)
    assert not {"bands", "fft_length"} & set(space.domains)
    assert "channels" not in _space("digits").domains  # no front end, no entries
    # A key of the config file's [features.audio] is fixed: it leaves the space, and the
    # trial's table keeps it under the searched ones.
    fixed = _space(clips, feature_params={"channels": 24})
    assert "channels" not in fixed.domains
    options = fixed.options({"window_ms": 40.0, "stride_ms": 10.0})
    assert options.feature_params == {"channels": 24, "window_ms": 40.0, "stride_ms": 10.0}
    assert fixed.front_end({"window_ms": 40.0, "model": "mlp"}) == {"window_ms": 40.0}
    csv = motion_csv(tmp_path / "motion.csv", recordings=2, seconds=4)
    motion = _space(csv, features="spectral", sample_rate=50.0, window_ms=2000.0)
    assert motion.domains["bands"].choices == (4, 8, 16) and "channels" not in motion.domains


@pytest.mark.parametrize(("overrides", "params", "data", "fragment"), [
    ({"channels": [16, 32]}, None, "digits",
     "'channels' is a parameter of the audio front end, but --data digits has no front end"),
    ({"channels": [16, 32]}, {"channels": 24}, None,
     "'channels' is also fixed for every trial ([features.audio])"),
    ({"stride_ms": [10, 30]}, None, None, "a stride-ms of 30 is longer than a window-ms of 20"),
    ({"channels": [16, 200]}, None, None, "'channels' value 200: the front end's parameters: "
     "[features.audio] channels = 200 should be 1 to 128"),
    ({"bands": [4, 8]}, None, None, "'bands' is a parameter of the spectral front end"),
])
def test_front_end_entries_are_refused_by_name(clips, overrides, params, data, fragment):
    with pytest.raises(ConfigError) as caught:
        _space(data or clips, overrides, params)
    assert fragment in str(caught.value)


def test_config_features_table_is_every_trials_front_end(clips, tmp_path):
    config = tmp_path / "edgetf.toml"
    config.write_text(f'[tune]\ndata = "{clips}"\n\n[features.audio]\nchannels = 24\n')
    options = load_tune_options(config, out=str(tmp_path / "study"), board=BOARD)
    assert options.base_options().feature_params == {"channels": 24}
    assert options.settings()["feature_tables"] == {"audio": {"channels": 24}}
    config.write_text('[tune]\ndata = "digits"\nfeature-params = {channels = 24}\n')
    with pytest.raises(ConfigError, match="feature-params is not a tune option"):
        load_tune_options(config, out=str(tmp_path / "study"), board=BOARD)


def test_describe_choices_puts_the_front_end_first():
    assert describe_choices({"model": "mlp", "width": 0.5, "channels": 32, "window_ms": 30.0,
                             "stride_ms": 20.0}) == "audio 32 ch 30/20 ms, mlp w0.5"
    assert describe_choices({"bands": 8, "model": "mlp"}) == "spectral 8 bands, mlp"


def test_front_end_time_follows_its_parts():
    """More channels, longer windows and FFTs cost more; the clip's time is its frames'."""
    default = audio_front_end().config
    wider = audio_front_end({"channels": 80}).config
    longer = audio_front_end({"window_ms": 64}).config  # 1024-point FFT
    def count(c):
        return instructions_per_frame(c.fft_length, c.window_samples, c.channels)

    assert count(default) < count(wider) and count(default) < count(longer)
    nano, esp32 = get_board("nano33ble"), get_board("esp32")
    timing = front_end_time(default, 49, nano)
    assert timing.ms == pytest.approx(49 * timing.ms_per_frame)
    assert timing.ms_per_frame == pytest.approx(count(default) / 64e3)
    assert front_end_time(default, 49, esp32).ms < timing.ms  # 240 MHz against 64


@pytest.mark.skipif(not tflm_available(), reason="the front end's features need TFLM")
def test_a_small_audio_study(clips, tmp_path, monkeypatch):
    """Three trials over two front-end settings: features computed once per setting, each
    trial's figures the model's and its front end's as emit-firmware counts them, and best/
    emits the chosen front end."""
    from edgetf.cli.app import app

    loads = []
    real = trial_module.load_training_data

    def counted(options):
        loads.append(options.feature_params)
        return real(options)

    monkeypatch.setattr(trial_module, "load_training_data", counted)
    config = tmp_path / "edgetf.toml"
    config.write_text(CONFIG)
    out = tmp_path / "study"
    result = CliRunner().invoke(app, ["tune", "--config", str(config), "--data", str(clips),
                                      "--board", BOARD, "--trials", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in (out / "trials.csv").read_text().splitlines()]
    header, rows = rows[0], rows[1:]
    channels = {row[header.index("channels")] for row in rows}
    assert all(row[header.index("state")] == "complete" for row in rows)
    # The base front end (30 ms windows, 40 channels) once, then each setting once.
    settings = {json.dumps(p, sort_keys=True) for p in loads}
    assert len(loads) == len(settings) and len(loads) == 1 + len(channels)
    # Each trial's line names its front end (the window is the table's, not a choice).
    assert re.search(r"trial 0: .* — audio (16|32) ch 20 ms stride, mlp", result.output)

    best = json.loads((out / "best" / "tune.json").read_text())
    chosen = best["choices"]["channels"]
    report = json.loads((out / "best" / "report.json").read_text())
    assert report["features"]["config"]["channels"] == chosen
    assert report["features"]["config"]["window_ms"] == 30.0  # from [features.audio]
    assert best["front_end"]["config"] == report["features"]["config"]

    # The chosen trial's figures are the model's verdict with the front end emit-firmware
    # embeds from best/ (its load and time), the same numbers.
    model = (out / "best" / "model.tflite").read_bytes()
    prepared = prepare_model(model, "model.tflite")
    front_end = audio_front_end(report["features"]["config"])
    impulse = make_impulse(prepared, front_end, clip_ms=report["features"]["clip_ms"],
                           golden=3)
    board = get_board(BOARD)
    load = impulse.on_board(board, tuple(prepared.model.op_names()))[1]
    verdict = board_verdict(prepared, board, front_end=load)
    timing = impulse.time_on(board)
    assert best["arena_bytes"] == verdict.footprint.arena_bytes + load.ram_bytes
    assert best["flash_bytes"] == (verdict.footprint.model_bytes + verdict.footprint.code_bytes
                                   + load.graph_bytes + load.code_bytes)
    assert best["latency_ms"] == pytest.approx(verdict.latency.latency_ms + timing.ms)
    device = report["device"][BOARD]  # train-quantize's per-board figures: the same verdict
    assert device["ram_bytes"] == verdict.footprint.ram_bytes
    assert device["arena_bytes"] + load.ram_bytes == best["arena_bytes"]
