"""Listen live: classify the newest 3-s window of a microphone stream every fraction of a second.

The engine of Try it's "Listen live" (no Streamlit here; the page feeds it WebRTC audio frames):

- `to_mono` / `frame_to_mono`: one audio frame (PyAV's AudioFrame or its ndarray) as mono float32.
- `StreamResampler`: 48 kHz (any rate) mono chunks to 22050 Hz, streaming (soxr keeps state).
- `RingBuffer`: the last `KEEP_S` seconds at 22050 Hz. A window is its newest `LISTEN_S` (2 s)
  repeated to fill one 3-s segment (the models' input): the answer follows a change of music
  about twice as fast as with the whole newest 3 s, at little cost in agreement.
- `LiveSession`: one listener: its ring buffer, the answers of the last `HISTORY_S` seconds.
- The scheduler: ONE shared worker thread scores the windows of every registered session, at
  most one window per session every `HOP_S` seconds, always the newest (stale windows are
  dropped), sessions served oldest-served first, and idles so that inference takes at most
  `MAX_DUTY` of one core (several listeners slow each other's update rate down, they cannot
  starve each other or the other pages). Inference holds `INFERENCE_LOCK`.
- The registry: `start(key)` registers a session, `stop(key)` removes it; `live_task_count()`
  says how many are registered. A session that receives no audio for `STALE_S` seconds is
  stopped by the worker; with no session registered the worker thread ends.
- Which models answer live (`plan`): those whose input is a 3-s segment (or a mean of 3-s
  patches), once loaded, while their measured time on a window stays within `MODEL_BUDGET_MS`
  and the sum within `WINDOW_BUDGET_MS`. Models that need a longer clip (descriptors: ~30 s,
  1D-CNN: 15 s) or are too slow are left to an on-demand analysis of the last 30 s. Models
  not loaded yet are loaded by one shared loader thread, then join.

Nothing here writes to disk.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core.constants import GENRES, SAMPLE_RATE, SEGMENT_SAMPLES, SEGMENT_SECONDS
from core.data.audio import AudioError, preprocess
from core.prediction.catalogue import available_models, is_loaded
from core.prediction.pipeline import ClipFeatures, ModelFailure, fastest_first, score_model
from core.prediction.streaming import consensus
from core.prediction.warmup import warm_clip

WINDOW_S: float = SEGMENT_SECONDS     #: s, one window is one 3-s segment, as the models learnt
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
MODEL_BUDGET_MS: float = 300.0        #: a model answers live while one window costs it <= this
WINDOW_BUDGET_MS: float = 600.0       #: and while the live models together stay <= this
#: Shortest clip each whole-clip model is meant to hear, s (others hear 3-s segments).
LONG_INPUT_S: dict[str, float] = {"descriptor_svm": 30.0, "descriptor_knn": 30.0, "cnn1d": 15.0}

INFERENCE_LOCK = threading.Lock()     #: held while a live window is scored (one at a time)


class LiveBusy(RuntimeError):
    """Too many live listeners on this server already (MAX_SESSIONS)."""


# --- audio frames -----------------------------------------------------------------------------

_INT_SCALE = {"s16": 32768.0, "s16p": 32768.0, "s32": 2147483648.0, "s32p": 2147483648.0,
              "u8": 128.0, "u8p": 128.0}


def to_mono(data: np.ndarray, channels: int, planar: bool, fmt: str = "flt") -> np.ndarray:
    """Mono float32 (full scale 1) of one frame's samples.

    data: PyAV's AudioFrame.to_ndarray(): (channels, n) when planar, (1, n * channels)
    interleaved when packed; fmt its sample format name ("s16", "fltp", ...).
    """
    x = np.asarray(data)
    channels = max(1, int(channels))
    if planar:
        x = x.reshape(channels, -1).astype(np.float32)
        y = x.mean(axis=0) if channels > 1 else x[0]
    else:
        x = x.reshape(-1, channels).astype(np.float32)
        y = x.mean(axis=1) if channels > 1 else x[:, 0]
    scale = _INT_SCALE.get(fmt)
    if fmt.startswith("u8"):
        y = y - 128.0
    if scale is not None:
        y = y / scale
    return np.ascontiguousarray(y, dtype=np.float32)


def frame_to_mono(frame: Any) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate) of a PyAV AudioFrame (duck-typed: no av import)."""
    fmt = frame.format
    channels = len(frame.layout.channels)
    return to_mono(frame.to_ndarray(), channels, bool(fmt.is_planar), fmt.name), int(frame.sample_rate)


