"""Transfer learning: SVM or KNN heads on musicnn embeddings (a tagger pretrained on the MSD).

The network (core.models.musicnn_net, weights shared in models/pretrained/musicnn) is not trained here;
a run saves only its head. One example per clip: the mean over the clip's 3-s patches of the
``max_pool``, ``mean_pool`` and ``penultimate`` outputs, concatenated (1706 numbers; the best
embedding of research/musicnn_gtzan4.py). Heads: StandardScaler -> RBF SVM with C chosen by
validation accuracy (grouped CV on the training side when there is no validation side), refitted
on train+valid and Platt-calibrated; or StandardScaler -> KNN (k = 5) fitted on train+valid.
The network hears the clip at its own level: no high-pass, trimming or normalisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.models.base import SKLEARN_HEADS, Family, FitContext, FitOutcome
from core.features import musicnn_input
from core.models import musicnn_net
from core.features.study import FeatureSet
from core.models import fitting
from core.constants import GENRES
from core.models import loading

KINDS: tuple[str, ...] = ("musicnn",)
FEATURE = "embeddings"                       #: the card's feature name
FEATURE_KIND = "musicnn_embedding"           #: one row per clip: clip means concatenated
TAGGRAM_KIND = "musicnn_taggram"             #: (1, 50) clip mean of the MSD tag probabilities
PATCHES_KIND = "musicnn_patches"             #: (n, 187, 96) the network's log-mel input patches
OUTPUTS: tuple[str, ...] = ("max_pool", "mean_pool", "penultimate")
C_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
KNN_K: int = 5
TOP_TAGS: int = 5                            #: MSD tags shown beside the genre


def head_files(kind: str, head: str) -> tuple[str, ...]:
    """The saved head only (the network's weights are shared in models/pretrained/musicnn)."""
    return (f"{head}.skops",) if head in SKLEARN_HEADS else ()


def title(kind: str, feature: str, head: str) -> str:
    """"musicnn+SVM on MSD embeddings"."""
    return f"musicnn+{head.upper()} on MSD embeddings"


def extract(tracks: Any, config: Any, progress: bool) -> Any:
    """A FeatureSet of one example per clip (FEATURE_KIND: clip means of OUTPUTS), from the
    cached musicnn embeddings (core.models.musicnn_net.embed_tracks)."""
    patches = musicnn_net.embed_tracks(list(tracks), n_jobs=int(config.n_jobs), progress=progress,
                                   cache=True)
    rows = musicnn_net.clip_means(patches, OUTPUTS) if patches.track_ids.size else np.zeros(
        (0, sum(musicnn_net.EMBEDDING_DIMS[k] for k in OUTPUTS)), np.float32)
    return FeatureSet(kinds=(FEATURE_KIND,), features={FEATURE_KIND: rows},
                      segment_track=patches.track_ids.copy(),
                      segment_label=patches.track_labels.copy(), track_ids=patches.track_ids,
                      track_labels=patches.track_labels, skipped=list(patches.skipped),
                      cache_hits=patches.cache_hits)


def _svm(c: float, seed: int, balance: str | None) -> Any:
    """StandardScaler -> RBF SVC (scores only)."""
    # deferred: core.models.baselines imports scikit-learn (seconds); listing the families stays light
    from core.models.baselines import make_pipeline

    return make_pipeline("svm", seed, balance).set_params(clf__C=float(c))


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows predicted right."""
    return float(np.mean(model.predict(x) == y))


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
    all_x = np.concatenate([x, valid_x]) if len(valid_y) else x
    all_y = np.concatenate([y, valid_y]) if len(valid_y) else y
    all_groups = np.concatenate([groups, context.valid.groups]) if len(valid_y) else groups
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
    # deferred: core.models.baselines imports scikit-learn (seconds); listing the families stays light
    from core.models.baselines import make_pipeline

    k = max(1, min(KNN_K, len(y)))
    train_only = make_pipeline("knn").set_params(clf__n_neighbors=k).fit(x, y) \
        if len(valid_y) else None
    all_x = np.concatenate([x, valid_x]) if len(valid_y) else x
    all_y = np.concatenate([y, valid_y]) if len(valid_y) else y
    model = make_pipeline("knn").set_params(clf__n_neighbors=max(1, min(KNN_K, len(all_y))))
    return model.fit(all_x, all_y), train_only, {"best_params": {"n_neighbors": k}}


def fit(context: FitContext) -> FitOutcome:
    """Fit the chosen head (config.head, default svm) on the clips' embeddings."""
    c = context
    head = c.config.head or "svm"
    fitting.check_stop(c.stop, "before fitting")
    x, y, groups = (np.asarray(c.train.x, np.float64), c.train.y, c.train.groups)
    valid_x = np.asarray(c.valid.x, np.float64).reshape(len(c.valid), x.shape[1])
    valid_y = c.valid.y
    c.emit("stage", message=f"fitting the {head.upper()} head on {x.shape[1]}-d musicnn "
                            f"embeddings of {len(y)} training clips"
                            + (f" (+{len(valid_y)} validation clips)" if len(valid_y) else ""))
    if head == "svm":
        model, train_only, info = fit_svm(c, x, y, groups, valid_x, valid_y)
    else:
        model, train_only, info = fit_knn(x, y, valid_x, valid_y)
    # validation metrics come from the train-only model (the final one has seen those clips)
    valid_metrics = (fitting.side_metrics(valid_y, _one_hot(train_only, valid_x), c.valid.groups)
                     if train_only is not None else None)
    metrics = {head: fitting.head_metrics(
        fitting.side_metrics(c.test.y, fitting.full_proba(model, c.test.x), c.test.groups),
        valid_metrics)}
    info.update({"classes": [int(k) for k in model.classes_],
                 "fitted_on": "train+valid" if len(valid_y) else "train"})
    card = {"embedding": {"network": "MSD_musicnn (musicnn 0.1.0, ISC licence)",
                          "weights_sha256": musicnn_net.weights_sha256(), "outputs": list(OUTPUTS),
                          "example": "one per clip: the mean of its 3-s patches' outputs, "
                                     "concatenated"}}
    return FitOutcome(metrics, {head: info}, {f"{head}.skops": model}, [int(x.shape[1])],
                      primary=head, card=card)


def _one_hot(model: Any, x: np.ndarray) -> np.ndarray:
    """One-hot (n, 10) of the predictions of a model without probabilities (the train-only SVM)."""
    out = np.zeros((len(x), len(GENRES)))
    if len(x):
        out[np.arange(len(x)), np.asarray(model.predict(x), dtype=int)] = 1.0
    return out


def clip_patches(raw: np.ndarray) -> dict[str, np.ndarray]:
    """PATCHES_KIND: the network's log-mel input patches (n, 187, 96) float32 of a raw clip at
    22050 Hz (own level); numpy only. AudioError when the clip is under 3 s or silent."""
    return {PATCHES_KIND: musicnn_input.clip_patches(raw)}


def patches_embedding(patches: np.ndarray) -> dict[str, np.ndarray]:
    """FEATURE_KIND (1, 1706) and TAGGRAM_KIND (1, 50) of a clip's log-mel patches (the network
    runs here); ModelFileError (a WeightsError) when the weights file is missing or damaged."""
    out = musicnn_net.embed_patches(patches)
    row = np.concatenate([out[k].mean(axis=0) for k in OUTPUTS])[None].astype(np.float32)
    return {FEATURE_KIND: row, TAGGRAM_KIND: out["taggram"].mean(axis=0)[None].astype(np.float32)}


def clip_embedding(raw: np.ndarray) -> dict[str, np.ndarray]:
    """FEATURE_KIND (1, 1706) and TAGGRAM_KIND (1, 50) of a raw clip at 22050 Hz (own level):
    patches_embedding of clip_patches."""
    return patches_embedding(clip_patches(raw)[PATCHES_KIND])


def score(entry: Any, feats: Any) -> tuple:
    """Probabilities (1, 10) of the run's head on the clip's embedding (whole-clip model)."""
    x = feats.get(FEATURE_KIND, entry.filter_noise)
    return loading.sklearn_proba(loading.load_head(entry, entry.head), x), False


def tags(entry: Any, feats: Any) -> tuple[tuple[str, float], ...]:
    """The network's own TOP_TAGS MSD tags for the clip: ((tag, probability), ...)."""
    return tuple(musicnn_net.top_tags(feats.get(TAGGRAM_KIND, entry.filter_noise)[0], TOP_TAGS))


FAMILY = Family(
    name="musicnn", kinds=KINDS, labels={"musicnn": "musicnn"}, features={"musicnn": (FEATURE,)},
    feature_kinds={FEATURE: FEATURE_KIND}, feature_labels={FEATURE: "MSD embeddings"},
    help={"musicnn": "Beyond the study: SVM or KNN on the embeddings of musicnn, a network "
                     "pretrained to tag 200,000 songs of the Million Song Dataset (transfer "
                     "learning; only the head is trained here)."},
    descriptions={"musicnn": "SVM/KNN head on musicnn embeddings (pretrained MSD tagger)"},
    feature_descriptions={FEATURE: "musicnn's max_pool, mean_pool and penultimate outputs, mean "
                                   "of the 3-s patches (1706 numbers per clip)"},
    head_files=head_files, default_head=lambda kind: "svm",
    clip_kind=lambda entry: FEATURE_KIND, score=score, fit=fit, predicts_keras=True,
    sklearn_heads=True, head_choices={"musicnn": SKLEARN_HEADS}, title=title, extract=extract,
    clip_features={PATCHES_KIND: clip_patches, FEATURE_KIND: patches_embedding},
    clip_feature_sources={FEATURE_KIND: PATCHES_KIND}, tags=tags, beyond_study=True,
    filters_noise=False,
    form_note="The pretrained network is not trained: only the head is. The SVM's C is chosen "
              "on the validation tracks (grouped cross-validation on the training tracks when "
              "there are none), then refitted on train+valid; the KNN uses k = 5.",
)
