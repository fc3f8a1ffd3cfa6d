"""``DIR/tune.html``: the study as one self-contained page.

Scatter plots of validation accuracy against flash and against RAM, with the Pareto
front marked and the caps drawn, the front as a table, the chosen trial and the search
space. Inline CSS and SVG, no script, nothing fetched (as validate's report), rendered
with autoescaping because choices and messages come from the user's files.
"""

from __future__ import annotations

import functools

import jinja2

from edgetf._version import __version__
from edgetf.codegen.resources import resource_dir
from edgetf.tune.charts import accuracy_scatter
from edgetf.tune.results import TrialRow, describe_choices

TEMPLATE = "report/tune.html.j2"


def render_page(*, rows: list[TrialRow], front: list[int], chosen: int | None,
                options, space: list[tuple[str, str]], best: dict | None) -> str:
    """The page's HTML text; ``best`` holds the chosen trial's test-split figures."""
    caps = options.caps()
    marked = set(front)
    charts = {
        "flash": accuracy_scatter(rows, "flash_bytes", "flash: model + TFLM code (bytes)",
                                  caps.max_flash, "--max-flash", marked, chosen),
        "ram": accuracy_scatter(rows, "arena_bytes", "RAM: tensor arena declared (bytes)",
                                caps.max_ram, "--max-ram", marked, chosen),
    }
    by_number = {row.number: row for row in rows}
    counts = {state: sum(row.state == state for row in rows)
              for state in ("complete", "pruned", "fail", "running")}
    return _environment().get_template(TEMPLATE).render(
        options=options, caps=caps.describe(), charts=charts, counts=counts,
        feasible=sum(row.feasible for row in rows), rows=rows,
        front=[by_number[number] for number in front], chosen=by_number.get(chosen),
        best=best, space=space, describe=describe_choices, version=__version__)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        undefined=jinja2.StrictUndefined, autoescape=True, trim_blocks=True,
        lstrip_blocks=True)
