"""The web UI in a real browser: Playwright drives Debian's Chromium against a live
`python app.py` (tiny BART). `make test` installs chromium once when it is missing;
without it these tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from test_app import SHORT_REPORT, running_app

CHROMIUM = os.environ.get("KD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is absent: run `make browser` (apt-get install chromium) "
                              "to run the browser tests"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The shipped default model: its bullets are source sentences, so the highlights are known."""
    empty = tmp_path_factory.mktemp("no-models")
    log = tmp_path_factory.mktemp("browser-app-log") / "app.log"
    with running_app("default", empty, log) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server)
    page.locator("#report textarea").wait_for()
    yield page
    context.close()


def test_paste_summarize_see_bullets_and_highlights(page, tmp_path):
    page.locator("#report textarea").fill(SHORT_REPORT)
    page.locator("#summarize").click()
    page.locator("#stats", has_text="chunks: 1").wait_for()

    bullets = page.locator("#bullets li")
    assert bullets.count() >= 1 and bullets.first.inner_text().strip()
    # The supporting sentence is highlighted and labelled with its bullet.
    hl = page.locator("#highlights")
    assert "Mayor Elena Ruiz said work will start in April." in hl.inner_text()
    assert hl.get_by_text("Bullet 1", exact=True).count() >= 1
    # Each bullet is a source sentence: nothing is flagged as missing from the source.
    assert page.locator("#warnings").get_by_text("not found in the source").count() == 0
    assert page.locator("#download-md").is_visible() and page.locator("#download-json").is_visible()

    shot = tmp_path / "key-developments-app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    keep = os.environ.get("KD_SCREENSHOT")  # copy it somewhere handy when asked
    if keep:
        shutil.copy(shot, keep)


def test_upload_html_fills_the_text_box(page, tmp_path):
    f = tmp_path / "report.html"
    f.write_text("<html><body><h1>Bridge vote</h1><p>The council voted 7-2 on Tuesday.</p>"
                 "<script>var x = 1;</script></body></html>", encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(f))
    box = page.locator("#report textarea")
    page.wait_for_function("() => document.querySelector('#report textarea').value.includes('voted 7-2')")
    value = box.input_value()
    assert "Bridge vote" in value and "<p>" not in value and "var x" not in value


def test_example_fills_the_text_box(page):
    page.get_by_text("Council Approves Harbor Bridge Replacement", exact=False).first.click()
    page.wait_for_function("() => document.querySelector('#report textarea').value.includes('Harbor Street')")


def test_empty_input_shows_a_friendly_error(page):
    page.locator("#summarize").click()
    toast = page.get_by_text("There is no text to summarize", exact=False).first
    toast.wait_for()
    assert toast.is_visible()
    assert page.get_by_text("Traceback").count() == 0
