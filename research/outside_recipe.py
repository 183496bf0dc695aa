"""Beyond GTZAN: musicnn features and heads that carry to music from outside GTZAN.

Self-contained research module (new; nothing else in core imports it). It reuses core.models.musicnn_net's
front end (log-mel patches) and its Keras port of the network (``build_model``), with either of
two checkpoints of the musicnn 0.1.0 wheel (ISC licence):

- "msd": MSD_musicnn, the shipped models/pretrained/musicnn/msd_musicnn.npz (3.2 MB);
- "mtt": MTT_musicnn (same architecture, trained on MagnaTagATune's 50 tags), converted from the
  wheel with core.models.musicnn_weights into artefacts/mtt_musicnn.npz (3.2 MB) by ``convert_mtt``.

Contents: checkpoint loading and a per-checkpoint cached forward pass (``embed_patches``),
training-side audio augmentations (``AUGMENTATIONS``), clip features from per-patch outputs
(``clip_features``), and the heads compared in research/outside_variants.py (``make_head``).
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np

from core.features import musicnn_input
from core.models import musicnn_net
from core.constants import PROJECT_ROOT, SAMPLE_RATE

ARTEFACTS: Path = PROJECT_ROOT / "artefacts"
WHEEL: Path = Path(os.environ.get("MUSICNN_WHEEL", "/tmp/mw/musicnn-0.1.0-py3-none-any.whl"))
#: checkpoint name -> its converted .npz
CHECKPOINTS: dict[str, Path] = {"msd": musicnn_net.weights_path(),
                                "mtt": ARTEFACTS / "mtt_musicnn.npz"}
MTT_TAGS: tuple[str, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral")
TAGS: dict[str, tuple[str, ...]] = {"msd": musicnn_net.MSD_TAGS, "mtt": MTT_TAGS}
OUTPUTS: tuple[str, ...] = ("max_pool", "mean_pool", "penultimate", "taggram")


def cache_root() -> Path:
    """<GENRELAB_CACHE or project .cache>/outside."""
    from core import config

    return config.cache_dir() / "outside"


def cache_path(ckpt: str, aug: str, set_name: str, clip: Path) -> Path:
    """Cache file of one clip's per-patch outputs under one checkpoint and augmentation."""
    return cache_root() / ckpt / aug / set_name / clip.parent.name / f"{clip.stem}.npz"


def convert_mtt(wheel: Path = WHEEL) -> Path:
    """artefacts/mtt_musicnn.npz from the wheel's MTT_musicnn checkpoint (once); its path."""
    from core.models import musicnn_weights

    target = CHECKPOINTS["mtt"]
    if not target.is_file():
        data = musicnn_weights.npz_bytes(musicnn_weights.from_wheel(wheel, "MTT_musicnn"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.with_name(target.name + ".sha256").write_text(
            f"{hashlib.sha256(data).hexdigest()}  {target.name}\n")
    return target


def load_checkpoint(ckpt: str) -> dict[str, np.ndarray]:
    """The float32 variables of a checkpoint, shapes checked against core.models.musicnn_net's port."""
    path = CHECKPOINTS[ckpt]
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k].astype(np.float32) for k in archive.files}
    for name, shape in musicnn_net.expected_shapes().items():
        if arrays.get(name, np.empty(0)).shape != shape:
            raise ValueError(f"{path}: {name} missing or not of shape {shape}")
    return arrays


def set_threads(threads: int) -> None:
    """Limit TensorFlow's thread pools (call before the first forward pass)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass


@functools.lru_cache(maxsize=4)
def _forward(ckpt: str) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Cached compiled forward pass of one checkpoint (B, 187, 96) -> dict of arrays."""
    import tensorflow as tf

    model = musicnn_net.build_model(load_checkpoint(ckpt))
    spec = tf.TensorSpec((None, musicnn_input.PATCH_FRAMES, musicnn_input.MUSICNN_N_MELS), tf.float32)
    graph = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    return lambda x: {k: v.numpy() for k, v in graph(tf.constant(x)).items()}


