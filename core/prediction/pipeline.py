"""One clip's features and one model's verdict on them; which model is expected to answer first.

Segment models (SVM/KNN, LSTM/BiLSTM + head, 2D-CNN) see the study's pre-processed clip cut into
3-s segments; the 1D-CNN sees the MFCC matrix of consecutive 15-s windows; descriptor models see
Kaggle's 57 descriptors of the raw decoded clip, per ~30-s window. Each feature kind is computed
once per clip and shared (ClipFeatures); models are scored through their family (core.models).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from core import models as families
from core.constants import (CLIP_SECONDS, GENRE_INDEX, GENRES, SAMPLE_RATE, SEGMENT_SAMPLES,
                            SEGMENT_SECONDS)
from core.data.audio import preprocess
from core.features.descriptors import clip_descriptors
from core.features.study import extract_clip
from core.models.persistence import ModelFileError
from core.prediction.catalogue import ModelEntry, is_loaded


#: Length of one descriptor window and of one 1D-CNN window, in samples at 22050 Hz.
DESCRIPTOR_WINDOW: int = int(CLIP_SECONDS * SAMPLE_RATE)


CNN1D_WINDOW: int = int(15.0 * SAMPLE_RATE)


#: Feature kinds this module computes itself (not by core.features.study.extract_clip), and those
#: the families compute (core.models: Family.clip_features); none is per 3-s segment.
WHOLE_CLIP_KINDS: frozenset[str] = frozenset({"descriptors", "mfcc_seq_windows"}) | frozenset(
    k for fam in families.FAMILIES for k in fam.clip_features)


@dataclass
class ModelResult:
    """One model's verdict on a clip: class probabilities (GENRES order) and the genre."""
    label: str
    run_id: str
    head: str
    model: str
    clip_proba: np.ndarray                    #: (10,), sums to 1
    segment_proba: np.ndarray | None          #: (n_seg, 10) for segment models, else None
    genre: str
    elapsed_ms: float                         #: model time (load if cold + scoring), ms
    segment_starts_s: np.ndarray | None = None  #: s, start of each scored segment
    windows: int = 1                          #: windows averaged by whole-clip models
    genres: tuple[str, ...] = GENRES          #: the model's label set (others get probability 0)
    tags: tuple[tuple[str, float], ...] = ()  #: the network's own tags of the clip (musicnn:
                                              #: top MSD tags, probability 0..1), best first

    @property
    def cannot_answer(self) -> tuple[str, ...]:
        """GTZAN genres this model was not trained on."""
        return tuple(g for g in GENRES if g not in self.genres)

    def proba_by_genre(self) -> dict[str, float]:
        """Clip probability of each genre of the model's label set, highest first."""
        pairs = [(g, float(self.clip_proba[GENRE_INDEX[g]])) for g in self.genres]
        return dict(sorted(pairs, key=lambda kv: -kv[1]))


@dataclass(frozen=True)
class ModelFailure:
    """A model that could not score a clip, and why."""
    label: str
    reason: str


@dataclass
class ClipPrediction:
    """Every model's verdict on one clip, with the clip's segmentation."""
    duration_s: float                         #: s, length of the decoded clip
    segment_starts_s: np.ndarray              #: s from the start of the sound (leading silence trimmed)
    results: list[ModelResult]
    failed: list[tuple[str, str]] = field(default_factory=list)  #: (model label, reason)
    logmel: np.ndarray | None = None          #: (n_seg, 128, 130) dB, when a 2D-CNN was used
    excerpt: str = ""                         #: the part of a longer file analysed ("" = all)


def _segment_kind(entry: ModelEntry) -> str:
    """The core.features.study kind (or this module's whole-clip kind) a model consumes."""
    return families.family(entry.model).clip_kind(entry)


