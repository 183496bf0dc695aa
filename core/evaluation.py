"""Honest metrics: segment accuracy, track accuracy by vote, macro-F1, confusion, per-genre P/R."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from core.constants import GENRES


def vote(segment_track: Sequence[str], proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Track ids and their predicted labels: majority of segment votes, ties by summed probability."""
    segment_track = np.asarray(segment_track)
    tracks, inverse = np.unique(segment_track, return_inverse=True)
    n_classes = proba.shape[1]
    pred = proba.argmax(axis=1)
    votes = np.zeros((len(tracks), n_classes))
    np.add.at(votes, (inverse, pred), 1.0)
    mass = np.zeros((len(tracks), n_classes))
    np.add.at(mass, inverse, proba)
    # votes dominate; summed probability (< n segments) only breaks ties
    score = votes * (proba.shape[0] + 1) + mass
    return tracks, score.argmax(axis=1)


def track_probabilities(segment_track: Sequence[str], proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Track ids and the mean of their segments' class probabilities."""
    segment_track = np.asarray(segment_track)
    tracks, inverse = np.unique(segment_track, return_inverse=True)
    sums = np.zeros((len(tracks), proba.shape[1]))
    np.add.at(sums, inverse, proba)
    counts = np.bincount(inverse, minlength=len(tracks))[:, None]
    return tracks, sums / counts


def classification_report(y_true: np.ndarray, y_pred: np.ndarray,
                          n_classes: int = len(GENRES)) -> dict:
    """Accuracy, macro-F1, confusion matrix (rows true, cols predicted) and per-class P/R/F1."""
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    cm = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    tp = np.diag(cm).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(cm.sum(0) > 0, tp / cm.sum(0), 0.0)
        recall = np.where(cm.sum(1) > 0, tp / cm.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = cm.sum(1) > 0
    return {
        "accuracy": float(tp.sum() / max(len(y_true), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "confusion": cm.tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "n": int(len(y_true)),
    }


def evaluate(y_true: np.ndarray, proba: np.ndarray, segment_track: Sequence[str]) -> dict:
    """Segment- and track-level metrics of per-segment probabilities (n_segments x n_classes).
    Track accuracy is by majority vote over each track's segments. Returns a JSON-ready dict with
    segment_accuracy, track_accuracy, macro_f1 (track level), n_segments, n_tracks, and the full
    "segment" and "track" reports (confusion matrices, per-genre precision and recall).
    """
    y_true = np.asarray(y_true, dtype=int)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or len(proba) != len(y_true) or len(y_true) != len(segment_track):
        raise ValueError("y_true, proba and segment_track must describe the same segments")
    n_classes = max(proba.shape[1], len(GENRES))
    seg = classification_report(y_true, proba.argmax(1), n_classes)
    tracks, track_pred = vote(segment_track, proba)
    first = {t: i for i, t in reversed(list(enumerate(np.asarray(segment_track))))}
    track_true = np.array([y_true[first[t]] for t in tracks], dtype=int)
    for t, label in zip(np.asarray(segment_track), y_true):
        if label != track_true[np.searchsorted(tracks, t)]:
            raise ValueError(f"track {t} has segments with different labels")
    trk = classification_report(track_true, track_pred, n_classes)
    return {
        "segment_accuracy": seg["accuracy"],
        "track_accuracy": trk["accuracy"],
        "macro_f1": trk["macro_f1"],
        "n_segments": seg["n"],
        "n_tracks": trk["n"],
        "segment": seg,
        "track": trk,
    }


def wilson_interval(accuracy: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval (low, high) of an accuracy measured on n items (fractions of 1).
    With n = 0 nothing is known: (0, 1).
    """
    if n <= 0:
        return 0.0, 1.0
    if not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"accuracy {accuracy} is not a fraction of 1")
    denom = 1 + z * z / n
    centre = (accuracy + z * z / (2 * n)) / denom
    spread = z * np.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - spread)), float(min(1.0, centre + spread))
