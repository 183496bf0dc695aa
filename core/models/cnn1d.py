"""The study's 1D-CNN (Table 3) on the MFCC matrix of 15-s windows; predicts with its softmax."""

from __future__ import annotations

from typing import Any

from core.models import keras_nets
from core.models.base import Family
from core.constants import PAPER_RESULTS
from core.models.segment_sklearn import PAPER_FEATURE

KINDS: tuple[str, ...] = ("cnn1d",)
#: feature kind prediction computes: (windows, 646, 30) MFCC matrices of consecutive 15-s windows
CLIP_KIND = "mfcc_seq_windows"


def paper_key(kind: str, feature: str, head: str) -> str | None:
    """The study's 1D-CNN on MFCC figure (None for other features)."""
    key = f"{kind}_{PAPER_FEATURE.get(feature)}"
    return key if key in PAPER_RESULTS else None


def score(entry: Any, feats: Any) -> tuple:
    """Softmax of each 15-s window (whole-clip model: not per 3-s segment)."""
    return keras_nets.score_softmax(entry, feats.get(CLIP_KIND, entry.filter_noise)), False


FAMILY = Family(
    name="cnn1d", kinds=KINDS, labels={"cnn1d": "1D-CNN"}, features={"cnn1d": ("mfcc_seq",)},
    feature_kinds={"mfcc_seq": "mfcc_seq"}, feature_labels={"mfcc_seq": "MFCC"},
    help={"cnn1d": "1D convolutional network on the first 15 s of MFCCs of each track "
                   "(Table 3)."},
    descriptions={"cnn1d": "1-D convolutional network"},
    feature_descriptions={"mfcc_seq": "MFCC sequence of the first 15 s (646 frames x 30)"},
    head_files=keras_nets.softmax_head_files, default_head=lambda kind: "softmax",
    clip_kind=lambda entry: CLIP_KIND, score=score, fit=keras_nets.fit, trains_keras=True,
    predicts_keras=True, paper_key=paper_key,
)
