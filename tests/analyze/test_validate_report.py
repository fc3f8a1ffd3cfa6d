"""validate --report: the HTML page, its safety with hostile labels, and how it renders in
a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Without a Chromium the browser tests skip, unless ``EDGETF_REQUIRE_BROWSER=1`` (set by
``.ci/run``, which installs Chromium) turns the missing browser into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import struct

import numpy as np
import pytest
from typer.testing import CliRunner

from edgetf.analyze.validate import AccuracyDropError, ValidateOptions, validate
from edgetf.base.errors import ConfigError
from edgetf.cli.app import app
from tests.conftest import error_line

HOSTILE_LABELS = ["<b>bold</b>", "a & b", '"quoted" \'single\'', "</svg><script>x()</script>",
                  "naïve 😀 " + "long" * 10]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"]


@pytest.fixture(scope="module")
def files(validation_files, tmp_path_factory):
    """The shared validation files plus the same data with hostile label names."""
    root = tmp_path_factory.mktemp("report")
    with np.load(validation_files["data"]) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["labels"] = np.array(HOSTILE_LABELS)
    np.savez(root / "hostile.npz", **arrays)
    np.savez(root / "unlabelled.npz", x=arrays["x_test"])
    return {**validation_files, "hostile": root / "hostile.npz",
            "unlabelled": root / "unlabelled.npz"}


def _report(files, path, model="int8", data="data", **overrides):
    return validate(ValidateOptions(model=files[model], reference=files["float"],
                                    data=str(files[data]), report=path, **overrides))


def test_page_is_self_contained_and_holds_the_figures(files, tmp_path):
    path = tmp_path / "validation.html"
    result = _report(files, path)
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    # Nothing to fetch: the only URL is the SVG namespace.
    assert set(re.findall(r"https?://[^\"' >]+", page)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(src|href)=", page)
    assert f"{100 * result.int8_accuracy:.2f} %" in page
    assert result.model_sha256 in page
    for section in ('id="confusion"', 'id="per-class"', 'id="errors"'):
        assert section in page
    assert page.count('class="cell"') == 5 * 5
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # readable like any page
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_labels_are_escaped(files, tmp_path):
    path = tmp_path / "validation.html"
    _report(files, path, data="hostile")
    page = path.read_text(encoding="utf-8")
    assert "<b>bold" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>x()" not in page
    assert "a &amp; b" in page and "😀" in page


def test_failed_gate_still_writes_the_page_and_names_it(files, tmp_path):
    path = tmp_path / "gate.html"
    with pytest.raises(AccuracyDropError, match=f"report: {re.escape(str(path))}"):
        _report(files, path, model="saturated", max_drop=1)
    page = path.read_text(encoding="utf-8")
    assert 'class="gate failed"' in page and "Gate failed" in page
    _report(files, path, model="saturated", max_drop=100)
    assert 'class="gate passed"' in path.read_text(encoding="utf-8")


def test_unlabelled_page_has_no_confusion_matrix(files, tmp_path):
    path = tmp_path / "unlabelled.html"
    _report(files, path, data="unlabelled")
    page = path.read_text(encoding="utf-8")
    assert 'id="errors"' in page and 'id="confusion"' not in page
    assert "unlabelled" in page


@pytest.mark.parametrize(("name", "fragment"), [
    ("report.json", "give a name ending in .html"),
    ("folder.html", "is a folder"),
    ("file/report.html", "is a file, not a folder"),
])
def test_bad_report_paths_fail_before_any_work(files, tmp_path, name, fragment):
    (tmp_path / "folder.html").mkdir()
    (tmp_path / "file").write_text("not a folder")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ConfigError, match=fragment):
        _report(files, tmp_path / name)
    result = CliRunner().invoke(app, ["validate", "--model", str(files["int8"]), "--data",
                                      str(files["data"]), "--report", str(tmp_path / name)])
    assert result.exit_code == 2 and fragment in error_line(result)
    assert sorted(tmp_path.rglob("*")) == before


def test_cli_writes_the_report_and_says_where(files, tmp_path):
    path = tmp_path / "new" / "folder" / "v.html"
    result = CliRunner().invoke(app, ["validate", "--model", str(files["int8"]), "--reference",
                                      str(files["float"]), "--data", str(files["data"]),
                                      "--report", str(path)])
    assert result.exit_code == 0, result.output
    assert path.is_file() and f"report: {path}" in " ".join(result.output.split())


# --- a real browser ---------------------------------------------------------------------


def _chromium() -> str:
    found = os.environ.get("EDGETF_CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))),
        None)
    if found:
        return found
    if os.environ.get("EDGETF_REQUIRE_BROWSER") == "1":
        pytest.fail("EDGETF_REQUIRE_BROWSER=1 but no Chromium found; apt-get install chromium "
                    "or set EDGETF_CHROMIUM")
    pytest.skip("no Chromium on this machine (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_report_renders_in_headless_chromium(files, tmp_path, browser):
    path = tmp_path / "validation.html"
    _report(files, path, data="hostile", max_drop=100)
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())

    assert requests == [path.as_uri()] and errors == []  # nothing fetched, nothing broken
    assert page.title() == f"edgetf validate: {files['int8']}"
    for figure in ("#confusion svg", "#per-class svg", "#errors svg"):
        box = page.locator(figure).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150, (figure, box)
    assert page.locator("#confusion rect.cell").count() == 25
    bars = page.locator("#per-class rect.bar")
    assert bars.count() == 2 * 5  # int8 and reference for each class
    assert all(bars.nth(i).bounding_box()["height"] > 0 for i in range(bars.count()))
    assert page.locator("#errors rect.bar").count() >= 1
    # Hostile labels are text on the page, not markup.
    assert page.get_by_text("<b>bold</b>", exact=True).first.is_visible()
    assert page.locator("script").count() == 0
    assert page.locator("#gate").inner_text().startswith("Gate passed")
    summary = page.locator("#summary").inner_text()
    assert "int8 accuracy (TFLM)" in summary and "%" in summary

    shot = tmp_path / "validation.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height = _png_size(shot.read_bytes())
    assert width == 1000 and height > 1500  # the whole page, all three figures
    page.close()
