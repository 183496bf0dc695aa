"""musicnn, the MSD music tagger of Pons & Serra (2019), in Keras 3: embeddings and tags of a clip.

The network is ``MSD_musicnn`` of the ``musicnn`` 0.1.0 package (ISC licence), trained on the
Million Song Dataset's 50 most frequent tags. Its forward pass, layer by layer as the package's
``musicnn/models.py`` builds it (``build_musicnn``, 64 mid-end filters, 200 back-end units):

- input: a log-mel patch (187 frames x 96 mels, see ``logmel``), batch-normalised (one channel);
- front end, on the normalised patch (B, 187, 96, 1):
  timbral: time-padded by 3 frames each side, Conv2D 204 filters (7, 38) and 204 filters (7, 67),
  valid, ReLU, batch norm, max over frequency -> 2 x (B, 187, 204);
  temporal: Conv2D 51 filters (128, 1), (64, 1), (32, 1), "same" padding, ReLU, batch norm, max over
  frequency -> 3 x (B, 187, 51); all five concatenated -> (B, 187, 561);
- mid end: three 1-D convolutions over time (64 filters, width 7, zero-padded by 3, ReLU, batch
  norm), the 2nd and 3rd with a residual connection; front end and the three outputs concatenated
  -> (B, 187, 753);
- back end: max and mean over time -> ``max_pool`` and ``mean_pool`` (B, 753), interleaved
  (max0, mean0, max1, ...) into 1506 values, batch norm, Dense 200 ReLU, batch norm ->
  ``penultimate`` (B, 200); Dense 50 and a sigmoid -> the tag probabilities (``taggram``).

Batch norm is in inference mode (moving statistics, epsilon 0.001, TF1's default); dropout is
inactive. The log compression is computed in float32: the package casts the mel power to float16
first, which overflows to inf on loud clips under numpy 2. Weights come from the converted file
``models/pretrained/musicnn/msd_musicnn.npz`` (see core.models.musicnn_weights), checked against its
recorded sha256; nothing is fetched at run time. TensorFlow/Keras are imported only inside the
functions that build or run the network; the model is built once per process and cached.

The network takes the clip at its own level (no high-pass, trimming or peak normalisation, as the
package does): core.features.musicnn_input.prepare decodes a file that way, ``embed`` takes such
samples at 22050 Hz; the log-mel patches come from core.features.musicnn_input.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.data.audio import AudioError
from core.constants import GENRE_INDEX, SAMPLE_RATE, SILENCE_PEAK
from core.data.gtzan import Track
from core.models.persistence import ModelFileError
from core.models.musicnn_weights import CHECKSUM_NAME, WEIGHTS_DIR, WEIGHTS_NAME
from core import config
from core.features.musicnn_input import (LOG_GAIN, MUSICNN_HOP, MUSICNN_N_FFT, MUSICNN_N_MELS,
                                         MUSICNN_SR, PATCH_FRAMES, clip_patches, prepare)
from core.features.study import TrackResult, assemble, file_digest, save_cached, unreadable_reason
from core.cluster import active_address, run_tasks

BN_EPSILON: float = 0.001         #: TF1 batch-norm epsilon


MIDEND_FILTERS: int = 64          #: filters of each mid-end convolution


BACKEND_UNITS: int = 200          #: units of the penultimate dense layer


#: The 50 MSD tags, in the order of the network's outputs (musicnn's MSD_LABELS).
MSD_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill",
    "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock",
    "60s", "rnb", "indie pop", "sad", "House", "happy",
)


#: Embeddings of one patch: name -> width.
EMBEDDING_DIMS: dict[str, int] = {"max_pool": 753, "mean_pool": 753, "penultimate": BACKEND_UNITS}


EMBEDDING_KINDS: tuple[str, ...] = tuple(EMBEDDING_DIMS)


#: Every per-patch output of ``embed_patches``: the embeddings and the tag probabilities.
OUTPUT_DIMS: dict[str, int] = {**EMBEDDING_DIMS, "taggram": len(MSD_TAGS)}


OUTPUT_KINDS: tuple[str, ...] = tuple(OUTPUT_DIMS)


#: Bump when the numbers embed produces change, so cached embeddings are recomputed.
MUSICNN_VERSION: int = 1


#: Patches in one forward pass at most: a clip of up to ONE_PASS_PATCHES (a 30-s clip is 10)
#: goes in one pass; a longer one BATCH_PATCHES at a time, since each pass holds the front end's
#: activations (~0.15 GB for 5 patches, ~0.3 GB for 10, ~1 GB for 32) beside the long clip.
ONE_PASS_PATCHES: int = 10
BATCH_PATCHES: int = 5


# front end: (checkpoint conv, checkpoint batch norm, filters, kernel) of each branch
_TIMBRAL = (("conv2d", "batch_normalization_1", 204, (7, 38)),
            ("conv2d_1", "batch_normalization_2", 204, (7, 67)))


_TEMPORAL = (("conv2d_2", "batch_normalization_3", 51, (128, 1)),
             ("conv2d_3", "batch_normalization_4", 51, (64, 1)),
             ("conv2d_4", "batch_normalization_5", 51, (32, 1)))


_MIDEND = (("conv2d_5", "batch_normalization_6"), ("conv2d_6", "batch_normalization_7"),
           ("conv2d_7", "batch_normalization_8"))


_BN_FIELDS = ("gamma", "beta", "moving_mean", "moving_variance")


_FRONT_NORM = {conv: bn for conv, bn, _, _ in _TIMBRAL + _TEMPORAL}


class WeightsError(ModelFileError):
    """The musicnn weights file is missing or damaged; the message says which and what to do.
    A ModelFileError: prediction lists the musicnn models as failed (the others still answer)
    and the CLI prints one error line."""


def weights_path() -> Path:
    """Path of the converted MSD_musicnn weights (.npz)."""
    return WEIGHTS_DIR / WEIGHTS_NAME


def _regenerate_hint() -> str:
    """How to rebuild the weights file, for error messages."""
    return ("restore it from the repository (git checkout -- models/pretrained/musicnn) or "
            "regenerate it: pip download --no-deps musicnn==0.1.0 -d /tmp/w && "
            "python -m core.models.musicnn_weights --from-wheel /tmp/w/musicnn-0.1.0-py3-none-any.whl")


def expected_shapes() -> dict[str, tuple[int, ...]]:
    """Checkpoint variable name -> shape, for every variable the port needs."""
    shapes: dict[str, tuple[int, ...]] = {}

    def bn(name: str, width: int) -> None:
        shapes.update({f"{name}/{f}": (width,) for f in _BN_FIELDS})

    bn("batch_normalization", 1)
    for conv, norm, filters, kernel in _TIMBRAL + _TEMPORAL:
        shapes[f"{conv}/kernel"] = (*kernel, 1, filters)
        shapes[f"{conv}/bias"] = (filters,)
        bn(norm, filters)
    front = sum(branch[2] for branch in _TIMBRAL + _TEMPORAL)
    for i, (conv, norm) in enumerate(_MIDEND):
        shapes[f"{conv}/kernel"] = (7, front if i == 0 else MIDEND_FILTERS, 1, MIDEND_FILTERS)
        shapes[f"{conv}/bias"] = (MIDEND_FILTERS,)
        bn(norm, MIDEND_FILTERS)
    pooled = 2 * EMBEDDING_DIMS["max_pool"]
    bn("batch_normalization_9", pooled)
    shapes["dense/kernel"] = (pooled, BACKEND_UNITS)
    shapes["dense/bias"] = (BACKEND_UNITS,)
    bn("batch_normalization_10", BACKEND_UNITS)
    shapes["dense_1/kernel"] = (BACKEND_UNITS, len(MSD_TAGS))
    shapes["dense_1/bias"] = (len(MSD_TAGS),)
    return shapes


def weights_sha256(path: Path | None = None) -> str:
    """The sha256 recorded beside the weights file; WeightsError when that record is missing."""
    path = path or weights_path()
    record = path.parent / CHECKSUM_NAME if path.name == WEIGHTS_NAME else Path(
        str(path) + ".sha256")
    try:
        return record.read_text().split()[0].lower()
    except (OSError, IndexError) as error:
        raise WeightsError(f"musicnn weights: the checksum file {record} is missing or empty; "
                           + _regenerate_hint()) from error


def load_weights(path: Path | None = None) -> dict[str, np.ndarray]:
    """The checkpoint variables (name -> float32 array), checked against the recorded sha256.
    WeightsError (naming the file and how to restore it) when the file is missing, its sha256
    differs from the record, or a variable is missing or has the wrong shape.
    """
    path = Path(path or weights_path())
    if not path.is_file():
        raise WeightsError(f"musicnn weights file {path} is missing; " + _regenerate_hint())
    expected = weights_sha256(path)
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise WeightsError(f"musicnn weights file {path} is damaged (sha256 {actual[:12]}..., "
                           f"expected {expected[:12]}...); " + _regenerate_hint())
    import io

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name].astype(np.float32, copy=False)
                      for name in archive.files}
    except (OSError, ValueError) as error:
        raise WeightsError(f"musicnn weights file {path} cannot be read ({error}); "
                           + _regenerate_hint()) from error
    for name, shape in expected_shapes().items():
        if name not in arrays:
            raise WeightsError(f"musicnn weights file {path} lacks variable {name}; "
                               + _regenerate_hint())
        if arrays[name].shape != shape:
            raise WeightsError(f"musicnn weights file {path}: {name} has shape "
                               f"{arrays[name].shape}, expected {shape}; " + _regenerate_hint())
    return arrays


def _folded_norm(weights: dict[str, np.ndarray], bn: str) -> tuple[np.ndarray, ...]:
    """A batch norm as y = scale * x + offset, and the sign of scale (+1 where scale is 0)."""
    scale = weights[f"{bn}/gamma"] / np.sqrt(weights[f"{bn}/moving_variance"] + BN_EPSILON)
    offset = weights[f"{bn}/beta"] - weights[f"{bn}/moving_mean"] * scale
    sign = np.where(scale < 0, -1.0, 1.0)
    return tuple(a.astype(np.float32) for a in (scale, offset, sign))


def build_model(weights: dict[str, np.ndarray]):  # -> keras.Model
    """The musicnn forward pass as a Keras 3 model: (B, 187, 96) -> dict of per-patch outputs.
    Outputs "max_pool", "mean_pool" (B, 753), "penultimate" (B, 200) and "taggram" (B, 50,
    sigmoid probabilities), with the checkpoint's weights set. Each front-end branch computes
    max_f BN(ReLU(z)) as s * ReLU(sign(s) * max_f(sign(s) * z)) + c (BN = s * x + c per filter;
    ReLU and the max commute, a negative s turns the max into a min): the same numbers without
    normalising the whole (B, 187, freq, filters) map, about a fifth less work.
    """
    import keras
    from keras import layers, ops

    def norm(name: str) -> keras.layers.Layer:
        return layers.BatchNormalization(epsilon=BN_EPSILON, name=name)

    def conv_norm_max(h, conv: str, bn: str, filters: int, kernel: tuple[int, int],
                      padding: str):
        """max over frequency of BN(ReLU(conv(h))), folded: BN never touches the big map."""
        scale, offset, sign = folded[bn]
        z = layers.Conv2D(filters, kernel, padding=padding, name=conv)(h)
        return ops.relu(ops.max(z, axis=2) * sign) * scale + offset

    folded = {bn: _folded_norm(weights, bn) for _, bn, _, _ in _TIMBRAL + _TEMPORAL}
    x_in = keras.Input((PATCH_FRAMES, MUSICNN_N_MELS), name="logmel")
    x = norm("batch_normalization")(layers.Reshape((PATCH_FRAMES, MUSICNN_N_MELS, 1))(x_in))
    padded = layers.ZeroPadding2D(((3, 3), (0, 0)))(x)
    front = [conv_norm_max(padded, conv, bn, filters, kernel, "valid")
             for conv, bn, filters, kernel in _TIMBRAL]
    front += [conv_norm_max(x, conv, bn, filters, kernel, "same")
              for conv, bn, filters, kernel in _TEMPORAL]
    front_features = layers.Concatenate(axis=-1)(front)
    mid = [front_features]
    h = front_features
    for i, (conv, bn) in enumerate(_MIDEND):
        out = norm(bn)(layers.Conv1D(MIDEND_FILTERS, 7, padding="same", activation="relu",
                                     name=conv)(h))
        h = out if i == 0 else layers.Add()([out, h])
        mid.append(h)
    features = layers.Concatenate(axis=-1)(mid)
    max_pool = ops.max(features, axis=1)
    mean_pool = ops.mean(features, axis=1)
    pooled = ops.reshape(ops.stack([max_pool, mean_pool], axis=-1),
                         (-1, 2 * EMBEDDING_DIMS["max_pool"]))
    dense = layers.Dense(BACKEND_UNITS, activation="relu", name="dense")(
        norm("batch_normalization_9")(pooled))
    penultimate = norm("batch_normalization_10")(dense)
    taggram = layers.Dense(len(MSD_TAGS), activation="sigmoid", name="dense_1")(penultimate)
    outputs = {"max_pool": max_pool, "mean_pool": mean_pool, "penultimate": penultimate,
               "taggram": taggram}
    model = keras.Model(x_in, outputs, name="musicnn_msd")
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights([weights[f"{layer.name}/{f}"] for f in _BN_FIELDS])
        elif isinstance(layer, layers.Conv1D):
            kernel = weights[f"{layer.name}/kernel"]  # (7, C, 1, F) of a full-width Conv2D
            layer.set_weights([kernel.reshape(kernel.shape[0], kernel.shape[1], kernel.shape[3]),
                               weights[f"{layer.name}/bias"]])
        elif isinstance(layer, layers.Conv2D):  # front end: sign of its batch-norm scale folded in
            sign = folded[_FRONT_NORM[layer.name]][2]
            layer.set_weights([weights[f"{layer.name}/kernel"] * sign,
                               weights[f"{layer.name}/bias"] * sign])
        elif isinstance(layer, layers.Dense):
            layer.set_weights([weights[f"{layer.name}/kernel"], weights[f"{layer.name}/bias"]])
    return model


#: Held while the network is built: two threads (the server's warm-up and a visitor's upload)
#: asking for it at once build it once, the second waiting for the first.
_BUILD_LOCK = threading.Lock()


def _forward_once() -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """_forward, built by one thread only."""
    with _BUILD_LOCK:
        return _forward()


@functools.lru_cache(maxsize=1)
def _forward() -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """The cached compiled forward pass (B, 187, 96) float32 -> dict of float32 arrays."""
    model = build_model(load_weights())
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec((None, PATCH_FRAMES, MUSICNN_N_MELS), tf.float32)
        graph = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        return lambda x: {k: v.numpy() for k, v in graph(tf.constant(x)).items()}
    return lambda x: {k: keras.ops.convert_to_numpy(v)
                      for k, v in model(x, training=False).items()}


def embed_patches(batch: np.ndarray) -> dict[str, np.ndarray]:
    """Per-patch outputs of log-mel patches (n, 187, 96): OUTPUT_KINDS -> (n, width) float32."""
    batch = np.asarray(batch, dtype=np.float32)
    if batch.ndim != 3 or batch.shape[1:] != (PATCH_FRAMES, MUSICNN_N_MELS):
        raise ValueError(f"musicnn patches must have shape (n, {PATCH_FRAMES}, "
                         f"{MUSICNN_N_MELS}); got {batch.shape}")
    forward = _forward_once()
    step = max(1, len(batch)) if len(batch) <= ONE_PASS_PATCHES else BATCH_PATCHES
    parts = [forward(batch[i:i + step]) for i in range(0, len(batch), step)]
    return {k: np.concatenate([p[k] for p in parts]).astype(np.float32, copy=False)
            for k in OUTPUT_KINDS}


def embed(y: np.ndarray, sr: int = SAMPLE_RATE) -> dict:
    """musicnn outputs of a mono clip at sr Hz (at its own level): per patch and clip means.
    Keys: "max_pool", "mean_pool" (n, 753), "penultimate" (n, 200), "taggram" (n, 50: tag
    probabilities, 0..1) per 3-s patch; "clip_<kind>" the mean over patches of each; "tags" the
    50 MSD tag names in taggram order. AudioError when the clip is shorter than 3 s or silent;
    WeightsError when the weights file is missing or damaged.
    """
    out: dict = embed_patches(clip_patches(y, sr))
    out.update({f"clip_{k}": out[k].mean(axis=0) for k in OUTPUT_KINDS})
    out["tags"] = MSD_TAGS
    return out


def top_tags(probabilities: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
    """The k most probable MSD tags of (50,) probabilities: [(tag, probability)], best first."""
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if probabilities.size != len(MSD_TAGS):
        raise ValueError(f"expected {len(MSD_TAGS)} tag probabilities, got {probabilities.size}")
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [(MSD_TAGS[i], float(probabilities[i])) for i in order]


def embedding_params() -> dict[str, object]:
    """Every parameter the cached embeddings depend on (what the cache key hashes)."""
    import librosa

    return {"version": MUSICNN_VERSION, "weights": weights_sha256(), "sr": MUSICNN_SR,
            "n_fft": MUSICNN_N_FFT, "hop": MUSICNN_HOP, "n_mels": MUSICNN_N_MELS,
            "patch": PATCH_FRAMES, "log_gain": LOG_GAIN, "input_sr": SAMPLE_RATE,
            "silence_peak": SILENCE_PEAK, "librosa": librosa.__version__,
            "outputs": OUTPUT_DIMS}


@functools.lru_cache(maxsize=1)
def params_digest() -> str:
    """Short sha1 hex digest of embedding_params()."""
    text = json.dumps(embedding_params(), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """Folder of the embedding cache: <cache_dir>/musicnn."""
    return config.cache_dir() / "musicnn"


def _load_cached(path: Path) -> dict[str, np.ndarray] | None:
    """The per-patch outputs held in a cache file; None when absent, unreadable or damaged."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = {k: archive[k] for k in OUTPUT_KINDS}
    except (OSError, ValueError, KeyError, EOFError):
        return None
    counts = {a.shape[0] for a in found.values()}
    shapes_ok = all(a.ndim == 2 and a.shape[1] == OUTPUT_DIMS[k] for k, a in found.items())
    return found if shapes_ok and len(counts) == 1 and counts != {0} else None


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


