"""The catalogue of models a clip can be scored with: saved runs and shipped models, ranked by trust."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from core import config, models as families
from core.constants import GENRE_INDEX, GENRES
from core.evaluation import wilson_interval
from core.models import loading, persistence
from core.models.persistence import ModelFileError


KERAS_FILE = families.KERAS_FILE


SOFTMAX_HEAD = families.SOFTMAX_HEAD


#: Model kinds of the registered families (core.models): the study's, the descriptor models...
DESCRIPTOR_MODELS: frozenset[str] = frozenset(families.descriptor.KINDS)


KERAS_MODELS: frozenset[str] = frozenset(families.PREDICTS_KERAS)


SKLEARN_MODELS: frozenset[str] = frozenset(families.MODEL_KINDS) - KERAS_MODELS


MODEL_KINDS: frozenset[str] = KERAS_MODELS | SKLEARN_MODELS


#: Display names of the model kinds and features (for labels when a card carries no name).
MODEL_NAMES: dict[str, str] = dict(families.MODEL_LABELS)


FEATURE_NAMES: dict[str, str] = dict(families.FEATURE_LABELS)


@dataclass(frozen=True)
class ModelEntry:
    """One usable trained model: its run folder, card, display label and the head used."""
    path: Path
    card: dict = field(compare=False, hash=False, repr=False)
    label: str
    head: str
    shipped: bool

    @property
    def model(self) -> str:
        """Model kind ("svm", "lstm", "cnn2d", "descriptor_svm", ...)."""
        return str(self.card["model"])

    @property
    def feature(self) -> str:
        """Feature name as written in the card ("zcr", "mfcc", "logmel", "descriptors", ...)."""
        return str(self.card.get("feature") or _default_feature(self.model))

    @property
    def run_id(self) -> str:
        """The run's id."""
        return str(self.card["run_id"])

    @property
    def heads(self) -> tuple[str, ...]:
        """Heads this run can predict with (keys of card["metrics"] whose files exist)."""
        return tuple(h for h in self.card.get("metrics", {}) if _head_files(self.model, h)
                     and all(f in self.card["files"] for f in _head_files(self.model, h)))

    @property
    def genres(self) -> tuple[str, ...]:
        """The genres this model can answer (its label set; Keras output k is genres[k])."""
        return tuple(self.card.get("genres") or GENRES)

    @property
    def cannot_answer(self) -> tuple[str, ...]:
        """GTZAN genres outside this model's label set (it gives them probability 0)."""
        return tuple(g for g in GENRES if g not in self.genres)

    @property
    def uses_keras(self) -> bool:
        """True when predicting with this entry needs TensorFlow/Keras."""
        return self.model in KERAS_MODELS

    @property
    def filter_noise(self) -> bool:
        """Whether the run was trained on high-passed clips (the study's default: yes)."""
        for part in (self.card.get("config") or {}, self.card.get("data") or {}):
            if "filter_noise" in part:
                return bool(part["filter_noise"])
        return True

    @property
    def stopped(self) -> bool:
        """True for a run the user stopped before its planned end (its card's stop note)."""
        return bool(self.card.get("stop_note") or self.card.get("stopped_by_user"))

    @property
    def outside(self) -> dict:
        """The card's figure on music from outside GTZAN ({} when not measured): set, n, correct,
        accuracy, ci_low, ci_high, and per_genre {genre: {correct, n, answered}} when recorded."""
        figure = self.card.get("outside")
        return figure if isinstance(figure, dict) and int(figure.get("n") or 0) > 0 else {}

    def with_head(self, head: str) -> "ModelEntry":
        """The same run predicting with another head ("softmax", "svm" or "knn")."""
        if head not in self.heads:
            raise ValueError(f"{self.label}: no head {head!r}; available: {list(self.heads)}")
        return replace(self, head=head, label=_label(self.card, head, self.shipped))


class ModelList(list):
    """A list of ModelEntry with `damaged`: (run folder, reason) of runs that were skipped."""
    def __init__(self, entries: Sequence[ModelEntry] = (),
                 damaged: Sequence[tuple[Path, str]] = ()):
        super().__init__(entries)
        self.damaged: list[tuple[Path, str]] = list(damaged)


def _default_feature(model: str) -> str:
    """The feature a model kind uses when its card does not say."""
    return families.MODEL_FEATURES.get(model, ("mfcc",))[0]


def _default_head(model: str) -> str:
    """The head a model kind predicts with when its card names no primary."""
    return families.family(model).default_head(model) if model in MODEL_KINDS else SOFTMAX_HEAD


def _head_files(model: str, head: str) -> tuple[str, ...]:
    """Files of a run needed to predict with one head (empty when the pair is not valid)."""
    return families.family(model).head_files(model, head) if model in MODEL_KINDS else ()


def model_title(model: str, feature: str, head: str) -> str:
    """Short name of a model with its head and feature, e.g. "LSTM+SVM on MFCC"."""
    return families.model_title(model, feature, head)


