"""``emit_firmware``: a ``.tflite`` in, a PlatformIO project with a TFLM library out.

Order: prepare the model (read and check the flatbuffer, so a corrupt file never reaches
TFLM; measure the arena and record golden vectors in one TFLM child process) → the board's
verdict (:func:`edgetf.targets.verdict.board_verdict`: runnable, kernels, stored model,
arena, footprint) → refuse what it refuses (hybrid or legacy uint8 quantization, ops
without a TFLM kernel, tensor types the library cannot carry, kernels the board gets
wrong, a model that does not fit, the last two unless ``--force``) → generate every file
→ write them all at once. Nothing is written unless every step succeeded.

Never imports TensorFlow: this is the command users run over and over while they
iterate on firmware.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgetf.base.errors import ConfigError, DataError, FirmwareError
from edgetf.base.output_dir import check_destination, staged_output
from edgetf.base.progress import Reporter
from edgetf.codegen.arduino_zip import arduino_zip_files, check_arduino_board
from edgetf.codegen.c_names import c_identifier
from edgetf.codegen.golden import golden_vectors
from edgetf.codegen.impulse import Impulse, impulse_for, report_front_end
from edgetf.codegen.impulse import run_features as run_features_record
from edgetf.codegen.library_name import model_file_name, run_folder_name
from edgetf.codegen.project import ProjectSpec, generate_project
from edgetf.codegen.run_samples import read_run_samples
from edgetf.codegen.runtime_choice import (
    check_runtime,
    choose_runtime,
    compiled_arena,
    report_saving,
)
from edgetf.targets.board_compression import MODES as COMPRESS_MODES
from edgetf.targets.boards import Board, get_board
from edgetf.targets.firmware_contract import DEFAULT_COUNT
from edgetf.targets.prepared import PreparedModel, prepare_model
from edgetf.targets.verdict import Verdict, board_verdict
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.model_files import read_model_file as _read_model


@dataclass
class EmitOptions:
    """What ``edgetf emit-firmware`` takes; see the CLI's help for each option."""

    board: str
    out: Path
    model: Path | None = None
    from_run: Path | None = None
    name: str | None = None
    labels: Path | None = None
    golden: int = DEFAULT_COUNT
    compress: str = "auto"
    force: bool = False
    format: str = "platformio"
    runtime: str = "tflm"
    features: str | None = None
    """``audio``: embed the front end (the run's, or ``config``'s); ``none``: the model only.
    None: the run's front end, if it was trained from audio."""
    config: Path | None = None
    """TOML with ``[features.audio]`` and ``[streaming]`` tables."""


#: ``--format``: the PlatformIO project, or the library as an Arduino IDE zip.
FORMATS = ("platformio", "arduino-zip")


@dataclass
class EmitResult:
    spec: ProjectSpec
    files: dict[str, bytes]
    out: Path | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Inputs:
    """The files an emit starts from, read and checked."""

    model_bytes: bytes
    model_file: str
    name: str
    labels: tuple[str, ...]
    labels_source: str
    samples: np.ndarray | None
    clips: np.ndarray | None = None
    run_features: dict | None = None
    windows: np.ndarray | None = None


def emit_firmware(options: EmitOptions, reporter: Reporter | None = None) -> EmitResult:
    """Check, measure and generate, then write the project to ``options.out``."""
    reporter = reporter or Reporter(quiet=True)
    board = get_board(options.board)  # an unknown board fails before any work
    if options.golden < 0:
        raise ConfigError(f"--golden must be >= 0, got {options.golden}")
    if options.compress not in COMPRESS_MODES:
        raise ConfigError(f"--compress {options.compress!r} is not one of "
                          f"{', '.join(COMPRESS_MODES)}; e.g. --compress off")
    check_runtime(options.runtime)
    if options.format not in FORMATS:
        raise ConfigError(f"--format {options.format!r} is not one of {', '.join(FORMATS)}; "
                          "e.g. --format arduino-zip")
    if options.format == "arduino-zip":
        check_arduino_board(board)
    check_destination(Path(options.out), options.force)
    inputs = _read_inputs(options)
    prepared = prepare_model(inputs.model_bytes, inputs.model_file, golden=options.golden,
                             samples=inputs.samples, reporter=reporter)
    impulse = _impulse(options, prepared, inputs, reporter)
    result = build_project(
        prepared, board, name=inputs.name, model_file=inputs.model_file,
        labels=inputs.labels, labels_source=inputs.labels_source, samples=inputs.samples,
        golden=options.golden, compress=options.compress, force=options.force,
        runtime=options.runtime, reporter=reporter, impulse=impulse)
    if options.format == "arduino-zip":
        result.files = arduino_zip_files(result.spec, result.files)
    with reporter.stage(f"write {len(result.files)} files to {options.out}"):
        with staged_output(Path(options.out), options.force) as staging:
            for relative, content in result.files.items():
                path = staging / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
    result.out = Path(options.out)
    return result


