"""Keep C++ libraries' console chatter off the user's terminal.

The TFLite converter and interpreters log from C++ straight to file descriptor 2,
around Python's ``sys.stderr``; only redirecting the descriptor silences them.
What they wrote is kept, because it is often the only explanation of a failure.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator


class CapturedOutput:
    text: str = ""

    def last_meaningful_line(self) -> str:
        lines = [line.strip() for line in self.text.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        return (errors or lines or [""])[-1]


@contextlib.contextmanager
def captured_native_stderr() -> Iterator[CapturedOutput]:
    """Redirect fd 2 to a temporary file for the duration; expose what was written."""
    captured = CapturedOutput()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", errors="replace")
