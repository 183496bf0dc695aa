"""The librosa functions the whole-clip descriptors use, written with numpy and scipy only.

librosa's own versions live in modules (librosa.core.audio, .pitch, librosa.util.utils) whose
numba code is compiled when they are first imported: about 17 CPU-seconds, then cached, on a
fresh install. Here the same computations (same frames, windows, padding, float32 where librosa
works in float32) need no compilation, so a first upload on a fresh server gets its descriptor
models' answers in well under a second. Only librosa.filters.mel and librosa.core.convert, which
compile nothing, are used from librosa. tests/test_librosa_np.py checks each function against
librosa's; tools/oracle.py checks the descriptors against Kaggle's table.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft
import scipy.signal

from core.constants import HOP_LENGTH, N_FFT

_TINY32 = np.finfo(np.float32).tiny


@functools.lru_cache(maxsize=8)
def hann(n: int) -> np.ndarray:
    """Periodic Hann window of n samples (float64), as librosa's get_window("hann", n)."""
    return scipy.signal.get_window("hann", n, fftbins=True)


@functools.lru_cache(maxsize=8)
def hann32(n: int) -> np.ndarray:
    """The periodic Hann window of n samples in float32 (read-only)."""
    window = hann(n).astype(np.float32)
    window.flags.writeable = False
    return window


def frames(y: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """Strided view (frame_length, n_frames) of y's frames, as librosa.util.frame."""
    return np.lib.stride_tricks.sliding_window_view(y, frame_length)[::hop_length].T


def normalize_columns(S: np.ndarray, norm: float) -> np.ndarray:
    """Each column divided by its norm (np.inf: max |x|, or 2), columns with a norm under the
    dtype's tiny left as they are: librosa.util.normalize(S, norm=norm, axis=0)."""
    mag = np.abs(S).astype(float)
    if norm == np.inf:
        length = np.max(mag, axis=0, keepdims=True)
    else:
        length = np.sum(mag ** norm, axis=0, keepdims=True) ** (1.0 / norm)
    length[length < np.finfo(S.dtype).tiny] = 1.0
    out = np.empty_like(S)
    out[:] = S / length
    return out


def stft(y: np.ndarray, pad_mode: str = "reflect", n_fft: int = N_FFT,
         hop_length: int = HOP_LENGTH) -> np.ndarray:
    """Complex STFT (1 + n_fft/2, 1 + len/hop_length) complex64, centred frames padded by
    pad_mode, periodic Hann window: librosa.stft(y, n_fft=n_fft, hop_length=hop_length,
    pad_mode=pad_mode) (defaults 2048 and 512 samples).

    Windowed and transformed in float32 (librosa multiplies by a float64 window and so
    transforms in float64 before storing complex64; the two differ by ~1e-7 of the peak), one
    frame per row so that each FFT reads contiguous samples, and returned as the transpose of
    that (frames, bins) array (Fortran order: each frame's bins contiguous): together about a
    third of the time.
    """
    padded = np.pad(np.asarray(y, dtype=np.float32), n_fft // 2, mode=pad_mode)
    rows = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    return scipy.fft.rfft(rows * hann32(n_fft), axis=1).astype(np.complex64, copy=False).T


@functools.lru_cache(maxsize=4)
def mel_filters(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Mel filter bank (n_mels, 1 + n_fft/2) float32 for sr Hz: librosa.filters.mel defaults
    (Slaney mel scale, area normalisation), which compiles no numba code."""
    import librosa.filters

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).astype(np.float32)


def melspectrogram(y: np.ndarray, sr: int, n_fft: int, hop_length: int, n_mels: int) -> np.ndarray:
    """Mel power spectrogram (n_mels, 1 + len/hop_length) float32 of float32 samples at sr Hz:
    librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length,
    n_mels=n_mels) (power 2, centred frames zero-padded, Hann window)."""
    spectrum = stft(y, pad_mode="constant", n_fft=n_fft, hop_length=hop_length)
    power = np.square(spectrum.real) + np.square(spectrum.imag)
    return mel_filters(sr, n_fft, n_mels) @ power


def istft(stft_matrix: np.ndarray) -> np.ndarray:
    """Inverse of stft without a target length (float32, HOP * (n_frames - 1) samples: n_fft/2
    trimmed at each end), overlap-add divided by the summed squared window:
    librosa.istft(S, hop_length=512, n_fft=2048, dtype=np.float32).

    Computed in float32 throughout, as librosa's float32 output buffer and window sum are; the
    frames are inverted one per row (contiguous) and added hop by hop.
    """
    n_frames = stft_matrix.shape[1]
    window = hann32(N_FFT)
    pieces = scipy.fft.irfft(np.ascontiguousarray(np.asarray(stft_matrix).T), n=N_FFT, axis=1)
    pieces *= window
    per_hop = N_FFT // HOP_LENGTH
    signal = np.zeros((n_frames + per_hop - 1, HOP_LENGTH), dtype=np.float32)
    weight = np.zeros_like(signal)
    squared = np.square(window)
    for k in range(per_hop):
        part = slice(k * HOP_LENGTH, (k + 1) * HOP_LENGTH)
        signal[k:k + n_frames] += pieces[:, part]
        weight[k:k + n_frames] += squared[part]
    start, length = N_FFT // 2, HOP_LENGTH * (n_frames - 1)
    y = signal.ravel()[start:start + length].copy()
    sums = weight.ravel()[start:start + length]
    nonzero = sums > _TINY32
    y[nonzero] /= sums[nonzero]
    return y


def frame_rms(y: np.ndarray, pad_mode: str = "reflect") -> np.ndarray:
    """RMS of each centred N_FFT frame (HOP apart), float32: librosa.feature.rms(y=y, ...)."""
    padded = np.pad(np.asarray(y, dtype=np.float32), N_FFT // 2, mode=pad_mode)
    return np.sqrt(np.mean(np.square(frames(padded, N_FFT, HOP_LENGTH), dtype=np.float32),
                           axis=-2))


def zero_crossing_rate(y: np.ndarray, threshold: float = 1e-10) -> np.ndarray:
    """Fraction of each centred N_FFT frame's samples (edge-padded) where the sign changes from
    the previous sample (|x| <= threshold counts as 0, which is positive):
    librosa.feature.zero_crossing_rate(y, frame_length=2048, hop_length=512)."""
    padded = np.pad(np.asarray(y), N_FFT // 2, mode="edge")
    clipped = np.where(np.abs(padded) <= threshold, 0.0, padded)
    change = np.signbit(clipped[1:]) != np.signbit(clipped[:-1])  # change[j]: at sample j + 1
    counts = np.concatenate(([0], np.cumsum(change, dtype=np.int64)))
    starts = np.arange(1 + (padded.size - N_FFT) // HOP_LENGTH) * HOP_LENGTH
    # a frame [s, s + N_FFT) counts changes at samples s + 1 .. s + N_FFT - 1
    return (counts[starts + N_FFT - 1] - counts[starts]) / N_FFT


def _peaks(S: np.ndarray, rows: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(bin, frame) of the local maxima along frequency, within the given rows, of S where it
    exceeds threshold x its frame's maximum (librosa.util.localmax(S * (S > ref)) in piptrack:
    x[i] > x[i-1] and x[i] >= x[i+1]; the last bin: above the one before; never the first)."""
    ref_value = threshold * np.max(S, axis=-2, keepdims=True)
    lo, hi = max(int(rows.min()) - 1, 0), min(int(rows.max()) + 2, S.shape[0])
    x = S[lo:hi] * (S[lo:hi] > ref_value)
    peak = np.zeros(x.shape, dtype=bool)
    peak[1:-1] = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])
    if hi == S.shape[0]:
        peak[-1] = x[-1] > x[-2]
    if lo == 0:
        peak[0] = False
    inside = np.zeros(x.shape[0], dtype=bool)
    inside[rows - lo] = True
    f, t = np.nonzero(peak & inside[:, None])
    return f + lo, t


