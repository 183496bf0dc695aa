"""YAMNet, Google's AudioSet classifier, on TensorFlow's own TFLite interpreter: embeddings and scores.

YAMNet (tensorflow/models, research/audioset/yamnet; Apache-2.0) is a MobileNetV1 trained on
AudioSet's 521 classes. The shipped ``models/pretrained/yamnet/yamnet.tflite`` is a TFLite export of
the official Keras weights with int8 (dynamic-range) weights; it takes one window of 15600 samples
of 16-kHz mono audio in [-1, 1] (core.features.yamnet_input cuts them), computes its 96 x 64 log-mel
patch inside, and gives the 521 class scores (sigmoid) of that window. Its 1024-d embedding is the
graph's tensor ``yamnet_frames/global_average_pooling2d/Mean`` (the MobileNet's global average
pool, the input of the final dense layer). The interpreter reads it as a graph output: the model
is loaded with that tensor added to its outputs (``with_embedding_output``, in memory; same
weights and operators, same numbers as reading it with ``experimental_preserve_all_tensors=True``,
which keeps every intermediate tensor and costs about a tenth more CPU; bench/yamnet_latency.py).

The graph's shapes are fixed (its reshape targets are constants: a batch of windows or a longer
waveform cannot be fed; resizing its input fails in the XNNPACK delegate), so a clip runs as one
invoke per window (62 for 30 s), through one interpreter per process guarded by a lock. The model file and the class map are checked against the sha256 in
``SHA256SUMS`` beside them before use; nothing is fetched at run time. TensorFlow is imported only
inside the functions that build the interpreter.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core import config
from core.constants import GENRE_INDEX, MODELS_DIR, SAMPLE_RATE, SILENCE_PEAK
from core.cluster import active_address, run_tasks
from core.data.audio import AudioError
from core.data.gtzan import Track
from core.features.study import TrackResult, assemble, file_digest, save_cached, unreadable_reason
from core.features.yamnet_input import (HOP_SAMPLES, WINDOW_SAMPLES, YAMNET_SR, clip_windows,
                                        prepare)
from core.models.persistence import ModelFileError

#: Folder of the shipped model, its class map, checksums, licence and provenance.
WEIGHTS_DIR: Path = MODELS_DIR / "pretrained" / "yamnet"
MODEL_NAME: str = "yamnet.tflite"
CLASS_MAP_NAME: str = "yamnet_class_map.csv"
CHECKSUM_NAME: str = "SHA256SUMS"
EMBEDDING_TENSOR: str = "yamnet_frames/global_average_pooling2d/Mean"
SCORES_TENSOR: str = "Identity"            #: the graph's output of the 521 sigmoid scores
DENSE_KERNEL_TENSOR: str = "yamnet_frames/dense/MatMul"          #: (521, 1024) int8
DENSE_BIAS_TENSOR: str = "yamnet_frames/dense/BiasAdd/ReadVariableOp/resource"  #: (521,)
EMBEDDING_DIM: int = 1024
N_CLASSES: int = 521

#: Per-window outputs of ``embed_windows``: name -> width.
OUTPUT_DIMS: dict[str, int] = {"embedding": EMBEDDING_DIM, "scores": N_CLASSES}
OUTPUT_KINDS: tuple[str, ...] = tuple(OUTPUT_DIMS)

#: Bump when the numbers embed_windows produces change, so cached embeddings are recomputed.
YAMNET_VERSION: int = 2          #: 2: windows no longer clipped to [-1, 1]


class WeightsError(ModelFileError):
    """The YAMNet model file or class map is missing or damaged; the message says which and what
    to do. A ModelFileError: prediction lists the YAMNet models as failed (the others answer)."""


def _restore_hint() -> str:
    """How to restore the shipped files, for error messages."""
    return ("restore it from the repository (git checkout -- models/pretrained/yamnet); its "
            "origin is in models/pretrained/yamnet/NOTICE")


def recorded_sha256(name: str, folder: Path | None = None) -> str:
    """The sha256 recorded for file `name` in the folder's SHA256SUMS; WeightsError if none."""
    record = Path(folder or WEIGHTS_DIR) / CHECKSUM_NAME
    try:
        lines = record.read_text().splitlines()
    except OSError as error:
        raise WeightsError(f"YAMNet: the checksum file {record} is missing; "
                           + _restore_hint()) from error
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == name:
            return parts[0].lower()
    raise WeightsError(f"YAMNet: {record} records no sha256 for {name}; " + _restore_hint())


