"""Every file of an emitted PlatformIO project, as ``{relative path: bytes}``.

A pure function of a :class:`ProjectSpec`: the same spec gives byte-identical files
(no timestamps, no absolute paths, sorted tables), which is what makes emitted projects
reviewable in version control. The layout:

- ``platformio.ini``, ``README.md``, ``.gitignore``, and the files of the board's
  framework (:attr:`edgetf.targets.frameworks.Framework.files`: ``src/main.cpp`` for
  both; for ESP-IDF also ``CMakeLists.txt``, ``src/CMakeLists.txt``,
  ``src/idf_component.yml``, ``sdkconfig.defaults`` and, for large applications,
  ``partitions.csv``);
- ``lib/<name>_inferencing/``: an Arduino library (``library.properties``) that is also
  a plain C++17 library and an ESP-IDF component, holding the hand-written runtime
  (``firmware/``) and the generated model array, metadata, op resolver and golden
  vectors under ``src/edgetf/``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import numpy as np

from edgetf._version import __version__
from edgetf.codegen.c_array import c_float_literal, c_values, model_array_header, model_array_source
from edgetf.codegen.c_names import c_include_guard
from edgetf.codegen.golden import GoldenVectors
from edgetf.codegen.impulse import FEATURES_OUTPUT, STREAM_OUTPUT, Impulse
from edgetf.codegen.render import render
from edgetf.codegen.resources import firmware_sources
from edgetf.compiled.emitters import CompiledLibrary
from edgetf.targets.board_arena import ArenaPlan
from edgetf.targets.board_compatibility import EDGETF_SIGNAL_REGISTRATIONS
from edgetf.targets.board_compression import BoardModel
from edgetf.targets.boards import Board
from edgetf.targets.firmware_contract import EDGETF_TYPES, FrontEndLoad, partition_plan
from edgetf.targets.footprint import Footprint
from edgetf.tflite.compatibility import Compatibility
from edgetf.tflite.model import Tensor, TfliteModel
from edgetf.tflite.ops import is_signal_op, tflm_method
from edgetf.tflite.types import element_count, tensor_nbytes
from edgetf.tflm.compression import DECODE_OP

_C_TYPES = {"float32": "float", "int32": "int32_t", "uint8": "uint8_t", "int64": "int64_t",
            "bool": "bool", "int16": "int16_t", "int8": "int8_t"}
#: What the generated resolver registers as ``TFLM_DECODE`` on boards whose TFLM lacks it
#: (firmware/edgetf/edgetf_lut_decode_tflm.h).
OWN_DECODE_REGISTRATION = "edgetf::LutDecodeRegistration()"
#: The demo runs the sample input this often while no serial input arrives.
SAMPLE_PERIOD_MS = 2000
#: ESP-IDF main task stack: TFLM's kernels and the demo's formatting need more than the
#: 3.5 KB default.
MAIN_STACK_BYTES = 8192


@dataclass(frozen=True)
class ProjectSpec:
    """Everything an emitted project is made from."""

    name: str
    """C identifier; the library is ``<name>_inferencing``."""
    board: Board
    model_bytes: bytes
    model: TfliteModel
    model_file: str
    """The model's file name, for the project's README."""
    sha256: str
    labels: tuple[str, ...]
    labels_source: str
    arena: ArenaPlan
    golden: GoldenVectors | None
    compatibility: Compatibility
    footprint: Footprint
    warnings: tuple[str, ...] = ()
    no_golden_reason: str = "none were asked for"
    """Why ``golden`` is None, for the generated comments and README."""
    stored: BoardModel | None = None
    """The model as the board stores it (``model_bytes``) and how it was compressed;
    ``model`` stays the model as given, for its tensors' names."""
    compiled: CompiledLibrary | None = None
    """With ``--runtime compiled``: the program that replaces the flatbuffer and TFLM's
    interpreter (``compiled_program.cc``, ``edgetf_compiled_runtime.cc``)."""

    @property
    def runtime(self) -> str:
        return "compiled" if self.compiled is not None else "tflm"

    impulse: Impulse | None = None
    """The front end embedded with the model (raw samples in), if any."""
    front_end_arena: ArenaPlan | None = None
    front_end_load: FrontEndLoad | None = None

    @property
    def library(self) -> str:
        return f"{self.name}_inferencing"


