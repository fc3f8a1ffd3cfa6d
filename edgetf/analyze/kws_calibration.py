"""False activations per hour and miss rate against the detection threshold: the two
figures a keyword-spotting user tunes, measured on the streams of
:mod:`edgetf.analyze.kws_streams` through the board's own pipeline in Python (front end
and model in the TFLM interpreter, :mod:`edgetf.features.stream_runs`; the recognizer's
twin of ``edgetf_recognize.h``).

The model runs once per stream; only the recognizer is replayed per threshold, since its
scores do not depend on it. Counting (:func:`count`):

- on the background stream, every keyword reported is a **false activation**;
- on the keyword stream, an inserted keyword is **heard** when its own label is reported
  between the start of its clip and ``clip + average window`` after it (the averaged
  scores lag the audio by up to one window), and **missed** otherwise; a missed keyword
  for which another keyword was reported there is also counted as **confused**; keywords
  reported outside every clip's span are **stray** (shown, not in the rates).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from edgetf.analyze.kws_streams import KwsStreams, Stream
from edgetf.features.audio import AudioFrontEnd
from edgetf.features.stream_runs import StreamModel, StreamRuns, recognize, stream_runs
from edgetf.features.streaming import Detection, StreamingConfig

#: Thresholds of the sweep, with the config's own added.
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass(frozen=True)
class Counts:
    false_activations: int = 0
    heard: int = 0
    missed: int = 0
    confused: int = 0
    stray: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


def astuple(counts: Counts) -> tuple[int, ...]:
    return tuple(asdict(counts).values())


def count(detections: list[Detection], stream: Stream, keywords: tuple[int, ...],
          background: bool, lag_ms: int) -> Counts:
    """What ``detections`` on ``stream`` mean (see the module docstring); ``lag_ms`` is
    how long after a clip's end its keyword may still be reported."""
    reported = [d for d in detections if d.label_index in keywords]
    if background:
        return Counts(false_activations=len(reported))
    used = [False] * len(reported)
    heard = confused = 0
    for start, end, label in stream.events:
        near = [i for i, d in enumerate(reported) if start <= d.time_ms <= end + lag_ms]
        for i in near:
            used[i] = True
        if any(reported[i].label_index == label for i in near):
            heard += 1
        elif near:
            confused += 1
    return Counts(heard=heard, missed=len(stream.events) - heard, confused=confused,
                  stray=used.count(False))


def calibrate(streams: KwsStreams, front_end: AudioFrontEnd, model: StreamModel,
              config: StreamingConfig, clip_ms: float,
              thresholds: tuple[float, ...] = THRESHOLDS) -> dict:
    """The sweep as a JSON-ready record: the streams, the recognizer's settings and one
    row per threshold (``rows``), the config's threshold's row as ``at_threshold``."""
    runs = {"background": [stream_runs(s.samples, front_end, model, config)
                           for s in streams.background],
            "keywords": [stream_runs(s.samples, front_end, model, config)
                         for s in streams.keywords]}
    return sweep(streams, runs, model, config, front_end.config.stride_ms, clip_ms,
                 thresholds)


def sweep(streams: KwsStreams, runs: dict[str, list[StreamRuns]], model: StreamModel,
          config: StreamingConfig, stride_ms: float, clip_ms: float,
          thresholds: tuple[float, ...] = THRESHOLDS) -> dict:
    """:func:`calibrate` from the model runs of each stream (``runs["background"]`` and
    ``runs["keywords"]``, one :class:`StreamRuns` per stream, in order)."""
    lag = int(clip_ms) + config.average_window_ms
    rows = []
    for threshold in sorted({*thresholds, config.detection_threshold}):
        swept = replace(config, detection_threshold=threshold)
        q = model.threshold_q(swept)
        total = Counts()
        for name, pieces in (("background", streams.background),
                             ("keywords", streams.keywords)):
            for stream, stream_run in zip(pieces, runs[name], strict=True):
                total += count(recognize(stream_run, model, swept, stride_ms, q), stream,
                               streams.keyword_labels, name == "background", lag)
        rows.append(_row(threshold, q, total, streams))
    at = next(r for r in rows if r["threshold"] == config.detection_threshold)
    return {
        "streams": streams.description,
        "background_hours": streams.background_hours,
        "keywords": streams.keyword_count,
        "keyword_labels": list(streams.keyword_labels),
        "model_runs": int(sum(len(r.times_ms) for pieces in runs.values() for r in pieces)),
        "recognizer": asdict(config),
        "rows": rows,
        "at_threshold": at,
    }


def _row(threshold: float, threshold_q: int, counts: Counts, streams: KwsStreams) -> dict:
    hours = streams.background_hours
    keywords = streams.keyword_count
    return {"threshold": threshold, "threshold_q": threshold_q, **asdict(counts),
            "false_activations_per_hour": counts.false_activations / hours if hours else None,
            "miss_rate": counts.missed / keywords if keywords else None}


def threshold_table(record: dict) -> list[tuple[str, ...]]:
    """The sweep as text rows (threshold, int8 steps, FA/h, false activations, miss rate,
    missed, confused, stray), for the terminal and the HTML report."""
    out = []
    for row in record["rows"]:
        fa = row["false_activations_per_hour"]
        miss = row["miss_rate"]
        out.append((f"{row['threshold']:.2f}", str(row["threshold_q"]),
                    "-" if fa is None else f"{fa:.1f}", str(row["false_activations"]),
                    "-" if miss is None else f"{100 * miss:.1f} %", str(row["missed"]),
                    str(row["confused"]), str(row["stray"])))
    return out


#: FA: false activations (keywords reported on the background stream).
THRESHOLD_COLUMNS = ("threshold", "int8 steps", "FA / h", "FA", "miss rate", "missed",
                     "confused", "stray")
