"""musicnn's front end: a clip at its own level -> 16-kHz log-mel patches (187 frames x 96 mels).

The input representation of the musicnn taggers (Pons & Serra 2019), computed with numpy/scipy
(core.features.librosa_np) so a first clip compiles none of librosa's numba code. The network
itself lives in core.models.musicnn_net.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.constants import SAMPLE_RATE, SEGMENT_SECONDS, SILENCE_PEAK
from core.data.audio import AudioError, clean, decode, resample
from core.features import librosa_np


# --- the network's constants (musicnn/configuration.py and the MSD_musicnn checkpoint) -------
MUSICNN_SR: int = 16000           #: Hz, the network's sample rate


MUSICNN_N_FFT: int = 512          #: samples, STFT window (32 ms)


MUSICNN_HOP: int = 256            #: samples, STFT hop (16 ms)


MUSICNN_N_MELS: int = 96          #: mel bands


PATCH_FRAMES: int = 187           #: frames of one input patch (3 s), patches do not overlap


LOG_GAIN: float = 10000.0         #: log compression log10(LOG_GAIN * mel + 1)


def to_16k(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 samples at sr Hz resampled to the network's 16 kHz (soxr high quality)."""
    return resample(np.ascontiguousarray(y, dtype=np.float32), int(sr), MUSICNN_SR)


def logmel(y16: np.ndarray) -> np.ndarray:
    """musicnn's input representation of 16-kHz samples: (frames, 96) float32.
    librosa.feature.melspectrogram(y, sr=16000, n_fft=512, hop_length=256, n_mels=96) (power 2,
    centred frames with zero padding, Hann window), transposed, then log10(10000 * mel + 1) in
    float32; frames = 1 + len(y16) // 256. Computed by core.features.librosa_np, so a first clip on a
    fresh install compiles none of librosa's numba code (about 20 CPU-seconds).
    """
    mel = librosa_np.melspectrogram(np.asarray(y16, dtype=np.float32), MUSICNN_SR,
                                    MUSICNN_N_FFT, MUSICNN_HOP, MUSICNN_N_MELS).T
    return np.log10(np.float32(LOG_GAIN) * mel.astype(np.float32, copy=False)
                    + np.float32(1.0)).astype(np.float32, copy=False)


def patches(rep: np.ndarray) -> np.ndarray:
    """Consecutive non-overlapping 187-frame patches of a (frames, 96) log-mel: (n, 187, 96).
    A tail shorter than one patch is dropped, as the package does; AudioError when none fits.
    """
    n = rep.shape[0] // PATCH_FRAMES
    if n < 1:
        raise AudioError(f"the clip gives {rep.shape[0]} frames; musicnn needs at least "
                         f"{PATCH_FRAMES} (3 s)")
    return np.ascontiguousarray(rep[:n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, MUSICNN_N_MELS))


def check_clip(y: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """AudioError when samples at sr Hz are shorter than one 3-s patch or silent."""
    if y.ndim != 1:
        raise AudioError(f"audio must be a mono 1-D array; got shape {y.shape}")
    if y.size < int(SEGMENT_SECONDS * sr):
        raise AudioError(f"the clip lasts {y.size / sr:.2f} s; at least "
                         f"{SEGMENT_SECONDS:.0f} s is needed for one musicnn patch")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS)")


def clip_patches(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The network's input patches (n, 187, 96) float32 of a mono clip at sr Hz (own level)."""
    y = clean(np.asarray(y, dtype=np.float32))
    check_clip(y, sr)
    return patches(logmel(to_16k(y, sr)))


def prepare(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """Decode a clip for musicnn: mono float32 at 22050 Hz at its own level, checked usable."""
    y = clean(decode(source, name=name))
    check_clip(y)
    return y
