"""Keyword-spotting calibration: false activations per hour and misses counted right on
streams whose answer is known; the Python stream (front end and model in TFLM, the
recognizer's twin) schedules runs as ``edgetf_impulse.cc`` does and its detections equal
those of ``edgetf_recognize.h`` built by the host compiler; the streams are made as
documented; bad input is one line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.analyze.kws_calibration import count, sweep
from edgetf.analyze.kws_streams import KwsStreams, Stream, build_streams, slot_ms
from edgetf.analyze.report_charts import MARGIN_TOP, threshold_chart
from edgetf.base.errors import ModelError
from edgetf.cli.app import app
from edgetf.data.audio_folder import read_audio_folder
from edgetf.features.audio import audio_features, audio_front_end
from edgetf.features.stream_runs import (
    StreamModel,
    StreamRuns,
    recognize,
    stream_model,
    stream_runs,
)
from edgetf.features.streaming import Detection, streaming_config
from edgetf.tflm.interpreter import run_tflm, tflm_available
from tests.audio_signals import noise, sample_clips, tone, write_wav
from tests.conftest import error_line, shared_model_path

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "edgetf"
LABELS = ("unknown", "yes", "no")
#: A model as the recognizer sees it: three int8 scores of scale 1/256, zero point -128.
MODEL = StreamModel(b"", 49, 3, (1, 49, 40, 1), 1 / 256, -128)
CONFIG = streaming_config()  # every 100 ms, 1 s window, threshold 0.8, 1.5 s suppression


def _runs(seconds: float, peaks: list[tuple[int, int, int]]) -> StreamRuns:
    """A run every 100 ms from 1 s: ``unknown`` sure (127) except during each peak
    (start ms, label, score), which holds ``label`` at ``score`` for 1 s."""
    times = np.arange(1000, int(seconds * 1000) + 1, 100)
    scores = np.full((len(times), 3), -128, np.int8)
    scores[:, 0] = 127
    for start, label, score in peaks:
        inside = (times >= start) & (times <= start + 1000)
        scores[inside, 0] = -128
        scores[inside, label] = score
    return StreamRuns(times, scores, seconds * 1000)


def _stream(seconds: float, events=()) -> Stream:
    return Stream(np.zeros(int(seconds * 16000), np.int16), tuple(events))


def test_false_activations_per_hour_and_misses_on_streams_with_a_known_answer():
    # Background: 6 minutes, three sure keywords (yes, no, yes) and one half-sure (0 is a
    # score of 0.5): 3 false activations (30 per hour) above 0.5, 4 (40 per hour) below.
    background = _runs(360, [(60_000, 1, 127), (150_000, 2, 127), (300_000, 1, 127),
                             (200_000, 2, 0)])
    # Keywords at known times: yes heard; no answered by yes (confused); yes silent
    # (missed); no heard 500 ms late (within clip + window); a stray yes elsewhere.
    events = [(10_000, 11_000, 1), (30_000, 31_000, 2), (50_000, 51_000, 1),
              (70_000, 71_000, 2)]
    keywords = _runs(120, [(10_000, 1, 127), (30_000, 1, 127), (70_500, 2, 127),
                           (95_000, 1, 127)])
    streams = KwsStreams((_stream(360),), (_stream(120, events),), (1, 2), 4500, 16000, "")
    record = sweep(streams, {"background": [background], "keywords": [keywords]}, MODEL,
                   CONFIG, 20, 1000, thresholds=(0.3, 0.45, 0.5, 0.95))
    rows = {row["threshold"]: row for row in record["rows"]}
    assert set(rows) == {0.3, 0.45, 0.5, 0.8, 0.95}
    assert record["at_threshold"] is rows[0.8]
    for threshold in (0.5, 0.8, 0.95):
        row = rows[threshold]
        assert row["false_activations"] == 3
        assert row["false_activations_per_hour"] == pytest.approx(30)
        assert (row["heard"], row["missed"], row["confused"], row["stray"]) == (2, 2, 1, 1)
        assert row["miss_rate"] == 0.5
    for threshold in (0.3, 0.45):
        assert rows[threshold]["false_activations"] == 4
        assert rows[threshold]["false_activations_per_hour"] == pytest.approx(40)
    assert rows[0.8]["threshold_q"] == 77 and rows[0.45]["threshold_q"] == -13
    assert record["keywords"] == 4 and record["background_hours"] == pytest.approx(0.1)
    json.dumps(record)  # JSON-ready


def test_a_keyword_reported_after_its_window_is_missed_and_stray():
    stream = _stream(10, [(1000, 2000, 1)])
    late = [Detection(1, 100.0, 4001)]  # after end + lag (2000 + 2000)
    assert count(late, stream, (1, 2), False, 2000).missed == 1
    assert count(late, stream, (1, 2), False, 2000).stray == 1
    on_time = [Detection(1, 100.0, 4000), Detection(0, 100.0, 1500)]  # 0: not a keyword
    found = count(on_time, stream, (1, 2), False, 2000)
    assert (found.heard, found.missed, found.stray) == (1, 0, 0)
    assert count(on_time, stream, (1, 2), True, 2000).false_activations == 1


def test_streams_are_built_from_the_test_split_as_documented(tmp_path):
    folder = tmp_path / "clips"
    for label in ("yes", "unknown"):
        for s in range(5):
            write_wav(folder / label / f"s{s}_nohash_0.wav",
                      tone(500 if label == "yes" else 3000, 0.8, 0.5))
    found = read_audio_folder(folder, 16000, 16000, seed=42)
    streams = build_streams(found, 16000, 16000, CONFIG, background_s=60, seed=7)
    held = found.split == "test"
    keywords = int(np.sum(held & (found.y == found.labels.index("yes"))))
    assert streams.keyword_labels == (found.labels.index("yes"),)
    assert streams.keyword_count == keywords >= 1
    slot = slot_ms(1000, CONFIG)
    assert slot == 4500  # clip + window + suppression + 1 s
    (kw_stream,) = streams.keywords
    assert len(kw_stream.samples) == 16000 + keywords * slot * 16
    for number, (start, end, label) in enumerate(kw_stream.events):
        assert label == found.labels.index("yes") and end - start == 1000
        assert 0 <= start - (1000 + number * slot) <= 500  # the seeded offset
    background = sum(len(s.samples) for s in streams.background) / 16000
    assert background == pytest.approx(1 + round(60_000 / slot) * slot / 1000)
    assert all(label != found.labels.index("yes") for s in streams.background
               for _, _, label in s.events)
    # No noise recordings: white noise at 1 % of full scale, and the same seed, the same bed.
    rms = float(np.sqrt(np.mean(streams.background[0].samples[:16000].astype(float) ** 2)))
    assert rms == pytest.approx(0.01 * 32767, rel=0.05)
    again = build_streams(found, 16000, 16000, CONFIG, background_s=60, seed=7)
    np.testing.assert_array_equal(again.keywords[0].samples, kw_stream.samples)


def _cpp_recognizer(tmp_path: Path, labels: int, history: int, threshold_q: int) -> Path:
    gxx = shutil.which("g++")
    assert gxx, "the host C++ compiler is needed for this check"
    (tmp_path / "edgetf_library.h").write_text("#define EDGETF_LIBRARY_NS test\n")
    shutil.copy(FIRMWARE / "edgetf_recognize.h", tmp_path / "edgetf_recognize.h")
    (tmp_path / "main.cc").write_text(
        '#include <cstdio>\n#include "edgetf_recognize.h"\n'
        f"constexpr int kLabels = {labels};\n"
        f"edgetf::Recognizer<kLabels, {history}> r({CONFIG.average_window_ms}, {threshold_q},"
        f" {CONFIG.suppression_ms}, {CONFIG.minimum_count});\n"
        "int main() { unsigned t; int8_t q[kLabels];\n"
        "  while (std::scanf(\"%u\", &t) == 1) {\n"
        "    for (int i = 0; i < kLabels; ++i) { int v; std::scanf(\"%d\", &v); q[i] = v; }\n"
        "    int label; float average;\n"
        "    if (r.Process(q, t, &label, &average)) std::printf(\"%u %d %.4f\\n\", t, label,"
        " average); } }\n")
    result = subprocess.run([gxx, "-std=c++17", "-Wall", "-Werror", "-I", str(tmp_path),
                             str(tmp_path / "main.cc"), "-o", str(tmp_path / "recognize")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return tmp_path / "recognize"


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_a_stream_through_micro_speech_runs_as_the_board_and_the_cpp_recognizer_agrees(
        tmp_path):
    model_bytes = shared_model_path("micro_speech_quantized.tflite").read_bytes()
    front_end = audio_front_end()
    model = stream_model(model_bytes, front_end, "micro_speech_quantized.tflite")
    assert (model.clip_frames, model.labels) == (49, 4)
    clips = sample_clips()  # 8 varied 1 s clips: tones, chirp, noise, silence, ...
    samples = np.concatenate([clips[4], *clips[[1, 2, 3, 6, 7]], noise(1.5, 0.05)])
    runs = stream_runs(samples, front_end, model, CONFIG)
    # The schedule of edgetf_impulse.cc's Push: first run when 49 frames are in, then every
    # 5 frames (100 ms at a 20 ms stride), stamped at the samples pushed so far.
    frames = 1 + (len(samples) - 480) // 320
    expected = np.arange(48, frames, 5)
    np.testing.assert_array_equal(runs.times_ms, (480 + expected * 320) * 1000 // 16000)
    # The first run sees the first clip from a reset front end: the golden-vector path.
    first = run_tflm(model_bytes, audio_features(clips[4])[None, None].reshape(1, 1, 1960))[0]
    np.testing.assert_array_equal(runs.scores[0], np.asarray(first).reshape(4))
    # Python's recognizer and the C++ header agree on these scores.
    config = streaming_config({"detection_threshold": 0.3})
    threshold_q = model.threshold_q(config)
    detections = recognize(runs, model, config, 20)
    python = [f"{d.time_ms} {d.label_index} {d.average_q:.4f}" for d in detections]
    binary = _cpp_recognizer(tmp_path, 4, config.history_size(20), threshold_q)
    stdin = "".join(f"{t} {' '.join(map(str, row))}\n"
                    for t, row in zip(runs.times_ms, runs.scores, strict=True))
    cpp = subprocess.run([str(binary)], input=stdin, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(python) >= 2 and cpp == python


def test_a_model_that_does_not_take_the_frames_cannot_stream():
    model = shared_model_path("hello_world_int8.tflite").read_bytes()
    with pytest.raises(ModelError, match=r"^hello_world: takes int8 \[1, 1\], not the front"):
        stream_model(model, audio_front_end(), "hello_world")


@pytest.fixture
def tone_clips(tmp_path) -> Path:
    folder = tmp_path / "clips"
    for label, hz in (("high", 3000), ("low", 400), ("mid", 1200), ("unknown", 6000)):
        for s in range(5):
            write_wav(folder / label / f"s{s}_nohash_0.wav", tone(hz + 40 * s, 0.8, 0.4))
    return folder


def test_streaming_validate_of_a_model_not_trained_from_audio_is_one_line(tmp_path,
                                                                         tone_clips):
    model = shared_model_path("hello_world_int8.tflite")
    result = CliRunner().invoke(app, ["validate", "--model", str(model), "--data",
                                      str(tone_clips)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    line = error_line(result)
    assert str(tone_clips) in line and "was not trained from audio" in line
    assert "train-quantize" in line


def _audio_run(tmp_path: Path) -> Path:
    """micro_speech's model in a folder with the report.json train-quantize writes for
    audio (its front end: the defaults), as validate reads it."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(shared_model_path("micro_speech_quantized.tflite"), run / "model.tflite")
    (run / "report.json").write_text(json.dumps({
        "features": {"kind": "audio", "clip_ms": 1000, "config": {}}, "options": {"seed": 42}}))
    return run


