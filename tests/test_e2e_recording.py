"""End to end in a real browser: both microphone recorders of Try it record, and predict.

Headless Chromium (Debian's) with a fake microphone that plays a synthesised wav file (6 s of
music, then 5 s of silence, looped; each new microphone stream starts at the file's beginning)
drives `streamlit run app.py`: st.audio_input ("Record in the browser") is started and stopped by
clicks; audio_recorder ("Record with a button", a component in an iframe) stops by itself after
the pause, then records a second take stopped by a click. The recordings the page received are
fetched back from the page's audio player and checked against the file played.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.data.audio import resample
from core.constants import GENRES, SAMPLE_RATE
from tests.test_e2e_browser import (   # skips this module too without Chromium or Playwright
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PAGE_IDLE_MS, VIEWPORT, demo_with_svm, shoot, streamlit_server,
    sync_api,
    wait_idle,
)

FAKE_RATE = 48000            #: Hz, sample rate of the fake microphone's file
MUSIC_S = 6.0                #: s of music at the start of the fake microphone's file
PAUSE_S = 5.0                #: s of silence after it (longer than the page's BUTTON_PAUSE_S)
MIC_TAKE_MS = 4500           #: ms between the clicks on st.audio_input's record and stop
BUTTON_TAKE_MS = 4000        #: ms between the two clicks of the button recorder's second take
MIN_CORRELATION = 0.8        #: least normalised correlation of an unprocessed take with the file
RECORDER_FRAME = 'iframe[title="pages.recorder.audio_recorder"]'   #: pages/recorder.py's patched copy
FAKE_MIC_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture
def fake_mic(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """The fake microphone's wav (synthetic rock, then silence) and its music at 22050 Hz."""
    from core.data.demo_styles import synth_clip

    music = 0.8 * synth_clip("rock", 7, seconds=MUSIC_S, sr=FAKE_RATE)
    path = tmp_path / "fake_mic.wav"
    sf.write(path, np.concatenate([music, np.zeros(int(PAUSE_S * FAKE_RATE), np.float32)]),
             FAKE_RATE, subtype="PCM_16")
    return path, resample(music.astype(np.float32), FAKE_RATE, SAMPLE_RATE)


@pytest.fixture
def app_url(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch):
    """`streamlit run app.py` on a free port with an SVM trained on the tiny demo set."""
    demo_with_svm(monkeypatch)
    with streamlit_server(isolated_dirs / "streamlit.log") as url:
        yield url


def correlation(take: np.ndarray, music: np.ndarray) -> float:
    """Largest normalised cross-correlation of a mono take with the music (both at 22050 Hz),
    over every lag (a take may start before the music or after it), on the part they share."""
    from scipy.signal import correlate

    xc = correlate(take, music, mode="full", method="fft")
    lag = int(np.argmax(xc)) - (music.size - 1)          # take[n + lag] matches music[n]
    if lag >= 0:
        a = take[lag: lag + music.size]
        b = music[: a.size]
    else:
        b = music[-lag: -lag + take.size]
        a = take[: b.size]
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def rms_per_second(y: np.ndarray, sr: int) -> np.ndarray:
    """Root-mean-square level of each whole second of a mono signal."""
    n = y.size // sr
    return np.sqrt(np.mean(y[: n * sr].reshape(n, sr) ** 2, axis=1))


def verdict(page, previous: str | None = None) -> tuple[str, np.ndarray, int, str]:
    """Wait for a prediction of a clip (other than the one at url `previous`).

    Returns the headline answer, the clip's samples and rate, and the clip's url.
    """
    box = page.locator('[data-testid="stMetric"]', has_text="Answer")
    box.wait_for(timeout=PAGE_IDLE_MS)
    player = page.locator('[data-testid="stAudio"]').first
    if previous is not None:
        page.wait_for_function(
            "([sel, old]) => { const a = document.querySelector(sel);"
            " return a && a.getAttribute('src') !== old; }",
            arg=['[data-testid="stAudio"]', previous], timeout=PAGE_IDLE_MS)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    genre = box.locator('[data-testid="stMetricValue"]').inner_text().strip()
    src = player.get_attribute("src")
    answer = page.request.get(src if src.startswith("http") else page.url.split("/try_it")[0] + src)
    assert answer.ok, f"the page's audio {src} could not be fetched: {answer.status}"
    y, sr = sf.read(io.BytesIO(answer.body()), dtype="float32")
    return genre, y, sr, src


