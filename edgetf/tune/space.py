"""The search space: which train-quantize options a trial varies, and over which values.

Every entry is a train-quantize option (or, for ``distill``, whether to use the teacher
given with ``--distill-from``), so a trial is an ordinary run that its ``report.json``
reproduces. ``[tune.space]`` in the config file overrides any entry with a list (choose
among these), a table ``{low, high, step, log}`` (a range) or a single value (fixed, not
searched); an option fixed for every trial (``[tune]`` or a flag) leaves the space. A
user's model (``--model FILE``) keeps its architecture and training: only the compression
steps are searched. Everything is checked here, before any training, and an unknown key
is refused by name.

With raw data the front end is searched too, as Edge Impulse's EON Tuner does: the entries
of the data's front end (``audio`` for a folder of WAV clips: mel channels, window and
stride; ``spectral`` for a time-series CSV: bands, FFT length, the filter's low edge) each
set one key of the trial's ``[features.<kind>]`` table (train-quantize's
``feature_params``), so the trial's report records the front end it was trained with and
``emit-firmware --from`` embeds that one. A key the config file's ``[features.<kind>]``
table sets is fixed for every trial and leaves the space.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from edgetf.base.errors import ConfigError
from edgetf.data.builtin_models import ARCHITECTURES
from edgetf.train.options import FIELD_NAMES, TrainQuantizeOptions
from edgetf.train.steps import STEPS, StepOption
from edgetf.tune.entries import Domain, Param, show_value
from edgetf.tune.front_end_space import FRONT_END_PARAMS, check_strides

SOURCE = "[tune.space]"


def _same(name: str) -> Callable[[object], dict]:
    return lambda value: {name: value}


def _off_at(name: str, off) -> Callable[[object], dict]:
    return lambda value: {name: None if value == off else value}


def _distill(value) -> dict:
    defaults = TrainQuantizeOptions()
    return {} if value else {"distill_from": None,
                             "distill_temperature": defaults.distill_temperature,
                             "distill_alpha": defaults.distill_alpha}


#: The default domain of each step option (edgetf/train/steps.py) that tune searches; one
#: left out is an entry that only ``[tune.space]`` searches.
STEP_DOMAINS: dict[str, Domain] = {
    "low_rank": Domain(low=0.0, high=0.5, step=0.25),
    "prune": Domain(low=0.0, high=0.75, step=0.25),
    "prune_structure": Domain(choices=("none", "2:4")),
    "binary_weights": Domain(choices=("off", "inner")),
    "cluster": Domain(choices=(0, 8, 16, 32)),
    "weight_bits": Domain(choices=(8, 4, 2)),
    "qat": Domain(choices=(True, False)),
}


def _step_param(option: StepOption) -> Param:
    """The entry of a step's option: compression, set as is or unset at its ``off``."""
    to_options = _same(option.name) if option.off is None else _off_at(option.name, option.off)
    return Param(option.name, option.kind, "compression", STEP_DOMAINS.get(option.name),
                 option.name, to_options, option.meaning, needs=option.needs,
                 unless=option.unless, example=option.example)


_IMAGE_MODELS = Domain(choices=("tiny-cnn", "ds-cnn", "mlp"))
#: In sampling order: a later entry may depend on an earlier one (prune_structure on prune).
#: The compression steps' entries come from the step table, in its order.
PARAMS: tuple[Param, ...] = (
    Param("model", str, "model", _IMAGE_MODELS, "model", _same("model"),
          "built-in architecture (mlp only for feature vectors)"),
    Param("width", float, "model", Domain(low=0.25, high=1.5, step=0.25), "width",
          _same("width"), "multiplier of every hidden layer's filters or units"),
    Param("depth", int, "model", Domain(low=1, high=3), "depth", _same("depth"),
          "convolutions (tiny-cnn), separable blocks (ds-cnn), hidden layers (mlp)"),
    Param("learning_rate", float, "training", Domain(low=3e-4, high=3e-3, log=True),
          "learning_rate", _same("learning_rate"), "Adam's learning rate"),
    Param("epochs", int, "training", Domain(low=5, high=30, step=5), "epochs",
          _same("epochs"), "training epochs"),
    Param("fine_tune_epochs", int, "compression", None, "fine_tune_epochs",
          _same("fine_tune_epochs"), "epochs of each step's fine-tuning (default 4)"),
    *(_step_param(option) for step in STEPS for option in step.options),
    Param("distill", bool, "compression", Domain(choices=(True, False)), "distill_from",
          _distill, "distillation from --distill-from's teacher (only with one)"),
    *FRONT_END_PARAMS,
)
BY_NAME = {param.name: param for param in PARAMS}


