"""First touch of a fresh server: upload a real clip on Try it, time to the first genre and to all.

Starts `streamlit run app.py` as a new user would on a fresh install: numba's cache is an empty
temporary folder (NUMBA_CACHE_DIR), so librosa's compiled code is built again, TensorFlow is not
imported yet, and only the shipped models are there (an empty temporary runs folder). Headless
Chromium (Debian's /usr/bin/chromium, driven by Playwright) opens Try it as soon as the server
answers, uploads the clip, and the clock starts when the upload has finished (the file shows in
the uploader, without its upload spinner). Prints the server's start-up time, then
`first_genre_s:` (until the first model's genre is on the page) and `all_models_s:` (until every
model has answered and the full verdict is drawn), both counted from the end of the upload.

Usage: .venv/bin/python bench/first_touch.py [--clip WAV] [--wait S] [--keep-log]
"""

from __future__ import annotations

import benchkit  # noqa: F401  (first: the standard library's concurrent, the project on sys.path)

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from benchkit import BLUES_CLIP  # noqa: E402
from core.constants import GENRES  # noqa: E402
from harness import browser  # noqa: E402
from harness.server import ServerError, free_port, start, stop, wait_healthy  # noqa: E402

DEFAULT_CLIP = BLUES_CLIP
ANSWER_MS = 180_000      #: longest wait for the page to answer, ms
#: a model's verdict line on Try it: "<model> says **<genre>** (..%, .. ms)"
VERDICT = re.compile(r" says (" + "|".join(GENRES) + r") \(")


#: the uploader shows the file and no longer its upload spinner
UPLOADED_JS = """() => document.querySelector('[data-testid="stFileChip"]')
    && !document.querySelector('[data-testid="stFileChipIconSpinner"]')"""


def first_touch(url: str, clip: Path, wait_s: float, started: float) -> dict[str, float]:
    """Open Try it, upload the clip, time the answers; seconds."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = browser.launch(pw)
        try:
            page = chromium.new_page(viewport=browser.VIEWPORT)
            page.goto(f"{url}/try_it", wait_until="domcontentloaded")
            uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
            uploader.wait_for(state="attached", timeout=ANSWER_MS)
            page_s = time.monotonic() - started
            if wait_s:
                page.wait_for_timeout(wait_s * 1e3)
            warming = page.get_by_text("Still warming up").all_inner_texts()
            uploader.set_input_files(str(clip))
            page.locator('[data-testid="stFileChip"]').first.wait_for(timeout=ANSWER_MS)
            page.wait_for_function(UPLOADED_JS, timeout=ANSWER_MS)
            uploaded = time.monotonic()
            page.get_by_text(VERDICT).first.wait_for(timeout=ANSWER_MS)
            first = time.monotonic() - uploaded
            first_text = page.get_by_text(VERDICT).first.inner_text()
            page.locator('[data-testid="stMetric"]', has_text="Answer").wait_for(
                timeout=ANSWER_MS)
            every = time.monotonic() - uploaded
            models = page.locator('[data-testid="stDataFrame"]').count()
            return {"page_s": page_s, "upload_at_s": uploaded - started, "first_genre_s": first,
                    "all_models_s": every, "first_text": first_text, "warming": warming,
                    "tables": models}
        finally:
            chromium.close()


def main() -> None:
    """Run the measurement once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP, help="audio file to upload")
    parser.add_argument("--wait", type=float, default=0.0,
                        help="seconds between opening Try it and uploading (default 0)")
    parser.add_argument("--keep-log", action="store_true", help="print the server's log")
    args = parser.parse_args()
    if browser.missing():
        raise SystemExit(browser.missing())
    if not args.clip.is_file():
        raise SystemExit(f"{args.clip}: no such clip (real clips live in ../shared/data/gtzan)")
    work = Path(tempfile.mkdtemp(prefix="genrelab-first-touch-"))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(work / "numba"),
           "GENRELAB_RUNS": str(work / "runs")}
    env.pop("GENRELAB_NO_WARMUP", None)
    log = work / "streamlit.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    proc = start(port, log, env)
    try:
        try:
            wait_healthy(url, proc, log)
        except ServerError as exc:
            raise SystemExit(str(exc)) from None
        healthy = time.monotonic() - started
        figures = first_touch(url, args.clip, args.wait, started)
    finally:
        stop(proc)
        if args.keep_log:
            print(log.read_text()[-5000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"clip: {args.clip}")
    print(f"server healthy after {healthy:.1f} s; Try it open after {figures['page_s']:.1f} s; "
          f"upload finished {figures['upload_at_s']:.1f} s after the server started")
    print(f"page said before the upload: {' | '.join(figures['warming']) or '(nothing warming)'}")
    print(f"first verdict: {figures['first_text']}")
    print(f"first_genre_s: {figures['first_genre_s']:.2f}")
    print(f"all_models_s: {figures['all_models_s']:.2f}")


if __name__ == "__main__":
    main()