def generate_project(spec: ProjectSpec) -> dict[str, bytes]:
    """All files of the project, by POSIX path relative to the project folder."""
    context = _context(spec)
    lib = f"lib/{spec.library}"
    edgetf_dir = f"{lib}/src/edgetf"
    text: dict[str, str] = {
        "platformio.ini": render("project/platformio.ini.j2", **context),
        "README.md": render("project/README.md.j2", **context),
        ".gitignore": render("project/gitignore.j2", **context),
        f"{lib}/library.properties": render("library/library.properties.j2", **context),
        f"{lib}/src/{spec.library}.h": render(
            "library/inferencing.h.j2", guard=c_include_guard(f"{spec.library}.h"), **context),
        f"{edgetf_dir}/edgetf_library.h": render(
            "library/edgetf_library.h.j2",
            guard=c_include_guard(f"{spec.library}_edgetf_library.h"), **context),
        f"{edgetf_dir}/model_metadata.h": render(
            "library/model_metadata.h.j2", guard=c_include_guard("model_metadata.h"),
            **context),
        f"{edgetf_dir}/golden_vectors.h": render(
            "library/golden_vectors.h.j2", guard=c_include_guard("golden_vectors.h"),
            **context),
    }
    if spec.compiled is None:  # the flatbuffer and the interpreter's op resolver
        text[f"{edgetf_dir}/model_data.h"] = model_array_header(
            context["array"], len(spec.model_bytes), c_include_guard("model_data.h"))
        text[f"{edgetf_dir}/model_data.cc"] = model_array_source(
            spec.model_bytes, context["array"], "model_data.h")
        text[f"{edgetf_dir}/op_resolver.h"] = render(
            "library/op_resolver.h.j2", guard=c_include_guard("op_resolver.h"), **context)
    else:  # the program instead: const data and the kernel calls
        text[f"{edgetf_dir}/compiled_program.cc"] = spec.compiled.source
    runtime_files = firmware_sources(
        spec.runtime, decoder=spec.compiled is not None and bool(spec.compiled.program.luts))
    if spec.impulse is not None:
        text.update(_front_end_files(spec, context, edgetf_dir))
    # The board's framework adds its own files (targets/frameworks.py); the library's
    # CMakeLists.txt (ESP-IDF) lists the library's sources.
    context["sources"] = sorted(
        path[len(lib) + 1:] for path in [*text, *(f"{lib}/src/{p}" for p in runtime_files)]
        if path.startswith(f"{lib}/src/") and path.endswith(".cc"))
    for extra in spec.board.framework.files:
        if extra.only_if is None or context[extra.only_if]:
            text[extra.path.format(lib=lib)] = render(extra.template, **context)
    files = {path: content.encode("utf-8") for path, content in text.items()}
    for relative, content in runtime_files.items():
        files[posixpath.join(f"{lib}/src", relative)] = content
    return dict(sorted(files.items()))


def template_context(spec: ProjectSpec) -> dict:
    """What every template of a project is rendered with (also the Arduino zip's)."""
    return _context(spec)


