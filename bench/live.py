"""Latency of Try it's "Listen live", from the sound entering the browser to the answer changing.

`streamlit run app.py` (viewer mode, no warm-up, shipped models) and headless Chromium whose
fake microphone loops a real classical clip joined to a real rock clip (harness/live_driver.py;
synthesised clips where ../shared/data is absent). The music switches genre every --part s
after the stream starts; the page's clock stamps the stream's start and each change of the big
answer. Switches before the live models finished loading are not timed.

    python bench/live.py [--listen 80] [--part 8] [--screenshot docs/screenshots/live.png]

Prints `live_latency_s: median=… p95=…` (and the switches missed: never answered before the
next switch), with the machine's load average before and after (the machine may be shared).
--screenshot saves the page at the end of the listening, as bench/screenshots.py does (1280 px
wide, the whole page, a 256-colour palette when over 400 kB).
"""

from __future__ import annotations

import benchkit  # noqa: F401  (first: the standard library's concurrent, the project on sys.path)

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from benchkit import load_text as load  # noqa: E402
from harness import browser, live_driver, server  # noqa: E402
from harness.browser import VIEWPORT  # noqa: E402
from screenshots import HEIGHT_JS, MAX_HEIGHT, WIDTH, save_png  # noqa: E402

REDRAW_MS = 2500     #: wait after resizing for the screenshot: the timeline redraws every second


def screenshot(page, path: Path) -> int:
    """The whole page, WIDTH px wide, while listening (bench/screenshots.py's size budget); bytes."""
    height = int(min(max(page.evaluate(HEIGHT_JS), 800), MAX_HEIGHT))
    page.set_viewport_size({"width": WIDTH, "height": height})
    page.wait_for_timeout(REDRAW_MS)
    png = page.screenshot(full_page=False)
    page.set_viewport_size(VIEWPORT)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_png(png, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=float, default=80.0, help="s timed after warming")
    parser.add_argument("--part", type=float, default=8.0, help="s of each genre in the file")
    parser.add_argument("--warm", type=float, default=300.0, help="longest wait for the models")
    parser.add_argument("--screenshot", type=Path, default=None, help="save the page here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="genrelab-live-bench-"))
    env = dict(os.environ, GENRELAB_HOME=str(tmp / "home"), GENRELAB_RUNS=str(tmp / "runs"),
               GENRELAB_CACHE=str(tmp / "cache"), GENRELAB_NO_WARMUP="1",
               GENRELAB_MODE="viewer")
    mic = live_driver.fake_mic(tmp, args.part)
    print(f"fake microphone: {' + '.join(mic.sources)} ({'real' if mic.real else 'synthetic'}), "
          f"{args.part:g} s each, looped; before: {load()}")
    with server.serve(tmp / "streamlit.log", env) as url, sync_playwright() as pw:
        chromium = browser.launch(pw, live_driver.chromium_args([], mic))
        try:
            page = chromium.new_context(viewport=VIEWPORT, permissions=["microphone"]).new_page()
            live_driver.open_live(page, url)
            live_driver.start(page)
            began = time.monotonic()
            live_driver.wait_until(lambda: not live_driver.warming(page), args.warm)
            started = live_driver.stream_started_ms(page)
            warm_at = (page.evaluate("Date.now()") - started) / 1e3
            print(f"live models loaded {time.monotonic() - began:.0f} s after start")
            page.wait_for_timeout(int(args.listen * 1e3))
            result = live_driver.timing(mic, started, live_driver.answers(page), after_s=warm_at)
            if args.screenshot is not None:
                size = screenshot(page, args.screenshot)
                print(f"screenshot: {args.screenshot} ({size / 1e3:.0f} kB)")
            live_driver.stop(page)
            stopped = live_driver.wait_until(lambda: live_driver.live_tasks(page) == 0, 30)
        finally:
            chromium.close()
    print("answers (s after the stream started, genre):",
          [(round(t, 1), g) for t, g in result.events if t >= warm_at])
    print(f"switches timed: {len(result.latencies)}, missed: {len(result.misses)}; "
          f"latencies {[round(x, 2) for x in result.latencies]}")
    print(f"live tasks after stop: {'0' if stopped else 'not 0'}; after: {load()}")
    print(f"live_latency_s: {result.summary()}")


if __name__ == "__main__":
    main()
