"""The reporter's lines: one line per message, whatever the terminal width."""

from __future__ import annotations

import io

from rich.console import Console

from edgetf.base.progress import Reporter

_LONG = "a sentence that is much longer than the forty columns of this console, " * 3


def _reporter(**options) -> tuple[Reporter, io.StringIO]:
    stream = io.StringIO()
    return Reporter(console=Console(file=stream, width=40), **options), stream


def test_warnings_and_info_are_never_wrapped():
    reporter, stream = _reporter(verbose=True)
    reporter.info(_LONG)
    reporter.warn(_LONG)
    reporter.detail(_LONG)
    with reporter.stage(_LONG):
        pass
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4, lines
    assert lines[1] == f"warning: {_LONG}"
    assert reporter.warnings == [_LONG]


def test_quiet_keeps_warnings_only():
    reporter, stream = _reporter(quiet=True)
    reporter.info("hello")
    reporter.warn("careful")
    with reporter.stage("working"):
        pass
    assert stream.getvalue() == "warning: careful\n"
