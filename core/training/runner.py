"""Training runner of the study's models with per-epoch events, a stop flag and background jobs.

`run_training(config)` loads the active data source, extracts (cached) features, splits by
track, trains one model kind, evaluates it on the test side and saves a run folder with its card
(see docs/INTERFACES.md). `start_job(config)` runs the same in a detached process
(`python -m core.training.runner --job-dir DIR`) that writes events.jsonl / status.json in
`runs_dir()/.jobs/<job_id>/` and stops cleanly when a STOP file appears there.

Importing this module never imports TensorFlow; Keras is imported only when a Keras model is
trained.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from core import config as gconfig, evaluation, models
from core.features import augment
from core.models import persistence
from core.constants import DEFAULT_SEED, GENRES, PROJECT_ROOT

# --- model kinds (derived from the registry of model families, core.models) ------------------

SKLEARN_MODELS: tuple[str, ...] = models.segment_sklearn.KINDS
LSTM_MODELS: tuple[str, ...] = models.lstm.KINDS
KERAS_MODELS: tuple[str, ...] = models.TRAINS_KERAS
#: model kinds this runner trains from audio clips (the descriptor models train from a table)
MODELS: tuple[str, ...] = models.AUDIO_KINDS
#: study feature names each model accepts (first = default)
MODEL_FEATURES: dict[str, tuple[str, ...]] = {k: models.MODEL_FEATURES[k] for k in MODELS}
#: core.features.study kind behind each study feature name
FEATURE_KIND: dict[str, str] = {n: k for n, k in models.FEATURE_KIND.items()
                                if any(n in MODEL_FEATURES[m] for m in MODELS)}
MODEL_LABELS: dict[str, str] = {k: models.MODEL_LABELS[k] for k in MODELS}
FEATURE_LABELS: dict[str, str] = {n: models.FEATURE_LABELS[n] for n in FEATURE_KIND}
PROTOCOLS: tuple[str, ...] = ("random-track", "artist-filtered")
CARVED_VALID_FRACTION: float = 0.15  #: fraction of training tracks held out for early stopping
                                     #: when the split has no validation side
EVENT_TYPES: tuple[str, ...] = ("start", "epoch", "stage", "done", "error", "stopped")

Callback = Callable[[dict], None]


class TrainingError(ValueError):
    """A training run that cannot be made (bad config, too little data); the message says why."""


class TrainingStopped(RuntimeError):
    """A stop was requested before any model was trained: nothing was saved."""


def paper_key(model: str, feature: str, head: str) -> str | None:
    """Key of core.constants.PAPER_RESULTS for one model/feature/head, or None if unpublished."""
    return models.paper_key(model, feature, head)


# --- configuration ----------------------------------------------------------------------------


def _no_augmentation() -> dict[str, bool]:
    """All augmentations off."""
    return {k: False for k in augment.AUGMENT_KINDS}


@dataclass
class TrainConfig:
    """Everything a training run depends on (JSON-ready; saved in the card and job folder)."""

    model: str = "lstm"
    feature: str | None = None          #: None = the model's default feature
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3
    augment: dict = field(default_factory=_no_augmentation)
    protocol: str = "random-track"
    splits_path: str | None = None      #: folder of *_filtered.txt (artist-filtered protocol)
    seed: int = DEFAULT_SEED
    data_path: str | None = None        #: None = the active source (setting or demo set)
    test_size: float = 0.3              #: fraction of all tracks (random-track protocol)
    valid_size: float = 0.1             #: fraction of all tracks (random-track protocol)
    name: str | None = None
    patience: int = 8                   #: epochs without validation-loss gain before stopping
    start_from_epoch: int = 5           #: epochs before early stopping may count (BatchNorm warm-up)
    search: bool = True                 #: grid-search the SVM/KNN hyper-parameters (grouped CV)
    filter_noise: bool = True           #: high-pass the clips before feature extraction
    n_jobs: int = -1                    #: processes for feature extraction
    note: str | None = None             #: a sentence about the data, shown on the model's card
    genres: list[str] | None = None     #: genres to train on (None: every genre with clips)
    class_weight: bool = True           #: weight classes by inverse frequency when unbalanced
    split_seed: int | None = None       #: seed of the random-track split (None: seed)
    scheduler: str | None = None        #: Dask scheduler tcp://HOST:PORT; None = GENRELAB_SCHEDULER
    head: str | None = None             #: head to fit, for families with a choice (musicnn: svm
                                        #: or knn; None: the family's default)

    def __post_init__(self) -> None:
        """Fill the default feature, normalise paths to str, and check every field."""
        if self.model not in MODELS:
            raise TrainingError(f"unknown model {self.model!r}; choose one of {list(MODELS)}")
        allowed = MODEL_FEATURES[self.model]
        if self.feature is None:
            self.feature = allowed[0]
        if self.feature == "mfcc_stats":
            self.feature = "mfcc"
        if self.feature not in allowed:
            raise TrainingError(f"model {self.model!r} takes feature {' or '.join(allowed)}, "
                                f"not {self.feature!r}")
        family = models.family(self.model)
        choices = family.head_choices.get(self.model, ())
        if self.head is not None and not choices:
            raise TrainingError(f"model {self.model!r} has no choice of head; leave head unset")
        if self.head is not None and self.head not in choices:
            raise TrainingError(f"model {self.model!r} takes head {' or '.join(choices)}, not "
                                f"{self.head!r}")
        if not family.filters_noise:
            self.filter_noise = False   # the family hears the clip as it is (the card says so)
        self.augment = {**_no_augmentation(), **dict(self.augment or {})}
        augment.AugmentOptions.from_dict(self.augment)   # unknown keys raise ValueError
        if self.model != "cnn2d":
            # the study augments the 2D-CNN's spectrograms only: for every other model the
            # flags are switched off here, so the card records what was actually done
            self.augment = _no_augmentation()
        if self.protocol not in PROTOCOLS:
            raise TrainingError(f"unknown protocol {self.protocol!r}; choose one of {list(PROTOCOLS)}")
        for name in ("epochs", "batch_size", "patience"):
            if int(getattr(self, name)) < 1:
                raise TrainingError(f"{name} must be at least 1, got {getattr(self, name)}")
        if int(self.start_from_epoch) < 0:
            raise TrainingError(f"start_from_epoch must be 0 or more, got {self.start_from_epoch}")
        if not 0 < float(self.learning_rate) < 1:
            raise TrainingError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if not 0 < float(self.test_size) < 1 or not 0 <= float(self.valid_size) < 1 \
                or self.test_size + self.valid_size >= 1:
            raise TrainingError(f"test_size {self.test_size} and valid_size {self.valid_size} "
                                "must be fractions that leave tracks for training")
        self.data_path = str(self.data_path) if self.data_path else None
        self.splits_path = str(self.splits_path) if self.splits_path else None
        self.genres = parse_genres(self.genres)

    @property
    def feature_kind(self) -> str:
        """The core.features.study kind this run reads."""
        return FEATURE_KIND[str(self.feature)]

    def label(self) -> str:
        """Short display name such as "LSTM on MFCC"."""
        return f"{MODEL_LABELS[self.model]} on {FEATURE_LABELS[str(self.feature)]}"

    def to_dict(self) -> dict:
        """JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Rebuild from to_dict output; TrainingError naming unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TrainingError(f"unknown training setting(s) {unknown}")
        return cls(**data)


