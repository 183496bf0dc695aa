"""Many visitors at once: N headless-Chromium sessions open Try it on one fresh server and upload
a real 30-s clip within the same second; how many are answered, how fast, at what memory.

Usage: python bench/concurrent.py [--sessions N] [--clip WAV] [--timeout S] [--warm]
                                  [--nice-browser] [--keep-log]

Starts `streamlit run app.py` (tests/live_server.py) with an empty temporary runs folder (the
shipped models only), waits for its health check, then opens Try it in N separate browser
contexts of one headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) at once.
When every page shows its uploader, the clip is given to every uploader in one quick loop
(`upload_spread_s:` says how long that loop took) and the clock starts. A session is answered
when its page shows the finished verdict (the "Models agreeing" figure beside the Answer). The
server's process tree (the server and its worker processes) is sampled every 0.2 s (psutil) for
its resident memory.

With --warm the pages are opened only once the server's warm-up is done; with --nice-browser
Chromium runs at nice 19 (here the 8 browsers' rendering shares the server's 2 cores, which a
real visitor's browser does not). Prints
`server_cpu_s:` (CPU seconds of the server's tree from the uploads to the last answer: the cost,
whatever else the machine runs), per session its page load and answer times, then
`exception_boxes:` (Streamlit exception boxes on all pages at the end, with the first texts),
`sessions_answered: K/N`,
`last_answer_s:` (the slowest answer, from the end of the upload loop; `inf` when a session was
not answered) and `peak_rss_mb:` (largest sampled sum over the server's process tree).
Without --clip: GTZAN's blues.00000.wav beside the project, else a synthesised 30-s demo clip.
Target on 2 cores: 8/8 answered, last_answer_s <= 30, no exception box.
"""

from __future__ import annotations

import sys
from pathlib import Path

# this file is named like the standard library's `concurrent` package: keep its folder off the
# import path so that `import concurrent.futures` (asyncio, Playwright) finds the real one
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.append(str(HERE))   # after the standard library: benchkit imports, concurrent does not

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

from benchkit import BLUES_CLIP  # noqa: E402  (puts the project on sys.path)
from tests.live_server import ServerError, free_port, start, stop, wait_healthy  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                 "--disable-backgrounding-occluded-windows"]
DEFAULT_CLIP = BLUES_CLIP
VERDICT_TEXT = "Models agreeing"   #: the label of a metric drawn only once every model has answered


def demo_clip(folder: Path) -> Path:
    """A synthesised 30-s blues clip of the demo set's generator, as a WAV in folder."""
    import soundfile as sf

    from core.constants import SAMPLE_RATE
    from core.data.demo_styles import synth_clip

    path = folder / "demo-blues.wav"
    sf.write(path, synth_clip("blues", 7, seconds=30.0), SAMPLE_RATE)
    return path


class TreeSampler(threading.Thread):
    """Samples the resident memory of a process and its descendants every 0.2 s (the peak), and
    their CPU seconds so far (`cpu_s`, children that have gone included)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running, self.cpu_s = pid, 0, True, 0.0
        self._cpu: dict[int, float] = {}

    def run(self) -> None:
        import psutil

        while self.running:
            try:
                root = psutil.Process(self.pid)
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                return
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    self._cpu[proc.pid] = times.user + times.system
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.cpu_s = sum(self._cpu.values())
            time.sleep(0.2)


def warm_up_state(url: str) -> str:
    """The server's warm-up in a few words (its /genrelab/warm-up route)."""
    try:
        with urllib.request.urlopen(f"{url}/genrelab/warm-up", timeout=5) as answer:
            state = json.loads(answer.read())
    except (OSError, ValueError) as exc:
        return f"unknown ({exc})"
    if not state.get("enabled", True):
        return "off"
    waiting = [s["name"] for s in state.get("steps", []) if s["state"] in ("waiting", "running")]
    return "done" if state.get("done") else "still warming: " + ", ".join(waiting)


