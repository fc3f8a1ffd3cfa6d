"""A model read once: its bytes, the parsed flatbuffer, whether TFLM can run it, the host
arena measurement and the golden vectors' outputs, all from one TFLM child process.

Every later step (each board's :func:`~edgetf.targets.verdict.board_verdict`, the code
generator, ``inspect``, ``tune``) takes this value instead of bytes, so a flatbuffer is
parsed once and measured at most once per run: :meth:`PreparedModel.run_device` measures a
board's device model (look-up-table weights) in one child and keeps the answer for the
next board that stores the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from edgetf.base.errors import InterpreterError
from edgetf.base.progress import Reporter
from edgetf.targets.firmware_contract import (
    DEFAULT_COUNT,
    EDGETF_TYPES,
    golden_count,
    golden_inputs,
    golden_too_large,
    golden_vector_bytes,
    no_inputs_or_outputs,
)
from edgetf.tflite.compatibility import QUANTIZATION_KINDS, Compatibility, check_compatibility
from edgetf.tflite.model import TfliteModel
from edgetf.tflite.op_costs import ModelCost, model_cost
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.estimate import estimate_arena
from edgetf.tflm.interpreter import ArenaMeasurement, measure_arena_and_run, tflm_available


@dataclass(frozen=True)
class Problem:
    """Why TFLM (or the generated library) cannot run the model on any board."""

    description: str
    """As ``inspect`` lists it."""
    refusal: str
    """As ``emit-firmware`` refuses it: the file, the problem and the fix."""


@dataclass
class PreparedModel:
    """One ``.tflite``, read, checked and measured (see the module's docstring)."""

    data: bytes
    source: str
    model: TfliteModel
    compatibility: Compatibility
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    """What TFLM runs but poorly (a float model, several inputs): emit-firmware's warnings."""
    cost: ModelCost
    measurement: ArenaMeasurement
    measure_error: str
    """TFLM's failure on the model ("" when it ran, or was not asked to)."""
    golden_requested: int
    golden_count: int
    golden_in: list[np.ndarray] | None
    golden_out: list[np.ndarray] | None
    golden_source: str
    _runs: dict[bytes, tuple[ArenaMeasurement, list | None]] = field(default_factory=dict,
                                                                     repr=False)
    _parsed: dict[bytes, TfliteModel] = field(default_factory=dict, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def runnable(self) -> bool:
        return not self.problems

    @property
    def golden_bytes(self) -> int:
        """Flash the golden vectors take: one vector's bytes per input row recorded."""
        rows = len(self.golden_in[0]) if self.golden_in else 0
        return rows * golden_vector_bytes(self.model)

    @property
    def golden_too_large(self) -> str:
        """Why no vector is embedded although some were asked for ("" otherwise)."""
        return golden_too_large(self.model, self.golden_requested) if self.runnable else ""

    def read_device(self, data: bytes) -> TfliteModel:
        """A device model made from this one, parsed once however many boards store it
        (this model itself is not parsed again)."""
        if data == self.data:
            return self.model
        if data not in self._parsed:
            self._parsed[data] = read_tflite(data, source="the compressed model")
        return self._parsed[data]

    def run_device(self, data: bytes, parsed: TfliteModel | None = None
                   ) -> tuple[ArenaMeasurement, list | None]:
        """The host measurement of a device model made from this one (its LUT weights),
        and its outputs for the golden inputs: one TFLM child per distinct ``data``.
        Raises :class:`~edgetf.base.errors.InterpreterError` as TFLM fails."""
        if data == self.data:
            return self.measurement, self.golden_out
        if data not in self._runs:
            self._runs[data] = measure_arena_and_run(data, self.golden_in, parsed=parsed)
        return self._runs[data]


def prepare_model(data: bytes, source: str = "model", *, golden: int = DEFAULT_COUNT,
                  samples: np.ndarray | None = None, measure: bool = True,
                  reporter: Reporter | None = None,
                  parsed: TfliteModel | None = None) -> PreparedModel:
    """Read ``data`` (a corrupt file raises here, as one line), check that TFLM can run it,
    and where it can, measure its arena and record ``golden`` vectors' outputs (inputs from
    ``samples`` or seeded random values) in one TFLM child process. ``measure=False`` or a
    model TFLM cannot run: the arena is estimated from the flatbuffer, and said so.
    ``parsed``: the caller's :func:`~edgetf.tflite.reader.read_tflite` of ``data`` (a step
    that had to read the model first, as train-quantize's conversion does), not read
    again."""
    reporter = reporter or Reporter(quiet=True)
    model = parsed if parsed is not None else read_tflite(data, source=source)
    compatibility = check_compatibility(model)
    problems = _problems(model, compatibility, source)
    count = golden_count(model, golden) if not problems else 0
    golden_in, golden_source = None, ""
    if count and tflm_available():
        golden_in, golden_source = golden_inputs(model, data, count, samples)
    measurement, golden_out, error = _measure(model, data, problems, measure, golden_in,
                                              reporter)
    return PreparedModel(data, source, model, compatibility, tuple(problems),
                         _notes(model, compatibility, source) if not problems else (),
                         model_cost(model), measurement, error, golden, count, golden_in,
                         golden_out, golden_source)


def _measure(model: TfliteModel, data: bytes, problems: list[Problem], measure: bool,
             golden_in, reporter: Reporter
             ) -> tuple[ArenaMeasurement, list | None, str]:
    """TFLM's measurement where it can run the model, else the estimate."""
    why = ("not measured (measure=False)" if not measure else
           f"TFLM cannot run the model ({problems[0].description})" if problems else "")
    if not why and not tflm_available():
        # Its own estimate, saying that tflite-micro is missing.
        return measure_arena_and_run(data, None)[0], None, ""
    error = ""
    if not why:
        stage = ("measure the arena and record golden vectors with TFLM" if golden_in
                 else "measure the arena with TFLM")
        try:
            with reporter.stage(stage):
                measurement, outputs = measure_arena_and_run(data, golden_in, parsed=model)
            return measurement, outputs, ""
        except InterpreterError as failure:
            error = str(failure)
            why = f"the TFLM interpreter failed on the model: {error}"
    return ArenaMeasurement(
        estimate_arena(model), "estimated",
        f"Estimated from the flatbuffer (tensor lifetimes packed greedily plus TFLM's "
        f"per-tensor and per-op structures): {why}; check arena_used_bytes() on the board."
    ), None, error


def _problems(model: TfliteModel, compatibility: Compatibility, source: str
              ) -> list[Problem]:
    """What TFLM cannot run. Ops come first: a model for an NPU (a Vela-compiled
    ``ethos-u`` op over uint8 command streams) is about its custom op, not about uint8
    quantization."""
    problems = []
    kind = compatibility.quantization
    if compatibility.unsupported_ops:
        ops = ", ".join(compatibility.unsupported_ops)
        flex = any(op.startswith("CUSTOM:Flex") for op in compatibility.unsupported_ops)
        why = ("Flex ops need the full TensorFlow runtime" if flex else
               "custom and unknown ops have no TFLM kernel")
        problems.append(Problem(
            f"TFLM has no kernel for {ops}",
            f"{source}: has ops TFLM cannot run: {ops} ({why}); convert the model with "
            "TFLite builtin ops only (no SELECT_TF_OPS, no custom ops)"))
    if kind == "hybrid":
        problems.append(Problem(
            QUANTIZATION_KINDS[kind],
            f"{source}: is a hybrid (dynamic-range quantized) model, float activations with "
            f"int8 weights in {', '.join(compatibility.hybrid_ops)}, and TFLM cannot run "
            "hybrid models; convert it again with full-int8 quantization (a "
            "representative_dataset and TFLITE_BUILTINS_INT8), or use edgetf train-quantize"))
    if kind == "uint8":
        problems.append(Problem(QUANTIZATION_KINDS[kind],
                                f"{source}: uses {QUANTIZATION_KINDS['uint8']}"))
    if not model.input_tensors() or not model.output_tensors():
        problems.append(Problem(
            no_inputs_or_outputs(model),
            f"{source}: {no_inputs_or_outputs(model)}, and the generated library needs at "
            "least one of each; export the model again"))
    for tensor in (*model.input_tensors(), *model.output_tensors()):
        if tensor.dtype not in EDGETF_TYPES:
            problems.append(Problem(
                f"tensor '{tensor.name}' is {tensor.dtype}, which the generated library "
                "cannot pass in or out",
                f"{source}: tensor '{tensor.name}' is {tensor.dtype}, which the generated "
                f"library cannot pass in or out (it takes {', '.join(EDGETF_TYPES)}); "
                "convert with int8 or float32 inputs and outputs"))
    return problems


def _notes(model: TfliteModel, compatibility: Compatibility, source: str) -> tuple[str, ...]:
    kind = compatibility.quantization
    notes = []
    if kind in ("float", "mixed", "int16x8"):
        notes.append(f"{source}: {kind} model: {QUANTIZATION_KINDS[kind]}")
    if len(model.input_tensors()) > 1 or len(model.output_tensors()) > 1:
        notes.append(f"{source}: has {len(model.input_tensors())} inputs and "
                     f"{len(model.output_tensors())} outputs; edgetf_run and the demo use "
                     "the first of each (the self-test checks them all)")
    return tuple(notes)