def weights_sha256() -> str:
    """The recorded sha256 of the shipped yamnet.tflite."""
    return recorded_sha256(MODEL_NAME)


def checked_bytes(name: str, folder: Path | None = None) -> bytes:
    """The bytes of a shipped file, checked against its recorded sha256; WeightsError naming the
    file when it is missing or its sha256 differs."""
    path = Path(folder or WEIGHTS_DIR) / name
    expected = recorded_sha256(name, path.parent)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WeightsError(f"YAMNet file {path} is missing; " + _restore_hint()) from error
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise WeightsError(f"YAMNet file {path} is damaged (sha256 {actual[:12]}..., expected "
                           f"{expected[:12]}...); " + _restore_hint())
    return data


@functools.lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 521 AudioSet class names, in the order of the network's scores (checked class map)."""
    text = checked_bytes(CLASS_MAP_NAME).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    names = tuple(row["display_name"] for row in rows)
    if len(names) != N_CLASSES or [int(r["index"]) for r in rows] != list(range(N_CLASSES)):
        raise WeightsError(f"YAMNet class map holds {len(names)} rows, expected {N_CLASSES} in "
                           "index order; " + _restore_hint())
    return names


def with_embedding_output(model: bytes) -> bytes:
    """The TFLite model with EMBEDDING_TENSOR added to its graph's outputs (same weights, same
    operators), so the interpreter gives the embedding without preserving every tensor."""
    from tensorflow.lite.tools import flatbuffer_utils

    tree = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    graph = tree.subgraphs[0]
    found = [i for i, t in enumerate(graph.tensors) if t.name.decode() == EMBEDDING_TENSOR]
    if not found:
        raise WeightsError(f"YAMNet: the model has no tensor {EMBEDDING_TENSOR!r}; "
                           + _restore_hint())
    if found[0] not in list(graph.outputs):
        graph.outputs = np.append(graph.outputs, found[0]).astype(np.int32)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(tree))


def _tensor_index(interpreter, name: str) -> int:
    """Index of the interpreter's tensor of that name; WeightsError when the graph lacks it."""
    for detail in interpreter.get_tensor_details():
        if detail["name"] == name:
            return int(detail["index"])
    raise WeightsError(f"YAMNet: the model has no tensor {name!r}; " + _restore_hint())


class _Runner:
    """One TFLite interpreter of the checked model, and the indices of the tensors read."""

    def __init__(self, threads: int | None = None) -> None:
        import tensorflow as tf

        self.interpreter = tf.lite.Interpreter(
            model_content=with_embedding_output(checked_bytes(MODEL_NAME)), num_threads=threads)
        self.interpreter.allocate_tensors()
        (given,) = self.interpreter.get_input_details()
        if tuple(given["shape"]) != (1, WINDOW_SAMPLES):
            raise WeightsError(f"YAMNet: the model takes {tuple(given['shape'])}, expected "
                               f"(1, {WINDOW_SAMPLES}); " + _restore_hint())
        self.input = int(given["index"])
        self.embedding = _tensor_index(self.interpreter, EMBEDDING_TENSOR)
        self.scores = _tensor_index(self.interpreter, SCORES_TENSOR)
        self.lock = threading.Lock()

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Per-window outputs of windows (n, 15600) float32: one invoke each, under the lock."""
        out = {k: np.empty((len(batch), d), np.float32) for k, d in OUTPUT_DIMS.items()}
        it = self.interpreter
        with self.lock:
            for i, window in enumerate(batch):
                it.set_tensor(self.input, window[None])
                it.invoke()
                out["embedding"][i] = it.get_tensor(self.embedding)[0]
                out["scores"][i] = it.get_tensor(self.scores)[0]
        return out


#: Held while the interpreter is built: two threads asking at once build it once.
_BUILD_LOCK = threading.Lock()
_THREADS: list[int | None] = [None]   #: TFLite threads of the interpreter built next


@functools.lru_cache(maxsize=1)
def _runner() -> _Runner:
    """The process's interpreter (built on first use)."""
    return _Runner(_THREADS[0])


