"""Tests of core.features.descriptors: Kaggle's 57 whole-clip descriptors."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from core.data.audio import AudioError
from core.constants import ORACLE_ABS_TOL, ORACLE_REL_TOL, SAMPLE_RATE, SHARED_DATA
from core.features.descriptors import DESCRIPTOR_COLUMNS, NEAR_ZERO_COLUMNS, _hpss_signals, _median_along_last, _spectral_shape, clip_descriptors, file_descriptors

SR = SAMPLE_RATE
REAL_CLIPS = ("blues/blues.00001.wav", "country/country.00000.wav")  # both need the median onset


def _col(values: np.ndarray, name: str) -> float:
    """The value of one named descriptor."""
    return float(values[DESCRIPTOR_COLUMNS.index(name)])


def _sine(freq: float, amp: float, seconds: float = 4.0) -> np.ndarray:
    """A float32 sine of freq Hz and amplitude amp."""
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _clicks(bpm: float, seconds: float = 8.0) -> np.ndarray:
    """A float32 train of decaying noise bursts at bpm beats per minute."""
    rng = np.random.default_rng(3)
    y = 0.001 * rng.standard_normal(int(seconds * SR))
    burst = rng.standard_normal(441) * np.exp(-np.arange(441) / 60.0)
    for start in np.arange(0, seconds - 0.05, 60.0 / bpm):
        i = int(start * SR)
        y[i:i + burst.size] += 0.8 * burst
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def sine_values() -> np.ndarray:
    """Descriptors of a 1 kHz sine of amplitude 0.5."""
    return clip_descriptors(_sine(1000.0, 0.5))


def test_columns_are_the_57_of_the_table() -> None:
    assert len(DESCRIPTOR_COLUMNS) == 57 == len(set(DESCRIPTOR_COLUMNS))
    assert DESCRIPTOR_COLUMNS[:2] == ("chroma_stft_mean", "chroma_stft_var")
    assert DESCRIPTOR_COLUMNS[12:17] == (
        "harmony_mean", "harmony_var", "perceptr_mean", "perceptr_var", "tempo")
    assert DESCRIPTOR_COLUMNS[17] == "mfcc1_mean" and DESCRIPTOR_COLUMNS[-1] == "mfcc20_var"
    assert set(NEAR_ZERO_COLUMNS) <= set(DESCRIPTOR_COLUMNS)


def test_sine_shape_and_physics(sine_values: np.ndarray) -> None:
    v = sine_values
    assert v.shape == (57,) and v.dtype == np.float64 and np.all(np.isfinite(v))
    assert _col(v, "spectral_centroid_mean") == pytest.approx(1000.0, rel=0.02)
    assert _col(v, "zero_crossing_rate_mean") == pytest.approx(2 * 1000.0 / SR, rel=0.02)
    assert _col(v, "rms_mean") == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    assert _col(v, "rolloff_mean") == pytest.approx(1000.0, rel=0.05)
    # a steady tone is harmonic, not percussive
    assert _col(v, "harmony_var") > 20 * _col(v, "perceptr_var")
    assert _col(v, "harmony_var") == pytest.approx(0.125, rel=0.05)  # A^2/2 of the tone


def test_amplitude_scales_rms_but_not_spectral_shape(sine_values: np.ndarray) -> None:
    louder = clip_descriptors(_sine(1000.0, 0.25) * 2.0)  # the same tone as sine_values
    np.testing.assert_allclose(louder, sine_values, rtol=1e-5, atol=1e-6)
    quiet = clip_descriptors(_sine(1000.0, 0.05))
    assert _col(quiet, "rms_mean") == pytest.approx(_col(sine_values, "rms_mean") / 10, rel=1e-3)
    assert _col(quiet, "spectral_centroid_mean") == pytest.approx(
        _col(sine_values, "spectral_centroid_mean"), rel=1e-3)
    assert _col(quiet, "mfcc1_mean") < _col(sine_values, "mfcc1_mean") - 10  # 20 dB quieter


def test_white_noise_centroid_and_zcr() -> None:
    y = (0.3 * np.random.default_rng(0).standard_normal(3 * SR)).astype(np.float32)
    v = clip_descriptors(y)
    assert _col(v, "spectral_centroid_mean") == pytest.approx(SR / 4, rel=0.05)
    assert _col(v, "zero_crossing_rate_mean") == pytest.approx(0.5, rel=0.05)


def test_click_train_tempo() -> None:
    v = clip_descriptors(_clicks(120.0))
    assert _col(v, "tempo") == pytest.approx(120.0, rel=0.05)
    assert _col(v, "perceptr_var") > _col(v, "harmony_var")


def test_matches_direct_librosa_calls() -> None:
    """Each column equals librosa's own one-call result with the table's (pre-0.10) settings."""
    y = (_sine(330.0, 0.3, 5.0) + 0.2 * _clicks(100.0, 5.0)).astype(np.float32)
    v = clip_descriptors(y)
    pad = {"pad_mode": "reflect"}
    direct = {
        "chroma_stft": librosa.feature.chroma_stft(y=y, sr=SR, **pad),
        "rms": librosa.feature.rms(y=y, **pad),
        "spectral_centroid": librosa.feature.spectral_centroid(y=y, sr=SR, **pad),
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(y=y, sr=SR, **pad),
        "rolloff": librosa.feature.spectral_rolloff(y=y, sr=SR, **pad),
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(y),
    }
    mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, **pad)
    for k in range(20):
        direct[f"mfcc{k + 1}"] = mfcc[k]
    for name, frames in direct.items():
        assert _col(v, f"{name}_mean") == pytest.approx(float(np.mean(frames)), rel=1e-5), name
        assert _col(v, f"{name}_var") == pytest.approx(float(np.var(frames)), rel=1e-4), name
    onset = librosa.onset.onset_strength(y=y, sr=SR, aggregate=np.median, **pad)
    assert _col(v, "tempo") == float(librosa.feature.tempo(onset_envelope=onset, sr=SR)[0])


def _mixture(seconds: float = 3.0) -> np.ndarray:
    """A sine plus clicks: a clip with both harmonic and percussive energy."""
    return (_sine(440.0, 0.3, seconds) + 0.2 * _clicks(90.0, seconds)).astype(np.float32)


def test_hpss_signals_add_up_to_the_clip() -> None:
    y = _mixture()
    stft = librosa.stft(y, pad_mode="reflect")
    harmonic, percussive = _hpss_signals(y, stft, np.abs(stft))
    assert harmonic.shape == percussive.shape == y.shape
    body = slice(0, y.size - 2048)
    np.testing.assert_allclose(harmonic[body] + percussive[body], y[body], atol=1e-4)
    # like librosa < 0.10: past the trimmed inverse STFT the signals are zero-padded
    tail = slice(512 * (y.size // 512), None)
    assert y.size % 512 and np.all(harmonic[tail] == 0) and np.all(percussive[tail] == 0)


def test_hpss_signals_equal_librosa_hpss() -> None:
    y = _mixture()
    stft = librosa.stft(y, pad_mode="reflect")
    harmonic, percussive = _hpss_signals(y, stft, np.abs(stft))
    for mine, part in zip((harmonic, percussive), librosa.decompose.hpss(stft)):
        reference = librosa.util.fix_length(librosa.istft(part, dtype=np.float32), size=y.size)
        np.testing.assert_allclose(mine, reference, atol=1e-6 * float(np.abs(y).max()))
    assert np.abs(harmonic).max() > 0.1 and np.abs(percussive).max() > 0.1  # both parts present


@pytest.mark.parametrize("shape, width", [((7, 40), 31), ((5, 9), 31), ((3, 50), 5)])
def test_median_along_last_equals_scipy_median_filter(shape: tuple[int, int], width: int) -> None:
    from scipy.ndimage import median_filter

    values = np.random.default_rng(1).random(shape).astype(np.float32)
    np.testing.assert_array_equal(_median_along_last(values, width),
                                  median_filter(values, size=(1, width), mode="reflect"))


def test_spectral_shape_equals_librosa() -> None:
    magnitude = np.abs(librosa.stft(_mixture(), pad_mode="reflect"))
    magnitude[:, 3] = 0.0  # a silent frame: left unnormalised, as librosa leaves it
    centroid, bandwidth, rolloff = _spectral_shape(magnitude, SR)
    np.testing.assert_allclose(centroid, librosa.feature.spectral_centroid(S=magnitude, sr=SR)[0],
                               rtol=1e-5)
    np.testing.assert_allclose(bandwidth,
                               librosa.feature.spectral_bandwidth(S=magnitude, sr=SR)[0],
                               rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(rolloff, librosa.feature.spectral_rolloff(S=magnitude, sr=SR)[0])


def test_file_descriptors_equal_clip_descriptors(tmp_path: Path) -> None:
    y = _sine(700.0, 0.4, 3.0)
    path = tmp_path / "tone.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    np.testing.assert_array_equal(file_descriptors(path), clip_descriptors(y))


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 4096), np.float32), "mono 1-D"),
    (np.ones(1000, np.float32), "at least 2048"),
    (np.zeros(SR, np.float32), "silent"),
    (np.full(SR, np.nan, np.float32), "non-finite"),
    (np.ones(SR, np.int16), "floating-point"),
])
def test_bad_input_raises(bad: np.ndarray, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        clip_descriptors(bad)


def test_bad_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "junk.wav"
    path.write_bytes(b"not audio at all")
    with pytest.raises(AudioError):
        file_descriptors(path)


def test_real_clips_match_kaggle_table() -> None:
    table = SHARED_DATA / "features" / "features_30_sec.csv"
    clips = [SHARED_DATA / "gtzan" / "genres_original" / c for c in REAL_CLIPS]
    if not table.is_file() or not all(c.is_file() for c in clips):
        pytest.skip(f"real GTZAN clips and Kaggle's table are not at {SHARED_DATA} "
                    "(they live beside the project, in ../shared/data)")
    import pandas as pd

    rows = pd.read_csv(table).set_index("filename")
    for clip in clips:
        ours = file_descriptors(clip)
        ref = rows.loc[clip.name, list(DESCRIPTOR_COLUMNS)].to_numpy(dtype=np.float64)
        for name, a, b in zip(DESCRIPTOR_COLUMNS, ours, ref):
            if name in NEAR_ZERO_COLUMNS:
                assert abs(a - b) <= ORACLE_ABS_TOL, (clip.name, name, a, b)
            else:
                assert abs(a - b) <= ORACLE_REL_TOL * abs(b), (clip.name, name, a, b)
        assert _col(ours, "tempo") == pytest.approx(rows.loc[clip.name, "tempo"], rel=1e-9)
