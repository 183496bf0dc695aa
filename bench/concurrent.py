"""Many visitors at once: N headless-Chromium sessions open Try it on one fresh server and upload
a real 30-s clip within the same second; how soon each shows its answer and its whole verdict.

Usage: python bench/concurrent.py [--sessions N] [--clip WAV] [--timeout S] [--warm]
                                  [--nice-browser] [--keep-log]

Starts `streamlit run app.py` (harness/server.py) with an empty temporary runs folder (the
shipped models only), waits for its health check, then opens Try it in N separate browser
contexts of one headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) at once.
When every page shows its uploader, the clip is given to every uploader in one quick loop
(`upload_spread_s:` says how long that loop took); each session's clock starts when its own
upload is handed to the page. Each page stamps, with its own clock (the machine's), when it first
shows the headline answer (the "Answer: <genre>" line, drawn once the model that leads the
answer has answered, or the final Answer figure) and when the whole verdict is drawn (the
"Models agreeing" figure, drawn once every model has answered). The server's process tree is
sampled every 0.2 s (psutil) for its resident memory and CPU time.

With --warm the pages are opened only once the server's warm-up is done; with --nice-browser
Chromium runs at nice 19 (here the browsers' rendering shares the server's 2 cores, which real
visitors' browsers do not). Prints the 1-min load average before (`load_1min_before:`) and
after (`load_1min_after:`) since the machine may be shared, `server_cpu_s:` (CPU seconds of the
server's tree from the uploads to the last verdict), per session its page load, answer and
verdict times, then `exception_boxes:` (Streamlit exception boxes on all pages at the end, with
the first texts), `sessions_answered: K/N` (whole verdicts), `max_answer_s:` (the slowest
headline answer), `max_verdict_s:` (the slowest whole verdict; `inf` when a session had none)
and `peak_rss_mb:` (largest sampled sum over the server's process tree).
Without --clip: GTZAN's blues.00000.wav beside the project, else a synthesised 30-s demo clip.
Targets on 2 cores, fresh server, --nice-browser: 16 sessions each answer <= 10 s and each whole
verdict <= 60 s; 8 sessions' max_verdict_s <= 30; no exception box.
"""

from __future__ import annotations

import benchkit  # noqa: F401  (first: the standard library's concurrent, the project on sys.path)

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from benchkit import BLUES_CLIP, load1  # noqa: E402
from harness import browser, memory, server  # noqa: E402

DEFAULT_CLIP = BLUES_CLIP
VIEWPORT = {"width": 1280, "height": 900}
#: Page script (top frame): the machine's time (Date.now(), ms) when the page first shows the
#: headline answer and the whole verdict; it stops watching once it has seen both.
STAMPS_JS = """
(() => {
    if (window.top !== window) { return; }
    window.__glSeen = {};
    const mark = (name) => { if (!(name in window.__glSeen)) { window.__glSeen[name] = Date.now(); } };
    const timer = setInterval(() => {
        for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
            const text = m.innerText;
            if (text.startsWith('Answer')) { mark('answer'); }
            if (text.includes('Models agreeing')) { mark('verdict'); }
        }
        if (!('answer' in window.__glSeen)) {
            for (const md of document.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
                if (/^Answer: \\w/.test(md.innerText)) { mark('answer'); break; }
            }
        }
        if ('answer' in window.__glSeen && 'verdict' in window.__glSeen) { clearInterval(timer); }
    }, 100);
})();
"""


def demo_clip(folder: Path) -> Path:
    """A synthesised 30-s blues clip of the demo set's generator, as a WAV in folder."""
    import soundfile as sf

    from core.constants import SAMPLE_RATE
    from core.data.demo_styles import synth_clip

    path = folder / "demo-blues.wav"
    sf.write(path, synth_clip("blues", 7, seconds=30.0), SAMPLE_RATE)
    return path


def seconds(value: float | None) -> str:
    """A time in s for the per-session lines ("none" when it never came)."""
    return "none" if value is None else f"{value:.1f} s"