def parse_genres(genres: str | Sequence[str] | None) -> list[str] | None:
    """Genres in GENRES order from a list or "blues,jazz" (None or empty: all); TrainingError if bad."""
    if genres is None:
        return None
    items = genres.split(",") if isinstance(genres, str) else list(genres)
    names = [str(g).strip().lower() for g in items if str(g).strip()]
    if not names:
        return None
    unknown = [g for g in names if g not in GENRES]
    if unknown:
        raise TrainingError(f"unknown genre(s) {unknown}; choose from {', '.join(GENRES)}")
    chosen = [g for g in GENRES if g in names]
    if len(chosen) < 2:
        raise TrainingError(f"choose at least two genres to tell apart, got {chosen}")
    return chosen


# --- events -------------------------------------------------------------------------------------


class StopFlag:
    """A stop request: a threading.Event-like object and/or a STOP file whose existence means stop."""

    def __init__(self, event: Any = None, path: Path | None = None):
        self.event = event
        self.path = Path(path) if path else None

    def is_set(self) -> bool:
        """True when the event is set or the STOP file exists."""
        if self.event is not None and self.event.is_set():
            return True
        return self.path is not None and self.path.exists()


class Emitter:
    """Sends events (dicts with a "type" of EVENT_TYPES) to every subscriber callback."""

    def __init__(self, callbacks: Iterable[Callback] = ()):
        self.callbacks = list(callbacks or ())
        self.t0 = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.t0

    def __call__(self, kind: str, **data: Any) -> dict:
        """Build one event, send it to each subscriber and return it."""
        if kind not in EVENT_TYPES:
            raise ValueError(f"unknown event type {kind!r}")
        event = {"type": kind, "time": time.time(), "elapsed_s": round(self.elapsed(), 3), **data}
        for callback in self.callbacks:
            callback(event)
        return event


