"""Sound sources of the synthetic demo set: oscillators, envelopes, drums, instruments, a clip's context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
from scipy import signal

_MIX_SPREAD_DB = 3.0                #: dB, level variation of each part between clips


#: Chord qualities as semitone offsets from the chord root.
CHORDS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10),
    "maj7": (0, 4, 7, 11), "5": (0, 7, 12), "9": (0, 4, 10, 14), "m9": (0, 3, 10, 14),
}


MAJOR = (0, 2, 4, 5, 7, 9, 11)


MINOR = (0, 2, 3, 5, 7, 8, 10)


Progression = Sequence[tuple[int, str]]


@dataclass
class Ctx:
    """One clip being synthesised: length n samples at sr Hz, tempo, tonic and its random stream."""
    sr: int
    n: int
    bpm: float
    root: int
    rng: np.random.Generator

    @property
    def spb(self) -> float:
        """Seconds per beat."""
        return 60.0 / self.bpm

    @property
    def n_bars(self) -> int:
        """Number of 4-beat bars that cover the clip (one spare)."""
        return int(np.ceil(self.n / self.sr / (4.0 * self.spb))) + 1

    def sample(self, beats: float) -> int:
        """Sample index of a time given in beats."""
        return int(round(beats * self.spb * self.sr))


def hz(midi: float) -> float:
    """Frequency in Hz of a MIDI note number."""
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def time_axis(length: int, sr: int) -> np.ndarray:
    """Time axis in seconds of length samples (float32)."""
    return np.arange(length, dtype=np.float32) / np.float32(sr)


def envelope(length: int, sr: int, decay_s: float, attack_s: float = 0.002) -> np.ndarray:
    """Exponential decay envelope with a linear attack, decay_s/attack_s in seconds (float32)."""
    t = time_axis(length, sr)
    env = np.exp(-t / np.float32(decay_s))
    if attack_s > 0:
        env *= np.minimum(np.float32(1.0), t / np.float32(attack_s))
    return env


def gate_envelope(length: int, sr: int, attack_s: float, release_s: float) -> np.ndarray:
    """Flat envelope with a linear attack and a linear release at the end, in seconds (float32)."""
    env = np.ones(length, dtype=np.float32)
    a = min(length, max(1, int(attack_s * sr)))
    r = min(length - a, max(1, int(release_s * sr)))
    env[:a] = np.linspace(0.0, 1.0, a, dtype=np.float32)
    if r > 0:
        env[length - r:] *= np.linspace(1.0, 0.0, r, dtype=np.float32)
    return env


def filtered(y: np.ndarray, sr: int, kind: str, cutoff: float | Sequence[float],
            order: int = 2) -> np.ndarray:
    """Butterworth filter ('lowpass', 'highpass' or 'bandpass'), cut-off(s) in Hz (float32)."""
    sos = signal.butter(order, cutoff, btype=kind, fs=sr, output="sos")
    return signal.sosfilt(sos, y).astype(np.float32)


def blep(t: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """PolyBLEP correction for phase fraction t (cycles, 0..1) and phase step dt (cycles)."""
    out = np.zeros_like(t)
    scalar = np.ndim(dt) == 0
    lo = t < dt
    x = t[lo] / (dt if scalar else dt[lo])
    out[lo] = 2.0 * x - x * x - 1.0
    hi = t > 1.0 - dt
    x = (t[hi] - 1.0) / (dt if scalar else dt[hi])
    out[hi] = x * x + 2.0 * x + 1.0
    return out


def fraction(phase: np.ndarray) -> np.ndarray:
    """Fractional part of a phase in cycles, as float32."""
    return np.subtract(phase, np.floor(phase)).astype(np.float32)


def saw(phase: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """Band-limited (polyBLEP) sawtooth from a phase in cycles and its per-sample step."""
    t = fraction(phase)
    dt = np.float32(dt) if np.ndim(dt) == 0 else np.asarray(dt, dtype=np.float32)
    y = 2.0 * t
    y -= 1.0
    y -= blep(t, dt)
    return y


def square(phase: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """Band-limited (polyBLEP) square wave from a phase in cycles and its per-sample step."""
    t = fraction(phase)
    dt = np.float32(dt) if np.ndim(dt) == 0 else np.asarray(dt, dtype=np.float32)
    y = np.where(t < 0.5, np.float32(1.0), np.float32(-1.0))
    y += blep(t, dt)
    y -= blep(fraction(phase + 0.5), dt)
    return y


def phase_of(freq: float, length: int, sr: int, start: float = 0.0) -> np.ndarray:
    """Phase in cycles of a constant frequency freq Hz over length samples."""
    return start + freq * np.arange(length, dtype=np.float64) / sr


def chord_notes(root: int, quality: str) -> list[int]:
    """MIDI notes of a chord of the given quality on root."""
    return [root + i for i in CHORDS[quality]]


def voiced(root: int, quality: str, low: int) -> list[int]:
    """Chord tones of a chord moved into the octave starting at MIDI note low."""
    return sorted(low + (root + i - low) % 12 for i in CHORDS[quality])


def grid_hits(c: Ctx, steps: Sequence[float], gains: float | Sequence[float] = 1.0,
          vel: float = 0.12, jitter_ms: float = 3.0, bar_beats: float = 4.0,
          every: int = 1, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Onsets (beats) and gains of a rhythm repeated every `every` bars, humanised a little."""
    bars = np.arange(first, c.n_bars, every, dtype=np.float64) * bar_beats
    onsets = (bars[:, None] + np.asarray(steps, dtype=np.float64)[None, :]).ravel()
    g = np.broadcast_to(np.asarray(gains, dtype=np.float64), (bars.size, len(steps))).ravel()
    g = g * (1.0 + vel * c.rng.uniform(-1.0, 1.0, onsets.size))
    onsets = onsets + c.rng.normal(0.0, jitter_ms / 1000.0 / c.spb, onsets.size)
    return onsets, g


