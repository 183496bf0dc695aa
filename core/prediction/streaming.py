"""Predict the genre of one clip with every available model, each verdict as soon as it is ready.

A clip (upload bytes, a file path, or a float32 array at 22050 Hz) is decoded once; ClipStream
scores the model that leads the headline answer first (core.prediction.answer.leaders), then the
others fastest first, and predict_clip collects them. Loaded models are cached in-process
(core.models.loading). TensorFlow/Keras is imported only when a Keras model is used.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import numpy as np

from core.constants import GENRE_INDEX, MAX_UPLOAD_BYTES, SAMPLE_RATE, SEGMENT_SAMPLES, SEGMENT_SECONDS, SILENCE_PEAK
from core.data.audio import AudioError, clean, decode_part, resample
from core.prediction.answer import leaders
from core.prediction.catalogue import ModelEntry, available_models, is_loaded
from core.prediction.pipeline import (ClipFeatures, ClipPrediction, ModelFailure, ModelResult,
                                      expected_ms, fastest_first, score_model)

if TYPE_CHECKING:
    from core.prediction.gate import FairGate


ProgressFn = Callable[[float, str], None]


def consensus(results: Sequence[ModelResult]) -> tuple[str, int] | None:
    """The genre most models chose and how many chose it (ties: the highest summed probability);
    None when there is no result."""
    if not results:
        return None
    votes = Counter(r.genre for r in results)
    mass = sum(r.clip_proba for r in results)
    best = max(votes, key=lambda g: (votes[g], float(mass[GENRE_INDEX[g]])))
    return best, votes[best]


def decode_excerpt(source: bytes | str | Path | np.ndarray, sr: int,
                   name: str = "upload") -> tuple[np.ndarray, str]:
    """The clip as raw mono float32 at 22050 Hz, and which part of a longer file was decoded (""
    when all of it; files are decoded on at most their first MAX_CLIP_SECONDS, see
    core.data.audio.decode_part); AudioError for unusable input (bytes are called name in its
    message)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > MAX_UPLOAD_BYTES:
            raise AudioError(f"the upload holds {len(data) / 2**20:.1f} MiB; at most "
                             f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB is accepted")
        if not data:
            raise AudioError("the upload is empty")
        y, part = decode_part(data, name=name)
        return y, str(part or "")
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise AudioError(f"{path}: no such audio file")
        y, part = decode_part(path, name=path.name)
        return y, str(part or "")
    if isinstance(source, np.ndarray):
        y = source
        if not np.issubdtype(y.dtype, np.number) or np.iscomplexobj(y):
            raise AudioError(f"audio samples must be real numbers; got dtype {y.dtype}")
        if y.ndim == 2:  # (frames, channels) or (channels, frames)
            y = y.mean(axis=1 if y.shape[1] <= 8 else 0)
        if y.ndim != 1:
            raise AudioError(f"audio must be a mono 1-D array (or 2-D with channels); "
                             f"got shape {source.shape}")
        if sr <= 0:
            raise AudioError(f"the sample rate must be positive; got {sr}")
        y = clean(np.ascontiguousarray(y, dtype=np.float32))
        return (resample(y, int(sr), SAMPLE_RATE) if sr != SAMPLE_RATE else y), ""
    raise TypeError(f"predict_clip takes bytes, a path or a numpy array, not {type(source).__name__}")


def check_usable(y: np.ndarray) -> None:
    """AudioError when the decoded clip is shorter than one segment or silent."""
    if y.size < SEGMENT_SAMPLES:
        raise AudioError(f"the clip lasts {y.size / SAMPLE_RATE:.2f} s; at least "
                         f"{SEGMENT_SECONDS:.0f} s is needed to cut one segment")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS): there is nothing to classify")


