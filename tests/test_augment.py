"""Spectrogram augmentation: pitch shift by mel bands, white noise in the power domain, slicing."""

from __future__ import annotations

import numpy as np
import pytest

from core.features import augment
from core.constants import DB_TOP_DB, N_MELS, SEGMENT_FRAMES


def _band_spec(band: int = 60, level: float = 20.0, floor: float = -40.0) -> np.ndarray:
    """A (128, 130) dB spectrogram at floor dB with one loud mel band."""
    spec = np.full((N_MELS, SEGMENT_FRAMES), floor, dtype=np.float32)
    spec[band] = level
    return spec


def test_pitch_shift_moves_bands_and_fills_with_floor() -> None:
    spec = _band_spec(60)
    up = augment.pitch_shift(spec, 3)
    down = augment.pitch_shift(spec, -2)
    assert up.shape == spec.shape
    assert np.argmax(up[:, 0]) == 63 and np.argmax(down[:, 0]) == 58
    assert np.all(up[:3] == spec.min())
    np.testing.assert_array_equal(augment.pitch_shift(spec, 0), spec)


def test_pitch_shift_rejects_impossible_shift() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        augment.pitch_shift(_band_spec(), N_MELS)


def test_white_noise_raises_quiet_cells_not_loud_ones() -> None:
    spec = _band_spec(level=20.0, floor=-40.0)
    before = spec.copy()
    noisy = augment.white_noise(spec, snr_db=10.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(spec, before)          # input untouched
    quiet = np.delete(np.arange(N_MELS), 60)
    assert noisy[quiet].mean() > before[quiet].mean() + 10.0
    assert abs(noisy[60].mean() - 20.0) < 0.5
    assert noisy.min() >= noisy.max() - DB_TOP_DB - 1e-4


def test_white_noise_level_follows_snr() -> None:
    spec = _band_spec()
    rng = np.random.default_rng(1)
    loud = augment.white_noise(spec, 5.0, rng)
    soft = augment.white_noise(spec, 30.0, rng)
    assert loud[:50].mean() > soft[:50].mean() + 15.0


def test_slice_stretch_full_width_is_identity_and_half_width_stretches() -> None:
    ramp = np.tile(np.arange(SEGMENT_FRAMES, dtype=np.float32), (N_MELS, 1))
    np.testing.assert_allclose(augment.slice_stretch(ramp, 0, SEGMENT_FRAMES), ramp, atol=1e-4)
    half = augment.slice_stretch(ramp, 10, 65)
    assert half.shape == ramp.shape
    assert half[0, 0] == pytest.approx(10.0) and half[0, -1] == pytest.approx(74.0)
    assert np.all(np.diff(half[0]) > 0) and np.all(np.diff(half[0]) < 1.0)
    with pytest.raises(ValueError, match="does not fit"):
        augment.slice_stretch(ramp, 100, 65)


def test_augment_batch_returns_new_array_and_keeps_input() -> None:
    rng = np.random.default_rng(3)
    batch = rng.normal(-20, 10, size=(4, N_MELS, SEGMENT_FRAMES, 1)).astype(np.float32)
    before = batch.copy()
    options = augment.AugmentOptions(pitch_shift=True, white_noise=True, slicing=True,
                                     probability=1.0)
    out = augment.augment_batch(batch, options, np.random.default_rng(0))
    np.testing.assert_array_equal(batch, before)
    assert out.shape == batch.shape and out.dtype == np.float32
    assert not np.allclose(out, batch)
    again = augment.augment_batch(batch, options, np.random.default_rng(0))
    np.testing.assert_array_equal(out, again)           # seeded: reproducible
    plain = augment.augment_batch(batch, augment.AugmentOptions(), np.random.default_rng(0))
    np.testing.assert_array_equal(plain, batch)
    assert plain is not batch


def test_options_from_dict_and_bad_input() -> None:
    options = augment.AugmentOptions.from_dict({"pitch_shift": True, "slicing": False})
    assert options.pitch_shift and not options.slicing and options.any
    assert not augment.AugmentOptions.from_dict(None).any
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment.AugmentOptions.from_dict({"reverb": True})
    with pytest.raises(ValueError, match="spectrogram"):
        augment.pitch_shift(np.zeros(10), 1)
    with pytest.raises(ValueError, match="NaN"):
        augment.white_noise(np.full((8, 8), np.nan), 10.0, np.random.default_rng(0))
