"""What a training run is asked to do: TrainConfig, the model kinds it trains, the split protocols."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Sequence

from core import models
from core.constants import DEFAULT_SEED, GENRES
from core.features import augment
from core.models.fitting import TrainingError


SKLEARN_MODELS: tuple[str, ...] = models.segment_sklearn.KINDS


LSTM_MODELS: tuple[str, ...] = models.lstm.KINDS


KERAS_MODELS: tuple[str, ...] = models.TRAINS_KERAS


#: model kinds this runner trains from audio clips (the descriptor models train from a table)
MODELS: tuple[str, ...] = models.AUDIO_KINDS


#: study feature names each model accepts (first = default)
MODEL_FEATURES: dict[str, tuple[str, ...]] = {k: models.MODEL_FEATURES[k] for k in MODELS}


#: core.features.study kind behind each study feature name
FEATURE_KIND: dict[str, str] = {n: k for n, k in models.FEATURE_KIND.items()
                                if any(n in MODEL_FEATURES[m] for m in MODELS)}


MODEL_LABELS: dict[str, str] = {k: models.MODEL_LABELS[k] for k in MODELS}


FEATURE_LABELS: dict[str, str] = {n: models.FEATURE_LABELS[n] for n in FEATURE_KIND}


PROTOCOLS: tuple[str, ...] = ("random-track", "artist-filtered", "artist-grouped")


CARVED_VALID_FRACTION: float = 0.15  #: fraction of training tracks held out for early stopping


def paper_key(model: str, feature: str, head: str) -> str | None:
    """Key of core.constants.PAPER_RESULTS for one model/feature/head, or None if unpublished."""
    return models.paper_key(model, feature, head)


def _no_augmentation() -> dict[str, bool]:
    """All augmentations off."""
    return {k: False for k in augment.AUGMENT_KINDS}


@dataclass
class TrainConfig:
    """Everything a training run depends on (JSON-ready; saved in the card and job folder)."""
    model: str = "lstm"
    feature: str | None = None          #: None = the model's default feature
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3
    augment: dict = field(default_factory=_no_augmentation)
    protocol: str = "random-track"
    splits_path: str | None = None      #: folder of *_filtered.txt (artist-filtered protocol)
    artists_path: str | None = None     #: artist index, GTZANindex.txt (artist-grouped protocol)
    seed: int = DEFAULT_SEED
    data_path: str | None = None        #: None = the active source (setting or demo set)
    test_size: float = 0.3              #: fraction of all tracks (random-track, artist-grouped)
    valid_size: float = 0.1             #: fraction of all tracks (random-track, artist-grouped)
    name: str | None = None
    patience: int = 8                   #: epochs without validation-loss gain before stopping
    start_from_epoch: int = 5           #: epochs before early stopping may count (BatchNorm warm-up)
    search: bool = True                 #: grid-search the SVM/KNN hyper-parameters (grouped CV)
    filter_noise: bool = True           #: high-pass the clips before feature extraction
    n_jobs: int = -1                    #: processes for feature extraction
    note: str | None = None             #: a sentence about the data, shown on the model's card
    genres: list[str] | None = None     #: genres to train on (None: every genre with clips)
    class_weight: bool = True           #: weight classes by inverse frequency when unbalanced
    split_seed: int | None = None       #: seed of the random-track split (None: seed)
    scheduler: str | None = None        #: Dask scheduler tcp://HOST:PORT; None = GENRELAB_SCHEDULER
    head: str | None = None             #: head to fit, for families with a choice (musicnn: svm
                                        #: or knn; None: the family's default)
    extra: list[str] = field(default_factory=list)   #: extra labelled <genre>/<clip> folders,
                                        #: "PATH" or "NAME=PATH", for the training side only
    extra_weight: float = 1.0           #: sample weight of each extra clip (logistic head only)
    refit_all: bool = False             #: after the test figures are measured, refit the
                                        #: logistic head on every clip, test side included

    def __post_init__(self) -> None:
        """Fill the default feature, normalise paths to str, and check every field."""
        if self.model not in MODELS:
            raise TrainingError(f"unknown model {self.model!r}; choose one of {list(MODELS)}")
        allowed = MODEL_FEATURES[self.model]
        if self.feature is None:
            self.feature = allowed[0]
        if self.feature == "mfcc_stats":
            self.feature = "mfcc"
        if self.feature not in allowed:
            raise TrainingError(f"model {self.model!r} takes feature {' or '.join(allowed)}, "
                                f"not {self.feature!r}")
        family = models.family(self.model)
        choices = family.head_choices.get(self.model, ())
        if self.head is not None and not choices:
            raise TrainingError(f"model {self.model!r} has no choice of head; leave head unset")
        if self.head is not None and self.head not in choices:
            raise TrainingError(f"model {self.model!r} takes head {' or '.join(choices)}, not "
                                f"{self.head!r}")
        if not family.filters_noise:
            self.filter_noise = False   # the family hears the clip as it is (the card says so)
        self.augment = {**_no_augmentation(), **dict(self.augment or {})}
        augment.AugmentOptions.from_dict(self.augment)   # unknown keys raise ValueError
        if self.model != "cnn2d":
            # the study augments the 2D-CNN's spectrograms only: for every other model the
            # flags are switched off here, so the card records what was actually done
            self.augment = _no_augmentation()
        if self.protocol not in PROTOCOLS:
            raise TrainingError(f"unknown protocol {self.protocol!r}; choose one of {list(PROTOCOLS)}")
        for name in ("epochs", "batch_size", "patience"):
            if int(getattr(self, name)) < 1:
                raise TrainingError(f"{name} must be at least 1, got {getattr(self, name)}")
        if int(self.start_from_epoch) < 0:
            raise TrainingError(f"start_from_epoch must be 0 or more, got {self.start_from_epoch}")
        if not 0 < float(self.learning_rate) < 1:
            raise TrainingError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if not 0 < float(self.test_size) < 1 or not 0 <= float(self.valid_size) < 1 \
                or self.test_size + self.valid_size >= 1:
            raise TrainingError(f"test_size {self.test_size} and valid_size {self.valid_size} "
                                "must be fractions that leave tracks for training")
        self.data_path = str(self.data_path) if self.data_path else None
        self.splits_path = str(self.splits_path) if self.splits_path else None
        self.artists_path = str(self.artists_path) if self.artists_path else None
        self.genres = parse_genres(self.genres)
        if isinstance(self.extra, str) or not all(isinstance(e, str) for e in self.extra or ()):
            raise TrainingError(f"extra must be a list of folders, got {self.extra!r}")
        self.extra = [e.strip() for e in self.extra or () if e.strip()]
        self.extra_weight = float(self.extra_weight)
        if not 0 < self.extra_weight <= 100:
            raise TrainingError(f"extra_weight must be in (0, 100], got {self.extra_weight}")
        for name, used in (("extra_weight", self.extra_weight != 1.0),
                           ("refit_all", bool(self.refit_all))):
            if used and self.head != "logreg":
                raise TrainingError(f"{name} is used by the logistic head of the embedding "
                                    "families only (--head logreg)")

    @property
    def feature_kind(self) -> str:
        """The core.features.study kind this run reads."""
        return FEATURE_KIND[str(self.feature)]

    def label(self) -> str:
        """Short display name such as "LSTM on MFCC", or "musicnn+LOGREG on MSD embeddings" for a
        family whose head is chosen before training (the head is then the model)."""
        family = models.family(self.model)
        if family.head_choices.get(self.model):
            return family.model_title(self.model, str(self.feature),
                                      self.head or family.default_head(self.model))
        return f"{MODEL_LABELS[self.model]} on {FEATURE_LABELS[str(self.feature)]}"

    def to_dict(self) -> dict:
        """JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Rebuild from to_dict output; TrainingError naming unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TrainingError(f"unknown training setting(s) {unknown}")
        return cls(**data)


def parse_genres(genres: str | Sequence[str] | None) -> list[str] | None:
    """Genres in GENRES order from a list or "blues,jazz" (None or empty: all); TrainingError if bad."""
    if genres is None:
        return None
    items = genres.split(",") if isinstance(genres, str) else list(genres)
    names = [str(g).strip().lower() for g in items if str(g).strip()]
    if not names:
        return None
    unknown = [g for g in names if g not in GENRES]
    if unknown:
        raise TrainingError(f"unknown genre(s) {unknown}; choose from {', '.join(GENRES)}")
    chosen = [g for g in GENRES if g in names]
    if len(chosen) < 2:
        raise TrainingError(f"choose at least two genres to tell apart, got {chosen}")
    return chosen
