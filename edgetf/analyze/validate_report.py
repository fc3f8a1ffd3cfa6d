"""``validate --report FILE.html``: the validation as one self-contained web page.

The page is for a person deciding whether a model may ship, and for the CI artefact
that explains a failed gate. It has the summary table, the confusion matrix, per-class
accuracy of the int8 model beside the reference's, and the output error histogram. It
loads nothing from anywhere (inline CSS and SVG, no JavaScript), so it can be mailed,
archived or opened on a machine with no network. Labels come from user files, so the
template is rendered with autoescaping on.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from edgetf._version import __version__
from edgetf.analyze.report_charts import (
    confusion_chart,
    histogram_chart,
    per_class_chart,
    threshold_chart,
)
from edgetf.base.errors import ConfigError
from edgetf.codegen.resources import resource_dir

if TYPE_CHECKING:
    from edgetf.analyze.validation import Validation

TEMPLATE = "report/validation.html.j2"
SUFFIXES = (".html", ".htm")
INT8_COLOUR = "#4a7ab5"
REFERENCE_COLOUR = "#b0b0b0"
STREAM_COLOURS = {"miss": "#c0392b", "fa": "#4a7ab5"}


def check_report_path(path: Path) -> None:
    """Refuse a destination that cannot be, or should not be, overwritten by a page.

    The suffix check keeps a slip such as ``--report model.tflite`` from replacing a
    model with HTML.
    """
    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"{path}: the report is an HTML page; give a name ending in .html, "
                          "e.g. --report validation.html")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give a file name, e.g. {path / 'report.html'}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"{path}: {parent} is a file, not a folder; choose another "
                                  "--report path")
            if not os.access(parent, os.W_OK):
                raise ConfigError(f"{path}: cannot write in {parent}; choose another "
                                  "--report path")
            break


def write_report(result: Validation, path: Path) -> Path:
    """Write the page in one step: a temporary file beside ``path``, then a rename, so an
    interrupted run never leaves half a page."""
    check_report_path(path)
    page = render_report(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a page is not
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def render_report(result: Validation) -> str:
    """The page's HTML text."""
    from edgetf.analyze.validation import summary_rows

    labels = list(result.labels)
    charts = {}
    per_class = None
    if result.confusion is not None:
        charts["confusion"] = confusion_chart(result.confusion, labels)
        per_class = {"int8": _recall(result.confusion)}
        if result.reference_confusion is not None:
            per_class["reference"] = _recall(result.reference_confusion)
        charts["per_class"] = per_class_chart(
            per_class, labels, {"int8": INT8_COLOUR, "reference": REFERENCE_COLOUR})
    if result.error_histogram is not None:
        charts["errors"] = histogram_chart(result.error_histogram["edges"],
                                           result.error_histogram["counts"])
    threshold_rows = None
    if result.streaming is not None:
        from edgetf.analyze.kws_calibration import THRESHOLD_COLUMNS, threshold_table

        charts["streaming"] = threshold_chart(
            result.streaming["rows"], result.streaming["recognizer"]["detection_threshold"],
            STREAM_COLOURS)
        threshold_rows = (THRESHOLD_COLUMNS, threshold_table(result.streaming))
    return _environment().get_template(TEMPLATE).render(
        result=result, rows=summary_rows(result), charts=charts, labels=labels,
        per_class=per_class, version=__version__, threshold_rows=threshold_rows,
        stream_colours=STREAM_COLOURS,
        colours={"int8": INT8_COLOUR, "reference": REFERENCE_COLOUR})


def _recall(matrix: list[list[int]]) -> list[float | None]:
    """Per-class accuracy (the diagonal over each row's total); None for absent classes."""
    return [row[index] / sum(row) if sum(row) else None for index, row in enumerate(matrix)]


@functools.cache
def _environment() -> jinja2.Environment:
    """HTML needs escaping, unlike the C++ templates' environment (edgetf.codegen.render)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
