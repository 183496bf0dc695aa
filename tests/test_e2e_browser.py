"""End to end in a real browser: headless Chromium (Debian's) driven by Playwright against
`streamlit run app.py` on a tiny synthetic demo set. Opens every page, uploads a clip on Try it,
reads the predicted genre, and saves a screenshot of each page under tests/artifacts/."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import soundfile as sf

from core.constants import GENRES
from harness import server as live_server
from harness.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: url path, expected page title (h1) and screenshot name of every page of app.py
PAGES: tuple[tuple[str, str, str], ...] = (
    ("training", "Training console", "training_live"),   # a page URL as the first request
    ("", "GenreLab", "home"),
    ("dataset", "Dataset", "dataset"),
    ("features", "Features", "features"),
    ("training", "Training console", "training"),
    ("results", "Results", "results"),
    ("try_it", "Try it", "try_it"),
)
PAGE_IDLE_MS = 120_000    #: longest wait for a page's script to finish, ms

if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
                "to run the browser test", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed in this environment")


@contextlib.contextmanager
def streamlit_server(log: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port (output to log); yields its URL, then stops it."""
    with live_server.serve(log) as url:
        yield url


def demo_with_svm(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny demo set (3 clips x 6 s per genre, no warm-up) with an SVM run trained on it."""
    from core.training import config as train_config, jobs as training_jobs, runner
    from core.data.datasource import demo_source

    monkeypatch.setenv("GENRELAB_DEMO_SIZE", "3x6")
    monkeypatch.setenv("GENRELAB_NO_WARMUP", "1")
    root = demo_source(per_genre=3, seconds=6.0).root
    runner.run_training(train_config.TrainConfig(model="svm", test_size=0.4, valid_size=0.0,
                                               data_path=str(root), n_jobs=1))
    return root


@pytest.fixture
def app_url(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch):
    """`streamlit run app.py` on a free port with an SVM trained on the tiny demo set."""
    from core.training import config as train_config, jobs as training_jobs, runner

    root = demo_with_svm(monkeypatch)
    # a 2D-CNN trains in the background while the pages are visited: the Training console
    # must draw its curves live, and Try it then shows the 2D-CNN's "why" overlay
    job_id = training_jobs.start_job(train_config.TrainConfig(model="cnn2d", epochs=12, patience=12,
                                                     test_size=0.4, data_path=str(root),
                                                     n_jobs=1))
    try:
        with streamlit_server(isolated_dirs / "streamlit.log") as url:
            yield url
    finally:
        if training_jobs.job_status(job_id).active:
            training_jobs.request_stop(job_id)


IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stSpinner"], [data-testid="stStatusWidget"]');
}"""


def wait_idle(page) -> None:
    """Wait until the app's script has finished: a title drawn, script state idle, no spinner."""
    page.wait_for_selector("h1", timeout=PAGE_IDLE_MS)
    page.wait_for_timeout(500)   # let a rerun that follows the first paint begin
    page.wait_for_function(IDLE_JS, timeout=PAGE_IDLE_MS)
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE_JS, timeout=PAGE_IDLE_MS)


def shoot(page, name: str) -> Path:
    """A full-page screenshot tests/artifacts/<name>.png (the page is tall enough to hold it)."""
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stMainBlockContainer\"], section, body')).map(e => e.scrollHeight))")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": int(min(max(height, 800), 6000))})
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def test_every_page_and_a_prediction_in_chromium(app_url: str, tmp_path: Path) -> None:
    t = np.arange(int(8.0 * 44100)) / 44100
    tone = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (196.0, 246.9, 293.7))
    beat = (np.mod(t, 0.5) < 0.04) * np.random.default_rng(1).standard_normal(t.size) * 0.4
    clip = tmp_path / "clip.wav"
    sf.write(clip, np.stack([tone + beat, tone], axis=1).astype(np.float32), 44100)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            try:
                visit_pages(page, app_url, clip)
            except Exception:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def visit_pages(page, app_url: str, clip: Path) -> None:
    """Open every page in turn, check it, drive Try it, and screenshot each."""
    for path, title, name in PAGES:
        page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
        if name != "training_live":   # its fragment reruns every second
            wait_idle(page)
        else:
            page.wait_for_selector("h1", timeout=PAGE_IDLE_MS)
        assert page.locator("h1").first.inner_text().strip() == title
        assert page.locator('[data-testid="stException"]').count() == 0, name
        # every page runs inside app.py: navigation and the data-source sidebar are there
        assert page.locator('[data-testid="stSidebarNav"]').count() == 1, name
        assert page.get_by_text("Data source", exact=True).count() == 1, name
        if name == "training_live":
            # the background job is still running: progress, stop button, live curves
            page.get_by_role("button", name="Stop training").wait_for(
                timeout=PAGE_IDLE_MS)
            page.locator(".js-plotly-plot").first.wait_for(timeout=PAGE_IDLE_MS)
            page.wait_for_timeout(1500)
        if name == "training":
            # the live panel redraws each second until the job ends, then the page
            # reruns and lists the new run
            done = page.locator('[data-testid="stAlertContentSuccess"]')
            done.wait_for(timeout=PAGE_IDLE_MS)
            assert "2D-CNN on log-mel" in done.inner_text()
            wait_idle(page)
            assert page.locator(".js-plotly-plot").count() == 1   # the curves
        if name == "try_it":
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                str(clip))
            verdict = page.locator('[data-testid="stMetric"]',
                                   has_text="Answer")
            verdict.wait_for(timeout=PAGE_IDLE_MS)
            wait_idle(page)
            genre = verdict.locator('[data-testid="stMetricValue"]').inner_text().strip()
            assert genre in GENRES
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0
            page.get_by_text("where the 2D-CNN hears").first.wait_for(
                timeout=PAGE_IDLE_MS)
        shot = shoot(page, name)
        assert shot.stat().st_size > 10_000