def _embed_track(track: Track, cache_root: Path | None,
                 threads: int | None) -> "TrackResult":
    """Per-patch outputs of one track: from the cache when present, else computed and cached."""
    label = GENRE_INDEX[track.genre]
    path: Path | None = None
    try:
        if cache_root is not None:
            path = cache_root / f"{file_digest(track.path)}_{params_digest()}.npz"
            held = _load_cached(path)
            if held is not None:
                return TrackResult(track.track_id, label, held, None, True)
        y = prepare(track.path, name=track.path.name)
    except AudioError as error:
        return TrackResult(track.track_id, label, None, str(error), False)
    except OSError as error:
        return TrackResult(track.track_id, label, None, unreadable_reason(error), False)
    _set_threads(threads)
    outputs = embed_patches(clip_patches(y))
    if path is not None:
        save_cached(path, outputs)
    return TrackResult(track.track_id, label, outputs, None, False)


def _lost_track(track: Track, reason: str) -> "TrackResult":
    """Result of a track whose worker process died while embedding it (reported, not raised)."""
    return TrackResult(track.track_id, GENRE_INDEX[track.genre], None, reason, False)


def embed_tracks(tracks: Sequence[Track], n_jobs: int = 1, progress: bool = True,
                 cache: bool = True):  # -> core.features.study.FeatureSet
    """musicnn outputs of many tracks, each 3-s patch as one segment, with the disk cache.
    Returns a core.features.study.FeatureSet whose kinds are OUTPUT_KINDS (features[kind]: (n_patches,
    width) float32; segment_track / segment_label per patch), so ``subset`` and track-level
    evaluation work as for the study's features; ``clip_means`` gives one row per track.
    Tracks run as joblib tasks (core.cluster.run_tasks: loky processes when n_jobs != 1, each
    TensorFlow limited to its share of the cores; the Dask cluster's workers inside
    core.cluster.joblib_backend, whatever n_jobs) with a tqdm bar; results keep the order of
    `tracks`; a track whose worker process died is skipped with the reason. Unreadable, silent
    or too short files are listed in `skipped` with the reason. With cache=True each file's
    outputs are read from / written to cache_dir(), keyed by the file's sha1 and
    embedding_params() (which include the weights' sha256); writes are atomic.
    WeightsError when the weights are missing or damaged (checked before any work).
    """
    from tqdm.auto import tqdm

    tracks = list(tracks)
    bad = [t for t in tracks if not isinstance(t, Track)]
    if bad:
        raise TypeError(f"embed_tracks expects core.data.gtzan.Track items, got {type(bad[0]).__name__}")
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
        results = []
        for t in tqdm(tracks, desc="musicnn", unit="clip", disable=not progress):
            results.append(_embed_track(t, cache_root, None))
    else:   # joblib tasks: loky processes, or the Dask cluster's workers (one TF thread each)
        results = run_tasks(_embed_track, tracks, _lost_track, n_jobs=workers, desc="musicnn",
                            args=(cache_root, 1 if on_cluster else threads), progress=progress)
    return assemble(results, OUTPUT_KINDS, {k: (d,) for k, d in OUTPUT_DIMS.items()})


def clip_means(features, kinds: Sequence[str] = ("max_pool",)) -> np.ndarray:
    """Clip-mean embeddings (n_tracks, total width) of an embed_tracks FeatureSet, in track order.
    The kinds' per-patch rows are averaged over each track's patches, then concatenated in the
    order given (e.g. ("max_pool", "mean_pool", "penultimate") -> 1706 columns).
    """
    unknown = [k for k in kinds if k not in OUTPUT_DIMS]
    if unknown or not kinds:
        raise ValueError(f"unknown musicnn output(s) {unknown}; choose from {list(OUTPUT_KINDS)}")
    position = {str(t): i for i, t in enumerate(features.track_ids)}
    index = np.array([position[str(t)] for t in features.segment_track], dtype=np.int64)
    counts = np.bincount(index, minlength=len(position)).astype(np.float64)[:, None]
    columns = []
    for kind in kinds:
        sums = np.zeros((len(position), OUTPUT_DIMS[kind]), dtype=np.float64)
        np.add.at(sums, index, features[kind])
        columns.append(sums / np.maximum(counts, 1.0))
    return np.concatenate(columns, axis=1).astype(np.float32)