class ClipStream:
    """One decoded clip and its models; iterating scores them one at a time, headline first.
    Each step yields the next ModelResult or ModelFailure as soon as that model is done, so a
    page can show each verdict as it arrives. The models that lead the headline answer
    (answer.leaders) run first, preceded by the quickest model while a leader is not loaded yet
    (a first verdict while it loads); then the others, each time the one with the smallest
    expected_ms given the features already computed. `pending` lists the models still to run,
    `urgent` whether the next one leads the headline, `headline_ready` whether the headline is
    final, `prediction()` what is done so far (results in the order the models were given).
    AudioError at construction when the clip is unusable.
    """
    def __init__(self, source: bytes | str | Path | np.ndarray | None,
                 models: Sequence[ModelEntry] | None = None, sr: int = SAMPLE_RATE,
                 features: ClipFeatures | None = None):
        if features is None:
            raw, excerpt = decode_excerpt(source, sr)
            check_usable(raw)
            features = ClipFeatures(raw, excerpt=excerpt)
        self.features = features
        self.failed: list[tuple[str, str]] = []
        if models is None:
            listed = available_models()
            self.failed += [(path.name, reason) for path, reason in listed.damaged]
            models = list(listed)
        self.entries: list[ModelEntry] = list(models)
        order = fastest_first(self.entries)
        lead = leaders(self.entries)
        self._leading: set[int] = {i for i, e in enumerate(self.entries) if e in lead}
        self._first: set[int] = set(self._leading)
        if order and not all(is_loaded(e) for e in lead):
            self._first.add(self.entries.index(order[0]))
        self._pending: list[int] = sorted(range(len(self.entries)), key=lambda i: (
            i not in self._first, order.index(self.entries[i])))
        self._done: list[tuple[int, ModelResult]] = []

    @property
    def pending(self) -> list[ModelEntry]:
        """Models not scored yet, in the order they are expected to run."""
        return [self.entries[i] for i in self._pending]

    @property
    def urgent(self) -> bool:
        """True while a model needed first is pending: the next model run leads the headline
        (or is the quick first verdict before it)."""
        return any(i in self._first for i in self._pending)

    @property
    def headline_ready(self) -> bool:
        """True once every model that can lead the headline has answered or failed: from then
        on answer.headline of `results` no longer changes with the models still running (unless
        every leader failed, when the others decide as they come)."""
        return not any(i in self._leading for i in self._pending)

    def run(self, progress: ProgressFn | None = None) -> Iterator[ModelResult | ModelFailure]:
        """Score the pending models one by one, yielding each outcome when it is ready.
        progress(fraction in 0..1, message) is called before each model.
        """
        total = len(self.entries)
        while self._pending:
            first = [i for i in self._pending if i in self._first]
            index = min(first or self._pending,
                        key=lambda i: expected_ms(self.entries[i], self.features))
            self._pending.remove(index)
            entry = self.entries[index]
            if progress is not None:
                progress((total - len(self._pending) - 1) / max(total, 1),
                         f"scoring with {entry.label}")
            outcome = score_model(entry, self.features)
            if isinstance(outcome, ModelFailure):
                self.failed.append((outcome.label, outcome.reason))
            else:
                self._done.append((index, outcome))
            yield outcome

    def in_turn(self, gate: FairGate,
                progress: ProgressFn | None = None) -> Iterator[ModelResult | ModelFailure]:
        """run(), each model scored while holding one of gate's slots, in its FIRST line while
        `urgent` (every visitor's headline before any visitor's other models), else in its
        ANSWER line; the slot is given back between models."""
        steps = self.run(progress)
        while self._pending:
            with gate.slot(first=self.urgent):
                outcome = next(steps)
            yield outcome

    def __iter__(self) -> Iterator[ModelResult | ModelFailure]:
        """Same as run() without a progress callback."""
        return self.run()

    @property
    def results(self) -> list[ModelResult]:
        """Results so far, in the order the models were given (best first)."""
        return [r for _, r in sorted(self._done, key=lambda pair: pair[0])]

    def prediction(self) -> ClipPrediction:
        """The clip's prediction from the models scored so far."""
        starts = np.arange(self.features.n_segments) * SEGMENT_SECONDS
        logmel = self.features.computed().get(("logmel", True))
        return ClipPrediction(self.features.duration_s, starts, self.results, list(self.failed),
                              logmel, self.features.excerpt)


def predict_clip(source: bytes | str | Path | np.ndarray,
                 models: Sequence[ModelEntry] | None = None,
                 progress: ProgressFn | None = None, sr: int = SAMPLE_RATE) -> ClipPrediction:
    """Class probabilities of a clip from each model (None = every available model).
    source: upload bytes, an audio file path, or samples (sr Hz, resampled to 22050 Hz).
    Segment models give per-3-s-segment probabilities and their mean as the clip's; whole-clip
    models (descriptors, 1D-CNN) average their windows. AudioError when the clip is unusable
    (undecodable, shorter than 3 s of sound, silent); a model that cannot be loaded or does
    not fit its features (and, with models=None, a damaged run folder) is listed in `failed`
    with the reason. progress(fraction in 0..1, message) is called before each model. Models
    run fastest first (ClipStream); results keep the order of `models`.
    """
    report = progress or (lambda fraction, message: None)
    report(0.0, "decoding the clip")
    stream = ClipStream(source, models, sr)
    for _ in stream.run(report):
        pass
    report(1.0, "done")
    return stream.prediction()
