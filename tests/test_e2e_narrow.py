"""An 800-px window (a laptop screen split in two), light and dark, in headless Chromium.

At 800 px the sidebar stayed open and took 300 px, Home's headline numbers were
cut to "81…", the Results confusion matrix shrank until it could not be read and Try it's verdict
table hid its Probability column; the theme was forced to light. Driven like
tests/test_e2e_browser.py (Debian's Chromium through Playwright) against `streamlit run app.py`
on the tiny demo set with an SVM trained on it; screenshots go to tests/artifacts/narrow-*.png.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.test_e2e_browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PAGE_IDLE_MS,
                                    demo_with_svm, streamlit_server, wait_idle)

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed in this environment")

WIDTH = 800                 #: the window's width, px
VIEWPORT = {"width": WIDTH, "height": 900}
MAX_SIDEBAR_PX = WIDTH / 4  #: the most the sidebar may take of the window's width
MIN_MATRIX_PX = 300         #: the confusion matrix's plot area, at least this wide and tall
PRIMARY = (78, 121, 167)    #: the theme's primary colour (#4E79A7): the Probability bars

#: px of the window's width the sidebar takes (0 once collapsed and slid out of view)
SIDEBAR_JS = """() => {
    const bar = document.querySelector('[data-testid="stSidebar"]');
    return bar ? Math.max(0, bar.getBoundingClientRect().right) : 0;
}"""
#: every metric whose label or value does not fit its card (cut with "…" or spilling over)
CUT_METRICS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
    .flatMap(card => {
        const box = card.getBoundingClientRect();
        return ['stMetricLabel', 'stMetricValue'].map(id => {
            const part = card.querySelector(`[data-testid="${id}"]`);
            if (!part) return null;
            const text = part.querySelector('[data-testid="stMarkdownContainer"]') || part;
            const range = document.createRange();
            range.selectNodeContents(text);
            const drawn = range.getBoundingClientRect();
            const cut = text.scrollWidth > text.clientWidth + 1
                || drawn.right > box.right + 1 || drawn.left < box.left - 1;
            return cut ? `${id}: ${part.innerText.trim()}` : null;
        });
    }).filter(Boolean)"""
#: the plot area (w, h) of the chart whose title contains the text
PLOT_AREA_JS = """(title) => {
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
        const head = chart.querySelector('.gtitle');
        const area = chart.querySelector('.nsewdrag');
        if (head && area && head.textContent.includes(title)) {
            const box = area.getBoundingClientRect();
            return [box.width, box.height];
        }
    }
    return null;
}"""
#: background colour of the app and fill colour of a chart's tick labels
COLOURS_JS = """() => {
    const tick = document.querySelector('[data-testid="stPlotlyChart"] .ytick text');
    return [getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor,
            tick ? getComputedStyle(tick).fill : null];
}"""

if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
                "to run the browser test", allow_module_level=True)


@pytest.fixture
def app_url(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch):
    """`streamlit run app.py` on a free port with an SVM trained on the tiny demo set."""
    demo_with_svm(monkeypatch)
    with streamlit_server(isolated_dirs / "streamlit.log") as url:
        yield url


def rgb_of(css: str) -> tuple[int, ...]:
    """(r, g, b) of a computed CSS colour 'rgb(r, g, b)' or 'rgba(r, g, b, a)'."""
    return tuple(int(float(p)) for p in css[css.index("(") + 1:css.index(")")].split(",")[:3])


def luminance(rgb: tuple[int, ...]) -> float:
    """Relative luminance (0 black .. 1 white) of an sRGB colour."""
    lin = [(c / 255) / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def clip_file(folder: Path) -> Path:
    """An 8-s stereo WAV of chords over a beat."""
    t = np.arange(int(8.0 * 44100)) / 44100
    tone = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (196.0, 246.9, 293.7))
    beat = (np.mod(t, 0.5) < 0.04) * np.random.default_rng(1).standard_normal(t.size) * 0.4
    path = folder / "clip.wav"
    sf.write(path, np.stack([tone + beat, tone], axis=1).astype(np.float32), 44100)
    return path


def open_page(page, url: str) -> None:
    """Go to a page of the app and wait until its script has finished."""
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, url


