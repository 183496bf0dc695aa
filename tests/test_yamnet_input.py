"""YAMNet's front end on synthesised audio: 16-kHz resampling, 0.975-s windows at a 0.48-s hop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.constants import SAMPLE_RATE
from core.data.audio import AudioError
from core.features import yamnet_input as yi
from tests.conftest import tone


def test_window_constants_are_yamnets() -> None:
    assert yi.WINDOW_SAMPLES == 15600 and yi.HOP_SAMPLES == 7680 and yi.YAMNET_SR == 16000
    assert yi.WINDOW_SAMPLES / yi.YAMNET_SR == pytest.approx(0.975)
    assert yi.HOP_SAMPLES / yi.YAMNET_SR == pytest.approx(0.48)


@pytest.mark.parametrize("n, expected", [(1, 1), (15600, 1), (15601, 2), (15600 + 7680, 2),
                                         (15600 + 7681, 3), (480000, 62)])
def test_window_count_pads_the_last_patch_like_yamnet(n: int, expected: int) -> None:
    assert yi.n_windows(n) == expected
    assert yi.windows(np.ones(n, np.float32)).shape == (expected, yi.WINDOW_SAMPLES)


def test_windows_hold_the_signal_at_the_patch_hop_and_zero_pad_the_tail() -> None:
    y16 = np.arange(1, 40001, dtype=np.float32)          # a ramp: every sample is its position
    w = yi.windows(y16)
    assert w.shape == (yi.n_windows(y16.size), 15600) and w.dtype == np.float32
    for k in range(len(w)):
        part = y16[k * 7680:k * 7680 + 15600]
        np.testing.assert_array_equal(w[k, :part.size], part)
        assert not w[k, part.size:].any()               # the padding is zeros
    assert w[-1, -1] == 0.0 and w.flags.writeable and w.flags.c_contiguous


def test_resampling_keeps_pitch_and_duration() -> None:
    y = tone(1000.0, 3.0)                                  # 3 s at 22050 Hz
    y16 = yi.to_16k(y)
    assert y16.dtype == np.float32 and abs(y16.size - 48000) <= 1
    spectrum = np.abs(np.fft.rfft(y16 * np.hanning(y16.size)))
    assert np.fft.rfftfreq(y16.size, 1 / 16000)[int(np.argmax(spectrum))] == pytest.approx(1000, abs=1)


def test_clip_windows_of_a_30_s_clip_are_62_at_the_clips_own_level() -> None:
    quiet, loud = tone(440.0, 30.0, amp=0.05), tone(440.0, 30.0, amp=1.2)
    assert yi.clip_windows(quiet).shape == (62, 15600)
    assert np.max(np.abs(yi.clip_windows(quiet))) == pytest.approx(0.05, rel=0.02)
    assert np.max(np.abs(yi.clip_windows(loud))) == pytest.approx(1.2, rel=0.02)  # not clipped


@pytest.mark.parametrize("y, message", [
    (tone(440.0, 0.9), "at least 0.975 s"),
    (np.zeros(SAMPLE_RATE * 2, np.float32), "silent"),
    (np.zeros((2, SAMPLE_RATE * 2), np.float32), "mono"),
])
def test_short_silent_or_stereo_input_is_refused(y: np.ndarray, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        yi.clip_windows(y)


def test_prepare_decodes_a_file_at_its_own_level(tmp_path: Path) -> None:
    path = tmp_path / "quiet.wav"
    sf.write(path, tone(440.0, 2.0, amp=0.05), SAMPLE_RATE)
    y = yi.prepare(path)
    assert y.size == 2 * SAMPLE_RATE and np.max(np.abs(y)) == pytest.approx(0.05, abs=1e-3)
    sf.write(tmp_path / "short.wav", tone(440.0, 0.5), SAMPLE_RATE)
    with pytest.raises(AudioError, match="0.975 s"):
        yi.prepare(tmp_path / "short.wav")
