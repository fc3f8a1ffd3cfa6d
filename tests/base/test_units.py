"""Latencies for people: three significant digits, no exponent."""

from __future__ import annotations

import pytest

from edgetf.base.units import readable_ms


@pytest.mark.parametrize(("ms", "text"), [
    (1543.2, "1,540"), (123456.0, "123,000"), (12.34, "12.3"), (1.0, "1.00"),
    (0.04567, "0.0457"), (0.0, "0"),
])
def test_readable_ms(ms, text):
    assert readable_ms(ms) == text
