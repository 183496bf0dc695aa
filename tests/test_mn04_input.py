"""mn04's front end (core.features.mn04_input) on synthesised audio: shapes, the Kaldi mel bands,
a tone in the right band, the normalisation and the clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.audio import AudioError
from core.features import mn04_input as m
from tests.conftest import tone


def _centres() -> np.ndarray:
    """Centre frequencies (Hz) of the 128 bands, from Kaldi's mel scale."""
    low, high = m.kaldi_mel(m.MN04_FMIN), m.kaldi_mel(m.MN04_FMAX)
    mels = low + np.arange(1, m.MN04_N_MELS + 1) * (high - low) / (m.MN04_N_MELS + 1)
    return 700.0 * (np.exp(mels / 1127.0) - 1.0)


def test_mel_filters_are_kaldi_triangles() -> None:
    f = m.mel_filters()
    assert f.shape == (128, 513) and f.dtype == np.float32
    assert np.all(f >= 0) and float(f.max()) <= 1.0
    assert not f[:, -1].any()                       # the Nyquist bin has no weight
    assert not f[:, 0].any()                        # 0 Hz is the first band's left edge
    hz = np.arange(513) * m.MN04_SR / m.MN04_N_FFT
    assert not f[:, hz > m.MN04_FMAX].any()         # nothing above 15 kHz
    peaks = hz[np.argmax(f, axis=1)]
    assert np.all(np.diff(peaks) >= 0)              # bands rise with frequency
    assert np.all(f.sum(axis=1) > 0)                # every band has some bin


@pytest.mark.parametrize("freq", [440.0, 1000.0, 3000.0])
def test_a_tone_lands_in_its_band(freq: float) -> None:
    spec = m.clip_logmel(tone(freq, 3.0, amp=0.3))
    loudest = int(np.argmax(spec[:, 10:-10].mean(axis=1)))
    assert loudest in set(np.argsort(np.abs(_centres() - freq))[:2].tolist())


def test_shapes_and_frames() -> None:
    y = tone(220.0, 2.5)
    y32 = m.to_32k(y)
    assert y32.dtype == np.float32 and abs(y32.size - 80000) <= 1
    spec = m.logmel(y32)
    assert spec.shape == (128, m.n_frames(y32.size)) == (128, 1 + (y32.size - 1) // 320)
    assert spec.dtype == np.float32 and np.all(np.isfinite(spec))
    assert m.clip_logmel(y).shape == spec.shape


def test_ten_second_windows() -> None:
    assert m.window_starts(960_000) == [0, 320_000, 640_000]
    assert m.window_starts(959_999) == [0, 320_000]          # a tail under 10 s is dropped
    assert m.window_starts(100_000) == [0]                   # a short clip is one window
    batch = m.clip_windows(tone(330.0, 21.0, amp=0.2))
    assert batch.shape == (2, 128, 1000) and batch.dtype == np.float32
    y32 = m.to_32k(tone(330.0, 21.0, amp=0.2))
    assert np.array_equal(batch[1], m.logmel(y32[320_000:640_000]))
    assert m.clip_windows(tone(330.0, 3.0)).shape == (1, 128, m.n_frames(96_000))


def test_normalisation_of_silence_and_scale() -> None:
    spec = m.logmel(np.zeros(32000, np.float32))
    assert np.allclose(spec, (np.log(1e-5) + 4.5) / 5, atol=1e-6)
    louder = m.logmel(2 * m.to_32k(tone(1000.0, 2.0, amp=0.2)))
    quieter = m.logmel(m.to_32k(tone(1000.0, 2.0, amp=0.2)))
    band = int(np.argmax(quieter.mean(axis=1)))
    # twice the amplitude is four times the power: ln 4 / 5 higher after normalisation
    assert np.isclose(np.median(louder[band] - quieter[band]), np.log(4) / 5, atol=1e-3)


def test_pre_emphasis_damps_low_frequencies() -> None:
    low = m.clip_logmel(tone(60.0, 2.0, amp=0.3)).max()
    high = m.clip_logmel(tone(6000.0, 2.0, amp=0.3)).max()
    assert high > low + 0.5        # 1 - 0.97 z^-1: about -24 dB at 60 Hz, +5 dB at 6 kHz


def test_bad_clips_get_clear_errors() -> None:
    with pytest.raises(AudioError, match="at least 1 s"):
        m.clip_logmel(tone(440.0, 0.5))
    with pytest.raises(AudioError, match="silent"):
        m.clip_logmel(np.zeros(22050 * 2, np.float32))
    with pytest.raises(AudioError, match="mono"):
        m.clip_logmel(np.zeros((2, 22050 * 2), np.float32))
    noisy = tone(440.0, 2.0)
    noisy[100] = np.nan                              # non-finite samples become 0
    assert np.all(np.isfinite(m.clip_logmel(noisy)))