def _context(spec: ProjectSpec) -> dict:
    model = spec.model
    stored_model = spec.stored.model if spec.stored else model
    golden = spec.golden
    return {
        "version": __version__,
        "name": spec.name,
        "project": spec.name,
        "library": spec.library,
        # The C API's prefix (<name>_init, ...) and the macros' (<NAME>_INPUT_SIZE, ...):
        # libraries of different models link into one program.
        "prefix": spec.name,
        "macro": spec.name.upper(),
        "array": f"{spec.name}_model",
        "board": spec.board,
        "model_file": spec.model_file,
        "size": len(spec.model_bytes),
        "sha256": spec.sha256,
        "quantization": spec.compatibility.quantization,
        "inputs": [_tensor(t) for t in model.input_tensors()],
        "outputs": [_tensor(t) for t in model.output_tensors()],
        "ops": [_op(name, spec.board) for name in stored_model.op_names()],
        "own_decode": spec.board.decode_kernel == "edgetf" and DECODE_OP in
        stored_model.op_names(),
        # edgetf's signal kernels, for the model's own signal ops or its front end's.
        "own_signal": spec.board.signal_kernels == "edgetf" and any(
            is_signal_op(name) for name in (
                *stored_model.op_names(),
                *(spec.impulse.graph.model.op_names() if spec.impulse else ()))),
        "stored": spec.stored,
        "runtime": spec.runtime,
        "compiled": spec.compiled,
        "labels": list(spec.labels),
        "labels_source": spec.labels_source,
        "arena": spec.arena,
        "footprint": spec.footprint,
        "golden": _golden(golden, model, spec.no_golden_reason),
        "partitions": partition_plan(spec.board, spec.footprint.flash_bytes),
        "warnings": list(spec.warnings),
        "impulse": _impulse(spec),
        "sample_period_ms": SAMPLE_PERIOD_MS,
        "main_stack_bytes": MAIN_STACK_BYTES,
    }


def _op(name: str, board: Board) -> dict:
    """The resolver call that registers op ``name`` on ``board``."""
    if name == DECODE_OP and board.decode_kernel == "edgetf":
        call = f'AddCustom("TFLM_DECODE", {OWN_DECODE_REGISTRATION})'
    elif is_signal_op(name) and board.signal_kernels == "edgetf":
        code = name.split(":", 1)[1]
        call = f'AddCustom("{code}", {EDGETF_SIGNAL_REGISTRATIONS[name]})'
    else:
        call = f"{tflm_method(name)}()"
    return {"name": name, "method": tflm_method(name), "call": call,
            "signal": is_signal_op(name)}


def _tensor(tensor: Tensor) -> dict:
    q = tensor.quantization
    scale = float(q.scales[0]) if q and q.scales else 0.0
    zero_point = int(q.zero_points[0]) if q and q.zero_points else 0
    elements = element_count(tensor.shape)
    return {
        "name": tensor.name,
        "dtype": tensor.dtype,
        "type": EDGETF_TYPES[tensor.dtype],
        "dims": list(tensor.shape),
        "elements": elements,
        "bytes": tensor_nbytes(tensor.shape, tensor.dtype, in_arena=True),
        "scale": c_float_literal(np.float32(scale)),
        "scale_text": f"{scale:.6g}",
        "zero_point": zero_point,
    }


_C_NUMPY = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8, "int64": np.int64,
            "bool": np.bool_, "int16": np.int16, "int8": np.int8}


def _golden(golden: GoldenVectors | None, model: TfliteModel, no_golden_reason: str) -> dict:
    if golden is None or golden.count == 0:
        return {"count": 0, "inputs": [], "outputs": [], "sample": None, "sample_note": "",
                "source": f"none: {no_golden_reason}", "tflm_version": "none",
                "needs_limits": False}

    def tensors(arrays, specs):
        return [{"ctype": _C_TYPES[t.dtype], "elements": int(a[0].size),
                 "initializer": c_values(a.astype(_C_NUMPY[t.dtype]))}
                for a, t in zip(arrays, specs, strict=True)]

    inputs = tensors(golden.inputs, model.input_tensors())
    outputs = tensors(golden.outputs, model.output_tensors())
    sample = golden.sample
    values_text = "".join(t["initializer"] for t in (*inputs, *outputs))
    return {
        "count": golden.count,
        "inputs": inputs,
        "outputs": outputs,
        "sample": c_values(sample.astype(np.float32)) if sample is not None else None,
        "sample_note": "dequantized with the input's scale and zero point",
        "source": golden.source,
        "tflm_version": golden.tflm_version,
        "needs_limits": "numeric_limits" in values_text or (
            sample is not None and not np.all(np.isfinite(sample))),
    }