def test_both_recorders_record_and_predict_in_chromium(app_url: str, fake_mic) -> None:
    wav, music = fake_mic
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=[*CHROMIUM_ARGS, *FAKE_MIC_ARGS, f"--use-file-for-fake-audio-capture={wav}"])
        try:
            context = browser.new_context(viewport=VIEWPORT, permissions=["microphone"])
            page = context.new_page()
            try:
                record_both(page, app_url, music)
            except Exception:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "recording_failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def record_both(page, app_url: str, music: np.ndarray) -> None:
    """Record with st.audio_input, then twice with the button recorder; check every take."""
    page.goto(f"{app_url}/try_it", wait_until="domcontentloaded")
    wait_idle(page)

    # st.audio_input: click record, let it run, click stop
    page.get_by_text("Record in the browser", exact=True).click()
    wait_idle(page)
    button = page.locator('[data-testid="stAudioInputActionButton"]')
    assert button.get_attribute("aria-label") == "Record"
    button.click()
    page.wait_for_timeout(MIC_TAKE_MS)
    assert button.get_attribute("aria-label") == "Stop recording"
    button.click()
    genre, take, sr, _ = verdict(page)
    assert genre in GENRES
    assert sr == SAMPLE_RATE and take.ndim == 1, "st.audio_input gives mono wav at 22050 Hz"
    assert take.size / sr >= 3.0, f"take of {take.size / sr:.1f} s"
    # the take is the file's music itself: no beep of Chromium's default fake device, and no
    # voice processing (noise suppression, gain control) in between
    similar = correlation(take, music)
    print(f"st.audio_input: {genre}, {sr} Hz, {take.size / sr:.2f} s, correlation {similar:.3f}")
    assert similar >= MIN_CORRELATION
    shoot(page, "record_in_browser")

    # audio_recorder: one click starts it; it stops by itself after the pause in the file. Its
    # take reaches the models as st.audio_input's does (core.data.recording.as_heard: mono,
    # 22050 Hz, one level), and it asks for the microphone unprocessed (pages/recorder.py), so
    # the take is the file's music too: before, Chromium's gain control made it 3x louder,
    # clipped, correlating 0.73, and heard as another genre
    page.get_by_text("Record with a button", exact=True).click()
    wait_idle(page)
    icon = page.frame_locator(RECORDER_FRAME).locator("svg")
    idle_color = icon.evaluate("e => getComputedStyle(e).color")
    icon.click()
    page.wait_for_timeout(500)
    assert icon.evaluate("e => getComputedStyle(e).color") != idle_color   # recording colour
    button_genre, take, sr, first_url = verdict(page)
    assert button_genre in GENRES
    assert sr == SAMPLE_RATE and take.ndim == 1, "the button's take reaches the models as mono"
    level = rms_per_second(take, sr)
    seconds = take.shape[0] / sr
    similar = correlation(take, music)
    print(f"button, auto stop: {button_genre}, {sr} Hz, {seconds:.2f} s, rms/s "
          f"{level.round(3)}, correlation {similar:.3f}")
    # music from the start, then the recorder's 3-s pause, stopped before the file loops back
    assert MUSIC_S <= seconds < MUSIC_S + PAUSE_S, f"take of {seconds:.1f} s"
    assert level[0] > 0.02 and np.all(level[-2:] < 1e-3), f"levels per second {level.round(3)}"
    assert similar >= MIN_CORRELATION, "the button's take is not the music the file played"
    # (its level is not checked here: st.audio scales samples to full scale for the player)
    assert icon.evaluate("e => getComputedStyle(e).color") == idle_color
    shoot(page, "record_with_button")

    # a second take with the same recorder, stopped by a click before the pause
    icon.click()
    page.wait_for_timeout(BUTTON_TAKE_MS)
    icon.click()
    genre, second, sr, _ = verdict(page, previous=first_url)
    assert genre in GENRES
    seconds = second.shape[0] / sr
    level = rms_per_second(second, sr)
    print(f"button, clicked stop: {genre}, {sr} Hz, {seconds:.2f} s, rms/s {level.round(3)}")
    assert seconds >= 3.0, f"second take of {seconds:.1f} s"
    assert np.all(level > 0.01), f"levels per second {level.round(3)}"   # music, no pause