def available(param: Param) -> bool:
    """Whether this edgetf's train-quantize has the option the entry sets."""
    return param.option in FIELD_NAMES


@dataclass(frozen=True)
class Space:
    """The entries a trial picks (searched or fixed), over the options fixed for all."""

    domains: dict[str, Domain]
    base: TrainQuantizeOptions

    def suggest(self, trial) -> dict:
        """Pick every applicable entry for ``trial`` (define-by-run: Optuna records only
        what was asked, so prune_structure exists only in pruned trials)."""
        values: dict = {}
        for param in PARAMS:
            domain = self.domains.get(param.name)
            if domain is not None and self._applies(param.name, values):
                values[param.name] = domain.pick(trial, param.name, param.kind)
        return values

    def _applies(self, name: str, values: dict) -> bool:
        """The step table's exclusions: e.g. binary weights (never zero) not with pruning,
        clustering not with binary weights, --weight-bits (clustering already) with neither."""
        param = BY_NAME[name]
        return (all(self._set(option, values) for option in param.needs)
                and not any(self._set(option, values) for option in param.unless))

    def _set(self, option: str, values: dict) -> bool:
        """Whether the trial's ``values`` (else the options fixed for all) set ``option``."""
        for name, value in values.items():
            changes = BY_NAME[name].to_options(value)
            if option in changes:
                return bool(changes[option])
        return bool(getattr(self.base, option, None))

    def options(self, values: dict, out: str | None = None) -> TrainQuantizeOptions:
        """The train-quantize options of a trial that picked ``values`` (the front end's
        keys over the ``[features.<kind>]`` table fixed for all)."""
        changes: dict = {}
        params = dict(self.base.feature_params or {})
        for name, value in values.items():
            for key, change in BY_NAME[name].to_options(value).items():
                if key == "feature_params":
                    params.update(change)
                else:
                    changes[key] = change
        if params:
            changes["feature_params"] = params
        return replace(self.base, **changes, out=out, force=out is not None)

    def front_end(self, values: dict) -> dict:
        """The front end's entries among a trial's ``values``."""
        return {name: value for name, value in values.items()
                if BY_NAME[name].front_end is not None}

    def searched(self) -> list[str]:
        return [name for name, domain in self.domains.items() if domain.searched]

    def describe(self) -> list[tuple[str, str]]:
        return [(name, domain.describe()) for name, domain in self.domains.items()]


def build_space(overrides: dict, base: TrainQuantizeOptions, *, fixed: set[str],
                input_shape: tuple[int, ...], user_model: bool) -> Space:
    """The default space, less what ``fixed`` names, with ``overrides`` applied; checked.

    ``fixed``: the train-quantize options given for every trial (flags or ``[tune]``),
    which the default space leaves alone and ``[tune.space]`` may not name.
    """
    unknown = sorted(set(overrides) - set(BY_NAME))
    if unknown:
        raise ConfigError(
            f"{SOURCE}: unknown key(s) {', '.join(map(repr, unknown))}; the space has "
            f"{', '.join(name for name in BY_NAME)}")
    kind = base.feature_kind()
    domains: dict[str, Domain] = {}
    for param in PARAMS:
        given = param.name in overrides
        if given:
            _check_allowed(param, fixed, base, user_model)
        elif (param.default is None or not available(param) or _fixed(param, fixed, base)
              or (param.scope not in ("compression", "front_end") and user_model)
              or (param.front_end is not None and param.front_end != kind)
              or (param.name == "distill" and base.distill_from is None)):
            continue
        domain = _domain(param, overrides[param.name]) if given else param.default
        if param.name == "model" and not given and len(input_shape) == 1:
            domain = Domain(value="mlp")
        domains[param.name] = domain
    space = Space(domains, base)
    for name, domain in domains.items():
        _check_values(space, name, domain, input_shape)
    check_strides(space.domains, space.base.feature_params)
    return space


