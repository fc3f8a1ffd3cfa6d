"""Figures written for people: three significant digits, thousands separated."""

from __future__ import annotations

import math


def readable_ms(ms: float) -> str:
    """A latency in ms to three significant digits, without exponent: ``1,540``,
    ``12.3``, ``0.0456``."""
    if ms == 0 or not math.isfinite(ms):
        return f"{ms:g}"
    decimals = 2 - math.floor(math.log10(abs(ms)))
    rounded = round(ms, decimals)
    return f"{rounded:,.{max(decimals, 0)}f}"
