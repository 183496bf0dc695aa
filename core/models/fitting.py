"""What every model family's fit uses: events, the stop flag, metrics of a side, the Keras epoch loop.

The training runner (core.training) and the families (core.models) both use these, so they live
here, below both. Keras is imported only inside the functions that build or fit a Keras model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from core import evaluation
from core.constants import GENRE_INDEX, GENRES
from core.features import augment
from core.models import networks

                                     #: when the split has no validation side
EVENT_TYPES: tuple[str, ...] = ("start", "epoch", "stage", "done", "error", "stopped")


Callback = Callable[[dict], None]


class TrainingError(ValueError):
    """A training run that cannot be made (bad config, too little data); the message says why."""


class TrainingStopped(RuntimeError):
    """A stop was requested before any model was trained: nothing was saved."""


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


@dataclass
class SideData:
    """Model inputs of one side: arrays, labels, the track id (or artist group) of each example,
    and each example's sample weight (None: every example weighs 1)."""
    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    weights: np.ndarray | None = None

    def __len__(self) -> int:
        return int(len(self.y))


def expand_proba(proba: np.ndarray, genres: Sequence[str]) -> np.ndarray:
    """Probabilities over a label set (n, len(genres)) placed in the GENRES columns (n, 10)."""
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


def train_keras(config: Any, train: SideData, valid: SideData, emit: Emitter,
                stop: StopFlag, genres: Sequence[str] = GENRES) -> KerasOutcome:
    """Build and fit the Keras model of `config` (a core.training.config.TrainConfig) with one output
    per genre of `genres` (labels mapped to 0..k-1 in that order); early stopping on valid (or
    loss), best weights kept."""
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


def side_metrics(y: np.ndarray, proba: np.ndarray, groups: np.ndarray) -> dict | None:
    """evaluation.evaluate on one side, or None when the side is empty."""
    return evaluation.evaluate(y, proba, groups) if len(y) else None


def head_metrics(test: dict, valid: dict | None) -> dict:
    """The card's metrics entry of one head."""
    return {"test": test, **({"valid": valid} if valid is not None else {})}


def check_stop(stop: StopFlag, where: str) -> None:
    """Raise TrainingStopped if a stop was requested (before anything was trained)."""
    if stop.is_set():
        raise TrainingStopped(f"stopped by request {where}; nothing was trained or saved")
