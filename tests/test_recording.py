"""core.data.recording: both recorders' takes reach the models as the same signal (mono,
22050 Hz, DC removed, one peak level), and a take that clipped says so."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from core.constants import SAMPLE_RATE
from core.data.audio import AudioError, resample
from core.data.recording import CLIPPED_SHARE, TAKE_PEAK, as_heard


def wav(y: np.ndarray, sr: int, subtype: str = "PCM_16") -> bytes:
    """WAV bytes of samples (n,) or frames x channels."""
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype=subtype)
    return buffer.getvalue()


def music(seconds: float, sr: int) -> np.ndarray:
    """A chord with a slow swell, mono float32 at sr Hz, peak about 0.3."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (196.0, 246.9, 293.7))
    return (y * (0.8 + 0.2 * np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)


def test_the_two_recorders_give_the_models_the_same_signal() -> None:
    # st.audio_input: mono at 22050 Hz; the button recorder: stereo at 44.1 kHz, 3x louder,
    # with a DC offset (what the same music gave before, through the browser's processing)
    quiet = as_heard(wav(music(4.0, SAMPLE_RATE), SAMPLE_RATE))
    loud = music(4.0, 44100) * 3.0 + 0.02
    button = as_heard(wav(np.stack([loud, loud], axis=1), 44100))
    assert (quiet.rate, quiet.channels, button.rate, button.channels) == (22050, 1, 44100, 2)
    for take in (quiet, button):
        assert take.samples.dtype == np.float32
        assert abs(float(np.max(np.abs(take.samples))) - TAKE_PEAK) < 1e-6
        assert abs(float(take.samples.mean())) < 1e-3
        assert not take.did_clip
    n = min(quiet.samples.size, button.samples.size) - 200
    a, b = quiet.samples[100:n], button.samples[100:n]
    assert float(np.corrcoef(a, b)[0, 1]) > 0.999
    assert float(np.max(np.abs(a - b))) < 0.02


def test_a_take_that_clipped_says_so() -> None:
    y = np.clip(music(3.0, 48000) * 5.0, -1.0, 1.0)          # hard clipped at full scale
    take = as_heard(wav(np.stack([y, y], axis=1), 48000, "FLOAT"))
    assert take.did_clip and take.clipped > CLIPPED_SHARE
    assert float(np.max(np.abs(take.samples))) <= TAKE_PEAK + 1e-6   # passed on unclipped
    assert take.samples.size == pytest.approx(resample(y, 48000, SAMPLE_RATE).size, abs=2)


def test_unreadable_or_silent_takes_are_refused() -> None:
    with pytest.raises(AudioError, match="not a readable recording"):
        as_heard(b"RIFF....garbage")
    with pytest.raises(AudioError, match="silent"):
        as_heard(wav(np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE))


def test_a_silent_stretch_stays_silent() -> None:
    """Taking the mean off the whole take shifted its silent stretches by a constant: a DC
    offset is removed by a high-pass far below music instead."""
    y = np.concatenate([music(3.0, 48000) + 0.05, np.zeros(2 * 48000, np.float32)])
    take = as_heard(wav(np.stack([y, y], axis=1), 48000, "FLOAT"))
    tail = take.samples[-SAMPLE_RATE:]
    assert float(np.sqrt(np.mean(tail ** 2))) < 1e-4
