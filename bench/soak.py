"""An hour of visitors on one server: does it stay correct, and does its memory stay flat?

Usage: python bench/soak.py [--minutes 60] [--sessions K] [--live-s 10] [--skip STEP...]
                            [--shots DIR] [--owner] [--keep-log]

Starts `streamlit run app.py` (harness/server.py) as it is shown to others: viewer mode (--owner:
not), the warm-up on, the shipped models only (an empty temporary runs folder). K headless
Chromium browsers (Debian's, at nice 19: here they share the server's cores), each with a fake
microphone (harness/live_driver.py), then do what visitors do, round after round, until the
time is up (after its first round, a browser stops at the first step that ends after it):
  1. open GenreLab afresh and upload a real 30-s clip on Try it (the next of GTZAN's WAVs beside
     the project, else a synthesised one), wait for the whole verdict;
  2. switch pages through the sidebar: Dataset, Features, Results, Home;
  3. make and download the report on Results;
  4. listen live on Try it for --live-s seconds, wait for a live answer, stop.
--shots DIR keeps a screenshot and the text of the page (and of Listen live's frame) after each
failed step, the server's log, and per session an events log (session-N-events.txt: each step's start, the page's
crashes, navigations, console errors, closed websockets and (i)frames attached or detached, in
s since the soak began).
--skip leaves steps out (upload, pages, report, live), to find which one memory
grows with.
Any step that fails or times out, and any Streamlit exception box on the page after a step, is
an error (the first ones are printed). The server's process tree is sampled every second.

Prints the 1-min load average before and after (the machine may be shared), per step the count
done, then `soak_errors:`, `soak_answers:` (uploads answered with a whole verdict),
`rss_start_mb:` (median over the 30 s after the warm-up: once the server's warm-up is done and
every browser has finished its first round, so every code path has been loaded once),
`rss_end_mb:` (median over the last 30 s), `rss_growth_pct:` (between the two; nan when the run
ended less than a minute after the warm-up) and `zombies:` (`<defunct>` processes under the server at the end).
Target: 0 errors, 0 zombies, growth <= 15 %. Not run by the tests (an hour); `--minutes 3`
checks that it works.
"""

from __future__ import annotations

import benchkit  # noqa: F401  (first: the standard library's concurrent, the project on sys.path)

import argparse  # noqa: E402
import itertools  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from benchkit import GTZAN_WAV, load1  # noqa: E402
from harness import browser, live_driver, memory, server  # noqa: E402

STEP_MS = 180_000         #: longest wait for one step (a verdict, a page, a download), ms
LIVE_ANSWER_S = 120.0     #: longest wait for the first live answer (the live models load), s
SETTLE_S = 30.0           #: the window of the start and end memory figures, s
PAGES = ("Dataset", "Features", "Results", "Home")   #: visited through the sidebar, in turn
STEP_KINDS = ("upload", "pages", "report", "live")   #: what --skip can leave out
VIEWPORT = {"width": 1280, "height": 900}
VERDICT = '[data-testid="stMetric"]:has-text("Models agreeing")'


class ClipCycle:
    """The clips to upload, in turn, shared by the visitors' threads."""

    def __init__(self, paths: list[Path]):
        self._cycle = itertools.cycle(paths)
        self._lock = threading.Lock()

    def next(self) -> Path:
        """The next clip."""
        with self._lock:
            return next(self._cycle)


def shot_name(session: int, round_no: int, step: str) -> str:
    """The file name (no suffix) of a failed step's capture."""
    return f"s{session + 1}-r{round_no}-{step.replace(' ', '_')}"