def build_project(model_bytes: bytes | PreparedModel, board_id: str | Board, *, name: str,
                  model_file: str = "model", labels: tuple[str, ...] = (),
                  labels_source: str = "", samples: np.ndarray | None = None,
                  golden: int = DEFAULT_COUNT, compress: str = "auto", force: bool = False,
                  runtime: str = "tflm", reporter: Reporter | None = None,
                  impulse: Impulse | None = None) -> EmitResult:
    """The project's files for ``model_bytes`` (or a model already prepared with
    :func:`~edgetf.targets.prepared.prepare_model`, whose golden vectors are then used)
    on ``board_id``, without touching the disk: the board's verdict
    (:func:`~edgetf.targets.verdict.board_verdict`), refused unless it fits, then the files.

    With ``compress="auto"`` the library stores the model as the board's device model
    (LUT weights, no names; see :mod:`edgetf.targets.board_compression`); ``"off"``
    stores ``model_bytes`` unchanged.

    With ``runtime="compiled"`` the library holds the model compiled to kernel calls
    instead of the flatbuffer and TFLM's interpreter, with the same C API and golden
    vectors, where the board's kernel library covers every op (otherwise it keeps the
    TFLM runtime and warns why); ``runtime="auto"`` makes the same choice as a decision,
    one line saying which runtime and why (see :mod:`edgetf.codegen.runtime_choice`).

    Raises :class:`FirmwareError` for models TFLM cannot run, that the board's TFLM
    gets wrong, or that do not fit the board (``force`` turns the last two into
    warnings). ``impulse``: a front end embedded with the model
    (:mod:`edgetf.codegen.impulse`), its RAM and flash counted in the verdict.
    """
    reporter = reporter or Reporter(quiet=True)
    warnings_before = len(reporter.warnings)
    board = board_id if isinstance(board_id, Board) else get_board(board_id)
    prepared = model_bytes if isinstance(model_bytes, PreparedModel) else prepare_model(
        model_bytes, model_file, golden=golden, samples=samples, reporter=reporter)
    model_file = prepared.source
    _hint_int8_sibling(prepared, reporter)
    front_end = impulse.on_board(board, tuple(prepared.model.op_names())) \
        if impulse is not None else None
    verdict = board_verdict(prepared, board, compress, reporter=reporter,
                            front_end=front_end[1] if front_end else None)
    if front_end is not None:
        report_front_end(front_end[1], reporter, impulse.time_on(board))
    check_runtime(runtime)
    # The name is only ever used with a suffix (<name>_inferencing, <name>_model), so a
    # trailing "_" (from "final)" or a keyword such as "int_") would make a reserved "__".
    c_name = c_identifier(name).rstrip("_") or "model"
    compiled, verdict = choose_runtime(runtime, verdict, c_name, impulse is not None,
                                       reporter, compress)
    _refuse_or_warn(verdict, force, reporter, compiled is None)
    stored, arena = verdict.stored, verdict.arena
    vectors = None
    if verdict.device_out is not None:
        vectors = golden_vectors(prepared.model, prepared.golden_in, verdict.device_out,
                                 prepared.golden_source)
    footprint = verdict.footprint
    if verdict.fit_problems:  # only with --force
        reporter.warn(f"{_misfit(verdict)}; emitting anyway because of --force")
    if arena.on_heap:
        reporter.warn(f"the arena goes on the {arena.place}: {arena.place_reason}")
    _check_labels(prepared.model, labels, reporter)
    if compiled is not None:  # its own look-up tables; no flatbuffer, no DECODE operator
        report_saving(arena, len(stored.device.data), compiled, reporter)
        arena, stored = compiled_arena(arena, compiled, board), None
    stored_bytes = stored.device.data if stored is not None else prepared.data
    digest = hashlib.sha256(stored_bytes).hexdigest()
    no_golden_reason = "--golden 0"
    if prepared.golden_too_large:
        no_golden_reason = prepared.golden_too_large
    elif vectors is None and prepared.golden_count:
        no_golden_reason = "tflite-micro is not installed here"
    spec = ProjectSpec(
        name=c_name, board=board, model_bytes=stored_bytes,
        model=prepared.model, stored=stored,
        model_file=Path(model_file).name, sha256=digest, labels=labels,
        labels_source=labels_source, arena=arena, golden=vectors,
        compatibility=prepared.compatibility, footprint=footprint,
        warnings=tuple(reporter.warnings[warnings_before:]),
        no_golden_reason=no_golden_reason, compiled=compiled, impulse=impulse,
        front_end_arena=front_end[0].arena if front_end else None,
        front_end_load=front_end[1] if front_end else None)
    return EmitResult(spec, generate_project(spec), warnings=list(spec.warnings))


