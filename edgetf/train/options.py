"""The options of ``train-quantize``, their defaults, their checks and the config file.

One dataclass is the single source of truth for names and defaults: the CLI,
``edgetf.toml`` and Python callers all end up here, and everything is checked
before any training starts.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

from edgetf.base.errors import ConfigError
from edgetf.base.toml_file import read_toml
from edgetf.compress.binary import MODES as BINARY_MODES
from edgetf.data.builtin_models import ARCHITECTURES, MAX_DEPTH, is_model_path
from edgetf.data.model_formats import check_model_path, recognise
from edgetf.targets.boards import BOARDS, Board, get_board

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - Python 3.10
    pass


@dataclass(frozen=True)
class TrainQuantizeOptions:
    """Everything ``train_quantize`` needs; see ``edgetf train-quantize --help``."""

    data: str = "digits"  # the CLI requires --data (or data in the config file)
    out: str | None = None
    model: str | None = None  # None: tiny-cnn for images, mlp for vectors
    width: float = 1.0  # built-in models: multiplies every hidden layer's filters or units
    depth: int | None = None  # built-in models: convolutions, blocks or hidden layers
    label_column: str | None = None
    prune: float | None = None
    prune_structure: str | None = None
    cluster: int | None = None
    cluster_per_channel: bool = False
    weight_bits: int | None = None  # cluster to 2**B values per output channel
    binary_weights: str | None = None  # "inner" or "all": XNOR-Net's binary weights
    qat: bool = True
    low_rank: float | None = None  # rank = ceil(low_rank * min(m, n)) per weight matrix
    low_rank_energy: float | None = None  # or the rank keeping this share of sigma^2
    distill_from: str | None = None  # teacher: a Keras model file or a run's --out folder
    distill_temperature: float = 4.0
    distill_alpha: float = 0.9
    distill_baseline: bool = False
    epochs: int | None = None  # None: 20 from scratch, fine_tune_epochs for a user's model
    fine_tune_epochs: int = 4
    learning_rate: float = 1e-3
    calibration_samples: int = 200
    validation_fraction: float = 0.1
    clip_ms: float = 1000.0  # WAV folders: each clip padded with zeros or cut at its end
    seed: int = 42
    force: bool = False
    boards: tuple[str, ...] | None = None  # the boards whose TFLM must run it; None: all
    # Raw data: the front end (None: a WAV folder's is audio, a file's none) and, for a
    # time-series CSV, how it is cut into windows (docs/features.md).
    features: str | None = None
    sample_rate: float | None = None
    window_ms: float | None = None
    stride_ms: float | None = None  # None: half the window
    recording_column: str | None = None
    config_file: str | None = None  # the config file, whose [features.<kind>] table is read
    # The front end's parameters ([features.<kind>] keys) over the config file's table:
    # how tune's trials vary the front end, each trial's report reproducing its own.
    feature_params: dict | None = None

    def __post_init__(self):
        if isinstance(self.boards, (list, str)):  # a config file's list, or one board
            object.__setattr__(self, "boards", tuple(
                [self.boards] if isinstance(self.boards, str) else self.boards))

    def check(self) -> TrainQuantizeOptions:
        """Raise ConfigError for any value out of range; return self for chaining."""
        if self.prune is not None and not 0.0 <= self.prune < 1.0:
            raise ConfigError(
                f"--prune {self.prune} is outside [0, 1); give the fraction of weights to "
                f"set to zero, e.g. --prune 0.5"
            )
        if self.prune_structure is not None:
            self.structure()  # parses or raises
            if self.prune is None:
                raise ConfigError(
                    f"--prune-structure {self.prune_structure} needs --prune; "
                    f"e.g. --prune 0.5 --prune-structure 2:4"
                )
        if self.cluster is not None and not 2 <= self.cluster <= 256:
            raise ConfigError(
                f"--cluster {self.cluster} is outside 2..256; give the number of distinct "
                f"weight values per tensor, e.g. --cluster 16"
            )
        self._check_weight_bits()
        if self.cluster_per_channel and self.cluster is None:
            raise ConfigError("--cluster-per-channel needs --cluster K, e.g. --cluster 16")
        self._check_size()
        self._check_boards()
        self._check_low_rank()
        self._check_distillation()
        for name, low in (("fine_tune_epochs", 1), ("calibration_samples", 1), ("epochs", 0)):
            value = getattr(self, name)
            if value is not None and value < low:
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"{flag} {value} must be at least {low}")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate {self.learning_rate} must be positive, e.g. 1e-3")
        if not 0.0 < self.validation_fraction < 0.5:
            raise ConfigError(
                f"--validation-fraction {self.validation_fraction} is outside (0, 0.5)"
            )
        if not 0 < self.clip_ms <= 60_000:
            raise ConfigError(f"--clip-ms {self.clip_ms:g} should be above 0 and at most 60000 "
                              "(one minute), e.g. --clip-ms 1000")
        self._check_time_series()
        self._check_feature_params()
        return self

    def feature_kind(self) -> str:
        """The front end the data goes through: ``audio`` (a folder of WAV clips),
        ``spectral`` or ``none`` (a time-series CSV), or ``none`` (ready-made features)."""
        if self.time_series:
            return self.features or "spectral"
        return "audio" if Path(self.data).is_dir() else "none"

    def _check_feature_params(self) -> None:
        """Each value a front end's config table would refuse, before any data is read."""
        if not self.feature_params:
            return
        kind = self.feature_kind()
        if kind == "audio":
            from edgetf.features.audio_config import audio_config

            audio_config(dict(self.feature_params), source="the front end's parameters")
        elif kind == "spectral":
            from edgetf.features.spectral_config import spectral_config

            spectral_config(dict(self.feature_params), source="the front end's parameters")
        else:
            raise ConfigError(f"front-end parameters {sorted(self.feature_params)} need raw "
                              f"data (a folder of WAV clips, or a time-series CSV with "
                              f"--features spectral); --data {self.data} has no front end")

    @property
    def time_series(self) -> bool:
        """Whether ``data`` is a time-series CSV to cut into windows: ``--features
        spectral`` or ``none``, or ``--window-ms``, says so."""
        return self.features in ("spectral", "none") or self.window_ms is not None

    def _check_time_series(self) -> None:
        if self.features is not None and self.features not in ("audio", "spectral", "none"):
            raise ConfigError(f"--features {self.features!r} is not one of audio, spectral,"
                              " none")
        if self.features == "audio" and not self.time_series and \
                not Path(self.data).is_dir():
            raise ConfigError(f"--features audio takes a folder of WAV clips, one subfolder"
                              f" per label; --data {self.data} is not a folder")
        if not self.time_series:
            for name in ("sample_rate", "stride_ms", "recording_column"):
                if getattr(self, name) is not None:
                    raise ConfigError(f"--{name.replace('_', '-')} cuts a time-series CSV into"
                                      " windows: give --window-ms MS (and --features spectral"
                                      " or none)")
            return
        if self.features == "audio":
            raise ConfigError("--features audio takes a folder of WAV clips, not windows of"
                              " a time-series CSV; use --features spectral or none")
        if Path(self.data).suffix.lower() != ".csv":
            raise ConfigError(f"--data {self.data}: --features {self.features or 'spectral'}"
                              " and --window-ms cut a time-series .csv file into windows")
        if self.sample_rate is None or self.window_ms is None:
            raise ConfigError("a time-series CSV needs --sample-rate HZ and --window-ms MS,"
                              " e.g. --sample-rate 50 --window-ms 2000")
        for name in ("sample_rate", "window_ms", "stride_ms"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"--{name.replace('_', '-')} {value} must be positive")

    def _check_size(self) -> None:
        if not 0.0 < self.width <= 8.0:
            raise ConfigError(f"--width {self.width} is outside (0, 8]; it multiplies the "
                              f"built-in model's filters and units, e.g. --width 0.5")
        if self.depth is not None and not 1 <= self.depth <= MAX_DEPTH:
            raise ConfigError(f"--depth {self.depth} is outside 1..{MAX_DEPTH}; e.g. --depth 3")
        if (self.width != 1.0 or self.depth is not None) and self.model and \
                is_model_path(self.model):
            raise ConfigError(f"--width and --depth size the built-in architectures "
                              f"({', '.join(ARCHITECTURES)}); {self.model} keeps its own "
                              f"size, so drop them")

    def check_model_path(self) -> None:
        """What the --model path alone shows, before TensorFlow loads (seconds); not in
        :meth:`check`, which judges values (tune checks its space with it) not files."""
        if not self.model or self.model in ARCHITECTURES:
            return
        path = Path(self.model)
        recognised = recognise(path)
        if path.exists() or (recognised is not None and not recognised.trainable):
            check_model_path(path)
        elif path.suffix:
            raise ConfigError(f"--model {self.model}: no such model file; check the path")

    def _check_boards(self) -> None:
        if self.boards is None:
            return
        if not self.boards:
            raise ConfigError(f"--board: name at least one board, one of {', '.join(BOARDS)}")
        for board in self.boards:
            get_board(board)

    def board_records(self) -> tuple[Board, ...]:
        """The boards the model must run on: those named, or every board."""
        return tuple(BOARDS.values()) if self.boards is None else tuple(
            get_board(board) for board in dict.fromkeys(self.boards))

    def _check_weight_bits(self) -> None:
        """--weight-bits B is --cluster 2**B --cluster-per-channel with its own promise;
        --binary-weights sets every weight itself, so neither combines with clustering,
        and binary weights (never zero) not with pruning."""
        if self.weight_bits is not None:
            if not 1 <= self.weight_bits <= 7:
                raise ConfigError(
                    f"--weight-bits {self.weight_bits} is outside 1..7; give the bits per "
                    f"weight of TFLM's look-up-table weights (8 is plain int8), e.g. "
                    f"--weight-bits 4")
            if self.cluster is not None or self.cluster_per_channel:
                given = "--cluster" if self.cluster is not None else "--cluster-per-channel"
                raise ConfigError(
                    f"--weight-bits {self.weight_bits} already clusters (to "
                    f"{2 ** self.weight_bits} values per output channel or tensor); drop {given}")
        if self.binary_weights is None:
            return
        if self.binary_weights not in BINARY_MODES:
            raise ConfigError(
                f"--binary-weights {self.binary_weights!r} is not one of "
                f"{', '.join(BINARY_MODES)}; 'inner' keeps the first and last weighted "
                f"layers 8-bit, 'all' binarizes them too")
        for flag, value in (("--weight-bits", self.weight_bits), ("--cluster", self.cluster),
                            ("--prune", self.prune)):
            if value is not None:
                why = ("binary weights are never zero" if flag == "--prune"
                       else "binary weights already take 2 values per channel")
                raise ConfigError(
                    f"--binary-weights and {flag} do not combine ({why}); drop one of them")

    def _check_low_rank(self) -> None:
        if self.low_rank is not None and self.low_rank_energy is not None:
            raise ConfigError(
                "--low-rank and --low-rank-energy both choose the rank; give one of them")
        if self.low_rank is not None and not 0.0 < self.low_rank < 1.0:
            raise ConfigError(
                f"--low-rank {self.low_rank} is outside (0, 1); give the rank as a fraction "
                f"of each weight matrix's smaller side, e.g. --low-rank 0.25")
        if self.low_rank_energy is not None and not 0.0 < self.low_rank_energy <= 1.0:
            raise ConfigError(
                f"--low-rank-energy {self.low_rank_energy} is outside (0, 1]; give the share "
                f"of the squared singular values to keep, e.g. --low-rank-energy 0.9")

    def _check_distillation(self) -> None:
        defaults = TrainQuantizeOptions()
        if self.distill_from is None:
            for name in ("distill_temperature", "distill_alpha", "distill_baseline"):
                if getattr(self, name) != getattr(defaults, name):
                    raise ConfigError(
                        f"--{name.replace('_', '-')} needs --distill-from TEACHER (a .keras "
                        f"model or the --out folder of an earlier run)")
            return
        if not self.distill_temperature > 0:
            raise ConfigError(
                f"--distill-temperature {self.distill_temperature} must be positive; "
                f"1 keeps the teacher's probabilities, higher softens them (default 4)")
        if not 0.0 <= self.distill_alpha <= 1.0:
            raise ConfigError(
                f"--distill-alpha {self.distill_alpha} is outside [0, 1]; it weighs the "
                f"teacher's soft targets against the labels (default 0.9)")

    def structure(self) -> tuple[int, int] | None:
        """``"2:4"`` as tfmot's ``(zeros, block)`` pair."""
        if self.prune_structure is None:
            return None
        try:
            zeros, block = (int(part) for part in self.prune_structure.split(":"))
        except ValueError:
            zeros = block = -1
        if not 0 < zeros < block:
            raise ConfigError(
                f"--prune-structure '{self.prune_structure}' is not M:N with 0 < M < N; "
                f"e.g. 2:4 (two zeros in every four weights)"
            )
        return zeros, block

    @property
    def pruning(self) -> bool:
        return bool(self.prune)

    @property
    def clusters(self) -> int | None:
        """Values per clustered tensor (or channel): --cluster K, or 2**B for --weight-bits."""
        return 2 ** self.weight_bits if self.weight_bits is not None else self.cluster

    @property
    def clusters_per_channel(self) -> bool:
        return self.cluster_per_channel or self.weight_bits is not None

    @property
    def factoring(self) -> bool:
        return self.low_rank is not None or self.low_rank_energy is not None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