def visit(url: str, clip: Path, sessions: int, timeout_s: float,
          sampler: memory.TreeSampler | None = None,
          executable: Path = browser.CHROMIUM, shots: Path | None = None) -> dict:
    """Open Try it in every session, upload the clip in each at once, wait for the verdicts;
    shots: a folder for a screenshot and the text of each page that showed no verdict."""
    from playwright.sync_api import sync_playwright

    out: dict = {"load_s": [None] * sessions, "answer_s": [None] * sessions,
                 "verdict_s": [None] * sessions, "errors": []}
    with sync_playwright() as pw:
        chromium = browser.launch(pw, browser.UNTHROTTLED_ARGS, executable)
        try:
            pages = []
            began = time.monotonic()
            for _ in range(sessions):
                page = chromium.new_context(viewport=VIEWPORT).new_page()
                page.add_init_script(STAMPS_JS)
                page.goto(f"{url}/try_it", wait_until="commit")
                pages.append(page)
            uploaders = [p.locator('[data-testid="stFileUploaderDropzoneInput"]') for p in pages]
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and None in out["load_s"]:
                for i, uploader in enumerate(uploaders):
                    if out["load_s"][i] is None and uploader.count():
                        out["load_s"][i] = time.monotonic() - began
                pages[0].wait_for_timeout(200)
            out["warm_up_at_upload"] = server.warm_up_state(url)
            loaded = [i for i, s in enumerate(out["load_s"]) if s is not None]
            uploaded_at: dict[int, float] = {}   #: session -> time.time() its upload was handed over
            upload_began = time.monotonic()
            cpu_at_upload = sampler.cpu_s if sampler else 0.0
            busy_at_upload, browsers_at_upload = memory.machine_busy_s(), memory.named_cpu_s("chromium")
            for i in loaded:
                uploaders[i].set_input_files(str(clip))
                uploaded_at[i] = time.time()
            out["upload_spread_s"] = time.monotonic() - upload_began
            deadline = time.monotonic() + timeout_s
            waiting = set(loaded)
            while waiting and time.monotonic() < deadline:
                for i in sorted(waiting):
                    seen = pages[i].evaluate("() => window.__glSeen || {}")
                    for name in ("answer", "verdict"):
                        if name in seen:
                            out[f"{name}_s"][i] = seen[name] / 1e3 - uploaded_at[i]
                    if "verdict" in seen:
                        waiting.discard(i)
                pages[0].wait_for_timeout(500)
            out["answer_cpu_s"] = (sampler.cpu_s - cpu_at_upload) if sampler else 0.0
            out["machine_cpu_s"] = memory.machine_busy_s() - busy_at_upload
            out["browser_cpu_s"] = memory.named_cpu_s("chromium") - browsers_at_upload
            out["window_s"] = time.monotonic() - upload_began
            pages[0].wait_for_timeout(1500)   # let late reruns (and their errors) draw
            for i, page in enumerate(pages):
                boxes = page.locator('[data-testid="stException"]')
                out["errors"] += [boxes.nth(k).inner_text()[:300] for k in range(boxes.count())]
                if shots is not None and out["verdict_s"][i] is None:
                    shots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shots / f"session-{i + 1}.png"), full_page=True)
                    (shots / f"session-{i + 1}.txt").write_text(page.inner_text("body"))
        finally:
            chromium.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--clip", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="longest wait for the pages, then for the verdicts, s (each)")
    parser.add_argument("--keep-log", action="store_true", help="print the server log's end")
    parser.add_argument("--shots", type=Path, default=None,
                        help="folder for a screenshot and the text of every page that showed "
                             "no whole verdict")
    parser.add_argument("--nice-browser", action="store_true",
                        help="run Chromium at nice 19: the browsers, which here share the "
                             "server's cores, stand aside as visitors' own machines would")
    parser.add_argument("--warm", action="store_true",
                        help="wait for the server's warm-up to finish before opening the pages")
    args = parser.parse_args()
    if browser.missing():
        raise SystemExit(browser.missing())
    load_before = load1()
    work = Path(tempfile.mkdtemp(prefix="genrelab-concurrent-"))
    clip = args.clip or (DEFAULT_CLIP if DEFAULT_CLIP.is_file() else demo_clip(work))
    env = {**os.environ, "GENRELAB_RUNS": str(work / "runs")}
    env.pop("GENRELAB_NO_WARMUP", None)
    log = work / "streamlit.log"
    sampler = None
    try:
        with server.running(log, env) as (url, proc):
            sampler = memory.TreeSampler(proc.pid)
            sampler.start()
            warm_s = server.wait_warm(url, 600.0) if args.warm else None
            figures = visit(url, clip, args.sessions, args.timeout, sampler,
                            browser.niced(work) if args.nice_browser else browser.CHROMIUM,
                            args.shots)
    except server.ServerError as exc:
        raise SystemExit(str(exc)) from None
    finally:
        if sampler is not None:
            sampler.stop()
        if args.keep_log and log.exists():
            print(log.read_text()[-5000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"load_1min_before: {load_before:.2f} (on {os.cpu_count()} cores)")
    print(f"clip: {clip}")
    print(f"warm-up when the clips were uploaded: {figures['warm_up_at_upload']}")
    if warm_s is not None:
        print(f"waited {warm_s:.1f} s for the warm-up before opening the pages")
    print(f"browsers: {'nice 19' if args.nice_browser else 'not niced'}")
    print(f"upload_spread_s: {figures['upload_spread_s']:.2f}")
    print(f"server_cpu_s: {figures['answer_cpu_s']:.1f} (server tree, from the uploads to the "
          "last verdict)")
    print(f"browser_cpu_s: {figures['browser_cpu_s']:.1f} (Chromium's processes, the same span)")
    print(f"machine_cpu_s: {figures['machine_cpu_s']:.1f} of {figures['window_s'] * (os.cpu_count() or 1):.1f} "
          f"(every process, the same span of {figures['window_s']:.1f} s on {os.cpu_count()} cores)")
    for i, (load, answer, verdict) in enumerate(zip(figures["load_s"], figures["answer_s"],
                                                    figures["verdict_s"])):
        print(f"session {i + 1}: page {seconds(load)}, answer {seconds(answer)}, "
              f"verdict {seconds(verdict)}")
    print(f"exception_boxes: {len(figures['errors'])}")
    for text in figures["errors"][:5]:
        print("  " + text.replace("\n", " | ")[:300])
    answers = [a for a in figures["answer_s"] if a is not None]
    verdicts = [v for v in figures["verdict_s"] if v is not None]
    complete = len(verdicts) == args.sessions
    print(f"sessions_answered: {len(verdicts)}/{args.sessions}")
    print(f"max_answer_s: {max(answers) if len(answers) == args.sessions else float('inf'):.1f}")
    print(f"max_verdict_s: {max(verdicts) if complete else float('inf'):.1f}")
    print(f"peak_rss_mb: {(sampler.peak if sampler else 0) / 2**20:.0f}")
    print(f"load_1min_after: {load1():.2f}")


if __name__ == "__main__":
    main()
