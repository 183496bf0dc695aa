"""Loading a saved run's model files once per process, and their outputs as 10-genre probabilities.

Every family scores a clip through these: the scikit-learn head (skops) or the Keras model of a run
folder, loaded thread-safely and cached by file and mtime, and their outputs placed in the GENRES
columns. TensorFlow is imported only when a Keras model is loaded.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from core.constants import GENRE_INDEX, GENRES
from core.models import persistence
from core.models.base import KERAS_FILE
from core.models.networks import DEEP_LAYER, load_model
from core.models.persistence import ModelFileError


#: Name of the Keras layer whose output is the deep feature fed to the SVM/KNN heads.
DEEP_FEATURE_LAYER = DEEP_LAYER


_MODEL_CACHE: dict[tuple[str, str, float], Any] = {}


_LOAD_LOCKS: dict[tuple[str, str], threading.Lock] = {}


_LOCKS_GUARD = threading.Lock()


def run_mtime(run_dir: Path) -> float:
    """Latest mtime (s) of the run folder's files; changes when the run is rewritten."""
    try:
        return max([p.stat().st_mtime for p in Path(run_dir).iterdir() if p.is_file()] or [0.0])
    except OSError:
        return 0.0


def _cached(entry: Any, name: str, loader: Callable[[], Any]) -> Any:
    """The object loaded from one file of a run, from the in-process cache when still fresh.
    Thread-safe: a file being loaded by one thread (the warm-up) is waited for, not loaded twice.
    """
    key = (str(entry.path), name, run_mtime(entry.path))
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


def is_cached(run_dir: Path, names: Iterable[str]) -> bool:
    """True when every named file of the run folder is in the in-process cache, still fresh."""
    stamp = run_mtime(run_dir)
    return all((str(run_dir), name, stamp) in _MODEL_CACHE for name in names)


#: Rows per forward pass of a Keras model: a 30-s clip's 10 segments in one pass; a 10-minute
#: file's 200 in 7, so that the 2D-CNN's activations stay near 35 MB instead of 0.2 GB.
KERAS_BATCH_ROWS: int = 32


class _KerasRunner:
    """A loaded Keras model with compiled forward passes (full output and deep feature)."""
    def __init__(self, model: Any):
        self.model = model
        self.input_shape = tuple(model.input_shape[1:])
        self._fns: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
        self._compiling = threading.Lock()   #: one thread traces each forward pass

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
            with self._compiling:
                if output not in self._fns:
                    self._fns[output] = self._compile(output)
        step = KERAS_BATCH_ROWS   # bounds the network's activations on a long clip
        return np.concatenate([np.asarray(self._fns[output](x[i:i + step]), dtype=np.float64)
                               for i in range(0, max(len(x), 1), step)])


def load_keras(entry: Any) -> _KerasRunner:
    """The run's model.keras, loaded in safe mode (no arbitrary code), cached."""
    def load() -> _KerasRunner:

        return _KerasRunner(load_model(entry.path / KERAS_FILE))

    return _cached(entry, KERAS_FILE, load)


def load_head(entry: Any, head: str) -> Any:
    """The run's scikit-learn head (svm.skops / knn.skops), loaded with skops, cached."""
    name = f"{head}.skops"
    return _cached(entry, name, lambda: persistence.load_sklearn(entry.path, name))


def sklearn_proba(estimator: Any, X: np.ndarray) -> np.ndarray:
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
    return normalised(out)


def keras_proba(entry: Any, output: np.ndarray) -> np.ndarray:
    """A Keras softmax over the model's label set placed in the 10 GENRES columns: (n, 10)."""
    genres = entry.genres
    if output.ndim != 2 or output.shape[1] != len(genres):
        raise ModelFileError(f"the model outputs shape {output.shape}, expected (n, {len(genres)}) "
                             f"for its {len(genres)} genres")
    out = np.zeros((len(output), len(GENRES)))
    out[:, [GENRE_INDEX[g] for g in genres]] = output
    return out


def normalised(proba: np.ndarray) -> np.ndarray:
    """Rows divided by their sums (removes float drift); ModelFileError for non-probabilities."""
    if proba.ndim != 2 or proba.shape[1] != len(GENRES):
        raise ModelFileError(f"the model outputs shape {proba.shape}, expected (n, {len(GENRES)})")
    sums = proba.sum(axis=1, keepdims=True)
    if np.any(proba < -1e-6) or not np.all(np.isfinite(proba)) or np.any(np.abs(sums - 1) > 1e-3):
        raise ModelFileError("the model's outputs are not class probabilities "
                             "(expected a softmax output of 10 values summing to 1)")
    return np.clip(proba, 0.0, None) / np.clip(proba, 0.0, None).sum(axis=1, keepdims=True)
