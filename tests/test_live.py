"""core.prediction.live: frames to mono, streaming resampling, the ring buffer, 3-s windows, which models
answer live, the shared worker and its registry (the count goes back to 0 after stop)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from core.prediction import live, live_audio, live_plan
from core.data.audio import resample
from core.constants import GENRES, SAMPLE_RATE, SEGMENT_SAMPLES
from core.prediction.catalogue import available_models

WEBRTC_RATE = 48000
FRAME = 960                   #: samples of one 20-ms WebRTC frame at 48 kHz


@pytest.fixture(autouse=True)
def no_sessions_left():
    """Every test starts and ends with an empty registry."""
    live.stop_all()
    yield
    live.stop_all()


def sklearn_models() -> list:
    """The shipped scikit-learn segment models (no TensorFlow: quick to load)."""
    models = [m for m in available_models() if m.model == "svm"]
    if not models:
        pytest.skip("no shipped SVM model in models/")
    return models


def tone(freq: float, seconds: float, sr: int, amp: float = 0.4) -> np.ndarray:
    """A sine tone with a slow tremolo (not a constant level), float32."""
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
            ).astype(np.float32)


def feed(session: live.LiveSession, y: np.ndarray, sr: int = WEBRTC_RATE,
         realtime: float = 1.0) -> None:
    """Push y in 20-ms frames, paced at `realtime` times real time (0: as fast as possible)."""
    step = int(0.02 * sr)
    began = time.monotonic()
    for i in range(0, y.size, step):
        session.push(y[i:i + step], sr)
        if realtime:
            wait = began + (i + step) / sr / realtime - time.monotonic()
            if wait > 0:
                time.sleep(wait)


def wait_for(predicate, timeout: float = 30.0) -> bool:
    """Poll predicate() until true or timeout s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# --- frames and resampling ----------------------------------------------------------------------


def test_to_mono_packed_s16_stereo_averages_and_scales() -> None:
    left = np.array([16384, -32768, 0], np.int16)
    right = np.array([16384, 0, 32767], np.int16)
    packed = np.stack([left, right], axis=1).reshape(1, -1)   # PyAV's packed layout
    y = live_audio.to_mono(packed, channels=2, planar=False, fmt="s16")
    np.testing.assert_allclose(y, [0.5, -0.5, 32767 / 65536], atol=1e-6)
    assert y.dtype == np.float32


def test_to_mono_planar_float() -> None:
    planar = np.array([[0.2, 0.4], [0.0, -0.4]], np.float32)
    np.testing.assert_allclose(live_audio.to_mono(planar, 2, True, "fltp"), [0.1, 0.0],
                               atol=1e-7)
    np.testing.assert_allclose(live_audio.to_mono(planar[:1], 1, True, "fltp"), [0.2, 0.4])


def test_frame_to_mono_reads_a_pyav_like_frame() -> None:
    class Fmt:
        name, is_planar = "s16", False

    class Layout:
        channels = ("FL", "FR")

    class Frame:
        format, layout, sample_rate = Fmt(), Layout(), WEBRTC_RATE

        def to_ndarray(self):
            return np.full((1, 2 * FRAME), 8192, np.int16)

    y, sr = live_audio.frame_to_mono(Frame())
    assert sr == WEBRTC_RATE and y.shape == (FRAME,) and np.allclose(y, 0.25)


def test_stream_resampler_matches_one_shot_resampling() -> None:
    x = tone(440.0, 2.0, WEBRTC_RATE)
    stream = live_audio.StreamResampler()
    out = np.concatenate([stream(x[i:i + FRAME], WEBRTC_RATE) for i in range(0, x.size, FRAME)])
    whole = resample(x, WEBRTC_RATE, SAMPLE_RATE)
    # a streaming resampler holds back a few ms at the end; the rest matches the one-shot result
    assert whole.size - 1000 <= out.size <= whole.size   # HQ: ~30 ms
    middle = slice(2000, out.size - 2000)
    assert np.max(np.abs(out[middle] - whole[: out.size][middle])) < 1e-3
    spectrum = np.abs(np.fft.rfft(out[-SAMPLE_RATE:]))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1          # 1-s window: 1 Hz per bin


def test_stream_resampler_passes_22050_through_and_restarts_on_a_new_rate() -> None:
    stream = live_audio.StreamResampler()
    x = tone(300.0, 0.1, SAMPLE_RATE)
    assert stream(x, SAMPLE_RATE) is not None and np.array_equal(stream(x, SAMPLE_RATE), x)
    a = stream(tone(300.0, 0.5, WEBRTC_RATE), WEBRTC_RATE)
    b = stream(tone(300.0, 0.5, 44100), 44100)
    assert stream.in_rate == 44100
    total = a.size + b.size
    assert abs(total - SAMPLE_RATE) < 1500       # ~1 s in, ~1 s out, nothing lost at the switch