def runner() -> _Runner:
    """_runner, built by one thread only."""
    with _BUILD_LOCK:
        return _runner()


def embed_windows(batch: np.ndarray) -> dict[str, np.ndarray]:
    """Per-window outputs of input windows (n, 15600) float32 in [-1, 1] at 16 kHz:
    "embedding" (n, 1024) and "scores" (n, 521, sigmoid 0..1). WeightsError when the model
    file is missing or damaged."""
    batch = np.ascontiguousarray(batch, dtype=np.float32)
    if batch.ndim != 2 or batch.shape[1] != WINDOW_SAMPLES or not len(batch):
        raise ValueError(f"YAMNet windows must have shape (n >= 1, {WINDOW_SAMPLES}); got "
                         f"{batch.shape}")
    return runner().run(batch)


def embed(y: np.ndarray, sr: int = SAMPLE_RATE) -> dict[str, np.ndarray]:
    """YAMNet outputs of a mono clip at sr Hz (own level): per window and clip means.
    Keys "embedding" (n, 1024), "scores" (n, 521) per 0.975-s window at a 0.48-s hop, and
    "clip_embedding", "clip_scores" their means over windows. AudioError when the clip is under
    0.975 s or silent; WeightsError when the model file is missing or damaged."""
    out = embed_windows(clip_windows(y, sr))
    out.update({f"clip_{k}": out[k].mean(axis=0) for k in OUTPUT_KINDS})
    return out


def dense_layer() -> tuple[np.ndarray, np.ndarray]:
    """The final dense layer as stored in the model: kernel (521, 1024) dequantised to float32
    and bias (521,), so that scores = sigmoid(kernel @ embedding + bias) (the oracle's check)."""
    it = runner().interpreter
    details = {d["name"]: d for d in it.get_tensor_details()}
    kernel = details[DENSE_KERNEL_TENSOR]
    scale = np.asarray(kernel["quantization_parameters"]["scales"], np.float32)
    zero = np.asarray(kernel["quantization_parameters"]["zero_points"], np.float32)
    raw = it.get_tensor(kernel["index"]).astype(np.float32)
    weights = (raw - zero.reshape(-1, 1)) * scale.reshape(-1, 1) if scale.size > 1 else \
        (raw - zero) * scale
    return weights, it.get_tensor(details[DENSE_BIAS_TENSOR]["index"]).astype(np.float32)


def embedding_params() -> dict[str, object]:
    """Every parameter the cached embeddings depend on (what the cache key hashes)."""
    import soxr

    return {"version": YAMNET_VERSION, "model": weights_sha256(), "sr": YAMNET_SR,
            "window": WINDOW_SAMPLES, "hop": HOP_SAMPLES, "input_sr": SAMPLE_RATE,
            "silence_peak": SILENCE_PEAK, "soxr": soxr.__version__, "outputs": OUTPUT_DIMS}


