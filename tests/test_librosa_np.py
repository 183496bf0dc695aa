"""core.features.librosa_np against librosa itself, function by function, on synthetic clips."""

from __future__ import annotations

import subprocess
import sys

import librosa
import numpy as np
import pytest

from core.features import librosa_np
from core.constants import PROJECT_ROOT, SAMPLE_RATE

SR = SAMPLE_RATE


def clip(seconds: float = 6.0, seed: int = 0) -> np.ndarray:
    """Two detuned tones, a beat of noise bursts and a little noise (float32)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = 0.3 * np.sin(2 * np.pi * 443.0 * t) + 0.2 * np.sin(2 * np.pi * 661.0 * t)
    y += (np.mod(t, 0.5) < 0.03) * rng.standard_normal(t.size) * 0.5
    y += 0.01 * rng.standard_normal(t.size)
    y[:500] = 0.0                       # exact zeros: the zero-crossing threshold's case
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def spectra() -> dict[str, np.ndarray]:
    """A clip, its complex STFT (librosa's), power and log-mel."""
    y = clip()
    stft = librosa.stft(y, n_fft=2048, hop_length=512, pad_mode="reflect")
    power = np.abs(stft) ** 2
    log_mel = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=SR))
    return {"y": y, "stft": stft, "power": power, "log_mel": log_mel}


def test_stft_and_istft(spectra) -> None:
    np.testing.assert_allclose(librosa_np.stft(spectra["y"]), spectra["stft"], rtol=0,
                               atol=1e-6 * np.abs(spectra["stft"]).max())
    np.testing.assert_allclose(librosa_np.istft(spectra["stft"]),
                               librosa.istft(spectra["stft"], hop_length=512, n_fft=2048,
                                             dtype=np.float32), atol=1e-6)


def test_stft_and_melspectrogram_at_other_sizes() -> None:
    # musicnn's front end: 16 kHz, n_fft 512, hop 256, 96 bands, zero-padded centred frames
    y = clip(seconds=5.0, seed=1)[::2].copy()
    np.testing.assert_allclose(
        librosa_np.stft(y, pad_mode="constant", n_fft=512, hop_length=256),
        librosa.stft(y, n_fft=512, hop_length=256), rtol=0,
        atol=1e-6 * np.abs(librosa.stft(y, n_fft=512, hop_length=256)).max())
    ours = librosa_np.melspectrogram(y, 16000, 512, 256, 96)
    theirs = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape == (96, 1 + y.size // 256)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6 * theirs.max())


def test_frame_rms_and_zero_crossing_rate(spectra) -> None:
    y = spectra["y"]
    np.testing.assert_array_equal(librosa_np.frame_rms(y), librosa.feature.rms(
        y=y, frame_length=2048, hop_length=512, pad_mode="reflect")[0])
    np.testing.assert_array_equal(librosa_np.zero_crossing_rate(y), librosa.feature.
                                  zero_crossing_rate(y, frame_length=2048, hop_length=512)[0])


def test_tuning_and_chroma(spectra) -> None:
    power = spectra["power"]
    tuning = librosa_np.estimate_tuning(power, SR)
    assert tuning == librosa.estimate_tuning(S=power, sr=SR) and tuning != 0.0  # 443 Hz: sharp
    np.testing.assert_array_equal(librosa_np.chroma_filters(SR, 2048, tuning),
                                  librosa.filters.chroma(sr=SR, n_fft=2048, tuning=tuning))
    np.testing.assert_allclose(librosa_np.chroma_stft(power, SR),
                               librosa.feature.chroma_stft(S=power, sr=SR), rtol=1e-6)


def test_power_to_db_onset_and_tempo(spectra) -> None:
    mel = librosa.feature.melspectrogram(S=spectra["power"], sr=SR)
    np.testing.assert_array_equal(librosa_np.power_to_db(mel), librosa.power_to_db(mel))
    onset = librosa.onset.onset_strength(S=spectra["log_mel"], sr=SR, hop_length=512,
                                         aggregate=np.median)
    np.testing.assert_array_equal(librosa_np.onset_strength_median(spectra["log_mel"]), onset)
    expected = float(librosa.feature.tempo(onset_envelope=onset, sr=SR, hop_length=512)[0])
    assert librosa_np.tempo(onset, SR) == expected
    assert expected == pytest.approx(120.0, rel=0.05)   # the bursts come twice a second


#: librosa's modules whose import compiles numba code (about 20 CPU-seconds on a fresh install)
COMPILING_MODULES = ("librosa.core.audio", "librosa.core.pitch", "librosa.util.utils",
                     "librosa.feature")


@pytest.mark.parametrize("module, function", [("core.features.descriptors", "clip_descriptors"),
                                              ("core.models.musicnn_net", "clip_patches")])
def test_first_clip_paths_compile_no_numba_code(module: str, function: str) -> None:
    code = (f"import sys, numpy as np; from {module} import {function}; "
            "t = np.arange(4 * 22050) / 22050; "
            f"{function}((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)); "
            f"print(sorted(m for m in {COMPILING_MODULES!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, check=True)
    assert done.stdout.strip() == "[]"
