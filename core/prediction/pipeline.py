"""Predict the genre of one clip with every available model (user runs and shipped models).

A clip (upload bytes, a file path, or a float32 array at 22050 Hz) is decoded once. Segment
models (SVM/KNN, LSTM/BiLSTM + head, 2D-CNN) see the study's pre-processed clip cut into 3-s
segments; the 1D-CNN sees the MFCC matrix of consecutive 15-s windows; descriptor models see
Kaggle's 57 descriptors of the raw decoded clip, per ~30-s window. Each feature kind is computed
once per call and shared; loaded models are cached in-process (keyed by run folder and file
mtimes). TensorFlow/Keras is imported only when a Keras model is actually used.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from core.models import persistence
from core.data.audio import AudioError, clean, decode, preprocess, resample
from core.constants import (
    CLIP_SECONDS, GENRE_INDEX, GENRES, MAX_UPLOAD_BYTES, SAMPLE_RATE, SEGMENT_SAMPLES,
    SEGMENT_SECONDS, SILENCE_PEAK,
)
from core import models as families
from core.models.networks import DEEP_LAYER
from core.models.persistence import ModelFileError

#: Name of the Keras layer whose output is the deep feature fed to the SVM/KNN heads.
DEEP_FEATURE_LAYER = DEEP_LAYER
KERAS_FILE = families.KERAS_FILE
SOFTMAX_HEAD = families.SOFTMAX_HEAD
#: Model kinds of the registered families (core.models): the study's, the descriptor models...
DESCRIPTOR_MODELS: frozenset[str] = frozenset(families.descriptor.KINDS)
KERAS_MODELS: frozenset[str] = frozenset(families.PREDICTS_KERAS)
SKLEARN_MODELS: frozenset[str] = frozenset(families.MODEL_KINDS) - KERAS_MODELS
MODEL_KINDS: frozenset[str] = KERAS_MODELS | SKLEARN_MODELS
#: Display names of the model kinds and features (for labels when a card carries no name).
MODEL_NAMES: dict[str, str] = dict(families.MODEL_LABELS)
FEATURE_NAMES: dict[str, str] = dict(families.FEATURE_LABELS)
#: Length of one descriptor window and of one 1D-CNN window, in samples at 22050 Hz.
DESCRIPTOR_WINDOW: int = int(CLIP_SECONDS * SAMPLE_RATE)
CNN1D_WINDOW: int = int(15.0 * SAMPLE_RATE)
#: Feature kinds this module computes itself (not by core.features.study.extract_clip), and those
#: the families compute (core.models: Family.clip_features); none is per 3-s segment.
WHOLE_CLIP_KINDS: frozenset[str] = frozenset({"descriptors", "mfcc_seq_windows"}) | frozenset(
    k for fam in families.FAMILIES for k in fam.clip_features)

ProgressFn = Callable[[float, str], None]


# --- entries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelEntry:
    """One usable trained model: its run folder, card, display label and the head used."""

    path: Path
    card: dict = field(compare=False, hash=False, repr=False)
    label: str
    head: str
    shipped: bool

    @property
    def model(self) -> str:
        """Model kind ("svm", "lstm", "cnn2d", "descriptor_svm", ...)."""
        return str(self.card["model"])

    @property
    def feature(self) -> str:
        """Feature name as written in the card ("zcr", "mfcc", "logmel", "descriptors", ...)."""
        return str(self.card.get("feature") or _default_feature(self.model))

    @property
    def run_id(self) -> str:
        """The run's id."""
        return str(self.card["run_id"])

    @property
    def heads(self) -> tuple[str, ...]:
        """Heads this run can predict with (keys of card["metrics"] whose files exist)."""
        return tuple(h for h in self.card.get("metrics", {}) if _head_files(self.model, h)
                     and all(f in self.card["files"] for f in _head_files(self.model, h)))

    @property
    def genres(self) -> tuple[str, ...]:
        """The genres this model can answer (its label set; Keras output k is genres[k])."""
        return tuple(self.card.get("genres") or GENRES)

    @property
    def cannot_answer(self) -> tuple[str, ...]:
        """GTZAN genres outside this model's label set (it gives them probability 0)."""
        return tuple(g for g in GENRES if g not in self.genres)

    @property
    def uses_keras(self) -> bool:
        """True when predicting with this entry needs TensorFlow/Keras."""
        return self.model in KERAS_MODELS

    @property
    def filter_noise(self) -> bool:
        """Whether the run was trained on high-passed clips (the study's default: yes)."""
        for part in (self.card.get("config") or {}, self.card.get("data") or {}):
            if "filter_noise" in part:
                return bool(part["filter_noise"])
        return True

    def with_head(self, head: str) -> "ModelEntry":
        """The same run predicting with another head ("softmax", "svm" or "knn")."""
        if head not in self.heads:
            raise ValueError(f"{self.label}: no head {head!r}; available: {list(self.heads)}")
        return replace(self, head=head, label=_label(self.card, head, self.shipped))