class JsonlEventLog:
    """Subscriber that appends each event as one JSON line to a file (flushed at once)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.final: dict | None = None

    def __call__(self, event: dict) -> None:
        """Append one event."""
        line = json.dumps(event, default=persistence._json_default)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
        if event["type"] in ("done", "error", "stopped"):
            self.final = event


class TqdmProgress:
    """Subscriber showing a tqdm bar over epochs and printing stage messages (for the CLI)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, event: dict) -> None:
        """Update the bar or print the message of one event."""
        from tqdm.auto import tqdm

        kind = event["type"]
        if kind == "epoch":
            if self.bar is None:
                self.bar = tqdm(total=event["epochs"], desc="epochs", unit="epoch")
            self.bar.update(event["epoch"] - self.bar.n)
            self.bar.set_postfix({k: f"{event[k]:.3f}" for k in
                                  ("loss", "accuracy", "val_loss", "val_accuracy")
                                  if event.get(k) is not None})
        elif event.get("message"):
            (self.bar.write if self.bar is not None else tqdm.write)(
                f"[{kind}] {event['message']}")
        if kind in ("done", "error", "stopped") and self.bar is not None:
            self.bar.close()
            self.bar = None


#: name used by core.cli
ProgressBar = TqdmProgress


# --- data -----------------------------------------------------------------------------------------


@dataclass
class SideData:
    """Model inputs of one side: arrays, labels, and the track id of each example."""

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray

    def __len__(self) -> int:
        return int(len(self.y))


def _side(fs: Any, track_ids: Sequence[str], kind: str) -> SideData:
    """The examples of some tracks: segments, or one example per track for track-level kinds."""
    from core.features.study import TRACK_KINDS

    if kind in TRACK_KINDS:
        position = {str(t): i for i, t in enumerate(fs.track_ids)}
        rows = np.array([position[str(t)] for t in track_ids], dtype=np.int64)
        return SideData(fs[kind][rows], fs.track_labels[rows].astype(int),
                        fs.track_ids[rows].astype(str))
    part = fs.subset(list(track_ids))
    return SideData(part[kind], part.segment_label.astype(int), part.segment_track.astype(str))


def make_split(config: TrainConfig, track_ids: Sequence[str]) -> Any:
    """The config's split of the given (extracted) tracks, of the config's genres only."""
    from core.data import splits

    if config.genres:
        track_ids = [t for t in track_ids if splits.genre_of(str(t)) in config.genres]
    if config.protocol == "artist-filtered":
        folder = config.splits_path or gconfig.splits_path()
        if not folder:
            raise TrainingError("the artist-filtered protocol needs the folder of "
                                "train/valid/test_filtered.txt: set splits_path (or GENRELAB_SPLITS)")
        split = splits.artist_filtered_split(track_ids, folder)
    else:
        split = splits.random_track_split(
            track_ids, config.test_size, config.valid_size,
            config.seed if config.split_seed is None else int(config.split_seed))
    if not split.train or not split.test:
        raise TrainingError(f"the split leaves {len(split.train)} training and {len(split.test)} "
                            f"test tracks ({split.label()}); both need at least one")
    return split


def carve_validation(train_ids: Sequence[str], seed: int,
                     fraction: float = CARVED_VALID_FRACTION) -> tuple[list[str], list[str]]:
    """Split training track ids into (train, validation) by track, stratified when possible."""
    from sklearn.model_selection import train_test_split

    from core.data.splits import genre_of

    ids = sorted(train_ids)
    if len(ids) < 4:
        return ids, []
    genres = [genre_of(t) for t in ids]
    counts = {g: genres.count(g) for g in set(genres)}
    n_valid = max(1, int(round(fraction * len(ids))))
    stratify = genres if min(counts.values()) >= 2 and n_valid >= len(counts) else None
    rest, valid = train_test_split(ids, test_size=n_valid, random_state=seed, stratify=stratify)
    return sorted(rest), sorted(valid)


@dataclass
class GenrePlan:
    """A run's label set and what was done about each genre with too few tracks on some side."""

    genres: tuple[str, ...]   #: the label set, GENRES order; Keras output k is genres[k]
    notes: list[str]          #: one sentence per genre that was left out or is not fully scored
    split: Any                #: the split restricted to the label set (core.data.splits.Split)


