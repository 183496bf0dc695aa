"""End to end in headless Chromium: Try it's answer, how many models agree, and the answering
model's figures in and outside GTZAN are in view without scrolling once a clip is analysed, in a
1280-px window and in an 800-px one (800 px high)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_e2e_browser import (   # skips this module too without Chromium or Playwright
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PAGE_IDLE_MS, demo_with_svm, streamlit_server, sync_api,
    wait_idle,
)
from tests.test_e2e_narrow import clip_file

WIDTHS = (1280, 800)    #: px, the window widths checked
HEIGHT = 800            #: px, the window's height: what is seen without scrolling
HEADLINE = ("Answer", "Models agreeing", "In GTZAN", "Outside GTZAN")   #: the metrics' labels


@pytest.fixture
def app_url(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch):
    """`streamlit run app.py` with the shipped models and an SVM trained on the tiny demo set."""
    demo_with_svm(monkeypatch)
    with streamlit_server(isolated_dirs / "streamlit.log") as url:
        yield url


def test_the_answer_and_its_figures_are_in_view_without_scrolling(app_url: str,
                                                                  tmp_path: Path) -> None:
    clip = clip_file(tmp_path)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": HEIGHT})
                try:
                    check_headline(page, app_url, clip)
                finally:
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"answer-{width}.png"))
                    page.close()
        finally:
            browser.close()


def check_headline(page, url: str, clip: Path) -> None:
    """Upload the clip on Try it; the headline's metrics and the genre's outside record lie
    within the window with the page scrolled to its top."""
    page.goto(f"{url}/try_it", wait_until="domcontentloaded")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(clip))
    page.locator('[data-testid="stMetric"]', has_text="Outside GTZAN").wait_for(
        timeout=PAGE_IDLE_MS)
    wait_idle(page)
    page.evaluate("() => { for (const e of document.querySelectorAll("
                  "'[data-testid=\"stMain\"], [data-testid=\"stAppScrollToBottomContainer\"]'))"
                  " e.scrollTo(0, 0); window.scrollTo(0, 0); }")
    page.wait_for_timeout(500)
    boxes = {label: page.locator('[data-testid="stMetric"]', has_text=label).first.bounding_box()
             for label in HEADLINE}
    boxes["outside record"] = page.get_by_text("outside GTZAN (", exact=False).first \
        .bounding_box()
    for what, box in boxes.items():
        assert box is not None, f"{what} is not on the page"
        assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, \
            f"{what} at y {box['y']:.0f}–{box['y'] + box['height']:.0f} px, the window ends " \
            f"at {HEIGHT} px ({page.viewport_size['width']} px wide)"