def descriptor_windows(n_samples: int) -> list[tuple[int, int]]:
    """Sample ranges of the ~30-s descriptor windows: round(len / 30 s) near-equal parts (>= 1).
    A clip shorter than 45 s is one window (used as is); longer clips are split evenly, so
    every window lasts 20..45 s and no audio is dropped.
    """
    n = max(1, int(round(n_samples / DESCRIPTOR_WINDOW)))
    edges = np.linspace(0, n_samples, n + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def cnn1d_windows(n_samples: int) -> list[tuple[int, int]]:
    """Sample ranges of consecutive whole 15-s windows; a clip under 30 s gives one window.
    A window shorter than 15 s (clips of 3..15 s) is zero-padded by features.extract_clip.
    """
    n = max(1, n_samples // CNN1D_WINDOW)
    return [(k * CNN1D_WINDOW, min((k + 1) * CNN1D_WINDOW, n_samples)) for k in range(n)]


FeatureKey = tuple[str, bool]  #: (feature kind, filter_noise) of one computed feature


def feature_key(entry: ModelEntry) -> FeatureKey:
    """The feature a model consumes: its kind and whether the clip is high-passed first."""
    kind = _segment_kind(entry)
    return kind, (entry.filter_noise if kind != "descriptors" else True)


class ClipFeatures:
    """Features of one clip, each kind computed at most once and shared by the models.
    raw may be None when every feature needed was computed elsewhere (a batch worker) and
    handed over in `computed`, with the clip's length in s and its number of 3-s segments.
    """
    def __init__(self, raw: np.ndarray | None, computed: dict[FeatureKey, np.ndarray] | None = None,
                 duration_s: float | None = None, n_segments: int | None = None,
                 excerpt: str = ""):
        self.raw = raw
        self._clips: dict[bool, np.ndarray] = {}
        self._features: dict[FeatureKey, np.ndarray] = dict(computed or {})
        self._duration_s = duration_s
        self._n_segments = n_segments
        self.excerpt = excerpt   #: the part of a longer file these are of ("" = all of it)

    @property
    def duration_s(self) -> float:
        """Length of the decoded clip, s."""
        return self._duration_s if self._duration_s is not None else self.raw.size / SAMPLE_RATE

    @property
    def n_segments(self) -> int:
        """Whole 3-s segments in the pre-processed (high-passed, trimmed) clip."""
        if self._n_segments is None:
            self._n_segments = self.clip(True).size // SEGMENT_SAMPLES
        return self._n_segments

    def clip(self, filter_noise: bool = True) -> np.ndarray:
        """The study's pre-processed clip (high-pass if filter_noise, trim, peak-normalise)."""
        if filter_noise not in self._clips:
            if self.raw is None:
                raise RuntimeError("this clip's samples were not kept; only its features were")
            self._clips[filter_noise] = preprocess(self.raw, filter_noise=filter_noise)
        return self._clips[filter_noise]

    def has(self, key: FeatureKey) -> bool:
        """True when this feature is already computed."""
        return key in self._features

    def get(self, kind: str, filter_noise: bool = True) -> np.ndarray:
        """One kind: per-segment array, (windows, 646, 30) for mfcc_seq_windows, (windows, 57).
        ModelFileError when the kind cannot be computed (a family's missing weights); the error
        is kept in place of the feature, so it travels with computed() and is raised again.
        """
        key = (kind, filter_noise if kind != "descriptors" else True)
        if key not in self._features:
            try:
                self._features[key] = self._compute(kind, filter_noise)
            except ModelFileError as exc:
                self._features[key] = exc
        value = self._features[key]
        if isinstance(value, ModelFileError):
            raise value
        return value

    def prefetch(self, keys: Sequence[FeatureKey], networks: bool = True) -> None:
        """Compute several features at once: the per-segment kinds of one filter setting share
        one extract_clip call (one STFT of the clip's segments). With networks False, a family
        feature computed from another (a network's embedding of its input patches) stops at
        that numpy-only source, so that no network (nor TensorFlow) runs here."""
        if not networks:
            keys = [(families.clip_feature_source(kind) or kind, filter_noise)
                    for kind, filter_noise in keys]
        segment_kinds: dict[bool, list[str]] = {}
        for kind, filter_noise in keys:
            if (kind, filter_noise) in self._features:
                continue
            if kind in WHOLE_CLIP_KINDS:
                try:
                    self.get(kind, filter_noise)
                except ModelFileError:
                    pass   # kept: the models that need this kind fail with the reason
            else:
                segment_kinds.setdefault(filter_noise, []).append(kind)
        for filter_noise, kinds in segment_kinds.items():
            arrays = extract_clip(self.clip(filter_noise), kinds)
            self._features.update({(k, filter_noise): arrays[k] for k in kinds})

    def computed(self) -> dict[FeatureKey, np.ndarray]:
        """Every feature computed so far, by key."""
        return dict(self._features)

    def _compute(self, kind: str, filter_noise: bool) -> np.ndarray:
        """Compute one kind of feature for this clip."""
        computer = families.clip_feature(kind)
        if computer is not None:   # a family's own clip feature (e.g. network embeddings)
            source = families.clip_feature_source(kind)
            if source is None and self.raw is None:
                raise RuntimeError("this clip's samples were not kept; only its features were")
            arrays = computer(self.raw if source is None else self.get(source, filter_noise))
            self._features.update({(k, filter_noise): a for k, a in arrays.items() if k != kind})
            return arrays[kind]
        if kind == "descriptors":

            if self.raw is None:
                raise RuntimeError("this clip's samples were not kept; only its features were")
            return np.stack([clip_descriptors(self.raw[a:b])
                             for a, b in descriptor_windows(self.raw.size)])

        y = self.clip(filter_noise)
        if kind == "mfcc_seq_windows":
            return np.stack([extract_clip(y[a:b], ["mfcc_seq"])["mfcc_seq"]
                             for a, b in cnn1d_windows(y.size)])
        return extract_clip(y, [kind])[kind]


def _descriptor_columns(entry: ModelEntry) -> list[int]:
    """Indices, in descriptors.DESCRIPTOR_COLUMNS, of the columns a descriptor model was fitted on."""
    return families.descriptor.columns(entry)


def _score(entry: ModelEntry, feats: ClipFeatures) -> tuple[np.ndarray, bool]:
    """Probabilities (n, 10) of one model on its inputs, and whether they are per 3-s segment."""
    return families.family(entry.model).score(entry, feats)


def score_model(entry: ModelEntry, feats: ClipFeatures) -> ModelResult | ModelFailure:
    """One model's verdict on a clip, or why it could not give one (load or shape problem).
    The time it took (ms, loading included) is recorded for expected_ms when the model was
    already loaded, so that later clips order the models by what they really cost here.
    """
    loaded = is_loaded(entry)
    began = time.perf_counter()
    try:
        proba, per_segment = _score(entry, feats)
        tagger = families.family(entry.model).tags
        tags = tuple(tagger(entry, feats)) if tagger is not None else ()
    except ModelFileError as exc:
        return ModelFailure(entry.label, str(exc))
    elapsed = (time.perf_counter() - began) * 1e3
    if loaded:
        _MEASURED_MS[(str(entry.path), entry.head)] = elapsed
    clip_proba = proba.mean(axis=0)
    return ModelResult(
        label=entry.label, run_id=entry.run_id, head=entry.head, model=entry.model,
        clip_proba=clip_proba, segment_proba=proba if per_segment else None,
        genre=GENRES[int(np.argmax(clip_proba))], elapsed_ms=elapsed,
        segment_starts_s=np.arange(len(proba)) * SEGMENT_SECONDS if per_segment else None,
        windows=1 if per_segment else len(proba), genres=entry.genres, tags=tags)


#: Prior cost (ms, warm, one 30-s clip on one core) of computing each feature kind.
FEATURE_COST_MS: dict[str, float] = {"zcr": 40.0, "mfcc_stats": 60.0, "logmel": 120.0,
                                     "mfcc_seq_windows": 100.0, "descriptors": 300.0}


#: Prior cost (ms, warm) of one model's forward pass on a clip's features.
MODEL_COST_MS: dict[str, float] = {"sklearn": 10.0, "keras": 40.0}


#: Prior cost (ms) of loading a model's files: a scikit-learn head, a Keras model.
LOAD_COST_MS: dict[str, float] = {"sklearn": 150.0, "keras": 1500.0}


#: Prior cost (ms) of importing TensorFlow/Keras, paid by the first Keras model of a process.
KERAS_IMPORT_MS: float = 6000.0


_MEASURED_MS: dict[tuple[str, str], float] = {}


def keras_imported() -> bool:
    """True when Keras (and so TensorFlow) is already imported in this process."""
    return "keras" in sys.modules


def expected_ms(entry: ModelEntry, feats: ClipFeatures | None = None) -> float:
    """Expected time (ms) to score a clip with this model now, in this process.
    The model's scoring time measured here before (or a prior by feature kind and model
    family), less its feature when feats already holds it, plus what is still to load: the
    model's files and, for the first Keras model, the TensorFlow import.
    """
    family = "keras" if entry.uses_keras else "sklearn"
    key = feature_key(entry)
    have_feature = feats is not None and feats.has(key)
    measured = _MEASURED_MS.get((str(entry.path), entry.head))
    if measured is not None:
        cost = measured if not have_feature else min(measured, MODEL_COST_MS[family])
    else:
        cost = MODEL_COST_MS[family] + (0.0 if have_feature else FEATURE_COST_MS.get(key[0], 100.0))
    if not is_loaded(entry):
        cost += LOAD_COST_MS[family]
        if entry.uses_keras and not keras_imported():
            cost += KERAS_IMPORT_MS
    return cost


def fastest_first(entries: Sequence[ModelEntry]) -> list[ModelEntry]:
    """The entries ordered by expected_ms (ties keep the given order)."""
    return sorted(entries, key=expected_ms)
