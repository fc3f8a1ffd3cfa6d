"""The ``audio`` front end: edgetf's graph of TFLM signal ops against TFLM's own
micro_speech front end (``audio_preprocessor_int8.tflite``), both run frame by frame in the
TFLM interpreter on generated audio; its tables against that model's constants; other
parameters; bad configs."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import ConfigError, DataError
from edgetf.features.audio import AudioFrontEnd, audio_features, audio_front_end
from edgetf.features.audio_config import AudioConfig, audio_config
from edgetf.features.audio_tables import filter_bank, hann_window, pcan_gain_lut
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import tflm_available
from tests.audio_signals import chirp, noise, sample_clips, tone
from tests.conftest import shared_model_path

needs_tflm = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")


def _reference() -> bytes:
    return shared_model_path("audio_preprocessor_int8.tflite").read_bytes()


def _constants(model: bytes) -> dict[str, np.ndarray]:
    return {t.name: t.array() for t in read_tflite(model).main.tensors if t.data}


def test_tables_equal_micro_speech_constants():
    ref = _constants(_reference())
    bank = filter_bank(257, 16000, 40, 125.0, 7500.0)
    assert (bank.start_index, bank.end_index) == (5, 241)
    expected = {
        "Const": hann_window(480, 12),
        "signal_filter_bank/Const": bank.weights,
        "signal_filter_bank/Const_1": bank.unweights,
        "signal_filter_bank/Const_2": bank.frequency_starts,
        "signal_filter_bank/Const_3": bank.weight_starts,
        "signal_filter_bank/Const_4": bank.widths,
        "signal_pcan/Const": pcan_gain_lut(0.95, 80.0, 7, 21),
    }
    for name, table in expected.items():
        assert ref[name].dtype == table.dtype and np.array_equal(ref[name], table), name


def test_graph_has_micro_speech_ops_in_order_but_the_chirale_gaps():
    # micro_speech's zeroing of the bins outside the bank (ops 5-8) is left out, its int32
    # tail (CAST, MUL, ADD, DIV, ADD, MINIMUM, MAXIMUM, CAST) is a clamp and a lookup.
    ours = read_tflite(audio_front_end().model)
    ref = read_tflite(_reference())
    names = [[(op.name, op.custom_code) for op in m.main.operators] for m in (ours, ref)]
    assert [n for n, _ in names[1][5:9]] == ["CAST", "STRIDED_SLICE", "CONCATENATION", "CAST"]
    assert names[0][:-4] == names[1][:5] + names[1][9:-8]
    assert [n for n, _ in names[0][-4:]] == ["CAST", "MINIMUM", "MAXIMUM", "GATHER"]
    for m in (ours, ref):
        assert [(t.shape, t.dtype) for t in m.input_tensors()] == [((1, 480), "int16")]
        assert [(t.shape, t.dtype) for t in m.output_tensors()] == [((40,), "int8")]


@needs_tflm
def test_features_equal_micro_speech_bit_for_bit():
    more = [tone(hz, 1.0, amp) for hz, amp in ((150, 0.9), (4000, 0.05), (7000, 0.3))]
    more += [noise(1.0, amp, seed) for amp, seed in ((0.001, 1), (0.9, 2), (0.02, 3))]
    more += [chirp(7900, 50, 1.0, 0.9), chirp(500, 600, 1.0, 0.002)]
    clips = np.concatenate([sample_clips(), np.stack(more)])
    ours = audio_features(clips)
    ref = audio_features(clips, AudioFrontEnd(AudioConfig(), _reference()))
    # 1 s at 16 kHz: the 49x40 frames micro_speech_quantized.tflite takes.
    speech = read_tflite(shared_model_path("micro_speech_quantized.tflite").read_bytes())
    assert ours.shape == (16, 49, 40) and speech.input_tensors()[0].shape[-1] == 49 * 40
    assert ours.dtype == ref.dtype == np.int8
    assert np.array_equal(ours, ref)
    assert len({bytes(clip) for clip in ours}) == 16  # the clips give different features
    assert ours.min() == -128 and ours.max() > 0


@needs_tflm
def test_each_clip_starts_from_a_reset_front_end():
    clips = sample_clips()[:3]
    together = audio_features(clips)
    alone = audio_features(clips[2])
    assert alone.shape == (49, 40) and np.array_equal(together[2], alone)
    # the state carries within a clip: the same window later in a clip can differ
    steady = audio_features(np.tile(noise(0.03, 0.3)[:480], 40))
    assert not np.array_equal(steady[0], steady[-1])


@needs_tflm
@pytest.mark.parametrize("table, shape", [
    ({"channels": 32, "window_ms": 32, "stride_ms": 16}, (61, 32)),
    ({"window_ms": 25.5, "stride_ms": 12.5}, (78, 40)),
    ({"pcan": False}, (49, 40)),
    ({"pcan": False, "noise_reduction": False, "channels": 20}, (49, 20)),
    ({"sample_rate": 8000, "upper_hz": 3800, "window_ms": 25, "stride_ms": 10}, (98, 40)),
])
def test_other_parameters_make_runnable_graphs(table, shape, default_chirp_features):
    front_end = audio_front_end(table)
    c = front_end.config
    clip = chirp(100, c.sample_rate / 2 - 200, 1.0, 0.5, rate=c.sample_rate)
    features = audio_features(clip, front_end)
    assert features.shape == shape == front_end.feature_shape(len(clip))
    if shape == default_chirp_features.shape:
        assert not np.array_equal(features, default_chirp_features)


@pytest.fixture(scope="module")
def default_chirp_features():
    return audio_features(chirp(100, 7800, 1.0, 0.5))


@pytest.mark.parametrize("table, message", [
    ({"chanels": 40}, "has no key 'chanels'"),
    ({"channels": 4.5}, "channels = 4.5 should be an integer"),
    ({"lower_hz": "low"}, "lower_hz = 'low' should be a number"),
    ({"pcan": 1}, "pcan = 1 should be true or false"),
    ({"pcan": True, "noise_reduction": False}, "needs noise_reduction = true"),
    ({"window_ms": 200}, "needs a 4096-point FFT"),
    ({"upper_hz": 9000}, "within 0-8000 Hz"),
    ({"stride_ms": 0}, "positive stride"),
])
def test_bad_configs_are_one_line_errors(table, message):
    with pytest.raises(ConfigError, match=message) as e:
        audio_config(table, "edgetf.toml")
    assert str(e.value).startswith("edgetf.toml: [features.audio]")
    assert "\n" not in str(e.value)


def test_the_docs_config_example_is_micro_speechs():
    import re
    from pathlib import Path

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    docs = (Path(__file__).resolve().parents[2] / "docs" / "features.md").read_text()
    (example,) = [block for block in re.findall(r"```toml\n(.*?)```", docs, flags=re.S)
                  if block.startswith("[features.audio]")]
    table = tomllib.loads(example)["features"]["audio"]
    assert audio_config(table, "docs/features.md") == AudioConfig()
    assert len(table) == 8


@needs_tflm
def test_a_lead_gives_the_clips_frames_as_inside_a_stream():
    from edgetf.features.audio import frame_clips
    from edgetf.tflm.interpreter import run_tflm

    front_end = audio_front_end({"channels": 10, "window_ms": 64, "stride_ms": 64})
    c = front_end.config
    clip = np.clip(tone(700, 0.5).astype(np.int32) + noise(0.5, 0.05), -32768, 32767)
    clip = clip.astype(np.int16)
    lead = noise(16 * c.stride_samples / 16000, 0.05)
    frames = front_end.frames(len(clip))
    # the board's stream: lead then clip pushed without a reset, the clip's frames last
    joined = np.concatenate([lead, clip])
    windows = np.ascontiguousarray(frame_clips(joined[None], c)[0][:, None, :])
    stream = run_tflm(front_end.model, windows, reset_between=False)[0]
    stream = stream.reshape(-1, c.channels)[-frames:]
    warm = audio_features(clip, front_end, lead=lead)
    assert np.array_equal(warm, stream)
    assert not np.array_equal(warm, audio_features(clip, front_end))  # the state matters
    # a silent lead leaves the front end as a reset does
    silent = np.zeros((2, 16 * c.stride_samples), np.int16)
    both = np.stack([clip, clip[::-1]])
    assert np.array_equal(audio_features(both, front_end, lead=silent),
                          audio_features(both, front_end))
    with pytest.raises(DataError, match="whole strides"):
        audio_features(clip, front_end, lead=lead[:-1])
