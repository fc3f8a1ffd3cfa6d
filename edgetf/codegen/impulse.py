"""The impulse: a front end and a model emitted as one library that takes raw samples.

A library gets the ``audio`` front end when its model was trained from audio (the run's
``report.json`` records the front end and ``--clip-ms``) or when ``emit-firmware
--features audio`` names it (parameters from ``--config``'s ``[features.audio]`` table).
The front end's graph runs in its own TFLM interpreter and arena, planned for the board
like the model's (two arenas rather than one: TFLM shares one arena between interpreters
only through its multi-tenant allocator, which the planner's tables do not replay; the
shared part would be the front end's few KB of scratch).

The model must take the front end's frames: one int8 input of ``frames x channels``
values and one int8 output of one score per label. The frames are copied in unchanged,
as TFLM's micro_speech example does (a model trained by edgetf has input scale 1/128 and
zero point 0, which is exactly that).

Golden vectors start from raw samples: the run's test clips (``samples.npz``'s
``clips``) or seeded generated audio, through the front end (TFLM interpreter, reset per
clip) and then the model (TFLM interpreter): the library's self-test replays both steps.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgetf.base.errors import ConfigError, DataError, FirmwareError
from edgetf.base.progress import Reporter
from edgetf.base.toml_file import read_toml
from edgetf.base.units import readable_ms
from edgetf.codegen.motion_impulse import (
    MOTION_KINDS,
    MotionImpulse,
    check_motion_record,
    choose_motion,
    make_motion_impulse,
)
from edgetf.features.audio import AudioFrontEnd, audio_features, audio_front_end
from edgetf.features.streaming import StreamingConfig, streaming_config
from edgetf.targets.boards import Board
from edgetf.targets.firmware_contract import FrontEndLoad
from edgetf.targets.front_end import front_end_on_board, raw_golden_count
from edgetf.targets.front_end_time import FrontEndTime, front_end_time
from edgetf.targets.prepared import PreparedModel, prepare_model
from edgetf.targets.verdict import Verdict
from edgetf.tflm.interpreter import run_tflm, tflm_available

#: Values of ``emit-firmware --features``: ``none`` emits the model alone; ``spectral``
#: (a run trained on a time-series CSV) :mod:`edgetf.codegen.motion_impulse`.
FEATURE_KINDS = ("audio", "spectral", "none")
#: ``edgetf_mismatch.output`` for a feature frame and for the streaming path's scores.
FEATURES_OUTPUT, STREAM_OUTPUT = -1, -2


@dataclass(frozen=True)
class Impulse:
    """A front end fitted to a model, with its raw-sample golden vectors."""

    front_end: AudioFrontEnd
    graph: PreparedModel = field(repr=False)
    clip_samples: int
    clip_frames: int
    labels: int
    streaming: StreamingConfig
    threshold_q: int
    clips: np.ndarray = field(repr=False)  # (n, clip_samples) int16
    features: np.ndarray = field(repr=False)  # (n, frames, channels) int8
    outputs: np.ndarray = field(repr=False)  # (n, labels) int8
    golden_source: str = ""

    @property
    def golden_bytes(self) -> int:
        return self.clips.nbytes + self.features.nbytes + self.outputs.nbytes

    @property
    def run_every_frames(self) -> int:
        return self.streaming.run_every_frames(self.front_end.config.stride_ms)

    @property
    def history(self) -> int:
        return self.streaming.history_size(self.front_end.config.stride_ms)

    def time_on(self, board: Board) -> FrontEndTime:
        """The estimated time of a clip's features on ``board``
        (:mod:`edgetf.targets.front_end_time`; tune adds it to a trial's latency)."""
        return front_end_time(self.front_end.config, self.clip_frames, board)

    def on_board(self, board: Board, model_ops: tuple[str, ...] = ()
                 ) -> tuple[Verdict, FrontEndLoad]:
        """The graph's verdict on ``board`` and the RAM and flash the front end adds there
        (:func:`~edgetf.targets.front_end.front_end_on_board`)."""
        c = self.front_end.config
        return front_end_on_board(self.graph, board, window_samples=c.window_samples,
                                  clip_frames=self.clip_frames, channels=c.channels,
                                  labels=self.labels, history=self.history,
                                  golden_bytes=self.golden_bytes, model_ops=model_ops)


def run_features(run: Path) -> dict | None:
    """The ``features`` record of a train-quantize run folder (None when it has none)."""
    path = Path(run) / "report.json"
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8")).get("features")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as error:
        raise DataError(f"{path}: cannot be read as a train-quantize report ({error}); run "
                        "train-quantize again") from None
    if record is not None and (not isinstance(record, dict) or record.get("kind") not in (
            "audio", *MOTION_KINDS)):
        raise DataError(f"{path}: its features record {record!r} names no front end edgetf"
                        " knows; run train-quantize again")
    if record is not None and record["kind"] in MOTION_KINDS:
        check_motion_record(record, str(path))
    return record


def choose_front_end(kind: str | None, document: dict | None, config_source: str,
                     run_record: dict | None) -> tuple[AudioFrontEnd | None, float | None]:
    """The front end to embed and the clip length (None: from the model's input), from
    ``--features``, the ``--config`` document and a run's record."""
    if kind is not None and kind not in FEATURE_KINDS:
        raise ConfigError(f"--features {kind!r} is not one of {', '.join(FEATURE_KINDS)};"
                          " e.g. --features audio")
    if kind == "none" or (kind is None and run_record is None):
        return None, None
    tables = (document or {}).get("features", {})
    table = tables.get("audio") if isinstance(tables, dict) else None
    if run_record is not None:
        trained = audio_front_end(run_record.get("config") or None, source="the run's report")
        if table is not None:
            asked = audio_front_end(table, source=config_source)
            if asked.config != trained.config:
                raise ConfigError(f"{config_source}: [features.audio] differs from the front"
                                  " end the run was trained with; drop the table, or train"
                                  " again with it")
        return trained, float(run_record.get("clip_ms", 1000))
    return audio_front_end(table, source=config_source), None


def make_impulse(prepared: PreparedModel, front_end: AudioFrontEnd, *,
                 clip_ms: float | None = None, streaming: dict | None = None,
                 config_source: str = "the config", clips: np.ndarray | None = None,
                 golden: int = 3) -> Impulse:
    """Fit ``front_end`` to ``prepared``'s model (one-line errors when they do not fit)
    and record the raw-sample golden vectors in the TFLM interpreter."""
    c = front_end.config
    model, source = prepared.model, prepared.source
    inputs, outputs = model.input_tensors(), model.output_tensors()
    if len(inputs) != 1 or len(outputs) != 1:
        raise FirmwareError(f"{source}: --features audio needs one input and one output, the"
                            f" model has {len(inputs)} and {len(outputs)}")
    elements = int(np.prod(inputs[0].shape))
    frames = elements // c.channels
    if inputs[0].dtype != "int8" or elements % c.channels or frames < 1:
        raise FirmwareError(
            f"{source}: --features audio gives {c.channels}-channel int8 frames, but the"
            f" model's input is {inputs[0].dtype} {list(inputs[0].shape)}; pass a model trained"
            " on this front end's features, or set [features.audio] channels in --config")
    if clip_ms is None:  # 1 s clips where they give the model's frames, else the fewest
        second = c.sample_rate
        clip_samples = second if c.frames(second) == frames else \
            c.window_samples + (frames - 1) * c.stride_samples
    else:
        clip_samples = int(clip_ms * c.sample_rate / 1000)
        if c.frames(clip_samples) != frames:
            raise FirmwareError(
                f"{source}: the model takes {frames} frames, but {clip_ms:g} ms clips give"
                f" {c.frames(clip_samples)}; emit from the run the model came from")
    if c.stride_samples > c.window_samples:
        raise FirmwareError(f"{source}: the front end's stride ({c.stride_ms:g} ms) is longer"
                            f" than its window ({c.window_ms:g} ms); streaming needs"
                            " overlapping or adjacent windows")
    if outputs[0].dtype != "int8" or not outputs[0].quantization:
        raise FirmwareError(f"{source}: --features audio needs an int8 output (one score per"
                            f" label), the model's is {outputs[0].dtype}")
    labels = int(np.prod(outputs[0].shape))
    config = streaming_config(streaming, source=config_source)
    q = outputs[0].quantization
    threshold_q = config.threshold_q(float(q.scales[0]), int(q.zero_points[0]))
    graph = prepare_model(front_end.model, "the audio front end", golden=0)
    clips, golden_source = _golden_clips(prepared, clips, clip_samples, golden, c.sample_rate)
    if len(clips) and tflm_available():
        features = audio_features(clips, front_end)[:, :frames]
        shaped = features.reshape((len(clips), *inputs[0].shape))
        scores = run_tflm(prepared.data, [shaped], reset_between=True)[0]
        scores = np.asarray(scores).reshape(len(clips), labels)
    else:
        clips = clips[:0]
        features = np.zeros((0, frames, c.channels), np.int8)
        scores = np.zeros((0, labels), np.int8)
    return Impulse(front_end, graph, clip_samples, frames, labels, config, threshold_q,
                   clips, features.astype(np.int8), scores.astype(np.int8), golden_source)


def _golden_clips(prepared: PreparedModel, clips: np.ndarray | None, clip_samples: int,
                  count: int, rate: int) -> tuple[np.ndarray, str]:
    """Up to ``count`` clips (:func:`~edgetf.targets.front_end.raw_golden_count`): the run's
    test clips,
    or seeded generated audio (a chirp under noise, seeded from the model's hash)."""
    count = raw_golden_count(count, clip_samples)
    if clips is not None and len(clips) and clips.shape[1] == clip_samples:
        return np.asarray(clips[:count], np.int16), "the run's test clips (samples.npz)"
    seed = int.from_bytes(hashlib.sha256(prepared.data).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    t = np.arange(clip_samples) / rate
    out = []
    for i in range(count):
        f0, f1 = rng.uniform(200, 1500), rng.uniform(1500, 6000)
        chirp = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * t[-1] + 1e-9)))
        envelope = np.clip(np.sin(np.pi * t / t[-1]) * 2, 0, 1)
        noise = rng.normal(0, 0.05, clip_samples)
        out.append(np.round((0.3 * chirp * envelope + noise) * 32767 * (0.5 + 0.2 * i)))
    clip_array = np.clip(np.array(out), -32768, 32767).astype(np.int16)
    return clip_array.reshape(count, clip_samples), \
        f"seeded generated audio (chirps under noise, seed {seed})"


