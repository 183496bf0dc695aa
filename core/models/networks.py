"""Keras builders of the study's deep models: LSTM / BiLSTM, 1D-CNN, 2D-CNN (Keras imported lazily).

Every model starts with a Normalization layer holding the mean and variance of its training
side, so a saved ``model.keras`` takes raw ``core.features.study`` arrays (made model-ready by
``as_model_input``). TensorFlow/Keras is imported only inside the functions that need it.

- LSTM (``lstm``): Normalization -> LSTM(128) ["deep_feature"] -> BatchNorm -> Dropout ->
  Dense(64, ReLU) -> Dropout -> softmax. Input: ZCR (30, 1) or MFCC statistics (60, 1).
- BiLSTM (``bilstm``): as LSTM with Bidirectional(LSTM(64)) as "deep_feature" (64 + 64 = 128).
- 1D-CNN (``cnn1d``): Normalization per MFCC -> 3 x [Conv1D + ReLU -> BatchNorm -> AveragePooling
  -> Dropout] -> Flatten -> Dense(64, ReLU) -> Dropout -> softmax. Input: MFCC matrix (646, 30).
- 2D-CNN (``cnn2d``): Normalization -> 3 x [Conv2D + ReLU -> BatchNorm -> MaxPooling] -> Dropout ->
  Flatten -> Dense(64, ReLU) -> Dropout -> softmax. Input: log-mel (128, 130, 1).

The layer named DEEP_LAYER is the 128-d deep feature on which SVM / KNN heads are fitted.
"""

from __future__ import annotations

import os

# TensorFlow's C++ start-up notes (oneDNN, CPU instructions) are noise to a user; warnings and
# errors still show. Set before TensorFlow is first imported (it is imported lazily below).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path
from typing import Any

import numpy as np

from core.constants import (
    CNN1D_FRAMES, GENRES, LSTM_UNITS, N_MELS, N_MFCC, SEGMENT_FRAMES, ZCR_STEPS,
)
from core.models.persistence import ModelFileError, check_allowed

DEEP_LAYER = "deep_feature"         #: name of the layer whose output is the 128-d deep feature
NORM_LAYER = "normalise"            #: name of the input Normalization layer
DEEP_MODELS: tuple[str, ...] = ("lstm", "bilstm", "cnn1d", "cnn2d")
DROPOUT: float = 0.3                #: fraction of units dropped after the feature layers
DENSE_UNITS: int = 64               #: width of the hidden dense layer before the softmax
CNN1D_FILTERS: tuple[int, ...] = (32, 64, 64)   #: filters of the three Conv1D layers
CNN1D_KERNEL: int = 5               #: frames, Conv1D kernel width
CNN1D_POOL: int = 4                 #: frames, average-pooling width after each Conv1D
CNN2D_FILTERS: tuple[int, ...] = (16, 32, 64)   #: filters of the three Conv2D layers
CNN2D_POOLS: tuple[int, ...] = (2, 2, 4)        #: max-pooling size after each Conv2D


def input_shape(model: str, feature_kind: str) -> tuple[int, ...]:
    """Shape of one model input (without the batch axis) for a model and a core.features.study kind."""
    shapes = {
        ("zcr", "lstm"): (ZCR_STEPS, 1), ("mfcc_stats", "lstm"): (2 * N_MFCC, 1),
        ("mfcc_seq", "cnn1d"): (CNN1D_FRAMES, N_MFCC), ("logmel", "cnn2d"): (N_MELS, SEGMENT_FRAMES, 1),
    }
    key = (feature_kind, "lstm" if model == "bilstm" else model)
    if key not in shapes:
        raise ValueError(f"model {model!r} cannot read feature kind {feature_kind!r}")
    return shapes[key]


def as_model_input(model: str, feature_kind: str, x: np.ndarray) -> np.ndarray:
    """core.features.study arrays (n, ...) reshaped to the model's input (n, *input_shape) as float32."""
    shape = input_shape(model, feature_kind)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 1 or int(np.prod(x.shape[1:])) != int(np.prod(shape)):
        raise ValueError(f"{feature_kind} array of shape {x.shape} does not fit {model} input {shape}")
    return x.reshape((len(x),) + shape)


def norm_axis(model: str) -> int | None:
    """Axis of the input kept by the Normalization layer (None: one mean and variance overall)."""
    return {"lstm": 1, "bilstm": 1, "cnn1d": -1, "cnn2d": None}[model]