def plan_genres(split: Any, model: str, asked: Sequence[str] = ()) -> GenrePlan:
    """The genres a run can learn (>= 1 training track) and a note for every genre short of tracks.

    asked: genres the user chose; those without any clip are noted too. TrainingError when
    fewer than two genres can be learned.
    """
    from core.data.splits import SIDES

    sizes = split.sizes()
    present = split.genres()
    notes = [f"{g}: chosen, but no clip of it is on the split; left out" for g in asked
             if g not in present]
    keep: list[str] = []
    for g in present:
        n = {side: sizes[side][g] for side in SIDES}
        if n["train"] == 0:
            notes.append(f"{g}: no training track, so no model can learn it; left out of the "
                         f"label set with its {n['valid']} validation and {n['test']} test "
                         "track(s)")
            continue
        keep.append(g)
        if n["test"] == 0:
            notes.append(f"{g}: no test track; learned from {n['train']} training track(s) but "
                         "not scored (the test metrics cover the other genres)")
        if split.valid and n["valid"] == 0:
            notes.append(f"{g}: no validation track; "
                         + ("early stopping and the choice of head do not see it"
                            if model in KERAS_MODELS else "the validation score leaves it out"))
    thin = [g for g in keep if sizes["train"][g] == 1]
    if thin and models.family(model).sklearn_heads:
        notes.append(f"{', '.join(thin)}: a single training track; the SVM/KNN search by grouped "
                     "cross-validation needs two per genre, so default hyper-parameters are used")
    if len(keep) < 2:
        raise TrainingError(f"only {len(keep)} genre(s) ({', '.join(keep) or 'none'}) have "
                            f"training tracks on this split ({split.label()}); a classifier needs "
                            "two or more")
    restricted = split.restrict(keep) if len(keep) < len(present) else split
    return GenrePlan(tuple(keep), notes, restricted)


def expand_proba(proba: np.ndarray, genres: Sequence[str]) -> np.ndarray:
    """Probabilities over a label set (n, len(genres)) placed in the GENRES columns (n, 10)."""
    from core.constants import GENRE_INDEX

    out = np.zeros((len(proba), len(GENRES)))
    out[:, [GENRE_INDEX[g] for g in genres]] = proba
    return out


def class_weights(y: np.ndarray, n_classes: int = len(GENRES)) -> dict[int, float] | None:
    """Balanced class weights n / (k * count) when the classes present are unbalanced, else None."""
    counts = np.bincount(np.asarray(y, dtype=int), minlength=n_classes)
    present = counts[counts > 0]
    if present.size == 0 or present.min() == present.max():
        return None
    total, k = counts.sum(), present.size
    return {c: (float(total / (k * counts[c])) if counts[c] else 1.0) for c in range(n_classes)}


def full_proba(estimator: Any, x: np.ndarray, n_classes: int = len(GENRES)) -> np.ndarray:
    """predict_proba of a scikit-learn classifier spread onto all n_classes columns."""
    out = np.zeros((len(x), n_classes))
    if len(x):
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        out[:, np.asarray(estimator.classes_, dtype=int)] = estimator.predict_proba(x)
    return out


# --- Keras training -----------------------------------------------------------------------------


def _make_batches(x: np.ndarray, y: np.ndarray, batch_size: int, options: augment.AugmentOptions,
                  seed: int, weights: dict[int, float] | None) -> Any:
    """A keras PyDataset of shuffled training batches, each augmented by augment.augment_batch."""
    import keras

    class AugmentedBatches(keras.utils.PyDataset):
        """Training batches, reshuffled each epoch, augmented on the fly (training side only)."""

        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(y))
            self.sample_weight = (np.array([weights[int(c)] for c in y], np.float32)
                                  if weights else np.ones(len(y), np.float32))

        def __len__(self) -> int:
            return int(np.ceil(len(y) / batch_size))

        def __getitem__(self, index: int) -> tuple:
            rows = self.order[index * batch_size:(index + 1) * batch_size]
            batch = augment.augment_batch(x[rows], options, self.rng)
            return batch, y[rows], self.sample_weight[rows]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(y))

    return AugmentedBatches()


def epoch_seconds(durations: Sequence[float]) -> float:
    """Typical seconds per epoch from measured ones: the median of the last five, leaving out
    the first epoch (graph tracing makes it slow) once later ones exist; 0 when none."""
    measured = list(durations[1:] if len(durations) > 1 else durations)[-5:]
    return float(np.median(measured)) if measured else 0.0


