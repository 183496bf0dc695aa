"""Metrics: segment vs track accuracy, vote, confusion, per-genre precision/recall."""

from __future__ import annotations

import numpy as np
import pytest

from core import evaluation


def _onehot(labels: list[int], n: int = 10) -> np.ndarray:
    out = np.full((len(labels), n), 0.01)
    out[np.arange(len(labels)), labels] = 0.91
    return out


def test_track_vote_beats_segment_errors() -> None:
    seg_track = ["a"] * 3 + ["b"] * 3
    y = [0, 0, 0, 1, 1, 1]
    proba = _onehot([0, 0, 2, 1, 3, 1])
    m = evaluation.evaluate(np.array(y), proba, seg_track)
    assert m["segment_accuracy"] == pytest.approx(4 / 6)
    assert m["track_accuracy"] == 1.0
    assert m["n_segments"] == 6 and m["n_tracks"] == 2


def test_vote_tie_broken_by_probability() -> None:
    proba = np.zeros((2, 10))
    proba[0, 4], proba[0, 5] = 0.6, 0.4
    proba[1, 5], proba[1, 4] = 0.9, 0.1
    tracks, pred = evaluation.vote(["t", "t"], proba)
    assert list(tracks) == ["t"] and pred[0] == 5


def test_confusion_and_per_class_scores() -> None:
    rep = evaluation.classification_report(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3)
    assert rep["confusion"] == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    assert rep["precision"][1] == pytest.approx(2 / 3)
    assert rep["recall"][0] == pytest.approx(0.5)
    assert rep["macro_f1"] == pytest.approx(np.mean([2 / 3, 0.8]))


def test_inconsistent_labels_rejected() -> None:
    with pytest.raises(ValueError, match="different labels"):
        evaluation.evaluate(np.array([0, 1]), _onehot([0, 1]), ["a", "a"])
    with pytest.raises(ValueError, match="same segments"):
        evaluation.evaluate(np.array([0]), _onehot([0, 1]), ["a", "b"])


def test_track_probabilities_are_means() -> None:
    proba = _onehot([0, 1])
    tracks, mean = evaluation.track_probabilities(["x", "x"], proba)
    np.testing.assert_allclose(mean[0], proba.mean(0))


def test_wilson_interval_known_values() -> None:
    # 8 of 10 right: the textbook Wilson interval is (0.490, 0.943)
    low, high = evaluation.wilson_interval(0.8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    # all right still leaves room below 1; more tracks give a narrower interval
    low1, high1 = evaluation.wilson_interval(1.0, 11)
    assert high1 == pytest.approx(1.0) and 0.7 < low1 < 0.75
    assert np.diff(evaluation.wilson_interval(0.8, 1000)) < np.diff((low, high))
    assert evaluation.wilson_interval(0.5, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="fraction"):
        evaluation.wilson_interval(1.5, 10)