def _label(card: dict, head: str, shipped: bool) -> str:
    """Display label: "<name> — your run YYYY-MM-DD" or "<name> (shipped)"."""
    primary = card.get("primary") or _default_head(card["model"])
    name = card.get("name") if head == primary and card.get("name") else model_title(
        card["model"], card.get("feature") or _default_feature(card["model"]), head)
    note = card.get("stop_note")
    if note and note not in name:   # another head of a stopped run
        name = f"{name} — {note}"
    if shipped:
        return f"{name} (shipped)"
    when = str(card.get('created', ''))[:10] or card['run_id']
    label = f"{name} — {when}" if "(yours)" in name else f"{name} — your run {when}"
    return config.for_visitors(label)   # a visitor did not train or stop it


def _entry(info: persistence.RunInfo) -> ModelEntry:
    """A ModelEntry from a run found on disk; ModelFileError when the run cannot be used."""
    card = persistence.load_card(info.path, verify=True)
    model = card.get("model")
    if model not in MODEL_KINDS:
        raise ModelFileError(f"{info.path.name}: unknown model kind {model!r}")
    head = card.get("primary") or _default_head(model)
    files = _head_files(model, head)
    if not files:
        raise ModelFileError(f"{info.path.name}: head {head!r} does not fit model {model!r}")
    missing = [f for f in files if f not in card["files"]]
    if missing:
        raise ModelFileError(f"{info.path.name}: card lists no {', '.join(missing)}")
    genres = card.get("genres") or list(GENRES)
    if (not isinstance(genres, list) or len(set(genres)) != len(genres)
            or any(g not in GENRE_INDEX for g in genres) or len(genres) < 2):
        raise ModelFileError(f"{info.path.name}: card's genres {genres!r} are not two or more "
                             "distinct GTZAN genres")
    return ModelEntry(info.path, card, _label(card, head, info.shipped), head, info.shipped)


def wilson_lower_bound(accuracy: float, n: int, z: float = 1.96) -> float:
    """Lower end of the 95 % Wilson interval of an accuracy measured on n tracks (fraction of 1)."""
    return wilson_interval(accuracy, n, z)[0] if n > 0 else 0.0


def trust(entry: ModelEntry) -> float:
    """How sure we are the model is good: Wilson lower bound of its test track accuracy."""
    test = entry.card.get("metrics", {}).get(entry.head, {}).get("test") or {}
    return wilson_lower_bound(float(test.get("track_accuracy", 0.0)), int(test.get("n_tracks", 0)))


def rank_key(entry: ModelEntry) -> tuple:
    """Order of preference: real-data user runs, real-data shipped models, then synthetic-data
    runs; within each, models that answer more genres first (a 4-genre model never leads a
    10-genre one, however well it scores on its 4), then the larger lower bound of test track
    accuracy."""
    synthetic = bool(entry.card.get("data", {}).get("synthetic"))
    return (synthetic, entry.shipped, -len(entry.genres), -trust(entry))


def available_models() -> ModelList:
    """Usable models, best first (see rank_key); damaged runs in .damaged.
    Cards and file checksums are verified; only run folders inside models/ or the runs folder
    are read. Each entry predicts with its card's primary head (see ModelEntry.with_head).
    """
    entries: list[ModelEntry] = []
    damaged: list[tuple[Path, str]] = []
    for info in persistence.iter_runs():
        if info.error is not None:
            damaged.append((info.path, info.error))
            continue
        key = (str(info.path), info.shipped, loading.run_mtime(info.path))
        try:
            entry = _ENTRY_CACHE.get(key) or _entry(info)
        except ModelFileError as exc:
            damaged.append((info.path, str(exc)))
            continue
        _ENTRY_CACHE[key] = entry
        entries.append(entry)
    entries.sort(key=rank_key)
    return ModelList(entries, damaged)


_ENTRY_CACHE: dict[tuple[str, bool, float], ModelEntry] = {}


def default_choice(entries: Sequence[ModelEntry]) -> list[ModelEntry]:
    """The models that answer unless the user chooses otherwise: every shipped model, and the
    user's runs that were not stopped before their end and do not repeat a shipped model's
    recipe (same kind, feature, head, genres, settings and split)."""
    shipped = {recipe(e) for e in entries if e.shipped}
    return [e for e in entries
            if e.shipped or (not e.stopped and recipe(e) not in shipped)]


#: Keys of a card's config that say where or how a run was made, not what model it is.
NOT_RECIPE: frozenset[str] = frozenset({"name", "note", "n_jobs", "data_path", "splits_path"})


def recipe(entry: ModelEntry) -> tuple:
    """What makes two runs the same model: kind, feature, head, genres, the card's settings (not
    its name, paths or worker count) and the tracks it trained on."""
    config = {k: v for k, v in (entry.card.get("config") or {}).items() if k not in NOT_RECIPE}
    train = (entry.card.get("protocol") or {}).get("train") or []
    return (entry.model, entry.feature, entry.head, entry.genres,
            json.dumps(config, sort_keys=True, default=str), tuple(sorted(map(str, train))))


def is_loaded(entry: ModelEntry) -> bool:
    """True when every file this entry predicts with is in the in-process cache (fresh)."""
    return loading.is_cached(entry.path, _head_files(entry.model, entry.head))
