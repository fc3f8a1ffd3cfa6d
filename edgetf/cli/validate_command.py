"""The ``edgetf validate`` command: the int8 model against its reference on labelled data
(:func:`edgetf.analyze.validate.validate`), and on a folder of clips with a model trained
from audio, the streaming figures (false activations per hour, miss rate)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgetf.base.progress import Reporter
from edgetf.cli.runner import run_command


def validate_command(
    model: Annotated[Path, typer.Option(
        help="The int8 .tflite to check (e.g. runs/digits/model.tflite), or the run folder "
        "holding it.")],
    reference: Annotated[Path | None, typer.Option(
        help="Its float version: a .tflite (e.g. runs/digits/model_float.tflite) or a Keras "
        "model. Needed for the drop and the output error.")] = None,
    data: Annotated[str, typer.Option(
        help="Labelled data, as for train-quantize: 'digits', FILE.npz, FILE.csv or a "
        "folder of WAV clips (its test split is used; a folder needs a model trained from "
        "audio); or an .npz holding only x, unlabelled samples (agreement and output error "
        "only).")] = "digits",
    label_column: Annotated[str | None, typer.Option(
        help="CSV column holding the class. \\[default: label]")] = None,
    max_drop: Annotated[float | None, typer.Option(
        help="Gate: exit 1 when int8 accuracy is more than this many points below the "
        "reference's.")] = None,
    report: Annotated[Path | None, typer.Option(
        help="Also write a self-contained HTML page (tables, confusion matrix, per-class "
        "accuracy, output error histogram; for audio clips, false activations per hour and "
        "miss rate against the threshold), e.g. validation.html; written even when the "
        "gate fails.")] = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file whose \\[streaming] table sets the keyword recognizer (as for "
        "emit-firmware); audio clips only. \\[default: the recognizer's defaults]")] = None,
    stream_minutes: Annotated[float, typer.Option(
        help="Audio clips: minutes of background stream for the false activations per "
        "hour (0: no streaming figures).")] = 10.0,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object on stdout instead of tables.")] = False,
) -> None:
    """Compare the int8 model with its reference on labelled data: accuracies, agreement,
    confusion matrix, output error, LiteRT against TFLM; a CI gate with --max-drop.

    Example: edgetf validate --model runs/digits/model.tflite --reference
    runs/digits/model_float.tflite --max-drop 1 --report validation.html
    """

    def action(reporter: Reporter) -> None:
        import json

        from rich.console import Console

        from edgetf.analyze.validate import ValidateOptions, validate
        from edgetf.analyze.validation import render_validation

        result = validate(ValidateOptions(model=model, reference=reference, data=data,
                                          label_column=label_column, max_drop=max_drop,
                                          report=report, config=config,
                                          stream_minutes=stream_minutes),
                          reporter)
        if as_json:
            typer.echo(json.dumps(result.to_dict()))
        else:
            render_validation(result, Console(highlight=False))
        if report is not None:
            reporter.info(f"report: {report}")

    run_command(action)