class ModelList(list):
    """A list of ModelEntry with `damaged`: (run folder, reason) of runs that were skipped."""

    def __init__(self, entries: Sequence[ModelEntry] = (),
                 damaged: Sequence[tuple[Path, str]] = ()):
        super().__init__(entries)
        self.damaged: list[tuple[Path, str]] = list(damaged)


def _default_feature(model: str) -> str:
    """The feature a model kind uses when its card does not say."""
    return families.MODEL_FEATURES.get(model, ("mfcc",))[0]


def _default_head(model: str) -> str:
    """The head a model kind predicts with when its card names no primary."""
    return families.family(model).default_head(model) if model in MODEL_KINDS else SOFTMAX_HEAD


def _head_files(model: str, head: str) -> tuple[str, ...]:
    """Files of a run needed to predict with one head (empty when the pair is not valid)."""
    return families.family(model).head_files(model, head) if model in MODEL_KINDS else ()


def model_title(model: str, feature: str, head: str) -> str:
    """Short name of a model with its head and feature, e.g. "LSTM+SVM on MFCC"."""
    return families.model_title(model, feature, head)


def _label(card: dict, head: str, shipped: bool) -> str:
    """Display label: "<name> — your run YYYY-MM-DD" or "<name> (shipped)"."""
    primary = card.get("primary") or _default_head(card["model"])
    name = card.get("name") if head == primary and card.get("name") else model_title(
        card["model"], card.get("feature") or _default_feature(card["model"]), head)
    if shipped:
        return f"{name} (shipped)"
    return f"{name} — your run {str(card.get('created', ''))[:10] or card['run_id']}"


def _entry(info: persistence.RunInfo) -> ModelEntry:
    """A ModelEntry from a run found on disk; ModelFileError when the run cannot be used."""
    card = persistence.load_card(info.path, verify=True)
    model = card.get("model")
    if model not in MODEL_KINDS:
        raise ModelFileError(f"{info.path.name}: unknown model kind {model!r}")
    head = card.get("primary") or _default_head(model)
    files = _head_files(model, head)
    if not files:
        raise ModelFileError(f"{info.path.name}: head {head!r} does not fit model {model!r}")
    missing = [f for f in files if f not in card["files"]]
    if missing:
        raise ModelFileError(f"{info.path.name}: card lists no {', '.join(missing)}")
    genres = card.get("genres") or list(GENRES)
    if (not isinstance(genres, list) or len(set(genres)) != len(genres)
            or any(g not in GENRE_INDEX for g in genres) or len(genres) < 2):
        raise ModelFileError(f"{info.path.name}: card's genres {genres!r} are not two or more "
                             "distinct GTZAN genres")
    return ModelEntry(info.path, card, _label(card, head, info.shipped), head, info.shipped)


def wilson_lower_bound(accuracy: float, n: int, z: float = 1.96) -> float:
    """Lower end of the 95 % Wilson interval of an accuracy measured on n tracks (fraction of 1)."""
    from core.evaluation import wilson_interval

    return wilson_interval(accuracy, n, z)[0] if n > 0 else 0.0


def trust(entry: ModelEntry) -> float:
    """How sure we are the model is good: Wilson lower bound of its test track accuracy."""
    test = entry.card.get("metrics", {}).get(entry.head, {}).get("test") or {}
    return wilson_lower_bound(float(test.get("track_accuracy", 0.0)), int(test.get("n_tracks", 0)))


def rank_key(entry: ModelEntry) -> tuple:
    """Order of preference: real-data user runs, real-data shipped models, then synthetic-data
    runs; within each, models that answer more genres first (a 4-genre model never leads a
    10-genre one, however well it scores on its 4), then the larger lower bound of test track
    accuracy."""
    synthetic = bool(entry.card.get("data", {}).get("synthetic"))
    return (synthetic, entry.shipped, -len(entry.genres), -trust(entry))


