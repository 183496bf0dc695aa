"""Heads on a pretrained network's clip embeddings: SVM, KNN or balanced logistic regression.

Shared by the embedding families (musicnn, YAMNet, ...): one example per clip, the network not
trained, only the head. Heads:

- "svm": StandardScaler -> RBF SVM, C chosen by validation accuracy (grouped CV on the training
  side when there is no validation side), refitted on train+valid and Platt-calibrated;
- "knn": StandardScaler -> KNN (k = 5) fitted on train+valid;
- "logreg": StandardScaler -> multinomial logistic regression with balanced class weights and a
  strong L2 penalty (C = 0.01 unless the family sets its own: on clip embeddings of thousands of
  dimensions and a few hundred clips it held up best outside GTZAN), fitted on train+valid with
  the training side's sample weights (TrainConfig.extra_weight); with TrainConfig.refit_all it is
  fitted once more on every clip, test side included, after the test figures were measured (the
  card says so: its figures are those of the recipe, measured before the refit).

With a validation side, its metrics come from the same head fitted on the training side only.
scikit-learn is imported inside the functions, so listing the families stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.constants import GENRES
from core.models import fitting
from core.models.base import SKLEARN_HEADS, FitContext, FitOutcome

LOGREG: str = "logreg"
EMBEDDING_HEADS: tuple[str, ...] = (*SKLEARN_HEADS, LOGREG)   #: heads an embedding family offers
C_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)   #: SVM C searched
KNN_K: int = 5
LOGREG_C: float = 0.01                 #: inverse L2 strength of the logistic head
LOGREG_MAX_ITER: int = 2000


def head_files(kind: str, head: str) -> tuple[str, ...]:
    """The saved head only (the network's weights are shipped in models/pretrained)."""
    return (f"{head}.skops",) if head in EMBEDDING_HEADS else ()


def _svm(c: float, seed: int, balance: str | None) -> Any:
    """StandardScaler -> RBF SVC (scores only)."""
    from core.models.baselines import make_pipeline  # deferred: scikit-learn

    return make_pipeline("svm", seed, balance).set_params(clf__C=float(c))


def logreg_pipeline(seed: int, c: float = LOGREG_C) -> Any:
    """StandardScaler -> balanced multinomial LogisticRegression of inverse L2 strength c."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(C=float(c), class_weight="balanced",
                                                max_iter=LOGREG_MAX_ITER, random_state=seed))])


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows predicted right."""
    return float(np.mean(model.predict(x) == y))


def _joined(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a and b stacked (a alone when b is empty)."""
    return np.concatenate([a, b]) if len(b) else a


def fit_svm(context: FitContext, x: np.ndarray, y: np.ndarray, groups: np.ndarray,
            valid_x: np.ndarray, valid_y: np.ndarray) -> tuple[Any, Any, dict]:
    """Choose C (on valid, else grouped CV on train), refit on train+valid with calibrated
    probabilities: (final model, the train-only model of that C or None, info)."""
    from sklearn.model_selection import GridSearchCV

    from core.models.baselines import calibrate_svm, grouped_folds  # deferred: scikit-learn

    seed, balance = context.config.seed, context.balance
    if len(valid_y):
        scores = [_accuracy(_svm(c, seed, balance).fit(x, y), valid_x, valid_y) for c in C_GRID]
        best, chosen_on = C_GRID[int(np.argmax(scores))], "validation accuracy"
        info = {"valid_accuracy_by_C": dict(zip(map(str, C_GRID), scores))}
    else:
        folds = grouped_folds(y, groups, seed)
        if folds is None:
            best, chosen_on, info = 1.0, "default (too few tracks to search)", {}
        else:
            search = GridSearchCV(_svm(1.0, seed, balance), {"clf__C": list(C_GRID)}, cv=folds,
                                  scoring="accuracy", refit=False).fit(x, y)
            best, chosen_on = float(search.best_params_["clf__C"]), "grouped CV on train"
            info = {"cv_accuracy": float(search.best_score_)}
    train_only = _svm(best, seed, balance).fit(x, y) if len(valid_y) else None
    all_x, all_y = _joined(x, valid_x), _joined(y, valid_y)
    all_groups = _joined(groups, context.valid.groups) if len(valid_y) else groups
    model = _svm(best, seed, balance)
    folds = grouped_folds(all_y, all_groups, seed)
    info["calibration"] = ("libsvm's internal Platt scaling (a genre has a single clip)"
                           if calibrate_svm(model, all_y, folds)
                           else "sigmoid on grouped folds of train+valid")
    model.fit(all_x, all_y)
    return model, train_only, {"best_params": {"C": best}, "chosen_on": chosen_on, **info}


def fit_knn(x: np.ndarray, y: np.ndarray, valid_x: np.ndarray,
            valid_y: np.ndarray) -> tuple[Any, Any, dict]:
    """KNN (k = 5, or fewer when train+valid is smaller) on train+valid: (model, train-only
    model or None, info)."""
    from core.models.baselines import make_pipeline  # deferred: scikit-learn

    k = max(1, min(KNN_K, len(y)))
    train_only = make_pipeline("knn").set_params(clf__n_neighbors=k).fit(x, y) \
        if len(valid_y) else None
    all_y = _joined(y, valid_y)
    model = make_pipeline("knn").set_params(clf__n_neighbors=max(1, min(KNN_K, len(all_y))))
    return model.fit(_joined(x, valid_x), all_y), train_only, {"best_params": {"n_neighbors": k}}


def fit_logreg(seed: int, x: np.ndarray, y: np.ndarray, valid_x: np.ndarray,
               valid_y: np.ndarray, c: float = LOGREG_C,
               weights: np.ndarray | None = None) -> tuple[Any, Any, dict]:
    """Balanced logistic regression (inverse L2 strength c) on train+valid, the training rows
    weighted by `weights` (validation rows weigh 1): (model, train-only model or None, info)."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    train_only = (logreg_pipeline(seed, c).fit(x, y, clf__sample_weight=w)
                  if len(valid_y) else None)
    model = logreg_pipeline(seed, c).fit(_joined(x, valid_x), _joined(y, valid_y),
                                         clf__sample_weight=_joined(w, np.ones(len(valid_y))))
    info = {"best_params": {"C": float(c), "class_weight": "balanced"}}
    if weights is not None:
        info["sample_weights"] = sorted({float(v) for v in w})
    return model, train_only, info


def refit_everything(context: FitContext, c: float) -> Any:
    """The logistic head fitted once more on train, valid and test together (refit_all), with the
    training side's sample weights; the test figures were measured before."""
    sides = (context.train, context.valid, context.test)
    x = np.concatenate([np.asarray(s.x, np.float64).reshape(len(s), -1) for s in sides if len(s)])
    y = np.concatenate([s.y for s in sides if len(s)])
    w = np.concatenate([np.ones(len(s)) if s.weights is None else s.weights
                        for s in sides if len(s)])
    return logreg_pipeline(context.config.seed, c).fit(x, y, clf__sample_weight=w)


def one_hot(model: Any, x: np.ndarray) -> np.ndarray:
    """One-hot (n, 10) of the predictions of a model without probabilities (the train-only SVM)."""
    out = np.zeros((len(x), len(GENRES)))
    if len(x):
        out[np.arange(len(x)), np.asarray(model.predict(x), dtype=int)] = 1.0
    return out


def _valid_proba(head: str, model: Any, x: np.ndarray) -> np.ndarray:
    """Validation probabilities of a train-only head: one-hot predictions for the SVM (not
    calibrated before the refit) and the KNN, the logistic head's own probabilities."""
    return one_hot(model, x) if head in SKLEARN_HEADS else fitting.full_proba(model, x)


def fit_head(context: FitContext, network: str, card: dict,
             logreg_c: float = LOGREG_C) -> FitOutcome:
    """Fit the chosen head (config.head, default svm) on the clips' embeddings of `network`
    (its name, for the progress message); `card` is the family's card entry (the network);
    logreg_c: the logistic head's inverse L2 strength."""
    c = context
    head = c.config.head or "svm"
    if head not in EMBEDDING_HEADS:
        raise ValueError(f"unknown head {head!r}; choose one of {list(EMBEDDING_HEADS)}")
    fitting.check_stop(c.stop, "before fitting")
    x, y, groups = (np.asarray(c.train.x, np.float64), c.train.y, c.train.groups)
    valid_x = np.asarray(c.valid.x, np.float64).reshape(len(c.valid), x.shape[1])
    valid_y = c.valid.y
    c.emit("stage", message=f"fitting the {head.upper()} head on {x.shape[1]}-d {network} "
                            f"embeddings of {len(y)} training clips"
                            + (f" (+{len(valid_y)} validation clips)" if len(valid_y) else ""))
    if head == "svm":
        model, train_only, info = fit_svm(c, x, y, groups, valid_x, valid_y)
    elif head == "knn":
        model, train_only, info = fit_knn(x, y, valid_x, valid_y)
    else:
        model, train_only, info = fit_logreg(c.config.seed, x, y, valid_x, valid_y, logreg_c,
                                             c.train.weights)
    # validation metrics come from the train-only model (the final one has seen those clips)
    valid_metrics = (fitting.side_metrics(valid_y, _valid_proba(head, train_only, valid_x),
                                          c.valid.groups) if train_only is not None else None)
    metrics = {head: fitting.head_metrics(
        fitting.side_metrics(c.test.y, fitting.full_proba(model, c.test.x), c.test.groups),
        valid_metrics)}
    info.update({"classes": [int(k) for k in model.classes_],
                 "fitted_on": "train+valid" if len(valid_y) else "train"})
    if getattr(c.config, "refit_all", False) and head == LOGREG and len(c.test):
        c.emit("stage", message=f"refitting the {head.upper()} head on every clip (test figures "
                                "measured before)")
        model = refit_everything(c, logreg_c)
        info["fitted_on"] = ("train+valid+test: refitted on every clip after the test figures "
                             "were measured with the same recipe fitted on train+valid")
    return FitOutcome(metrics, {head: info}, {f"{head}.skops": model}, [int(x.shape[1])],
                      primary=head, card=card)
