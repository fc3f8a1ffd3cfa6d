"""The ``edgetf tune`` command: its options, one library call (:func:`edgetf.tune.tune.tune`).

Kept out of :mod:`edgetf.cli.app` only for length; the app registers it. Nothing here imports
TensorFlow or Optuna at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgetf.base.progress import Reporter
from edgetf.cli.runner import run_command
from edgetf.targets.boards import describe_boards


def tune_command(
    board: Annotated[str | None, typer.Option(
        help=f"The board every trial must fit: {describe_boards(detail=False)}.",
        envvar="EDGETF_BOARD")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder of the study: study.journal, trials/NNNN/ (one "
        "train-quantize run per trial), trials.csv, tune.html and best/. Running the "
        "command again on it adds trials.")] = None,
    data: Annotated[str | None, typer.Option(
        help="As for train-quantize: 'digits', FILE.npz or FILE.csv; trials are scored on "
        "its validation split. \\[default: digits]")] = None,
    max_ram: Annotated[int | None, typer.Option(
        help="Cap on the tensor arena declared for the board, in bytes (inspect --board's "
        "arena).")] = None,
    max_flash: Annotated[int | None, typer.Option(
        help="Cap on the model's flash, in bytes: its array as emit-firmware stores it for "
        "the board (look-up-table weights where they pay) plus the TFLM code for its ops "
        "(inspect --board's model and code figures).")] = None,
    max_latency_ms: Annotated[float | None, typer.Option(
        help="Cap on the estimated latency of one inference on the board; also makes "
        "latency an objective.")] = None,
    runtime: Annotated[str | None, typer.Option(
        help="Whose arena --max-ram and the board's RAM hold the trials to: tflm (the "
        "interpreter's) or compiled (the static plan of emit-firmware --runtime compiled; "
        "a model it cannot run is judged on TFLM, as emit-firmware would keep it there) or "
        "auto (compiled, except where only the TFLM library fits the board, as emit-firmware "
        "--runtime auto chooses). \\[default: tflm]")] = None,
    trials: Annotated[int | None, typer.Option(
        help="New trials to run (all workers together); 0 only reports the study. "
        "\\[default: 20]")] = None,
    timeout: Annotated[float | None, typer.Option(
        help="Start no trial after this many seconds (running ones finish).")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes on this machine, one core's worth of threads each. "
        "\\[default: 1, in this process]")] = None,
    storage: Annotated[str | None, typer.Option(
        help="Where the study lives: a database URL (postgresql://user:password@host/db, "
        "shared by workers on many machines) or a journal file. \\[default: "
        "OUT/study.journal]", envvar="EDGETF_TUNE_STORAGE")] = None,
    study: Annotated[str | None, typer.Option(
        help="Study name in the storage. \\[default: edgetf-tune]")] = None,
    seed: Annotated[int | None, typer.Option(
        help="Seed of the sampler and of every trial's training. \\[default: 42]")] = None,
    model: Annotated[str | None, typer.Option(
        help="Fix the architecture (tiny-cnn, ds-cnn, mlp: its width and depth are still "
        "searched) or give your own .keras / .h5 / SavedModel, of which only the compression "
        "steps are searched. \\[default: the architecture is searched]")] = None,
    label_column: Annotated[str | None, typer.Option(
        help="CSV column holding the class. \\[default: label]")] = None,
    distill_from: Annotated[str | None, typer.Option(
        help="A teacher (as for train-quantize): whether to distill from it is searched.")
    ] = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file with a \\[tune] table (any of these options, and train-quantize "
        "options fixed for every trial) and a \\[tune.space] table overriding the search "
        "space; flags override it.", envvar="EDGETF_CONFIG")] = None,
) -> None:
    """Search architectures, training and compression steps for the most accurate
    int8 models that fit a board and your caps (Optuna; multi-objective: accuracy against
    flash and RAM); write the Pareto front and the chosen run folder.

    Example: edgetf tune --data digits --board nano33ble --max-flash 95000 --max-ram 2400
    --trials 30 --out runs/tune
    """

    def action(reporter: Reporter) -> None:
        from edgetf.tune.options import load_tune_options
        from edgetf.tune.results import render_result
        from edgetf.tune.tune import tune

        options = load_tune_options(
            config, out=str(out) if out else None, board=board, data=data, max_ram=max_ram,
            max_flash=max_flash, max_latency_ms=max_latency_ms, runtime=runtime, trials=trials,
            timeout=timeout, workers=workers, storage=storage, study=study, seed=seed,
            model=model, label_column=label_column, distill_from=distill_from)
        result = tune(options, reporter)
        if not reporter.quiet:
            render_result(result, options, reporter.console)

    run_command(action)
