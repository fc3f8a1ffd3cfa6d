"""The options of ``tune``, their checks and the config file's ``[tune]`` table.

As for train-quantize, one dataclass holds every name and default, and the CLI, the config
file and Python callers all end here. ``[tune]`` may also hold any train-quantize option:
it is then fixed for every trial (and leaves the search space); ``[tune.space]`` overrides
the search space (:mod:`edgetf.tune.space`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from edgetf.base.errors import ConfigError
from edgetf.data.builtin_models import is_model_path
from edgetf.targets.boards import BOARDS, Board, get_board
from edgetf.train.options import (
    FIELD_NAMES,
    TrainQuantizeOptions,
    coerce_config_value,
    read_toml,
)
from edgetf.tune.figures import RUNTIMES, Caps

DEFAULT_STUDY = "edgetf-tune"


@dataclass(frozen=True)
class TuneOptions:
    """Everything ``tune`` needs; see ``edgetf tune --help``."""

    out: str | None = None
    board: str | None = None
    data: str = "digits"
    model: str | None = None  # None: the architecture is searched
    label_column: str | None = None
    distill_from: str | None = None
    max_ram: int | None = None
    max_flash: int | None = None
    max_latency_ms: float | None = None
    runtime: str = "tflm"
    """Whose arena the trials are held to: the TFLM runtime's, the compiled one's, or
    (``auto``) the one ``emit-firmware --runtime auto`` would choose."""
    trials: int = 20
    timeout: float | None = None  # seconds after which no new trial starts
    workers: int = 1
    storage: str | None = None  # None: a journal file in out
    study: str = DEFAULT_STUDY
    seed: int = 42
    train: dict = field(default_factory=dict)
    """Other train-quantize options, the same for every trial (``[tune]`` keys)."""
    space: dict = field(default_factory=dict)
    """Search-space overrides (``[tune.space]``), keys with underscores."""
    feature_tables: dict = field(default_factory=dict)
    """The config file's ``[features.<kind>]`` tables: the front end every trial starts
    from (its keys are fixed for every trial; the space varies the others)."""

    def check(self) -> TuneOptions:
        """Raise ConfigError for anything wrong that needs no data; return self."""
        if not self.out:
            raise ConfigError("--out is required (here or in the config file), e.g. "
                              "--out runs/tune")
        if not self.board:
            raise ConfigError(f"--board is required: the board to fit, one of "
                              f"{', '.join(BOARDS)}")
        get_board(self.board)
        if self.runtime not in RUNTIMES:
            raise ConfigError(f"--runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)};"
                              " e.g. --runtime compiled")
        self.caps().check()
        if self.trials < 0:
            raise ConfigError(f"--trials {self.trials} must be at least 0 (0: only report "
                              "the trials the study has)")
        if self.workers < 1:
            raise ConfigError(f"--workers {self.workers} must be at least 1")
        if self.timeout is not None and not self.timeout > 0:
            raise ConfigError(f"--timeout {self.timeout} must be a positive number of seconds")
        if not self.study.strip():
            raise ConfigError("--study must be a name, e.g. --study digits")
        not_here = sorted(set(self.train) & {"out", "force", "distill_baseline", "boards",
                                             "config_file", "feature_params"})
        if not_here:
            raise ConfigError(f"[tune]: {', '.join(_key(k) for k in not_here)} is not a "
                              "tune option (each trial is its own run in out/trials/)")
        unknown = sorted(set(self.train) - set(FIELD_NAMES))
        if unknown:
            raise ConfigError(f"[tune]: unknown train-quantize option(s) "
                              f"{', '.join(_key(k) for k in unknown)}")
        self.base_options()
        return self

    @property
    def board_spec(self) -> Board:
        return get_board(self.board or "")

    def caps(self) -> Caps:
        return Caps(self.max_ram, self.max_flash, self.max_latency_ms)

    @property
    def user_model(self) -> bool:
        return bool(self.model) and is_model_path(self.model)

    def fixed(self) -> set[str]:
        """The train-quantize options given for every trial, which are not searched."""
        given = {name for name in ("model", "distill_from") if getattr(self, name)}
        return given | set(self.train)

    def base_options(self) -> TrainQuantizeOptions:
        """The train-quantize options every trial starts from, checked: each trial is
        converted for ``--board`` (per-tensor Dense weights where its TFLM needs them), so
        no trial makes a model the board refuses."""
        values = {name: getattr(self, name)
                  for name in ("data", "model", "label_column", "distill_from", "seed")}
        options = TrainQuantizeOptions(**{**values, **self.train},
                                       boards=(self.board,) if self.board else None)
        table = self.feature_tables.get(options.feature_kind())
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"[features.{options.feature_kind()}] should be a table")
        return dataclasses.replace(options, feature_params=dict(table) if table else None
                                   ).check()

    def settings(self) -> dict:
        """What a study's trials were measured against: a resumed study must keep it."""
        return {"board": self.board, "data": self.data, "label_column": self.label_column,
                "model": self.model, "distill_from": self.distill_from, "seed": self.seed,
                "max_ram": self.max_ram, "max_flash": self.max_flash,
                "max_latency_ms": self.max_latency_ms,
                "train": {key: self.train[key] for key in sorted(self.train)},
                # Only when given, so that studies from before front ends resume.
                **({"feature_tables": self.feature_tables} if self.feature_tables else {}),
                # Only when not the default, so that studies from before --runtime resume.
                **({"runtime": self.runtime} if self.runtime != "tflm" else {})}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


