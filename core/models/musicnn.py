"""Transfer learning: SVM, KNN or logistic heads on musicnn embeddings (a tagger pretrained on the MSD).

The network (core.models.musicnn_net, weights shared in models/pretrained/musicnn) is not trained here;
a run saves only its head. One example per clip: the mean over the clip's 3-s patches of the
``max_pool``, ``mean_pool`` and ``penultimate`` outputs, concatenated (1706 numbers; the best
embedding of research/musicnn_gtzan4.py). Heads: SVM, KNN or balanced logistic regression
(core.models.embedding_heads).
The network hears the clip at its own level: no high-pass, trimming or normalisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.models.base import Family, FitContext, FitOutcome
from core.features import musicnn_input
from core.models import musicnn_net
from core.features.study import FeatureSet
from core.models import embedding_heads
from core.models import loading

KINDS: tuple[str, ...] = ("musicnn",)
FEATURE = "embeddings"                       #: the card's feature name
FEATURE_KIND = "musicnn_embedding"           #: one row per clip: clip means concatenated
TAGGRAM_KIND = "musicnn_taggram"             #: (1, 50) clip mean of the MSD tag probabilities
PATCHES_KIND = "musicnn_patches"             #: (n, 187, 96) the network's log-mel input patches
OUTPUTS: tuple[str, ...] = ("max_pool", "mean_pool", "penultimate")
TOP_TAGS: int = 5                            #: MSD tags shown beside the genre


def title(kind: str, feature: str, head: str) -> str:
    """"musicnn+SVM on MSD embeddings"."""
    return f"musicnn+{head.upper()} on MSD embeddings"


def extract(tracks: Any, config: Any, progress: bool) -> Any:
    """A FeatureSet of one example per clip (FEATURE_KIND: clip means of OUTPUTS), from the
    cached musicnn embeddings (core.models.musicnn_net.embed_tracks)."""
    patches = musicnn_net.embed_tracks(list(tracks), n_jobs=int(config.n_jobs), progress=progress,
                                   cache=True)
    rows = musicnn_net.clip_means(patches, OUTPUTS) if patches.track_ids.size else np.zeros(
        (0, sum(musicnn_net.EMBEDDING_DIMS[k] for k in OUTPUTS)), np.float32)
    return FeatureSet(kinds=(FEATURE_KIND,), features={FEATURE_KIND: rows},
                      segment_track=patches.track_ids.copy(),
                      segment_label=patches.track_labels.copy(), track_ids=patches.track_ids,
                      track_labels=patches.track_labels, skipped=list(patches.skipped),
                      cache_hits=patches.cache_hits)


def fit(context: FitContext) -> FitOutcome:
    """Fit the chosen head (config.head, default svm) on the clips' embeddings."""
    card = {"embedding": {"network": "MSD_musicnn (musicnn 0.1.0, ISC licence)",
                          "weights_sha256": musicnn_net.weights_sha256(), "outputs": list(OUTPUTS),
                          "example": "one per clip: the mean of its 3-s patches' outputs, "
                                     "concatenated"}}
    return embedding_heads.fit_head(context, "musicnn", card)


def clip_patches(raw: np.ndarray) -> dict[str, np.ndarray]:
    """PATCHES_KIND: the network's log-mel input patches (n, 187, 96) float32 of a raw clip at
    22050 Hz (own level); numpy only. AudioError when the clip is under 3 s or silent."""
    return {PATCHES_KIND: musicnn_input.clip_patches(raw)}


def patches_embedding(patches: np.ndarray) -> dict[str, np.ndarray]:
    """FEATURE_KIND (1, 1706) and TAGGRAM_KIND (1, 50) of a clip's log-mel patches (the network
    runs here); ModelFileError (a WeightsError) when the weights file is missing or damaged."""
    out = musicnn_net.embed_patches(patches)
    row = np.concatenate([out[k].mean(axis=0) for k in OUTPUTS])[None].astype(np.float32)
    return {FEATURE_KIND: row, TAGGRAM_KIND: out["taggram"].mean(axis=0)[None].astype(np.float32)}


def clip_embedding(raw: np.ndarray) -> dict[str, np.ndarray]:
    """FEATURE_KIND (1, 1706) and TAGGRAM_KIND (1, 50) of a raw clip at 22050 Hz (own level):
    patches_embedding of clip_patches."""
    return patches_embedding(clip_patches(raw)[PATCHES_KIND])


def score(entry: Any, feats: Any) -> tuple:
    """Probabilities (1, 10) of the run's head on the clip's embedding (whole-clip model)."""
    x = feats.get(FEATURE_KIND, entry.filter_noise)
    return loading.sklearn_proba(loading.load_head(entry, entry.head), x), False


def tags(entry: Any, feats: Any) -> tuple[tuple[str, float], ...]:
    """The network's own TOP_TAGS MSD tags for the clip: ((tag, probability), ...)."""
    return tuple(musicnn_net.top_tags(feats.get(TAGGRAM_KIND, entry.filter_noise)[0], TOP_TAGS))


FAMILY = Family(
    name="musicnn", kinds=KINDS, labels={"musicnn": "musicnn"}, features={"musicnn": (FEATURE,)},
    feature_kinds={FEATURE: FEATURE_KIND}, feature_labels={FEATURE: "MSD embeddings"},
    help={"musicnn": "Beyond the study: SVM, KNN or logistic regression on the embeddings of musicnn, a network "
                     "pretrained to tag 200,000 songs of the Million Song Dataset (transfer "
                     "learning; only the head is trained here)."},
    descriptions={"musicnn": "SVM/KNN/logistic head on musicnn embeddings (pretrained MSD tagger)"},
    feature_descriptions={FEATURE: "musicnn's max_pool, mean_pool and penultimate outputs, mean "
                                   "of the 3-s patches (1706 numbers per clip)"},
    head_files=embedding_heads.head_files, default_head=lambda kind: "svm",
    clip_kind=lambda entry: FEATURE_KIND, score=score, fit=fit, predicts_keras=True,
    sklearn_heads=True, head_choices={"musicnn": embedding_heads.EMBEDDING_HEADS}, title=title, extract=extract,
    clip_features={PATCHES_KIND: clip_patches, FEATURE_KIND: patches_embedding},
    clip_feature_sources={FEATURE_KIND: PATCHES_KIND}, tags=tags, tags_label="MSD tags",
    tags_note="MSD tags: musicnn's own tags, the most probable of the 50 most frequent tags of "
              "the Million Song Dataset it was trained on (each a probability that the tag "
              "applies, so several can be high at once). They are not GTZAN genres.",
    beyond_study=True,
    filters_noise=False,
    form_note="The pretrained network is not trained: only the head is. The SVM's C is chosen "
              "on the validation tracks (grouped cross-validation on the training tracks when "
              "there are none), then refitted on train+valid; the KNN uses k = 5.",
)