def hits_at(c: Ctx, wave: np.ndarray, onsets: Iterable[float], gains: Iterable[float]) -> np.ndarray:
    """A track of one sound (wave) triggered at onsets (beats) with the given gains."""
    y = np.zeros(c.n, dtype=np.float32)
    for onset, gain in zip(onsets, gains):
        i = max(0, c.sample(onset))
        if i >= c.n:
            continue
        j = min(c.n, i + wave.size)
        y[i:j] += np.float32(gain) * wave[: j - i]
    return y


Voice = Callable[[float, int], np.ndarray]   #: (frequency Hz, length samples) -> note


Event = tuple[float, float, int, float]   #: (onset beats, duration beats, MIDI note, gain)


def note_events_audio(c: Ctx, events: Iterable[Event], voice: Voice) -> np.ndarray:
    """A track of notes (onset beats, duration beats, MIDI note, gain) played by voice(hz, samples).
    Rendered notes are cached per (note, length) so repeated notes cost one slice-add each.
    """
    y = np.zeros(c.n, dtype=np.float32)
    cache: dict[tuple[int, int], np.ndarray] = {}
    for onset, dur, midi, gain in events:
        i = max(0, c.sample(onset))
        if i >= c.n:
            continue
        length = max(8, int(round(dur * c.spb * c.sr)))
        key = (int(midi), length)
        wave = cache.get(key)
        if wave is None:
            wave = voice(hz(midi), length)
            cache[key] = wave
        j = min(c.n, i + wave.size)
        y[i:j] += np.float32(gain) * wave[: j - i]
    return y


def chord_events(c: Ctx, prog: Progression, steps: Sequence[float], dur: float, low: int,
                  gain: float = 1.0, strum_beats: float = 0.0,
                  bar_beats: float = 4.0) -> list[Event]:
    """Note events of a one-chord-per-bar progression, chords hit at steps (beats) of each bar."""
    events = []
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        notes = voiced(c.root + degree, quality, low)
        for step in steps:
            jitter = c.rng.normal(0.0, 0.004 / c.spb)
            vel = gain * (1.0 + 0.1 * c.rng.uniform(-1.0, 1.0))
            for k, note in enumerate(notes):
                events.append((bar * bar_beats + step + jitter + k * strum_beats, dur, note, vel))
    return events


def loudness(y: np.ndarray) -> float:
    """Root-mean-square level of a signal (linear)."""
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) if y.size else 0.0


def mix_parts(c: Ctx, *parts: tuple[np.ndarray, float]) -> np.ndarray:
    """Sum of tracks, each scaled so its RMS equals the given level, varied by up to +-3 dB."""
    out = np.zeros_like(parts[0][0])
    for track, level in parts:
        rms = loudness(track)
        if rms > 0:
            jitter = 10.0 ** (c.rng.uniform(-_MIX_SPREAD_DB, _MIX_SPREAD_DB) / 20.0)
            out += np.float32(level * jitter / rms) * track
    return out


def kick_drum(c: Ctx, f_hi: float = 150.0, f_lo: float = 50.0, decay: float = 0.3,
          click: float = 0.3) -> np.ndarray:
    """Kick drum: sine sweeping from f_hi to f_lo Hz, decaying in decay s, plus a click."""
    length = int(decay * 5 * c.sr)
    t = time_axis(length, c.sr)
    f = f_lo + (f_hi - f_lo) * np.exp(-t / 0.035)
    body = np.sin(2 * np.pi * np.cumsum(f) / c.sr).astype(np.float32) * envelope(length, c.sr, decay)
    noise = c.rng.standard_normal(length).astype(np.float32) * envelope(length, c.sr, 0.004)
    return body + click * filtered(noise, c.sr, "highpass", 1500.0)


