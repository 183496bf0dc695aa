"""The study's Table 1: SVM and KNN on each 3-s segment's ZCR or MFCC statistics."""

from __future__ import annotations

from typing import Any

from core.models.base import Family, FitContext, FitOutcome, sklearn_head_files
from core.constants import PAPER_RESULTS
from core.models.persistence import ModelFileError
from core.models import loading
from core.models import fitting

KINDS: tuple[str, ...] = ("svm", "knn")
#: study feature names -> core.features.study kind (shared with the LSTM family)
FEATURE_KINDS: dict[str, str] = {"zcr": "zcr", "mfcc": "mfcc_stats"}
FEATURE_LABELS: dict[str, str] = {"zcr": "ZCR", "mfcc": "MFCC", "mfcc_stats": "MFCC"}
FEATURE_DESCRIPTIONS: dict[str, str] = {
    "zcr": "zero-crossing rate (30 steps per 3-s segment)",
    "mfcc": "MFCC means and variances (60 numbers per 3-s segment)",
}
PAPER_FEATURE: dict[str, str] = {"mfcc": "mfcc", "zcr": "zcr", "mfcc_seq": "mfcc", "logmel": "mel"}


def paper_key(kind: str, feature: str, head: str) -> str | None:
    """Key of core.constants.PAPER_RESULTS for an SVM/KNN on a feature, or None."""
    key = f"{kind}_{PAPER_FEATURE.get(feature)}"
    return key if key in PAPER_RESULTS else None


def segment_kind(entry: Any) -> str:
    """The core.features.study kind of a segment model's card feature (zcr or mfcc_stats)."""
    feature = entry.feature
    if feature in ("mfcc", "mfcc_stats"):
        return "mfcc_stats"
    if feature == "zcr":
        return "zcr"
    raise ModelFileError(f"{entry.label}: unknown feature {feature!r} for model {entry.model!r}")


def score(entry: Any, feats: Any) -> tuple:
    """Per-segment probabilities (n_seg, 10) of the run's scikit-learn head."""
    x = feats.get(segment_kind(entry), entry.filter_noise)
    return loading.sklearn_proba(loading.load_head(entry, entry.head), x), True


def fit_head(context: FitContext, head: str, x_train: Any, x_test: Any, x_valid: Any,
             extra: dict | None = None) -> tuple[dict, dict, Any]:
    """Fit one SVM/KNN head by grouped CV on the training side: (metrics, info, estimator)."""
    # deferred: core.models.baselines imports scikit-learn (seconds); listing the families stays light
    from core.models.baselines import fit_classifier

    c = context
    fit = fit_classifier(head, x_train, c.train.y, c.train.groups, seed=c.config.seed,
                         search=c.config.search, class_weight=c.balance)
    metrics = fitting.head_metrics(
        fitting.side_metrics(c.test.y, fitting.full_proba(fit.model, x_test), c.test.groups),
        fitting.side_metrics(c.valid.y, fitting.full_proba(fit.model, x_valid), c.valid.groups))
    info = {"best_params": fit.best_params, "cv_accuracy": fit.cv_accuracy,
            "classes": [int(k) for k in fit.model.classes_], **(extra or {})}
    return metrics, info, fit.model


def fit(context: FitContext) -> FitOutcome:
    """Grouped-CV search and fit of the SVM or KNN on the segments of the training side."""
    model = context.config.model
    fitting.check_stop(context.stop, "before fitting")
    context.emit("stage", message=f"fitting {FAMILY.labels[model]} (grouped CV on the training "
                                  "side)")
    metrics, info, estimator = fit_head(context, model, context.train.x, context.test.x,
                                        context.valid.x)
    return FitOutcome({model: metrics}, {model: info}, {f"{model}.skops": estimator},
                      list(context.train.x.shape[1:]), primary=model)


FAMILY = Family(
    name="segment_sklearn", kinds=KINDS, labels={"svm": "SVM", "knn": "KNN"},
    features={k: ("mfcc", "zcr") for k in KINDS}, feature_kinds=FEATURE_KINDS,
    feature_labels=FEATURE_LABELS,
    help={"svm": "Support-vector machine on each 3-s segment's features (the study's Table 1).",
          "knn": "k-nearest neighbours on each 3-s segment's features (Table 1)."},
    descriptions={"svm": "support-vector machine (SVM)", "knn": "k-nearest neighbours (KNN)"},
    feature_descriptions=FEATURE_DESCRIPTIONS,
    head_files=sklearn_head_files, default_head=lambda kind: kind, clip_kind=segment_kind,
    score=score, fit=fit, sklearn_heads=True, paper_key=paper_key,
    form_note="The SVM's C and gamma, or the KNN's k, are chosen by cross-validation on the "
              "training tracks only (segments of one track never straddle two folds).",
)
