"""``edgetf emit-firmware``: its options and summary line.

Kept out of :mod:`edgetf.cli.app` only for length; the app registers it. Nothing here imports
TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgetf.base.progress import Reporter
from edgetf.cli.runner import run_command
from edgetf.targets.boards import describe_boards


def emit_firmware_command(
    board: Annotated[str | None, typer.Option(
        help=f"Target board: {describe_boards()}. Required.", envvar="EDGETF_BOARD",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for the PlatformIO project. Must be new or empty "
        "(or use --force). Required.", show_default=False)] = None,
    model: Annotated[Path | None, typer.Option(
        help="Any .tflite: full int8 (normal), float (allowed, with a warning); hybrid "
        "models are refused.")] = None,
    from_run: Annotated[Path | None, typer.Option(
        "--from", help="The --out folder of train-quantize: its model.tflite, labels.txt "
        "and test samples (for the golden vectors).")] = None,
    name: Annotated[str | None, typer.Option(
        help="Library name, made a C identifier: lib/<name>_inferencing, and the prefix of "
        "its C API (<name>_init, <name>_run, ...): give each model of one firmware its own. "
        "\\[default: the model file's or run folder's name; for tune's best/ the study "
        "folder's]")] = None,
    labels: Annotated[Path | None, typer.Option(
        help="Text file with one class label per line, in output order.")] = None,
    golden: Annotated[int, typer.Option(
        help="Golden vectors to embed for edgetf_self_test() (0 for none; capped at 32 KB).")
    ] = 3,
    compress: Annotated[str, typer.Option(
        help="auto: store weights with few distinct values per channel (after --cluster, "
        "--weight-bits, --binary-weights) as 1-7 bit look-up tables that TFLM's DECODE op "
        "expands at run time (lossless; less flash, more arena while each is live), where "
        "that grows the planned arena by at most max(256 B, 2 %) or the model would not fit "
        "flash otherwise, and drop the names TFLM never reads. always: every table that "
        "saves flash, while the model fits the board's RAM. off: store the .tflite byte for "
        "byte.")] = "auto",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a non-empty --out folder, and emit even when the model "
        "does not fit the board's flash or RAM.")] = False,
    features: Annotated[str | None, typer.Option(
        help="audio: embed the audio front end, so that the library takes raw int16 samples "
        "(<name>_classify, <name>_push_samples); the model must take its int8 frames. "
        "spectral: a run trained on a time-series CSV keeps its front end (raw float windows "
        "in: <name>_classify_float). none: the model alone. \\[default: the run's front end "
        "when --from names a run trained from WAV clips or a time-series CSV, else none]",
        show_default=False)] = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file: \\[features.audio] (the front end's parameters, for --features "
        "audio) and \\[streaming] (run_every_ms, average_window_ms, detection_threshold, "
        "suppression_ms, minimum_count).", show_default=False)] = None,
    output_format: Annotated[str, typer.Option(
        "--format", help="platformio: a PlatformIO project (the library in "
        "lib/<name>_inferencing/). arduino-zip: <name>_inferencing.zip for the Arduino IDE "
        "(Sketch > Include Library > Add .ZIP Library), with a self-test and a serial-input "
        "example; nano33ble only.")] = "platformio",
    runtime: Annotated[str, typer.Option(
        help="tflm: the model's flatbuffer run by TFLM's interpreter. compiled: the model as "
        "one C function calling the board's kernel library (CMSIS-NN, ESP-NN on the ESP boards), "
        "const weights and parameters, the arena a static plan (smaller), same C API and "
        "golden vectors; a model with an op it lacks keeps tflm, with a warning naming it. "
        "auto: compiled where it has a kernel for every op and fits the board, else tflm; "
        "one line says which and why.")] = "tflm",
) -> None:
    """Generate a C++ library (TFLM, exactly the model's ops, the weights as look-up tables
    where that saves flash, the arena planned for the board's TFLM build and kernels, golden
    vectors) and a PlatformIO project that runs it.

    Example: edgetf emit-firmware --from runs/digits --board esp32 --out fw/esp32
    """

    def action(reporter: Reporter) -> None:
        from edgetf.base.errors import ConfigError
        from edgetf.codegen.emit_firmware import EmitOptions, emit_firmware
        from edgetf.targets.boards import BOARDS

        if not board:  # one line, not Click's box
            raise ConfigError(f"--board is required: one of {', '.join(BOARDS)}, "
                              f"e.g. --board esp32")
        if out is None:
            raise ConfigError("--out is required: the folder for the PlatformIO project, "
                              "e.g. --out fw/esp32")

        result = emit_firmware(EmitOptions(
            board=board, out=out, model=model, from_run=from_run, name=name, labels=labels,
            golden=golden, compress=compress, force=force, format=output_format,
            runtime=runtime, features=features, config=config), reporter)
        spec = result.spec
        footprint = spec.footprint
        reporter.info(
            f"{spec.library} for {spec.board.name}: {spec.compatibility.quantization} model, "
            f"{len(spec.model.op_names())} ops, {spec.runtime} runtime, "
            f"{'model' if spec.compiled is None else 'const data'} "
            f"{len(spec.model_bytes) if spec.compiled is None else spec.compiled.const_bytes:,}"
            " bytes, "
            f"arena {spec.arena.bytes:,} bytes "
            f"({spec.arena.method}: {spec.arena.needed_bytes:,} needed"
            f"{' in PSRAM' if spec.arena.place == 'psram' else ''}), flash ~"
            f"{footprint.flash_bytes // 1024} of {footprint.flash_budget // 1024} KB, RAM ~"
            f"{footprint.ram_bytes // 1024} of {footprint.ram_budget // 1024} KB (estimates)")
        if output_format == "arduino-zip":
            reporter.info(f"wrote {result.out}/{spec.library}.zip; next: Arduino IDE > Sketch "
                          "> Include Library > Add .ZIP Library, then File > Examples > "
                          f"{spec.library}")
        else:
            reporter.info(f"wrote {result.out}/ ({len(result.files)} files); next: "
                          f"edgetf flash --project {result.out}")

    run_command(action)