def estimate_tuning(S: np.ndarray, sr: int, fmin: float = 150.0, fmax: float = 4000.0,
                    threshold: float = 0.1, resolution: float = 0.01) -> float:
    """Tuning offset (fraction of a semitone, -0.5..0.5) from the spectrogram S's peaks:
    librosa.estimate_tuning(S=S, sr=sr) (piptrack, then a histogram of pitch residuals).

    piptrack's parabolic interpolation and skew correction are needed at its peaks only, so
    they are computed there (in float32, as librosa's numba code does) and nowhere else.
    """
    from librosa.core.convert import fft_frequencies, hz_to_octs

    S = np.abs(S)
    n_fft = 2 * (S.shape[0] - 1)
    fft_freqs = fft_frequencies(sr=sr, n_fft=n_fft)
    rows = np.flatnonzero((max(fmin, 0) <= fft_freqs) & (fft_freqs < min(fmax, sr / 2)))
    if rows.size == 0:
        return 0.0
    f, t = _peaks(S, rows, threshold)
    edge = (f == 0) | (f == S.shape[0] - 1)
    up, down = S[np.minimum(f + 1, S.shape[0] - 1), t], S[np.maximum(f - 1, 0), t]
    here = S[f, t]
    a = up + down - 2 * here
    b = (up - down) / 2
    ok = (np.abs(b) < np.abs(a)) & ~edge
    shift = np.zeros_like(here)
    shift[ok] = -b[ok] / a[ok]
    slope = np.where(f == S.shape[0] - 1, here - down, np.where(f == 0, up - here, b))
    pitches = ((f + shift) * float(sr) / n_fft).astype(S.dtype)
    mags = here + 0.5 * slope * shift
    positive = pitches > 0
    cut = np.median(mags[positive]) if positive.any() else 0.0
    frequencies = pitches[(mags >= cut) & positive]
    if not np.any(frequencies):
        return 0.0
    residual = np.mod(12 * hz_to_octs(frequencies), 1.0)
    residual[residual >= 0.5] -= 1.0
    bins = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, edges = np.histogram(residual, bins)
    return float(edges[np.argmax(counts)])