def _check_allowed(param: Param, fixed: set[str], base: TrainQuantizeOptions,
                   user_model: bool) -> None:
    key = _key(param.name)
    if not available(param):
        raise ConfigError(f"{SOURCE}: '{key}' needs train-quantize's --{_key(param.option)}, "
                          "which this edgetf does not have; remove it")
    kind = base.feature_kind()
    if param.front_end is not None and param.front_end != kind:
        has = "no front end" if kind == "none" else f"the {kind} front end"
        raise ConfigError(f"{SOURCE}: '{key}' is a parameter of the {param.front_end} front "
                          f"end, but --data {base.data} has {has}; remove it")
    if _fixed(param, fixed, base):
        where = (f"[features.{param.front_end}]" if param.front_end is not None
                 else "a flag or a [tune] key")
        raise ConfigError(f"{SOURCE}: '{key}' is also fixed for every trial ({where}); "
                          "keep one of them")
    if user_model and param.scope not in ("compression", "front_end"):
        raise ConfigError(f"{SOURCE}: '{key}' sizes or trains a built-in architecture, but "
                          f"--model {base.model} is your own model, of which only the "
                          "compression steps are searched; remove it")
    if param.name == "distill" and base.distill_from is None:
        raise ConfigError(f"{SOURCE}: 'distill' needs a teacher; give --distill-from TEACHER")


def _fixed(param: Param, fixed: set[str], base: TrainQuantizeOptions) -> bool:
    """Whether the option the entry sets is given for every trial (the teacher is given
    for ``distill`` to choose whether to use it; a front end's key, by the config file's
    ``[features.<kind>]`` table)."""
    if param.front_end is not None:
        return param.name in (base.feature_params or {})
    return param.option in fixed and param.name != "distill"


def _domain(param: Param, raw) -> Domain:
    key = _key(param.name)
    if isinstance(raw, list):
        choices = tuple(_value(param, item) for item in raw)
        if not choices or len(set(choices)) != len(choices):
            raise ConfigError(f"{SOURCE}: '{key}' must list distinct values, got {raw!r}")
        return Domain(choices=choices) if len(choices) > 1 else Domain(value=choices[0])
    if isinstance(raw, dict):
        return _range(param, raw)
    return Domain(value=_value(param, raw))


def _range(param: Param, raw: dict) -> Domain:
    key = _key(param.name)
    if param.kind not in (int, float):
        raise ConfigError(f"{SOURCE}: '{key}' takes a list of values, not a range")
    extra = sorted(set(raw) - {"low", "high", "step", "log"})
    if extra or "low" not in raw or "high" not in raw:
        raise ConfigError(f"{SOURCE}: '{key}' range needs low and high (and optionally step "
                          f"or log), e.g. {{low = 1, high = 4}}; got {raw!r}")
    low, high = _value(param, raw["low"]), _value(param, raw["high"])
    step = None if raw.get("step") is None else _value(param, raw["step"])
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{SOURCE}: '{key}' log must be true or false, got {log!r}")
    if not low < high:
        raise ConfigError(f"{SOURCE}: '{key}' range needs low < high, got {low} .. {high}")
    if log and (step is not None or low <= 0):
        raise ConfigError(f"{SOURCE}: '{key}' log range needs low > 0 and no step")
    if step is not None:
        count = (high - low) / step
        if not step > 0 or not math.isclose(count, round(count), abs_tol=1e-9):
            raise ConfigError(f"{SOURCE}: '{key}' step {step} must be positive and divide "
                              f"high - low ({high - low:g})")
    return Domain(low=low, high=high, step=step, log=log)


def _value(param: Param, raw):
    """``raw`` with the entry's type; integers are accepted where floats are."""
    kind = param.kind
    if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
        raise ConfigError(f"{SOURCE}: '{_key(param.name)}' takes {kind.__name__} values, "
                          f"got {raw!r}")
    return raw


def _check_values(space: Space, name: str, domain: Domain, input_shape: tuple[int, ...]):
    """Each choice, or both ends of a range, must make valid train-quantize options."""
    for value in domain.candidates():
        if name == "model" and (value not in ARCHITECTURES or (
                value != "mlp" and len(input_shape) == 1)):
            raise ConfigError(
                f"{SOURCE}: model {value!r} is not a built-in architecture for this data "
                f"(shape {input_shape}); use "
                f"{'mlp' if len(input_shape) == 1 else ', '.join(ARCHITECTURES)}")
        values = {name: value}
        for option in BY_NAME[name].needs:  # e.g. a structure only exists with a sparsity
            values[option] = BY_NAME[option].example
        try:
            space.options(values).check()
        except ConfigError as error:
            raise ConfigError(f"{SOURCE}: '{_key(name)}' value {show_value(value)}: {error}") \
                from None


def _key(name: str) -> str:
    return name.replace("_", "-")
