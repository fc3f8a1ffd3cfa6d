"""A trial's record keeps what libraries log, off the terminal."""

from __future__ import annotations

import logging

from edgetf.tune.trial import _logged


def test_library_warnings_go_to_the_trial_record(capsys):
    kept: list[str] = []
    with _logged(kept):
        logging.warning("Input layer does not contain zero weights, so apply CQAT instead.")
        logging.getLogger("tfmot").info("not a warning")
    logging.warning("after the trial")  # Python's last-resort handler again
    assert kept == ["Input layer does not contain zero weights, so apply CQAT instead."]
    err = capsys.readouterr().err
    assert "CQAT" not in err and "after the trial" in err