def chroma_filters(sr: int, n_fft: int, tuning: float, n_chroma: int = 12) -> np.ndarray:
    """Chroma filter bank (n_chroma, 1 + n_fft/2) float32: librosa.filters.chroma's defaults
    (centre octave 5, width 2 octaves, L2-normalised, starting at C)."""
    from librosa.core.convert import hz_to_octs

    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    frqbins = n_chroma * hz_to_octs(frequencies, tuning=tuning, bins_per_octave=n_chroma)
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    D = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    half = np.round(float(n_chroma) / 2)
    D = np.remainder(D + half + 10 * n_chroma, n_chroma) - half
    wts = np.exp(-0.5 * (2 * D / np.tile(binwidthbins, (n_chroma, 1))) ** 2)
    wts = normalize_columns(wts, 2)
    wts *= np.tile(np.exp(-0.5 * (((frqbins / n_chroma - 5.0) / 2) ** 2)), (n_chroma, 1))
    wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(wts[:, : int(1 + n_fft / 2)], dtype=np.float32)


def chroma_stft(power: np.ndarray, sr: int) -> np.ndarray:
    """Chroma (12, frames) of a power spectrogram with the estimated tuning, each frame
    max-normalised: librosa.feature.chroma_stft(S=power, sr=sr)."""
    n_fft = 2 * (power.shape[0] - 1)
    fb = chroma_filters(sr, n_fft, estimate_tuning(power, sr))
    return normalize_columns(np.einsum("cf,ft->ct", fb, power, optimize=True), np.inf)


def power_to_db(S: np.ndarray, amin: float = 1e-10, top_db: float = 80.0) -> np.ndarray:
    """10 log10(S) re 1, floored at amin and at top_db below the maximum: librosa.power_to_db."""
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    log_spec -= 10.0 * np.log10(np.maximum(amin, 1.0))
    return np.maximum(log_spec, log_spec.max() - top_db)


def onset_strength_median(log_mel: np.ndarray) -> np.ndarray:
    """Onset envelope: the median over mel bands of the positive frame-to-frame rise, delayed
    by 3 frames (lag 1 + centring): librosa.onset.onset_strength(S=log_mel, aggregate=median)."""
    rise = np.maximum(0.0, log_mel[:, 1:] - log_mel[:, :-1])
    envelope = np.median(rise, axis=-2)
    pad = 1 + N_FFT // (2 * HOP_LENGTH)
    return np.pad(envelope, (pad, 0), mode="constant")[: log_mel.shape[-1]]


def tempo(onset_envelope: np.ndarray, sr: int, start_bpm: float = 120.0, std_bpm: float = 1.0,
          ac_size: float = 8.0, max_tempo: float = 320.0) -> float:
    """Global tempo in BPM: the mean autocorrelation tempogram (8-s windows) weighted by a
    log-normal prior around 120 BPM: librosa.feature.tempo(onset_envelope=..., sr=sr)."""
    from librosa.core.convert import tempo_frequencies, time_to_frames

    win = int(time_to_frames(ac_size, sr=sr, hop_length=HOP_LENGTH).item())
    n = onset_envelope.shape[-1]
    padded = np.pad(onset_envelope, (win // 2, win // 2), mode="linear_ramp", end_values=[0, 0])
    odf = np.lib.stride_tricks.sliding_window_view(padded, win)[:n] * hann(win)  # frame per row
    n_pad = scipy.fft.next_fast_len(2 * win - 1, real=True)
    spectrum = scipy.fft.rfft(odf, n=n_pad, axis=1)
    autocorr = scipy.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, n=n_pad,
                               axis=1)[:, :win].T
    tg = np.mean(normalize_columns(autocorr, np.inf), axis=-1, keepdims=True)
    bpms = tempo_frequencies(win, hop_length=HOP_LENGTH, sr=sr)
    with np.errstate(divide="ignore"):
        logprior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    logprior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    return float(bpms[int(np.argmax(np.log1p(1e6 * tg[:, 0]) + logprior))])
