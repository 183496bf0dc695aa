"""Results and Home in a 1280-px window, in headless Chromium, on a viewer-mode server with the
shipped models: the results tables keep method, track accuracy, protocol and n in view, and Home's shipped-models table shows its whole protocol column without a sideways scroll.
Driven like tests/test_e2e_browser.py (Debian's Chromium through Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed in this environment")

VIEWPORT = {"width": 1280, "height": 900}
#: per table: its scroller's full and visible width and the headers of the columns drawn (the
#: grid draws only those in view)
TABLES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]')).map(f => {
    const s = f.querySelector('.dvn-scroller');
    return {scroll: s.scrollWidth, visible: s.clientWidth,
            headers: Array.from(f.querySelectorAll('[role="columnheader"]')).map(h => h.innerText)};
})"""

if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
                "to run the browser test", allow_module_level=True)


def tables(page, url: str) -> list[dict]:
    """The dataframes of the page at url, once drawn."""
    page.goto(url, timeout=180_000)
    wait_idle(page)
    page.wait_for_selector('[data-testid="stDataFrame"] .dvn-scroller', timeout=60_000)
    page.wait_for_timeout(800)
    return page.evaluate(TABLES_JS)


def test_key_columns_stay_in_view_at_1280_px(isolated_dirs: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENRELAB_MODE", "viewer")
    monkeypatch.setenv("GENRELAB_DEMO_SIZE", "3x6")
    monkeypatch.setenv("GENRELAB_NO_WARMUP", "1")
    with streamlit_server(isolated_dirs / "streamlit.log") as url, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            home = tables(page, url)
            shipped = home[0]
            # no status column pushing protocol out of view, no sideways scroll
            assert shipped["headers"] == ["model", "track accuracy", "protocol"], shipped
            assert shipped["scroll"] <= shipped["visible"] + 1, shipped
            results = tables(page, f"{url}/results")
            for table in results[:3]:   # the study's three tables
                assert table["headers"][:4] == ["Method", "Track accuracy", "Protocol",
                                                "Test tracks"], table
        finally:
            browser.close()