def available_models() -> ModelList:
    """Usable models, best first (see rank_key); damaged runs in .damaged.

    Cards and file checksums are verified; only run folders inside models/ or the runs folder
    are read. Each entry predicts with its card's primary head (see ModelEntry.with_head).
    """
    entries: list[ModelEntry] = []
    damaged: list[tuple[Path, str]] = []
    for info in persistence.iter_runs():
        if info.error is not None:
            damaged.append((info.path, info.error))
            continue
        key = (str(info.path), info.shipped, _run_mtime(info.path))
        try:
            entry = _ENTRY_CACHE.get(key) or _entry(info)
        except ModelFileError as exc:
            damaged.append((info.path, str(exc)))
            continue
        _ENTRY_CACHE[key] = entry
        entries.append(entry)
    entries.sort(key=rank_key)
    return ModelList(entries, damaged)


# --- results ---------------------------------------------------------------------------------


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


# --- model loading (cached) -------------------------------------------------------------------


_ENTRY_CACHE: dict[tuple[str, bool, float], ModelEntry] = {}
_MODEL_CACHE: dict[tuple[str, str, float], Any] = {}
_LOAD_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _run_mtime(run_dir: Path) -> float:
    """Latest mtime (s) of the run folder's files; changes when the run is rewritten."""
    try:
        return max([p.stat().st_mtime for p in Path(run_dir).iterdir() if p.is_file()] or [0.0])
    except OSError:
        return 0.0


def _cached(entry: ModelEntry, name: str, loader: Callable[[], Any]) -> Any:
    """The object loaded from one file of a run, from the in-process cache when still fresh.

    Thread-safe: a file being loaded by one thread (the warm-up) is waited for, not loaded twice.
    """
    key = (str(entry.path), name, _run_mtime(entry.path))
    with _LOCKS_GUARD:
        lock = _LOAD_LOCKS.setdefault(key[:2], threading.Lock())
    with lock:
        if key not in _MODEL_CACHE:
            card = persistence.load_card(entry.path, verify=False)
            file = persistence.check_allowed(entry.path / name)
            if card["files"].get(name) != persistence.sha256_file(file):
                raise ModelFileError(f"{entry.path.name}: {name} is damaged (checksum differs)")
            for old in [k for k in _MODEL_CACHE if k[:2] == key[:2]]:
                del _MODEL_CACHE[old]
            _MODEL_CACHE[key] = loader()
        return _MODEL_CACHE[key]


def is_loaded(entry: ModelEntry) -> bool:
    """True when every file this entry predicts with is in the in-process cache (fresh)."""
    stamp = _run_mtime(entry.path)
    return all((str(entry.path), name, stamp) in _MODEL_CACHE
               for name in _head_files(entry.model, entry.head))


class _KerasRunner:
    """A loaded Keras model with compiled forward passes (full output and deep feature)."""

    def __init__(self, model: Any):
        self.model = model
        self.input_shape = tuple(model.input_shape[1:])
        self._fns: dict[str, Callable[[np.ndarray], np.ndarray]] = {}

    def _compile(self, output: str) -> Callable[[np.ndarray], np.ndarray]:
        """A batch forward pass (training=False) to the model's output or the deep feature."""
        import keras

        net = self.model
        if output == DEEP_FEATURE_LAYER:
            try:
                layer = self.model.get_layer(DEEP_FEATURE_LAYER)
            except ValueError as exc:
                raise ModelFileError(f"the Keras model has no layer named {DEEP_FEATURE_LAYER!r} "
                                     "(the deep feature the SVM/KNN heads were trained on)") from exc
            net = keras.Model(inputs=self.model.input, outputs=layer.output)
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            spec = tf.TensorSpec((None,) + self.input_shape, tf.float32)
            graph = tf.function(lambda x: net(x, training=False), input_signature=[spec])
            return lambda x: graph(tf.constant(x)).numpy()
        return lambda x: keras.ops.convert_to_numpy(net(x, training=False))

    def __call__(self, x: np.ndarray, output: str = "output") -> np.ndarray:
        """Forward pass of a whole batch x (n, ...) reshaped to the model's input; float array."""
        x = np.asarray(x, dtype=np.float32)
        per_item = int(np.prod(x.shape[1:]))
        known = int(np.prod([d for d in self.input_shape if d is not None]))
        unknown = sum(d is None for d in self.input_shape)
        if unknown > 1 or (unknown == 0 and known != per_item) or per_item % known:
            raise ModelFileError(f"the Keras model expects inputs of shape {self.input_shape}, "
                                 f"the feature gives {tuple(x.shape[1:])}")
        x = x.reshape((x.shape[0],) + tuple(-1 if d is None else d for d in self.input_shape))
        if output not in self._fns:
            self._fns[output] = self._compile(output)
        return np.asarray(self._fns[output](x), dtype=np.float64)


