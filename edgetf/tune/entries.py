"""The search space's entries: the values one may take (:class:`Domain`) and what it sets
(:class:`Param`); :mod:`edgetf.tune.space` lists them and builds the space."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Domain:
    """The values one entry may take: ``choices``, a range ``low..high``, or one value."""

    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    value: object = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @property
    def searched(self) -> bool:
        return self.is_range or len(self.choices) > 1

    def candidates(self) -> tuple:
        """The values worth checking before any training: each choice, or both ends."""
        if self.is_range:
            return (self.low, self.high)
        return self.choices or (self.value,)

    def pick(self, trial, name: str, kind: type):
        """The value for this trial (Optuna's suggestion, or the fixed value)."""
        if self.is_range:
            if kind is int:
                return trial.suggest_int(name, int(self.low), int(self.high),
                                         step=int(self.step or 1), log=self.log)
            return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)
        if len(self.choices) > 1:
            return trial.suggest_categorical(name, list(self.choices))
        return self.choices[0] if self.choices else self.value

    def describe(self) -> str:
        if self.is_range:
            extra = " (log)" if self.log else f" step {self.step:g}" if self.step else ""
            return f"{self.low:g} .. {self.high:g}{extra}"
        if len(self.choices) > 1:
            return ", ".join(show_value(choice) for choice in self.choices)
        return f"= {show_value(self.candidates()[0])}"


@dataclass(frozen=True)
class Param:
    """One entry of the space."""

    name: str
    kind: type
    scope: str
    """``model``/``training``: built-in architectures only; ``compression``: any model."""
    default: Domain | None
    """None: not searched unless ``[tune.space]`` asks for it."""
    option: str
    """The TrainQuantizeOptions field it needs: entries of options this edgetf lacks are
    left out of the default space and refused in ``[tune.space]``."""
    to_options: Callable[[object], dict]
    meaning: str
    needs: tuple[str, ...] = ()
    """Options that must be set (by an earlier entry of the trial, or for every trial)."""
    unless: tuple[str, ...] = ()
    """Options that, set, leave this entry out of the trial."""
    example: object = None
    """A value that sets the option, for checking the entries that need it."""
    front_end: str | None = None
    """The front end (``audio``, ``spectral``) whose ``[features.<kind>]`` key it sets."""


def show_value(value) -> str:
    """A value as ``[tune.space]`` writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)