class StreamResampler:
    """Mono chunks at any rate to SAMPLE_RATE, streaming: chunk boundaries leave no clicks.

    A change of input rate starts a new stream (the tail of the old one is flushed first).
    """

    def __init__(self, out_rate: int = SAMPLE_RATE):
        self.out_rate = int(out_rate)
        self.in_rate: int | None = None
        self._stream: Any = None

    def __call__(self, x: np.ndarray, in_rate: int) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if in_rate == self.out_rate:
            return x
        tail = np.zeros(0, np.float32)
        if in_rate != self.in_rate:
            import soxr

            if self._stream is not None:
                tail = self._stream.resample_chunk(np.zeros(0, np.float32), last=True)
            self._stream = soxr.ResampleStream(int(in_rate), self.out_rate, 1,
                                               dtype="float32", quality="HQ")
            self.in_rate = int(in_rate)
        out = self._stream.resample_chunk(x, last=False)
        return np.concatenate([tail, out]) if tail.size else out


class RingBuffer:
    """The last `capacity` samples of a stream (float32), and how many were ever written."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be positive; got {capacity}")
        self.capacity = int(capacity)
        self._data = np.zeros(self.capacity, np.float32)
        self.written = 0      #: samples written since the start (not capped)

    def __len__(self) -> int:
        """Samples held now (at most capacity)."""
        return min(self.written, self.capacity)

    def write(self, x: np.ndarray) -> None:
        """Append samples; the oldest ones go once the buffer is full."""
        x = np.asarray(x, dtype=np.float32).ravel()
        if x.size >= self.capacity:
            self._data[:] = x[-self.capacity:]
            self.written += x.size
            self._roll_to_written()
            return
        start = self.written % self.capacity
        end = start + x.size
        if end <= self.capacity:
            self._data[start:end] = x
        else:
            cut = self.capacity - start
            self._data[start:] = x[:cut]
            self._data[: end - self.capacity] = x[cut:]
        self.written += x.size

    def _roll_to_written(self) -> None:
        """After a whole-buffer write, place the data so that written % capacity is its end."""
        self._data = np.roll(self._data, self.written % self.capacity)

    def latest(self, n: int) -> np.ndarray | None:
        """A copy of the newest n samples in time order; None when fewer are held."""
        n = int(n)
        if n > len(self) or n < 0:
            return None
        end = self.written % self.capacity
        if n <= end:
            return self._data[end - n:end].copy()
        return np.concatenate([self._data[self.capacity - (n - end):], self._data[:end]])

    def clear(self) -> None:
        """Forget everything (the count of samples written too)."""
        self._data[:] = 0.0
        self.written = 0


# --- models -----------------------------------------------------------------------------------


def input_seconds(entry: Any) -> float:
    """The shortest clip a model is meant to hear, s: 3 for segment models, more for whole-clip
    models (Kaggle's descriptors: 30 s windows, the 1D-CNN: 15 s windows)."""
    return LONG_INPUT_S.get(entry.model, WINDOW_S)


RETRY_S: float = 30.0                 #: s after which a model found too slow is tried again
#: ms one live window cost each model here, warm ((run folder, head) -> moving average), and
#: when it was last measured (time.monotonic()); filled as windows are scored.
_LIVE_MS: dict[tuple[str, str], float] = {}
_LIVE_MS_AT: dict[tuple[str, str], float] = {}


def live_ms(entry: Any) -> float | None:
    """ms one window costs the model here (warm), None when unmeasured or when it was over
    budget more than RETRY_S ago (so a model slowed down by a busy moment gets another try)."""
    key = _model_key(entry)
    ms = _LIVE_MS.get(key)
    if ms is not None and ms > MODEL_BUDGET_MS and \
            time.monotonic() - _LIVE_MS_AT.get(key, 0.0) > RETRY_S:
        return None
    return ms


def _model_key(entry: Any) -> tuple[str, str]:
    return str(entry.path), str(entry.head)


@dataclass
class LivePlan:
    """Which models answer live, which warm up, and which are left to the last 30 s (and why)."""

    live: list = field(default_factory=list)
    warming: list = field(default_factory=list)
    slow: list = field(default_factory=list)       #: (entry, reason)


def plan(models: Sequence[Any]) -> LivePlan:
    """Split models into live (loaded, within budget: fastest measured first), warming (not loaded
    yet) and slow (longer input or over budget), keeping the given order within each; each model's
    load state (a stat of its files) and timing are read once, as this runs every window."""
    out = LivePlan()
    total = 0.0
    candidates = []
    for entry in models:
        if input_seconds(entry) > WINDOW_S:
            out.slow.append((entry, f"needs {input_seconds(entry):.0f}-s clips"))
        else:
            candidates.append(entry)
    loaded_of = {id(e): is_loaded(e) for e in candidates}
    ms_of = {id(e): live_ms(e) for e in candidates}
    order = sorted(candidates, key=lambda e: ms_of[id(e)] or 0.0)
    chosen = set()
    for entry in order:
        ms = ms_of[id(entry)]
        if not loaded_of[id(entry)]:
            continue
        if ms is not None and ms > MODEL_BUDGET_MS:
            continue
        if total + (ms or 0.0) > WINDOW_BUDGET_MS:
            continue
        total += ms or 0.0
        chosen.add(id(entry))
    if not chosen:       # a busy server: the fastest loaded model still answers, at its pace
        loaded = [e for e in order if loaded_of[id(e)]]
        if loaded:
            chosen.add(id(loaded[0]))
    for entry in candidates:
        ms = ms_of[id(entry)]
        if id(entry) in chosen:
            out.live.append(entry)
        elif not loaded_of[id(entry)]:
            out.warming.append(entry)
        elif ms is not None and ms > MODEL_BUDGET_MS:
            out.slow.append((entry, f"{ms:.0f} ms per window, over the {MODEL_BUDGET_MS:.0f} ms "
                                    "budget"))
        else:
            out.slow.append((entry, f"the live models already use the {WINDOW_BUDGET_MS:.0f} ms "
                                    "budget of a window"))
    return out


def tile_window(y: np.ndarray, n: int = SEGMENT_SAMPLES) -> np.ndarray:
    """The newest audio y repeated to n samples, ending with y (y itself when it is longer)."""
    y = np.asarray(y, dtype=np.float32)
    if y.size >= n:
        return y[-n:]
    return np.tile(y, -(-n // y.size))[-n:]


class LiveFeatures(ClipFeatures):
    """Features of one live window: prediction.ClipFeatures without trimming silence, so a 3-s
    window stays one whole 3-s segment (high-pass and peak normalisation as in the study)."""

    def __init__(self, raw: np.ndarray):
        super().__init__(np.asarray(raw, dtype=np.float32))

    def clip(self, filter_noise: bool = True) -> np.ndarray:
        """The window high-passed (if filter_noise) and peak-normalised, not trimmed."""
        if filter_noise not in self._clips:
            self._clips[filter_noise] = preprocess(self.raw, filter_noise=filter_noise, trim=False)
        return self._clips[filter_noise]


# --- answers and sessions ---------------------------------------------------------------------


@dataclass(frozen=True)
class LiveAnswer:
    """The verdicts on one window."""

    end_s: float                       #: s of stream heard when the window ends
    heard_at: float                    #: time.monotonic() when the window's last sample came in
    answered_at: float                 #: time.monotonic() when the verdicts were ready
    genre: str | None                  #: the headline (most models' genre); None: quiet/no model
    agree: int                         #: models agreeing with it
    proba: np.ndarray                  #: (10,) mean probability of the live models
    by_model: dict[str, str] = field(default_factory=dict)        #: label -> genre
    proba_by_model: dict[str, np.ndarray] = field(default_factory=dict)   #: label -> (10,)
    elapsed_ms: float = 0.0            #: scoring time
    note: str = ""                     #: why there is no genre ("quiet", "no model yet")

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


def score_window(y: np.ndarray, models: Sequence[Any]) -> tuple[list, list[tuple[str, str]], float]:
    """Score one 3-s window (22050 Hz mono) with each model: (ModelResults, failures, ms).

    The models' time per window (warm) is recorded, a moving average, for `plan`.
    """
    began = time.perf_counter()
    feats = LiveFeatures(y)
    results, failed = [], []
    for entry in models:
        loaded = is_loaded(entry)
        t = time.perf_counter()
        outcome = score_model(entry, feats)
        ms = (time.perf_counter() - t) * 1e3
        key = _model_key(entry)
        if loaded:     # the first window of a model pays its loading: not its cost per window
            old = live_ms(entry)
            _LIVE_MS[key] = ms if old is None else 0.7 * old + 0.3 * ms
            _LIVE_MS_AT[key] = time.monotonic()
        if isinstance(outcome, ModelFailure):
            failed.append((outcome.label, outcome.reason))
        else:
            results.append(outcome)
    return results, failed, (time.perf_counter() - began) * 1e3


def answer(results: Sequence[Any], end_s: float, heard_at: float, elapsed_ms: float,
           note: str = "") -> LiveAnswer:
    """The LiveAnswer of one window's ModelResults (headline: prediction.consensus)."""
    verdict = consensus(list(results))
    proba = (np.mean([r.clip_proba for r in results], axis=0) if results
             else np.zeros(len(GENRES)))
    return LiveAnswer(
        end_s=end_s, heard_at=heard_at, answered_at=time.monotonic(),
        genre=verdict[0] if verdict else None, agree=verdict[1] if verdict else 0, proba=proba,
        by_model={r.label: r.genre for r in results},
        proba_by_model={r.label: np.asarray(r.clip_proba) for r in results},
        elapsed_ms=elapsed_ms, note=note if not results else "")


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
    ans = answer(results, written / SAMPLE_RATE, heard_at, elapsed, note)
    with session.lock:
        session.answers.append(ans)
        session.windows += 1
    return ans


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
        queue = [e for e in fastest_first(entries) if _model_key(e) not in _LOADING]
        _LOADING.update(_model_key(e) for e in queue)
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
                _LOADING.discard(_model_key(entry))

    _LOADER = threading.Thread(target=run, name="genrelab-live-loader", daemon=True)
    _LOADER.start()


def loading() -> int:
    """Models being loaded for live listening now."""
    return len(_LOADING)
