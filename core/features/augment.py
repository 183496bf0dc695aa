"""Training-time augmentation of log-mel spectrograms: pitch shift, white noise, slicing.

The study augments the 2D-CNN's training data with pitch shifting, added white noise and slicing.
Re-running audio effects and the STFT for every example of every epoch is far too slow on a CPU,
so GenreLab applies all three to the log-mel spectrogram itself (``core.features.study`` "logmel": dB,
ref 1.0, floored DB_TOP_DB below the segment's maximum), which has the same effect to first order:

- pitch shift: the spectrogram is moved up or down by a few mel bands (vacated bands take the
  segment's floor value). Above ~1 kHz mel bands are about evenly spaced in log-frequency, so a
  shift of k bands is a pitch shift of roughly k * 0.4 semitone there; below 1 kHz the mel scale is
  linear, so low notes are moved by a near-constant number of Hz instead.
- white noise: white noise has a flat power spectrum, and with the area-normalised (Slaney) mel
  filters its mel power is flat across bands; it is added in the power domain, at a level set
  by a signal-to-noise ratio (dB) against the segment's mean mel power, with the chi-square
  fluctuation of a noise periodogram averaged over a filter (exponential per cell), then the
  result is converted back to dB and floored like the features.
- slicing: a random time crop (at least SLICE_MIN_FRACTION of the frames) is stretched back to
  the full number of frames by linear interpolation, so the model sees a slightly faster
  excerpt of the segment.

These functions only ever receive training batches: ``core.training.runner`` calls ``augment_batch`` from
the training data feeder and never on validation or test arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.constants import DB_AMIN, DB_TOP_DB

PITCH_MAX_BINS: int = 4            #: largest pitch shift, mel bands (about 1.5 semitones up high)
NOISE_SNR_DB: tuple[float, float] = (10.0, 30.0)  #: dB, range of the added noise's SNR
SLICE_MIN_FRACTION: float = 0.75   #: shortest time crop, fraction of the segment's frames
AUGMENT_KINDS: tuple[str, ...] = ("pitch_shift", "white_noise", "slicing")


@dataclass(frozen=True)
class AugmentOptions:
    """Which augmentations to apply, and the probability each is applied to one example."""
    pitch_shift: bool = False
    white_noise: bool = False
    slicing: bool = False
    probability: float = 0.5

    @classmethod
    def from_dict(cls, flags: dict | None) -> "AugmentOptions":
        """Options from a dict of pitch_shift/white_noise/slicing bools (unknown keys refused)."""
        flags = dict(flags or {})
        unknown = [k for k in flags if k not in AUGMENT_KINDS + ("probability",)]
        if unknown:
            raise ValueError(f"unknown augmentation(s) {unknown}; choose from {list(AUGMENT_KINDS)}")
        return cls(**{k: (float(v) if k == "probability" else bool(v)) for k, v in flags.items()})

    @property
    def any(self) -> bool:
        """True when at least one augmentation is switched on."""
        return self.pitch_shift or self.white_noise or self.slicing


def _check_spec(spec: np.ndarray) -> np.ndarray:
    """The spectrogram as float32 (mels, frames); ValueError for other shapes or bad values."""
    spec = np.asarray(spec, dtype=np.float32)
    if spec.ndim == 3 and spec.shape[-1] == 1:
        spec = spec[..., 0]
    if spec.ndim != 2 or min(spec.shape) < 2:
        raise ValueError(f"expected a (mels, frames) spectrogram, got shape {spec.shape}")
    if not np.all(np.isfinite(spec)):
        raise ValueError("the spectrogram holds NaN or infinite values")
    return spec


def pitch_shift(spec: np.ndarray, bins: int) -> np.ndarray:
    """Shift a (mels, frames) dB spectrogram by `bins` mel bands (>0 up), vacated bands at its floor."""
    spec = _check_spec(spec)
    bins = int(bins)
    if abs(bins) >= spec.shape[0]:
        raise ValueError(f"a shift of {bins} bands does not fit {spec.shape[0]} mel bands")
    out = np.full_like(spec, spec.min())
    if bins > 0:
        out[bins:] = spec[:-bins]
    elif bins < 0:
        out[:bins] = spec[-bins:]
    else:
        out[:] = spec
    return out


def white_noise(spec: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white noise at snr_db dB below the mean mel power to a (mels, frames) dB spectrogram."""
    spec = _check_spec(spec)
    power = np.power(10.0, spec.astype(np.float64) / 10.0)
    level = power.mean() * 10.0 ** (-float(snr_db) / 10.0)
    noisy = power + level * rng.exponential(1.0, size=power.shape)
    db = 10.0 * np.log10(np.maximum(noisy, DB_AMIN))
    return np.maximum(db, db.max() - DB_TOP_DB).astype(np.float32)


def slice_stretch(spec: np.ndarray, start: int, width: int) -> np.ndarray:
    """Frames [start, start+width) of a (mels, frames) spectrogram stretched back to all frames."""
    spec = _check_spec(spec)
    n = spec.shape[1]
    if width < 2 or start < 0 or start + width > n:
        raise ValueError(f"crop [{start}, {start + width}) does not fit {n} frames")
    src = np.linspace(start, start + width - 1, n)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = (src - lo).astype(np.float32)
    return (spec[:, lo] * (1.0 - frac) + spec[:, hi] * frac).astype(np.float32)


def augment_one(spec: np.ndarray, options: AugmentOptions, rng: np.random.Generator) -> np.ndarray:
    """One training spectrogram with each switched-on augmentation applied at random (p each)."""
    out = _check_spec(spec)
    if options.pitch_shift and rng.random() < options.probability:
        shift = int(rng.integers(1, PITCH_MAX_BINS + 1)) * (1 if rng.random() < 0.5 else -1)
        out = pitch_shift(out, shift)
    if options.slicing and rng.random() < options.probability:
        n = out.shape[1]
        width = int(rng.integers(int(np.ceil(SLICE_MIN_FRACTION * n)), n + 1))
        out = slice_stretch(out, int(rng.integers(0, n - width + 1)), width)
    if options.white_noise and rng.random() < options.probability:
        out = white_noise(out, float(rng.uniform(*NOISE_SNR_DB)), rng)
    return out


def augment_batch(batch: np.ndarray, options: AugmentOptions,
                  rng: np.random.Generator) -> np.ndarray:
    """A new array of augmented copies of a training batch (n, mels, frames[, 1]); input untouched."""
    batch = np.asarray(batch, dtype=np.float32)
    if batch.ndim not in (3, 4):
        raise ValueError(f"expected a batch of spectrograms (n, mels, frames[, 1]), got {batch.shape}")
    if not options.any:
        return batch.copy()
    out = np.stack([augment_one(item, options, rng) for item in batch])
    return out.reshape(batch.shape)