#: The options that change the model before conversion: refused for a PyTorch program.
#: (``qat`` is on by default: refused only when asked for, by :func:`load_options`.)
MODEL_STEPS = ("low_rank", "low_rank_energy", "prune", "prune_structure", "cluster",
               "cluster_per_channel", "weight_bits", "binary_weights", "distill_from",
               "epochs", "fine_tune_epochs", "learning_rate")


def is_torch_program(model: str | None) -> bool:
    """``--model`` names a ``torch.export`` file."""
    return bool(model) and Path(model).suffix.lower() == ".pt2"


def refuse_model_steps(options: TrainQuantizeOptions, qat_given: bool = False) -> None:
    """Raise :class:`ConfigError` naming the first step that does not apply to a program."""
    defaults = TrainQuantizeOptions()
    given = [name for name in MODEL_STEPS if getattr(options, name) != getattr(defaults, name)]
    if qat_given:
        given.insert(0, "qat")
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise ConfigError(
            f"{flag} does not apply to a PyTorch program ({options.model}): edgetf converts it "
            f"as trained, to full int8 by post-training calibration; compress or fine-tune it "
            f"in PyTorch before torch.export, and drop {flag}")


FIELD_NAMES = tuple(field.name for field in dataclasses.fields(TrainQuantizeOptions))