def _impulse(options: EmitOptions, prepared: PreparedModel, inputs: _Inputs,
             reporter: Reporter) -> Impulse | None:
    """The front end to embed with the model, if any (:mod:`edgetf.codegen.impulse`)."""
    if prepared.problems:
        return None  # refused below with the model's own reason
    return impulse_for(prepared, options.features, options.config, inputs.run_features,
                       inputs.clips, options.golden, reporter, windows=inputs.windows)


def _hint_int8_sibling(prepared: PreparedModel, reporter: Reporter) -> None:
    """A float model with a ``model.tflite`` beside it (train-quantize's ``model_float.tflite``)
    was most likely picked by mistake: say which file boards run."""
    path = Path(prepared.source)
    sibling = path.parent / "model.tflite"
    if prepared.compatibility.quantization == "float" and path.suffix == ".tflite" \
            and path.name != sibling.name and sibling.is_file():
        reporter.warn(f"{path}: is the float model; the int8 {sibling} beside it is the one "
                      f"made for boards: --model {sibling}, or --from {path.parent}")


def _refuse_or_warn(verdict: Verdict, force: bool, reporter: Reporter, flatbuffer: bool) -> None:
    """Raise what the verdict refuses, in the order a user fixes it (TFLM cannot run the
    model; the board's kernels; TFLM failed on it; the stored model; the fit); report the
    rest as warnings and lines, as the steps that decided them would."""
    prepared, board = verdict.prepared, verdict.board
    source = prepared.source
    if prepared.problems:
        raise FirmwareError(prepared.problems[0].refusal)
    for note in prepared.notes:
        reporter.warn(note)
    for warning in verdict.kernel_warnings:
        reporter.warn(f"{source}: {warning}")
    if verdict.missing_kernels:  # the resolver would not compile: --force cannot help
        raise FirmwareError(
            f"{source}: {'; '.join(verdict.missing_kernels)}, on the {board.name}")
    if verdict.limitations:
        message = f"{source}: {'; '.join(verdict.limitations)}, on the {board.name}"
        if not force:
            raise FirmwareError(
                f"{message}; pick another board, or pass --force to emit it anyway")
        reporter.warn(f"{message}; emitting anyway because of --force")
    if prepared.golden_too_large:
        reporter.warn(f"no golden vectors: {prepared.golden_too_large}, so "
                      "edgetf_self_test() will report that it has none")
    if prepared.measure_error:  # TFLM's message knows the model, not its file
        raise FirmwareError(f"{source}: {prepared.measure_error}")
    if verdict.device_error:
        raise FirmwareError(f"{source}: {verdict.device_error}; pass --compress off and "
                            "report the model to edgetf")
    if verdict.mode != "off" and flatbuffer:  # a compiled library stores no flatbuffer
        _report_device(verdict, reporter)
    arena = verdict.arena
    if arena.method != "planned":
        reporter.warn(f"the arena for the {board.id} is the host figure x{arena.margin:g} + "
                      f"{arena.margin_bytes} bytes, not a plan, because {arena.fallback_reason}"
                      + ("; tflite-micro is not installed here, so the host figure is an "
                         "estimate from the flatbuffer: check arena_used_bytes() on the board"
                         if arena.host_method == "estimated" else ""))
    if verdict.device_out is None and prepared.golden_count:
        reporter.warn("tflite-micro is not installed here: no golden vectors, so "
                      "edgetf_self_test() will report that it has none")
    if verdict.fit_problems and not force:
        raise FirmwareError(
            f"{_misfit(verdict)}; make the model smaller (edgetf train-quantize "
            "--prune/--cluster), pick a larger board, or pass --force to emit it anyway")