def sidebar_settled(page) -> float:
    """The sidebar's share of the width once its slide has ended (px)."""
    page.wait_for_timeout(800)
    return page.evaluate(SIDEBAR_JS)


def probability_bars(page) -> tuple[int, int]:
    """(pixels, room): the verdict table's pixels in the Probability bars' colour as drawn on
    screen, and the px between the rightmost of them and the table's right edge. A column cut
    by the edge has bars running into it; a whole one leaves room for each bar's percentage."""
    from PIL import Image

    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    image = np.asarray(Image.open(io.BytesIO(table.screenshot())).convert("RGB"), dtype=np.int16)
    bar = np.abs(image - np.array(PRIMARY)).max(axis=2) <= 6
    columns = np.flatnonzero(bar.any(axis=0))
    return int(bar.sum()), (image.shape[1] - 1 - int(columns.max())) if columns.size else 0


def assert_probability_in_view(page) -> None:
    """The verdict table's Probability column is on screen whole: its bars and their numbers."""
    pixels, room = probability_bars(page)
    assert pixels >= 100 and room >= 40, (pixels, room)


def shoot(page, name: str) -> None:
    """A screenshot tests/artifacts/narrow-<name>.png of the whole page, 800 px wide."""
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stMainBlockContainer\"], section, body')).map(e => e.scrollHeight))")
    page.set_viewport_size({"width": WIDTH, "height": int(min(max(height, 800), 6000))})
    page.wait_for_timeout(600)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"narrow-{name}.png"), full_page=True)
    page.set_viewport_size(VIEWPORT)


def test_an_800px_window_is_readable(app_url: str, tmp_path: Path) -> None:
    clip = clip_file(tmp_path)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
            try:
                check_narrow(page, app_url, clip)
            except Exception:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "narrow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def check_narrow(page, app_url: str, clip: Path) -> None:
    """Home, Results and Try it at 800 px: what each used to lose, in view."""
    open_page(page, app_url)
    # the sidebar starts collapsed in a window this narrow; its button opens it
    assert sidebar_settled(page) <= MAX_SIDEBAR_PX
    assert page.locator('[data-testid="stExpandSidebarButton"]').count() == 1
    assert page.evaluate(CUT_METRICS_JS) == []          # "81.8%", not "81…"
    assert page.locator('[data-testid="stMetric"]').count() >= 7
    shoot(page, "home")

    open_page(page, f"{app_url}/results")
    assert sidebar_settled(page) <= MAX_SIDEBAR_PX
    page.locator('[data-testid="stPlotlyChart"]', has_text="Confusion matrix").first \
        .scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    area = page.evaluate(PLOT_AREA_JS, "Confusion matrix")
    assert area is not None and min(area) >= MIN_MATRIX_PX, area
    assert page.evaluate(CUT_METRICS_JS) == []
    shoot(page, "results")

    open_page(page, f"{app_url}/try_it")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(clip))
    page.locator('[data-testid="stMetric"]', has_text="Answer").wait_for(timeout=PAGE_IDLE_MS)
    wait_idle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert_probability_in_view(page)
    shoot(page, "try_it")
    # and still beside the open sidebar
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    assert sidebar_settled(page) > MAX_SIDEBAR_PX
    assert_probability_in_view(page)


def test_dark_preference_gives_a_dark_app_with_light_chart_text(app_url: str) -> None:
    """prefers-color-scheme: dark (Chromium's emulation) gives Streamlit's dark theme and a
    chart's tick labels stand out from it (light on dark); the light scheme, a white page with
    dark enough labels."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            for scheme in ("dark", "light"):
                page = browser.new_page(viewport=VIEWPORT, color_scheme=scheme)
                open_page(page, f"{app_url}/results")
                page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
                page.locator('[data-testid="stPlotlyChart"] .ytick text').first.wait_for(
                    timeout=PAGE_IDLE_MS)
                background, ticks = page.evaluate(COLOURS_JS)
                back, text = luminance(rgb_of(background)), luminance(rgb_of(ticks))
                contrast = (max(back, text) + 0.05) / (min(back, text) + 0.05)
                assert (back < 0.05) if scheme == "dark" else (back > 0.9), background
                assert contrast >= 3.0, (scheme, background, ticks)   # light text on dark
                if scheme == "dark":
                    shoot(page, "results-dark")
                page.close()
        finally:
            browser.close()
