"""What a model family declares: its kinds, labels, features, heads, how it is fitted and scored.

A family is one module of core.models holding a ``FAMILY = Family(...)``. The training runner
(core.training.runner) calls ``fit`` with a FitContext and saves what it returns; prediction
(core.prediction.streaming) calls ``clip_kind`` and ``score`` for one clip. Nothing here imports
TensorFlow; the callables import what they need when called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

SOFTMAX_HEAD = "softmax"
SKLEARN_HEADS: tuple[str, ...] = ("svm", "knn")
KERAS_FILE = "model.keras"


@dataclass
class FitContext:
    """Everything a family's fit needs from the runner: the config, the sides, events, stop."""
    config: Any                   #: core.training.config.TrainConfig
    kind: str                     #: the feature kind of the sides' arrays
    train: Any                    #: core.models.fitting.SideData
    valid: Any
    test: Any
    genres: tuple[str, ...]       #: the run's label set (GENRES order)
    balance: str | None           #: "balanced" when the SVM heads weight classes, else None
    valid_source: str             #: words saying where the validation tracks come from
    emit: Callable[..., dict]     #: core.models.fitting.Emitter
    stop: Any                     #: core.models.fitting.StopFlag


@dataclass
class FitOutcome:
    """What a fit gives the runner: metrics per head, files to save and the training record."""
    metrics: dict[str, dict]                  #: head -> {"test": ..., "valid": ...}
    heads: dict[str, dict]                    #: head -> best params, CV score, classes, ...
    files: dict[str, Any]                     #: file name -> object (model.keras or a skops head)
    input_shape: list[int]
    primary: str                              #: the head used for prediction
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    stop_reason: str | None = None
    class_weight: dict[int, float] | None = None
    card: dict = field(default_factory=dict)  #: extra card entries of this family


def no_fit(context: FitContext) -> FitOutcome:
    """Placeholder fit of families the audio training runner does not train (raises)."""
    raise ValueError(f"model {context.config.model!r} is not trained from audio clips")


@dataclass(frozen=True)
class Family:
    """One model family: every table and callable the runner, prediction and pages need."""
    name: str                                   #: module name, e.g. "lstm"
    kinds: tuple[str, ...]                      #: model kinds (card["model"]) of this family
    labels: dict[str, str]                      #: kind -> short display name ("LSTM")
    features: dict[str, tuple[str, ...]]        #: kind -> feature names accepted (first = default)
    feature_kinds: dict[str, str]               #: feature name -> core.features.study kind it reads
    feature_labels: dict[str, str]              #: feature name -> display name ("MFCC")
    help: dict[str, str]                        #: kind -> plain words for the Training console
    descriptions: dict[str, str]                #: kind -> long name for reports
    feature_descriptions: dict[str, str]        #: feature name -> long words for reports
    head_files: Callable[[str, str], tuple[str, ...]]   #: (kind, head) -> files (() if invalid)
    default_head: Callable[[str], str]          #: kind -> head used when the card names none
    clip_kind: Callable[[Any], str]             #: ModelEntry -> feature kind prediction computes
    score: Callable[[Any, Any], tuple]          #: (ModelEntry, clip features) -> (proba, per_seg)
    fit: Callable[[FitContext], FitOutcome] = no_fit
    trains_keras: bool = False                  #: training runs epochs of a Keras model
    predicts_keras: bool = False                #: prediction needs TensorFlow/Keras
    sklearn_heads: bool = False                 #: SVM/KNN heads searched/fitted at training
    trained_from: str = "audio"                 #: "audio" (core.training.runner) or "table"
    head_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  #: kind -> --head
    paper_key: Callable[[str, str, str], str | None] = lambda kind, feature, head: None
    title: Callable[[str, str, str], str] | None = None   #: (kind, feature, head) -> name
    extract: Callable[..., Any] | None = None   #: (tracks, config, progress) -> FeatureSet
    clip_features: dict[str, Callable[[Any], dict]] = field(default_factory=dict)
    #: clip feature kind -> the clip feature kind it is computed from instead of the raw clip;
    #: the source is numpy-only (batch workers compute it), the feature may run a Keras network
    clip_feature_sources: dict[str, str] = field(default_factory=dict)
    tags: Callable[[Any, Any], tuple] | None = None      #: (entry, feats) -> ((tag, p), ...)
    tags_label: str = ""                        #: what the tags are, e.g. "MSD tags"
    tags_note: str = ""                         #: caption saying what the tags mean
    beyond_study: bool = False                  #: shown in Results' "Beyond the study"
    filters_noise: bool = True                  #: may high-pass clips (TrainConfig.filter_noise)
    form_note: str = ""                         #: caption on the Training console

    def model_title(self, kind: str, feature: str, head: str) -> str:
        """Short name of a model with its head and feature, e.g. "SVM on MFCC"."""
        if self.title is not None:
            return self.title(kind, feature, head)
        return f"{self.labels.get(kind, kind)} on {self.feature_labels.get(feature, feature)}"


def sklearn_head_files(kind: str, head: str) -> tuple[str, ...]:
    """The files of a model that is one scikit-learn head named after its kind's last part."""
    own = kind.rsplit("_", 1)[-1]
    return (f"{own}.skops",) if head == own else ()
