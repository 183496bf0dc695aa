"""EfficientAT's mn04_as, an AudioSet tagger (527 classes), in Keras 3: embedding and logits of a clip.

The network is ``mn04_as`` of EfficientAT (Schmid, Koutini, Widmer 2023, "Efficient Large-Scale
Audio Tagging via Transformer-to-CNN Knowledge Distillation"; MIT licence): a MobileNetV3 of width
0.4 trained on AudioSet (mAP .432). Its forward pass, on the normalised log-mel
(core.features.mn04_input) seen as a one-channel image (128 mel bands x frames):

- stem: 3x3 convolution, stride 2, 8 filters, batch norm, hard-swish;
- 15 inverted-residual blocks (BLOCKS): [1x1 expansion, batch norm, activation] -> depthwise kxk
  (stride 1 or 2), batch norm, activation -> [channel squeeze-excitation: mean over frequency and
  time, dense ReLU, dense sigmoid, product] -> 1x1 projection, batch norm; plus the block's input
  when the stride is 1 and the widths agree; activations ReLU (first six) or hard-swish;
- a 1x1 convolution to 384 channels, batch norm, hard-swish; the mean over frequency and time is
  the ``embedding`` (384 numbers, what EfficientAT's model returns as its features);
- head: dense 512 with hard-swish (``hidden``), dropout (inactive), dense 527 -> ``logits`` (a
  sigmoid gives each AudioSet class's probability).

Every convolution is padded by (k - 1) / 2 on each side as PyTorch does (explicit zero padding
before the strided ones: "same" padding would pad a stride-2 layer on one side only). Batch
norms (epsilon 0.001) are folded into the convolutions they follow at load time. A clip goes
in as its non-overlapping 10-s windows (1000 frames each, the length it was trained on; a 30-s
clip is 3 windows, one batch); the clip's embedding is the mean and the standard deviation over
its windows of their 384-d embeddings (768 numbers), its logits the windows' mean: with a
logistic head this 768-d embedding gave 31/49 on xd-dev trained on GTZAN, and 37/49 trained on
GTZAN plus xd-train, where the whole clip's 384-d mean gave 28-33 and 29-35. Weights come
from ``models/pretrained/efficientat-mn04/mn04_as.npz`` (core.models.mn04_weights), checked
against its recorded sha256; nothing is fetched at run time. TensorFlow/Keras are imported
only inside the functions that build or run the network; the model is built once per process,
and its forward pass traced once, under a lock.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core import config
from core.cluster import active_address, run_tasks
from core.constants import GENRE_INDEX, SAMPLE_RATE, SILENCE_PEAK
from core.data.audio import AudioError
from core.data.gtzan import Track
from core.features.mn04_input import (MN04_FMAX, MN04_FMIN, MN04_HOP, MN04_N_FFT, MN04_N_MELS,
                                      MN04_SR, MN04_WIN, WINDOW_SECONDS, clip_windows, prepare)
from core.features.study import TrackResult, assemble, file_digest, save_cached, unreadable_reason
from core.models.mn04_weights import CHECKSUM_NAME, WEIGHTS_DIR, WEIGHTS_NAME
from core.models.persistence import ModelFileError

BN_EPSILON: float = 0.001         #: batch-norm epsilon of the checkpoint


WIDTH: float = 0.4                #: width multiplier of mn04


N_CLASSES: int = 527              #: AudioSet classes


CLASSES_NAME: str = "class_labels_indices.csv"   #: the 527 class names, in output order


# (input, kernel, expanded, output, squeeze-excitation, hard-swish, stride) of each block at
# width 1.0 (MobileNetV3-Large); mn04 rounds each width * 0.4 to a multiple of 8
_BLOCKS_W1 = (
    (16, 3, 16, 16, False, False, 1), (16, 3, 64, 24, False, False, 2),
    (24, 3, 72, 24, False, False, 1), (24, 5, 72, 40, True, False, 2),
    (40, 5, 120, 40, True, False, 1), (40, 5, 120, 40, True, False, 1),
    (40, 3, 240, 80, False, True, 2), (80, 3, 200, 80, False, True, 1),
    (80, 3, 184, 80, False, True, 1), (80, 3, 184, 80, False, True, 1),
    (80, 3, 480, 112, True, True, 1), (112, 3, 672, 112, True, True, 1),
    (112, 5, 672, 160, True, True, 2), (160, 5, 960, 160, True, True, 1),
    (160, 5, 960, 160, True, True, 1),
)


def divisible(v: float, divisor: int = 8) -> int:
    """v rounded to the nearest multiple of divisor (at least divisor, never 10 % below v)."""
    out = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * v else out


#: The blocks of mn04: (input, kernel, expanded, output, SE, hard-swish, stride) in channels.
BLOCKS: tuple[tuple[int, int, int, int, bool, bool, int], ...] = tuple(
    (divisible(a * WIDTH), k, divisible(e * WIDTH), divisible(o * WIDTH), se, hs, s)
    for a, k, e, o, se, hs, s in _BLOCKS_W1)


EMBEDDING_DIM: int = 6 * BLOCKS[-1][3]      #: 384, channels of the last convolution


HIDDEN_DIM: int = divisible(1280 * WIDTH)   #: 512, units of the head's hidden layer


#: Every per-window output of ``embed_windows``: name -> width.
OUTPUT_DIMS: dict[str, int] = {"embedding": EMBEDDING_DIM, "hidden": HIDDEN_DIM,
                               "logits": N_CLASSES}


#: 10-s windows run in one pass at most (a longer clip's windows go in batches of this many).
BATCH_WINDOWS: int = 6


#: The clip embedding: mean and standard deviation over the windows of the 384-d embedding.
CLIP_EMBEDDING_DIM: int = 2 * EMBEDDING_DIM


#: Bump when the numbers embed produces change, so cached embeddings are recomputed.
MN04_VERSION: int = 2


class WeightsError(ModelFileError):
    """The mn04 weights file is missing or damaged; the message says which and what to do.
    A ModelFileError: prediction lists the mn04 models as failed (the others still answer)."""


def weights_path() -> Path:
    """Path of the converted mn04_as weights (.npz)."""
    return WEIGHTS_DIR / WEIGHTS_NAME


def _regenerate_hint() -> str:
    """How to rebuild the weights file, for error messages."""
    return ("restore it from the repository (git checkout -- models/pretrained/efficientat-mn04) "
            "or regenerate it from EfficientAT's mn04_as_mAP_432.pt: python -m "
            "core.models.mn04_weights --from-pt mn04_as_mAP_432.pt --python <python with torch>")


def _bn_shapes(prefix: str, width: int) -> dict[str, tuple[int, ...]]:
    """State-dict names and shapes of one batch norm."""
    return {f"{prefix}.{f}": (width,) for f in ("weight", "bias", "running_mean",
                                                 "running_var")}


def layer_plan() -> list[tuple[str, str, int, int, int, int]]:
    """The convolutions in order: (state-dict prefix, kind, in, out, kernel, stride); kind is
    "conv" (full), "depthwise" or "se" (squeeze-excitation of `out` channels, in = squeeze)."""
    plan = [("features.0", "conv", 1, BLOCKS[0][0], 3, 2)]
    for i, (cin, k, exp, cout, se, _hs, stride) in enumerate(BLOCKS, start=1):
        j = 0
        if exp != cin:
            plan.append((f"features.{i}.block.{j}", "conv", cin, exp, 1, 1))
            j += 1
        plan.append((f"features.{i}.block.{j}", "depthwise", exp, exp, k, stride))
        j += 1
        if se:
            plan.append((f"features.{i}.block.{j}.conc_se_layers.0", "se",
                         divisible(exp // 4), exp, 1, 1))
            j += 1
        plan.append((f"features.{i}.block.{j}", "conv", exp, cout, 1, 1))
    plan.append((f"features.{len(BLOCKS) + 1}", "conv", BLOCKS[-1][3], EMBEDDING_DIM, 1, 1))
    return plan


def expected_shapes() -> dict[str, tuple[int, ...]]:
    """State-dict tensor name -> shape, for every tensor the port needs."""
    shapes: dict[str, tuple[int, ...]] = {}
    for prefix, kind, cin, cout, k, _ in layer_plan():
        if kind == "se":
            shapes.update({f"{prefix}.fc1.weight": (cin, cout), f"{prefix}.fc1.bias": (cin,),
                           f"{prefix}.fc2.weight": (cout, cin), f"{prefix}.fc2.bias": (cout,)})
            continue
        shapes[f"{prefix}.0.weight"] = (cout, 1 if kind == "depthwise" else cin, k, k)
        shapes.update(_bn_shapes(f"{prefix}.1", cout))
    shapes.update({"classifier.2.weight": (HIDDEN_DIM, EMBEDDING_DIM),
                   "classifier.2.bias": (HIDDEN_DIM,),
                   "classifier.5.weight": (N_CLASSES, HIDDEN_DIM),
                   "classifier.5.bias": (N_CLASSES,)})
    return shapes


def weights_sha256(path: Path | None = None) -> str:
    """The sha256 recorded beside the weights file; WeightsError when that record is missing."""
    path = path or weights_path()
    record = path.parent / CHECKSUM_NAME if path.name == WEIGHTS_NAME else Path(
        str(path) + ".sha256")
    try:
        return record.read_text().split()[0].lower()
    except (OSError, IndexError) as error:
        raise WeightsError(f"mn04 weights: the checksum file {record} is missing or empty; "
                           + _regenerate_hint()) from error


def load_weights(path: Path | None = None) -> dict[str, np.ndarray]:
    """The state dict's tensors (name -> float32 array), checked against the recorded sha256.
    WeightsError (naming the file and how to restore it) when the file is missing, its sha256
    differs from the record, or a tensor is missing or has the wrong shape.
    """
    path = Path(path or weights_path())
    if not path.is_file():
        raise WeightsError(f"mn04 weights file {path} is missing; " + _regenerate_hint())
    expected = weights_sha256(path)
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise WeightsError(f"mn04 weights file {path} is damaged (sha256 {actual[:12]}..., "
                           f"expected {expected[:12]}...); " + _regenerate_hint())
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name].astype(np.float32, copy=False)
                      for name in archive.files}
    except (OSError, ValueError) as error:
        raise WeightsError(f"mn04 weights file {path} cannot be read ({error}); "
                           + _regenerate_hint()) from error
    for name, shape in expected_shapes().items():
        if name not in arrays:
            raise WeightsError(f"mn04 weights file {path} lacks tensor {name}; "
                               + _regenerate_hint())
        if arrays[name].shape != shape:
            raise WeightsError(f"mn04 weights file {path}: {name} has shape "
                               f"{arrays[name].shape}, expected {shape}; " + _regenerate_hint())
    return arrays


@functools.lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 527 AudioSet class names in the order of the logits (shipped beside the weights)."""
    path = WEIGHTS_DIR / CLASSES_NAME
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise WeightsError(f"mn04 class list {path} cannot be read ({error}); "
                           + _regenerate_hint()) from error
    names = tuple(row["display_name"] for row in sorted(rows, key=lambda r: int(r["index"])))
    if len(names) != N_CLASSES:
        raise WeightsError(f"mn04 class list {path} holds {len(names)} classes, expected "
                           f"{N_CLASSES}; " + _regenerate_hint())
    return names