def test_a_missing_clip_folder_is_one_line(tmp_path):
    run = _audio_run(tmp_path)
    result = CliRunner().invoke(app, ["validate", "--model", str(run), "--data",
                                      str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    line = error_line(result)
    assert "nowhere: no such folder" in line and "trained from audio clips" in line


@pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
def test_validate_on_an_audio_run_gives_accuracy_and_the_threshold_sweep(tmp_path,
                                                                         tone_clips):
    run = _audio_run(tmp_path)
    report = tmp_path / "validation.html"
    result = CliRunner().invoke(app, ["validate", "--model", str(run), "--data",
                                      str(tone_clips), "--stream-minutes", "0.2", "--json",
                                      "--report", str(report)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    matrix = np.array(figures["confusion"])
    assert matrix.shape == (4, 4) and matrix.sum() == figures["samples"] >= 4
    assert figures["tflm_accuracy"] is not None
    streaming = figures["streaming"]
    assert streaming["keyword_labels"] == ["high", "low", "mid"]
    assert streaming["recognizer"] == {**streaming["recognizer"], "detection_threshold": 0.8}
    rows = streaming["rows"]
    assert [r["threshold"] for r in rows] == sorted(r["threshold"] for r in rows)
    assert len(rows) == 19 and streaming["at_threshold"]["threshold"] == 0.8
    for row in rows:
        assert row["heard"] + row["missed"] == streaming["keywords"] >= 1
        assert row["false_activations_per_hour"] == pytest.approx(
            row["false_activations"] / streaming["background_hours"])
    page = report.read_text()
    assert 'id="streaming"' in page and 'id="thresholds"' in page
    assert "false activations per hour" in page


def test_the_threshold_chart_places_both_series_inside_its_canvas():
    rows = [{"threshold": t, "false_activations_per_hour": fa, "miss_rate": miss}
            for t, fa, miss in ((0.2, 40.0, 0.0), (0.5, 12.0, 0.25), (0.8, 0.0, 1.0))]
    chart = threshold_chart(rows, 0.8, {"miss": "#c00", "fa": "#00c"})
    points = {css: [r for r in chart.rects if r["css"] == f"point {css}"]
              for css in ("miss", "fa")}
    assert all(len(found) == 3 for found in points.values())
    for rect in chart.rects:
        assert 0 <= rect["x"] and rect["x"] + rect["width"] <= chart.width
        assert 0 <= rect["y"] and rect["y"] + rect["height"] <= chart.height
    # Higher is more: the miss rate rises and the false activations fall with the threshold.
    assert [r["y"] for r in points["miss"]] == sorted((r["y"] for r in points["miss"]),
                                                      reverse=True)
    assert [r["y"] for r in points["fa"]] == sorted(r["y"] for r in points["fa"])
    # 100 % misses at the top of the plot; 40 / h at 4/5 of a 0-50 axis.
    top, bottom = MARGIN_TOP, points["miss"][0]["y"] + 3
    assert points["miss"][-1]["y"] + 3 == pytest.approx(top)
    assert points["fa"][0]["y"] + 3 == pytest.approx(bottom - 0.8 * (bottom - top), abs=0.02)
    assert any(t["text"] == "config 0.80" for t in chart.texts)


def test_the_noise_bed_is_the_folders_recordings_at_gain_0_1_looped(tmp_path):
    folder = tmp_path / "clips"
    for label in ("go", "unknown"):
        for s in range(5):
            write_wav(folder / label / f"s{s}_nohash_0.wav", tone(700 + 900 * s, 0.5, 0.3))
    recording = noise(2.0, 0.3, seed=3)
    write_wav(folder / "_background_noise_" / "hiss.wav", recording)
    found = read_audio_folder(folder, 16000, 16000, seed=42)
    streams = build_streams(found, 16000, 16000, CONFIG, background_s=9, seed=5)
    lead = streams.background[0].samples[:16000].astype(np.int64)  # noise alone
    bed = np.round(recording * 0.1).astype(np.int64)
    starts = [p for p in range(len(bed)) if bed[p] == lead[0]]
    looped = [np.take(bed, np.arange(p, p + 16000), mode="wrap") for p in starts]
    assert any(np.abs(candidate - lead).max() <= 1 for candidate in looped)
    assert "1 _background_noise_ recording(s) at gain 0.1" in streams.description
