"""Kaggle's 57 whole-clip GTZAN descriptors (the columns of features_30_sec.csv) for any clip.

Kaggle's tables were made with librosa defaults (sr 22050, n_fft 2048, hop 512, 20 MFCCs) on the
raw clip as librosa.load returns it: no filtering, trimming or normalisation, so this module works
on `core.audio.decode` output and never on `core.audio.preprocess` output. The table predates
librosa 0.10, and three of that version's defaults differ from librosa 0.11's; they are reproduced
here (checked against the table by `bench/oracle.py`):

- frames are centred with *reflect* padding (STFT and RMS), not zero padding;
- the tempo is that of `librosa.beat.beat_track`, whose onset envelope then aggregated the mel
  bands with the *median* (not the mean);
- the HPSS harmonic / percussive signals are the inverse STFT trimmed by n_fft/2 at both ends and
  then zero-padded to the clip's length (`fix_length`), not rebuilt to the full length.

One complex STFT feeds the chroma, spectral shape, HPSS, mel (MFCC and onset envelope) columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .audio import AudioError, decode
from .constants import (
    HOP_LENGTH, KAGGLE_N_MFCC, KAGGLE_PAD_MODE, N_FFT, SAMPLE_RATE, SILENCE_PEAK,
)

#: Descriptors summarised by their mean and variance over frames (or samples), in table order.
_FRAME_FEATURES: tuple[str, ...] = (
    "chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff",
    "zero_crossing_rate", "harmony", "perceptr",
)

#: The 57 descriptor columns of Kaggle's tables, in the CSV's order.
DESCRIPTOR_COLUMNS: tuple[str, ...] = (
    tuple(f"{name}_{stat}" for name in _FRAME_FEATURES for stat in ("mean", "var"))
    + ("tempo",)
    + tuple(f"mfcc{k}_{stat}" for k in range(1, KAGGLE_N_MFCC + 1) for stat in ("mean", "var"))
)

#: Columns whose values sit near zero (means of the HPSS signals): compare them absolutely.
NEAR_ZERO_COLUMNS: tuple[str, ...] = ("harmony_mean", "perceptr_mean")

#: Fewest samples accepted: one STFT window (about 93 ms at 22050 Hz).
MIN_SAMPLES: int = N_FFT


def _check_signal(y: np.ndarray) -> np.ndarray:
    """The signal as contiguous mono float32; AudioError when it is not usable (or silent)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise AudioError(f"descriptors need a mono 1-D signal; got an array of shape {y.shape}")
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioError(f"descriptors need floating-point samples (about -1 to 1); "
                         f"got dtype {y.dtype}")
    if y.size < MIN_SAMPLES:
        raise AudioError(f"the clip holds {y.size} samples; descriptors need at least "
                         f"{MIN_SAMPLES} (one {N_FFT}-sample STFT window)")
    if not np.all(np.isfinite(y)):
        raise AudioError("the clip holds non-finite samples (NaN or inf)")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS); it has no descriptors")
    return np.ascontiguousarray(y, dtype=np.float32)


def _mean_var(values: np.ndarray) -> tuple[float, float]:
    """Mean and (population) variance of all values, as Python floats."""
    return float(np.mean(values, dtype=np.float64)), float(np.var(values, dtype=np.float64))


def _hpss_signals(stft: np.ndarray, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive signals (float32, n_samples long) as librosa < 0.10 rebuilt them."""
    import librosa

    harmonic, percussive = librosa.decompose.hpss(stft)
    signals = []
    for part in (harmonic, percussive):
        # istft without length trims n_fft/2 at each end; fix_length zero-pads/cuts to the clip
        y_part = librosa.istft(part, hop_length=HOP_LENGTH, n_fft=N_FFT, dtype=np.float32)
        signals.append(librosa.util.fix_length(y_part, size=n_samples))
    return signals[0], signals[1]


def clip_descriptors(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The 57 Kaggle descriptors (DESCRIPTOR_COLUMNS order) of a raw mono clip at sr Hz, float64.

    Units: chroma in [0, 1]; rms in signal units; centroid, bandwidth and roll-off in Hz;
    zero-crossing rate in crossings per sample; tempo in BPM; MFCCs in dB-scaled cepstral units.
    """
    import librosa

    y = _check_signal(y)
    if sr <= 0:
        raise AudioError(f"the sample rate must be positive; got {sr}")
    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH, pad_mode=KAGGLE_PAD_MODE)
    magnitude = np.abs(stft)
    power = magnitude ** 2
    log_mel = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr))
    harmonic, percussive = _hpss_signals(stft, y.size)

    frame_features = {
        "chroma_stft": librosa.feature.chroma_stft(S=power, sr=sr),
        "rms": librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP_LENGTH,
                                   pad_mode=KAGGLE_PAD_MODE),
        "spectral_centroid": librosa.feature.spectral_centroid(S=magnitude, sr=sr),
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(S=magnitude, sr=sr),
        "rolloff": librosa.feature.spectral_rolloff(S=magnitude, sr=sr),
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(
            y, frame_length=N_FFT, hop_length=HOP_LENGTH),
        "harmony": harmonic,
        "perceptr": percussive,
    }
    values: list[float] = []
    for name in _FRAME_FEATURES:
        values.extend(_mean_var(frame_features[name]))

    onset_envelope = librosa.onset.onset_strength(S=log_mel, sr=sr, hop_length=HOP_LENGTH,
                                                  aggregate=np.median)
    tempo = librosa.feature.tempo(onset_envelope=onset_envelope, sr=sr, hop_length=HOP_LENGTH)
    values.append(float(np.ravel(tempo)[0]))

    mfcc = librosa.feature.mfcc(S=log_mel, sr=sr, n_mfcc=KAGGLE_N_MFCC)
    for row in mfcc:
        values.extend(_mean_var(row))
    out = np.asarray(values, dtype=np.float64)
    if out.shape != (len(DESCRIPTOR_COLUMNS),):  # a librosa change would surface here, loudly
        raise RuntimeError(f"computed {out.size} descriptors, expected {len(DESCRIPTOR_COLUMNS)}")
    return out


def file_descriptors(path: str | Path) -> np.ndarray:
    """The 57 Kaggle descriptors of an audio file decoded raw to mono 22050 Hz: (57,) float64."""
    return clip_descriptors(decode(path, sr=SAMPLE_RATE), sr=SAMPLE_RATE)