def _make_monitor(emit: Emitter, stop: StopFlag, epochs: int, patience: int,
                  monitor: str, start_from_epoch: int = 0) -> Any:
    """Keras callback: epoch events, early stopping with best weights, stop between batches."""
    import keras

    class Monitor(keras.callbacks.Callback):
        """Sends epoch events, keeps the best weights, stops on patience or on request."""

        def __init__(self) -> None:
            super().__init__()
            self.history: list[dict] = []
            self.best: float = float("inf")
            self.best_epoch: int | None = None
            self.best_weights: list | None = None
            self.wait = 0
            self.stopped_by_user = False
            self.stopped_by_patience = False
            self.epoch_t0 = time.monotonic()
            self.durations: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch_t0 = time.monotonic()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if stop.is_set():
                self.stopped_by_user = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = dict(logs or {})
            self.durations.append(time.monotonic() - self.epoch_t0)
            entry = {"epoch": epoch + 1, "elapsed_s": round(emit.elapsed(), 3),
                     "epoch_s": round(self.durations[-1], 3)}
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                entry[key] = float(logs[key]) if key in logs else None
            self.history.append(entry)
            value = logs.get(monitor)
            if value is not None and np.isfinite(value) and value < self.best:
                self.best, self.best_epoch, self.wait = float(value), epoch + 1, 0
                self.best_weights = [w.copy() for w in self.model.get_weights()]
            elif epoch + 1 > start_from_epoch:
                self.wait += 1
                if self.wait >= patience and not self.stopped_by_user:
                    self.stopped_by_patience = True
                    self.model.stop_training = True
            remaining = 0 if self.model.stop_training else epochs - (epoch + 1)
            eta = round(epoch_seconds(self.durations) * remaining, 1)
            emit("epoch", epochs=epochs, eta_s=eta,
                 **{k: v for k, v in entry.items() if k != "elapsed_s"})
            if stop.is_set():   # checked after the event, so a subscriber may ask to stop here
                self.stopped_by_user = True
                self.model.stop_training = True

        def on_train_end(self, logs: dict | None = None) -> None:
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return Monitor()


@dataclass
class KerasOutcome:
    """A trained Keras model with its training record."""

    model: Any
    history: list[dict]
    best_epoch: int | None
    stopped_by_user: bool
    stopped_by_patience: bool
    class_weight: dict[int, float] | None


def train_keras(config: TrainConfig, train: SideData, valid: SideData, emit: Emitter,
                stop: StopFlag, genres: Sequence[str] = GENRES) -> KerasOutcome:
    """Build and fit the config's Keras model with one output per genre of `genres` (labels
    mapped to 0..k-1 in that order); early stopping on valid (or loss), best weights kept."""
    from core.models import networks
    from core.constants import GENRE_INDEX

    networks.set_seed(config.seed)
    kind = config.feature_kind
    local = np.full(len(GENRES), -1, dtype=np.int64)
    local[[GENRE_INDEX[g] for g in genres]] = np.arange(len(genres))
    y_train, y_valid = local[train.y], local[valid.y]
    if (y_train < 0).any() or (y_valid < 0).any():
        raise TrainingError("a training or validation example has a genre outside the label set")
    x_train = networks.as_model_input(config.model, kind, train.x)
    x_valid = networks.as_model_input(config.model, kind, valid.x) if len(valid) else None
    mean, variance = networks.normaliser_stats(config.model, x_train)
    model = networks.build_model(config.model, kind, mean, variance, config.learning_rate,
                             n_classes=len(genres))
    weights = class_weights(y_train, len(genres)) if config.class_weight else None
    monitor = _make_monitor(emit, stop, int(config.epochs), int(config.patience),
                            "val_loss" if x_valid is not None else "loss",
                            int(config.start_from_epoch))
    validation = (x_valid, y_valid) if x_valid is not None else None
    options = augment.AugmentOptions.from_dict(config.augment)
    if options.any:
        data = _make_batches(x_train, y_train, int(config.batch_size), options, config.seed,
                             weights)
        model.fit(data, validation_data=validation, epochs=int(config.epochs), shuffle=False,
                  callbacks=[monitor], verbose=0)
    else:
        model.fit(x_train, y_train, batch_size=int(config.batch_size), epochs=int(config.epochs),
                  validation_data=validation, shuffle=True, class_weight=weights,
                  callbacks=[monitor], verbose=0)
    return KerasOutcome(model, monitor.history, monitor.best_epoch, monitor.stopped_by_user,
                        monitor.stopped_by_patience, weights)


# --- the runner -----------------------------------------------------------------------------------


def _metrics(y: np.ndarray, proba: np.ndarray, groups: np.ndarray) -> dict | None:
    """evaluation.evaluate on one side, or None when the side is empty."""
    return evaluation.evaluate(y, proba, groups) if len(y) else None


def _head_metrics(test: dict, valid: dict | None) -> dict:
    """The card's metrics entry of one head."""
    return {"test": test, **({"valid": valid} if valid is not None else {})}


def _run_name(config: TrainConfig, primary: str, genres: Sequence[str] = GENRES) -> str:
    """Display name such as "LSTM+SVM on MFCC" (the head used for prediction included), with
    " (4 genres)" when the label set is not all ten."""
    if config.name:
        return config.name
    model = MODEL_LABELS[config.model]
    if primary in models.SKLEARN_HEADS and primary != config.model:
        model = f"{model}+{primary.upper()}"
    subset = f" ({len(genres)} genres)" if len(genres) < len(GENRES) else ""
    return f"{model} on {FEATURE_LABELS[str(config.feature)]}{subset}"


