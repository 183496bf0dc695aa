"""Listen live: classify the newest 2 s of a microphone stream every half second.

The engine of Try it's "Listen live" (no Streamlit here; the page feeds it WebRTC audio frames):

- `LiveSession`: one listener: its ring buffer (core.prediction.live_audio) of the last `KEEP_S`
  seconds at 22050 Hz, the answers of the last `HISTORY_S` seconds. A window is its newest
  `LISTEN_S` (2 s) repeated to fill one 3-s segment (the models' input): the answer follows a
  change of music about twice as fast as with the whole newest 3 s, at little cost in agreement.
- The scheduler: ONE shared worker thread scores the windows of every registered session, at
  most one window per session every `HOP_S` seconds, always the newest (stale windows are
  dropped), sessions served oldest-served first, and idles so that inference takes at most
  `MAX_DUTY` of one core (several listeners slow each other's update rate down, they cannot
  starve each other or the other pages). Inference holds `INFERENCE_LOCK`.
- The registry: `start(key)` registers a session, `stop(key)` removes it; `live_task_count()`
  says how many are registered. A session that receives no audio for `STALE_S` seconds is
  stopped by the worker; with no session registered the worker thread ends.
- Which models answer live is core.prediction.live_plan's `plan`; models not loaded yet are
  loaded by one shared loader thread, then join.

Nothing here writes to disk.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core.constants import GENRES, SAMPLE_RATE, SEGMENT_SECONDS
from core.data.audio import AudioError
from core.prediction.answer import agreeing, can_answer, headline, leader
from core.prediction.catalogue import available_models
from core.prediction.live_audio import RingBuffer, StreamResampler, frame_to_mono, tile_window
from core.prediction.live_plan import LiveFeatures, model_key, plan, score_window
from core.prediction.pipeline import fastest_first, score_model
from core.prediction.warmup import warm_clip

#: s of the newest audio a window holds, repeated to fill the 3-s segment: on GTZAN clips (14
#: clips, 140 windows, SVM and 2D-CNN) 2 s tiled agree with the whole 3 s in 86 % of windows, and
#: a classical -> rock switch shows after ~1 s of rock instead of ~2.25 s.
LISTEN_S: float = 2.0
HOP_S: float = 0.5                    #: s, a session's windows are at least this far apart
HISTORY_S: float = 60.0               #: s of answers kept for the timeline
KEEP_S: float = 30.0                  #: s of audio kept (the "keep this" clip)
STALE_S: float = 15.0                 #: s without audio after which a session is stopped
MAX_DUTY: float = 0.5                 #: largest share of one core the live worker computes
MAX_SESSIONS: int = 8                 #: live listeners at once on one server

INFERENCE_LOCK = threading.Lock()     #: held while a live window is scored (one at a time)

class LiveBusy(RuntimeError):
    """Too many live listeners on this server already (MAX_SESSIONS)."""


# --- answers and sessions ---------------------------------------------------------------------


@dataclass(frozen=True)
class LiveAnswer:
    """The verdicts on one window."""

    end_s: float                       #: s of stream heard when the window ends
    heard_at: float                    #: time.monotonic() when the window's last sample came in
    answered_at: float                 #: time.monotonic() when the verdicts were ready
    genre: str | None                  #: the answer (core.prediction.answer); None: quiet/no model
    agree: int                         #: models agreeing with it (the leader included)
    proba: np.ndarray                  #: (10,) mean probability of the live models
    by_model: dict[str, str] = field(default_factory=dict)        #: label -> genre
    proba_by_model: dict[str, np.ndarray] = field(default_factory=dict)   #: label -> (10,)
    elapsed_ms: float = 0.0            #: scoring time
    note: str = ""                     #: why there is no genre ("quiet", "no model yet")
    leader: str = ""                   #: label of the model whose verdict is the answer
    able: int = 0                      #: models that can answer the genre (agree is out of these)

    @property
    def delay_s(self) -> float:
        """Seconds between the window's last sample arriving and its answer."""
        return self.answered_at - self.heard_at