def normaliser_stats(model: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of model-ready training inputs x over all axes but the kept one."""
    x = np.asarray(x, dtype=np.float64)
    axis = norm_axis(model)
    if axis is None:
        return np.asarray(x.mean(), np.float32), np.asarray(max(x.var(), 1e-6), np.float32)
    reduce = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return (x.mean(axis=reduce).astype(np.float32),
            np.maximum(x.var(axis=reduce), 1e-6).astype(np.float32))


def set_seed(seed: int) -> None:
    """Seed Python, numpy and the Keras backend (keras.utils.set_random_seed)."""
    import keras

    keras.utils.set_random_seed(int(seed))


def _compile(model: Any, learning_rate: float) -> Any:
    """Compile with Adam(learning_rate), sparse categorical cross-entropy and accuracy."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _normaliser(model: str, mean: np.ndarray | None, variance: np.ndarray | None) -> Any:
    """The input Normalization layer (identity statistics when none are given)."""
    import keras

    if mean is None or variance is None:
        mean, variance = np.asarray(0.0, np.float32), np.asarray(1.0, np.float32)
    return keras.layers.Normalization(axis=norm_axis(model), mean=mean, variance=variance,
                                      name=NORM_LAYER)


def build_lstm(seq_len: int, n_classes: int = len(GENRES), bidirectional: bool = False,
               mean: np.ndarray | None = None, variance: np.ndarray | None = None,
               learning_rate: float = 1e-3, units: int = LSTM_UNITS) -> Any:
    """LSTM(units) (or BiLSTM of units/2 each way) on a (seq_len, 1) sequence, softmax head."""
    import keras
    from keras import layers

    if units % 2:
        raise ValueError(f"units must be even (the BiLSTM splits them), got {units}")
    kind = "bilstm" if bidirectional else "lstm"
    inputs = keras.Input((int(seq_len), 1), name="sequence")
    x = _normaliser(kind, mean, variance)(inputs)
    if bidirectional:
        x = layers.Bidirectional(layers.LSTM(units // 2), name=DEEP_LAYER)(x)
    else:
        x = layers.LSTM(units, name=DEEP_LAYER)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(DROPOUT)(x)
    x = layers.Dense(DENSE_UNITS, activation="relu")(x)
    x = layers.Dropout(DROPOUT)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return _compile(keras.Model(inputs, outputs, name=kind), learning_rate)


def build_cnn1d(frames: int = CNN1D_FRAMES, n_coeffs: int = N_MFCC, n_classes: int = len(GENRES),
                mean: np.ndarray | None = None, variance: np.ndarray | None = None,
                learning_rate: float = 1e-3) -> Any:
    """1D-CNN over the (frames, n_coeffs) MFCC matrix of a clip's first 15 s, softmax head."""
    import keras
    from keras import layers

    inputs = keras.Input((int(frames), int(n_coeffs)), name="mfcc_matrix")
    x = _normaliser("cnn1d", mean, variance)(inputs)
    for filters in CNN1D_FILTERS:
        x = layers.Conv1D(filters, CNN1D_KERNEL, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.AveragePooling1D(CNN1D_POOL)(x)
        x = layers.Dropout(DROPOUT / 2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(DENSE_UNITS, activation="relu")(x)
    x = layers.Dropout(DROPOUT)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return _compile(keras.Model(inputs, outputs, name="cnn1d"), learning_rate)


def build_cnn2d(n_mels: int = N_MELS, frames: int = SEGMENT_FRAMES, n_classes: int = len(GENRES),
                mean: np.ndarray | None = None, variance: np.ndarray | None = None,
                learning_rate: float = 1e-3) -> Any:
    """2D-CNN over a (n_mels, frames, 1) log-mel spectrogram of a 3-s segment, softmax head."""
    import keras
    from keras import layers

    inputs = keras.Input((int(n_mels), int(frames), 1), name="logmel")
    x = _normaliser("cnn2d", mean, variance)(inputs)
    for filters, pool in zip(CNN2D_FILTERS, CNN2D_POOLS):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(pool)(x)
    x = layers.Dropout(DROPOUT)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(DENSE_UNITS, activation="relu")(x)
    x = layers.Dropout(2 * DROPOUT)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return _compile(keras.Model(inputs, outputs, name="cnn2d"), learning_rate)


def build_model(model: str, feature_kind: str, mean: np.ndarray | None = None,
                variance: np.ndarray | None = None, learning_rate: float = 1e-3,
                n_classes: int = len(GENRES)) -> Any:
    """The compiled Keras model of one study model kind for one core.features.study kind, with
    n_classes softmax outputs (the run's label set)."""
    if model not in DEEP_MODELS:
        raise ValueError(f"unknown deep model {model!r}; choose one of {DEEP_MODELS}")
    shape = input_shape(model, feature_kind)
    common = {"n_classes": int(n_classes), "mean": mean, "variance": variance,
              "learning_rate": learning_rate}
    if model in ("lstm", "bilstm"):
        return build_lstm(shape[0], bidirectional=model == "bilstm", **common)
    if model == "cnn1d":
        return build_cnn1d(*shape, **common)
    return build_cnn2d(*shape[:2], **common)


def deep_feature_model(model: Any) -> Any:
    """A Keras model from the same input to the DEEP_LAYER output (the 128-d deep feature)."""
    import keras

    try:
        layer = model.get_layer(DEEP_LAYER)
    except ValueError as exc:
        raise ValueError(f"model {model.name!r} has no {DEEP_LAYER!r} layer") from exc
    return keras.Model(model.inputs, layer.output, name=f"{model.name}_deep_feature")


def predict_proba(model: Any, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class probabilities (n, n_classes) of model-ready inputs, as float64."""
    if len(x) == 0:
        return np.zeros((0, int(model.output_shape[-1])))
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)


def deep_features(model: Any, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """The 128-d deep feature (n, 128) of model-ready inputs, from an LSTM / BiLSTM model or
    from its deep_feature_model (pass that when calling repeatedly: no rebuild, no retracing)."""
    extractor = model if model.name.endswith("_deep_feature") else deep_feature_model(model)
    if len(x) == 0:
        return np.zeros((0, int(extractor.output_shape[-1])), dtype=np.float32)
    return np.asarray(extractor.predict(x, batch_size=batch_size, verbose=0), dtype=np.float32)


def load_model(path: str | Path) -> Any:
    """Load a model.keras from models/ or the runs folder (safe mode); ModelFileError if unusable."""
    path = check_allowed(Path(path))
    if not path.is_file():
        raise ModelFileError(f"{path.parent.name}: {path.name} is missing")
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - any failure to rebuild means a damaged file
        raise ModelFileError(f"{path.parent.name}: {path.name} cannot be loaded as a Keras "
                             f"model ({type(exc).__name__}: {exc})") from exc
