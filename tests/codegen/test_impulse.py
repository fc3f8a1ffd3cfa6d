"""A front end and a model emitted as one library (raw samples in): the raw-sample golden
vectors are what TFLM's own micro_speech front end (``audio_preprocessor_int8.tflite``,
frame by frame in the TFLM interpreter) and the model compute; the generated headers
compile; the streaming recognizer's C++ equals its Python twin; bad input is one line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.base.errors import ConfigError
from edgetf.base.progress import Reporter
from edgetf.cli.app import app
from edgetf.codegen.emit_firmware import build_project
from edgetf.codegen.impulse import impulse_for
from edgetf.features.audio import frame_clips
from edgetf.features.streaming import Recognizer, streaming_config
from edgetf.targets.prepared import prepare_model
from edgetf.tflm.interpreter import run_tflm
from edgetf.train.options import TrainQuantizeOptions
from tests.audio_signals import sample_clips
from tests.conftest import shared_model_path

pytest.importorskip("tflite_micro")

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "edgetf"
GXX, GCC = shutil.which("g++"), shutil.which("gcc")
NAME = "kws"


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return shared_model_path("micro_speech_quantized.tflite").read_bytes()


@pytest.fixture(scope="module")
def prepared(model_bytes):
    return prepare_model(model_bytes, "micro_speech_quantized.tflite", golden=1)


@pytest.fixture(scope="module")
def impulse(prepared):
    clips = sample_clips()[:2]
    return impulse_for(prepared, "audio", None, None, clips, 2, Reporter(quiet=True))


@pytest.fixture(scope="module")
def project(prepared, impulse):
    return build_project(prepared, "esp32", name=NAME, labels=("silence", "unknown", "yes",
                                                                "no"), impulse=impulse)


def _compile(args: list[str], compiler: str | None = GXX) -> None:
    assert compiler, "the host C/C++ compiler is needed for these checks"
    result = subprocess.run([compiler, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_raw_golden_vectors_are_micro_speechs_front_end_then_the_model(impulse, model_bytes):
    reference = shared_model_path("audio_preprocessor_int8.tflite").read_bytes()
    clips = impulse.clips
    assert clips.shape == (2, 16000) and impulse.clip_frames == 49
    windows = frame_clips(clips, impulse.front_end.config)  # (2, 49, 480)
    flat = np.ascontiguousarray(windows.reshape(-1, 480))
    features = np.asarray(run_tflm(reference, [flat], reset_between=49)[0]).reshape(2, 49, 40)
    np.testing.assert_array_equal(impulse.features, features)
    scores = np.asarray(run_tflm(model_bytes, [features.reshape(2, 1, 1960)],
                                 reset_between=True)[0]).reshape(2, 4)
    np.testing.assert_array_equal(impulse.outputs, scores)
    assert len(set(map(tuple, scores))) == 2  # the two clips are told apart


def test_the_library_embeds_front_end_and_counts_its_ram(project, prepared):
    spec, files = project.spec, project.files
    edgetf = f"lib/{NAME}_inferencing/src/edgetf"
    for name in ("front_end_metadata.h", "front_end_resolver.h", "front_end_data.cc",
                 "edgetf_impulse.cc", "edgetf_recognize.h"):
        assert f"{edgetf}/{name}" in files
    assert b"#define EDGETF_HAS_FRONT_END 1" in files[f"{edgetf}/edgetf_library.h"]
    resolver = files[f"{edgetf}/front_end_resolver.h"].decode()
    assert "AddPCAN()" in resolver and "AddRfft()" in resolver
    load = spec.front_end_load
    assert load.arena_bytes == spec.front_end_arena.bytes > 0
    assert load.ring_bytes == 49 * 40 and load.window_bytes == 2 * 480
    plain = build_project(prepared, "esp32", name="plain").spec.footprint
    assert spec.footprint.ram_bytes - plain.ram_bytes == load.ram_bytes
    header = files[f"lib/{NAME}_inferencing/src/{NAME}_inferencing.h"].decode()
    assert "int kws_classify(const int16_t* samples" in header
    assert "#define edgetf_push_samples kws_push_samples" in header
    assert "kws_classify(samples, KWS_CLIP_SAMPLES" in files["README.md"].decode()


def test_generated_headers_compile_without_tflm(project, tmp_path):
    for path, content in project.files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    src = tmp_path / f"lib/{NAME}_inferencing/src"
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I",
              str(src / "edgetf"), str(src / "edgetf/front_end_metadata.h")])
    _compile(["-std=c99", "-Wall", "-pedantic", "-Werror", "-fsyntax-only", f"-I{src}", "-x", "c",
              str(src / f"{NAME}_inferencing.h")], compiler=GCC)
    # The golden clips read back as the impulse's.
    (tmp_path / "read.cc").write_text(
        '#include <cstdio>\n#include "front_end_metadata.h"\n'
        "int main() { namespace fe = edgetf::front_end;\n"
        "  for (int i = 0; i < fe::kGoldenClipCount * fe::kClipSamples; ++i)"
        " std::printf(\"%d\\n\", fe::kGoldenClips[i]);\n"
        "  for (int i = 0; i < fe::kGoldenClipCount * fe::kLabels; ++i)"
        " std::printf(\"%d\\n\", fe::kGoldenOutputs[i]); }\n")
    _compile(["-std=c++17", "-I", str(src / "edgetf"), str(tmp_path / "read.cc"),
              "-o", str(tmp_path / "read")])
    values = np.array(subprocess.run([str(tmp_path / "read")], capture_output=True, text=True,
                                     check=True).stdout.split(), np.int64)
    impulse = project.spec.impulse
    np.testing.assert_array_equal(values[:impulse.clips.size], impulse.clips.reshape(-1))
    np.testing.assert_array_equal(values[impulse.clips.size:], impulse.outputs.reshape(-1))


def _stream(seed: int = 42, runs: int = 400, labels: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Model scores every 100 ms: mostly 'silence', with keyword bursts and noise."""
    rng = np.random.default_rng(seed)
    scores = np.full((runs, labels), -128, np.int64)
    scores[:, 0] = 100
    for start in rng.integers(0, runs - 12, 25):
        label = rng.integers(1, labels)
        scores[start:start + rng.integers(3, 12), label] = rng.integers(60, 127)
        scores[start:start + 12, 0] = rng.integers(-128, 0)
    scores += rng.integers(-20, 21, scores.shape)
    times = np.cumsum(rng.choice([100, 100, 100, 120, 80], runs))
    return np.clip(scores, -128, 127).astype(np.int8), times


