"""Whole-clip descriptor models (Kaggle's 57 columns): SVM and KNN trained from a feature table."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PowerTransformer
from sklearn.svm import SVC

from core import config, evaluation
from core.data import splits
from core.models.baselines import calibrated
from core.constants import DEFAULT_SEED, GENRES
from core.features.kaggle_table import KaggleTable, load_table
from core.models.persistence import RunWriter, new_run_id

#: The recipe: Yeo-Johnson power transform, shrinkage-LDA projection (9-d), then SVM or KNN.
TABLE_GRIDS: dict[str, dict[str, list]] = {
    "svm": {"lda__shrinkage": [0.05, 0.1, 0.2], "clf__C": [0.3, 1.0, 3.0]},
    "knn": {"lda__shrinkage": [0.05, 0.1, 0.2], "clf__n_neighbors": [9, 15, 25]},
}
NAMES: dict[str, str] = {"svm": "Descriptor SVM", "knn": "Descriptor KNN"}


def table_pipeline(kind: str, seed: int = DEFAULT_SEED) -> Pipeline:
    """Power transform + shrinkage LDA + classifier ("svm" RBF SVC or "knn" distance-weighted)."""
    if kind == "svm":
        clf = SVC(kernel="rbf", random_state=seed)
    elif kind == "knn":
        clf = KNeighborsClassifier(weights="distance")
    else:
        raise ValueError(f"unknown classifier {kind!r}; choose svm or knn")
    lda = LinearDiscriminantAnalysis(solver="eigen")
    return Pipeline([("power", PowerTransformer()), ("lda", lda), ("clf", clf)])


def _search_folds(ids: np.ndarray, y: np.ndarray, split: splits.Split,
                  seed: int) -> tuple[list, str]:
    """Model-selection folds on the fitting side: train<->valid when artist-disjoint, else grouped CV."""
    if split.protocol == splits.FILTERED_PROTOCOL and split.valid:
        is_valid = np.isin(ids, split.valid)
        a, b = np.flatnonzero(~is_valid), np.flatnonzero(is_valid)
        return [(a, b), (b, a)], "artist-disjoint 2-fold (train->valid, valid->train)"
    cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    return list(cv.split(np.zeros(len(y)), y, ids)), "5-fold CV grouped by track"


def fit_table_model(kind: str, X: np.ndarray, y: np.ndarray, ids: np.ndarray,
                    split: splits.Split, seed: int = DEFAULT_SEED) -> tuple[Pipeline, dict]:
    """Choose the recipe's parameters on the fitting side only, refit there, calibrate SVM scores."""
    folds, how = _search_folds(ids, y, split, seed)
    search = GridSearchCV(table_pipeline(kind, seed), TABLE_GRIDS[kind], cv=folds,
                          scoring="accuracy", refit=False).fit(X, y)
    best = dict(search.best_params_)
    model = table_pipeline(kind, seed).set_params(**best)
    if kind == "svm":
        model.set_params(clf=calibrated(model.named_steps["clf"], folds))
    model.fit(X, y)
    tried = [{"params": {k: (v if isinstance(v, str) else float(v)) for k, v in p.items()},
              "score": float(s)}
             for p, s in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])]
    return model, {"selection": how, "best_params": best, "best_score": float(search.best_score_),
                   "tried": tried}


def _evaluate_side(model: Pipeline, table: KaggleTable, side: tuple[str, ...]) -> dict:
    """Metrics on the rows of the given track ids (segment = row, track = vote over rows)."""
    rows = np.isin(table.track_ids, side)
    proba = model.predict_proba(table.X[rows])
    return evaluation.evaluate(table.labels[rows], proba, table.track_ids[rows])


def train_table_model(table_path: str | Path, kind: str = "svm",
                      splits_folder: str | Path | None = None, seed: int = DEFAULT_SEED,
                      out_root: str | Path | None = None, test_size: float = 0.3) -> Path:
    """Fit a descriptor model and save it as a run with an honest card.
    With split lists: fit on the artist-filtered train+valid sides, report its test side. Always also
    report a seeded random track split (a separate fit on its train side, scored on its test side).
    """
    started = time.perf_counter()
    table = load_table(table_path)
    ids = table.track_ids
    random_split = splits.random_track_split(list(set(ids)), test_size=test_size, valid_size=0.0,
                                             seed=seed)
    splits_folder = splits_folder or config.splits_path()
    main_split = (splits.artist_filtered_split(list(set(ids)), splits_folder)
                  if splits_folder else random_split)
    metrics: dict[str, dict] = {}
    fit_ids = main_split.train + main_split.valid
    rows = np.isin(ids, fit_ids)
    model, search = fit_table_model(kind, table.X[rows], table.labels[rows], ids[rows],
                                    main_split, seed)
    metrics[kind] = {"test": _evaluate_side(model, table, main_split.test)}
    if main_split is not random_split:
        r_rows = np.isin(ids, random_split.train)
        r_model, r_search = fit_table_model(kind, table.X[r_rows], table.labels[r_rows],
                                            ids[r_rows], random_split, seed)
        metrics[kind]["random_test"] = _evaluate_side(r_model, table, random_split.test)
        metrics[kind]["random_protocol"] = random_split.label()
    writer = RunWriter(Path(out_root) if out_root else config.runs_dir(),
                       new_run_id(f"descriptor-{kind}"))
    try:
        writer.save_sklearn(model, f"{kind}.skops")
        card = {
            "name": f"{NAMES[kind]} on Kaggle's 57 whole-clip descriptors",
            "model": f"descriptor_{kind}", "feature": "descriptors", "primary": kind,
            "columns": list(table.columns), "genres": list(GENRES),
            "config": {"table": Path(table_path).name, "seed": seed, "kind": kind,
                       "recipe": "PowerTransformer -> shrinkage LDA -> " + kind.upper()},
            "data": {"source": f"Kaggle GTZAN feature table {Path(table_path).name}",
                     "synthetic": False, "n_tracks": int(len(set(ids))), "n_rows": len(table),
                     "fitted_on": f"{len(fit_ids)} tracks ({main_split.protocol} train+valid)",
                     "skipped": [[d, "non-finite values"] for d in table.dropped]},
            "protocol": main_split.to_dict() | {"label": main_split.label()},
            "search": search, "metrics": metrics,
            "elapsed_s": round(time.perf_counter() - started, 2),
        }
        return writer.commit(card)
    except BaseException:
        writer.abort()
        raise