def load_options(config: str | Path | None = None, *, require_data: bool = False,
                 **overrides) -> TrainQuantizeOptions:
    """Defaults, then the config file, then ``overrides`` whose value is not None.

    ``require_data``: the data must be named, by ``data`` or the config file (the CLI:
    no silent default)."""
    values = _read_config(Path(config)) if config else {}
    if config:
        values["config_file"] = str(config)
    values.update({key: value for key, value in overrides.items() if value is not None})
    if require_data and "data" not in values:
        raise ConfigError("--data is required: 'digits' (built in), FILE.npz or FILE.csv, "
                          "e.g. --data digits")
    unknown = sorted(set(values) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(unknown)}")
    options = TrainQuantizeOptions(**values).check()
    if is_torch_program(options.model):  # qat is on by default: refused only when asked for
        refuse_model_steps(options, qat_given=values.get("qat") is True)
    return options


def _read_config(path: Path) -> dict:
    """Read ``edgetf.toml``: top-level keys or a ``[train-quantize]`` table, dashes allowed."""
    document = read_toml(path)
    table = document.get("train-quantize", document)
    values = {}
    defaults = TrainQuantizeOptions()
    for key, value in table.items():
        name = key.replace("-", "_")
        if name == "features" and isinstance(value, dict):
            continue  # the front ends' [features.<kind>] tables, read by the front end
        if name not in FIELD_NAMES or name in ("config_file", "feature_params"):
            raise ConfigError(
                f"{path}: unknown key '{key}'; valid keys are "
                f"{', '.join(n.replace('_', '-') for n in FIELD_NAMES)}"
            )
        values[name] = coerce_config_value(path, key, value, getattr(defaults, name))
    return values


def coerce_config_value(path: Path | str, key: str, value, default):
    """Config values must have the option's type (ints are accepted where floats are)."""
    expected = {"prune": float, "cluster": int, "epochs": int, "model": str,
                "label_column": str, "prune_structure": str, "out": str,
                "low_rank": float, "low_rank_energy": float, "distill_from": str,
                "depth": int, "weight_bits": int, "binary_weights": str,
                "boards": list, "features": str, "sample_rate": float, "window_ms": float,
                "stride_ms": float, "recording_column": str, "feature_params": dict}.get(
        key.replace("-", "_"), type(default))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(
            f"{path}: '{key}' should be {expected.__name__}, got {value!r}"
        )
    return value
