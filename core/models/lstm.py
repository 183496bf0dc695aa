"""The study's Table 2: an LSTM (or BiLSTM) on ZCR / MFCC statistics, whose 128-d deep feature
feeds SVM and KNN heads; the head with the best validation accuracy predicts."""

from __future__ import annotations

from typing import Any

from core.models import keras_nets, segment_sklearn
from core.models.base import KERAS_FILE, SKLEARN_HEADS, SOFTMAX_HEAD, Family, FitContext, FitOutcome
from core.constants import PAPER_RESULTS
from core.models import networks
from core.models import loading

KINDS: tuple[str, ...] = ("lstm", "bilstm")
HEAD_ORDER: tuple[str, ...] = ("svm", "knn", "softmax")   #: ties of validation accuracy


def head_files(kind: str, head: str) -> tuple[str, ...]:
    """model.keras, plus the SVM/KNN head's file for those heads."""
    if head in SKLEARN_HEADS:
        return (KERAS_FILE, f"{head}.skops")
    return (KERAS_FILE,) if head == SOFTMAX_HEAD else ()


def paper_key(kind: str, feature: str, head: str) -> str | None:
    """The study's LSTM+SVM / LSTM+KNN figures (the BiLSTM and the softmax were not published)."""
    if kind != "lstm" or head not in SKLEARN_HEADS:
        return None
    key = f"lstm_{head}_{segment_sklearn.PAPER_FEATURE.get(feature)}"
    return key if key in PAPER_RESULTS else None


def title(kind: str, feature: str, head: str) -> str:
    """"LSTM+SVM on MFCC", or "LSTM (softmax) on MFCC"."""
    name = FAMILY.labels.get(kind, kind)
    name += f"+{head.upper()}" if head != SOFTMAX_HEAD else " (softmax)"
    return f"{name} on {FAMILY.feature_labels.get(feature, feature)}"


def choose_primary(metrics: dict) -> str:
    """The head with the best validation track (then segment) accuracy; ties: svm, knn, softmax."""
    def rank(head: str) -> tuple:
        valid = metrics[head].get("valid")
        if not valid:
            return (0.0, 0.0, -HEAD_ORDER.index(head))
        return (valid["track_accuracy"], valid["segment_accuracy"], -HEAD_ORDER.index(head))

    return max(HEAD_ORDER, key=rank)


def fit(context: FitContext) -> FitOutcome:
    """Train the network, then fit SVM and KNN heads on its deep features of the training side."""
    c, model_kind = context, context.config.model
    outcome, model = keras_nets.fit_network(c)
    extractor = networks.deep_feature_model(model)
    x_train, x_test, x_valid = (networks.as_model_input(model_kind, c.kind, side.x)
                                for side in (c.train, c.test, c.valid))
    f_train, f_test, f_valid = (networks.deep_features(extractor, x)
                                for x in (x_train, x_test, x_valid))
    for head in SKLEARN_HEADS:
        c.emit("stage", message=f"fitting {head.upper()} on the {f_train.shape[1]}-d deep "
                                "features of the training side")
        metrics, info, estimator = segment_sklearn.fit_head(
            c, head, f_train, f_test, f_valid, {"deep_feature_dim": int(f_train.shape[1])})
        outcome.metrics[head], outcome.heads[head] = metrics, info
        outcome.files[f"{head}.skops"] = estimator
    outcome.primary = choose_primary(outcome.metrics)
    return outcome


def score(entry: Any, feats: Any) -> tuple:
    """Per-segment probabilities: the softmax, or the SVM/KNN head on the deep feature."""
    x = feats.get(segment_sklearn.segment_kind(entry), entry.filter_noise)
    if entry.head == SOFTMAX_HEAD:
        return keras_nets.score_softmax(entry, x), True
    deep = loading.load_keras(entry)(x, loading.DEEP_FEATURE_LAYER)
    head = loading.load_head(entry, entry.head)
    return loading.sklearn_proba(head, deep.reshape(len(deep), -1)), True


FAMILY = Family(
    name="lstm", kinds=KINDS, labels={"lstm": "LSTM", "bilstm": "BiLSTM"},
    features={k: ("mfcc", "zcr") for k in KINDS}, feature_kinds=segment_sklearn.FEATURE_KINDS,
    feature_labels=segment_sklearn.FEATURE_LABELS,
    help={"lstm": "LSTM network; its 128-d deep feature then feeds SVM and KNN heads (Table 2).",
          "bilstm": "Bidirectional LSTM with the same SVM and KNN heads (a variant of Table 2)."},
    descriptions={"lstm": "LSTM network", "bilstm": "bidirectional LSTM network"},
    feature_descriptions=segment_sklearn.FEATURE_DESCRIPTIONS,
    head_files=head_files, default_head=lambda kind: "svm",
    clip_kind=segment_sklearn.segment_kind, score=score, fit=fit, trains_keras=True,
    predicts_keras=True, sklearn_heads=True, paper_key=paper_key, title=title,
)