def _misfit(verdict: Verdict) -> str:
    board = verdict.board
    return (f"{verdict.prepared.source}: does not fit the {board.name} ({board.id}): "
            f"{'; '.join(verdict.fit_problems)}, estimated")


def _report_device(verdict: Verdict, reporter: Reporter) -> None:
    """The compression's notes (warnings), decisions and result (lines)."""
    chosen = verdict.stored
    for note in chosen.notes:
        reporter.warn(f"{verdict.prepared.source}: {note}")
    for decision in chosen.decisions:
        reporter.info(decision)
    device = chosen.device
    tensors = device.compressed_tensors
    if tensors:
        widths = sorted({t.bits for t in tensors})
        reporter.info(
            f"compressed {len(tensors)} weight tensor(s) to {'/'.join(map(str, widths))}-bit "
            f"look-up tables: model {device.original_bytes:,} -> {len(device.data):,} bytes "
            f"({device.saved_bytes:,} saved), arena {chosen.plain_arena.bytes:,} -> "
            f"{chosen.arena.bytes:,} bytes ({chosen.arena_added:+,})")
    elif device.stripped:
        reporter.info(f"no weight tensor stored as a look-up table; names and metadata TFLM "
                      f"never reads removed: model {device.original_bytes:,} -> "
                      f"{len(device.data):,} bytes")
    for tensor in tensors:
        reporter.detail(f"  {tensor.name or f'tensor {tensor.tensor}'}: {tensor.bits}-bit, "
                        f"{tensor.bytes_before:,} -> {tensor.bytes_after:,} bytes")


def _check_labels(model: TfliteModel, labels: tuple[str, ...], reporter: Reporter) -> None:
    outputs = int(np.prod(model.output_tensors()[0].shape))
    if labels and len(labels) != outputs:
        reporter.warn(f"{len(labels)} labels for an output of {outputs} values: labels are "
                      "matched to output values by position")


def _read_inputs(options: EmitOptions) -> _Inputs:
    """The model, labels and samples, from ``--model``/``--labels`` or a run folder."""
    if options.model is not None and options.from_run is not None:
        raise ConfigError("pass either --model or --from, not both")
    samples = clips = run_features = windows = None
    labels: tuple[str, ...] = ()
    labels_source = ""
    if options.from_run is not None:
        run = Path(options.from_run)
        if not run.is_dir():
            raise ConfigError(f"{run}: no such folder; pass the --out folder of "
                              "edgetf train-quantize to --from")
        model_path = run / "model.tflite"
        if not model_path.is_file():
            raise ConfigError(f"{run}: has no model.tflite; pass the --out folder of "
                              "edgetf train-quantize to --from, or use --model")
        if (run / "labels.txt").is_file() and options.labels is None:
            labels, labels_source = _read_labels(run / "labels.txt"), "labels.txt of the run"
        if (run / "samples.npz").is_file():
            samples, clips, windows = read_run_samples(run / "samples.npz")
        run_features = run_features_record(run)
        default_name = run_folder_name(run)
    elif options.model is not None:
        model_path = Path(options.model)
        default_name = model_file_name(model_path)
    else:
        raise ConfigError("pass --model MODEL.tflite or --from RUN_DIR (the --out folder of "
                          "edgetf train-quantize)")
    if options.labels is not None:
        labels, labels_source = _read_labels(Path(options.labels)), Path(options.labels).name
    return _Inputs(_read_model(model_path), str(model_path), options.name or default_name,
                   labels, labels_source, samples, clips, run_features, windows)


def _read_labels(path: Path) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such labels file; pass a text file with one label "
                        "per line") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read as UTF-8 text ({error}); pass a text file "
                        "with one label per line") from None
    # split("\n"), not splitlines(): a label may hold other line-like characters
    # (U+2028, form feed) that splitlines would break it at.
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return tuple(line.rstrip("\r") for line in lines)
