"""Kaggle's 57 whole-clip GTZAN descriptors (the columns of features_30_sec.csv) for any clip.

Kaggle's tables were made with librosa defaults (sr 22050, n_fft 2048, hop 512, 20 MFCCs) on the
raw clip as librosa.load returns it: no filtering, trimming or normalisation, so this module works
on `core.data.audio.decode` output and never on `core.data.audio.preprocess` output. The table predates
librosa 0.10, and three of that version's defaults differ from librosa 0.11's; they are reproduced
here (checked against the table by `tools/oracle.py`):

- frames are centred with *reflect* padding (STFT and RMS), not zero padding;
- the tempo is that of `librosa.beat.beat_track`, whose onset envelope then aggregated the mel
  bands with the *median* (not the mean);
- the HPSS harmonic / percussive signals are the inverse STFT trimmed by n_fft/2 at both ends and
  then zero-padded to the clip's length (`fix_length`), not rebuilt to the full length.

One complex STFT feeds the chroma, spectral shape, HPSS, mel (MFCC and onset envelope) columns.
The HPSS columns are computed as librosa.decompose.hpss does, but each median filters along one
axis with scipy's fast 1-D rank filter and one inverse STFT serves both signals (about 0.15 s
instead of 1.3 s per 30-s clip; `tools/oracle.py` checks the result against the table).
librosa's functions are used through core.features.librosa_np, their numpy versions: librosa's own need
about 17 CPU-seconds of numba compilation on a fresh install before a first clip can be done.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.fft

from core.features import librosa_np
from core.data.audio import AudioError, decode
from core.constants import (
    KAGGLE_N_MELS, KAGGLE_N_MFCC, KAGGLE_PAD_MODE, N_FFT, SAMPLE_RATE, SILENCE_PEAK,
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

#: Width of the HPSS median filters, in frames (harmonic) and frequency bins (percussive): librosa's.
HPSS_KERNEL: int = 31

#: Share of a frame's summed magnitude below the roll-off frequency (librosa's default 0.85).
ROLLOFF_FRACTION: float = 0.85

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


def _median_along_last(values: np.ndarray, width: int) -> np.ndarray:
    """Running median of each row of a 2-D array over width cells, edges mirrored (scipy reflect).
    Equal, cell for cell, to scipy.ndimage.median_filter(values, size=(1, width),
    mode="reflect"), which runs its generic n-D rank filter (~0.65 s on a 30-s clip's
    spectrogram). Here each row is padded by its own mirror image, the rows are laid end to end
    and scipy's fast 1-D rank filter runs once over them (~0.05 s); every median then sees the
    same width cells as before, so no value changes.
    """
    from scipy.ndimage import median_filter

    half = width // 2
    padded = np.pad(values, ((0, 0), (half, half)), mode="symmetric")  # = scipy's "reflect"
    flat = median_filter(padded.ravel(), size=width, mode="reflect")
    return flat.reshape(padded.shape)[:, half:padded.shape[1] - half]


def _harmonic_mask(magnitude: np.ndarray, kernel: int = HPSS_KERNEL) -> np.ndarray:
    """Soft harmonic mask (0..1) of librosa.decompose.hpss with its defaults (power 2, margin 1).
    H / P are medians of the magnitude over kernel frames / kernel frequency bins, each
    filtering along one axis only; the mask is H^2 / (H^2 + P^2), and 0.5 where both vanish
    (librosa's split_zeros). With margin 1 librosa's percussive mask is 1 minus this one.
    """
    harmonic = np.square(_median_along_last(magnitude, kernel))
    percussive = np.square(_median_along_last(np.ascontiguousarray(magnitude.T), kernel).T)
    total = harmonic + percussive
    mask = np.full_like(harmonic, 0.5)
    return np.divide(harmonic, total, out=mask, where=total >= np.finfo(total.dtype).tiny)


def _hpss_signals(y: np.ndarray, stft: np.ndarray,
                  magnitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive signals (float32, len(y) long) as librosa < 0.10 rebuilt them.
    That is librosa.decompose.hpss(stft), then each part's inverse STFT trimmed by n_fft/2 at
    each end (istft without length) and zero-padded to the clip (fix_length). The masks sum to
    1 and the inverse STFT is linear and rebuilds y exactly, so the percussive signal is y (cut
    to the inverse STFT's length) minus the harmonic one: one inverse STFT instead of two.
    """
    harmonic = librosa_np.istft(stft * _harmonic_mask(magnitude))
    percussive = y[:harmonic.size] - harmonic
    out = []
    for part in (harmonic, percussive):
        padded = np.zeros(y.size, dtype=np.float32)
        padded[:min(part.size, y.size)] = part[:y.size]
        out.append(padded)
    return out[0], out[1]


def _spectral_shape(magnitude: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame spectral centroid, bandwidth (p = 2) and 85 % roll-off in Hz, as librosa's.
    librosa.feature.spectral_centroid / _bandwidth / _rolloff each normalise and sweep the
    spectrogram again; here the centroid and bandwidth come from three weighted sums over the
    frequency bins (sum |X|, sum f |X|, sum f^2 |X|, float64), since the bandwidth's
    sum (f - c)^2 |X| / sum |X| equals E[f^2] - c^2. Frames whose magnitudes sum to under the
    float32 tiny are left unnormalised, as librosa does.
    """
    freq = np.linspace(0.0, sr / 2.0, magnitude.shape[0])  # = librosa.fft_frequencies
    weights = np.stack([np.ones_like(freq), freq, freq * freq])
    total, first, second = weights @ magnitude.astype(np.float64)
    norm = np.where(total < np.finfo(np.float32).tiny, 1.0, total)
    centroid = first / norm
    bandwidth = np.sqrt(np.maximum(second / norm - 2.0 * centroid * first / norm
                                   + centroid * centroid * total / norm, 0.0))
    cumulative = np.cumsum(magnitude, axis=0)
    reached = cumulative >= ROLLOFF_FRACTION * cumulative[-1]
    rolloff = freq[np.argmax(reached, axis=0)]
    return centroid, bandwidth, rolloff


def _mel_basis(sr: int) -> np.ndarray:
    """librosa's default mel filter bank (128 bands, Slaney) for N_FFT at sr Hz, float32."""
    return librosa_np.mel_filters(sr, N_FFT, KAGGLE_N_MELS)


def clip_descriptors(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The 57 Kaggle descriptors (DESCRIPTOR_COLUMNS order) of a raw mono clip at sr Hz, float64.
    Units: chroma in [0, 1]; rms in signal units; centroid, bandwidth and roll-off in Hz;
    zero-crossing rate in crossings per sample; tempo in BPM; MFCCs in dB-scaled cepstral units.
    """
    y = _check_signal(y)
    if sr <= 0:
        raise AudioError(f"the sample rate must be positive; got {sr}")
    stft = librosa_np.stft(y, pad_mode=KAGGLE_PAD_MODE)
    magnitude = np.abs(stft)
    power = magnitude ** 2
    log_mel = librosa_np.power_to_db(np.einsum("ft,mf->mt", power, _mel_basis(sr),
                                               optimize=True))
    harmonic, percussive = _hpss_signals(y, stft, magnitude)
    centroid, bandwidth, rolloff = _spectral_shape(magnitude, sr)

    frame_features = {
        "chroma_stft": librosa_np.chroma_stft(power, sr),
        "rms": librosa_np.frame_rms(y, pad_mode=KAGGLE_PAD_MODE),
        "spectral_centroid": centroid,
        "spectral_bandwidth": bandwidth,
        "rolloff": rolloff,
        "zero_crossing_rate": librosa_np.zero_crossing_rate(y),
        "harmony": harmonic,
        "perceptr": percussive,
    }
    values: list[float] = []
    for name in _FRAME_FEATURES:
        values.extend(_mean_var(frame_features[name]))

    values.append(librosa_np.tempo(librosa_np.onset_strength_median(log_mel), sr))

    mfcc = scipy.fft.dct(log_mel, axis=-2, type=2, norm="ortho")[:KAGGLE_N_MFCC]
    for row in mfcc:
        values.extend(_mean_var(row))
    out = np.asarray(values, dtype=np.float64)
    if out.shape != (len(DESCRIPTOR_COLUMNS),):  # a change would surface here, loudly
        raise RuntimeError(f"computed {out.size} descriptors, expected {len(DESCRIPTOR_COLUMNS)}")
    return out


def file_descriptors(path: str | Path) -> np.ndarray:
    """The 57 Kaggle descriptors of an audio file decoded raw to mono 22050 Hz: (57,) float64."""
    return clip_descriptors(decode(path, sr=SAMPLE_RATE), sr=SAMPLE_RATE)