class EventLog:
    """One session's events, each a line "seconds kind text" in folder/session-N-events.txt
    (nothing without a folder)."""

    def __init__(self, folder: Path | None, session: int, began: float):
        self.path = folder / f"session-{session + 1}-events.txt" if folder is not None else None
        self.began = began
        if self.path is not None:
            folder.mkdir(parents=True, exist_ok=True)
            self.path.write_text("")

    def __call__(self, kind: str, text: str = "") -> None:
        """Append one event."""
        if self.path is not None:
            with self.path.open("a") as out:
                out.write(f"{time.monotonic() - self.began:9.2f} {kind} {text[:300]}\n")

    def watch(self, page) -> None:
        """Log the page's crashes, main-frame navigations, console errors, websocket closes and
        frames attached or detached (a component's iframe drawn anew)."""
        if self.path is None:
            return
        page.on("crash", lambda _: self("crash"))
        page.on("framenavigated", lambda frame: self("navigated", frame.url)
                if frame == page.main_frame else None)
        page.on("console", lambda msg: self(f"console-{msg.type}", msg.text)
                if msg.type in ("error", "warning") else None)
        page.on("websocket", lambda ws: ws.on("close", lambda _: self("websocket-closed", ws.url)))
        page.on("frameattached", lambda frame: self("frame-attached", frame.name or frame.url))
        page.on("framedetached", lambda frame: self("frame-detached", frame.name or frame.url))


def keep_shot(page, folder: Path | None, name: str) -> None:
    """A screenshot and the text of the page, and of the WebRTC frame if any, in folder/name.*
    (nothing without a folder; a page that cannot be captured is noted in the text file)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True, timeout=30_000)
        text = page.inner_text("body", timeout=30_000)
        frames = [f.inner_text("body", timeout=5_000) for f in page.frames[1:]
                  if "webrtc" in (f.url or "")]
        text += "".join(f"\n--- webrtc frame ---\n{t}" for t in frames)
    except Exception as exc:  # noqa: BLE001 - the capture failed: say so in its place
        text = f"capture failed: {type(exc).__name__}: {exc}"
    (folder / f"{name}.txt").write_text(text)


class Tally:
    """What the visitors did and what went wrong, shared by their threads."""

    def __init__(self) -> None:
        self.done: Counter[str] = Counter()
        self.errors: list[str] = []
        self.first_round: set[int] = set()
        self.warm_at: float | None = None
        self.began = time.monotonic()   #: when the soak began (the events logs count from it)
        self._lock = threading.Lock()

    def count(self, step: str) -> None:
        """One more step done."""
        with self._lock:
            self.done[step] += 1

    def error(self, session: int, step: str, what: str) -> None:
        """One error, with the session and step it happened in."""
        with self._lock:
            self.errors.append(f"session {session + 1}, {step}: {what}")

    def round_done(self, session: int, sessions: int, url: str) -> None:
        """A session finished a round; the warm-up ends once every session has finished one and
        the server's own warm-up is done."""
        with self._lock:
            self.first_round.add(session)
            if (self.warm_at is None and len(self.first_round) == sessions
                    and server.warm_up_state(url) in ("done", "off")):
                self.warm_at = time.monotonic()


def clips(folder: Path) -> list[Path]:
    """Real 30-s clips to upload (GTZAN's WAVs beside the project), else four synthesised ones."""
    real = sorted(GTZAN_WAV.glob("genres_original/*/*.wav"))
    if real:
        return real
    import soundfile as sf

    from core.constants import SAMPLE_RATE
    from core.data.demo_styles import synth_clip

    made = []
    for k, genre in enumerate(("blues", "classical", "jazz", "rock")):
        path = folder / f"demo-{genre}.wav"
        sf.write(path, synth_clip(genre, 100 + k, seconds=30.0), SAMPLE_RATE)
        made.append(path)
    return made


def exception_boxes(page) -> str | None:
    """The first Streamlit exception box's text on the page, or None."""
    boxes = page.locator('[data-testid="stException"]')
    return boxes.first.inner_text()[:300].replace("\n", " | ") if boxes.count() else None


