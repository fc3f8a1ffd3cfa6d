"""A trial's record keeps what libraries log, off the terminal."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import logging
from edgetf.tune.trial import _logged
logging.warning("before the trial")  # installs a stderr handler on the root logger
kept = []
with _logged(kept):
    logging.warning("Input layer does not contain zero weights, so apply CQAT instead.")
    logging.getLogger("tfmot").info("not a warning")
logging.warning("after the trial")
print(kept)
"""


def test_library_warnings_go_to_the_trial_record():
    """In a process of its own: pytest's log capture would hide what reaches stderr."""
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == str(
        ["Input layer does not contain zero weights, so apply CQAT instead."])
    assert "CQAT" not in result.stderr
    assert "before the trial" in result.stderr and "after the trial" in result.stderr