def test_the_recognizer_in_cpp_equals_its_python_twin(tmp_path):
    config = streaming_config({"detection_threshold": 0.6})
    threshold = config.threshold_q(1 / 256, -128)
    history = config.history_size(20)
    scores, times = _stream()
    twin = Recognizer(4, history, config.average_window_ms, threshold, config.suppression_ms,
                      config.minimum_count)
    expected = []
    for row, t in zip(scores, times, strict=True):
        found = twin.process(row, int(t))
        if found:
            expected.append(f"{found.time_ms} {found.label_index} {found.average_q:.4f}")
    assert len(expected) >= 5 and len({line.split()[1] for line in expected}) >= 2
    (tmp_path / "edgetf_library.h").write_text("#define EDGETF_LIBRARY_NS test\n")
    arguments = (f"{history}> r({config.average_window_ms}, {threshold}, "
                 f"{config.suppression_ms}, {config.minimum_count});")
    (tmp_path / "main.cc").write_text(
        '#include <cstdio>\n#include "edgetf_recognize.h"\n'
        "int main() { edgetf::Recognizer<4, " + arguments + "\n"
        "  int s[4]; unsigned t;\n"
        "  while (std::scanf(\"%u %d %d %d %d\", &t, s, s + 1, s + 2, s + 3) == 5) {\n"
        "    int8_t q[4] = {(int8_t)s[0], (int8_t)s[1], (int8_t)s[2], (int8_t)s[3]};\n"
        "    int label; float average;\n"
        "    if (r.Process(q, t, &label, &average)) std::printf(\"%u %d %.4f\\n\", t, label,"
        " average); } }\n")
    shutil.copy(FIRMWARE / "edgetf_recognize.h", tmp_path / "edgetf_recognize.h")
    _compile(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-I", str(tmp_path),
              str(tmp_path / "main.cc"), "-o", str(tmp_path / "recognize")])
    stdin = "".join(f"{t} {' '.join(map(str, row))}\n" for row, t in zip(scores, times,
                                                                        strict=True))
    out = subprocess.run([str(tmp_path / "recognize")], input=stdin, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert [line for line in out if line] == expected


def test_a_model_that_does_not_take_the_frames_is_one_line(tmp_path):
    model = shared_model_path("hello_world_int8.tflite")
    result = CliRunner().invoke(app, ["emit-firmware", "--model", str(model), "--board",
                                      "esp32", "--features", "audio", "--out",
                                      str(tmp_path / "fw")])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--features audio gives 40-channel int8 frames" in errors[0]
    assert "hello_world_int8.tflite" in errors[0] and "Traceback" not in result.output
    assert not (tmp_path / "fw").exists()


def test_the_nano_runs_the_front_end_on_edgetfs_signal_kernels(prepared, impulse):
    """Chirale 2.0.0 has no signal kernels: the front end's resolver registers edgetf's,
    and op_resolver.h compiles them in (EDGETF_OWN_SIGNAL) although the model has none."""
    files = build_project(prepared, "nano33ble", name=NAME, impulse=impulse).files
    resolver = next(v for k, v in files.items() if k.endswith("front_end_resolver.h")).decode()
    op_resolver = next(v for k, v in files.items() if k.endswith("/op_resolver.h")).decode()
    assert '#include "op_resolver.h"' in resolver
    assert 'AddCustom("SignalRfft", edgetf::SignalRfftRegistration())' in resolver
    assert "#define EDGETF_OWN_SIGNAL 1" in op_resolver


def test_a_run_trained_from_audio_brings_its_front_end_and_clip_length(tmp_path, model_bytes):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.tflite").write_bytes(model_bytes)
    (run / "labels.txt").write_text("silence\nunknown\nyes\nno\n")
    (run / "report.json").write_text(json.dumps(
        {"features": {"kind": "audio", "clip_ms": 1000, "config": {}}}))
    clips = sample_clips()[2:3]
    np.savez(run / "samples.npz", x=np.zeros((1, 1960), np.float32), clips=clips)
    config = tmp_path / "edgetf.toml"
    config.write_text("[streaming]\nrun_every_ms = 60\ndetection_threshold = 0.7\n")
    result = CliRunner().invoke(app, ["emit-firmware", "--from", str(run), "--board",
                                      "esp32", "--out", str(tmp_path / "fw"), "--golden", "1",
                                      "--config", str(config)])
    assert result.exit_code == 0, result.output
    header = next((tmp_path / "fw/lib").glob("*/src/edgetf/front_end_metadata.h")).read_text()
    assert "constexpr int kClipSamples = 16000;" in header
    assert "constexpr int kRunEveryFrames = 3;" in header
    assert f"constexpr int kThresholdQ = {round(0.7 * 256) - 128};" in header
    assert "the run's test clips" in header
    first = ", ".join(str(v) for v in clips[0, :4])
    assert first in header


def test_bad_streaming_and_clip_ms_are_one_line():
    with pytest.raises(ConfigError, match=r"\[streaming\] detection_threshold = 2"):
        streaming_config({"detection_threshold": 2})
    with pytest.raises(ConfigError, match=r"\[streaming\] has no key 'window'"):
        streaming_config({"window": 2})
    with pytest.raises(ConfigError, match="--clip-ms 0 should be above 0"):
        TrainQuantizeOptions(clip_ms=0).check()


def test_the_docs_streaming_table_is_the_defaults():
    page = (Path(__file__).resolve().parents[2] / "docs" / "c-api.md").read_text()
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    import tomllib

    assert streaming_config(tomllib.loads(block)["streaming"]) == streaming_config()


def test_inspect_counts_the_front_end_on_every_board(prepared, impulse):
    from edgetf.analyze.inspect import inspect_file
    from edgetf.targets.boards import get_board
    from edgetf.targets.verdict import board_verdict

    model = shared_model_path("micro_speech_quantized.tflite")
    inspection = inspect_file(model, boards=("esp32", "nano33ble"), features="audio")
    esp32 = get_board("esp32")
    load = impulse.on_board(esp32, tuple(prepared.model.op_names()))[1]
    plain = board_verdict(prepared, esp32).footprint.ram_bytes
    # golden clips are flash, not RAM: inspect embeds none, emit-firmware's are the same RAM
    assert inspection.boards["esp32"].footprint.ram_bytes - plain == load.ram_bytes
    nano = inspection.boards["nano33ble"]
    assert nano.fits and not nano.problems