def run_training(config: TrainConfig, callbacks: Iterable[Callback] = (),
                 stop_event: Any = None, *, output_root: Path | None = None,
                 progress: bool = False) -> Path:
    """Train one model on the active data source, evaluate on the test side, save a run folder.

    callbacks get every event (dicts, see EVENT_TYPES); stop_event (anything with is_set(), e.g.
    threading.Event or StopFlag) stops training between batches, keeping the best weights so far
    and still saving the run (card["stopped_early"] True). A stop before any training raises
    TrainingStopped; any failure emits an "error" event and is re-raised.
    """
    from core import cluster

    emit = Emitter(callbacks)
    stop = stop_event if isinstance(stop_event, StopFlag) else StopFlag(stop_event)
    try:
        # feature extraction and the SVM/KNN searches are joblib work: on the cluster if one is set
        with cluster.joblib_backend(cluster.resolve(config.scheduler)):
            return _run(config, emit, stop, output_root, progress)
    except TrainingStopped as exc:
        emit("stopped", message=str(exc), run_dir=None)
        raise
    except BaseException as exc:
        emit("error", message=f"{type(exc).__name__}: {exc}")
        raise


def _check_stop(stop: StopFlag, where: str) -> None:
    """Raise TrainingStopped if a stop was requested (before anything was trained)."""
    if stop.is_set():
        raise TrainingStopped(f"stopped by request {where}; nothing was trained or saved")


def _run(config: TrainConfig, emit: Emitter, stop: StopFlag, output_root: Path | None,
         progress: bool) -> Path:
    """The body of run_training."""
    from core.data import datasource
    from core.features import study
    from core.data.splits import genre_of

    emit("start", epochs=int(config.epochs) if config.model in KERAS_MODELS else 0,
         model=config.model, feature=config.feature, message=f"training {config.label()}")
    _check_stop(stop, "before loading the data")
    source = datasource.active_source(config.data_path)
    kind = config.feature_kind
    tracks = [t for t in source.tracks if not config.genres or t.genre in config.genres]
    emit("stage", message=f"extracting {kind} features of {len(tracks)} tracks "
                          f"({source.format_text}) from {source.label}")
    family = models.family(config.model)
    if family.extract is not None:   # a family with its own features (e.g. network embeddings)
        fs = family.extract(tracks, config, progress)
    else:
        fs = study.extract_tracks(tracks, [kind], n_jobs=config.n_jobs, progress=progress,
                                     filter_noise=config.filter_noise, cache=True)
    if fs.track_ids.size == 0:
        reasons = "; ".join(f"{t}: {r}" for t, r in fs.skipped[:5])
        raise TrainingError(f"no usable track in {source.root} ({reasons})")
    _check_stop(stop, "after feature extraction")
    for track_id, reason in fs.skipped:
        emit("stage", message=f"skipped {track_id}: {reason}")
    plan = plan_genres(make_split(config, [str(t) for t in fs.track_ids]), config.model,
                       config.genres or ())
    split = plan.split
    if split.notes.get("missing"):
        emit("stage", message=f"the split lists name {split.notes['missing']} tracks that are "
                              "not here; left out of the split")
    if split.notes.get("excluded"):
        emit("stage", message=f"{split.notes['excluded']} tracks here are on no split list; "
                              "not used by the artist-filtered protocol")
    for note in plan.notes:
        emit("stage", message=note)
    emit("stage", message=f"split: {split.label()}; label set: {', '.join(plan.genres)}")
    train = _side(fs, split.train, kind)
    test = _side(fs, split.test, kind)
    valid_ids, valid_source = list(split.valid), "valid side of the split"
    train_ids = list(split.train)
    if config.model in KERAS_MODELS and not valid_ids:
        train_ids, valid_ids = carve_validation(split.train, config.seed)
        valid_source = f"{len(valid_ids)} tracks carved from the training side"
        train = _side(fs, train_ids, kind)
    valid = _side(fs, valid_ids, kind)
    if len(np.unique(train.y)) < 2:
        raise TrainingError("the training side holds a single genre; a classifier needs two or more")
    balance = ("balanced" if config.class_weight and class_weights(train.y) is not None
               else None)   # SVM class weights; the Keras models get theirs in train_keras

    context = models.FitContext(config, kind, train, valid, test, plan.genres, balance,
                                valid_source, emit, stop)
    outcome = family.fit(context)
    metrics, primary, files = outcome.metrics, outcome.primary, outcome.files
    name = _run_name(config, primary, plan.genres)
    emit("stage", message="saving the run")
    root = Path(output_root) if output_root else gconfig.runs_dir()
    writer = persistence.RunWriter(root, persistence.new_run_id(name))
    try:
        for file_name, obj in files.items():
            if file_name == "model.keras":
                obj.save(writer.path(file_name))
            else:
                writer.save_sklearn(obj, file_name)
        card = {
            "name": name, "model": config.model, "feature": config.feature,
            "feature_kind": kind, "primary": primary, "config": config.to_dict(),
            "genres": list(plan.genres), "genre_notes": plan.notes,
            "input_shape": outcome.input_shape,
            "data": {"source": source.label, "synthetic": bool(source.synthetic),
                     "root": str(source.root), "n_tracks": int(fs.track_ids.size),
                     "skipped": [list(s) for s in fs.skipped],
                     "format": source.format_text,
                     "clips_per_genre": {g: int(n) for g, n in zip(*np.unique(
                         [genre_of(str(t)) for t in fs.track_ids], return_counts=True))},
                     "filter_noise": bool(config.filter_noise), "note": config.note},
            "protocol": {**split.to_dict(), "label": split.label()},
            "validation": {"source": valid_source, "tracks": list(valid_ids)},
            "n_examples": {"train": len(train), "valid": len(valid), "test": len(test)},
            "metrics": metrics, "heads": outcome.heads,
            "paper": {h: paper_key(config.model, str(config.feature), h) for h in metrics},
            "history": outcome.history, "best_epoch": outcome.best_epoch,
            "epochs_run": len(outcome.history), "stopped_early": outcome.stopped_early,
            "stop_reason": outcome.stop_reason, "class_weight": outcome.class_weight,
            "svm_class_weight": balance if family.sklearn_heads else None,
            **outcome.card,
            "elapsed_s": round(emit.elapsed(), 3),
        }
        run_dir = writer.commit(card)
    except BaseException:
        writer.abort()
        raise
    test_m = metrics[primary]["test"]
    summary = (f"{name}: test segment accuracy {test_m['segment_accuracy']:.3f}, track accuracy "
               f"{test_m['track_accuracy']:.3f} ({split.label()}; {source.label})")
    if outcome.stop_reason == "stop requested":
        emit("stopped", run_dir=str(run_dir), message=f"stopped by request after "
             f"{len(outcome.history)} epoch(s); best weights (epoch {outcome.best_epoch}) "
             f"saved. {summary}")
    else:
        emit("done", run_dir=str(run_dir), message=summary)
    return run_dir


