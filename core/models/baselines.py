"""The study's short-term baselines: SVM and KNN pipelines tuned by grouped CV on the training side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from core.constants import DEFAULT_SEED

#: hyper-parameter grids of the small search (training side only)
SVM_GRID: dict[str, list] = {"clf__C": [1.0, 10.0, 100.0], "clf__gamma": ["scale", 0.01]}
KNN_GRID: dict[str, list] = {"clf__n_neighbors": [1, 5, 9, 15], "clf__weights": ["distance"]}
CLASSIFIERS: tuple[str, ...] = ("svm", "knn")


def make_pipeline(kind: str, seed: int = DEFAULT_SEED,
                  class_weight: str | None = None) -> Pipeline:
    """Scaler + classifier ("svm": RBF SVC, scores only; "knn": k-nearest neighbours).
    class_weight "balanced" weights the SVM's classes by inverse frequency (KNN has no weights).
    """
    if kind == "svm":
        clf = SVC(kernel="rbf", random_state=seed, class_weight=class_weight)
    elif kind == "knn":
        clf = KNeighborsClassifier()
    else:
        raise ValueError(f"unknown classifier {kind!r}; choose one of {CLASSIFIERS}")
    return Pipeline([("scale", StandardScaler()), ("clf", clf)])


@dataclass
class FitResult:
    """A fitted pipeline (with predict_proba) and the search's best parameters and CV score."""
    model: Pipeline
    best_params: dict = field(default_factory=dict)
    cv_accuracy: float | None = None


def grouped_folds(y: np.ndarray, groups: np.ndarray, seed: int) -> list | None:
    """Up to 3 stratified folds that keep each track's segments together (None if impossible)."""
    n_splits = min(3, min(len(set(groups[y == c])) for c in np.unique(y)))
    if n_splits < 2:
        return None
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(cv.split(np.zeros(len(y)), y, groups))


def calibrated(svc: SVC, folds: list | None) -> CalibratedClassifierCV:
    """The SVC with Platt-calibrated probabilities, one SVC fitted on all data (2-fold if no folds)."""
    return CalibratedClassifierCV(svc, method="sigmoid", ensemble=False, cv=folds if folds else 2)


def calibrate_svm(pipeline: Pipeline, y: np.ndarray, folds: list | None) -> bool:
    """Give the pipeline's SVC ("clf") Platt-calibrated probabilities: sigmoid on the grouped
    folds (see calibrated), or, when there are no folds and a class has a single example,
    libsvm's own Platt scaling. True when it fell back to libsvm's."""
    if folds is None and np.unique(y, return_counts=True)[1].min() < 2:
        pipeline.set_params(clf__probability=True)
        return True
    pipeline.set_params(clf=calibrated(pipeline.named_steps["clf"], folds))
    return False


def _with_probabilities(kind: str, params: dict, X: np.ndarray, y: np.ndarray,
                        folds: list | None, seed: int, class_weight: str | None = None) -> Pipeline:
    """Refit the chosen pipeline; for the SVM, Platt-calibrate its scores on grouped folds."""
    pipeline = make_pipeline(kind, seed, class_weight).set_params(**params)
    if kind == "svm":
        calibrate_svm(pipeline, y, folds)
    return pipeline.fit(X, y)


def fit_classifier(kind: str, X: np.ndarray, y: np.ndarray, groups: Sequence[str],
                   seed: int = DEFAULT_SEED, search: bool = True, n_jobs: int = 1,
                   grid: dict | None = None, class_weight: str | None = None) -> FitResult:
    """Fit an SVM or KNN; if search, choose C/gamma or k by CV with folds grouped by track.
    class_weight "balanced": the SVM weights classes by inverse frequency (unbalanced data).
    """
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    y = np.asarray(y)
    groups = np.asarray(groups)
    folds = grouped_folds(y, groups, seed)
    grid = grid if grid is not None else (SVM_GRID if kind == "svm" else KNN_GRID)
    if not search or folds is None:
        return FitResult(_with_probabilities(kind, {}, X, y, folds, seed, class_weight))
    if kind == "knn":
        smallest_train = min(len(train) for train, _ in folds)
        grid = dict(grid, clf__n_neighbors=[k for k in grid["clf__n_neighbors"]
                                             if k <= smallest_train] or [1])
    searcher = GridSearchCV(make_pipeline(kind, seed, class_weight), grid, cv=folds,
                            scoring="accuracy", n_jobs=n_jobs, refit=False)
    searcher.fit(X, y)
    best = dict(searcher.best_params_)
    return FitResult(_with_probabilities(kind, best, X, y, folds, seed, class_weight), best,
                     float(searcher.best_score_))