def embed_patches(batch: np.ndarray, ckpt: str = "msd") -> dict[str, np.ndarray]:
    """Per-patch outputs (OUTPUTS -> (n, width) float32) of log-mel patches under a checkpoint."""
    forward = _forward(ckpt)
    parts = [forward(batch[i:i + 32]) for i in range(0, len(batch), 32)]
    return {k: np.concatenate([p[k] for p in parts]).astype(np.float32) for k in OUTPUTS}


def prepare(path: Path) -> np.ndarray:
    """A clip decoded for musicnn: mono float32 at 22050 Hz, at its own level."""
    return musicnn_input.prepare(path, name=Path(path).name)


def clip_patches(y: np.ndarray) -> np.ndarray:
    """musicnn's log-mel patches (n, 187, 96) of mono samples at 22050 Hz."""
    return musicnn_input.clip_patches(y, SAMPLE_RATE)


# --- training-side augmentations: what changes between collections ---------------------------


def _shelf(y: np.ndarray, sr: int, freq: float, gain_db: float, high: bool) -> np.ndarray:
    """RBJ-cookbook low or high shelf (slope 1) of gain_db at freq Hz."""
    from scipy.signal import lfilter

    a_ = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq / sr
    cos, alpha = np.cos(w0), np.sin(w0) / 2 * np.sqrt(2)
    s = 2 * np.sqrt(a_) * alpha
    if high:
        b = [a_ * ((a_ + 1) + (a_ - 1) * cos + s), -2 * a_ * ((a_ - 1) + (a_ + 1) * cos),
             a_ * ((a_ + 1) + (a_ - 1) * cos - s)]
        a = [(a_ + 1) - (a_ - 1) * cos + s, 2 * ((a_ - 1) - (a_ + 1) * cos),
             (a_ + 1) - (a_ - 1) * cos - s]
    else:
        b = [a_ * ((a_ + 1) - (a_ - 1) * cos + s), 2 * a_ * ((a_ - 1) - (a_ + 1) * cos),
             a_ * ((a_ + 1) - (a_ - 1) * cos - s)]
        a = [(a_ + 1) + (a_ - 1) * cos + s, -2 * ((a_ - 1) + (a_ + 1) * cos),
             (a_ + 1) + (a_ - 1) * cos - s]
    return lfilter(np.array(b) / a[0], np.array(a) / a[0], y).astype(np.float32)


