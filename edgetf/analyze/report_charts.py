"""Geometry of the validation report's charts, as plain data for an SVG template.

The report must open anywhere, offline, years later: no JavaScript, no plotting library,
no fonts or styles fetched from the network. So the charts are inline SVG, and this
module only computes where each rectangle and label goes; the template
(``templates/report/validation.html.j2``) writes the markup and escapes every label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Width of one chart's drawing area in CSS pixels (the page is ~960 px wide).
PLOT_WIDTH = 720
#: Room for the labels left of and below a chart.
MARGIN_LEFT = 120
MARGIN_BOTTOM = 110
MARGIN_TOP = 16


@dataclass
class Chart:
    """An SVG canvas: its size, rectangles, texts and axis lines."""

    width: int
    height: int
    rects: list[dict] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)

    def rect(self, x, y, width, height, fill, title="", css=""):
        self.rects.append({"x": round(x, 2), "y": round(y, 2), "width": round(width, 2),
                           "height": round(height, 2), "fill": fill, "title": title,
                           "css": css})

    def text(self, x, y, text, anchor="middle", fill="#222", size=12, rotate=None):
        self.texts.append({"x": round(x, 2), "y": round(y, 2), "text": str(text),
                           "anchor": anchor, "fill": fill, "size": size, "rotate": rotate})

    def line(self, x1, y1, x2, y2, stroke="#888"):
        self.lines.append({"x1": round(x1, 2), "y1": round(y1, 2), "x2": round(x2, 2),
                           "y2": round(y2, 2), "stroke": stroke})


def short(label: str, limit: int = 14) -> str:
    """Axis labels are cut to ``limit`` characters; the full one is in the tooltip."""
    label = " ".join(str(label).split())
    return label if len(label) <= limit else label[: limit - 1] + "…"


def confusion_chart(matrix: list[list[int]], labels: list[str]) -> Chart:
    """A heat map of ``matrix[true][predicted]``, each row shaded by its own total so
    that rare classes stay as readable as common ones; the diagonal is green, errors red.
    """
    classes = len(matrix)
    cell = max(8.0, min(48.0, PLOT_WIDTH / max(classes, 1)))
    side = cell * classes
    chart = Chart(int(MARGIN_LEFT + side + 10), int(MARGIN_TOP + side + MARGIN_BOTTOM))
    show_counts = cell >= 22
    for true, row in enumerate(matrix):
        total = sum(row) or 1
        for predicted, count in enumerate(row):
            share = count / total
            hue = 130 if true == predicted else 5
            fill = "#f7f7f7" if count == 0 else f"hsl({hue}, 60%, {round(92 - 50 * share)}%)"
            x, y = MARGIN_LEFT + predicted * cell, MARGIN_TOP + true * cell
            chart.rect(x, y, cell - 1, cell - 1, fill,
                       title=f"true {labels[true]}, predicted {labels[predicted]}: {count} "
                             f"({100 * share:.1f} % of the row)", css="cell")
            if show_counts and count:
                chart.text(x + cell / 2, y + cell / 2 + 4, count, size=11,
                           fill="#fff" if share > 0.6 else "#222")
    for index, label in enumerate(labels):
        centre = index * cell + cell / 2
        chart.text(MARGIN_LEFT - 6, MARGIN_TOP + centre + 4, short(label), anchor="end")
        chart.text(MARGIN_LEFT + centre, MARGIN_TOP + side + 12, short(label), anchor="end",
                   rotate=-45)
    chart.text(MARGIN_LEFT + side / 2, chart.height - 6, "predicted class")
    chart.text(14, MARGIN_TOP + side / 2, "true class", rotate=-90)
    return chart


def per_class_chart(series: dict[str, list[float | None]], labels: list[str],
                    colours: dict[str, str]) -> Chart:
    """Grouped bars of per-class accuracy (0..1), one bar per series and class."""
    classes = len(labels)
    group = PLOT_WIDTH / max(classes, 1)
    bar = group * 0.8 / max(len(series), 1)
    height = 220
    chart = Chart(MARGIN_LEFT + PLOT_WIDTH + 10, MARGIN_TOP + height + MARGIN_BOTTOM)
    base = MARGIN_TOP + height
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = base - tick * height
        chart.line(MARGIN_LEFT, y, MARGIN_LEFT + PLOT_WIDTH, y, stroke="#ddd")
        chart.text(MARGIN_LEFT - 6, y + 4, f"{tick:.0%}", anchor="end")
    for index, label in enumerate(labels):
        left = MARGIN_LEFT + index * group + group * 0.1
        for offset, (name, values) in enumerate(series.items()):
            value = values[index]
            if value is None:
                continue
            chart.rect(left + offset * bar, base - value * height, max(bar - 1, 1),
                       value * height, colours[name],
                       title=f"{label}: {name} {100 * value:.1f} %", css="bar")
        chart.text(MARGIN_LEFT + index * group + group / 2, base + 14, short(label),
                   anchor="end", rotate=-45)
    chart.line(MARGIN_LEFT, base, MARGIN_LEFT + PLOT_WIDTH, base)
    return chart


def histogram_chart(edges: list[float], counts: list[int]) -> Chart:
    """Bars of the error histogram on a log10(1 + count) scale: most errors sit in the
    middle bins, and a linear scale would hide the tails a person looks for."""
    height = 220
    chart = Chart(MARGIN_LEFT + PLOT_WIDTH + 10, MARGIN_TOP + height + 50)
    base = MARGIN_TOP + height
    top = math.log10(1 + max(counts, default=0)) or 1.0
    width = PLOT_WIDTH / max(len(counts), 1)
    decade = 1
    while decade <= max(counts, default=0):
        y = base - math.log10(1 + decade) / top * height
        chart.line(MARGIN_LEFT, y, MARGIN_LEFT + PLOT_WIDTH, y, stroke="#ddd")
        chart.text(MARGIN_LEFT - 6, y + 4, f"{decade:,}", anchor="end")
        decade *= 10
    for index, count in enumerate(counts):
        if not count:
            continue
        bar = math.log10(1 + count) / top * height
        chart.rect(MARGIN_LEFT + index * width, base - bar, max(width - 1, 1), bar, "#4a7ab5",
                   title=f"{edges[index]:+.4g} to {edges[index + 1]:+.4g}: {count:,}",
                   css="bar")
    chart.line(MARGIN_LEFT, base, MARGIN_LEFT + PLOT_WIDTH, base)
    for position in (0, len(counts) / 2, len(counts)):
        value = edges[0] + (edges[-1] - edges[0]) * position / max(len(counts), 1)
        chart.text(MARGIN_LEFT + position * width, base + 16, f"{value:+.3g}")
    chart.text(MARGIN_LEFT + PLOT_WIDTH / 2, base + 40,
               "int8 output − reference output (dequantized)")
    return chart


def threshold_chart(rows: list[dict], chosen: float, colours: dict[str, str]) -> Chart:
    """Miss rate (left axis, 0-100 %) and false activations per hour (right axis, from 0)
    against the detection threshold: the streaming calibration's trade-off, with the
    config's threshold as a vertical line."""
    height = 260
    chart = Chart(MARGIN_LEFT + PLOT_WIDTH + 70, MARGIN_TOP + height + 50)
    base = MARGIN_TOP + height
    fa_values = [r["false_activations_per_hour"] or 0.0 for r in rows]
    fa_top = _nice_top(max(fa_values, default=0.0))

    def x_at(threshold):
        return MARGIN_LEFT + threshold * PLOT_WIDTH

    for tick in range(5):
        y = base - tick / 4 * height
        chart.line(MARGIN_LEFT, y, MARGIN_LEFT + PLOT_WIDTH, y, stroke="#ddd")
        chart.text(MARGIN_LEFT - 6, y + 4, f"{25 * tick} %", anchor="end",
                   fill=colours["miss"])
        chart.text(MARGIN_LEFT + PLOT_WIDTH + 6, y + 4, f"{fa_top * tick / 4:.3g}",
                   anchor="start", fill=colours["fa"])
    for tick in range(11):
        chart.line(x_at(tick / 10), base, x_at(tick / 10), base + 4)
        chart.text(x_at(tick / 10), base + 18, f"{tick / 10:.1f}")
    chart.line(x_at(chosen), MARGIN_TOP, x_at(chosen), base, stroke="#222")
    chart.text(x_at(chosen) + 4, MARGIN_TOP + 12, f"config {chosen:.2f}", anchor="start")
    series = {"miss": [(r["threshold"], (r["miss_rate"] or 0.0) * height) for r in rows],
              "fa": [(r["threshold"], v / fa_top * height) for r, v in zip(rows, fa_values,
                                                                           strict=True)]}
    for name, points in series.items():
        for (t0, h0), (t1, h1) in zip(points, points[1:], strict=False):
            chart.line(x_at(t0), base - h0, x_at(t1), base - h1, stroke=colours[name])
        for row, (t, h) in zip(rows, points, strict=True):
            value = (f"miss rate {100 * (row['miss_rate'] or 0):.1f} %" if name == "miss"
                     else f"{row['false_activations_per_hour'] or 0:.1f} false activations / h")
            chart.rect(x_at(t) - 3, base - h - 3, 6, 6, colours[name],
                       title=f"threshold {t:.2f}: {value}", css=f"point {name}")
    chart.line(MARGIN_LEFT, base, MARGIN_LEFT + PLOT_WIDTH, base)
    chart.text(MARGIN_LEFT + PLOT_WIDTH / 2, base + 40, "detection threshold (averaged score)")
    chart.text(14, MARGIN_TOP + height / 2, "miss rate", rotate=-90, fill=colours["miss"])
    chart.text(chart.width - 8, MARGIN_TOP + height / 2, "false activations / hour",
               rotate=90, fill=colours["fa"])
    return chart


def _nice_top(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    decade = 10 ** math.floor(math.log10(value))
    return next(step * decade for step in (1, 2, 5, 10) if step * decade >= value)
