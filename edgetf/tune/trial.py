"""One trial: a real ``train_quantize`` run in its own folder, scored and measured.

The trial's options come from the search space; the run writes ``out/trials/NNNN/`` like
any train-quantize run. Its int8 model is then scored under the TFLM interpreter on the
**validation** split (the test split is kept for the chosen model, once, at the end) and
measured by :func:`~edgetf.tune.figures.board_figures`. Everything goes into the Optuna
trial's attributes, so the report is built from the study alone, on any machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from edgetf.base.errors import ConfigError, EdgetfError
from edgetf.base.interrupts import raise_if_swallowed
from edgetf.base.tf_import import import_tf
from edgetf.compress.teacher import check_teacher_path
from edgetf.data.builtin_models import ARCHITECTURES
from edgetf.data.datasets import Dataset
from edgetf.features.audio_dataset import AudioDataset
from edgetf.targets.boards import Board
from edgetf.targets.front_end_time import front_end_time
from edgetf.targets.prepared import PreparedModel, prepare_model
from edgetf.tflm.agreement import compare_interpreters
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.run_result import front_end_loads
from edgetf.train.train_quantize import load_training_data, train_quantize
from edgetf.tune.figures import BoardFigures, Caps, board_figures
from edgetf.tune.options import TuneOptions
from edgetf.tune.pruning import EpochTwin, TrialReporter
from edgetf.tune.space import Space, build_space

TRIALS_FOLDER = "trials"
#: Latency objective of a model the board cannot run (the trial is infeasible anyway).
_NO_LATENCY = 1e9


#: Front-end settings whose features a process keeps (a few MB each for speech clips).
_CACHED_FEATURES = 8


@dataclass(frozen=True)
class Plan:
    """What every worker needs, rebuilt from the options in each process."""

    options: TuneOptions
    board: Board
    caps: Caps
    space: Space
    data: Dataset
    """The data through the front end every trial starts from (raw data) or as it is."""
    out: Path
    features: dict = field(default_factory=dict, compare=False, repr=False)
    """Raw data's features by front-end setting (:meth:`loaded`), computed once each."""

    def loaded(self, options: TrainQuantizeOptions) -> tuple:
        """``load_training_data(options)``, kept for the next trial with the same front
        end: computing a folder of clips' features in the TFLM interpreter costs more than
        a small trial's training."""
        if options.feature_kind() == "none":
            return self.data, None
        key = _features_key(options)
        if key not in self.features:
            while len(self.features) >= _CACHED_FEATURES:
                self.features.pop(next(iter(self.features)))
            self.features[key] = load_training_data(options)
        return self.features[key]


#: The train-quantize options that decide raw data's features.
_FEATURE_OPTIONS = ("data", "features", "feature_params", "clip_ms", "sample_rate",
                    "window_ms", "stride_ms", "label_column", "recording_column",
                    "validation_fraction", "seed")


def _features_key(options: TrainQuantizeOptions) -> str:
    return json.dumps({name: getattr(options, name) for name in _FEATURE_OPTIONS},
                      sort_keys=True, default=str)


def make_plan(options: TuneOptions) -> Plan:
    """Check the options, load the data, build the space: every mistake before training."""
    options.check()
    base = options.base_options()
    if base.model and not options.user_model and base.model not in ARCHITECTURES:
        raise ConfigError(f"--model {base.model}: neither a built-in architecture "
                          f"({', '.join(ARCHITECTURES)}) nor a model file or folder here")
    if options.user_model and not Path(base.model).exists():
        raise ConfigError(f"--model {base.model}: no such model file; check the path")
    if base.distill_from:
        check_teacher_path(base.distill_from)
    loaded = load_training_data(base)  # raw data: through the front end trials start from
    space = build_space(options.space, base, fixed=options.fixed(),
                        input_shape=loaded[0].input_shape, user_model=options.user_model)
    plan = Plan(options, options.board_spec, options.caps(), space, loaded[0],
                Path(options.out))
    if base.feature_kind() != "none":
        plan.features[_features_key(base)] = loaded
    return plan


@dataclass
class Outcome:
    """How a trial ended: ``state`` is "complete", "pruned" or "fail"."""

    state: str
    values: list[float] | None = None
    summary: dict = field(default_factory=dict)