# --- background jobs ------------------------------------------------------------------------------

JOBS_DIRNAME = ".jobs"
STOP_FILE = "STOP"
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_CHILDREN: dict[int, subprocess.Popen] = {}   #: processes this process started (reaped on poll)
ACTIVE_STATES: tuple[str, ...] = ("starting", "running")


def jobs_dir() -> Path:
    """Folder holding one sub-folder per background job."""
    return gconfig.runs_dir() / JOBS_DIRNAME


def job_dir(job_id: str) -> Path:
    """The folder of an existing job; ValueError for a malformed id, KeyError for an unknown one."""
    if not _JOB_ID.match(str(job_id)):
        raise ValueError(f"{job_id!r} is not a job id")
    folder = jobs_dir() / job_id
    if not (folder / "config.json").is_file():
        raise KeyError(f"no training job {job_id!r} in {jobs_dir()}")
    return folder


@dataclass(frozen=True)
class JobInfo:
    """A background job as seen from its folder: state, config, progress and result."""

    job_id: str
    state: str                      #: starting | running | done | stopped | failed
    config: dict
    created: str
    pid: int | None
    run_dir: str | None
    message: str | None
    last_epoch: dict | None         #: the newest "epoch" event
    path: Path

    @property
    def active(self) -> bool:
        """True while the job is starting or running."""
        return self.state in ACTIVE_STATES


def _read_json(path: Path) -> dict:
    """A JSON file's dict, or {} when missing or half-written."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pid_alive(pid: int, job_id: str) -> bool:
    """True when process pid still runs this job (zombies and reused pids count as dead)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError):
            return False
        return state not in ("Z", "X") and job_id in cmdline
    return True


def _log_tail(folder: Path, lines: int = 5) -> str:
    """The last lines of a job's log.txt (empty when none)."""
    try:
        text = (folder / "log.txt").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def read_events(job_id: str) -> list[dict]:
    """Every event a job has logged so far (a half-written last line is left out)."""
    path = job_dir(job_id) / "events.jsonl"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue  # the line being written right now
    return events