def _folded(weights: dict[str, np.ndarray], prefix: str,
            depthwise: bool) -> tuple[np.ndarray, np.ndarray]:
    """A convolution and its batch norm as one: (kernel in Keras layout, bias)."""
    w = weights[f"{prefix}.0.weight"]
    gamma, beta = weights[f"{prefix}.1.weight"], weights[f"{prefix}.1.bias"]
    mean, var = weights[f"{prefix}.1.running_mean"], weights[f"{prefix}.1.running_var"]
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + BN_EPSILON)
    bias = beta - mean * scale
    kernel = w.astype(np.float64) * scale[:, None, None, None]     # (out, in, kh, kw)
    if depthwise:
        kernel = kernel.transpose(2, 3, 0, 1)                      # depthwise (kh, kw, C, 1)
    else:
        kernel = kernel.transpose(2, 3, 1, 0)                      # (kh, kw, in, out)
    return kernel.astype(np.float32), bias.astype(np.float32)


def build_model(weights: dict[str, np.ndarray]):  # -> keras.Model
    """The mn04 forward pass as a Keras 3 model: (B, 128, frames) -> dict of per-clip outputs
    "embedding" (B, 384), "hidden" (B, 512) and "logits" (B, 527), with the weights set."""
    import keras
    from keras import layers, ops

    def act(h, hard_swish: bool):
        return ops.hard_silu(h) if hard_swish else ops.relu(h)

    x_in = keras.Input((MN04_N_MELS, None), name="logmel")
    h = ops.expand_dims(x_in, -1)                                  # (B, freq, time, 1)
    assigned: list[tuple[keras.layers.Layer, list[np.ndarray]]] = []

    def conv(h, prefix: str, filters: int, k: int, stride: int, depthwise: bool = False):
        if stride > 1:
            pad = (k - 1) // 2
            h = layers.ZeroPadding2D(((pad, pad), (pad, pad)))(h)
        padding = "valid" if stride > 1 else "same"
        layer = (layers.DepthwiseConv2D(k, strides=stride, padding=padding,
                                        name=prefix.replace(".", "_"))
                 if depthwise else
                 layers.Conv2D(filters, k, strides=stride, padding=padding,
                               name=prefix.replace(".", "_")))
        out = layer(h)
        assigned.append((layer, list(_folded(weights, prefix, depthwise))))
        return out

    def squeeze_excite(h, prefix: str, squeeze: int, channels: int):
        s = ops.mean(h, axis=(1, 2))
        fc1 = layers.Dense(squeeze, activation="relu", name=f"{prefix}.fc1".replace(".", "_"))
        fc2 = layers.Dense(channels, activation="sigmoid",
                           name=f"{prefix}.fc2".replace(".", "_"))
        gate = fc2(fc1(s))
        for layer, name in ((fc1, "fc1"), (fc2, "fc2")):
            assigned.append((layer, [weights[f"{prefix}.{name}.weight"].T,
                                     weights[f"{prefix}.{name}.bias"]]))
        return h * ops.reshape(gate, (-1, 1, 1, channels))

    h = act(conv(h, "features.0", BLOCKS[0][0], 3, 2), True)
    for i, (cin, k, exp, cout, se, hs, stride) in enumerate(BLOCKS, start=1):
        block_in, j = h, 0
        if exp != cin:
            h = act(conv(h, f"features.{i}.block.{j}", exp, 1, 1), hs)
            j += 1
        h = act(conv(h, f"features.{i}.block.{j}", exp, k, stride, depthwise=True), hs)
        j += 1
        if se:
            h = squeeze_excite(h, f"features.{i}.block.{j}.conc_se_layers.0",
                               divisible(exp // 4), exp)
            j += 1
        h = conv(h, f"features.{i}.block.{j}", cout, 1, 1)
        if stride == 1 and cin == cout:
            h = h + block_in
    h = act(conv(h, f"features.{len(BLOCKS) + 1}", EMBEDDING_DIM, 1, 1), True)
    embedding = ops.mean(h, axis=(1, 2))
    dense_hidden = layers.Dense(HIDDEN_DIM, name="classifier_2")
    dense_logits = layers.Dense(N_CLASSES, name="classifier_5")
    hidden = ops.hard_silu(dense_hidden(embedding))
    logits = dense_logits(hidden)
    for layer, name in ((dense_hidden, "classifier.2"), (dense_logits, "classifier.5")):
        assigned.append((layer, [weights[f"{name}.weight"].T, weights[f"{name}.bias"]]))
    model = keras.Model(x_in, {"embedding": embedding, "hidden": hidden, "logits": logits},
                        name="efficientat_mn04_as")
    for layer, values in assigned:
        layer.set_weights(values)
    return model


#: Held while the network is built and traced: two threads (the server's warm-up and a
#: visitor's upload) asking for it at once build it once, the second waiting for the first.
_BUILD_LOCK = threading.Lock()


def _forward_once() -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """_forward, built by one thread only."""
    with _BUILD_LOCK:
        return _forward()


@functools.lru_cache(maxsize=1)
def _forward() -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """The cached compiled forward pass (B, 128, frames) float32 -> dict of float32 arrays,
    traced once for any batch size and number of frames."""
    model = build_model(load_weights())
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec((None, MN04_N_MELS, None), tf.float32)
        graph = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        return lambda x: {k: v.numpy() for k, v in graph(tf.constant(x)).items()}
    return lambda x: {k: keras.ops.convert_to_numpy(v)
                      for k, v in model(x, training=False).items()}


def embed_windows(batch: np.ndarray) -> dict[str, np.ndarray]:
    """Per-window outputs of log-mel windows (n, 128, frames): each of OUTPUT_DIMS -> (n, width)
    float32. Up to BATCH_WINDOWS windows go in one pass (a 30-s clip is 3), so that a long
    clip's memory stays bounded."""
    batch = np.asarray(batch, dtype=np.float32)
    if batch.ndim != 3 or batch.shape[1] != MN04_N_MELS or batch.shape[2] < 1 or not len(batch):
        raise ValueError(f"mn04 input must have shape (n, {MN04_N_MELS}, frames); got "
                         f"{np.shape(batch)}")
    forward = _forward_once()
    parts = [forward(np.ascontiguousarray(batch[i:i + BATCH_WINDOWS]))
             for i in range(0, len(batch), BATCH_WINDOWS)]
    return {k: np.concatenate([p[k] for p in parts]).astype(np.float32, copy=False)
            for k in OUTPUT_DIMS}


def clip_embedding(window_embeddings: np.ndarray) -> np.ndarray:
    """The clip's embedding (CLIP_EMBEDDING_DIM,) float32: the mean and the standard deviation
    (ddof 0) over its windows of their (n, 384) embeddings, concatenated."""
    e = np.asarray(window_embeddings, dtype=np.float64)
    return np.concatenate([e.mean(axis=0), e.std(axis=0)]).astype(np.float32)


def embed(y: np.ndarray, sr: int = SAMPLE_RATE) -> dict[str, np.ndarray]:
    """mn04's outputs of a mono clip at sr Hz (own level), per 10-s window and for the clip.
    Keys: OUTPUT_DIMS -> (windows, width) per window; "clip_embedding" (768,) (clip_embedding)
    and "clip_logits" (527,) the mean of the windows' logits. AudioError when the clip is under
    1 s or silent; WeightsError when the weights file is missing or damaged."""
    out = embed_windows(clip_windows(y, sr))
    out["clip_embedding"] = clip_embedding(out["embedding"])
    out["clip_logits"] = out["logits"].mean(axis=0)
    return out


def probabilities(logits: np.ndarray) -> np.ndarray:
    """AudioSet class probabilities (sigmoid) of logits, float64."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def embedding_params() -> dict[str, object]:
    """Every parameter the cached outputs depend on (what the cache key hashes)."""
    return {"version": MN04_VERSION, "weights": weights_sha256(), "sr": MN04_SR,
            "n_fft": MN04_N_FFT, "win": MN04_WIN, "hop": MN04_HOP, "n_mels": MN04_N_MELS,
            "fmin": MN04_FMIN, "fmax": MN04_FMAX, "input_sr": SAMPLE_RATE,
            "silence_peak": SILENCE_PEAK, "window_s": WINDOW_SECONDS,
            "outputs": OUTPUT_DIMS}


@functools.lru_cache(maxsize=1)
def params_digest() -> str:
    """Short sha1 hex digest of embedding_params()."""
    text = json.dumps(embedding_params(), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """Folder of the embedding cache: <cache_dir>/mn04."""
    return config.cache_dir() / "mn04"


def _load_cached(path: Path) -> dict[str, np.ndarray] | None:
    """The per-window outputs held in a cache file; None when absent, unreadable or damaged."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = {k: archive[k] for k in OUTPUT_DIMS}
    except (OSError, ValueError, KeyError, EOFError):
        return None
    counts = {a.shape[0] for a in found.values()}
    ok = all(a.ndim == 2 and a.shape[1] == OUTPUT_DIMS[k] and np.all(np.isfinite(a))
             for k, a in found.items())
    return found if ok and len(counts) == 1 and counts != {0} else None


def _set_threads(threads: int | None) -> None:
    """Limit TensorFlow's thread pools in this process (once, before the model is built)."""
    if not threads or _forward.cache_info().currsize:
        return
    try:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already initialised in this process: keep its pools
        pass


def _embed_track(track: Track, cache_root: Path | None, threads: int | None) -> TrackResult:
    """One track's per-window outputs (windows, width) each: from the cache when present, else
    computed and cached."""
    label = GENRE_INDEX[track.genre]
    path: Path | None = None
    try:
        if cache_root is not None:
            path = cache_root / f"{file_digest(track.path)}_{params_digest()}.npz"
            held = _load_cached(path)
            if held is not None:
                return TrackResult(track.track_id, label, held, None, True)
        y = prepare(track.path, name=track.path.name)
        batch = clip_windows(y)
    except AudioError as error:
        return TrackResult(track.track_id, label, None, str(error), False)
    except OSError as error:
        return TrackResult(track.track_id, label, None, unreadable_reason(error), False)
    _set_threads(threads)
    outputs = embed_windows(batch)
    if path is not None:
        save_cached(path, outputs)
    return TrackResult(track.track_id, label, outputs, None, False)


def _lost_track(track: Track, reason: str) -> TrackResult:
    """Result of a track whose worker process died while embedding it (reported, not raised)."""
    return TrackResult(track.track_id, GENRE_INDEX[track.genre], None, reason, False)


def embed_tracks(tracks: Sequence[Track], n_jobs: int = 1, progress: bool = True,
                 cache: bool = True):  # -> core.features.study.FeatureSet
    """mn04 outputs of many tracks, each 10-s window as one segment, with the disk cache: a
    core.features.study.FeatureSet whose kinds are the OUTPUT_DIMS names ((n_windows, width)
    float32; segment_track / segment_label per window); ``clip_rows`` gives one row per track.
    Tracks run as joblib tasks (core.cluster.run_tasks; TensorFlow limited to each
    worker's share of the cores) or in this process when n_jobs is 1; results keep the order
    of `tracks`. Unreadable, silent or too short files are listed in `skipped` with the reason.
    With cache=True each file's outputs are read from / written to cache_dir(), keyed by the
    file's sha1 and embedding_params() (which include the weights' sha256); writes are atomic.
    WeightsError when the weights are missing or damaged (checked before any work).
    """
    from tqdm.auto import tqdm

    tracks = list(tracks)
    bad = [t for t in tracks if not isinstance(t, Track)]
    if bad:
        raise TypeError(f"embed_tracks expects core.data.gtzan.Track items, got "
                        f"{type(bad[0]).__name__}")
    ids = [t.track_id for t in tracks]
    if len(set(ids)) != len(ids):
        raise ValueError("embed_tracks got the same track id more than once")
    unknown = sorted({t.genre for t in tracks if t.genre not in GENRE_INDEX})
    if unknown:
        raise ValueError(f"genre(s) {unknown} are not GTZAN genres")
    load_weights()  # a missing or damaged file fails here, with its message, not per track
    cache_root = cache_dir() if cache else None
    workers = (os.cpu_count() or 1) if n_jobs < 0 else max(1, n_jobs)
    workers = min(workers, max(1, len(tracks)))
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None
    on_cluster = active_address() is not None   # inside core.cluster.joblib_backend
    if workers == 1 and not on_cluster:
        results = [_embed_track(t, cache_root, None)
                   for t in tqdm(tracks, desc="mn04", unit="clip", disable=not progress)]
    else:
        results = run_tasks(_embed_track, tracks, _lost_track, n_jobs=workers, desc="mn04",
                            args=(cache_root, 1 if on_cluster else threads), progress=progress)
    return assemble(results, tuple(OUTPUT_DIMS), {k: (d,) for k, d in OUTPUT_DIMS.items()})


def clip_rows(features) -> tuple[np.ndarray, np.ndarray]:
    """One row per track of an embed_tracks FeatureSet, in track order: (clip embeddings
    (n_tracks, 768) as clip_embedding, clip logits (n_tracks, 527) the windows' mean)."""
    track_of = np.asarray(features.segment_track).astype(str)
    rows, logits = [], []
    for track in np.asarray(features.track_ids).astype(str):
        mine = track_of == track
        rows.append(clip_embedding(features["embedding"][mine]))
        logits.append(features["logits"][mine].mean(axis=0))
    if not rows:
        return (np.zeros((0, CLIP_EMBEDDING_DIM), np.float32), np.zeros((0, N_CLASSES), np.float32))
    return np.stack(rows), np.stack(logits).astype(np.float32)
