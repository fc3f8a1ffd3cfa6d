"""How a trial's choices read in tune's table and lines."""

from __future__ import annotations

from edgetf.tune.results import describe_choices, trial_line


def test_off_binary_weights_read_as_no_binary():
    assert describe_choices({"binary_weights": "off", "qat": True}) == "no binary, qat"
    assert describe_choices({"binary_weights": "inner", "qat": False}) == "binary, no qat"


def test_trial_latency_has_no_exponent():
    line = trial_line({"number": 3, "state": "complete", "val_accuracy": 0.9, "feasible": True,
                       "figures": {"flash_bytes": 120000, "arena_bytes": 4000,
                                   "latency_ms": 1543.2}, "choices": {}})
    assert "~1,540 ms" in line and "e+" not in line


def test_a_broken_latency_cap_reads_without_exponent():
    from edgetf.tune.figures import BoardFigures, Caps

    figures = BoardFigures(board="nano33ble", arena_bytes=4000, flash_bytes=120000,
                           latency_ms=1543.2, fits_board=True, why_not=None, ram_bytes=1,
                           ram_budget=2, board_flash_bytes=1, flash_budget=2)
    (reason,) = Caps(max_latency_ms=100).broken(figures)
    assert reason == "latency 1,540 ms > --max-latency-ms 100"
