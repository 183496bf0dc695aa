"""Drive Try it's "Listen live" in headless Chromium whose microphone plays a wav file (looped),
and time the answer: shared by tests/test_e2e_live.py, bench/live.py and bench/soak.py.

The fake microphone plays `part_s` s of a real classical clip then `part_s` s of a real rock clip
(GTZAN, from ../shared/data), or, where that material is absent, two clips synthesised by
core.data.demo. Chromium starts the file at the beginning when the page's stream opens
(getUserMedia) and loops it, so the music switches genre at known times after that moment.
The page's own clock (Date.now(), the same in the stream's iframe and the page) stamps both
the stream's start and every change of the big answer: latency = answer change - switch.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from core.data.audio import resample
from core.constants import SAMPLE_RATE, SHARED_DATA

FAKE_RATE = 48000                       #: Hz of the fake microphone's file
PAIR = ("classical", "rock")            #: genres of the file's two parts, in order
CLIP_OFFSET_S = 5.0                     #: s skipped at the start of each real clip
LATENCY_BUDGET_S = 3.0                  #: s from a switch in the sound to the answer on the page
FAKE_MIC_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
#: Page script (every frame): when getUserMedia gives a stream, and each change of the answer.
WATCH_JS = """
(() => {
    window.__glGum = [];
    const md = navigator.mediaDevices;
    if (md && md.getUserMedia) {
        const orig = md.getUserMedia.bind(md);
        md.getUserMedia = async (c) => {
            const s = await orig(c);
            if (c && c.audio) { window.__glGum.push(Date.now()); }
            return s;
        };
    }
    if (window.top !== window) { return; }
    window.__glAnswers = [];
    let last = null;
    setInterval(() => {
        const box = document.querySelector('.st-key-live_answer');
        const text = box ? box.innerText : '';
        const m = text.match(/Now: (\\w+)/);
        const genre = m ? m[1] : null;
        if (genre !== last) { window.__glAnswers.push([Date.now(), genre]); last = genre; }
    }, 20);
})();
"""


@dataclass
class FakeMic:
    """The fake microphone's file and what it plays when."""

    path: Path
    part_s: float
    real: bool                                           #: GTZAN clips (else synthesised)
    sources: tuple[str, ...] = ()

    @property
    def period_s(self) -> float:
        """s until the file loops."""
        return 2 * self.part_s

    def genre_at(self, t: float) -> str:
        """The genre playing t s after the stream started."""
        return PAIR[int((t % self.period_s) // self.part_s)]

    def switches(self, upto_s: float) -> list[tuple[float, str]]:
        """(s after the stream started, genre it switches to) up to upto_s, the start excluded."""
        out, k = [], 1
        while k * self.part_s <= upto_s:
            out.append((k * self.part_s, PAIR[k % 2]))
            k += 1
        return out


def _real_clip(genre: str) -> tuple[np.ndarray, str] | None:
    """The first GTZAN clip of a genre from the shared material (22050 Hz), or None."""
    folder = SHARED_DATA / "gtzan" / "genres_original" / genre
    for path in sorted(folder.glob(f"{genre}.*.wav")) if folder.is_dir() else []:
        try:
            y, sr = sf.read(str(path), dtype="float32")
        except RuntimeError:
            continue
        y = y.mean(axis=1) if y.ndim == 2 else y
        return resample(y, sr, SAMPLE_RATE), path.name
    return None


def fake_mic(folder: Path, part_s: float = 8.0) -> FakeMic:
    """Write the fake microphone's wav (48 kHz mono PCM16): classical then rock, part_s s each."""
    from core.data.demo_styles import synth_clip

    parts, names = [], []
    real = all(_real_clip(g) is not None for g in PAIR)
    for k, genre in enumerate(PAIR):
        if real:
            y, name = _real_clip(genre)
            start = int(CLIP_OFFSET_S * SAMPLE_RATE)
            y = y[start:start + int(part_s * SAMPLE_RATE)]
        else:
            y, name = synth_clip(genre, 100 + k, seconds=part_s), f"synthetic {genre}"
        y = y / max(1e-6, float(np.max(np.abs(y)))) * 0.8
        parts.append(resample(y.astype(np.float32), SAMPLE_RATE, FAKE_RATE))
        names.append(name)
    path = Path(folder) / "live_mic.wav"
    sf.write(str(path), np.concatenate(parts), FAKE_RATE, subtype="PCM_16")
    return FakeMic(path, part_s, real, tuple(names))


def chromium_args(base: list[str], mic: FakeMic) -> list[str]:
    """Chromium's arguments with the fake microphone playing mic's file."""
    return [*base, *FAKE_MIC_ARGS, f"--use-file-for-fake-audio-capture={mic.path}"]


def open_live(page, app_url: str, timeout_ms: int = 120_000) -> None:
    """Open Try it, choose "Listen live" and wait for the stream's start button."""
    page.add_init_script(WATCH_JS)
    page.goto(f"{app_url}/try_it", wait_until="domcontentloaded")
    page.get_by_text("Listen live", exact=True).click(timeout=timeout_ms)
    stream_frame(page).get_by_role("button", name="Start listening").wait_for(timeout=timeout_ms)


def stream_frame(page):
    """The streamlit-webrtc component's iframe."""
    return page.frame_locator('iframe[title*="streamlit_webrtc"]')


def start(page, timeout_ms: int = 60_000) -> None:
    """Press Start listening and wait until the stream plays (its Stop button)."""
    frame = stream_frame(page)
    frame.get_by_role("button", name="Start listening").click()
    frame.get_by_role("button", name="Stop").wait_for(timeout=timeout_ms)


def stop(page, timeout_ms: int = 60_000) -> None:
    """Press Stop and wait for the start button again."""
    frame = stream_frame(page)
    frame.get_by_role("button", name="Stop").click()
    frame.get_by_role("button", name="Start listening").wait_for(timeout=timeout_ms)


def live_text(page) -> str:
    """The live answer box's text now ("" while the page shows none); never waits, since the
    box is redrawn as answers come and may be gone between a count and a read."""
    return "\n".join(page.locator(".st-key-live_answer").all_inner_texts())


def live_tasks(page) -> int | None:
    """The count of live tasks the page shows (None when it shows none)."""
    m = re.search(r"Live tasks on this server: (\d+)", live_text(page))
    return int(m.group(1)) if m else None


def warming(page) -> bool:
    """True until the page lists the models answering live and none still loading."""
    return (page.get_by_text("Answering live").count() == 0
            or page.get_by_text("Loading, then live").count() > 0)


def stream_started_ms(page) -> float | None:
    """Date.now() when the stream's getUserMedia last gave a stream (the file starts then)."""
    for frame in page.frames:
        try:
            stamps = frame.evaluate("() => window.__glGum || []")
        except Exception:  # noqa: BLE001 - a frame that went away
            continue
        if stamps:
            return float(stamps[-1])
    return None


def answers(page) -> list[tuple[float, str | None]]:
    """(Date.now(), genre or None) of every change of the big answer so far."""
    return [(float(t), g) for t, g in page.evaluate("() => window.__glAnswers || []")]


@dataclass
class Timing:
    """The answer's delay after each switch of the music (s); misses: switches never answered."""

    latencies: list[float] = field(default_factory=list)
    misses: list[float] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)   #: (s after start, genre)

    def summary(self) -> str:
        """"median=… p95=…" of the latencies (s)."""
        if not self.latencies:
            return "median=nan p95=nan"
        lat = np.asarray(self.latencies)
        return f"median={np.median(lat):.2f} p95={np.percentile(lat, 95):.2f}"


def timing(mic: FakeMic, started_ms: float, changes: list[tuple[float, str | None]],
           after_s: float = 0.0) -> Timing:
    """Latency of each switch of the music after `after_s` s from the stream's start: the first
    time the answer becomes the new genre after the switch (before the next switch)."""
    events = [((t - started_ms) / 1e3, g) for t, g in changes]
    end = events[-1][0] if events else 0.0
    out = Timing(events=events)
    for at, genre in mic.switches(end):
        if at < after_s:
            continue
        nxt = at + mic.part_s
        before = [g for t, g in events if t < at]
        if before and before[-1] == genre:     # already saying it (a wrong answer before): no
            continue                           # change to time
        hit = next((t for t, g in events if at <= t < nxt and g == genre), None)
        if hit is None:
            if nxt <= end:
                out.misses.append(at)
            continue
        out.latencies.append(hit - at)
    return out


def wait_until(predicate, timeout_s: float, poll_s: float = 0.25) -> bool:
    """Poll predicate() until true or timeout_s."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(poll_s)
    return bool(predicate())
