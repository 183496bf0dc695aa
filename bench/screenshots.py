"""The README's screenshots: docs/screenshots/<page>.png of every page, in headless Chromium.

Starts `streamlit run app.py` (harness/server.py) as a new user would see it: the built-in
synthetic demo set (GENRELAB_DATA unset and an empty settings folder, so no saved data folder is
used), only the shipped models in models/ (an empty runs folder), and the warm-up on. Debian's
headless Chromium (driven by Playwright) opens Home, Dataset, Features, Training console, Results
and Try it in turn, waits until each page's script has finished (no spinner), and takes a
full-page screenshot 1280 px wide (--width: another window width, such as 800 px, a laptop screen
split in two, where the sidebar starts collapsed; --dark: the browser prefers a dark colour
scheme, which the app follows); on Try it it first uploads a demo clip
(core.data.demo_styles.synth_clip) and waits for every model's verdict. A screenshot over the
size budget (400 kB) is written with a 256-colour palette. Stops with an error, and saves
<name>-failed.png in the output folder, when a page shows a Python exception or an error box.

Usage: .venv/bin/python bench/screenshots.py [--out docs/screenshots] [--only try_it ...]
       [--width 800] [--dark] [--prefix narrow-]
"""

from __future__ import annotations

import benchkit  # noqa: F401  (first: the standard library's concurrent, the project on sys.path)

import argparse  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import soundfile as sf  # noqa: E402

from benchkit import PROJECT as ROOT  # noqa: E402
from core.constants import SAMPLE_RATE  # noqa: E402
from core.data.demo_styles import synth_clip  # noqa: E402
from harness import browser  # noqa: E402
from harness.server import ServerError, serve, warm_up_state, wait_warm  # noqa: E402

#: url path, page title (h1) and file name of every page of app.py, in the sidebar's order
PAGES: tuple[tuple[str, str, str], ...] = (
    ("", "GenreLab", "home"),
    ("dataset", "Dataset", "dataset"),
    ("features", "Features", "features"),
    ("training", "Training console", "training"),
    ("results", "Results", "results"),
    ("try_it", "Try it", "try_it"),
)
WIDTH = 1280               #: default screenshot width, px
MAX_HEIGHT = 6000          #: a taller page is cut at this height, px
MAX_BYTES = 400_000        #: over this, the PNG is written with a 256-colour palette
PAGE_MS = 600_000          #: longest wait for a page (the first visit builds the demo set), ms
WARM_UP_S = 600.0          #: longest wait for the server's warm-up before Try it, s
CLIP_GENRE, CLIP_INDEX = "blues", 1000   #: the demo clip uploaded on Try it (not in the demo set)

HEIGHT_JS = """() => Math.max(...Array.from(document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stMainBlockContainer"], section, body'))
    .map(e => e.scrollHeight))"""


def wait_idle(page) -> None:
    """Wait until the page's script has finished (harness.browser.wait_idle), PAGE_MS at most."""
    browser.wait_idle(page, PAGE_MS)


def check_page(page, title: str, name: str) -> None:
    """RuntimeError when the page is not the one asked for or shows an exception or error box."""
    shown = page.locator("h1").first.inner_text().strip()
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    if shown != title or errors.count():
        detail = errors.first.inner_text()[:500] if errors.count() else f"title {shown!r}"
        raise RuntimeError(f"{name}: {detail}")


def save_png(png: bytes, path: Path) -> int:
    """Write a screenshot, as a 256-colour PNG when it is over MAX_BYTES; returns its size."""
    from PIL import Image

    if len(png) > MAX_BYTES:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
        png = out.getvalue()
    path.write_bytes(png)
    return len(png)


def shoot(page, path: Path, width: int = WIDTH) -> int:
    """A screenshot of the whole page (up to MAX_HEIGHT), width px wide; returns its bytes."""
    height = int(min(max(page.evaluate(HEIGHT_JS), 800), MAX_HEIGHT))
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(800)   # plotly charts follow the new size
    page.wait_for_function(browser.IDLE_JS, timeout=PAGE_MS)
    png = page.screenshot(full_page=False)
    page.set_viewport_size({"width": width, "height": 900})
    return save_png(png, path)


def try_it(page, clip: Path) -> None:
    """Upload the clip on Try it and wait until every model has answered."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(clip))
    page.locator('[data-testid="stMetric"]', has_text="Answer").wait_for(timeout=PAGE_MS)
    wait_idle(page)


def screenshots(url: str, out: Path, clip: Path, only: set[str], width: int = WIDTH,
                dark: bool = False, prefix: str = "") -> list[tuple[str, int, float]]:
    """Visit each page in a window width px wide (a dark colour scheme when dark), screenshot it
    into out as <prefix><page>.png; (name, bytes, seconds) of each."""
    from playwright.sync_api import sync_playwright

    done = []
    with sync_playwright() as pw:
        chromium = browser.launch(pw)
        try:
            page = chromium.new_page(viewport={"width": width, "height": 900},
                                    color_scheme="dark" if dark else "light")
            for path, title, name in PAGES:
                if only and name not in only:
                    continue
                started = time.monotonic()
                if name == "try_it":   # no "still warming" line on Try it
                    wait_warm(url, WARM_UP_S)
                    if warm_up_state(url) not in ("done", "off"):
                        print(f"warning: the warm-up had not finished after {WARM_UP_S:.0f} s",
                              file=sys.stderr)
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                try:
                    wait_idle(page)
                    if name == "try_it":
                        try_it(page, clip)
                    check_page(page, title, name)
                except Exception:
                    page.screenshot(path=str(out / f"{prefix}{name}-failed.png"), full_page=True)
                    raise
                size = shoot(page, out / f"{prefix}{name}.png", width)
                done.append((name, size, time.monotonic() - started))
                print(f"{prefix}{name}.png: {size / 1e3:.0f} kB ({done[-1][2]:.0f} s)", flush=True)
        finally:
            chromium.close()
    return done


def main() -> None:
    """Start the server, take the screenshots, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for the PNG files (default docs/screenshots)")
    parser.add_argument("--only", nargs="+", default=[], choices=[n for _, _, n in PAGES],
                        help="only these pages")
    parser.add_argument("--width", type=int, default=WIDTH,
                        help=f"window width in px (default {WIDTH}; 800: a laptop screen split "
                        "in two)")
    parser.add_argument("--dark", action="store_true",
                        help="the browser prefers a dark colour scheme (the app follows it)")
    parser.add_argument("--prefix", default="",
                        help="put this before each file name, e.g. narrow- (default none)")
    parser.add_argument("--keep-log", action="store_true", help="print the end of the server's log")
    args = parser.parse_args()
    if browser.missing():
        raise SystemExit(browser.missing())
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="genrelab-screenshots-"))
    env = {**os.environ, "GENRELAB_HOME": str(work / "home"), "GENRELAB_RUNS": str(work / "runs")}
    for name in ("GENRELAB_DATA", "GENRELAB_DEMO_SIZE", "GENRELAB_NO_WARMUP"):
        env.pop(name, None)
    clip = work / f"{CLIP_GENRE}-demo.wav"
    sf.write(clip, synth_clip(CLIP_GENRE, CLIP_INDEX, seconds=30.0, sr=SAMPLE_RATE), SAMPLE_RATE)
    log = work / "streamlit.log"
    try:
        with serve(log, env) as url:
            screenshots(url, args.out, clip, set(args.only), args.width, args.dark, args.prefix)
    except ServerError as exc:
        raise SystemExit(str(exc)) from None
    finally:
        if args.keep_log and log.exists():
            print(log.read_text()[-5000:])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