TUNE_FIELDS = tuple(f.name for f in dataclasses.fields(TuneOptions) if f.name not in
                    ("train", "space", "feature_tables"))
_TYPES = {"out": str, "board": str, "data": str, "model": str, "label_column": str,
          "distill_from": str, "max_ram": int, "max_flash": int, "max_latency_ms": float,
          "runtime": str, "trials": int, "timeout": float, "workers": int, "storage": str,
          "study": str, "seed": int}


def load_tune_options(config: str | Path | None = None, **overrides) -> TuneOptions:
    """Defaults, then the config file, then ``overrides`` whose value is not None; checked."""
    values = _read_config(Path(config)) if config else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    unknown = sorted(set(values) - set(TUNE_FIELDS) - {"train", "space", "feature_tables"})
    if unknown:
        raise ConfigError(f"unknown tune option(s) {', '.join(unknown)}")
    return TuneOptions(**values).check()


def _read_config(path: Path) -> dict:
    """Read the ``[tune]`` table (or the top level): tune's own keys, train-quantize keys
    fixed for every trial, and the ``space`` table; dashes or underscores."""
    document = read_toml(path)
    table = document.get("tune", document)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'tune' must be a table ([tune])")
    values: dict = {"train": {}, "space": {}}
    features = document.get("features") if table is not document else None
    if features is not None:
        if not isinstance(features, dict) or not all(isinstance(v, dict)
                                                     for v in features.values()):
            raise ConfigError(f"{path}: 'features' must hold tables, e.g. [features.audio]")
        values["feature_tables"] = features
    defaults = TrainQuantizeOptions()
    for key, value in table.items():
        name = key.replace("-", "_")
        if name == "space":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: 'space' must be a table ([tune.space])")
            values["space"] = {k.replace("-", "_"): v for k, v in value.items()}
        elif name in _TYPES:
            values[name] = _typed(path, key, value, _TYPES[name])
        elif name in FIELD_NAMES:
            values["train"][name] = coerce_config_value(path, key, value,
                                                        getattr(defaults, name))
        else:
            raise ConfigError(
                f"{path}: unknown key '{key}'; [tune] takes "
                f"{', '.join(_key(n) for n in _TYPES)}, any train-quantize option (fixed for "
                "every trial) and a [tune.space] table")
    return values


def _typed(path: Path, key: str, value, expected: type):
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: '{key}' should be {expected.__name__}, got {value!r}")
    return value


def _key(name: str) -> str:
    return name.replace("_", "-")
