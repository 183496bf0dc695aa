"""YAMNet's front end: a clip at its own level -> 16-kHz windows of 0.975 s at YAMNet's patch hop.

YAMNet (Google's AudioSet classifier, core.models.yamnet_net) hears 16-kHz mono audio in [-1, 1].
Its TFLite graph takes one window of 15600 samples (0.975 s: 96 log-mel frames of 25 ms at a 10-ms
hop) and computes its own log-mel patch inside; the official YAMNet frames a long waveform into
patches at a hop of 48 frames (0.48 s = 7680 samples), zero-padding the end so that the last patch
is complete (``features.pad_waveform`` of tensorflow/models research/audioset/yamnet). This module
cuts the same windows with numpy: window k starts at sample 7680 k and is exactly the samples the
official model's patch k is computed from. numpy/soxr only; no TensorFlow here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.constants import SAMPLE_RATE, SILENCE_PEAK
from core.data.audio import AudioError, clean, decode, resample

YAMNET_SR: int = 16000            #: Hz, the network's sample rate
WINDOW_SAMPLES: int = 15600       #: samples of one input window (0.975 s at 16 kHz)
HOP_SAMPLES: int = 7680           #: samples between window starts (0.48 s, YAMNet's patch hop)
MIN_SECONDS: float = WINDOW_SAMPLES / YAMNET_SR   #: s, the shortest clip that fills one window


def to_16k(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 samples at sr Hz resampled to the network's 16 kHz (soxr high quality)."""
    return resample(np.ascontiguousarray(y, dtype=np.float32), int(sr), YAMNET_SR)


def n_windows(n_samples: int) -> int:
    """Windows of a 16-kHz signal of n_samples: 1 + ceil((n - 15600) / 7680), at least 1."""
    return 1 + max(0, -(-(int(n_samples) - WINDOW_SAMPLES) // HOP_SAMPLES))


def windows(y16: np.ndarray) -> np.ndarray:
    """The network's input windows (n, 15600) float32 of 16-kHz samples: window k holds samples
    7680 k .. 7680 k + 15599; the tail is zero-padded so the last window is complete, as the
    official YAMNet pads its waveform (a signal shorter than one window gives one padded window).
    """
    y16 = np.asarray(y16, dtype=np.float32).reshape(-1)
    n = n_windows(y16.size)
    padded = np.zeros(WINDOW_SAMPLES + (n - 1) * HOP_SAMPLES, dtype=np.float32)
    padded[:y16.size] = y16[:padded.size]
    step = padded.strides[0]
    view = np.lib.stride_tricks.as_strided(padded, (n, WINDOW_SAMPLES), (HOP_SAMPLES * step, step),
                                           writeable=False)
    return np.ascontiguousarray(view)


def check_clip(y: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """AudioError when samples at sr Hz are not mono, shorter than one window or silent."""
    if y.ndim != 1:
        raise AudioError(f"audio must be a mono 1-D array; got shape {y.shape}")
    if y.size < int(np.ceil(MIN_SECONDS * sr)):
        raise AudioError(f"the clip lasts {y.size / sr:.2f} s; at least {MIN_SECONDS:.3f} s is "
                         "needed for one YAMNet window")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS)")


def clip_windows(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The network's input windows (n, 15600) float32 of a mono clip at sr Hz, at its own level:
    no normalisation and no clipping, as the official YAMNet feeds it (a decoded or resampled
    clip can overshoot full scale by a few samples: 89 of the 615 real clips here, by up to
    16 %; clipping them moved embeddings by up to 0.22, bench/yamnet_oracle.py).
    AudioError when too short or silent."""
    y = clean(np.asarray(y, dtype=np.float32))
    check_clip(y, sr)
    return windows(to_16k(y, sr))


def prepare(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """Decode a clip for YAMNet: mono float32 at 22050 Hz at its own level, checked usable."""
    y = clean(decode(source, name=name))
    check_clip(y)
    return y