class LiveSession:
    """One live listener: audio in (frames, any rate), answers out (one per scored window)."""

    def __init__(self, key: str, models: Sequence[Any] = (), keep_s: float = KEEP_S,
                 history_s: float = HISTORY_S):
        self.key = key
        self.models = list(models)
        self.buffer = RingBuffer(int(keep_s * SAMPLE_RATE))
        self.resampler = StreamResampler()
        self.history_s = float(history_s)
        self.answers: collections.deque[LiveAnswer] = collections.deque(
            maxlen=int(history_s / HOP_S) + 8)
        self.lock = threading.Lock()
        self.started_at = time.monotonic()
        self.last_audio_at: float | None = None
        self.last_scored_at = 0.0          #: monotonic time of the last window scored
        self.scored_upto = 0               #: buffer.written at the last window scored
        self.windows = 0                   #: windows scored
        self.dropped = 0                   #: hops of audio never scored (work was behind)
        self.active = True
        self.error = ""

    # audio in
    def push(self, samples: np.ndarray, sr: int) -> None:
        """Add mono samples at sr Hz (resampled to 22050 Hz)."""
        if not self.active:
            return
        y = self.resampler(np.asarray(samples, dtype=np.float32), int(sr))
        with self.lock:
            self.buffer.write(y)
            self.last_audio_at = time.monotonic()

    def push_frame(self, frame: Any) -> None:
        """Add one PyAV AudioFrame (the WebRTC callback)."""
        y, sr = frame_to_mono(frame)
        self.push(y, sr)

    @property
    def heard_s(self) -> float:
        """Seconds of audio received so far."""
        return self.buffer.written / SAMPLE_RATE

    def window(self) -> tuple[int, float, np.ndarray] | None:
        """(samples written, arrival time, window) or None before LISTEN_S arrived: the window
        is the newest LISTEN_S s repeated to fill one 3-s segment (see tile_window)."""
        with self.lock:
            y = self.buffer.latest(int(LISTEN_S * SAMPLE_RATE))
            heard = self.buffer.written, self.last_audio_at or 0.0
        return None if y is None else (*heard, tile_window(y))

    def last(self, seconds: float = KEEP_S) -> np.ndarray:
        """A copy of the newest `seconds` of audio (all there is when less arrived)."""
        with self.lock:
            n = min(len(self.buffer), int(seconds * SAMPLE_RATE))
            return self.buffer.latest(n)

    # answers out
    def history(self) -> list[LiveAnswer]:
        """Answers of the last history_s seconds of stream, oldest first."""
        with self.lock:
            answers = list(self.answers)
        if not answers:
            return []
        end = answers[-1].end_s
        return [a for a in answers if a.end_s > end - self.history_s]

    @property
    def latest(self) -> LiveAnswer | None:
        """The newest answer, if any."""
        with self.lock:
            return self.answers[-1] if self.answers else None

    def due(self, now: float) -> bool:
        """True when a window should be scored now: >= HOP_S of new audio and of time."""
        hop = int(HOP_S * SAMPLE_RATE)
        return (self.active and self.buffer.written >= int(LISTEN_S * SAMPLE_RATE)
                and self.buffer.written - self.scored_upto >= hop
                and now - self.last_scored_at >= HOP_S)


def score_session(session: LiveSession) -> LiveAnswer | None:
    """Score the session's newest window with its live models; append and return the answer."""
    got = session.window()
    if got is None:
        return None
    written, heard_at, y = got
    hop = int(HOP_S * SAMPLE_RATE)
    missed = (written - session.scored_upto) // hop - 1
    if session.scored_upto and missed > 0:
        session.dropped += int(missed)
    session.scored_upto = written
    session.last_scored_at = time.monotonic()
    live = plan(session.models).live
    note = ""
    results: list = []
    elapsed = 0.0
    if not live:
        note = "no model is ready yet"
    else:
        try:
            with INFERENCE_LOCK:
                results, failed, elapsed = score_window(y, live)
            if failed and not results:
                note = "; ".join(f"{label}: {reason}" for label, reason in failed)
        except AudioError:
            note = "quiet"
    ans = answer(results, written / SAMPLE_RATE, heard_at, elapsed, note, session.models)
    with session.lock:
        session.answers.append(ans)
        session.windows += 1
    return ans


def answer(results: Sequence[Any], end_s: float, heard_at: float, elapsed_ms: float,
           note: str = "", entries: Sequence[Any] = ()) -> LiveAnswer:
    """The LiveAnswer of one window's ModelResults: the answer by the rule uploads get
    (core.prediction.answer, with the models' entries for their trust: a 4-genre or stopped run
    does not decide it), agreement among the models that can answer that genre."""
    first = leader(results, entries)
    verdict = headline(results, entries)
    genre = verdict[0] if verdict else None
    proba = (np.mean([r.clip_proba for r in results], axis=0) if results
             else np.zeros(len(GENRES)))
    return LiveAnswer(
        end_s=end_s, heard_at=heard_at, answered_at=time.monotonic(), genre=genre,
        agree=agreeing(results, genre) if genre else 0, proba=proba,
        by_model={r.label: r.genre for r in results},
        proba_by_model={r.label: np.asarray(r.clip_proba) for r in results},
        elapsed_ms=elapsed_ms, note=note if not results else "",
        leader=first.label if first is not None else "",
        able=can_answer(results, genre) if genre else 0)


