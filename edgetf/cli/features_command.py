"""The ``edgetf features`` command: one clip's features, printed or saved
(:func:`edgetf.features.clip.clip_features`). Never imports TensorFlow."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from edgetf.base.progress import Reporter
from edgetf.cli.runner import run_command


class FrontEnd(str, Enum):
    """The values of ``--features`` (the keys of ``edgetf.features.clip.FRONT_ENDS``)."""

    audio = "audio"


def features_command(
    file: Annotated[Path, typer.Argument(
        help="A WAV file: 16-bit PCM mono at the front end's sample rate.")],
    features: Annotated[FrontEnd, typer.Option(
        help="The front end: 'audio' (log-mel with noise reduction and PCAN; by default "
        "TFLM micro_speech's, 49x40 int8 for 1 s at 16 kHz).")] = FrontEnd.audio,
    config: Annotated[Path | None, typer.Option(
        help="TOML file whose \\[features.audio] table sets the front end's parameters "
        "(sample_rate, window_ms, stride_ms, channels, lower_hz, upper_hz, "
        "noise_reduction, pcan, ...).", envvar="EDGETF_CONFIG")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Save the (frames, channels) int8 array as a .npy file "
        "instead of printing it.")] = None,
) -> None:
    """Compute one clip's features with the front end's TFLM graph, as the board will,
    and print them (one frame per line) or save them.

    Example: edgetf features yes.wav --out yes.npy
    """

    def action(reporter: Reporter) -> None:
        from edgetf.features.clip import clip_features, describe, format_features, save_features
        from edgetf.train.options import read_toml

        document = read_toml(config) if config else None
        values, front_end = clip_features(file, features.value, document,
                                          str(config) if config else "the config")
        if out is not None:
            save_features(values, out)
            reporter.info(f"{describe(file, values, front_end)}; saved to {out}")
        else:
            typer.echo(describe(file, values, front_end))
            typer.echo(format_features(values))

    run_command(action)
