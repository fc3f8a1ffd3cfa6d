"""``emit_firmware``: a ``.tflite`` in, a PlatformIO project with a TFLM library out.

Order: read and check the flatbuffer (a corrupt file never reaches TFLM) → refuse what
TFLM cannot run (hybrid or legacy uint8 quantization, ops without a TFLM kernel, tensor
types the library cannot carry) → measure the arena with the TFLM interpreter in a child
process → record golden vectors → check flash and RAM against the board → generate
every file → write them all at once. Nothing is written unless every step succeeded.

Never imports TensorFlow: this is the command users run over and over while they
iterate on firmware.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgetf.base.errors import ConfigError, DataError, FirmwareError, InterpreterError
from edgetf.base.output_dir import check_destination, staged_output
from edgetf.base.progress import Reporter
from edgetf.codegen.arduino_zip import arduino_zip_files, check_arduino_board
from edgetf.codegen.c_names import c_identifier
from edgetf.codegen.device_step import device_step
from edgetf.codegen.golden import (
    DEFAULT_COUNT,
    MAX_VECTOR_BYTES,
    golden_count,
    golden_inputs,
    golden_vector_bytes,
    golden_vectors,
)
from edgetf.codegen.library_name import model_file_name, run_folder_name
from edgetf.codegen.project import EDGETF_TYPES, ProjectSpec, generate_project
from edgetf.data.datasets import read_npz_array
from edgetf.targets.board_arena import host_figure, plan_board_arena
from edgetf.targets.board_compatibility import (
    board_limitations,
    board_missing_kernels,
    board_warnings,
)
from edgetf.targets.board_compression import MODES as COMPRESS_MODES
from edgetf.targets.boards import get_board
from edgetf.targets.footprint import estimate_footprint
from edgetf.tflite.compatibility import QUANTIZATION_KINDS, check_compatibility
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.model_files import read_model_file as _read_model
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import measure_arena_and_run, tflm_available

# RAM the demo in the generated main.cpp adds per float of input and output it buffers.
_DEMO_MAX_INPUT_VALUES = 2048
_DEMO_MAX_SCORES = 64


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


def emit_firmware(options: EmitOptions, reporter: Reporter | None = None) -> EmitResult:
    """Check, measure and generate, then write the project to ``options.out``."""
    reporter = reporter or Reporter(quiet=True)
    board = get_board(options.board)  # an unknown board fails before any work
    if options.golden < 0:
        raise ConfigError(f"--golden must be >= 0, got {options.golden}")
    if options.compress not in COMPRESS_MODES:
        raise ConfigError(f"--compress {options.compress!r} is not one of "
                          f"{', '.join(COMPRESS_MODES)}; e.g. --compress off")
    if options.format not in FORMATS:
        raise ConfigError(f"--format {options.format!r} is not one of {', '.join(FORMATS)}; "
                          "e.g. --format arduino-zip")
    if options.format == "arduino-zip":
        check_arduino_board(board)
    check_destination(Path(options.out), options.force)
    inputs = _read_inputs(options)
    result = build_project(
        inputs.model_bytes, board.id, name=inputs.name, model_file=inputs.model_file,
        labels=inputs.labels, labels_source=inputs.labels_source, samples=inputs.samples,
        golden=options.golden, compress=options.compress, force=options.force,
        reporter=reporter)
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


def build_project(model_bytes: bytes, board_id: str, *, name: str, model_file: str = "model",
                  labels: tuple[str, ...] = (), labels_source: str = "",
                  samples: np.ndarray | None = None, golden: int = DEFAULT_COUNT,
                  compress: str = "auto", force: bool = False,
                  reporter: Reporter | None = None) -> EmitResult:
    """The project's files for ``model_bytes`` on ``board_id``, without touching the disk.

    With ``compress="auto"`` the library stores the model as the board's device model
    (LUT weights, no names; see :mod:`edgetf.codegen.device_step`); ``"off"`` stores
    ``model_bytes`` unchanged.

    Raises :class:`FirmwareError` for models TFLM cannot run, that the board's TFLM
    gets wrong, or that do not fit the board (``force`` turns the last two into
    warnings).
    """
    reporter = reporter or Reporter(quiet=True)
    warnings_before = len(reporter.warnings)
    board = get_board(board_id)
    model = read_tflite(model_bytes, source=model_file)
    compatibility = _check_runnable(model, model_file, reporter)
    _check_kernels(model, compatibility.quantization, model_file, board, force, reporter)
    golden_in, source = None, ""
    count = golden_count(model, golden)
    no_golden_reason = "--golden 0"
    if golden and not count:
        no_golden_reason = (f"one vector would take {golden_vector_bytes(model):,} bytes, "
                            f"more than the {MAX_VECTOR_BYTES:,} edgetf embeds")
        reporter.warn(f"no golden vectors: {no_golden_reason}, so edgetf_self_test() will "
                      "report that it has none")
    elif count and tflm_available():
        golden_in, source = golden_inputs(model, model_bytes, count, samples)
    with reporter.stage("measure the arena and record golden vectors with TFLM"):
        try:
            measurement, golden_out = measure_arena_and_run(model_bytes, golden_in)
        except InterpreterError as error:  # TFLM's message knows the model, not its file
            raise FirmwareError(f"{model_file}: {error}") from None
    host = host_figure(model, measurement.bytes, measurement.method, measurement.note)
    plain_arena = plan_board_arena(model, board, *host)
    golden_flash = golden_vectors(model, golden_in, golden_out, source).nbytes \
        if golden_out is not None else 0

    def fits(candidate: TfliteModel, candidate_arena) -> bool:
        footprint = estimate_footprint(candidate, board, candidate_arena.bytes,
                                       extra_flash=golden_flash, extra_ram=_demo_ram(model),
                                       arena_in_psram=candidate_arena.place == "psram")
        return footprint.flash_ok and footprint.ram_ok

    step = device_step(model, model_bytes, board, compress, plain_arena=plain_arena,
                       golden_in=golden_in, golden_out=golden_out, fits=fits,
                       source=model_file, reporter=reporter)
    stored = step.board_model
    arena, golden_out = stored.arena, step.golden_out
    if arena.method != "planned":
        reporter.warn(f"the arena for the {board.id} is the host figure x{arena.margin:g} + "
                      f"{arena.margin_bytes} bytes, not a plan, because {arena.fallback_reason}"
                      + ("; tflite-micro is not installed here, so the host figure is an "
                         "estimate from the flatbuffer: check arena_used_bytes() on the board"
                         if arena.host_method == "estimated" else ""))
    vectors = None
    if golden_out is not None:
        vectors = golden_vectors(model, golden_in, golden_out, source)
    elif count:
        no_golden_reason = "tflite-micro is not installed here"
        reporter.warn("tflite-micro is not installed here: no golden vectors, so "
                      "edgetf_self_test() will report that it has none")
    footprint = estimate_footprint(
        stored.model, board, arena.bytes, extra_flash=vectors.nbytes if vectors else 0,
        extra_ram=_demo_ram(model), arena_in_psram=arena.place == "psram")
    _check_fit(footprint, model_file, board, force, reporter)
    if arena.on_heap:
        reporter.warn(f"the arena goes on the {arena.place}: {arena.place_reason}")
    _check_labels(model, labels, reporter)
    stored_bytes = stored.device.data
    digest = hashlib.sha256(stored_bytes).hexdigest()
    # The name is only ever used with a suffix (<name>_inferencing, <name>_model), so a
    # trailing "_" (from "final)" or a keyword such as "int_") would make a reserved "__".
    spec = ProjectSpec(
        name=c_identifier(name).rstrip("_") or "model", board=board, model_bytes=stored_bytes,
        model=model, stored=stored,
        model_file=Path(model_file).name, sha256=digest, labels=labels,
        labels_source=labels_source, arena=arena, golden=vectors,
        compatibility=compatibility, footprint=footprint,
        warnings=tuple(reporter.warnings[warnings_before:]),
        no_golden_reason=no_golden_reason)
    return EmitResult(spec, generate_project(spec), warnings=list(spec.warnings))


def _check_runnable(model: TfliteModel, source: str, reporter: Reporter):
    """Refuse what TFLM cannot run; warn about what it runs poorly. Ops come first: a
    model for an NPU (a Vela-compiled ``ethos-u`` op over uint8 command streams) is
    about its custom op, not about uint8 quantization."""
    compatibility = check_compatibility(model)
    kind = compatibility.quantization
    if compatibility.unsupported_ops:
        ops = ", ".join(compatibility.unsupported_ops)
        flex = any(op.startswith("CUSTOM:Flex") for op in compatibility.unsupported_ops)
        why = ("Flex ops need the full TensorFlow runtime" if flex else
               "custom and unknown ops have no TFLM kernel")
        raise FirmwareError(
            f"{source}: has ops TFLM cannot run: {ops} ({why}); convert the model with "
            "TFLite builtin ops only (no SELECT_TF_OPS, no custom ops)")
    if kind == "hybrid":
        raise FirmwareError(
            f"{source}: is a hybrid (dynamic-range quantized) model, float activations with "
            f"int8 weights in {', '.join(compatibility.hybrid_ops)}, and TFLM cannot run "
            "hybrid models; convert it again with full-int8 quantization (a "
            "representative_dataset and TFLITE_BUILTINS_INT8), or use edgetf train-quantize")
    if kind == "uint8":
        raise FirmwareError(f"{source}: uses {QUANTIZATION_KINDS['uint8']}")
    if not model.input_tensors() or not model.output_tensors():
        raise FirmwareError(
            f"{source}: {no_inputs_or_outputs(model)}, and the generated library needs at "
            "least one of each; export the model again")
    for tensor in (*model.input_tensors(), *model.output_tensors()):
        if tensor.dtype not in EDGETF_TYPES:
            raise FirmwareError(
                f"{source}: tensor '{tensor.name}' is {tensor.dtype}, which the generated "
                f"library cannot pass in or out (it takes {', '.join(EDGETF_TYPES)}); "
                "convert with int8 or float32 inputs and outputs")
    if kind in ("float", "mixed", "int16x8"):
        reporter.warn(f"{source}: {kind} model: {QUANTIZATION_KINDS[kind]}")
    if len(model.input_tensors()) > 1 or len(model.output_tensors()) > 1:
        reporter.warn(f"{source}: has {len(model.input_tensors())} inputs and "
                      f"{len(model.output_tensors())} outputs; edgetf_run and the demo use the "
                      "first of each (the self-test checks them all)")
    return compatibility


def _check_kernels(model: TfliteModel, quantization: str, source: str, board, force: bool,
                   reporter: Reporter) -> None:
    """Refuse what the board's TFLM or kernels get wrong or reject (it would fail at boot,
    or compute wrong numbers); warn where its kernels were measured to differ from the
    golden vectors."""
    for warning in board_warnings(model, quantization, board):
        reporter.warn(f"{source}: {warning}")
    missing = board_missing_kernels(model, board)
    if missing:  # the resolver would not compile: --force cannot help
        raise FirmwareError(f"{source}: {'; '.join(missing)}, on the {board.name}")
    limits = board_limitations(model, board)
    if not limits:
        return
    message = f"{source}: {'; '.join(limits)}, on the {board.name}"
    if not force:
        raise FirmwareError(
            f"{message}; pick another board, or pass --force to emit it anyway")
    reporter.warn(f"{message}; emitting anyway because of --force")


def _check_fit(footprint, source: str, board, force: bool, reporter: Reporter) -> None:
    if footprint.flash_ok and footprint.ram_ok:
        return
    problems = []
    if not footprint.flash_ok:
        problems.append(f"flash {footprint.flash_bytes} of {footprint.flash_budget} bytes "
                        f"(model {footprint.model_bytes})")
    if not footprint.ram_ok:
        problems.append(f"RAM {footprint.ram_bytes} of {footprint.ram_budget} bytes "
                        f"(arena {footprint.arena_bytes})")
    message = (f"{source}: does not fit the {board.name} ({board.id}): "
               f"{'; '.join(problems)}, estimated")
    if not force:
        raise FirmwareError(
            f"{message}; make the model smaller (edgetf train-quantize --prune/--cluster), "
            "pick a larger board, or pass --force to emit it anyway")
    reporter.warn(f"{message}; emitting anyway because of --force")


def _check_labels(model: TfliteModel, labels: tuple[str, ...], reporter: Reporter) -> None:
    outputs = int(np.prod(model.output_tensors()[0].shape))
    if labels and len(labels) != outputs:
        reporter.warn(f"{len(labels)} labels for an output of {outputs} values: labels are "
                      "matched to output values by position")


def no_inputs_or_outputs(model: TfliteModel) -> str:
    """How many inputs and outputs the main subgraph has, when one of them is none."""
    return (f"its main subgraph has {len(model.main.inputs)} inputs and "
            f"{len(model.main.outputs)} outputs")


def _demo_ram(model: TfliteModel) -> int:
    if not model.input_tensors() or not model.output_tensors():
        return 0  # emit-firmware refuses such a model; inspect still describes it
    inputs = int(np.prod(model.input_tensors()[0].shape))
    outputs = int(np.prod(model.output_tensors()[0].shape))
    return 4 * (min(inputs, _DEMO_MAX_INPUT_VALUES) + min(outputs, _DEMO_MAX_SCORES))


def _read_inputs(options: EmitOptions) -> _Inputs:
    """The model, labels and samples, from ``--model``/``--labels`` or a run folder."""
    if options.model is not None and options.from_run is not None:
        raise ConfigError("pass either --model or --from, not both")
    samples = None
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
            samples = _read_samples(run / "samples.npz")
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
                   labels, labels_source, samples)


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


def _read_samples(path: Path) -> np.ndarray | None:
    try:
        with np.load(path, allow_pickle=False) as archive:
            x = read_npz_array(archive, "x", path) if "x" in archive.files else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path}: cannot be read as the samples of a train-quantize run "
                        f"({error}); run train-quantize again or delete the file") from None
    if x is None or x.dtype.kind not in "fiu":
        raise DataError(f"{path}: has no numeric array 'x'; run train-quantize again or delete "
                        "the file")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise DataError(f"{path}: 'x' holds NaN or inf, which no golden vector can be made "
                        "from; run train-quantize again or delete the file")
    return x