def snare_drum(c: Ctx, tone_hz: float = 190.0, decay: float = 0.12, bright: float = 1800.0,
           tone: float = 0.5) -> np.ndarray:
    """Snare drum: band-passed noise (above bright Hz) plus a short tone at tone_hz Hz."""
    length = int(decay * 6 * c.sr)
    t = time_axis(length, c.sr)
    noise = filtered(c.rng.standard_normal(length).astype(np.float32), c.sr, "bandpass",
                    (bright, min(9000.0, 0.45 * c.sr)))
    body = np.sin(2 * np.pi * tone_hz * t) * envelope(length, c.sr, 0.05)
    return noise * envelope(length, c.sr, decay) + tone * body


def hi_hat(c: Ctx, decay: float = 0.03, cutoff: float = 7000.0) -> np.ndarray:
    """Hi-hat: high-passed noise decaying in decay s (closed ~0.03 s, open ~0.25 s)."""
    length = int(decay * 6 * c.sr)
    noise = filtered(c.rng.standard_normal(length).astype(np.float32), c.sr, "highpass", cutoff, 4)
    return noise * envelope(length, c.sr, decay, 0.001)


def metal_plate(c: Ctx, decay: float, freqs: Sequence[float], cutoff: float) -> np.ndarray:
    """Cymbal-like metallic noise: inharmonic square waves plus noise, high-passed, decaying."""
    length = int(decay * 4 * c.sr)
    y = c.rng.standard_normal(length).astype(np.float32) * 0.5
    for f in freqs:
        y += square(phase_of(f, length, c.sr, c.rng.random()), f / c.sr)
    return filtered(y, c.sr, "highpass", cutoff, 4) * envelope(length, c.sr, decay, 0.001)


def ride_cymbal(c: Ctx) -> np.ndarray:
    """Ride cymbal: long metallic decay with a bell ping."""
    plate = metal_plate(c, 0.7, (2**0.5 * 620, 820.0, 1053.0, 1397.0, 1567.0, 2214.0), 4000.0)
    length = plate.size
    ping = np.sin(2 * np.pi * 3520.0 * time_axis(length, c.sr)) * envelope(length, c.sr, 0.25)
    return plate + 0.15 * ping


def crash_cymbal(c: Ctx) -> np.ndarray:
    """Crash cymbal: bright noisy metallic decay of about 1.2 s."""
    return metal_plate(c, 1.2, (587.0, 845.0, 1213.0, 1611.0, 2489.0), 3000.0)


def rim_shot(c: Ctx) -> np.ndarray:
    """Rim shot / cross-stick: a short woody click around 1.7 kHz."""
    length = int(0.08 * c.sr)
    t = time_axis(length, c.sr)
    tone = np.sin(2 * np.pi * 1700.0 * t) + 0.6 * np.sin(2 * np.pi * 820.0 * t)
    noise = c.rng.standard_normal(length).astype(np.float32) * 0.4
    return (tone + noise) * envelope(length, c.sr, 0.012, 0.0005)


def hand_clap(c: Ctx) -> np.ndarray:
    """Hand clap: three quick noise bursts then a short band-passed tail."""
    length = int(0.3 * c.sr)
    noise = filtered(c.rng.standard_normal(length).astype(np.float32), c.sr, "bandpass",
                    (900.0, 5000.0))
    env = envelope(length, c.sr, 0.06)
    for k in range(3):
        i = int(k * 0.011 * c.sr)
        env[i:i + int(0.011 * c.sr)] += np.linspace(1.0, 0.0, int(0.011 * c.sr), dtype=np.float32)
    return noise * env


def brush_stroke(c: Ctx, decay: float = 0.06) -> np.ndarray:
    """Brush / train-beat snare stroke: soft band-passed noise."""
    length = int(decay * 5 * c.sr)
    noise = filtered(c.rng.standard_normal(length).astype(np.float32), c.sr, "bandpass",
                    (1200.0, 7000.0))
    return noise * envelope(length, c.sr, decay, 0.004)


