"""Per-clip feature extraction for the study: one batched STFT per clip, joblib, disk cache.

Features of a pre-processed clip (``core.data.audio.load_clip`` output), per 3-s segment unless noted:

- ``zcr``        (n_seg, 30): zero-crossing rate over 30 non-overlapping 100-ms windows (fraction of
  samples at which the sign changes), i.e. ``librosa.feature.zero_crossing_rate(seg,
  frame_length=2205, hop_length=2205, center=False)``.
- ``mfcc_stats`` (n_seg, 60): 30 MFCC means then 30 MFCC variances over the segment's 130 frames,
  the MFCCs being ``librosa.feature.mfcc(y=seg, sr=22050, n_mfcc=30, n_mels=128)``.
- ``logmel``     (n_seg, 128, 130): log-power mel spectrogram in dB with ref=1.0 (absolute power;
  clips are peak-normalised, so the level is comparable across clips), amin 1e-10, floored 80 dB
  below the segment's own maximum: ``librosa.power_to_db(librosa.feature.melspectrogram(y=seg,
  n_mels=128))``. It is the same log-mel the MFCCs are taken from.
- ``mfcc_seq``   (646, 30), per clip: MFCC matrix (frames x coefficients) of the first 15 s
  (zero-padded when shorter), ``librosa.feature.mfcc(y=y15, n_mfcc=30, n_mels=128).T``.
- ``extras``     (n_seg, 16): spectral centroid mean and variance (Hz, Hz^2), RMS mean and variance
  (``librosa.feature.rms(S=|X|)``: RMS of the Hann-windowed frame, full scale 1), 12 chroma means
  (``librosa.feature.chroma_stft(S=|X|^2, tuning=0)``, each frame max-normalised to 1).

All spectral features come from ONE STFT of all segments of a clip (window 2048, hop 512, centred,
zero padding of each segment as librosa's default ``pad_mode="constant"``), computed in float32 with
``scipy.fft``, plus one STFT of the first 15 s for ``mfcc_seq``. Mel, chroma, DCT bases are cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.fft
import scipy.sparse
import scipy.signal

from core import config
from core.data.audio import AudioError, load_clip, segment
from core.cluster import run_tasks, worker_address
from core.constants import (
    CHROMA_TUNING, CNN1D_FRAMES, CNN1D_SAMPLES, DB_AMIN, DB_TOP_DB, GENRE_INDEX, HIGHPASS_HZ,
    HIGHPASS_ORDER, HOP_LENGTH, N_CHROMA, N_FFT, N_MELS, N_MFCC, SAMPLE_RATE, SEGMENT_FRAMES,
    SEGMENT_SAMPLES, SILENCE_PEAK, TRIM_TOP_DB, ZCR_FRAME, ZCR_STEPS, ZCR_THRESHOLD,
)
from core.data.gtzan import Track
from core.features import librosa_np

#: Bump when the numbers a kind produces change, so cached results are recomputed.
FEATURE_VERSION: int = 2  #: 2: causal one-pass high-pass

FEATURE_KINDS: tuple[str, ...] = ("zcr", "mfcc_stats", "logmel", "mfcc_seq", "extras")

#: Names of the 16 columns of the "extras" feature.
EXTRA_NAMES: tuple[str, ...] = (
    ("centroid_mean", "centroid_var", "rms_mean", "rms_var")
    + tuple(f"chroma{i + 1}_mean" for i in range(N_CHROMA))
)

#: Shape of one item of each kind: one segment, or one clip for "mfcc_seq".
FEATURE_SHAPES: dict[str, tuple[int, ...]] = {
    "zcr": (ZCR_STEPS,),
    "mfcc_stats": (2 * N_MFCC,),
    "logmel": (N_MELS, SEGMENT_FRAMES),
    "mfcc_seq": (CNN1D_FRAMES, N_MFCC),
    "extras": (len(EXTRA_NAMES),),
}

#: Kinds with one item per clip rather than per segment.
TRACK_KINDS: frozenset[str] = frozenset({"mfcc_seq"})

#: Kinds kept as float16 by extract_tracks and its cache (dB values: steps of at most 0.03 dB).
FLOAT16_KINDS: frozenset[str] = frozenset({"logmel"})
_SEGMENT_STFT_KINDS: frozenset[str] = frozenset({"mfcc_stats", "logmel", "extras"})
#: Segments per batched STFT: small batches keep the frames cache-friendly (a 30-s clip: 5.6 ms
#: with 4 segments a batch against 9.6 ms with all 10 at once) and bound memory on long uploads.
STFT_CHUNK_SEGMENTS: int = 4
_TINY = float(np.finfo(np.float32).tiny)


# --- cached bases ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _window() -> np.ndarray:
    """Periodic Hann window of N_FFT samples (float32), as librosa.stft uses."""
    return scipy.signal.get_window("hann", N_FFT, fftbins=True).astype(np.float32)


def mel_basis() -> np.ndarray:
    """Mel filter bank (N_MELS, 1 + N_FFT//2) float32, librosa defaults (Slaney, area-norm)."""
    return librosa_np.mel_filters(SAMPLE_RATE, N_FFT, N_MELS)


@functools.lru_cache(maxsize=1)
def _mel_basis_sparse_t() -> scipy.sparse.csc_matrix:
    """Transposed mel filter bank as a sparse matrix (1 + N_FFT//2, N_MELS); it is ~98 % zeros."""
    return scipy.sparse.csc_matrix(mel_basis().T)


@functools.lru_cache(maxsize=1)
def _dct_t() -> np.ndarray:
    """Orthonormal DCT-II basis, transposed and truncated: (N_MELS, N_MFCC) float32."""
    basis = scipy.fft.dct(np.eye(N_MELS), type=2, norm="ortho", axis=0)[:N_MFCC]
    return np.ascontiguousarray(basis.T, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def _chroma_basis_t() -> np.ndarray:
    """Transposed chroma filter bank (1 + N_FFT//2, N_CHROMA) float32 at fixed tuning."""
    import librosa

    basis = librosa.filters.chroma(sr=SAMPLE_RATE, n_fft=N_FFT, tuning=CHROMA_TUNING,
                                   n_chroma=N_CHROMA)
    return np.ascontiguousarray(basis.T, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def _fft_freqs() -> np.ndarray:
    """Centre frequency of each STFT bin in Hz (float32)."""
    return np.fft.rfftfreq(N_FFT, d=1.0 / SAMPLE_RATE).astype(np.float32)


# --- computations ----------------------------------------------------------------------------


def _stft(x: np.ndarray) -> np.ndarray:
    """Complex STFT of each row of x (..., samples): (..., frames, 1 + N_FFT//2) complex64.
    Centred frames (N_FFT//2 zeros on both sides of each row, librosa's default), Hann window
    N_FFT, hop HOP_LENGTH; frames = 1 + samples // HOP_LENGTH.
    """
    x = np.asarray(x, dtype=np.float32)
    pad = [(0, 0)] * (x.ndim - 1) + [(N_FFT // 2, N_FFT // 2)]
    padded = np.pad(x, pad, mode="constant")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT, axis=-1)[..., ::HOP_LENGTH, :]
    return scipy.fft.rfft(frames * _window(), axis=-1, overwrite_x=True)


def stft_power(x: np.ndarray) -> np.ndarray:
    """|STFT|^2 of each row of x: (..., frames, 1 + N_FFT//2) float32 (see _stft)."""
    spectrum = _stft(x)
    return np.square(spectrum.real) + np.square(spectrum.imag)


def mel_power(power: np.ndarray) -> np.ndarray:
    """Mel power spectrogram (..., frames, N_MELS) from a power spectrogram (..., frames, bins)."""
    flat = power.reshape(-1, power.shape[-1])
    mel = np.asarray(flat @ _mel_basis_sparse_t(), dtype=np.float32)
    return mel.reshape(power.shape[:-1] + (N_MELS,))


def power_to_db(mel: np.ndarray) -> np.ndarray:
    """dB (ref 1.0) of a (..., frames, bands) power array, floored 80 dB below each item's max.
    amin DB_AMIN, floor DB_TOP_DB below the maximum of each leading item (each segment), as
    librosa.power_to_db does for one call per segment.
    """
    db = 10.0 * np.log10(np.maximum(np.float32(DB_AMIN), mel))
    floor = db.max(axis=(-2, -1), keepdims=True) - np.float32(DB_TOP_DB)
    return np.maximum(db, floor).astype(np.float32, copy=False)


def mfcc_from_logmel(logmel: np.ndarray) -> np.ndarray:
    """N_MFCC MFCCs (..., frames, N_MFCC) of a log-mel array (..., frames, N_MELS), DCT-II ortho."""
    return np.matmul(logmel, _dct_t()).astype(np.float32, copy=False)


def zero_crossing_rate(segments: np.ndarray) -> np.ndarray:
    """ZCR (n, ZCR_STEPS): fraction of samples, in each ZCR_FRAME window, where the sign changes.
    Samples with |x| <= ZCR_THRESHOLD count as (positive) zero; the first sample of each window
    is never a crossing, as in librosa.feature.zero_crossing_rate(center=False).
    """
    n = segments.shape[0]
    windows = segments[:, : ZCR_STEPS * ZCR_FRAME].reshape(n, ZCR_STEPS, ZCR_FRAME)
    negative = np.signbit(windows) & (np.abs(windows) > ZCR_THRESHOLD)
    crossings = np.count_nonzero(negative[..., 1:] != negative[..., :-1], axis=-1)
    return (crossings / np.float32(ZCR_FRAME)).astype(np.float32)


def _extras(magnitude: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Centroid mean/var (Hz, Hz^2), RMS mean/var, 12 chroma means: (n, 16) from (n, T, bins)."""
    total = magnitude.sum(axis=-1)
    total = np.where(total < _TINY, np.float32(1.0), total)
    centroid = (magnitude @ _fft_freqs()) / total
    # librosa.feature.rms(S=...): DC and Nyquist bins count half, Parseval over the window.
    energy = 2.0 * power.sum(axis=-1) - power[..., 0] - power[..., -1]
    rms = np.sqrt(energy / np.float32(N_FFT) ** 2)
    chroma = power @ _chroma_basis_t()
    peak = chroma.max(axis=-1, keepdims=True)
    chroma = chroma / np.where(peak < _TINY, np.float32(1.0), peak)
    columns = [centroid.mean(axis=-1), centroid.var(axis=-1), rms.mean(axis=-1), rms.var(axis=-1)]
    return np.concatenate([np.stack(columns, axis=-1), chroma.mean(axis=-2)], axis=-1
                          ).astype(np.float32)


def _segment_spectral(segments: np.ndarray, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    """mfcc_stats / logmel / extras of segments (n, 66150) from one batched STFT."""
    power = stft_power(segments)                        # (n, 130, 1025): the one STFT
    out: dict[str, np.ndarray] = {}
    if "mfcc_stats" in kinds or "logmel" in kinds:
        logmel = power_to_db(mel_power(power))          # (n, 130, 128)
        if "mfcc_stats" in kinds:
            mfcc = mfcc_from_logmel(logmel)             # (n, 130, 30)
            out["mfcc_stats"] = np.concatenate([mfcc.mean(axis=1), mfcc.var(axis=1)], axis=1
                                               ).astype(np.float32)
        if "logmel" in kinds:
            out["logmel"] = np.ascontiguousarray(logmel.transpose(0, 2, 1))
    if "extras" in kinds:
        out["extras"] = _extras(np.sqrt(power), power)
    return out


def first_seconds(y: np.ndarray) -> np.ndarray:
    """The first CNN1D_SECONDS s of y (CNN1D_SAMPLES samples), zero-padded at the end if shorter."""
    head = np.asarray(y[:CNN1D_SAMPLES], dtype=np.float32)
    if head.size < CNN1D_SAMPLES:
        head = np.pad(head, (0, CNN1D_SAMPLES - head.size))
    return head


def check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """The requested kinds in canonical order, without repeats; ValueError for unknown or none."""
    if isinstance(kinds, str):
        kinds = (kinds,)
    unknown = [k for k in kinds if k not in FEATURE_KINDS]
    if unknown:
        raise ValueError(f"unknown feature kind(s) {unknown}; choose from {list(FEATURE_KINDS)}")
    if not kinds:
        raise ValueError(f"no feature kind requested; choose from {list(FEATURE_KINDS)}")
    return tuple(k for k in FEATURE_KINDS if k in kinds)


def extract_clip(y: np.ndarray, kinds: Sequence[str] = FEATURE_KINDS) -> dict[str, np.ndarray]:
    """Features of a pre-processed clip (mono float32, 22050 Hz): dict kind -> float32 array.
    Shapes: zcr (n_seg, 30), mfcc_stats (n_seg, 60), logmel (n_seg, 128, 130) in dB,
    mfcc_seq (646, 30), extras (n_seg, 16); n_seg = number of whole 3-s segments in y.
    AudioError when y is shorter than one segment; ValueError for a non-1-D or non-finite y.
    """
    kinds = check_kinds(kinds)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"extract_clip expects a 1-D mono signal, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("extract_clip got NaN or infinite samples; pre-process with load_clip")
    segments = segment(y)
    out: dict[str, np.ndarray] = {}
    if "zcr" in kinds:
        out["zcr"] = zero_crossing_rate(segments)
    wanted = tuple(k for k in kinds if k in _SEGMENT_STFT_KINDS)
    if wanted:  # one batched STFT per chunk of segments (one chunk for a 30-s clip)
        parts = [_segment_spectral(segments[i: i + STFT_CHUNK_SEGMENTS], wanted)
                 for i in range(0, segments.shape[0], STFT_CHUNK_SEGMENTS)]
        out.update({k: parts[0][k] if len(parts) == 1 else np.concatenate([p[k] for p in parts])
                    for k in wanted})
    if "mfcc_seq" in kinds:
        power15 = stft_power(first_seconds(y))          # (646, 1025)
        out["mfcc_seq"] = mfcc_from_logmel(power_to_db(mel_power(power15)))
    return {k: out[k] for k in kinds}


# --- disk cache ------------------------------------------------------------------------------
#
# One uncompressed .npz per audio file and parameter set: <cache>/features/<sha1 of the file's
# bytes>_<hash of feature_params>.npz, holding one member per kind computed so far (a later call
# asking for more kinds computes only the missing ones and rewrites the file with all of them).
# Files are written to a temporary name in the same folder, then os.replace'd (atomic), so
# concurrent writers (loky processes, Dask workers on a shared file system) never leave a torn
# file: a reader sees the old file or the new one. The key depends only on the bytes and the
# parameters, never on the machine or process, so every writer of a file writes the same numbers.


def feature_params(filter_noise: bool) -> dict[str, object]:
    """Every parameter the cached numbers depend on (what the cache key hashes)."""
    import librosa

    return {
        "version": FEATURE_VERSION, "filter_noise": bool(filter_noise),
        "sr": SAMPLE_RATE, "segment": SEGMENT_SAMPLES, "n_fft": N_FFT, "hop": HOP_LENGTH,
        "n_mels": N_MELS, "n_mfcc": N_MFCC, "zcr_steps": ZCR_STEPS, "zcr_frame": ZCR_FRAME,
        "zcr_threshold": ZCR_THRESHOLD, "db_amin": DB_AMIN, "db_top": DB_TOP_DB,
        "n_chroma": N_CHROMA, "chroma_tuning": CHROMA_TUNING, "cnn1d_samples": CNN1D_SAMPLES,
        "highpass": [HIGHPASS_HZ, HIGHPASS_ORDER], "trim_top_db": TRIM_TOP_DB,
        "silence_peak": SILENCE_PEAK, "librosa": librosa.__version__,
        "float16": sorted(FLOAT16_KINDS), "shapes": {k: list(v) for k, v in FEATURE_SHAPES.items()},
    }


def params_digest(filter_noise: bool) -> str:
    """Short sha1 hex digest of feature_params(filter_noise)."""
    text = json.dumps(feature_params(filter_noise), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def file_digest(path: str | Path) -> str:
    """sha1 hex digest of a file's bytes."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()


def features_cache_dir() -> Path:
    """Folder of the feature cache: <cache_dir>/features."""
    return config.cache_dir() / "features"


def _cache_file(root: Path, digest: str, filter_noise: bool) -> Path:
    """Cache file of one audio file (by content) under the current parameters."""
    return root / f"{digest}_{params_digest(filter_noise)}.npz"


def _load_cached(path: Path) -> dict[str, np.ndarray]:
    """The kinds held in a cache file (stored dtypes); empty when absent, unreadable or damaged."""
    if not path.is_file():
        return {}
    found: dict[str, np.ndarray] = {}
    try:
        with np.load(path) as archive:
            for kind in archive.files:
                if kind not in FEATURE_SHAPES:
                    return {}
                array = archive[kind]
                expected = FEATURE_SHAPES[kind]
                if array.shape[array.ndim - len(expected):] != expected:
                    return {}
                found[kind] = array
    except (OSError, ValueError, KeyError, EOFError):
        return {}
    counts = {a.shape[0] for k, a in found.items() if k not in TRACK_KINDS}
    return found if len(counts) <= 1 else {}


def save_cached(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays (kind -> stored array) to path atomically (temp file + os.replace).
    Kinds that another process wrote to the file meanwhile (same key, same segment count) are
    kept too, so concurrent writers asking for different kinds do not undo each other's work.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = {**_load_cached(path), **arrays}
    if len({a.shape[0] for k, a in merged.items() if k not in TRACK_KINDS}) <= 1:
        arrays = merged
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stored(kind: str, array: np.ndarray) -> np.ndarray:
    """array in the dtype the cache stores: float16 for FLOAT16_KINDS, float32 otherwise."""
    return array.astype(np.float16 if kind in FLOAT16_KINDS else np.float32, copy=False)


# --- many tracks -----------------------------------------------------------------------------


@dataclass
class TrackResult:
    """Outcome of one track: its features (stored dtypes), or the reason it was skipped."""
    track_id: str
    label: int
    features: dict[str, np.ndarray] | None
    reason: str | None
    from_cache: bool


def _track_label(track: Track) -> int:
    """Genre index of a track; ValueError for a genre outside GENRES."""
    if track.genre not in GENRE_INDEX:
        raise ValueError(f"{track.track_id}: genre {track.genre!r} is not a GTZAN genre")
    return GENRE_INDEX[track.genre]


def unreadable_reason(error: OSError) -> str:
    """Reason for a file that cannot be read, naming the Dask worker that tried (if any)."""
    worker = worker_address()
    if worker is None:
        return f"cannot be read ({error})"
    return (f"cannot be read on Dask worker {worker} ({error}); the workers must see the data "
            "at the same path (a shared file system)")


def _extract_track(track: Track, kinds: tuple[str, ...], filter_noise: bool,
                   cache_root: Path | None) -> TrackResult:
    """Features of one track: from the cache when present, else computed (and cached)."""
    label = _track_label(track)
    held: dict[str, np.ndarray] = {}
    path: Path | None = None
    if cache_root is not None:
        try:
            path = _cache_file(cache_root, file_digest(track.path), filter_noise)
        except OSError as error:
            return TrackResult(track.track_id, label, None, unreadable_reason(error), False)
        held = _load_cached(path)
    missing = tuple(k for k in kinds if k not in held)
    if missing:
        try:
            y = load_clip(track.path, name=track.path.name, filter_noise=filter_noise)
            computed = extract_clip(y, missing)
        except AudioError as error:
            return TrackResult(track.track_id, label, None, str(error), False)
        except OSError as error:
            return TrackResult(track.track_id, label, None, unreadable_reason(error), False)
        held.update({k: _stored(k, a) for k, a in computed.items()})
        if path is not None:
            save_cached(path, held)
    return TrackResult(track.track_id, label, {k: held[k] for k in kinds}, None, not missing)


def _lost_track(track: Track, reason: str) -> TrackResult:
    """Result of a track whose worker process died while extracting it (reported, not raised)."""
    return TrackResult(track.track_id, _track_label(track), None, reason, False)


@dataclass
class FeatureSet:
    """Features of many tracks: per-segment arrays stacked over segments (mfcc_seq: over tracks)."""
    kinds: tuple[str, ...]
    features: dict[str, np.ndarray]
    segment_track: np.ndarray          #: track id of each segment (str)
    segment_label: np.ndarray          #: genre index of each segment (int)
    track_ids: np.ndarray              #: ids of the extracted tracks (str), order of mfcc_seq
    track_labels: np.ndarray           #: genre index of each extracted track (int)
    skipped: list[tuple[str, str]] = field(default_factory=list)  #: (track id, reason)
    cache_hits: int = 0                #: tracks served entirely from the disk cache

    def __getitem__(self, kind: str) -> np.ndarray:
        """The stacked array of one kind; KeyError naming the kinds held."""
        if kind not in self.features:
            raise KeyError(f"feature kind {kind!r} was not extracted; held: {list(self.features)}")
        return self.features[kind]

    @property
    def n_segments(self) -> int:
        """Number of segments held."""
        return int(self.segment_track.size)

    def _segment_index(self) -> dict[str, np.ndarray]:
        """Track id -> indices of its segments (in order)."""
        order = np.argsort(self.segment_track, kind="stable")
        ids, starts = np.unique(self.segment_track[order], return_index=True)
        return {str(t): idx for t, idx in zip(ids, np.split(order, starts[1:]))}

    def subset(self, track_ids: Sequence[str]) -> FeatureSet:
        """The tracks listed (in that order, each with all its segments, kept together).
        Listed tracks that were skipped stay in `skipped`; KeyError for ids never seen.
        """
        wanted = [str(t) for t in track_ids]
        if len(set(wanted)) != len(wanted):
            raise ValueError("subset got repeated track ids")
        position = {str(t): i for i, t in enumerate(self.track_ids)}
        skipped = {name: reason for name, reason in self.skipped}
        unknown = [t for t in wanted if t not in position and t not in skipped]
        if unknown:
            raise KeyError(f"{len(unknown)} track id(s) not in this feature set, "
                           f"e.g. {unknown[:5]}")
        keep = [t for t in wanted if t in position]
        segments_of = self._segment_index()
        seg_idx = (np.concatenate([segments_of[t] for t in keep]) if keep
                   else np.zeros(0, dtype=np.int64))
        trk_idx = np.array([position[t] for t in keep], dtype=np.int64)
        features = {k: (a[trk_idx] if k in TRACK_KINDS else a[seg_idx])
                    for k, a in self.features.items()}
        return FeatureSet(
            kinds=self.kinds, features=features, segment_track=self.segment_track[seg_idx],
            segment_label=self.segment_label[seg_idx], track_ids=self.track_ids[trk_idx],
            track_labels=self.track_labels[trk_idx],
            skipped=[(t, skipped[t]) for t in wanted if t in skipped], cache_hits=0)

    def summary(self) -> str:
        """Human-readable counts, shapes and every skipped file with its reason."""
        lines = [f"{self.track_ids.size} tracks, {self.n_segments} segments, "
                 f"{len(self.skipped)} skipped, {self.cache_hits} from cache"]
        lines += [f"  {k}: {tuple(a.shape)}" for k, a in self.features.items()]
        lines += [f"  skipped {name}: {reason}" for name, reason in self.skipped]
        return "\n".join(lines)


def _empty(kind: str, shapes: dict[str, tuple[int, ...]] = FEATURE_SHAPES) -> np.ndarray:
    """A float32 array with no items of a kind (shapes: item shape of each kind)."""
    return np.zeros((0,) + shapes[kind], dtype=np.float32)


def assemble(results: list[TrackResult], kinds: tuple[str, ...],
              shapes: dict[str, tuple[int, ...]] = FEATURE_SHAPES) -> FeatureSet:
    """Stack per-track results into one FeatureSet (in the order given); shapes gives each
    kind's item shape for an empty set (core.models.musicnn_net passes its embedding widths)."""
    done = [r for r in results if r.features is not None]
    features: dict[str, np.ndarray] = {}
    for kind in kinds:
        if kind in TRACK_KINDS:
            parts = [r.features[kind][None] for r in done]  # type: ignore[index]
        else:
            parts = [r.features[kind] for r in done]  # type: ignore[index]
        features[kind] = (np.concatenate(parts, axis=0).astype(np.float32, copy=False) if parts
                          else _empty(kind, shapes))
    seg_counts = [next((r.features[k].shape[0] for k in kinds  # type: ignore[index]
                        if k not in TRACK_KINDS), 0) for r in done]
    return FeatureSet(
        kinds=kinds, features=features,
        segment_track=np.repeat(np.array([r.track_id for r in done], dtype=str), seg_counts),
        segment_label=np.repeat(np.array([r.label for r in done], dtype=np.int64), seg_counts),
        track_ids=np.array([r.track_id for r in done], dtype=str),
        track_labels=np.array([r.label for r in done], dtype=np.int64),
        skipped=[(r.track_id, r.reason or "unknown") for r in results if r.features is None],
        cache_hits=sum(r.from_cache for r in done))


def extract_tracks(tracks: Sequence[Track], kinds: Sequence[str] = FEATURE_KINDS,
                   n_jobs: int = -1, progress: bool = True, filter_noise: bool = True,
                   cache: bool = True, on_progress=None) -> FeatureSet:
    """Features of many tracks, in parallel (joblib processes), with the disk cache.
    Tracks run as joblib tasks (core.cluster.run_tasks: loky processes by default, a Dask
    cluster inside core.cluster.joblib_backend); results keep the order of `tracks`. A track
    whose audio cannot be read, decoded or is too short/silent, or whose worker process died
    while extracting it, is listed in `skipped` with the reason. With cache=True each file's
    features are read from / written to features_cache_dir(), keyed by the file's sha1 and the
    feature parameters. logmel is rounded to float16 precision (as cached) whether or not it
    came from the cache, so repeated runs agree exactly. With only mfcc_seq requested, the
    segment arrays are empty. on_progress(done, total): called as each track is done.
    """
    kinds = check_kinds(kinds)
    tracks = list(tracks)
    bad = [t for t in tracks if not isinstance(t, Track)]
    if bad:
        raise TypeError("extract_tracks expects core.data.gtzan.Track items, "
                        f"got {type(bad[0]).__name__}")
    ids = [t.track_id for t in tracks]
    if len(set(ids)) != len(ids):
        raise ValueError("extract_tracks got the same track id more than once")
    for t in tracks:
        _track_label(t)
    cache_root = features_cache_dir() if cache else None
    results = run_tasks(_extract_track, tracks, _lost_track, n_jobs=n_jobs, desc="features",
                        args=(kinds, filter_noise, cache_root), progress=progress,
                        on_progress=on_progress)
    return assemble(results, kinds)
