"""The study's 2D-CNN (Table 3) on each 3-s segment's log-mel spectrogram; softmax head."""

from __future__ import annotations

from typing import Any

from core.models import keras_nets
from core.models.base import Family
from core.constants import PAPER_RESULTS
from core.models.segment_sklearn import PAPER_FEATURE

KINDS: tuple[str, ...] = ("cnn2d",)


def paper_key(kind: str, feature: str, head: str) -> str | None:
    """The study's 2D-CNN on log-mel figure (None for other features)."""
    key = f"{kind}_{PAPER_FEATURE.get(feature)}"
    return key if key in PAPER_RESULTS else None


def score(entry: Any, feats: Any) -> tuple:
    """Softmax of each 3-s segment's log-mel."""
    return keras_nets.score_softmax(entry, feats.get("logmel", entry.filter_noise)), True


FAMILY = Family(
    name="cnn2d", kinds=KINDS, labels={"cnn2d": "2D-CNN"}, features={"cnn2d": ("logmel",)},
    feature_kinds={"logmel": "logmel"}, feature_labels={"logmel": "log-mel"},
    help={"cnn2d": "2D convolutional network on each segment's log-mel spectrogram (Table 3)."},
    descriptions={"cnn2d": "2-D convolutional network"},
    feature_descriptions={"logmel": "log-mel spectrogram (128 bands x 130 frames per 3-s "
                                    "segment)"},
    head_files=keras_nets.softmax_head_files, default_head=lambda kind: "softmax",
    clip_kind=lambda entry: "logmel", score=score, fit=keras_nets.fit, trains_keras=True,
    predicts_keras=True, paper_key=paper_key,
)