def pluck(c: Ctx, freq: float, length: int, decay: float = 0.996, bright: float = 1.0,
           ring: float = 1.0) -> np.ndarray:
    """Karplus-Strong plucked string at freq Hz; decay per period, bright 0..1, ring in s (tail)."""
    total = length + int(ring * c.sr)
    period = max(2, int(round(c.sr / freq - 0.5)))
    burst = c.rng.uniform(-1.0, 1.0, period)
    if bright < 1.0:
        burst = bright * burst + (1.0 - bright) * np.convolve(burst, np.ones(4) / 4, "same")
    x = np.zeros(total)
    x[:period] = burst
    a = np.zeros(period + 2)
    a[0] = 1.0
    a[period] = a[period + 1] = -0.5 * decay
    y = signal.lfilter([1.0], a, x).astype(np.float32)
    rel = min(total, int(0.03 * c.sr))
    y[length:] *= envelope(total - length, c.sr, 0.08, 0.0)
    y[:rel] *= np.linspace(0.3, 1.0, rel, dtype=np.float32)
    return y


def epiano(c: Ctx, freq: float, length: int, decay: float = 0.8) -> np.ndarray:
    """Electric-piano-like tone: sine with a decaying bell partial and a soft release."""
    total = length + int(0.15 * c.sr)
    t = time_axis(total, c.sr)
    w = 2 * np.pi * freq * t
    y = np.sin(w) + 0.35 * np.sin(2 * w) * envelope(total, c.sr, 0.12) + 0.1 * np.sin(7 * w) * envelope(
        total, c.sr, 0.03)
    return (y * envelope(total, c.sr, decay, 0.003) * gate_envelope(total, c.sr, 0.0, 0.15)).astype(np.float32)


def organ(c: Ctx, freq: float, length: int) -> np.ndarray:
    """Drawbar-organ-like tone: first four harmonics, flat with short attack and release."""
    t = time_axis(length, c.sr)
    w = 2 * np.pi * freq * t
    y = np.sin(w) + 0.6 * np.sin(2 * w) + 0.4 * np.sin(3 * w) + 0.25 * np.sin(4 * w)
    return (y * gate_envelope(length, c.sr, 0.008, 0.02)).astype(np.float32)


def round_bass(c: Ctx, freq: float, length: int, decay: float = 0.5) -> np.ndarray:
    """Upright/round bass: sine plus a little second and third harmonic, plucked decay."""
    total = length + int(0.05 * c.sr)
    t = time_axis(total, c.sr)
    w = 2 * np.pi * freq * t
    y = np.sin(w) + 0.35 * np.sin(2 * w) + 0.12 * np.sin(3 * w)
    return (y * envelope(total, c.sr, decay, 0.004) * gate_envelope(total, c.sr, 0.0, 0.05)).astype(np.float32)


def synth_bass(c: Ctx, freq: float, length: int, cutoff: float = 900.0,
                decay: float = 0.4) -> np.ndarray:
    """Analogue-style bass: low-passed sawtooth with a plucky envelope."""
    y = saw(phase_of(freq, length, c.sr), freq / c.sr) + 0.5 * np.sin(
        2 * np.pi * freq * time_axis(length, c.sr))
    y = filtered(y, c.sr, "lowpass", cutoff)
    return y * envelope(length, c.sr, decay, 0.003) * gate_envelope(length, c.sr, 0.0, 0.02)


def sub_bass(c: Ctx, freq: float, length: int) -> np.ndarray:
    """808-style sub bass: sine with a slight downward glide and a long decay."""
    t = time_axis(length, c.sr)
    f = freq * (1.0 + 0.25 * np.exp(-t / 0.02))
    y = np.sin(2 * np.pi * np.cumsum(f) / c.sr).astype(np.float32)
    y = np.tanh(1.5 * y)
    return y * envelope(length, c.sr, 0.9, 0.003) * gate_envelope(length, c.sr, 0.0, 0.05)


def synth_chord_voice(c: Ctx, freq: float, length: int, cutoff: float = 5000.0,
                       detune_cents: float = 9.0, decay: float = 2.0,
                       attack: float = 0.005) -> np.ndarray:
    """Bright synth note: two detuned band-limited saws, low-passed at cutoff Hz."""
    y = np.zeros(length, dtype=np.float32)
    for cents in (-detune_cents, detune_cents):
        f = freq * 2.0 ** (cents / 1200.0)
        y += saw(phase_of(f, length, c.sr, c.rng.random()), f / c.sr)
    y = filtered(y, c.sr, "lowpass", cutoff)
    return y * envelope(length, c.sr, decay, attack) * gate_envelope(length, c.sr, 0.0, 0.03)


def power_voice(c: Ctx, freq: float, length: int, mute: bool) -> np.ndarray:
    """Raw guitar string for distortion: saw plus square, palm-muted (short) or open."""
    y = saw(phase_of(freq, length, c.sr), freq / c.sr) + 0.6 * square(
        phase_of(freq * 1.003, length, c.sr, 0.3), freq * 1.003 / c.sr)
    decay = 0.09 if mute else 1.5
    return y * envelope(length, c.sr, decay, 0.002) * gate_envelope(length, c.sr, 0.0, 0.02)