def aug_gain(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Loudness: a gain drawn uniformly in +-[4, 12] dB (the network hears the clip's level)."""
    db = rng.uniform(4, 12) * rng.choice([-1.0, 1.0])
    return (y * 10 ** (db / 20)).astype(np.float32)


def aug_eq(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Recording/mastering colour: low shelf at 60-250 Hz and high shelf at 2-6 kHz, each of
    +-[3, 9] dB, then a gain of +-6 dB."""
    sr = SAMPLE_RATE
    y = _shelf(y, sr, rng.uniform(60, 250), rng.uniform(3, 9) * rng.choice([-1, 1]), False)
    y = _shelf(y, sr, rng.uniform(2000, 6000), rng.uniform(3, 9) * rng.choice([-1, 1]), True)
    return (y * 10 ** (rng.uniform(-6, 6) / 20)).astype(np.float32)


def aug_speed(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tempo and pitch together (resampling, as a turntable): speed x0.92-0.96 or x1.04-1.08."""
    from core.data.audio import resample

    factor = rng.uniform(1.04, 1.08) ** rng.choice([-1.0, 1.0])
    return resample(y, int(round(SAMPLE_RATE * factor)), SAMPLE_RATE)


AUGMENTATIONS: dict[str, Callable | None] = {"none": None, "gain": aug_gain, "eq": aug_eq,
                                             "speed": aug_speed}


# --- clip features and heads -------------------------------------------------------------------

#: feature name -> (checkpoint, output) pieces, concatenated in this order; every piece is the
#: clip mean over its 3-s patches; "taggram" pieces enter as tag logits log(p / (1 - p)).
FEATURES: dict[str, tuple[tuple[str, str], ...]] = {
    "msd3": (("msd", "max_pool"), ("msd", "mean_pool"), ("msd", "penultimate")),
    "msd3+tags": (("msd", "max_pool"), ("msd", "mean_pool"), ("msd", "penultimate"),
                  ("msd", "taggram")),
    "mtt3": (("mtt", "max_pool"), ("mtt", "mean_pool"), ("mtt", "penultimate")),
    "msd3+mtt3": (("msd", "max_pool"), ("msd", "mean_pool"), ("msd", "penultimate"),
                  ("mtt", "max_pool"), ("mtt", "mean_pool"), ("mtt", "penultimate")),
    "pen+tags": (("msd", "penultimate"), ("msd", "taggram"), ("mtt", "penultimate"),
                 ("mtt", "taggram")),
    "tags": (("msd", "taggram"), ("mtt", "taggram")),
}
GENRES_OUT: tuple[str, ...] = ("blues", "classical", "country", "disco", "hiphop", "jazz",
                               "metal", "pop", "reggae", "rock")


def tag_logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) of tag probabilities, clipped to [1e-5, 1 - 1e-5]."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-5, 1 - 1e-5)
    return np.log(p / (1 - p))


def checkpoints_of(feature: str) -> tuple[str, ...]:
    """The checkpoints a feature needs, in first-use order."""
    return tuple(dict.fromkeys(ckpt for ckpt, _ in FEATURES[feature]))


def feature_row(outputs: dict[str, dict[str, np.ndarray]], feature: str) -> np.ndarray:
    """One clip's feature vector from its per-patch outputs {ckpt: {output: (n, width)}}."""
    pieces = []
    for ckpt, kind in FEATURES[feature]:
        a = outputs[ckpt][kind]
        pieces.append(tag_logit(a) if kind == "taggram" else np.asarray(a, np.float64))
    return np.concatenate(pieces, axis=1).mean(axis=0)


def make_head(head: str, c: float, seed: int = 42):
    """StandardScaler -> classifier with balanced class weights (inverse genre frequency):
    "lr" multinomial logistic regression (lbfgs), "svm"/"svm-cal" RBF SVC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if head == "lr":
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    else:
        clf = SVC(C=c, kernel="rbf", class_weight="balanced", random_state=seed)
    return Pipeline([("scale", StandardScaler()), ("clf", clf)])


def save_head(model, feature: str, path: Path) -> None:
    """The fitted head with its feature name (skops); path's parent is created."""
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump({"model": model, "feature": feature}, path)


def load_head(path: Path):
    """(model, feature) saved by save_head."""
    import skops.io as sio

    obj = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    return obj["model"], obj["feature"]


def predict_clip(source, model, feature: str) -> tuple[int, np.ndarray]:
    """(genre index, scores (10,)) of one clip (a path or 22050-Hz samples) for a fitted head.

    The genre is the head's own prediction (for the chosen head, the class-balanced SVM's vote,
    not a calibrated probability's argmax). Scores: predict_proba where the head has it, else a
    softmax of the SVM's one-vs-rest decision values (a display score, not a probability)."""
    y = prepare(source) if not isinstance(source, np.ndarray) else source
    batch = clip_patches(y)
    outputs = {ckpt: embed_patches(batch, ckpt) for ckpt in checkpoints_of(feature)}
    x = feature_row(outputs, feature)[None]
    scores = np.zeros(len(GENRES_OUT))
    if hasattr(model, "predict_proba") and getattr(model[-1], "probability", True):
        scores[model.classes_] = model.predict_proba(x)[0]
    else:
        d = model.decision_function(x)[0]
        e = np.exp(d - d.max())
        scores[model.classes_] = e / e.sum()
    return int(model.predict(x)[0]), scores
