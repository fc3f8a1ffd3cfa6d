"""Geometry of the tune report's scatter plots, as plain data for an SVG template.

Like validate's report, the page must open anywhere, offline: inline SVG, no script, no
plotting library. This module only places each point, axis line and label; the template
(``templates/report/tune.html.j2``) writes the markup and escapes every text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from edgetf.tune.results import TrialRow, describe_choices

PLOT_WIDTH = 700
PLOT_HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 16, 56
COLOURS = {"feasible": "#4a7ab5", "infeasible": "#ffffff", "front": "#e07b00"}


@dataclass
class Scatter:
    """An SVG canvas: points (circles), lines and texts."""

    width: int
    height: int
    circles: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)

    def line(self, x1, y1, x2, y2, stroke="#888", dash="", css=""):
        self.lines.append({"x1": round(x1, 2), "y1": round(y1, 2), "x2": round(x2, 2),
                           "y2": round(y2, 2), "stroke": stroke, "dash": dash, "css": css})

    def text(self, x, y, text, anchor="middle", size=12, rotate=None, fill="#222"):
        self.texts.append({"x": round(x, 2), "y": round(y, 2), "text": str(text),
                           "anchor": anchor, "size": size, "rotate": rotate, "fill": fill})


def accuracy_scatter(rows: list[TrialRow], x_name: str, x_label: str, cap: int | None,
                     cap_flag: str, front: set[int], chosen: int | None) -> Scatter:
    """Validation accuracy (up) against ``x_name`` bytes (right) for every finished trial:
    infeasible trials hollow, feasible ones filled, the front orange, the chosen trial
    ringed, and the cap a dashed red line."""
    chart = Scatter(LEFT + PLOT_WIDTH + RIGHT, TOP + PLOT_HEIGHT + BOTTOM)
    points = [row for row in rows if row.state == "complete" and row.accuracy is not None]
    xs = [getattr(row, x_name) for row in points] + ([cap] if cap is not None else [])
    x_low, x_high = _padded(min(xs, default=0), max(xs, default=1))
    accuracies = [row.accuracy for row in points]
    y_low = max(0.0, math.floor((min(accuracies, default=0.0) - 0.02) * 20) / 20)
    y_high = min(1.0, math.ceil((max(accuracies, default=1.0) + 0.01) * 20) / 20)
    if y_high <= y_low:
        y_low, y_high = max(0.0, y_high - 0.05), min(1.0, y_low + 0.05)

    def x_at(value):
        return LEFT + (value - x_low) / (x_high - x_low) * PLOT_WIDTH

    def y_at(value):
        return TOP + PLOT_HEIGHT - (value - y_low) / (y_high - y_low) * PLOT_HEIGHT

    base = TOP + PLOT_HEIGHT
    for index in range(6):
        value = y_low + (y_high - y_low) * index / 5
        chart.line(LEFT, y_at(value), LEFT + PLOT_WIDTH, y_at(value), stroke="#eee")
        chart.text(LEFT - 6, y_at(value) + 4, f"{100 * value:.0f} %", anchor="end")
    for index in range(6):
        value = x_low + (x_high - x_low) * index / 5
        chart.line(x_at(value), base, x_at(value), base + 4)
        chart.text(x_at(value), base + 18, _bytes(value))
    chart.line(LEFT, base, LEFT + PLOT_WIDTH, base)
    chart.line(LEFT, TOP, LEFT, base)
    chart.text(LEFT + PLOT_WIDTH / 2, base + 44, x_label)
    chart.text(16, TOP + PLOT_HEIGHT / 2, "validation accuracy (int8, TFLM)", rotate=-90)
    if cap is not None:
        chart.line(x_at(cap), TOP, x_at(cap), base, stroke="#c0392b", dash="6 4", css="cap")
        chart.text(x_at(cap) + 4, TOP + 12, f"{cap_flag} {cap:,}", anchor="start",
                   fill="#c0392b")
    # Front last, so that its points are drawn over the others.
    for row in sorted(points, key=lambda r: (r.number in front, r.number == chosen)):
        on_front = row.number in front
        css = ["trial", "feasible" if row.feasible else "infeasible"]
        css += ["front"] if on_front else []
        css += ["chosen"] if row.number == chosen else []
        fill = COLOURS["front" if on_front else "feasible" if row.feasible else "infeasible"]
        title = (f"trial {row.number}: validation {100 * row.accuracy:.2f} %, flash "
                 f"{row.flash_bytes:,} B, arena {row.arena_bytes:,} B; "
                 f"{describe_choices(row.choices)}"
                 + ("" if row.feasible else f"; infeasible: {row.note}"))
        chart.circles.append({
            "cx": round(x_at(getattr(row, x_name)), 2), "cy": round(y_at(row.accuracy), 2),
            "r": 7 if row.number == chosen else 5 if on_front else 4, "fill": fill,
            "stroke": "#222" if row.number == chosen else "#4a7ab5" if not on_front
            else "#8a4b00", "width": 2.5 if row.number == chosen else 1,
            "css": " ".join(css), "title": title})
    return chart


def _padded(low: float, high: float) -> tuple[float, float]:
    span = high - low or max(abs(high) * 0.2, 1.0)
    return max(0.0, low - 0.06 * span), high + 0.06 * span


def _bytes(value: float) -> str:
    return f"{value / 1024:.1f} KB" if value >= 10240 else f"{value:,.0f} B"
