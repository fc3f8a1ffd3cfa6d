"""The ``edgetf`` command: options in, one library call, errors out as one line.

Commands only declare options and call the library. Every ``EdgetfError`` becomes
``error: <message>`` on stderr and its exit code; Ctrl-C exits 130. Nothing here
imports TensorFlow at module level, so commands that do not train stay fast.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from edgetf._version import __version__
from edgetf.base.errors import EdgetfError
from edgetf.base.progress import Reporter
from edgetf.cli.emit_command import emit_firmware_command
from edgetf.cli.features_command import features_command
from edgetf.cli.runner import run_command, state
from edgetf.cli.tune_command import tune_command
from edgetf.cli.validate_command import validate_command
from edgetf.targets.boards import BOARDS, describe_boards

app = typer.Typer(
    help="From a Keras model to a microcontroller: compress, quantize, emit TFLM firmware.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would dump weight arrays
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edgetf {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="No progress bars or tables; errors only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail.")] = False,
) -> None:
    state.update(quiet=quiet, verbose=verbose)




#: The board ids, for --help (the board table imports no TensorFlow).
_BOARD_IDS = tuple(BOARDS)


class BinaryWeights(str, Enum):
    """The values of ``--binary-weights`` (the same as ``edgetf.compress.binary.MODES``)."""

    inner = "inner"
    all = "all"


@app.command("train-quantize")
def train_quantize_command(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for model.tflite, model_float.tflite, model.keras, "
        "labels.txt and report.json. Must be new or empty (or use --force).")] = None,
    data: Annotated[str | None, typer.Option(
        help="Required (here or in the config file): 'digits' (built in: scikit-learn's 8x8 "
        "digits), FILE.npz (x_train, y_train, x_test, y_test, optional labels), FILE.csv "
        "(numeric features + a label column) or a FOLDER of WAV clips, one subfolder per "
        "label (Speech Commands layout; features by the TFLM audio front end, see "
        "docs/features.md).", show_default=False)] = None,
    board: Annotated[list[str] | None, typer.Option(
        help=f"A board the model must run on, repeatable: {', '.join(_BOARD_IDS)}. Where a "
        "board's TFLM needs per-tensor FULLY_CONNECTED weights (nano33ble) the model is "
        "converted so, and both conversions' accuracy reported. \\[default: every board]",
        show_default=False)] = None,
    model: Annotated[str | None, typer.Option(
        help="Built-in architecture (tiny-cnn, mlp, ds-cnn), a .keras / .h5 / SavedModel "
        "to fine-tune, or a PyTorch torch.export program (.pt2, the torch extra), converted "
        "as trained. \\[default: tiny-cnn for images, mlp for vectors]")] = None,
    label_column: Annotated[str | None, typer.Option(
        help="CSV column holding the class. \\[default: label]")] = None,
    features: Annotated[str | None, typer.Option(
        help="Front end for raw data: 'audio' (WAV folders; the default there), 'spectral' "
        "(per-axis RMS and FFT band powers of a time-series CSV's windows) or 'none' (the "
        "windows' samples); parameters in the config's \\[features.<kind>] table, see "
        "docs/features.md.", show_default=False)] = None,
    sample_rate: Annotated[float | None, typer.Option(
        help="Time-series CSV: samples per second of every row.")] = None,
    window_ms: Annotated[float | None, typer.Option(
        help="Time-series CSV: window length; giving it (or --features spectral/none) "
        "makes --data a time-series CSV.")] = None,
    stride_ms: Annotated[float | None, typer.Option(
        help="Time-series CSV: time between window starts. \\[default: half the window]")
    ] = None,
    recording_column: Annotated[str | None, typer.Option(
        help="Time-series CSV: the column naming each recording (windows never cross one; "
        "a recording stays in one split). \\[default: recording, if present]")] = None,
    width: Annotated[float | None, typer.Option(
        help="Built-in models: multiply every hidden layer's filters or units by W "
        "(rounded, at least 1), e.g. 0.5 for half the size. \\[default: 1]")] = None,
    depth: Annotated[int | None, typer.Option(
        help="Built-in models: the number of 3x3 convolutions (tiny-cnn), "
        "depthwise-separable blocks (ds-cnn) or hidden dense layers (mlp). "
        "\\[default: 2]")] = None,
    prune: Annotated[float | None, typer.Option(
        help="Target sparsity in [0, 1): fraction of weights set to zero "
        "(polynomial decay schedule).")] = None,
    prune_structure: Annotated[str | None, typer.Option(
        help="M:N structured sparsity, tfmot's convention: at least M zeros in every N "
        "consecutive weights, e.g. 2:4.")] = None,
    cluster: Annotated[int | None, typer.Option(
        help="Weight clustering: at most K distinct values per weight tensor (K >= 2).")] = None,
    cluster_per_channel: Annotated[bool | None, typer.Option(
        "--cluster-per-channel", help="Cluster each output channel of Conv2D separately.")
    ] = None,
    weight_bits: Annotated[int | None, typer.Option(
        help="B-bit weights for TFLM's look-up-table compression, B in 1..7: clusters to "
        "2^B values per output channel (Conv2D; per tensor for the other layers, as tfmot "
        "allows) and keeps them through QAT (CQAT, PCQAT after --prune). Replaces "
        "--cluster and --cluster-per-channel.")] = None,
    binary_weights: Annotated[BinaryWeights | None, typer.Option(
        help="XNOR-Net binary weights: each output channel of Conv2D, DepthwiseConv2D and "
        "Dense kernels becomes ±alpha (alpha = mean |W|; one alpha per tensor for Dense "
        "under QAT, which quantizes it per tensor), fine-tuned with a straight-through "
        "estimator, 1-bit LUT weights on the device. 'inner' keeps the first and last "
        "weighted layers 8-bit, 'all' binarizes them too. Not with --prune, --cluster or "
        "--weight-bits.", case_sensitive=False)] = None,
    qat: Annotated[bool | None, typer.Option(
        "--qat/--no-qat", help="Quantization-aware training before conversion. "
        "\\[default: --qat]")] = None,
    low_rank: Annotated[float | None, typer.Option(
        help="Low-rank factorization, before pruning: each Dense and 1x1 Conv2D weight "
        "matrix (m x n) becomes two layers of rank ceil(R * min(m, n)), R in (0, 1), "
        "started from the truncated SVD and fine-tuned; layers that would not get smaller "
        "are left alone and reported.")] = None,
    low_rank_energy: Annotated[float | None, typer.Option(
        help="Instead of --low-rank: per layer, the smallest rank keeping this share E in "
        "(0, 1] of the squared singular values.")] = None,
    distill_from: Annotated[str | None, typer.Option(
        help="Knowledge distillation: the teacher, a .keras / .h5 model or the --out folder "
        "of an earlier train-quantize run, trained on the same data. --model is the "
        "student; its training and every step's fine-tuning learn from the teacher's "
        "softened outputs as well as from the labels.")] = None,
    distill_temperature: Annotated[float | None, typer.Option(
        help="Softens both models' outputs in the distillation loss; higher shows the "
        "student more of how the teacher ranks the wrong classes. \\[default: 4]")] = None,
    distill_alpha: Annotated[float | None, typer.Option(
        help="Weight in [0, 1] of the teacher's soft targets; the labels get 1 - A. "
        "\\[default: 0.9]")] = None,
    distill_baseline: Annotated[bool | None, typer.Option(
        "--distill-baseline", help="Also train the student alone (same seed and epochs) "
        "and report its accuracy next to the teacher's and the distilled student's.")
    ] = None,
    epochs: Annotated[int | None, typer.Option(
        help="Training epochs. \\[default: 20 for built-in models, --fine-tune-epochs for "
        "your own model]")] = None,
    fine_tune_epochs: Annotated[int | None, typer.Option(
        help="Epochs of fine-tuning in each step (low-rank, prune, cluster, QAT). "
        "\\[default: 4]")] = None,
    learning_rate: Annotated[float | None, typer.Option(
        help="Adam learning rate for training (a tenth of it to fine-tune your own model). "
        "\\[default: 0.001]")] = None,
    calibration_samples: Annotated[int | None, typer.Option(
        help="Training samples used to calibrate int8 ranges. \\[default: 200]")] = None,
    validation_fraction: Annotated[float | None, typer.Option(
        help="Share of the training data held out for validation. \\[default: 0.1]")] = None,
    clip_ms: Annotated[float | None, typer.Option(
        help="WAV folders: every clip is padded with zeros, or cut, at its end to this many "
        "milliseconds; emit-firmware's ring buffer holds as much. \\[default: 1000]")] = None,
    seed: Annotated[int | None, typer.Option(
        help="Seed for splits, initialisation and shuffling. \\[default: 42]")] = None,
    force: Annotated[bool | None, typer.Option(
        "--force", help="Replace a non-empty --out folder.")] = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file with any of these options (e.g. prune = 0.5); flags override it.",
        envvar="EDGETF_CONFIG")] = None,
) -> None:
    """Train (or fine-tune, or distill), factor, prune, cluster and
    quantization-aware-train a Keras model into a full-int8 TFLite model, then measure
    it under LiteRT and TFLM.

    Example: edgetf train-quantize --data digits --prune 0.5 --cluster 16 --out runs/digits

    Example: edgetf train-quantize --data digits --weight-bits 2 --out runs/2bit

    Example: edgetf train-quantize --data digits --binary-weights inner --out runs/bwn
    """

    # Every flag is named after its option (TrainQuantizeOptions): passed on by name.
    given = {name: value for name, value in locals().items() if value is not None}

    def action(reporter: Reporter) -> None:
        from edgetf.train.options import FIELD_NAMES, load_options
        from edgetf.train.report import render_summary
        from edgetf.train.train_quantize import train_quantize

        values = {name: value for name, value in given.items() if name in FIELD_NAMES}
        values.update(
            out=str(out) if out else None, boards=tuple(board) if board else None,
            binary_weights=binary_weights.value if binary_weights else None)
        options = load_options(config, require_data=True, **values)
        if not options.out:
            raise EdgetfError(
                "--out is required (here or in the config file), e.g. --out runs/digits")
        result = train_quantize(options, reporter)
        if not reporter.quiet:
            render_summary(result.report, reporter.console)
            source = "model.keras" if result.keras_model is not None else "model.pt2"
            reporter.info(f"wrote {result.out}/ (model.tflite, model_float.tflite, {source}, "
                          f"labels.txt, samples.npz, report.json)")
            boards = result.report["boards"]
            others = f" (or {', '.join(boards[1:])})" if len(boards) > 1 else ""
            reporter.info(f"next: edgetf emit-firmware --from {result.out} --board "
                          f"{boards[0]} --out fw/{boards[0]}{others}")

    run_command(action)


# Registered here, written beside: its options are many (edgetf/cli/tune_command.py).
app.command("tune")(tune_command)

# Registered here, written beside (edgetf/cli/emit_command.py).
app.command("emit-firmware")(emit_firmware_command)
app.command("features")(features_command)


@app.command("inspect", short_help=(
    "Describe a .tflite without TensorFlow: quantization, per-op MACs and TFLM support, "
    "arena, flash, and per board the fit and an estimated latency."))
def inspect_command(
    model: Annotated[Path, typer.Argument(
        help="Any .tflite: int8, float, hybrid, int16x8 or mixed; models TFLM cannot run "
        "are described too.", metavar="MODEL", show_default=False)],
    board: Annotated[str | None, typer.Option(
        help=f"Judge only this board (tables and JSON): {describe_boards(detail=False)}. "
        "\\[default: all boards]")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object on stdout instead of tables.")] = False,
    compress: Annotated[str, typer.Option(
        help="Judge the boards by the model emit-firmware --compress would store: auto "
        "(look-up-table weights where they save flash for little arena), always (wherever "
        "they save flash and fit) or off.")] = "auto",
    features: Annotated[str | None, typer.Option(
        help="audio: judge the library with the audio front end embedded (its arena, ring "
        "buffer and graph counted), as emit-firmware --features audio emits it.",
        show_default=False)] = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file with \\[features.audio] and \\[streaming] tables, for --features.",
        show_default=False)] = None,
) -> None:
    """Describe a .tflite without TensorFlow: quantization, inputs, outputs, per-op MACs and
    TFLM support, arena, flash, the weights that store as look-up tables, and per board the
    fit and an estimated latency.

    Example: edgetf inspect runs/digits/model.tflite --board nano33ble
    """

    def action(reporter: Reporter) -> None:
        import json

        from rich.console import Console

        from edgetf.analyze.inspect import inspect_file
        from edgetf.analyze.inspect_view import render_inspection

        inspection = inspect_file(model, boards=(board,) if board else None,
                                  compress=compress, reporter=reporter, features=features,
                                  config=config)
        if as_json:
            typer.echo(json.dumps(inspection.to_dict()))
        else:
            render_inspection(inspection, Console(highlight=False))

    run_command(action)


app.command("validate")(validate_command)  # edgetf/cli/validate_command.py


# Options shared by flash and monitor.
_ProjectOption = Annotated[Path | None, typer.Option(
    "--project", "-p", help="Firmware project folder (the --out of edgetf emit-firmware, "
    "holding platformio.ini). \\[default: the current folder]")]
_PortOption = Annotated[str | None, typer.Option(
    help="Serial port of the board, e.g. /dev/ttyUSB0 or COM3. "
    "\\[default: PlatformIO detects it]", envvar="EDGETF_PORT")]


@app.command("flash")
def flash_command(
    project: _ProjectOption = None,
    port: _PortOption = None,
    env: Annotated[str | None, typer.Option(
        help="PlatformIO environment to upload. \\[default: default_envs in "
        "platformio.ini, else its only environment]")] = None,
) -> None:
    """Build the firmware project and upload it to the board with PlatformIO
    (needs the flash extra: pip install 'edgetf\\[flash]').

    Example: edgetf flash --project fw/esp32 --port /dev/ttyUSB0
    """

    def action(reporter: Reporter) -> None:
        from edgetf.codegen.platformio import flash

        flash(project or Path.cwd(), port=port, env=env, reporter=reporter)

    run_command(action)


@app.command("monitor")
def monitor_command(
    project: _ProjectOption = None,
    port: _PortOption = None,
    baud: Annotated[int | None, typer.Option(
        min=1, help="Baud rate. \\[default: monitor_speed in platformio.ini, 115200 for "
        "edgetf projects]")] = None,
    env: Annotated[str | None, typer.Option(
        help="PlatformIO environment whose monitor settings to use. \\[default: "
        "default_envs in platformio.ini, else its only environment]")] = None,
) -> None:
    """Show the board's serial output with PlatformIO's monitor; Ctrl-C quits
    (needs the flash extra: pip install 'edgetf\\[flash]').

    Example: edgetf monitor --project fw/esp32 --port /dev/ttyUSB0
    """

    def action(reporter: Reporter) -> None:
        from edgetf.codegen.platformio import monitor

        monitor(project or Path.cwd(), port=port, baud=baud, env=env, reporter=reporter)

    run_command(action)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="edgetf")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