def run_trial(trial, plan: Plan, companion=None) -> Outcome:
    """Run the trial Optuna handed out; record its figures in its user attributes.

    A trial that fails (a step that cannot handle its options, a TensorFlow error) is
    recorded as failed with its message and the study goes on; Ctrl-C propagates.
    ``companion(architecture)`` gives the study whose pruner judges the trial's epochs.
    """
    start = time.perf_counter()
    folder = Path(TRIALS_FOLDER) / f"{trial.number:04d}"
    choices = plan.space.suggest(trial)
    options = plan.space.options(choices, out=str(plan.out / folder))
    recorded = {k: v for k, v in options.to_dict().items() if k not in ("out", "force")}
    for key, value in (("choices", choices), ("options", recorded),
                       ("folder", folder.as_posix()), ("host", socket.gethostname())):
        trial.set_user_attr(key, value)
    summary = {"number": trial.number, "choices": choices}
    group = choices.get("model") or Path(plan.space.base.model or "default").name
    twin = EpochTwin(companion(group), trial.number) if companion is not None else None
    state = "fail"
    try:
        _, keras = import_tf()
        keras.backend.clear_session()  # each trial as in a fresh process (layer names too)
        reporter = TrialReporter(twin)
        loaded = plan.loaded(options)
        with _logged(reporter.warnings):
            result = train_quantize(options, reporter, loaded=loaded)
        trial.set_user_attr("warnings", reporter.warnings)
        accuracy, interpreter = validation_accuracy(result.int8_model, loaded[0],
                                                    result.prepared)
        figures = trial_figures(result, loaded[0], plan)
        state = "complete"
    except Exception as error:
        raise_if_swallowed()  # a Ctrl-C that TensorFlow turned into another error
        state = "pruned" if type(error).__name__ == "TrialPruned" else "fail"
        message = _message(error, state)
        trial.set_user_attr("error" if state == "fail" else "pruned", message)
        trial.set_user_attr("wall_s", round(time.perf_counter() - start, 2))
        return Outcome(state, None, {**summary, "state": state, "message": message,
                                     "wall_s": time.perf_counter() - start})
    finally:
        if twin is not None:
            twin.finish(state)
    return _complete(trial, plan, summary, accuracy, interpreter, figures, result.int8_model,
                     time.perf_counter() - start)


def trial_figures(result, data: Dataset, plan: Plan) -> BoardFigures:
    """The board figures of a trial's library: its model, and the front end of raw audio
    or motion data as ``emit-firmware --from`` embeds it (train-quantize's per-board
    figures count the same load)."""
    prepared = result.prepared or prepare_model(result.int8_model, "model.tflite")
    load = front_end_loads(data, prepared, (plan.board,)).get(plan.board.id)
    timing = None
    if load is not None and isinstance(data, AudioDataset):  # no estimate for motion's
        c = data.front_end.config
        timing = front_end_time(c, c.frames(int(data.clip_ms * c.sample_rate / 1000)),
                                plan.board)
    return board_figures(prepared, plan.board, plan.options.runtime, front_end=load,
                         front_end_time=timing)


def _complete(trial, plan: Plan, summary: dict, accuracy: float, interpreter: str,
              figures: BoardFigures, model: bytes, wall_s: float) -> Outcome:
    broken = plan.caps.broken(figures)
    attrs = {"val_accuracy": accuracy, "val_interpreter": interpreter,
             "figures": figures.to_dict(), "feasible": not broken, "broken": broken,
             "constraints": plan.caps.violations(figures),
             "model_sha256": hashlib.sha256(model).hexdigest(), "wall_s": round(wall_s, 2)}
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
    for key, value in zip(plan.caps.constraint_names(), attrs["constraints"], strict=True):
        trial.set_constraint(key, value)
    values = [accuracy, float(figures.flash_bytes), float(figures.arena_bytes)]
    if plan.caps.max_latency_ms is not None:
        values.append(_NO_LATENCY if figures.latency_ms is None else figures.latency_ms)
    return Outcome("complete", values, {**summary, **attrs, "state": "complete"})


@contextlib.contextmanager
def _logged(into: list[str]) -> Iterator[None]:
    """Keep what libraries log during a trial in its record, off the terminal: tfmot warns
    through the root logger ("Input layer does not contain zero weights, so apply CQAT
    instead."), which would otherwise print between the tuner's lines."""

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            into.append(record.getMessage())

    # The root logger's own handlers step aside too: the first logging.warning() of a
    # process that has none installs a stderr one (logging.basicConfig), and a run before
    # the study (a caller's own train_quantize) may have done so already.
    root = logging.getLogger()
    saved, root.handlers = root.handlers, [_Keep(logging.WARNING)]
    try:
        yield
    finally:
        root.handlers = saved


def _message(error: Exception, state: str) -> str:
    """One line for the trial's record: edgetf's own message, or the exception's type and
    first line (TensorFlow's can run to pages)."""
    if isinstance(error, EdgetfError) or state == "pruned":
        return str(error)
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def validation_accuracy(model: bytes, data: Dataset, prepared: PreparedModel | None = None
                        ) -> tuple[float, str]:
    """Top-1 accuracy of the int8 model on the validation split, under the TFLM interpreter
    (LiteRT where tflite-micro has no wheel); and which interpreter it was. ``prepared``:
    ``model`` already read (train-quantize's), not read again."""
    comparison = compare_interpreters(model, data.x_val, data.y_val,
                                      parsed=prepared.model if prepared else None)
    if comparison.tflm_accuracy is not None:
        return comparison.tflm_accuracy, "tflm"
    return float(comparison.litert_accuracy), "litert"