@functools.lru_cache(maxsize=1)
def params_digest() -> str:
    """Short sha1 hex digest of embedding_params()."""
    text = json.dumps(embedding_params(), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """Folder of the embedding cache: <cache_dir>/yamnet."""
    return config.cache_dir() / "yamnet"


def cache_path(track_path: Path, root: Path | None = None) -> Path:
    """Cache file of one audio file (by content) under the current parameters."""
    return Path(root or cache_dir()) / f"{file_digest(track_path)}_{params_digest()}.npz"


def load_cached(path: Path) -> dict[str, np.ndarray] | None:
    """The per-window outputs held in a cache file; None when absent, unreadable or damaged."""
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


def _embed_track(track: Track, cache_root: Path | None, threads: int | None) -> TrackResult:
    """Per-window outputs of one track: from the cache when present, else computed and cached."""
    label = GENRE_INDEX[track.genre]
    path: Path | None = None
    try:
        if cache_root is not None:
            path = cache_path(track.path, cache_root)
            held = load_cached(path)
            if held is not None:
                return TrackResult(track.track_id, label, held, None, True)
        y = prepare(track.path, name=track.path.name)
    except AudioError as error:
        return TrackResult(track.track_id, label, None, str(error), False)
    except OSError as error:
        return TrackResult(track.track_id, label, None, unreadable_reason(error), False)
    if threads and not _runner.cache_info().currsize:
        _THREADS[0] = threads
    outputs = embed_windows(clip_windows(y))
    if path is not None:
        save_cached(path, outputs)
    return TrackResult(track.track_id, label, outputs, None, False)


def _lost_track(track: Track, reason: str) -> TrackResult:
    """Result of a track whose worker process died while embedding it (reported, not raised)."""
    return TrackResult(track.track_id, GENRE_INDEX[track.genre], None, reason, False)


def embed_tracks(tracks: Sequence[Track], n_jobs: int = 1, progress: bool = True,
                 cache: bool = True):  # -> core.features.study.FeatureSet
    """YAMNet outputs of many tracks, each window one segment, with the disk cache.
    A core.features.study.FeatureSet whose kinds are OUTPUT_KINDS (features[kind]: (n_windows,
    width) float32); ``clip_means`` gives one row per track. Tracks run as joblib tasks when
    n_jobs != 1 (core.cluster.run_tasks); results keep the order of `tracks`. Unreadable, silent
    or too short files are listed in `skipped` with the reason. With cache=True each file's
    outputs are read from / written to cache_dir(), keyed by the file's sha1 and
    embedding_params() (which include the model's sha256); writes are atomic.
    WeightsError when the model file is missing or damaged (checked before any work).
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
    checked_bytes(MODEL_NAME)  # a missing or damaged file fails here, not per track
    cache_root = cache_dir() if cache else None
    workers = (os.cpu_count() or 1) if n_jobs < 0 else max(1, n_jobs)
    workers = min(workers, max(1, len(tracks)))
    on_cluster = active_address() is not None
    if workers == 1 and not on_cluster:
        results = [_embed_track(t, cache_root, None)
                   for t in tqdm(tracks, desc="YAMNet", unit="clip", disable=not progress)]
    else:
        results = run_tasks(_embed_track, tracks, _lost_track, n_jobs=workers, desc="YAMNet",
                            args=(cache_root, 1), progress=progress)
    return assemble(results, OUTPUT_KINDS, {k: (d,) for k, d in OUTPUT_DIMS.items()})


def clip_stats(features, kind: str = "embedding", stat: str = "mean") -> np.ndarray:
    """Per-track statistic ("mean" or "max" over its windows) of one output of an embed_tracks
    FeatureSet: (n_tracks, width) float32, in track order."""
    if kind not in OUTPUT_DIMS or stat not in ("mean", "max"):
        raise ValueError(f"unknown YAMNet output {kind!r} or statistic {stat!r}")
    position = {str(t): i for i, t in enumerate(features.track_ids)}
    index = np.array([position[str(t)] for t in features.segment_track], dtype=np.int64)
    values = np.asarray(features[kind], np.float64)
    if stat == "max":
        out = np.full((len(position), OUTPUT_DIMS[kind]), -np.inf)
        np.maximum.at(out, index, values)
        return out.astype(np.float32)
    sums = np.zeros((len(position), OUTPUT_DIMS[kind]))
    np.add.at(sums, index, values)
    counts = np.bincount(index, minlength=len(position)).astype(np.float64)[:, None]
    return (sums / np.maximum(counts, 1.0)).astype(np.float32)
