"""``tune.html``: self-contained, and laid out in a real headless Chromium (Debian's
``chromium`` driven by Playwright, as validate's report is): both plots, the front's
points marked, the caps drawn, nothing fetched."""

from __future__ import annotations

import csv
import re

import pytest

from tests.analyze.test_validate_report import CHROMIUM_FLAGS, _chromium
from tests.tune.conftest import MAX_FLASH


def _front(out) -> set[int]:
    with (out / "trials.csv").open(encoding="utf-8") as stream:
        return {int(row["trial"]) for row in csv.DictReader(stream) if row["on_front"] == "1"}


def test_page_is_self_contained(tuned):
    page = (tuned.out / "tune.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert set(re.findall(r"https?://[^\"' >]+", page)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(src|href)=", page)
    assert page.count('class="trial') == 2 * 4  # every trial in both plots
    assert f"--max-flash {MAX_FLASH:,}" in page
    assert "measured once, at the end" in page


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_page_renders_in_headless_chromium(tuned, browser, tmp_path):
    path = tuned.out / "tune.html"
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())

    assert requests == [path.as_uri()] and errors == []  # nothing fetched, nothing broken
    assert page.title() == "edgetf tune: edgetf-tune for esp32"
    front = _front(tuned.out)
    for figure in ("#flash svg", "#ram svg"):
        box = page.locator(figure).bounding_box()
        assert box and box["width"] > 600 and box["height"] > 250, (figure, box)
        points = page.locator(f"{figure} circle.trial")
        assert points.count() == 4
        marked = page.locator(f"{figure} circle.front")
        assert marked.count() == len(front) > 0
        for index in range(marked.count()):  # inside the plot, and drawn
            point = marked.nth(index).bounding_box()
            assert point and point["width"] > 0
            assert box["x"] <= point["x"] <= box["x"] + box["width"]
            assert box["y"] <= point["y"] <= box["y"] + box["height"]
        numbers = {int(re.match(r"trial (\d+):", marked.nth(i).text_content()).group(1))
                   for i in range(marked.count())}
        assert numbers == front
        assert page.locator(f"{figure} circle.chosen").count() == 1
    assert page.locator("#flash line.cap").count() == 1  # --max-flash drawn
    assert page.locator("#ram line.cap").count() == 0  # no --max-ram given
    assert page.locator("#front tr").count() == 1 + len(front)
    assert "%" in page.locator("#test-accuracy").inner_text()
    shot = tmp_path / "tune.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