def _impulse(spec: ProjectSpec) -> dict | None:
    """The front end's facts for the templates (None: the model alone)."""
    impulse = spec.impulse
    if impulse is None:
        return None
    if getattr(impulse, "motion", False):
        return _motion_impulse(spec)
    c = impulse.front_end.config
    n = len(impulse.clips)
    return {
        "motion": False, "array": f"{spec.name}_front_end", "graph_bytes": len(impulse.graph.data),
        "sample_rate": c.sample_rate, "window_samples": c.window_samples,
        "stride_samples": c.stride_samples, "channels": c.channels,
        "window_ms": f"{c.window_ms:g}", "stride_ms": f"{c.stride_ms:g}",
        "clip_samples": impulse.clip_samples, "clip_frames": impulse.clip_frames,
        "clip_ms": f"{impulse.clip_samples * 1000 / c.sample_rate:g}",
        "labels": impulse.labels, "run_every_frames": impulse.run_every_frames,
        "history": impulse.history, "streaming": impulse.streaming,
        "threshold_q": impulse.threshold_q,
        "arena": spec.front_end_arena, "load": spec.front_end_load,
        "ops": [_op(name, spec.board) for name in impulse.graph.model.op_names()],
        "golden_count": n, "golden_source": impulse.golden_source,
        "golden_clips": c_values(impulse.clips.reshape(-1)) if n else "",
        "golden_features": c_values(impulse.features.reshape(-1)) if n else "",
        "golden_outputs": c_values(impulse.outputs.reshape(-1)) if n else "",
        "features_output": FEATURES_OUTPUT, "stream_output": STREAM_OUTPUT,
    }


def _motion_impulse(spec: ProjectSpec) -> dict:
    """A motion front end's facts for the templates (:mod:`edgetf.codegen.motion_impulse`)."""
    impulse = spec.impulse
    n = len(impulse.windows)
    return {
        "motion": True, "kind": impulse.kind, "summary": impulse.summary,
        "array": f"{spec.name}_front_end", "graph_bytes": len(impulse.graph.data),
        "sample_rate": f"{impulse.sample_rate:g}", "window_samples": impulse.window_samples,
        "window_ms": f"{impulse.window_samples * 1000 / impulse.sample_rate:g}",
        "axes": impulse.axes, "input_values": impulse.input_values,
        "features": impulse.features, "labels": impulse.labels,
        "arena": spec.front_end_arena, "load": spec.front_end_load,
        "ops": [_op(name, spec.board) for name in impulse.graph.model.op_names()],
        "golden_count": n, "golden_source": impulse.golden_source,
        "golden_windows": c_values(impulse.windows.reshape(-1)) if n else "",
        "golden_features": c_values(impulse.feature_values.reshape(-1)) if n else "",
        "golden_outputs": c_values(impulse.outputs.reshape(-1)) if n else "",
        "needs_limits": n > 0 and not np.all(np.isfinite(impulse.windows)),
        "features_output": FEATURES_OUTPUT,
    }


def _front_end_files(spec: ProjectSpec, context: dict, edgetf_dir: str) -> dict[str, str]:
    impulse = context["impulse"]
    return {
        f"{edgetf_dir}/front_end_metadata.h": render(
            "library/front_end_metadata.h.j2", guard=c_include_guard("front_end_metadata.h"),
            **context),
        f"{edgetf_dir}/front_end_resolver.h": render(
            "library/front_end_resolver.h.j2", guard=c_include_guard("front_end_resolver.h"),
            **context),
        f"{edgetf_dir}/front_end_data.cc": model_array_source(
            spec.impulse.graph.data, impulse["array"], "front_end_metadata.h"),
    }
