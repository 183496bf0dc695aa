"""SVM/KNN baselines with grouped cross-validation."""

from __future__ import annotations

import numpy as np
import pytest

from core.models import baselines


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    tracks = np.repeat([f"t{i:02d}" for i in range(30)], 4)
    y = np.repeat(np.arange(30) % 3, 4)
    X = rng.normal(size=(len(y), 5)) + y[:, None] * 1.5
    return X, y, tracks


@pytest.mark.parametrize("kind", ["svm", "knn"])
def test_fit_predicts_probabilities(kind: str) -> None:
    X, y, groups = _data()
    res = baselines.fit_classifier(kind, X, y, groups)
    proba = res.model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert (proba.argmax(1) == y).mean() > 0.8
    assert res.cv_accuracy is not None and res.best_params


def test_grouped_folds_keep_tracks_together() -> None:
    X, y, groups = _data()
    for train, test in baselines.grouped_folds(y, groups, 0):
        assert not set(groups[train]) & set(groups[test])


def test_unknown_classifier() -> None:
    with pytest.raises(ValueError, match="unknown classifier"):
        baselines.make_pipeline("forest")


def test_an_svm_with_a_single_example_of_a_genre_still_gives_probabilities() -> None:
    rng = np.random.default_rng(3)
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2])          # one example of genre 2: no folds
    X = rng.normal(size=(len(y), 4)) + y[:, None] * 2.0
    res = baselines.fit_classifier("svm", X, y, [f"t{i}" for i in range(len(y))])
    proba = res.model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