def _load_keras(entry: ModelEntry) -> _KerasRunner:
    """The run's model.keras, loaded in safe mode (no arbitrary code), cached."""

    def load() -> _KerasRunner:
        from core.models.networks import load_model

        return _KerasRunner(load_model(entry.path / KERAS_FILE))

    return _cached(entry, KERAS_FILE, load)


def _load_head(entry: ModelEntry, head: str) -> Any:
    """The run's scikit-learn head (svm.skops / knn.skops), loaded with skops, cached."""
    name = f"{head}.skops"
    return _cached(entry, name, lambda: persistence.load_sklearn(entry.path, name))


# --- probabilities -----------------------------------------------------------------------------


def _sklearn_proba(estimator: Any, X: np.ndarray) -> np.ndarray:
    """predict_proba mapped onto the 10 GENRES columns: (n, 10), rows sum to 1."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    expected = getattr(estimator, "n_features_in_", X.shape[1])
    if expected != X.shape[1]:
        raise ModelFileError(f"the classifier expects {expected} features, the clip gives "
                             f"{X.shape[1]}")
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    out = np.zeros((len(X), len(GENRES)))
    for column, cls in enumerate(estimator.classes_):
        index = int(cls) if isinstance(cls, (int, np.integer)) else GENRE_INDEX.get(str(cls))
        if index is None or not 0 <= index < len(GENRES):
            raise ModelFileError(f"the classifier has a class {cls!r} that is not a GTZAN genre")
        out[:, index] += proba[:, column]
    return _normalised(out)


def _keras_proba(entry: ModelEntry, output: np.ndarray) -> np.ndarray:
    """A Keras softmax over the model's label set placed in the 10 GENRES columns: (n, 10)."""
    genres = entry.genres
    if output.ndim != 2 or output.shape[1] != len(genres):
        raise ModelFileError(f"the model outputs shape {output.shape}, expected (n, {len(genres)}) "
                             f"for its {len(genres)} genres")
    out = np.zeros((len(output), len(GENRES)))
    out[:, [GENRE_INDEX[g] for g in genres]] = output
    return out


def _normalised(proba: np.ndarray) -> np.ndarray:
    """Rows divided by their sums (removes float drift); ModelFileError for non-probabilities."""
    if proba.ndim != 2 or proba.shape[1] != len(GENRES):
        raise ModelFileError(f"the model outputs shape {proba.shape}, expected (n, {len(GENRES)})")
    sums = proba.sum(axis=1, keepdims=True)
    if np.any(proba < -1e-6) or not np.all(np.isfinite(proba)) or np.any(np.abs(sums - 1) > 1e-3):
        raise ModelFileError("the model's outputs are not class probabilities "
                             "(expected a softmax output of 10 values summing to 1)")
    return np.clip(proba, 0.0, None) / np.clip(proba, 0.0, None).sum(axis=1, keepdims=True)


# --- clip features -------------------------------------------------------------------------------


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
                 duration_s: float | None = None, n_segments: int | None = None):
        self.raw = raw
        self._clips: dict[bool, np.ndarray] = {}
        self._features: dict[FeatureKey, np.ndarray] = dict(computed or {})
        self._duration_s = duration_s
        self._n_segments = n_segments

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
        from core.features.study import extract_clip

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
            from core.features.descriptors import clip_descriptors

            if self.raw is None:
                raise RuntimeError("this clip's samples were not kept; only its features were")
            return np.stack([clip_descriptors(self.raw[a:b])
                             for a, b in descriptor_windows(self.raw.size)])
        from core.features.study import extract_clip

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


# --- which model first -----------------------------------------------------------------------

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


# --- the verdicts of several models -----------------------------------------------------------


def consensus(results: Sequence[ModelResult]) -> tuple[str, int] | None:
    """The genre most models chose and how many chose it (ties: the highest summed probability);
    None when there is no result."""
    if not results:
        return None
    votes = Counter(r.genre for r in results)
    mass = sum(r.clip_proba for r in results)
    best = max(votes, key=lambda g: (votes[g], float(mass[GENRE_INDEX[g]])))
    return best, votes[best]


# --- clip input ------------------------------------------------------------------------------