def job_status(job_id: str) -> JobInfo:
    """The current state of a job; a job whose process vanished without reporting is "failed"."""
    folder = job_dir(job_id)
    conf = _read_json(folder / "config.json")
    status = _read_json(folder / "status.json")
    state = status.get("state", "starting")
    pid = status.get("pid")
    if pid is None and (folder / "pid").is_file():
        try:
            pid = int((folder / "pid").read_text().strip())
        except ValueError:
            pid = None
    message = status.get("message")
    events = read_events(job_id)
    if state in ACTIVE_STATES and pid is not None and not _pid_alive(int(pid), job_id):
        final = next((e for e in reversed(events) if e["type"] in ("done", "stopped", "error")),
                     None)
        state = "failed"
        message = (final or {}).get("message") or (
            "the training process ended without reporting (killed or crashed)"
            + (f"; log: {_log_tail(folder)}" if _log_tail(folder) else ""))
    last_epoch = next((e for e in reversed(events) if e["type"] == "epoch"), None)
    return JobInfo(job_id, state, conf.get("config", {}), conf.get("created", ""), pid,
                   status.get("run_dir"), message, last_epoch, folder)


def list_jobs() -> list[JobInfo]:
    """All jobs in the runs folder, newest first."""
    root = jobs_dir()
    if not root.is_dir():
        return []
    ids = sorted((p.name for p in root.iterdir()
                  if p.is_dir() and _JOB_ID.match(p.name) and (p / "config.json").is_file()),
                 reverse=True)
    return [job_status(i) for i in ids]


def request_stop(job_id: str) -> None:
    """Ask a job to stop after its current batch (creates its STOP file)."""
    (job_dir(job_id) / STOP_FILE).write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def start_job(config: TrainConfig) -> str:
    """Start training in a detached background process (outlives the caller); returns the job id."""
    if not isinstance(config, TrainConfig):
        raise TypeError(f"start_job expects a TrainConfig, got {type(config).__name__}")
    if config.scheduler is None:   # the job runs where the app's setting says, recorded with it
        config = TrainConfig.from_dict({**config.to_dict(),
                                        "scheduler": gconfig.scheduler_address() or "local"})
    jobs_dir().mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    job_id = f"{stamp}-{config.model}-{config.feature}-{secrets.token_hex(4)}"
    folder = jobs_dir() / job_id
    folder.mkdir()   # unique: raises if it somehow exists
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    persistence.write_json(folder / "config.json", {"job_id": job_id, "created": created,
                                                    "config": config.to_dict()})
    persistence.write_json(folder / "status.json", {"state": "starting", "updated": created})
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    with open(folder / "log.txt", "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "core.training.runner", "--job-dir", str(folder)],
            cwd=str(PROJECT_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    _CHILDREN[child.pid] = child
    (folder / "pid").write_text(str(child.pid))
    return job_id


def _set_status(folder: Path, state: str, **extra: Any) -> None:
    """Write a job's status.json (atomically)."""
    persistence.write_json(folder / "status.json", {
        "state": state, "pid": os.getpid(),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra})


def run_job(folder: Path) -> int:
    """Body of a job process: train the folder's config, log events and status; exit status."""
    folder = Path(folder)
    log = JsonlEventLog(folder / "events.jsonl")
    term = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: term.set())   # SIGTERM = polite stop request
    stop = StopFlag(term, folder / STOP_FILE)
    _set_status(folder, "running")
    try:
        conf = TrainConfig.from_dict(_read_json(folder / "config.json").get("config") or {})
        run_dir = run_training(conf, [log], stop)
    except TrainingStopped as exc:
        _set_status(folder, "stopped", message=str(exc), run_dir=None)
        return 0
    except BaseException as exc:  # noqa: BLE001 - reported as an error event and a failed status
        traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}"
        if log.final is None or log.final["type"] != "error":
            log({"type": "error", "time": time.time(), "message": message})
        _set_status(folder, "failed", message=message)
        return 1
    final = log.final or {}
    state = "stopped" if final.get("type") == "stopped" else "done"
    _set_status(folder, state, message=final.get("message"), run_dir=str(run_dir))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of a background job: python -m core.training.runner --job-dir DIR."""
    parser = argparse.ArgumentParser(prog="python -m core.training.runner",
                                     description="Run one GenreLab training job folder.")
    parser.add_argument("--job-dir", required=True, type=Path,
                        help="job folder holding config.json (made by core.training.runner.start_job)")
    args = parser.parse_args(argv)
    if not (args.job_dir / "config.json").is_file():
        parser.error(f"{args.job_dir} holds no config.json")
    return run_job(args.job_dir)


if __name__ == "__main__":
    sys.exit(main())
