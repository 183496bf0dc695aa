"""Computations behind the exploration views: frame-wise views of a clip, 2-D maps of segments."""

from __future__ import annotations

import numpy as np

from core.constants import HOP_LENGTH, N_CHROMA, N_FFT, N_MELS, N_MFCC, SAMPLE_RATE, ZCR_FRAME
from core.features.descriptors import clip_descriptors

MAP_METHODS: tuple[str, ...] = ("PCA", "t-SNE")


def clip_views(y: np.ndarray) -> dict[str, np.ndarray]:
    """Frame-wise views of a clip at 22050 Hz with the study's STFT (2048/512), one STFT reused.
    magnitude |X| and stft_db (dB re max), mel_db (128 bands, dB re max), mfcc (30 x frames),
    zcr (per 100-ms window), centroid (Hz), rms, chroma (12 x frames).
    """
    import librosa

    magnitude = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH)).astype(np.float32)
    power = magnitude ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=SAMPLE_RATE, n_mels=N_MELS)
    return {
        "magnitude": magnitude,
        "stft_db": librosa.amplitude_to_db(magnitude, ref=np.max),
        "mel_db": librosa.power_to_db(mel, ref=np.max),
        "mfcc": librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=N_MFCC),
        "zcr": librosa.feature.zero_crossing_rate(y, frame_length=ZCR_FRAME, hop_length=ZCR_FRAME,
                                                  center=False)[0],
        "centroid": librosa.feature.spectral_centroid(S=magnitude, sr=SAMPLE_RATE)[0],
        "rms": librosa.feature.rms(S=magnitude)[0],
        "chroma": librosa.feature.chroma_stft(S=power, sr=SAMPLE_RATE, tuning=0.0,
                                              n_chroma=N_CHROMA),
    }


MAX_TSNE_POINTS: int = 2000   #: segments a t-SNE map places at most (its cost grows ~n log n)


def map_sample(n: int, method: str, seed: int = 0) -> np.ndarray:
    """Sorted row indices a segment map of n rows draws: all for PCA, a seeded random
    MAX_TSNE_POINTS for t-SNE when there are more (the same ones each time)."""
    if method != "t-SNE" or n <= MAX_TSNE_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_TSNE_POINTS, replace=False))


def segment_map(X: np.ndarray, method: str = "PCA", seed: int = 0) -> np.ndarray:
    """2-D coordinates (n, 2) of the standardised rows of X by PCA or t-SNE."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    if method not in MAP_METHODS:
        raise ValueError(f"unknown map method {method!r}; choose one of {MAP_METHODS}")
    Z = StandardScaler().fit_transform(np.asarray(X, dtype=np.float64))
    if method == "PCA":
        return PCA(n_components=2, random_state=seed).fit_transform(Z)
    from sklearn.manifold import TSNE

    perplexity = float(min(30, max(2, (len(Z) - 1) // 3)))
    return TSNE(n_components=2, perplexity=perplexity, init="pca",
                random_state=seed).fit_transform(Z)


def warm_up(seconds: float = 3.0) -> None:
    """Run librosa's numba-compiled paths once on seconds s of noise, so a first upload is fast."""
    import librosa

    y = np.random.default_rng(0).normal(scale=0.1, size=int(seconds * SAMPLE_RATE))
    y = y.astype(np.float32)
    librosa.effects.trim(y, top_db=60)
    librosa.beat.beat_track(y=y, sr=SAMPLE_RATE)
    librosa.feature.zero_crossing_rate(y)
    librosa.feature.mfcc(y=y, sr=SAMPLE_RATE, n_mfcc=N_MFCC)
    librosa.feature.spectral_centroid(y=y, sr=SAMPLE_RATE)
    librosa.feature.chroma_stft(y=y, sr=SAMPLE_RATE, tuning=0.0)

    clip_descriptors(y)  # tuning estimation (piptrack), HPSS, tempo: the descriptor models' path