def impulse_for(prepared: PreparedModel, features: str | None, config: Path | None,
                run_record: dict | None, clips: np.ndarray | None, golden: int,
                reporter: Reporter, windows: np.ndarray | None = None
                ) -> Impulse | MotionImpulse | None:
    """The impulse ``emit-firmware`` embeds (None: the model alone): ``--features`` and
    ``--config`` (its ``[features.audio]`` and ``[streaming]`` tables) and the run's record
    (a run trained on a time-series CSV brings its motion front end, its test ``windows``
    the golden vectors)."""
    if features is not None and features not in FEATURE_KINDS:
        raise ConfigError(f"--features {features!r} is not one of {', '.join(FEATURE_KINDS)};"
                          " e.g. --features audio")
    if run_record is not None and run_record.get("kind") in MOTION_KINDS:
        if not choose_motion(features, run_record):
            return None
        with reporter.stage(f"the {run_record['kind']} motion front end: raw-window golden"
                            " vectors under TFLM"):
            return make_motion_impulse(prepared, run_record, windows=windows, golden=golden)
    if features == "spectral":
        raise ConfigError("--features spectral needs the run the model was trained in: pass"
                          " --from RUN (train-quantize --data FILE.csv --features spectral"
                          " --out RUN); its report gives the sample rate, window and axes")
    document, source = None, "the config"
    if config is not None:
        document, source = read_toml(Path(config)), str(config)
    if features is None and config is not None and run_record is None and \
            "features" in (document or {}):
        raise ConfigError(f"{config}: has a [features] table but --features was not given; "
                          "pass --features audio to embed the front end")
    front_end, clip_ms = choose_front_end(features, document, source, run_record)
    if front_end is None:
        return None
    streaming = (document or {}).get("streaming")
    if streaming is not None and not isinstance(streaming, dict):
        raise ConfigError(f"{source}: [streaming] should be a table")
    with reporter.stage("the audio front end: raw-sample golden vectors under TFLM"):
        return make_impulse(prepared, front_end, clip_ms=clip_ms, streaming=streaming,
                            config_source=source, clips=clips, golden=golden)


def report_front_end(load: FrontEndLoad, reporter: Reporter,
                     timing: FrontEndTime | None = None) -> None:
    """One line on what the front end adds (and the time of a clip's features)."""
    took = (f"; a clip's {timing.frames} frames ~{readable_ms(timing.ms)} ms (an estimate)"
            if timing is not None else "")
    reporter.info(f"front end: arena {load.arena_bytes:,} B, ring of frames "
                  f"{load.ring_bytes:,} B, window {load.window_bytes:,} B, recognizer "
                  f"{load.recognizer_bytes:,} B: RAM +{load.ram_bytes:,} B; graph and raw golden "
                  f"vectors: flash +{load.flash_bytes:,} B (counted in the board's verdict)"
                  f"{took}")


