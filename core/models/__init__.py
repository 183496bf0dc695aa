"""Models: the registry of model families (one module each) and the blocks they are built from.

Families, Keras networks, scikit-learn heads, fitting, loading and run folders; it may use
core.evaluation, core.features, core.data and below, never training, prediction or report.

The registry: one module per family, registered here in FAMILIES.

Each module (segment_sklearn, lstm, cnn1d, cnn2d, descriptor, ...) holds a ``FAMILY``
(core.models.base.Family) declaring its model kinds, labels, features, heads and their files,
how the training runner fits it and how prediction scores a clip. Adding a family is one module
and one line of FAMILIES. The tables below (kinds, labels, features) are derived from the
families, for core.training.runner, core.prediction.streaming, the CLI and the pages. Importing this package
never imports TensorFlow (family modules import it only inside their functions).

Note: the top-level ``models/`` folder holds trained model files; this package is code.
"""

from __future__ import annotations

from core.models import cnn1d, cnn2d, descriptor, lstm, mn04, musicnn, segment_sklearn, yamnet
from core.models.base import KERAS_FILE, SKLEARN_HEADS, SOFTMAX_HEAD, Family, FitContext, FitOutcome

#: Every registered family, in the order models are offered (Training console, CLI).
FAMILIES: tuple[Family, ...] = (
    segment_sklearn.FAMILY, lstm.FAMILY, cnn1d.FAMILY, cnn2d.FAMILY, descriptor.FAMILY,
    musicnn.FAMILY, yamnet.FAMILY, mn04.FAMILY,
)


def _by_kind() -> dict[str, Family]:
    """Model kind -> its family; ValueError when two families claim one kind."""
    table: dict[str, Family] = {}
    for fam in FAMILIES:
        for kind in fam.kinds:
            if kind in table:
                raise ValueError(f"model kind {kind!r} is declared by {table[kind].name} and "
                                 f"{fam.name}")
            table[kind] = fam
    return table


_FAMILY_OF: dict[str, Family] = _by_kind()

#: Every model kind, in FAMILIES order.
MODEL_KINDS: tuple[str, ...] = tuple(_FAMILY_OF)
#: Kinds the audio training runner (core.training.runner) trains, and those trained from a table.
AUDIO_KINDS: tuple[str, ...] = tuple(k for k, f in _FAMILY_OF.items() if f.trained_from == "audio")
TABLE_KINDS: tuple[str, ...] = tuple(k for k, f in _FAMILY_OF.items() if f.trained_from == "table")
#: Kinds trained for epochs as a Keras model, and kinds that need Keras to predict.
TRAINS_KERAS: tuple[str, ...] = tuple(k for k, f in _FAMILY_OF.items() if f.trains_keras)
PREDICTS_KERAS: tuple[str, ...] = tuple(k for k, f in _FAMILY_OF.items() if f.predicts_keras)
MODEL_LABELS: dict[str, str] = {k: f.labels[k] for k, f in _FAMILY_OF.items()}
MODEL_FEATURES: dict[str, tuple[str, ...]] = {k: f.features[k] for k, f in _FAMILY_OF.items()}
FEATURE_KIND: dict[str, str] = {n: k for f in FAMILIES for n, k in f.feature_kinds.items()}
FEATURE_LABELS: dict[str, str] = {n: t for f in FAMILIES for n, t in f.feature_labels.items()}
MODEL_HELP: dict[str, str] = {k: f.help[k] for k, f in _FAMILY_OF.items()}
MODEL_DESCRIPTIONS: dict[str, str] = {k: f.descriptions[k] for k, f in _FAMILY_OF.items()}
FEATURE_DESCRIPTIONS: dict[str, str] = {n: t for f in FAMILIES
                                        for n, t in f.feature_descriptions.items()}
#: Kinds shown in Results' "Beyond the study" table (no published figure to compare with).
BEYOND_STUDY: tuple[str, ...] = tuple(k for k, f in _FAMILY_OF.items() if f.beyond_study)


def family(kind: str) -> Family:
    """The family of a model kind; KeyError naming the known kinds."""
    try:
        return _FAMILY_OF[str(kind)]
    except KeyError:
        raise KeyError(f"unknown model kind {kind!r}; known: {list(MODEL_KINDS)}") from None


def paper_key(kind: str, feature: str, head: str) -> str | None:
    """Key of core.constants.PAPER_RESULTS for one model/feature/head, or None if unpublished."""
    fam = _FAMILY_OF.get(str(kind))
    return fam.paper_key(kind, feature, head) if fam is not None else None


def model_title(kind: str, feature: str, head: str) -> str:
    """Short name of a model with its head and feature, e.g. "LSTM+SVM on MFCC"."""
    fam = _FAMILY_OF.get(str(kind))
    if fam is None:
        return f"{kind} on {FEATURE_LABELS.get(feature, feature)}"
    return fam.model_title(kind, feature, head)


def clip_feature(kind: str):  # -> Callable[[np.ndarray], dict] | None
    """The function a family registered to compute one clip feature kind (from the raw clip, or
    from the array of its clip_feature_source)."""
    for fam in FAMILIES:
        if kind in fam.clip_features:
            return fam.clip_features[kind]
    return None


def clip_feature_source(kind: str) -> str | None:
    """The clip feature kind a family's clip feature is computed from (its numpy-only inputs,
    e.g. a network's log-mel patches), or None when it is computed from the raw clip."""
    for fam in FAMILIES:
        if kind in fam.clip_feature_sources:
            return fam.clip_feature_sources[kind]
    return None


__all__ = [
    "AUDIO_KINDS", "BEYOND_STUDY", "FAMILIES", "FEATURE_DESCRIPTIONS", "FEATURE_KIND",
    "FEATURE_LABELS", "KERAS_FILE", "MODEL_DESCRIPTIONS", "MODEL_FEATURES", "MODEL_HELP",
    "MODEL_KINDS", "MODEL_LABELS", "PREDICTS_KERAS", "SKLEARN_HEADS", "SOFTMAX_HEAD",
    "TABLE_KINDS", "TRAINS_KERAS", "Family", "FitContext", "FitOutcome", "clip_feature",
    "clip_feature_source",
    "family", "model_title", "paper_key",
]