# --- registry and the shared worker -----------------------------------------------------------

_REGISTRY: dict[str, LiveSession] = {}
_REG_LOCK = threading.Lock()
_WAKE = threading.Event()
_WORKER: threading.Thread | None = None
_LOADER: threading.Thread | None = None
_LOADING: set[tuple[str, str]] = set()


def live_task_count() -> int:
    """Live sessions registered now (each one is work for the shared worker)."""
    with _REG_LOCK:
        return len(_REGISTRY)


def worker_alive() -> bool:
    """True while the shared live worker thread runs."""
    return _WORKER is not None and _WORKER.is_alive()


def session(key: str) -> LiveSession | None:
    """The registered session of that key, if any."""
    with _REG_LOCK:
        return _REGISTRY.get(key)


def start(key: str, models: Sequence[Any] | None = None) -> LiveSession:
    """Register a live session (a new one replaces a stopped or existing one of that key) and
    make sure the worker runs; LiveBusy when MAX_SESSIONS others listen already.

    models: the models that may answer (default: every available model; see plan)."""
    global _WORKER
    if models is None:
        models = list(available_models())
    live = LiveSession(key, models)
    with _REG_LOCK:
        old = _REGISTRY.pop(key, None)
        if old is not None:
            old.active = False
        if len(_REGISTRY) >= MAX_SESSIONS:
            raise LiveBusy(f"{len(_REGISTRY)} people are listening live on this server already "
                           f"(at most {MAX_SESSIONS}); try again in a moment")
        _REGISTRY[key] = live
        if _WORKER is None or not _WORKER.is_alive():
            _WORKER = threading.Thread(target=_worker_loop, name="genrelab-live", daemon=True)
            _WORKER.start()
    _warm(plan(models).warming)
    _WAKE.set()
    return live


def stop(key: str) -> bool:
    """Unregister a session (its work stops: no window of it is scored after this returns,
    but one being scored may still finish); True when one was registered."""
    with _REG_LOCK:
        live = _REGISTRY.pop(key, None)
    if live is None:
        return False
    live.active = False
    _WAKE.set()
    return True


def stop_all() -> None:
    """Unregister every session (tests, server shut-down)."""
    with _REG_LOCK:
        keys = list(_REGISTRY)
    for key in keys:
        stop(key)


def _next_session(now: float) -> LiveSession | None:
    """The due session served longest ago; stale sessions are stopped on the way."""
    with _REG_LOCK:
        sessions = list(_REGISTRY.values())
    for s in sessions:
        quiet_since = s.last_audio_at if s.last_audio_at is not None else s.started_at
        if s.active and now - quiet_since > STALE_S:   # a replaced session is inactive
            s.error = f"no audio for {STALE_S:.0f} s"
            stop(s.key)
    due = [s for s in sessions if s.active and s.due(now)]
    return min(due, key=lambda s: s.last_scored_at) if due else None


def _worker_loop() -> None:
    """Score due windows one at a time until no session is registered."""
    global _WORKER
    while True:
        with _REG_LOCK:
            if not _REGISTRY:
                _WORKER = None
                return
        now = time.monotonic()
        s = _next_session(now)
        if s is None:
            _WAKE.wait(0.05)
            _WAKE.clear()
            continue
        began = time.monotonic()
        try:
            score_session(s)
        except Exception as exc:  # noqa: BLE001 - a broken window must not end every session
            s.error = f"{type(exc).__name__}: {exc}"
        spent = time.monotonic() - began
        time.sleep(spent * (1.0 - MAX_DUTY) / MAX_DUTY)


def _warm(entries: Sequence[Any]) -> None:
    """Load models in the shared loader thread (one at a time, the quickest to load first: the
    scikit-learn heads answer while TensorFlow loads) by scoring a short tone with each."""
    global _LOADER
    with _REG_LOCK:   # chosen and marked at once: two visitors never load the same model
        queue = [e for e in fastest_first(entries) if model_key(e) not in _LOADING]
        _LOADING.update(model_key(e) for e in queue)
    if not queue:
        return

    def run() -> None:
        features = LiveFeatures(warm_clip(SEGMENT_SECONDS))   # once, shared by every model
        for entry in queue:
            try:
                score_model(entry, features)
            except Exception:  # noqa: BLE001 - the model then fails in score_window, with why
                pass
            finally:
                _LOADING.discard(model_key(entry))

    _LOADER = threading.Thread(target=run, name="genrelab-live-loader", daemon=True)
    _LOADER.start()


def loading() -> int:
    """Models being loaded for live listening now."""
    return len(_LOADING)
