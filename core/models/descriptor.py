"""SVM and KNN on Kaggle's 57 whole-clip descriptors (core.training.table_models trains them from the
table; prediction computes the descriptors of each ~30-s window of the raw clip)."""

from __future__ import annotations

from typing import Any

from core.models.base import Family, sklearn_head_files
from core.features.descriptors import DESCRIPTOR_COLUMNS
from core.models.persistence import ModelFileError
from core.models import loading

KINDS: tuple[str, ...] = ("descriptor_svm", "descriptor_knn")


def columns(entry: Any) -> list[int]:
    """Indices, in descriptors.DESCRIPTOR_COLUMNS, of the columns a descriptor model was fitted on.
    The card's "columns" (names, in the model's order) when given, else all 57 in table order.
    """
    names = entry.card.get("columns") or list(DESCRIPTOR_COLUMNS)
    unknown = [n for n in names if n not in DESCRIPTOR_COLUMNS]
    if unknown:
        raise ModelFileError(f"{entry.label}: card names unknown descriptor columns {unknown[:5]}")
    return [DESCRIPTOR_COLUMNS.index(n) for n in names]


def score(entry: Any, feats: Any) -> tuple:
    """Probabilities of each ~30-s window's descriptors (whole-clip model)."""
    x = feats.get("descriptors", True)[:, columns(entry)]
    return loading.sklearn_proba(loading.load_head(entry, entry.head), x), False


FAMILY = Family(
    name="descriptor", kinds=KINDS, labels={"descriptor_svm": "SVM", "descriptor_knn": "KNN"},
    features={k: ("descriptors",) for k in KINDS}, feature_kinds={"descriptors": "descriptors"},
    feature_labels={"descriptors": "Kaggle descriptors"},
    help={"descriptor_svm": "SVM on Kaggle's 57 whole-clip descriptors (trained from the table).",
          "descriptor_knn": "KNN on Kaggle's 57 whole-clip descriptors (trained from the table)."},
    descriptions={"descriptor_svm": "SVM on whole-clip descriptors",
                  "descriptor_knn": "KNN on whole-clip descriptors"},
    feature_descriptions={"descriptors": "Kaggle's 57 whole-clip descriptors"},
    head_files=sklearn_head_files, default_head=lambda kind: kind.rsplit("_", 1)[-1],
    clip_kind=lambda entry: "descriptors", score=score, trained_from="table",
)