# --- ring buffer and windows ----------------------------------------------------------------------


def test_ring_buffer_keeps_the_newest_samples_in_order() -> None:
    ring = live_audio.RingBuffer(10)
    assert ring.latest(1) is None and len(ring) == 0
    ring.write(np.arange(4))
    assert np.array_equal(ring.latest(4), np.arange(4)) and ring.latest(5) is None
    ring.write(np.arange(4, 13))                 # wraps around
    assert len(ring) == 10 and ring.written == 13
    assert np.array_equal(ring.latest(10), np.arange(3, 13))
    assert np.array_equal(ring.latest(3), np.arange(10, 13))
    ring.write(np.arange(100, 125))              # more than the capacity at once
    assert np.array_equal(ring.latest(10), np.arange(115, 125)) and ring.written == 38
    ring.write(np.arange(7))
    assert np.array_equal(ring.latest(10), np.concatenate([np.arange(122, 125), np.arange(7)]))
    ring.clear()
    assert len(ring) == 0


def test_session_window_is_the_newest_3_s_at_22050_hz() -> None:
    session = live.LiveSession("w")
    assert session.window() is None
    feed(session, tone(220.0, 2.0, WEBRTC_RATE), realtime=0)
    feed(session, tone(660.0, 1.0, WEBRTC_RATE), realtime=0)
    assert session.window() is not None
    feed(session, tone(660.0, 1.5, WEBRTC_RATE), realtime=0)
    written, _, y = session.window()
    assert y.shape == (SEGMENT_SAMPLES,) and abs(session.heard_s - 4.5) < 0.05
    for part in (y[-SAMPLE_RATE:], y[:SAMPLE_RATE]):     # the newest 2 s (660 Hz), repeated
        assert abs(int(np.argmax(np.abs(np.fft.rfft(part)))) - 660) <= 1
    assert session.last(30.0).size == len(session.buffer) == written
    assert np.array_equal(session.last(1.0), session.buffer.latest(SAMPLE_RATE))


