"""EfficientAT's front end for mn04: a clip at its own level -> 32-kHz normalised log-mel (128 bands).

The input representation EfficientAT's AudioSet networks were trained on (Schmid, Koutini,
Widmer 2023), computed with numpy/scipy: samples resampled to 32 kHz (soxr, high quality, as
librosa.load does), pre-emphasis y[n] = x[n+1] - 0.97 x[n], a 1024-point STFT of centred frames
(reflect padding) with an 800-sample symmetric Hann window centred in each frame and a 320-sample
hop (10 ms), power, 128 triangular mel bands in Kaldi's mel scale from 0 to 15 kHz, then
(ln(mel + 1e-5) + 4.5) / 5. A clip is given to the network as its non-overlapping 10-s windows
(EfficientAT's training length), each with its own front end. The network itself lives in
core.models.mn04_net.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import scipy.fft

from core.constants import SAMPLE_RATE, SILENCE_PEAK
from core.data.audio import AudioError, clean, decode, resample

MN04_SR: int = 32000              #: Hz, the network's sample rate


MN04_N_FFT: int = 1024            #: samples, FFT length (32 ms)


MN04_WIN: int = 800               #: samples, Hann window inside each FFT frame (25 ms)


MN04_HOP: int = 320               #: samples, hop between frames (10 ms)


MN04_N_MELS: int = 128            #: mel bands


MN04_FMIN: float = 0.0            #: Hz, lowest edge of the mel bands


MN04_FMAX: float = 15000.0        #: Hz, highest edge (EfficientAT: sr/2 - 1000 at evaluation)


PREEMPHASIS: float = 0.97         #: pre-emphasis coefficient


LOG_OFFSET: float = 1e-5          #: ln(mel + LOG_OFFSET)


NORM_SHIFT: float = 4.5           #: (ln mel + NORM_SHIFT) / NORM_SCALE


NORM_SCALE: float = 5.0


MIN_SECONDS: float = 1.0          #: s, the shortest clip the network is given


WINDOW_SECONDS: float = 10.0      #: s, one input window (the length EfficientAT trained on)


WINDOW_SAMPLES: int = int(WINDOW_SECONDS * MN04_SR)   #: 320000 samples at 32 kHz


def kaldi_mel(f: np.ndarray | float) -> np.ndarray:
    """Kaldi's mel scale of frequencies in Hz: 1127 ln(1 + f / 700)."""
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


@functools.lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(128, 513) float32 triangular filters: band b rises from mel edge b to b+1 and falls to
    b+2 (edges evenly spaced in Kaldi mel between MN04_FMIN and MN04_FMAX), unnormalised; the
    Nyquist bin has weight 0, as in Kaldi's 512-bin banks padded by one zero column."""
    low, high = kaldi_mel(MN04_FMIN), kaldi_mel(MN04_FMAX)
    edges = low + np.arange(MN04_N_MELS + 2) * (high - low) / (MN04_N_MELS + 1)
    mel = kaldi_mel(np.arange(MN04_N_FFT // 2) * (MN04_SR / MN04_N_FFT))[None]
    left, centre, right = (edges[:-2, None], edges[1:-1, None], edges[2:, None])
    weights = np.maximum(0.0, np.minimum((mel - left) / (centre - left),
                                         (right - mel) / (right - centre)))
    out = np.zeros((MN04_N_MELS, MN04_N_FFT // 2 + 1), np.float32)
    out[:, :-1] = weights
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=1)
def window() -> np.ndarray:
    """The symmetric 800-sample Hann window (float32, read-only)."""
    w = np.hanning(MN04_WIN).astype(np.float32)
    w.flags.writeable = False
    return w


def to_32k(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 samples at sr Hz resampled to the network's 32 kHz (soxr high quality)."""
    return resample(np.ascontiguousarray(y, dtype=np.float32), int(sr), MN04_SR)


def n_frames(n_samples: int) -> int:
    """Frames of the log-mel of n_samples samples at 32 kHz (pre-emphasis drops one)."""
    return 1 + (n_samples - 1) // MN04_HOP


def logmel(y32: np.ndarray) -> np.ndarray:
    """The network's input (128, frames) float32 of samples at 32 kHz; frames = n_frames(len).
    Each frame is the 800 windowed samples centred in a 1024-sample frame; they are transformed
    zero-padded at the end instead, which changes only the phase, not the power."""
    y = np.asarray(y32, dtype=np.float32)
    if y.ndim != 1 or y.size < MN04_N_FFT:
        raise AudioError(f"mn04 needs at least {MN04_N_FFT} samples at 32 kHz; got {y.size}")
    x = y[1:] - np.float32(PREEMPHASIS) * y[:-1]
    padded = np.pad(x, MN04_N_FFT // 2, mode="reflect")
    offset = (MN04_N_FFT - MN04_WIN) // 2
    rows = np.lib.stride_tricks.sliding_window_view(padded[offset:], MN04_WIN)[::MN04_HOP]
    rows = rows[:n_frames(y.size)]
    spectrum = scipy.fft.rfft(rows * window(), n=MN04_N_FFT, axis=1)
    power = np.square(spectrum.real) + np.square(spectrum.imag)           # (frames, 513)
    mel = power.astype(np.float32, copy=False) @ mel_filters().T           # (frames, 128)
    out = (np.log(mel + np.float32(LOG_OFFSET)) + np.float32(NORM_SHIFT)) / np.float32(NORM_SCALE)
    return np.ascontiguousarray(out.T, dtype=np.float32)


def window_starts(n_samples: int) -> list[int]:
    """Starts (samples at 32 kHz) of a clip's non-overlapping 10-s windows from 0; a tail under
    10 s is dropped (a 30-s clip gives 3), a clip under 10 s is one window of itself."""
    return list(range(0, max(1, n_samples - WINDOW_SAMPLES + 1), WINDOW_SAMPLES))


def windows_logmel(y32: np.ndarray) -> np.ndarray:
    """The network's inputs (windows, 128, frames) float32 of samples at 32 kHz: each 10-s
    window's own log-mel (1000 frames; a clip under 10 s: one window of n_frames(len))."""
    y32 = np.asarray(y32, dtype=np.float32)
    return np.stack([logmel(y32[s:s + WINDOW_SAMPLES]) for s in window_starts(y32.size)])


def check_clip(y: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """AudioError when samples at sr Hz are not mono, shorter than MIN_SECONDS or silent."""
    if y.ndim != 1:
        raise AudioError(f"audio must be a mono 1-D array; got shape {y.shape}")
    if y.size < int(MIN_SECONDS * sr):
        raise AudioError(f"the clip lasts {y.size / sr:.2f} s; mn04 needs at least "
                         f"{MIN_SECONDS:.0f} s")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS)")


def clip_logmel(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The network's input (128, frames) float32 of a mono clip at sr Hz (own level)."""
    y = clean(np.asarray(y, dtype=np.float32))
    check_clip(y, sr)
    return logmel(to_32k(y, sr))


def clip_windows(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The network's inputs (windows, 128, frames) float32 of a mono clip at sr Hz (own level):
    windows_logmel of the clip at 32 kHz. AudioError when it is under 1 s or silent."""
    y = clean(np.asarray(y, dtype=np.float32))
    check_clip(y, sr)
    return windows_logmel(to_32k(y, sr))


def prepare(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """Decode a clip for mn04: mono float32 at 22050 Hz at its own level, checked usable."""
    y = clean(decode(source, name=name))
    check_clip(y)
    return y
