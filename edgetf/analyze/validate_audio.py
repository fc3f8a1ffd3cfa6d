"""``validate`` on a model trained from audio clips: the run's front end found, the held-out
clips of the raw folder turned into the model's input by that front end (TFLM
interpreter), and the streaming calibration (false activations per hour and miss rate
against the threshold, :mod:`edgetf.analyze.kws_calibration`).

The run is found from ``--model``: a train-quantize ``--out`` folder, or a ``.tflite``
inside one; its ``report.json`` says which front end computed the training features,
the clip length and the seed (so the seeded speaker split is the one training used).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgetf.analyze.kws_calibration import calibrate
from edgetf.analyze.kws_streams import build_streams
from edgetf.base.errors import ConfigError, DataError
from edgetf.base.toml_file import read_toml
from edgetf.data.audio_folder import AudioFolder, read_audio_folder
from edgetf.features.audio import AudioFrontEnd, audio_features, audio_front_end
from edgetf.features.stream_runs import stream_model
from edgetf.features.streaming import StreamingConfig, streaming_config


@dataclass(frozen=True)
class AudioRun:
    """What validate needs of a run trained from audio clips."""

    front_end: AudioFrontEnd
    clip_ms: float
    seed: int


def model_path(model: Path) -> Path:
    """``--model``: a ``.tflite``, or a run folder holding ``model.tflite``."""
    model = Path(model)
    if model.is_dir():
        if not (model / "model.tflite").is_file():
            raise ConfigError(f"{model}: is a folder without model.tflite; pass a .tflite or"
                              " the --out folder of edgetf train-quantize")
        return model / "model.tflite"
    return model


def audio_run(model: Path) -> AudioRun | None:
    """The run's audio front end, from the ``report.json`` beside ``model`` (None when
    there is no report or it records no audio front end)."""
    report = Path(model).parent / "report.json"
    if not report.is_file():
        return None
    try:
        document = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{report}: cannot be read as a train-quantize report ({error}); run"
                        " train-quantize again") from None
    record = document.get("features") if isinstance(document, dict) else None
    if not isinstance(record, dict) or record.get("kind") != "audio":
        return None
    options = document.get("options") if isinstance(document.get("options"), dict) else {}
    front_end = audio_front_end(record.get("config") or None, source=str(report))
    return AudioRun(front_end, float(record.get("clip_ms", 1000)), int(options.get("seed", 42)))


def require_audio_run(run: AudioRun | None, model: Path, data: str) -> AudioRun:
    """One line when a folder of clips comes with a model that was not trained on them."""
    if run is None:
        raise DataError(f"{data}: is a folder of audio clips, but {model} was not trained"
                        " from audio (no report.json beside it recording the audio front"
                        " end); pass the --out folder of train-quantize --data"
                        f" {data}, or data of the model's own kind")
    return run


def read_clips(data: str, run: AudioRun) -> AudioFolder:
    """The folder's clips at the run's rate and length, split as training split them."""
    rate = run.front_end.config.sample_rate
    return read_audio_folder(data, rate, int(run.clip_ms * rate / 1000), run.seed)


def held_out_inputs(found: AudioFolder, run: AudioRun, data: str
                ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The test clips' features as the model's float input (int8 frames / 128, exactly what
    train-quantize fed it), their labels, and the label names."""
    held = found.split == "test"
    if not held.any():
        raise DataError(f"{data}: its test split is empty; add clips or list some in"
                        " testing_list.txt")
    features = audio_features(found.clips[held], run.front_end)
    return (features / np.float32(128))[..., np.newaxis], found.y[held], found.labels


def recognizer_config(config: Path | None) -> StreamingConfig:
    """The recognizer's settings: ``--config``'s ``[streaming]`` table, else the defaults
    (the same table emit-firmware reads, so both see one recognizer)."""
    if config is None:
        return streaming_config()
    document = read_toml(Path(config))
    table = document.get("streaming")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{config}: [streaming] should be a table")
    return streaming_config(table, source=str(config))


def streaming_figures(model_bytes: bytes, model_source: str, found: AudioFolder,
                      run: AudioRun, config: StreamingConfig, minutes: float, data: str,
                      seed: int) -> dict:
    """The calibration record (:func:`~edgetf.analyze.kws_calibration.calibrate`)."""
    model = stream_model(model_bytes, run.front_end, model_source)
    rate = run.front_end.config.sample_rate
    streams = build_streams(found, int(run.clip_ms * rate / 1000), rate, config,
                            background_s=minutes * 60, seed=seed, source=data)
    record = calibrate(streams, run.front_end, model, config, run.clip_ms)
    record["keyword_labels"] = [found.labels[i] for i in record["keyword_labels"]]
    return record
