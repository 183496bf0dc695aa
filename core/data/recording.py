"""A microphone take as the models hear it, whichever recorder made it.

Try it has two recorders: st.audio_input gives mono WAV at 22050 Hz, the button recorder gives
the browser's own rate (44.1 or 48 kHz), in stereo. Both takes go through `as_heard`, so the
models get the same signal from the same sound: the channels averaged to mono, resampled to
22050 Hz (soxr, as every upload), any DC offset removed (a zero-phase high-pass far below
music, `DC_CUTOFF_HZ`: a silent stretch stays silent) and the level brought to one peak
(`TAKE_PEAK`), and a take that clipped (samples at full scale) is said to have clipped instead
of being passed on as if it were clean.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf
from scipy import signal

from core.constants import SAMPLE_RATE, SILENCE_PEAK
from core.data.audio import AudioError, clean, resample

TAKE_PEAK: float = 0.5            #: peak every take is scaled to (-6 dBFS): room, and no clipping
CLIP_LEVEL: float = 0.99          #: a sample at or past this (full scale 1) is taken as clipped
CLIPPED_SHARE: float = 0.001      #: a take with more of its samples clipped than this clipped
DC_CUTOFF_HZ: float = 10.0        #: Hz, the high-pass that removes a DC offset (below any note)


@dataclass(frozen=True)
class Take:
    """One recording as the models hear it, and what it was."""
    samples: np.ndarray            #: mono float32 at SAMPLE_RATE, peak TAKE_PEAK
    rate: int                      #: Hz the recorder recorded at
    channels: int                  #: channels the recorder recorded
    clipped: float                 #: share of the recorded samples at full scale (0..1)

    @property
    def did_clip(self) -> bool:
        """True when the take clipped (more than CLIPPED_SHARE of its samples at full scale)."""
        return self.clipped > CLIPPED_SHARE


def as_heard(data: bytes, name: str = "recording.wav") -> Take:
    """A recorder's WAV bytes as the models hear them (see the module's docstring); AudioError
    when they hold no readable or no audible sound."""
    try:
        frames, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001 - any reader error is an unusable take
        raise AudioError(f"not a readable recording ({exc})", name) from exc
    if frames.size == 0:
        raise AudioError("the recording holds no audio samples", name)
    frames = clean(frames)
    clipped = float(np.mean(np.abs(frames) >= CLIP_LEVEL))
    mono = np.ascontiguousarray(frames.mean(axis=1), dtype=np.float32)
    y = resample(mono, int(rate), SAMPLE_RATE)
    if y.size > 64:   # sosfiltfilt needs a few times the filter's length
        sos = signal.butter(2, DC_CUTOFF_HZ, btype="highpass", fs=SAMPLE_RATE, output="sos")
        y = signal.sosfiltfilt(sos, y).astype(np.float32)
    peak = float(np.max(np.abs(y)))
    if peak < SILENCE_PEAK:
        raise AudioError("the recording is silent (peak below -80 dBFS)", name)
    return Take((y * (TAKE_PEAK / peak)).astype(np.float32), int(rate), frames.shape[1], clipped)