def wait_warm(url: str, timeout_s: float) -> float:
    """Wait until the server's warm-up is done; seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s and warm_up_state(url) not in ("done", "off"):
        time.sleep(1.0)
    return time.monotonic() - began


def niced_chromium(folder: Path) -> Path:
    """A script that starts Chromium at the lowest CPU priority (nice 19)."""
    script = folder / "chromium-niced"
    script.write_text(f'#!/bin/sh\nexec nice -n 19 {CHROMIUM} "$@"\n')
    script.chmod(0o755)
    return script


def visit(url: str, clip: Path, sessions: int, timeout_s: float,
          sampler: TreeSampler | None = None, executable: Path = CHROMIUM) -> dict:
    """Open Try it in every session, upload the clip in each at once, wait for the answers."""
    from playwright.sync_api import sync_playwright

    out: dict = {"load_s": [None] * sessions, "answer_s": [None] * sessions, "errors": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            pages = []
            began = time.monotonic()
            for _ in range(sessions):
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.goto(f"{url}/try_it", wait_until="commit")
                pages.append(page)
            uploaders = [p.locator('[data-testid="stFileUploaderDropzoneInput"]') for p in pages]
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and None in out["load_s"]:
                for i, uploader in enumerate(uploaders):
                    if out["load_s"][i] is None and uploader.count():
                        out["load_s"][i] = time.monotonic() - began
                pages[0].wait_for_timeout(200)
            out["warm_up_at_upload"] = warm_up_state(url)
            loaded = [i for i, s in enumerate(out["load_s"]) if s is not None]
            upload_began = time.monotonic()
            for i in loaded:
                uploaders[i].set_input_files(str(clip))
            clock = time.monotonic()
            cpu_at_upload = sampler.cpu_s if sampler else 0.0
            out["upload_spread_s"] = clock - upload_began
            verdicts = [p.locator('[data-testid="stMetric"]', has_text=VERDICT_TEXT) for p in pages]
            deadline = clock + timeout_s
            waiting = set(loaded)
            while waiting and time.monotonic() < deadline:
                for i in sorted(waiting):
                    if verdicts[i].count():
                        out["answer_s"][i] = time.monotonic() - clock
                        waiting.discard(i)
                pages[0].wait_for_timeout(200)
            out["answer_cpu_s"] = (sampler.cpu_s - cpu_at_upload) if sampler else 0.0
            pages[0].wait_for_timeout(1500)   # let late reruns (and their errors) draw
            for page in pages:
                boxes = page.locator('[data-testid="stException"]')
                out["errors"] += [boxes.nth(k).inner_text()[:300] for k in range(boxes.count())]
        finally:
            browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--clip", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="longest wait for the pages, then for the answers, s (each)")
    parser.add_argument("--keep-log", action="store_true", help="print the server log's end")
    parser.add_argument("--nice-browser", action="store_true",
                        help="run Chromium at nice 19: the browsers, which here share the "
                             "server's cores, stand aside as visitors' own machines would")
    parser.add_argument("--warm", action="store_true",
                        help="wait for the server's warm-up to finish before opening the pages")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium")
    work = Path(tempfile.mkdtemp(prefix="genrelab-concurrent-"))
    clip = args.clip or (DEFAULT_CLIP if DEFAULT_CLIP.is_file() else demo_clip(work))
    env = {**os.environ, "GENRELAB_RUNS": str(work / "runs")}
    env.pop("GENRELAB_NO_WARMUP", None)
    log = work / "streamlit.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(port, log, env)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    try:
        try:
            wait_healthy(url, proc, log)
        except ServerError as exc:
            raise SystemExit(str(exc)) from None
        warm_s = wait_warm(url, 600.0) if args.warm else None
        figures = visit(url, clip, args.sessions, args.timeout, sampler,
                        niced_chromium(work) if args.nice_browser else CHROMIUM)
    finally:
        sampler.running = False
        stop(proc)
        if args.keep_log:
            print(log.read_text()[-5000:])
        shutil.rmtree(work, ignore_errors=True)
    answers = figures["answer_s"]
    print(f"clip: {clip}")
    print(f"warm-up when the clips were uploaded: {figures['warm_up_at_upload']}")
    if warm_s is not None:
        print(f"waited {warm_s:.1f} s for the warm-up before opening the pages")
    print(f"upload_spread_s: {figures['upload_spread_s']:.2f}")
    print(f"server_cpu_s: {figures['answer_cpu_s']:.1f} (server tree, from the uploads to the "
          "last answer)")
    for i, (load, answer) in enumerate(zip(figures["load_s"], answers)):
        print(f"session {i + 1}: page {'%.1f s' % load if load is not None else 'not loaded'}, "
              f"answer {'%.1f s' % answer if answer is not None else 'none'}")
    print(f"exception_boxes: {len(figures['errors'])}")
    for text in figures["errors"][:5]:
        print("  " + text.replace("\n", " | ")[:300])
    done = [a for a in answers if a is not None]
    print(f"sessions_answered: {len(done)}/{args.sessions}")
    print(f"last_answer_s: {max(done) if len(done) == args.sessions else float('inf'):.1f}")
    print(f"peak_rss_mb: {sampler.peak / 2**20:.0f}")


if __name__ == "__main__":
    main()
