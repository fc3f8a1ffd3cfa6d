"""The Pareto front of finished trials, and the one trial chosen from it.

Computed here from each trial's recorded figures rather than taken from Optuna, so that
the rule is visible and tested: only feasible trials (inside the board's budget and every
``--max-*`` cap) take part, accuracy is maximised, flash, RAM and (when capped) latency
minimised, and a trial is on the front when no other feasible trial is at least as good
in every objective and better in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """A finished trial as the front sees it."""

    number: int
    accuracy: float
    flash_bytes: int
    ram_bytes: int
    latency_ms: float | None
    feasible: bool

    def objectives(self, latency: bool) -> tuple[float, ...]:
        """Every objective as a value to minimise."""
        values = (-self.accuracy, float(self.flash_bytes), float(self.ram_bytes))
        if latency:
            values += (float("inf") if self.latency_ms is None else self.latency_ms,)
        return values


def dominates(a: Point, b: Point, latency: bool = False) -> bool:
    """``a`` is at least as good as ``b`` in every objective and better in one."""
    pairs = list(zip(a.objectives(latency), b.objectives(latency), strict=True))
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


def pareto_front(points: Sequence[Point], latency: bool = False) -> list[Point]:
    """The feasible points no feasible point dominates, most accurate first."""
    feasible = [p for p in points if p.feasible]
    front = [p for p in feasible if not any(dominates(q, p, latency) for q in feasible)]
    return sorted(front, key=_preference)


def choose(points: Sequence[Point]) -> Point | None:
    """The most accurate feasible point (ties: less flash, then RAM, latency, earlier
    trial); None when no point is feasible. It is always on the front."""
    feasible = [p for p in points if p.feasible]
    return min(feasible, key=_preference) if feasible else None


def _preference(point: Point) -> tuple:
    latency = float("inf") if point.latency_ms is None else point.latency_ms
    return (-point.accuracy, point.flash_bytes, point.ram_bytes, latency, point.number)
