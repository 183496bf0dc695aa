"""Transfer learning: SVM, KNN or logistic heads on mn04 embeddings (EfficientAT's AudioSet tagger).

The network (core.models.mn04_net, weights shared in models/pretrained/efficientat-mn04) is not
trained here; a run saves only its head (core.models.embedding_heads: RBF SVM with C searched,
KNN, or the balanced logistic regression, the best of them on these embeddings outside GTZAN).
One example per clip: the mean and the standard deviation over the clip's 10-s windows of the
network's pooled embedding (the mean over frequency and time of its last 384-channel feature
map), 768 numbers. Beside the genre, a clip shows the AudioSet music-genre classes the network
hears (core.models.audioset_classes). The network hears the clip at its own level: no
high-pass, trimming or normalisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.features import mn04_input
from core.features.study import FeatureSet
from core.models import audioset_classes, embedding_heads, loading, mn04_net
from core.models.base import Family, FitContext, FitOutcome

KINDS: tuple[str, ...] = ("mn04",)
FEATURE = "mn04_embeddings"                  #: the card's feature name
FEATURE_KIND = "mn04_embedding"              #: (1, 768) mean and std over the 10-s windows
LOGITS_KIND = "mn04_logits"                  #: (1, 527) the windows' mean AudioSet logits
WINDOWS_KIND = "mn04_windows"                #: (n, 128, frames) the 10-s windows' log-mel
NETWORK = "EfficientAT mn04_as (AudioSet, MIT licence), Keras 3 port"


#: The logistic head's inverse L2 strength on mn04's 768-d clip embedding: chosen by grouped CV
#: (by artist) on GTZAN + xd-train among mn04's poolings (research/outside_audioset.py).
LOGREG_C: float = 0.1


def title(kind: str, feature: str, head: str) -> str:
    """"mn04+SVM on AudioSet embeddings"."""
    return f"mn04+{head.upper()} on AudioSet embeddings"


def extract(tracks: Any, config: Any, progress: bool) -> Any:
    """A FeatureSet of one example per clip (FEATURE_KIND), from the cached per-window mn04
    outputs (core.models.mn04_net.embed_tracks)."""
    outputs = mn04_net.embed_tracks(list(tracks), n_jobs=int(config.n_jobs), progress=progress,
                                    cache=True)
    rows, _ = mn04_net.clip_rows(outputs)
    return FeatureSet(kinds=(FEATURE_KIND,), features={FEATURE_KIND: rows},
                      segment_track=outputs.track_ids.copy(),
                      segment_label=outputs.track_labels.copy(), track_ids=outputs.track_ids,
                      track_labels=outputs.track_labels, skipped=list(outputs.skipped),
                      cache_hits=outputs.cache_hits)


def fit(context: FitContext) -> FitOutcome:
    """Fit the chosen head (config.head, default svm) on the clips' mn04 embeddings."""
    card = {"embedding": {"network": NETWORK, "weights_sha256": mn04_net.weights_sha256(),
                          "outputs": ["embedding"],
                          "example": "one per clip: the mean and standard deviation of its "
                                     "10-s windows' 384-d embeddings, concatenated"}}
    return embedding_heads.fit_head(context, "mn04", card, logreg_c=LOGREG_C)


def clip_windows(raw: np.ndarray) -> dict[str, np.ndarray]:
    """WINDOWS_KIND: the network's inputs (windows, 128, frames) float32 of a raw clip at
    22050 Hz (own level); numpy only. AudioError when the clip is under 1 s or silent."""
    return {WINDOWS_KIND: mn04_input.clip_windows(raw)}


def windows_embedding(batch: np.ndarray) -> dict[str, np.ndarray]:
    """FEATURE_KIND (1, 768) and LOGITS_KIND (1, 527) of a clip's log-mel windows (the network
    runs here); a WeightsError when the weights file is missing or damaged."""
    out = mn04_net.embed_windows(batch)
    return {FEATURE_KIND: mn04_net.clip_embedding(out["embedding"])[None],
            LOGITS_KIND: out["logits"].mean(axis=0)[None]}


def score(entry: Any, feats: Any) -> tuple:
    """Probabilities (1, 10) of the run's head on the clip's embedding (whole-clip model)."""
    x = feats.get(FEATURE_KIND, entry.filter_noise)
    return loading.sklearn_proba(loading.load_head(entry, entry.head), x), False


def tags(entry: Any, feats: Any) -> tuple[tuple[str, float], ...]:
    """The AudioSet music-genre classes the network hears most in the clip (probabilities of
    the windows' mean logits): ((class, probability 0..1), ...), best first."""
    logits = feats.get(LOGITS_KIND, entry.filter_noise)[0]
    return audioset_classes.genre_tags(mn04_net.probabilities(logits), mn04_net.class_names())


FAMILY = Family(
    name="mn04", kinds=KINDS, labels={"mn04": "mn04"}, features={"mn04": (FEATURE,)},
    feature_kinds={FEATURE: FEATURE_KIND}, feature_labels={FEATURE: "AudioSet embeddings"},
    help={"mn04": "Beyond the study: SVM, KNN or logistic regression on the embeddings of "
                  "EfficientAT's mn04, a "
                  "small network pretrained to tag the 527 sound classes of AudioSet (2 million "
                  "YouTube clips; transfer learning, only the head is trained here)."},
    descriptions={"mn04": "SVM/KNN/logistic head on mn04 embeddings (pretrained AudioSet "
                          "tagger)"},
    feature_descriptions={FEATURE: "mn04's pooled embedding (the mean over frequency and time "
                                   "of its last feature map, 384 numbers) of each 10-s window: "
                                   "their mean and standard deviation (768 numbers per clip)"},
    head_files=embedding_heads.head_files, default_head=lambda kind: "svm",
    clip_kind=lambda entry: FEATURE_KIND, score=score, fit=fit, predicts_keras=True,
    sklearn_heads=True, head_choices={"mn04": embedding_heads.EMBEDDING_HEADS}, title=title,
    extract=extract,
    clip_features={WINDOWS_KIND: clip_windows, FEATURE_KIND: windows_embedding,
                   LOGITS_KIND: windows_embedding},
    clip_feature_sources={FEATURE_KIND: WINDOWS_KIND, LOGITS_KIND: WINDOWS_KIND}, tags=tags,
    tags_label=audioset_classes.TAGS_LABEL, tags_note=audioset_classes.TAGS_NOTE,
    beyond_study=True,
    filters_noise=False,
    form_note="The pretrained network is not trained: only the head is. The SVM's C is chosen "
              "on the validation tracks (grouped cross-validation on the training tracks when "
              "there are none), then refitted on train+valid; the KNN uses k = 5; the logistic "
              "head is balanced, C = 0.01, fitted on train+valid.",
)