def decode_source(source: bytes | str | Path | np.ndarray, sr: int,
                   name: str = "upload") -> np.ndarray:
    """The clip as raw mono float32 at 22050 Hz; AudioError for unusable input (bytes are
    called name in its message)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > MAX_UPLOAD_BYTES:
            raise AudioError(f"the upload holds {len(data) / 2**20:.1f} MiB; at most "
                             f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB is accepted")
        if not data:
            raise AudioError("the upload is empty")
        return decode(data, name=name)
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise AudioError(f"{path}: no such audio file")
        return decode(path, name=path.name)
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
        return resample(y, int(sr), SAMPLE_RATE) if sr != SAMPLE_RATE else y
    raise TypeError(f"predict_clip takes bytes, a path or a numpy array, not {type(source).__name__}")


def check_usable(y: np.ndarray) -> None:
    """AudioError when the decoded clip is shorter than one segment or silent."""
    if y.size < SEGMENT_SAMPLES:
        raise AudioError(f"the clip lasts {y.size / SAMPLE_RATE:.2f} s; at least "
                         f"{SEGMENT_SECONDS:.0f} s is needed to cut one segment")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS): there is nothing to classify")


class ClipStream:
    """One decoded clip and its models; iterating scores them one at a time, fastest first.

    Each step yields the next ModelResult or ModelFailure as soon as that model is done, so a
    page can show each verdict as it arrives. The next model is the one with the smallest
    expected_ms given the features already computed. `pending` lists the models still to run,
    `prediction()` gives what is done so far (results in the order the models were given).
    AudioError at construction when the clip is unusable.
    """

    def __init__(self, source: bytes | str | Path | np.ndarray | None,
                 models: Sequence[ModelEntry] | None = None, sr: int = SAMPLE_RATE,
                 features: ClipFeatures | None = None):
        if features is None:
            raw = decode_source(source, sr)
            check_usable(raw)
            features = ClipFeatures(raw)
        self.features = features
        self.failed: list[tuple[str, str]] = []
        if models is None:
            listed = available_models()
            self.failed += [(path.name, reason) for path, reason in listed.damaged]
            models = list(listed)
        self.entries: list[ModelEntry] = list(models)
        order = fastest_first(self.entries)
        self._pending: list[int] = sorted(range(len(self.entries)),
                                          key=lambda i: order.index(self.entries[i]))
        self._done: list[tuple[int, ModelResult]] = []

    @property
    def pending(self) -> list[ModelEntry]:
        """Models not scored yet, in the order they are expected to run."""
        return [self.entries[i] for i in self._pending]

    def run(self, progress: ProgressFn | None = None) -> Iterator[ModelResult | ModelFailure]:
        """Score the pending models one by one, yielding each outcome when it is ready.

        progress(fraction in 0..1, message) is called before each model.
        """
        total = len(self.entries)
        while self._pending:
            index = min(self._pending, key=lambda i: expected_ms(self.entries[i], self.features))
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
                              logmel)


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


# --- the 2D-CNN "why" overlay ------------------------------------------------------------------


def occlusion_map(entry: ModelEntry, logmel_segment: np.ndarray, genre_index: int,
                  patch: tuple[int, int] = (16, 13)) -> np.ndarray:
    """Drop in the genre's probability when each (mel bins x frames) patch is set to the mean.

    logmel_segment: (128, 130) dB of one segment. Returns an array of the same shape in which
    every cell holds its patch's drop (probability, -1..1; positive = the patch supported the
    genre). All occluded copies go through the 2D-CNN in one batch.
    """
    if entry.model != "cnn2d" or entry.head != SOFTMAX_HEAD:
        raise ValueError(f"occlusion maps need a 2D-CNN softmax model; {entry.label} is not one")
    if not 0 <= int(genre_index) < len(GENRES):
        raise ValueError(f"genre_index must be in 0..{len(GENRES) - 1}; got {genre_index}")
    image = np.asarray(logmel_segment, dtype=np.float32)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim != 2:
        raise ValueError(f"logmel_segment must be (mel bins, frames); got shape {image.shape}")
    ph, pw = int(patch[0]), int(patch[1])
    if ph < 1 or pw < 1:
        raise ValueError(f"patch sizes must be positive; got {patch}")
    rows = range(0, image.shape[0], ph)
    cols = range(0, image.shape[1], pw)
    fill = float(image.mean())
    batch = np.repeat(image[None], 1 + len(rows) * len(cols), axis=0)
    boxes = [(r, c) for r in rows for c in cols]
    for k, (r, c) in enumerate(boxes, start=1):
        batch[k, r:r + ph, c:c + pw] = fill
    proba = _normalised(_keras_proba(entry, _load_keras(entry)(batch)))[:, int(genre_index)]
    out = np.zeros(image.shape, dtype=np.float64)
    for k, (r, c) in enumerate(boxes, start=1):
        out[r:r + ph, c:c + pw] = proba[0] - proba[k]
    return out