def test_tile_window_repeats_the_newest_audio_to_3_s() -> None:
    y = np.arange(5, dtype=np.float32)
    assert np.array_equal(live_audio.tile_window(y, 12), [3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    assert np.array_equal(live_audio.tile_window(np.arange(20.0), 12), np.arange(8, 20))
    short = live.LiveSession("short")
    feed(short, tone(220.0, 1.0, WEBRTC_RATE), realtime=0)
    assert short.window() is None                          # under LISTEN_S so far


def test_live_features_keep_a_window_with_a_quiet_start_as_one_segment() -> None:
    y = tone(330.0, 3.0, SAMPLE_RATE)
    y[: SAMPLE_RATE] = 0.0                                   # a quiet first second
    feats = live_plan.LiveFeatures(y)
    assert feats.n_segments == 1
    assert feats.get("mfcc_stats").shape[0] == 1


# --- which models answer live -----------------------------------------------------------------


def test_plan_leaves_long_input_models_to_the_last_30_s() -> None:
    models = list(available_models())
    if not models:
        pytest.skip("no shipped models")
    out = live_plan.plan(models)
    slow = {e.model: why for e, why in out.slow}
    for kind in ("descriptor_svm", "descriptor_knn", "cnn1d"):
        if any(m.model == kind for m in models):
            assert kind in slow and "-s clips" in slow[kind]
    live_kinds = {e.model for e in out.live + out.warming}
    assert not live_kinds & {"descriptor_svm", "descriptor_knn", "cnn1d"}
    assert len(out.live) + len(out.warming) + len(out.slow) == len(models)


def test_plan_drops_a_model_over_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    models = sklearn_models()
    for _ in range(2):
        live_plan.score_window(tone(440.0, 3.0, SAMPLE_RATE), models)   # loads, then measures
    assert [m.label for m in live_plan.plan(models).live] == [m.label for m in models]
    monkeypatch.setitem(live_plan._LIVE_MS, live_plan.model_key(models[0]),
                        10 * live_plan.MODEL_BUDGET_MS)
    out = live_plan.plan(models)
    assert models[0] not in out.live
    assert any(e is models[0] and "budget" in why for e, why in out.slow)
    monkeypatch.setattr(live_plan, "RETRY_S", 0.0)          # too slow a while ago: tried again
    assert models[0] in live_plan.plan(models).live


# --- the answer of a window ------------------------------------------------------------------


def test_a_window_is_answered_by_the_upload_rule_not_a_majority() -> None:
    """Two 4-genre runs and a stopped one outvote the trusted 10-genre model in a plain majority;
    with core.prediction.answer's rule they do not decide, and agreement counts only the models
    that can answer the genre."""
    from tests.test_answer import FOUR, entry, result

    stopped = entry("stopped", 0.99, 400)
    stopped.card["stop_note"] = "stopped by you at epoch 2 of 40"
    entries = [entry("ten", 0.60), entry("four", 0.95, genres=FOUR),
               entry("four2", 0.95, genres=FOUR), stopped]
    results = [result("ten", "hiphop"), result("four", "rock", FOUR),
               result("four2", "rock", FOUR), result("stopped", "rock")]
    ans = live.answer(results, 3.0, time.monotonic(), 12.0, entries=entries)
    assert ans.genre == "hiphop" and ans.leader == "ten"
    assert (ans.agree, ans.able) == (1, 2)          # the 4-genre runs cannot answer hiphop
    assert ans.by_model["four"] == "rock"


# --- the worker and the registry --------------------------------------------------------------


def test_synthetic_tone_gets_live_answers_and_stop_brings_the_count_to_0() -> None:
    models = sklearn_models()
    session = live.start("tone", models)
    assert live.live_task_count() == 1 and live.worker_alive()
    feed(session, tone(440.0, 5.0, WEBRTC_RATE), realtime=2.0)
    assert wait_for(lambda: any(a.genre for a in session.history()), 30)
    answered = [a for a in session.history() if a.genre]
    assert all(a.genre in GENRES for a in answered)
    assert all(set(a.by_model) <= {m.label for m in models} for a in answered)
    assert all(0 <= a.delay_s < 5 and a.proba.shape == (len(GENRES),) for a in answered)
    assert answered[-1].end_s <= session.heard_s
    assert live.stop("tone") is True and live.stop("tone") is False
    assert live.live_task_count() == 0
    assert wait_for(lambda: not live.worker_alive(), 5)
    before = session.windows
    feed(session, tone(440.0, 1.0, WEBRTC_RATE), realtime=0)   # a stopped session takes nothing
    time.sleep(live.HOP_S * 2)
    assert session.windows == before


def test_silence_is_answered_as_quiet() -> None:
    models = sklearn_models()
    session = live.start("quiet", models)
    live_plan.score_window(tone(440.0, 3.0, SAMPLE_RATE), models)   # loaded before the silence
    feed(session, np.zeros(int(4 * WEBRTC_RATE), np.float32), realtime=0)
    assert wait_for(lambda: session.latest is not None, 10)
    assert session.latest.genre is None and session.latest.note == "quiet"


def test_several_sessions_each_get_answers_and_a_stale_one_is_stopped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    models = sklearn_models()
    live_plan.score_window(tone(440.0, 3.0, SAMPLE_RATE), models)
    sessions = [live.start(f"s{i}", models) for i in range(3)]
    assert live.live_task_count() == 3
    y = tone(440.0, 4.0, WEBRTC_RATE)
    for s in sessions:
        feed(s, y, realtime=0)
    assert wait_for(lambda: all(s.windows >= 1 for s in sessions), 20)
    # bounded work: newest window only, one per hop, so no backlog builds up
    assert all(s.windows <= 4.0 / live.HOP_S for s in sessions)
    monkeypatch.setattr(live, "STALE_S", 0.3)
    assert wait_for(lambda: live.live_task_count() == 0, 10)
    assert all(not s.active and "no audio" in s.error for s in sessions)


def test_too_many_listeners_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "MAX_SESSIONS", 2)
    live.start("a", [])
    live.start("b", [])
    with pytest.raises(live.LiveBusy):
        live.start("c", [])
    assert live.live_task_count() == 2
    live.start("a", [])                      # the same key restarts, it does not add one
    assert live.live_task_count() == 2


def test_live_listening_writes_nothing(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENRELAB_MODE", "viewer")
    models = sklearn_models()
    before = sorted(p for p in isolated_dirs.rglob("*"))
    session = live.start("viewer", models)
    feed(session, tone(440.0, 4.0, WEBRTC_RATE), realtime=0)
    assert wait_for(lambda: session.windows >= 1, 20)
    assert session.last(30.0).size > 3 * SAMPLE_RATE
    live.stop("viewer")
    assert sorted(p for p in isolated_dirs.rglob("*")) == before


def test_listen_live_can_start_after_the_models_are_loaded() -> None:
    """pylibsrtp (aiortc's SRTP) crashes the process when it is loaded after TensorFlow; the
    server loads it first (pages.server), so choosing Listen live after the warm-up is safe."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    code = "import pages.server, keras, streamlit_webrtc; print('alive')"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "alive" in done.stdout, (done.returncode, done.stderr[-1500:])