def goto_page(page, title: str) -> None:
    """Switch to a page through the sidebar and wait until it is drawn."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click(timeout=STEP_MS)
    browser.wait_idle(page, STEP_MS)


def upload(page, url: str, clip: Path) -> None:
    """Open GenreLab afresh on Try it, upload the clip, wait for the whole verdict."""
    page.goto(f"{url}/try_it", wait_until="domcontentloaded")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(clip), timeout=STEP_MS)
    page.locator(VERDICT).first.wait_for(timeout=STEP_MS)
    browser.wait_idle(page, STEP_MS)


def open_afresh(page, url: str) -> None:
    """Open GenreLab afresh on its Home page (a round's start when uploads are skipped)."""
    page.goto(url, wait_until="domcontentloaded")
    browser.wait_idle(page, STEP_MS)


def download_report(page) -> None:
    """Make and download the report on Results; RuntimeError unless it is an HTML document."""
    goto_page(page, "Results")
    page.get_by_role("button", name=re.compile("Make the report")).first.click(timeout=STEP_MS)
    button = page.get_by_role("button", name=re.compile("Download report"))
    with page.expect_download(timeout=STEP_MS) as download:
        button.first.click(timeout=STEP_MS)
    path = download.value.path()
    head = Path(path).read_bytes()[:2000].lower() if path else b""
    if b"<html" not in head:
        raise RuntimeError(f"the report is not an HTML document ({len(head)} bytes read)")


def listen(page, seconds: float) -> None:
    """Listen live on Try it for seconds; RuntimeError when no live answer came."""
    goto_page(page, "Try it")
    page.get_by_text("Listen live", exact=True).click(timeout=STEP_MS)
    live_driver.stream_frame(page).get_by_role("button", name="Start listening").wait_for(
        timeout=STEP_MS)
    live_driver.start(page)
    said = live_driver.wait_until(
        lambda: bool(re.search(r"Now: \w+", live_driver.live_text(page))),
        LIVE_ANSWER_S)
    page.wait_for_timeout(int(seconds * 1e3))
    live_driver.stop(page)
    if not said:
        raise RuntimeError(f"no live answer within {LIVE_ANSWER_S:.0f} s")


def visitor(session: int, sessions: int, url: str, mic: live_driver.FakeMic, executable: Path,
            clip_cycle: ClipCycle, deadline: float, live_s: float, tally: Tally,
            skip: frozenset[str] = frozenset(), shots: Path | None = None) -> None:
    """One browser doing rounds of what visitors do until the deadline (see rounds); a browser
    that cannot go on is one more error."""
    try:
        rounds(session, sessions, url, mic, executable, clip_cycle, deadline, live_s, tally, skip,
               shots)
    except Exception as exc:  # noqa: BLE001 - counted and printed, never silenced
        tally.error(session, "browser", f"{type(exc).__name__}: {str(exc)[:200]}")


def rounds(session: int, sessions: int, url: str, mic: live_driver.FakeMic, executable: Path,
           clip_cycle: ClipCycle, deadline: float, live_s: float, tally: Tally,
           skip: frozenset[str] = frozenset(), shots: Path | None = None) -> None:
    """Rounds of what visitors do in one browser until the deadline, each step's outcome in
    tally; the step kinds in skip are left out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = browser.launch(pw, [*browser.UNTHROTTLED_ARGS,
                                       *live_driver.chromium_args([], mic)], executable)
        try:
            context = chromium.new_context(viewport=VIEWPORT, permissions=["microphone"],
                                           accept_downloads=True)
            page = context.new_page()
            page.add_init_script(live_driver.WATCH_JS)
            log = EventLog(shots, session, tally.began)
            log.watch(page)
            for round_no in itertools.count():
                steps = [("upload", lambda: upload(page, url, clip_cycle.next()))
                         if "upload" not in skip else ("open", lambda: open_afresh(page, url))]
                steps += [(f"page {title}", lambda t=title: goto_page(page, t))
                          for title in PAGES if "pages" not in skip]
                steps += [("report", lambda: download_report(page))] * ("report" not in skip)
                steps += [("listen live", lambda: listen(page, live_s))] * ("live" not in skip)
                for step, action in steps:
                    if round_no and time.monotonic() >= deadline:
                        return
                    log("step", f"round {round_no + 1}: {step}")
                    try:
                        action()
                    except Exception as exc:  # noqa: BLE001 - counted and printed, never silenced
                        tally.error(session, step, f"{type(exc).__name__}: {str(exc)[:200]}")
                        log("failed", f"{type(exc).__name__}: {str(exc)[:200]}")
                        keep_shot(page, shots, shot_name(session, round_no, step))
                        continue
                    box = exception_boxes(page)
                    if box:
                        tally.error(session, step, f"exception box: {box}")
                        keep_shot(page, shots, shot_name(session, round_no, step))
                    else:
                        tally.count(step)
                tally.round_done(session, sessions, url)
                if time.monotonic() >= deadline:
                    return
        finally:
            chromium.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long visitors come")
    parser.add_argument("--sessions", type=int, default=4, help="browsers at once (K)")
    parser.add_argument("--live-s", type=float, default=10.0, help="s of each live session")
    parser.add_argument("--skip", nargs="*", default=[], choices=STEP_KINDS,
                        help="step kinds to leave out")
    parser.add_argument("--shots", type=Path, default=None,
                        help="folder for a screenshot and the text of each failed step's page")
    parser.add_argument("--owner", action="store_true", help="serve in owner mode, not viewer")
    parser.add_argument("--keep-log", action="store_true", help="print the server log's end")
    args = parser.parse_args()
    if browser.missing():
        raise SystemExit(browser.missing())
    load_before = load1()
    work = Path(tempfile.mkdtemp(prefix="genrelab-soak-"))
    env = {**os.environ, "GENRELAB_RUNS": str(work / "runs"), "GENRELAB_HOME": str(work / "home")}
    env.pop("GENRELAB_NO_WARMUP", None)
    if not args.owner:
        env["GENRELAB_MODE"] = "viewer"
    log = work / "streamlit.log"
    mic = live_driver.fake_mic(work)
    clip_cycle = ClipCycle(clips(work))
    tally = Tally()
    sampler = None
    began = time.monotonic()
    try:
        with server.running(log, env) as (url, proc):
            sampler = memory.TreeSampler(proc.pid, every_s=1.0)
            sampler.start()
            deadline = time.monotonic() + args.minutes * 60
            threads = [threading.Thread(target=visitor, daemon=True, args=(
                k, args.sessions, url, mic, browser.niced(work), clip_cycle, deadline, args.live_s,
                tally, frozenset(args.skip), args.shots)) for k in range(args.sessions)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            ended = time.monotonic()
            time.sleep(2.0)   # the last sample after the browsers closed
            zombies = memory.zombies(proc.pid)
    except server.ServerError as exc:
        raise SystemExit(str(exc)) from None
    finally:
        if sampler is not None:
            sampler.stop()
        if args.keep_log and log.exists():
            print(log.read_text()[-5000:])
        if args.shots is not None and log.exists():   # beside the events, to match them
            args.shots.mkdir(parents=True, exist_ok=True)
            shutil.copy(log, args.shots / "streamlit.log")
        shutil.rmtree(work, ignore_errors=True)
    warm = tally.warm_at
    start_mb = sampler.median_mb(warm, warm + SETTLE_S) if warm is not None else math.nan
    end_mb = sampler.median_mb(ended - SETTLE_S, ended)
    measured = warm is not None and ended - warm >= 2 * SETTLE_S
    growth = (end_mb - start_mb) / start_mb * 100 if measured else math.nan
    print(f"load_1min_before: {load_before:.2f} (on {os.cpu_count()} cores)")
    print(f"soak: {args.sessions} sessions, {args.minutes:g} minutes asked, "
          f"{(ended - began) / 60:.1f} minutes run, {'owner' if args.owner else 'viewer'} mode"
          + (f", without {', '.join(args.skip)}" if args.skip else ""))
    print("warm-up (server warmed, every session one round): "
          + (f"{warm - began:.0f} s" if warm is not None else "not reached"))
    for step, n in sorted(tally.done.items()):
        print(f"  {step}: {n}")
    print(f"soak_errors: {len(tally.errors)}")
    for text in tally.errors[:10]:
        print("  " + text)
    print(f"soak_answers: {tally.done['upload']}")
    print(f"rss_start_mb: {start_mb:.0f}")
    print(f"rss_end_mb: {end_mb:.0f}")
    print(f"rss_peak_mb: {sampler.peak / 2**20:.0f}")
    print(f"rss_growth_pct: {growth:.1f}" + ("" if measured else
          " (the run ended less than a minute after the warm-up: run it longer)"))
    print(f"zombies: {len(zombies)}" + (f" ({', '.join(zombies)})" if zombies else ""))
    print(f"load_1min_after: {load1():.2f}")


if __name__ == "__main__":
    main()
