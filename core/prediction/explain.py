"""Why a 2D-CNN heard a genre: occlusion maps over one segment's log-mel image."""

from __future__ import annotations

import numpy as np

from core.constants import GENRES
from core.models.loading import keras_proba, load_keras, normalised
from core.prediction.catalogue import SOFTMAX_HEAD, ModelEntry


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
    proba = normalised(keras_proba(entry, load_keras(entry)(batch)))[:, int(genre_index)]
    out = np.zeros(image.shape, dtype=np.float64)
    for k, (r, c) in enumerate(boxes, start=1):
        out[r:r + ph, c:c + pw] = proba[0] - proba[k]
    return out
