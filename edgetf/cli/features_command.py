"""The ``edgetf features`` command: one clip's features, printed or saved
(:func:`edgetf.features.clip.clip_features`), or a time-series CSV's windows' features
(:func:`edgetf.features.motion_dataset.csv_features`). Never imports TensorFlow."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from edgetf.base.errors import ConfigError
from edgetf.base.progress import Reporter
from edgetf.cli.runner import run_command


class FrontEnd(str, Enum):
    """The values of ``--features`` (``edgetf.features.clip.FRONT_ENDS`` and spectral)."""

    audio = "audio"
    spectral = "spectral"


def features_command(
    file: Annotated[Path, typer.Argument(
        help="A WAV file (16-bit PCM mono at the front end's sample rate), or a time-series "
        "CSV with --features spectral.")],
    features: Annotated[FrontEnd, typer.Option(
        help="The front end: 'audio' (log-mel with noise reduction and PCAN; by default "
        "TFLM micro_speech's, 49x40 int8 for 1 s at 16 kHz) or 'spectral' (per-axis RMS "
        "and FFT band powers of a CSV's windows).")] = FrontEnd.audio,
    config: Annotated[Path | None, typer.Option(
        help="TOML file whose \\[features.audio] or \\[features.spectral] table sets the "
        "front end's parameters (see docs/features.md).", envvar="EDGETF_CONFIG")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Save the features as an int8 .npy file ((frames, channels) "
        "or (windows, features)) instead of printing them.")] = None,
    sample_rate: Annotated[float | None, typer.Option(
        help="Spectral: the CSV's samples per second.")] = None,
    window_ms: Annotated[float | None, typer.Option(
        help="Spectral: window length.")] = None,
    stride_ms: Annotated[float | None, typer.Option(
        help="Spectral: time between window starts. \\[default: half the window]")] = None,
    label_column: Annotated[str | None, typer.Option(
        help="Spectral: the CSV's label column, not an axis. \\[default: label, if "
        "present]")] = None,
) -> None:
    """Compute one clip's features, or a time-series CSV's windows' features, with the
    front end's TFLM graph, as the board will, and print them (one frame or window per
    line) or save them.

    Example: edgetf features yes.wav --out yes.npy

    Example: edgetf features walk.csv --features spectral --sample-rate 50 --window-ms 2000
    """

    def action(reporter: Reporter) -> None:
        from edgetf.features.clip import clip_features, describe, format_features, save_features
        from edgetf.train.options import read_toml

        document = read_toml(config) if config else None
        source = str(config) if config else "the config"
        if features is FrontEnd.spectral:
            from edgetf.features.motion_dataset import csv_features, describe_csv

            if sample_rate is None or window_ms is None:
                raise ConfigError("--features spectral needs --sample-rate HZ and"
                                  " --window-ms MS, e.g. --sample-rate 50 --window-ms 2000")
            values, front_end, _ = csv_features(
                file, document, sample_rate=sample_rate, window_ms=window_ms,
                stride_ms=stride_ms, label_column=label_column, source=source)
            line = describe_csv(file, values, front_end)
        else:
            if any(v is not None for v in (sample_rate, window_ms, stride_ms, label_column)):
                raise ConfigError("--sample-rate, --window-ms, --stride-ms and --label-column"
                                  " cut a time-series CSV: add --features spectral")
            values, front_end = clip_features(file, features.value, document, source)
            line = describe(file, values, front_end)
        if out is not None:
            save_features(values, out)
            reporter.info(f"{line}; saved to {out}")
        else:
            typer.echo(line)
            typer.echo(format_features(values))

    run_command(action)
