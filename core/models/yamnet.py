"""Transfer learning: SVM, KNN or logistic heads on YAMNet embeddings (an AudioSet classifier).

The network (core.models.yamnet_net, the TFLite model shipped in models/pretrained/yamnet) is not
trained here; a run saves only its head (core.models.embedding_heads). One example per clip: the
mean over the clip's 0.975-s windows (0.48-s hop) of YAMNet's 1024-d embedding. Beside the genre,
Try it shows the AudioSet music-genre classes the network hears (core.models.audioset_classes).
The network hears the clip at its own level: no high-pass, trimming or normalisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.features import yamnet_input
from core.features.study import FeatureSet
from core.models import audioset_classes, embedding_heads, loading, yamnet_net
from core.models.base import Family, FitContext, FitOutcome

KINDS: tuple[str, ...] = ("yamnet",)
FEATURE = "yamnet_embeddings"                #: the card's feature name
FEATURE_KIND = "yamnet_embedding"            #: (1, 1024) clip mean of the window embeddings
SCORES_KIND = "yamnet_scores"                #: (1, 521) clip mean of the AudioSet scores
WINDOWS_KIND = "yamnet_windows"              #: (n, 15600) the network's 16-kHz input windows
NETWORK = ("YAMNet (tensorflow/models research/audioset/yamnet, Apache-2.0), TFLite export "
           "with int8 weights")


def title(kind: str, feature: str, head: str) -> str:
    """ "YAMNet+LOGREG on AudioSet embeddings"."""
    return f"YAMNet+{head.upper()} on AudioSet embeddings"


def extract(tracks: Any, config: Any, progress: bool) -> Any:
    """A FeatureSet of one example per clip (FEATURE_KIND: clip mean of the embeddings), from
    the cached YAMNet outputs (core.models.yamnet_net.embed_tracks)."""
    windows = yamnet_net.embed_tracks(list(tracks), n_jobs=int(config.n_jobs), progress=progress,
                                      cache=True)
    rows = (yamnet_net.clip_stats(windows, "embedding", "mean") if windows.track_ids.size
            else np.zeros((0, yamnet_net.EMBEDDING_DIM), np.float32))
    return FeatureSet(kinds=(FEATURE_KIND,), features={FEATURE_KIND: rows},
                      segment_track=windows.track_ids.copy(),
                      segment_label=windows.track_labels.copy(), track_ids=windows.track_ids,
                      track_labels=windows.track_labels, skipped=list(windows.skipped),
                      cache_hits=windows.cache_hits)


def fit(context: FitContext) -> FitOutcome:
    """Fit the chosen head (config.head, default svm) on the clips' YAMNet embeddings."""
    card = {"embedding": {"network": NETWORK, "weights_sha256": yamnet_net.weights_sha256(),
                          "outputs": [yamnet_net.EMBEDDING_TENSOR],
                          "example": "one per clip: the mean of its 0.975-s windows' (0.48-s "
                                     "hop) 1024-d embeddings"}}
    return embedding_heads.fit_head(context, "YAMNet", card)


def clip_windows(raw: np.ndarray) -> dict[str, np.ndarray]:
    """WINDOWS_KIND: the network's input windows (n, 15600) float32 of a raw clip at 22050 Hz
    (own level); numpy only. AudioError when the clip is under 0.975 s or silent."""
    return {WINDOWS_KIND: yamnet_input.clip_windows(raw)}


def windows_embedding(windows: np.ndarray) -> dict[str, np.ndarray]:
    """FEATURE_KIND (1, 1024) and SCORES_KIND (1, 521) of a clip's input windows (the network
    runs here); ModelFileError (a WeightsError) when the model file is missing or damaged."""
    out = yamnet_net.embed_windows(windows)
    return {FEATURE_KIND: out["embedding"].mean(axis=0)[None],
            SCORES_KIND: out["scores"].mean(axis=0)[None]}


def score(entry: Any, feats: Any) -> tuple:
    """Probabilities (1, 10) of the run's head on the clip's embedding (whole-clip model)."""
    x = feats.get(FEATURE_KIND, entry.filter_noise)
    return loading.sklearn_proba(loading.load_head(entry, entry.head), x), False


def tags(entry: Any, feats: Any) -> tuple[tuple[str, float], ...]:
    """The AudioSet music-genre classes the network hears most in the clip (clip-mean scores):
    ((class, score 0..1), ...), best first."""
    scores = feats.get(SCORES_KIND, entry.filter_noise)[0]
    return audioset_classes.genre_tags(scores, yamnet_net.class_names())


FAMILY = Family(
    name="yamnet", kinds=KINDS, labels={"yamnet": "YAMNet"}, features={"yamnet": (FEATURE,)},
    feature_kinds={FEATURE: FEATURE_KIND}, feature_labels={FEATURE: "AudioSet embeddings"},
    help={"yamnet": "Beyond the study: SVM, KNN or logistic regression on the embeddings of "
                    "YAMNet, a network pretrained on AudioSet's 521 sound classes (about 2 "
                    "million YouTube clips, with music genres among them; transfer learning: "
                    "only the head is trained here)."},
    descriptions={"yamnet": "SVM/KNN/logistic head on YAMNet embeddings (pretrained AudioSet "
                            "classifier)"},
    feature_descriptions={FEATURE: "YAMNet's 1024-d embedding, mean of the 0.975-s windows at a "
                                   "0.48-s hop"},
    head_files=embedding_heads.head_files, default_head=lambda kind: "svm",
    clip_kind=lambda entry: FEATURE_KIND, score=score, fit=fit, predicts_keras=True,
    sklearn_heads=True, head_choices={"yamnet": embedding_heads.EMBEDDING_HEADS}, title=title,
    extract=extract, clip_features={WINDOWS_KIND: clip_windows, FEATURE_KIND: windows_embedding},
    clip_feature_sources={FEATURE_KIND: WINDOWS_KIND}, tags=tags,
    tags_label=audioset_classes.TAGS_LABEL, tags_note=audioset_classes.TAGS_NOTE,
    beyond_study=True, filters_noise=False,
    form_note="The pretrained network is not trained: only the head is. The SVM's C is chosen "
              "on the validation tracks (grouped cross-validation on the training tracks when "
              "there are none), then refitted on train+valid; the KNN uses k = 5; the logistic "
              "head is balanced with C = 0.01.",
)
