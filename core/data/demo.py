"""Deterministic synthetic demo set: short clips in ten styles named after GTZAN's genres.

Every clip is synthesised with seeded numpy from (genre, index), so the same call gives the same
samples on every run. Styles differ in tempo, rhythm pattern, timbre and harmony; key, tempo
(+-5 %), pattern details and mix vary with the clip index. This is NOT GTZAN audio.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import soundfile as sf
from scipy import signal

from core.config import cache_dir
from core.constants import CLIP_SECONDS, GENRE_INDEX, GENRES, SAMPLE_RATE

DEMO_LABEL = "Built-in demo set (synthetic audio, not GTZAN)"
MARKER_NAME = "SYNTHETIC.txt"       #: file whose presence marks a folder as the synthetic demo set
DEMO_VERSION = 1                    #: bump when the synthesis changes (cache folder name follows)
_SEED = 20210                       #: base seed of the demo synthesis
_PEAK = 0.9                         #: absolute peak of every clip (full scale = 1)
_NOISE_DB = -42.0                   #: dB, level of the added white noise relative to the mix RMS
_TEMPO_SPREAD = 0.05                #: relative tempo variation between clips of one style
_MIX_SPREAD_DB = 3.0                #: dB, level variation of each part between clips
_TONE_HZ = (5000.0, 10000.0)        #: Hz, range of the per-clip master low-pass ("recording tone")

#: Nominal tempo (BPM) of each style; a clip uses it +-5 %.
_BASE_BPM: dict[str, float] = {
    "blues": 92.0, "classical": 66.0, "country": 112.0, "disco": 120.0, "hiphop": 90.0,
    "jazz": 150.0, "metal": 180.0, "pop": 116.0, "reggae": 75.0, "rock": 128.0,
}
#: Lowest and highest MIDI note of the tonic each style picks its key from.
_KEY_RANGE: dict[str, tuple[int, int]] = {
    "blues": (52, 59), "classical": (55, 64), "country": (55, 62), "disco": (52, 60),
    "hiphop": (50, 57), "jazz": (53, 60), "metal": (50, 54), "pop": (57, 64),
    "reggae": (52, 59), "rock": (52, 59),
}
#: Chord qualities as semitone offsets from the chord root.
_CHORDS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10),
    "maj7": (0, 4, 7, 11), "5": (0, 7, 12), "9": (0, 4, 10, 14), "m9": (0, 3, 10, 14),
}
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)

Progression = Sequence[tuple[int, str]]


# --- context and generic helpers ------------------------------------------------------------

@dataclass
class _Ctx:
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


def _hz(midi: float) -> float:
    """Frequency in Hz of a MIDI note number."""
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _time(length: int, sr: int) -> np.ndarray:
    """Time axis in seconds of length samples (float32)."""
    return np.arange(length, dtype=np.float32) / np.float32(sr)


def _env(length: int, sr: int, decay_s: float, attack_s: float = 0.002) -> np.ndarray:
    """Exponential decay envelope with a linear attack, decay_s/attack_s in seconds (float32)."""
    t = _time(length, sr)
    env = np.exp(-t / np.float32(decay_s))
    if attack_s > 0:
        env *= np.minimum(np.float32(1.0), t / np.float32(attack_s))
    return env


def _gate(length: int, sr: int, attack_s: float, release_s: float) -> np.ndarray:
    """Flat envelope with a linear attack and a linear release at the end, in seconds (float32)."""
    env = np.ones(length, dtype=np.float32)
    a = min(length, max(1, int(attack_s * sr)))
    r = min(length - a, max(1, int(release_s * sr)))
    env[:a] = np.linspace(0.0, 1.0, a, dtype=np.float32)
    if r > 0:
        env[length - r:] *= np.linspace(1.0, 0.0, r, dtype=np.float32)
    return env


def _filter(y: np.ndarray, sr: int, kind: str, cutoff: float | Sequence[float],
            order: int = 2) -> np.ndarray:
    """Butterworth filter ('lowpass', 'highpass' or 'bandpass'), cut-off(s) in Hz (float32)."""
    sos = signal.butter(order, cutoff, btype=kind, fs=sr, output="sos")
    return signal.sosfilt(sos, y).astype(np.float32)


def _blep(t: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
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


def _fraction(phase: np.ndarray) -> np.ndarray:
    """Fractional part of a phase in cycles, as float32."""
    return np.subtract(phase, np.floor(phase)).astype(np.float32)


def _saw(phase: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """Band-limited (polyBLEP) sawtooth from a phase in cycles and its per-sample step."""
    t = _fraction(phase)
    dt = np.float32(dt) if np.ndim(dt) == 0 else np.asarray(dt, dtype=np.float32)
    y = 2.0 * t
    y -= 1.0
    y -= _blep(t, dt)
    return y


def _square(phase: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """Band-limited (polyBLEP) square wave from a phase in cycles and its per-sample step."""
    t = _fraction(phase)
    dt = np.float32(dt) if np.ndim(dt) == 0 else np.asarray(dt, dtype=np.float32)
    y = np.where(t < 0.5, np.float32(1.0), np.float32(-1.0))
    y += _blep(t, dt)
    y -= _blep(_fraction(phase + 0.5), dt)
    return y


def _phase(freq: float, length: int, sr: int, start: float = 0.0) -> np.ndarray:
    """Phase in cycles of a constant frequency freq Hz over length samples."""
    return start + freq * np.arange(length, dtype=np.float64) / sr


def _chord(root: int, quality: str) -> list[int]:
    """MIDI notes of a chord of the given quality on root."""
    return [root + i for i in _CHORDS[quality]]


def _voiced(root: int, quality: str, low: int) -> list[int]:
    """Chord tones of a chord moved into the octave starting at MIDI note low."""
    return sorted(low + (root + i - low) % 12 for i in _CHORDS[quality])


def _grid(c: _Ctx, steps: Sequence[float], gains: float | Sequence[float] = 1.0,
          vel: float = 0.12, jitter_ms: float = 3.0, bar_beats: float = 4.0,
          every: int = 1, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Onsets (beats) and gains of a rhythm repeated every `every` bars, humanised a little."""
    bars = np.arange(first, c.n_bars, every, dtype=np.float64) * bar_beats
    onsets = (bars[:, None] + np.asarray(steps, dtype=np.float64)[None, :]).ravel()
    g = np.broadcast_to(np.asarray(gains, dtype=np.float64), (bars.size, len(steps))).ravel()
    g = g * (1.0 + vel * c.rng.uniform(-1.0, 1.0, onsets.size))
    onsets = onsets + c.rng.normal(0.0, jitter_ms / 1000.0 / c.spb, onsets.size)
    return onsets, g


def _hits(c: _Ctx, wave: np.ndarray, onsets: Iterable[float], gains: Iterable[float]) -> np.ndarray:
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


def _notes(c: _Ctx, events: Iterable[Event], voice: Voice) -> np.ndarray:
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
            wave = voice(_hz(midi), length)
            cache[key] = wave
        j = min(c.n, i + wave.size)
        y[i:j] += np.float32(gain) * wave[: j - i]
    return y


def _chord_events(c: _Ctx, prog: Progression, steps: Sequence[float], dur: float, low: int,
                  gain: float = 1.0, strum_beats: float = 0.0,
                  bar_beats: float = 4.0) -> list[Event]:
    """Note events of a one-chord-per-bar progression, chords hit at steps (beats) of each bar."""
    events = []
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        notes = _voiced(c.root + degree, quality, low)
        for step in steps:
            jitter = c.rng.normal(0.0, 0.004 / c.spb)
            vel = gain * (1.0 + 0.1 * c.rng.uniform(-1.0, 1.0))
            for k, note in enumerate(notes):
                events.append((bar * bar_beats + step + jitter + k * strum_beats, dur, note, vel))
    return events


def _loudness(y: np.ndarray) -> float:
    """Root-mean-square level of a signal (linear)."""
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) if y.size else 0.0


def _mix(c: _Ctx, *parts: tuple[np.ndarray, float]) -> np.ndarray:
    """Sum of tracks, each scaled so its RMS equals the given level, varied by up to +-3 dB."""
    out = np.zeros_like(parts[0][0])
    for track, level in parts:
        rms = _loudness(track)
        if rms > 0:
            jitter = 10.0 ** (c.rng.uniform(-_MIX_SPREAD_DB, _MIX_SPREAD_DB) / 20.0)
            out += np.float32(level * jitter / rms) * track
    return out


# --- drum sounds ----------------------------------------------------------------------------

def _kick(c: _Ctx, f_hi: float = 150.0, f_lo: float = 50.0, decay: float = 0.3,
          click: float = 0.3) -> np.ndarray:
    """Kick drum: sine sweeping from f_hi to f_lo Hz, decaying in decay s, plus a click."""
    length = int(decay * 5 * c.sr)
    t = _time(length, c.sr)
    f = f_lo + (f_hi - f_lo) * np.exp(-t / 0.035)
    body = np.sin(2 * np.pi * np.cumsum(f) / c.sr).astype(np.float32) * _env(length, c.sr, decay)
    noise = c.rng.standard_normal(length).astype(np.float32) * _env(length, c.sr, 0.004)
    return body + click * _filter(noise, c.sr, "highpass", 1500.0)


def _snare(c: _Ctx, tone_hz: float = 190.0, decay: float = 0.12, bright: float = 1800.0,
           tone: float = 0.5) -> np.ndarray:
    """Snare drum: band-passed noise (above bright Hz) plus a short tone at tone_hz Hz."""
    length = int(decay * 6 * c.sr)
    t = _time(length, c.sr)
    noise = _filter(c.rng.standard_normal(length).astype(np.float32), c.sr, "bandpass",
                    (bright, min(9000.0, 0.45 * c.sr)))
    body = np.sin(2 * np.pi * tone_hz * t) * _env(length, c.sr, 0.05)
    return noise * _env(length, c.sr, decay) + tone * body


def _hat(c: _Ctx, decay: float = 0.03, cutoff: float = 7000.0) -> np.ndarray:
    """Hi-hat: high-passed noise decaying in decay s (closed ~0.03 s, open ~0.25 s)."""
    length = int(decay * 6 * c.sr)
    noise = _filter(c.rng.standard_normal(length).astype(np.float32), c.sr, "highpass", cutoff, 4)
    return noise * _env(length, c.sr, decay, 0.001)


def _metal_plate(c: _Ctx, decay: float, freqs: Sequence[float], cutoff: float) -> np.ndarray:
    """Cymbal-like metallic noise: inharmonic square waves plus noise, high-passed, decaying."""
    length = int(decay * 4 * c.sr)
    y = c.rng.standard_normal(length).astype(np.float32) * 0.5
    for f in freqs:
        y += _square(_phase(f, length, c.sr, c.rng.random()), f / c.sr)
    return _filter(y, c.sr, "highpass", cutoff, 4) * _env(length, c.sr, decay, 0.001)


def _ride(c: _Ctx) -> np.ndarray:
    """Ride cymbal: long metallic decay with a bell ping."""
    plate = _metal_plate(c, 0.7, (2**0.5 * 620, 820.0, 1053.0, 1397.0, 1567.0, 2214.0), 4000.0)
    length = plate.size
    ping = np.sin(2 * np.pi * 3520.0 * _time(length, c.sr)) * _env(length, c.sr, 0.25)
    return plate + 0.15 * ping


def _crash(c: _Ctx) -> np.ndarray:
    """Crash cymbal: bright noisy metallic decay of about 1.2 s."""
    return _metal_plate(c, 1.2, (587.0, 845.0, 1213.0, 1611.0, 2489.0), 3000.0)


def _rim(c: _Ctx) -> np.ndarray:
    """Rim shot / cross-stick: a short woody click around 1.7 kHz."""
    length = int(0.08 * c.sr)
    t = _time(length, c.sr)
    tone = np.sin(2 * np.pi * 1700.0 * t) + 0.6 * np.sin(2 * np.pi * 820.0 * t)
    noise = c.rng.standard_normal(length).astype(np.float32) * 0.4
    return (tone + noise) * _env(length, c.sr, 0.012, 0.0005)


def _clap(c: _Ctx) -> np.ndarray:
    """Hand clap: three quick noise bursts then a short band-passed tail."""
    length = int(0.3 * c.sr)
    noise = _filter(c.rng.standard_normal(length).astype(np.float32), c.sr, "bandpass",
                    (900.0, 5000.0))
    env = _env(length, c.sr, 0.06)
    for k in range(3):
        i = int(k * 0.011 * c.sr)
        env[i:i + int(0.011 * c.sr)] += np.linspace(1.0, 0.0, int(0.011 * c.sr), dtype=np.float32)
    return noise * env


def _brush(c: _Ctx, decay: float = 0.06) -> np.ndarray:
    """Brush / train-beat snare stroke: soft band-passed noise."""
    length = int(decay * 5 * c.sr)
    noise = _filter(c.rng.standard_normal(length).astype(np.float32), c.sr, "bandpass",
                    (1200.0, 7000.0))
    return noise * _env(length, c.sr, decay, 0.004)


# --- pitched voices -------------------------------------------------------------------------

def _pluck(c: _Ctx, freq: float, length: int, decay: float = 0.996, bright: float = 1.0,
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
    y[length:] *= _env(total - length, c.sr, 0.08, 0.0)
    y[:rel] *= np.linspace(0.3, 1.0, rel, dtype=np.float32)
    return y


def _epiano(c: _Ctx, freq: float, length: int, decay: float = 0.8) -> np.ndarray:
    """Electric-piano-like tone: sine with a decaying bell partial and a soft release."""
    total = length + int(0.15 * c.sr)
    t = _time(total, c.sr)
    w = 2 * np.pi * freq * t
    y = np.sin(w) + 0.35 * np.sin(2 * w) * _env(total, c.sr, 0.12) + 0.1 * np.sin(7 * w) * _env(
        total, c.sr, 0.03)
    return (y * _env(total, c.sr, decay, 0.003) * _gate(total, c.sr, 0.0, 0.15)).astype(np.float32)


def _organ(c: _Ctx, freq: float, length: int) -> np.ndarray:
    """Drawbar-organ-like tone: first four harmonics, flat with short attack and release."""
    t = _time(length, c.sr)
    w = 2 * np.pi * freq * t
    y = np.sin(w) + 0.6 * np.sin(2 * w) + 0.4 * np.sin(3 * w) + 0.25 * np.sin(4 * w)
    return (y * _gate(length, c.sr, 0.008, 0.02)).astype(np.float32)


def _round_bass(c: _Ctx, freq: float, length: int, decay: float = 0.5) -> np.ndarray:
    """Upright/round bass: sine plus a little second and third harmonic, plucked decay."""
    total = length + int(0.05 * c.sr)
    t = _time(total, c.sr)
    w = 2 * np.pi * freq * t
    y = np.sin(w) + 0.35 * np.sin(2 * w) + 0.12 * np.sin(3 * w)
    return (y * _env(total, c.sr, decay, 0.004) * _gate(total, c.sr, 0.0, 0.05)).astype(np.float32)


def _synth_bass(c: _Ctx, freq: float, length: int, cutoff: float = 900.0,
                decay: float = 0.4) -> np.ndarray:
    """Analogue-style bass: low-passed sawtooth with a plucky envelope."""
    y = _saw(_phase(freq, length, c.sr), freq / c.sr) + 0.5 * np.sin(
        2 * np.pi * freq * _time(length, c.sr))
    y = _filter(y, c.sr, "lowpass", cutoff)
    return y * _env(length, c.sr, decay, 0.003) * _gate(length, c.sr, 0.0, 0.02)


def _sub(c: _Ctx, freq: float, length: int) -> np.ndarray:
    """808-style sub bass: sine with a slight downward glide and a long decay."""
    t = _time(length, c.sr)
    f = freq * (1.0 + 0.25 * np.exp(-t / 0.02))
    y = np.sin(2 * np.pi * np.cumsum(f) / c.sr).astype(np.float32)
    y = np.tanh(1.5 * y)
    return y * _env(length, c.sr, 0.9, 0.003) * _gate(length, c.sr, 0.0, 0.05)


def _synth_chord_voice(c: _Ctx, freq: float, length: int, cutoff: float = 5000.0,
                       detune_cents: float = 9.0, decay: float = 2.0,
                       attack: float = 0.005) -> np.ndarray:
    """Bright synth note: two detuned band-limited saws, low-passed at cutoff Hz."""
    y = np.zeros(length, dtype=np.float32)
    for cents in (-detune_cents, detune_cents):
        f = freq * 2.0 ** (cents / 1200.0)
        y += _saw(_phase(f, length, c.sr, c.rng.random()), f / c.sr)
    y = _filter(y, c.sr, "lowpass", cutoff)
    return y * _env(length, c.sr, decay, attack) * _gate(length, c.sr, 0.0, 0.03)


def _power_voice(c: _Ctx, freq: float, length: int, mute: bool) -> np.ndarray:
    """Raw guitar string for distortion: saw plus square, palm-muted (short) or open."""
    y = _saw(_phase(freq, length, c.sr), freq / c.sr) + 0.6 * _square(
        _phase(freq * 1.003, length, c.sr, 0.3), freq * 1.003 / c.sr)
    decay = 0.09 if mute else 1.5
    return y * _env(length, c.sr, decay, 0.002) * _gate(length, c.sr, 0.0, 0.02)


# --- the ten styles -------------------------------------------------------------------------

def _blues(c: _Ctx) -> np.ndarray:
    """12-bar shuffle (I-IV-V dominant sevenths, triplet feel), boogie bass, guitar licks."""
    sw = 2.0 / 3.0
    quick = bool(c.rng.random() < 0.5)
    twelve = [0, 5 if quick else 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7]
    prog = [(d, "7") for d in twelve]
    shuffle = [0, sw, 1, 1 + sw, 2, 2 + sw, 3, 3 + sw]
    kick = _hits(c, _kick(c, 120.0, 55.0, 0.25), *_grid(c, [0, 2], [1.0, 0.8]))
    snare = _hits(c, _snare(c, 200.0, 0.1), *_grid(c, [1, 3]))
    hat = _hits(c, _ride(c) if c.rng.random() < 0.5 else _hat(c, 0.05),
                *_grid(c, shuffle, [0.8, 0.5] * 4))
    boogie = [0, 4, 7, 9, 10, 9, 7, 4]
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + twelve[bar % 12]
        bass_ev += [(bar * 4 + s, 0.45, r + o, 1.0) for s, o in zip(shuffle, boogie)]
    bass = _notes(c, bass_ev, lambda f, n: _round_bass(c, f, n, 0.35))
    comp = _notes(c, _chord_events(c, prog, [sw, 1 + sw, 2 + sw, 3 + sw], 0.3, c.root - 2),
                  lambda f, n: _organ(c, f, n))
    scale = [0, 3, 5, 6, 7, 10, 12, 15]
    lick_ev = []
    for bar in range(0, c.n_bars, 2):
        pos = 0.0
        for _ in range(int(c.rng.integers(4, 8))):
            note = c.root + 12 + scale[int(c.rng.integers(len(scale)))]
            lick_ev.append((bar * 4 + pos, 0.6, note, 1.0))
            pos += float(c.rng.choice([sw, 1 - sw, 1.0]))
    lead = _notes(c, lick_ev, lambda f, n: _pluck(c, f, n, 0.994, 0.7, 0.4))
    return _mix(c, (kick, 0.22), (snare, 0.14), (hat, 0.07), (bass, 0.2), (comp, 0.1),
                (lead, 0.12))


def _classical(c: _Ctx) -> np.ndarray:
    """Sustained strings: detuned saws with slow attack and vibrato, four voices, no drums."""
    minor = bool(c.rng.random() < 0.5)
    progs_major = [[(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")],
                   [(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")],
                   [(0, "maj"), (4, "min"), (9, "min"), (7, "maj")]]
    progs_minor = [[(0, "min"), (5, "min"), (7, "7"), (0, "min")],
                   [(0, "min"), (8, "maj"), (3, "maj"), (10, "maj")]]
    options = progs_minor if minor else progs_major
    prog = options[int(c.rng.integers(len(options)))]
    bar_beats = 4.0
    n_chords = c.n_bars
    bounds = np.array([c.sample(k * bar_beats) for k in range(n_chords + 1)])
    bounds = np.minimum(bounds, c.n)
    seg_len = np.diff(bounds)
    t = _time(c.n, c.sr).astype(np.float64)
    strings = np.zeros(c.n, dtype=np.float32)
    scale = _MINOR if minor else _MAJOR
    voices = [(c.root - 24, 0.9), (c.root - 5, 0.6), (c.root + 2, 0.55), (c.root + 10, 0.7)]
    prev = [v for v, _ in voices]
    notes_per_voice: list[list[int]] = [[] for _ in voices]
    for k in range(n_chords):
        degree, quality = prog[k % len(prog)]
        tones = _chord(c.root + degree, quality)
        for v, (low, _) in enumerate(voices):
            if v == 0:
                note = c.root - 24 + degree
            else:
                cands = [x + 12 * o for x in tones for o in range(-3, 3)
                         if low - 3 <= x + 12 * o <= low + 9]
                note = min(cands, key=lambda x: (abs(x - prev[v]), x))
            prev[v] = note
            notes_per_voice[v].append(note)
    for v, (_, level) in enumerate(voices):
        midis = np.array(notes_per_voice[v], dtype=np.float64)
        if v == len(voices) - 1:
            # the top voice moves on every beat: a slow melody along the scale
            beats = np.repeat(midis, 4)
            steps = c.rng.choice([0, 0, 1, -1, 2, -2], beats.size)
            degrees = np.array([scale.index(min(scale, key=lambda s: abs(s - (m - c.root) % 12)))
                                for m in beats])
            melody = (c.root + 12 + np.array(scale)[(degrees + steps) % 7]).astype(np.float64)
            melody[::4] = beats[::4]
            mb = np.minimum([c.sample(k) for k in range(melody.size + 1)], c.n)
            freq = np.repeat([_hz(m) for m in melody], np.diff(mb))
        else:
            freq = np.repeat([_hz(m) for m in midis], seg_len)
        freq = np.pad(freq, (0, c.n - freq.size), mode="edge")
        # portamento between notes and a 5-6 Hz vibrato
        freq = signal.lfilter([0.003], [1.0, -0.997], freq - freq[0]) + freq[0]
        freq *= 1.0 + 0.004 * np.sin(2 * np.pi * (5.0 + c.rng.random()) * t + c.rng.random() * 6)
        part = np.zeros(c.n, dtype=np.float32)
        for cents in (-7.0, 6.0):
            f = freq * 2.0 ** (cents / 1200.0)
            part += _saw(np.cumsum(f / c.sr) + c.rng.random(), f / c.sr)
        strings += np.float32(level) * part
    # slow attack on every chord: the level dips briefly at changes, smoothed by a one-pole filter
    gate = np.ones(c.n)
    for b in bounds[1:-1]:
        gate[max(0, b - int(0.12 * c.sr)):b] = 0.25
    tau = 0.35 * c.sr
    gate = signal.lfilter([1.0 / tau], [1.0, -(1.0 - 1.0 / tau)], gate)
    strings *= gate.astype(np.float32)
    swell = 0.75 + 0.25 * np.sin(2 * np.pi * t / (8 * bar_beats * c.spb) + c.rng.random() * 6)
    strings = _filter(strings * swell.astype(np.float32), c.sr, "lowpass",
                      2600.0 + 800.0 * c.rng.random(), 2)
    # a touch of room: a few sparse echoes
    room = strings.copy()
    for delay_s, g in ((0.031, 0.35), (0.047, 0.3), (0.071, 0.25), (0.113, 0.2)):
        d = int(delay_s * c.sr)
        room[d:] += np.float32(g) * strings[:-d]
    return room


def _country(c: _Ctx) -> np.ndarray:
    """Twangy plucked (Karplus-Strong) boom-chick guitar over a train-beat snare, major I-IV-V."""
    progs = [[(0, "maj"), (0, "maj"), (5, "maj"), (0, "maj")],
             [(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")],
             [(0, "maj"), (7, "maj"), (5, "maj"), (0, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = _hits(c, _kick(c, 110.0, 60.0, 0.2), *_grid(c, [0, 2]))
    sixteenths = np.arange(16) * 0.25
    accents = np.where(np.isin(sixteenths, [1.0, 3.0]), 1.0,
                       np.where(sixteenths % 0.5 == 0, 0.45, 0.3))
    train = _hits(c, _brush(c, 0.05), *_grid(c, sixteenths, accents, vel=0.2))
    bass_ev, strum_ev = [], []
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        r = c.root + degree
        bass_ev += [(bar * 4.0, 0.9, r - 12, 1.0), (bar * 4.0 + 2.0, 0.9, r - 5, 1.0)]
        for beat in (1.0, 3.0, 3.5) if c.rng.random() < 0.4 else (1.0, 3.0):
            for k, note in enumerate(_voiced(r, quality, c.root + 2)):
                strum_ev.append((bar * 4.0 + beat + k * 0.03, 0.45, note, 0.8))
    twang = lambda f, n: _pluck(c, f, n, 0.998, 1.0, 0.3)  # noqa: E731
    guitar = _notes(c, bass_ev, twang) + _notes(c, strum_ev, twang)
    guitar = _filter(guitar, c.sr, "highpass", 120.0)
    upright = _notes(c, [(o, d, m - 12, g) for o, d, m, g in bass_ev],
                     lambda f, n: _round_bass(c, f, n, 0.3))
    fiddle_ev = []
    for bar in range(1, c.n_bars, 4):
        for k in range(4):
            note = c.root + 12 + _MAJOR[int(c.rng.integers(0, 5))]
            fiddle_ev.append((bar * 4.0 + k * 0.5 + 2.0, 0.5, note, 1.0))
    fiddle = _notes(c, fiddle_ev, lambda f, n: _synth_chord_voice(c, f, n, 3500.0, 4.0, 1.0, 0.03))
    return _mix(c, (kick, 0.18), (train, 0.1), (guitar, 0.22), (upright, 0.14), (fiddle, 0.05))


def _disco(c: _Ctx) -> np.ndarray:
    """Four-on-the-floor kick, off-beat open hi-hats, octave bass, string stabs, ~120 BPM."""
    progs = [[(0, "m7"), (5, "m7")], [(0, "m7"), (5, "7")], [(0, "m9"), (10, "maj7")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = _hits(c, _kick(c, 160.0, 52.0, 0.22), *_grid(c, [0, 1, 2, 3]))
    open_hat = _hits(c, _hat(c, 0.22, 6000.0), *_grid(c, [0.5, 1.5, 2.5, 3.5]))
    closed = _hits(c, _hat(c, 0.02, 8000.0), *_grid(c, [0.25, 0.75, 1.25, 1.75, 2.25, 2.75,
                                                         3.25, 3.75], 0.5))
    clap = _hits(c, _clap(c), *_grid(c, [1, 3]))
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4 + k * 0.5, 0.4, r + (12 if k % 2 else 0), 1.0) for k in range(8)]
    bass = _notes(c, bass_ev, lambda f, n: _synth_bass(c, f, n, 1400.0, 0.25))
    stab_steps = [0.5, 1.75, 2.5] if c.rng.random() < 0.5 else [0.75, 1.5, 3.5]
    stabs = _notes(c, _chord_events(c, prog, stab_steps, 0.35, c.root + 3),
                   lambda f, n: _synth_chord_voice(c, f, n, 4500.0, 12.0, 0.4))
    return _mix(c, (kick, 0.24), (open_hat, 0.08), (closed, 0.04), (clap, 0.1), (bass, 0.2),
                (stabs, 0.1))


def _hiphop(c: _Ctx) -> np.ndarray:
    """Boom-bap: heavy kick and snare, swung hats, deep 808 sub bass, dusty minor e-piano, vinyl."""
    kicks = [[0, 1.75, 2.5], [0, 0.75, 2.5], [0, 2.25, 2.75]][int(c.rng.integers(3))]
    sw = 0.58
    hat_steps = [b + s for b in range(4) for s in (0.0, sw)]
    kick_on, kick_g = _grid(c, kicks, [1.0, 0.8, 0.9], jitter_ms=6.0)
    kick = _hits(c, _kick(c, 130.0, 45.0, 0.35, 0.5), kick_on, kick_g)
    snare = _hits(c, _snare(c, 170.0, 0.16, 1200.0, 0.7), *_grid(c, [1, 3], jitter_ms=8.0))
    hat = _hits(c, _hat(c, 0.035, 6500.0), *_grid(c, hat_steps, [0.8, 0.45] * 4, 0.25, 8.0))
    prog = [[(0, "m7"), (8, "maj7")], [(0, "m9"), (5, "m7")], [(0, "m7"), (3, "maj7")]][
        int(c.rng.integers(3))]
    sub_ev = []
    for onset in kick_on:
        bar = int(max(onset, 0.0) // 4)
        sub_ev.append((onset, 1.2, c.root - 24 + prog[bar % 2][0], 1.0))
    sub = _notes(c, sub_ev, lambda f, n: _sub(c, f, n))
    keys = _notes(c, _chord_events(c, prog, [0.0, 2.5], 1.6, c.root - 2),
                  lambda f, n: _epiano(c, f, n, 1.2))
    keys = _filter(keys, c.sr, "lowpass", 1800.0)
    crackle = np.zeros(c.n, dtype=np.float32)
    pos = c.rng.integers(0, c.n, int(c.n / c.sr * 25))
    crackle[pos] = c.rng.uniform(-1.0, 1.0, pos.size).astype(np.float32)
    crackle = _filter(crackle, c.sr, "bandpass", (800.0, 6000.0))
    return _mix(c, (kick, 0.2), (snare, 0.17), (hat, 0.05), (sub, 0.25), (keys, 0.06),
                (crackle, 0.01))


def _jazz(c: _Ctx) -> np.ndarray:
    """Swing: ride 'ding ding-a ding', hi-hat on 2 and 4, walking bass, comping seventh chords."""
    sw = 2.0 / 3.0
    prog = [(2, "m7"), (7, "7"), (0, "maj7"), (9, "7")] if c.rng.random() < 0.6 else \
        [(0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")]
    ride = _hits(c, _ride(c), *_grid(c, [0, 1, 1 + sw, 2, 3, 3 + sw],
                                     [0.8, 1.0, 0.55, 0.8, 1.0, 0.55], jitter_ms=5.0))
    pedal = _hits(c, _hat(c, 0.025, 5000.0), *_grid(c, [1, 3], 0.6))
    feather = _hits(c, _kick(c, 90.0, 55.0, 0.15, 0.05), *_grid(c, [0, 1, 2, 3], 0.3))
    bass_ev = []
    note = c.root - 24 + prog[0][0]
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        nxt = c.root - 24 + prog[(bar + 1) % len(prog)][0]
        tones = _chord(c.root - 24 + degree, quality)
        line = [tones[0], tones[int(c.rng.integers(1, 4))], tones[int(c.rng.integers(1, 4))],
                nxt + int(c.rng.choice([-1, 1, 2, -2]))]
        for b, m in enumerate(line):
            while m - note > 7:
                m -= 12
            while note - m > 7:
                m += 12
            m = min(max(m, c.root - 30), c.root - 10)
            note = m
            bass_ev.append((bar * 4.0 + b, 0.95, m, 1.0))
    bass = _notes(c, bass_ev, lambda f, n: _round_bass(c, f, n, 0.6))
    comp_ev = []
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        voicing = [x for x in _voiced(c.root + degree, quality, c.root - 3)]
        for step in c.rng.choice([sw, 1 + sw, 2, 2 + sw, 3 + sw, 1.0], int(c.rng.integers(1, 4)),
                                 replace=False):
            for note_ in voicing:
                comp_ev.append((bar * 4.0 + float(step), 0.5, note_, 0.9))
    piano = _notes(c, comp_ev, lambda f, n: _epiano(c, f, n, 0.5))
    return _mix(c, (ride, 0.09), (pedal, 0.04), (feather, 0.05), (bass, 0.22), (piano, 0.12))


def _metal(c: _Ctx) -> np.ndarray:
    """Fast double kick, snare backbeat, crashes, palm-muted chugs and clipped power chords."""
    sixteenths = list(np.arange(16) * 0.25)
    kick = _hits(c, _kick(c, 180.0, 60.0, 0.12, 0.6), *_grid(c, sixteenths, 0.9, 0.1, 2.0))
    snare = _hits(c, _snare(c, 210.0, 0.12, 2000.0, 0.4), *_grid(c, [1, 3], 1.0))
    crash = _hits(c, _crash(c), *_grid(c, [0.0], every=2))
    riffs = [[0, 0, 1, 0], [0, 0, 6, 5], [0, 3, 5, 0], [0, 8, 10, 0]]
    riff = riffs[int(c.rng.integers(len(riffs)))]
    low = c.root - 24 + (12 if c.root - 24 < 28 else 0)
    muted_ev, open_ev = [], []
    for bar in range(c.n_bars):
        r = low + riff[bar % 4]
        open_hits = {0.0, 2.5} if bar % 2 == 0 else {0.0, 1.5, 3.0}
        for s in (k * 0.5 for k in range(8)):
            if s in open_hits:
                open_ev += [(bar * 4.0 + s, 1.0, note, 1.0) for note in (r, r + 7, r + 12)]
            else:
                muted_ev += [(bar * 4.0 + s, 0.4, note, 1.0) for note in (r, r + 7)]
    raw = (_notes(c, muted_ev, lambda f, n: _power_voice(c, f, n, True))
           + _notes(c, open_ev, lambda f, n: _power_voice(c, f, n, False)))
    drive = 6.0 + 4.0 * c.rng.random()
    gtr = np.tanh(drive * _filter(raw, c.sr, "highpass", 100.0)).astype(np.float32)
    gtr = np.clip(gtr * 1.2, -1.0, 1.0)
    gtr = _filter(_filter(gtr, c.sr, "lowpass", 4500.0, 4), c.sr, "highpass", 90.0)
    return _mix(c, (kick, 0.2), (snare, 0.16), (crash, 0.06), (gtr, 0.28))


def _pop(c: _Ctx) -> np.ndarray:
    """Bright major synth chords (I-V-vi-IV), synth bass, bell melody, straight 4/4 beat."""
    progs = [[(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")],
             [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")],
             [(0, "maj"), (5, "maj"), (9, "min"), (7, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = _hits(c, _kick(c, 140.0, 50.0, 0.25), *_grid(c, [0, 2, 2.5] if c.rng.random() < 0.5
                                                          else [0, 2]))
    clap_wave = _clap(c)
    clap_wave[: min(clap_wave.size, 2000)] += 0.5 * _snare(c, 200.0, 0.1)[:2000]
    clap = _hits(c, clap_wave, *_grid(c, [1, 3]))
    hat = _hits(c, _hat(c, 0.03, 8000.0), *_grid(c, [k * 0.5 for k in range(8)], [0.8, 0.5] * 4))
    chords = _notes(c, _chord_events(c, prog, [0.0, 1.5, 2.5], 1.0, c.root),
                    lambda f, n: _synth_chord_voice(c, f, n, 7000.0, 10.0, 3.0, 0.01))
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4 + k * 0.5, 0.45, r, 1.0) for k in range(8)]
    bass = _notes(c, bass_ev, lambda f, n: _synth_bass(c, f, n, 700.0, 0.3))
    penta = [0, 2, 4, 7, 9, 12, 14]
    mel_ev = []
    for bar in range(c.n_bars):
        for k in range(4):
            if c.rng.random() < 0.75:
                mel_ev.append((bar * 4.0 + k + (0.5 if c.rng.random() < 0.3 else 0.0), 0.8,
                               c.root + 12 + penta[int(c.rng.integers(len(penta)))], 1.0))
    bell = _notes(c, mel_ev, lambda f, n: _epiano(c, f, n, 0.4))
    return _mix(c, (kick, 0.2), (clap, 0.12), (hat, 0.05), (chords, 0.13), (bass, 0.14),
                (bell, 0.08))


def _reggae(c: _Ctx) -> np.ndarray:
    """One-drop drums (kick + rim on 3), skank chords on 2 and 4, organ bubble, deep bass."""
    progs = [[(0, "min"), (5, "min")], [(0, "min"), (10, "maj")], [(0, "maj"), (5, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = _hits(c, _kick(c, 110.0, 50.0, 0.3), *_grid(c, [2]))
    rim = _hits(c, _rim(c), *_grid(c, [2]))
    hat_steps = [k * 0.5 for k in range(8)]
    hat = _hits(c, _hat(c, 0.03, 7000.0), *_grid(c, hat_steps, [0.5, 0.8] * 4, 0.2))
    skank = _notes(c, _chord_events(c, prog, [1.0, 3.0], 0.15, c.root + 5, strum_beats=0.01),
                   lambda f, n: _pluck(c, f, n, 0.99, 1.0, 0.03))
    skank = _filter(skank, c.sr, "highpass", 500.0)
    bubble = _notes(c, _chord_events(c, prog, [0.5, 1.5, 2.5, 3.5], 0.2, c.root - 7),
                    lambda f, n: _organ(c, f, n))
    bass_ev = []
    figures = [[(0.0, 1.0, 0), (1.0, 0.5, 7), (1.5, 0.5, 10), (2.5, 0.5, 12), (3.0, 1.0, 7)],
               [(0.5, 0.5, 0), (1.0, 1.0, 0), (2.5, 0.5, 3), (3.0, 0.5, 5), (3.5, 0.5, 7)]]
    fig = figures[int(c.rng.integers(2))]
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4.0 + s, d, r + o, 1.0) for s, d, o in fig]
    bass = _notes(c, bass_ev, lambda f, n: _round_bass(c, f, n, 0.8))
    bass = _filter(bass, c.sr, "lowpass", 500.0)
    return _mix(c, (kick, 0.17), (rim, 0.08), (hat, 0.04), (skank, 0.12), (bubble, 0.05),
                (bass, 0.3))


def _rock(c: _Ctx) -> np.ndarray:
    """Backbeat drums with crashes, crunchy overdriven eighth-note guitar chords, root bass."""
    progs = [[(0, "maj"), (10, "maj"), (5, "maj"), (0, "maj")],
             [(0, "maj"), (5, "maj"), (7, "maj"), (5, "maj")],
             [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = _hits(c, _kick(c, 140.0, 55.0, 0.25), *_grid(c, [0, 2, 2.5] if c.rng.random() < 0.5
                                                          else [0, 1.5, 2]))
    snare = _hits(c, _snare(c, 190.0, 0.14, 1500.0, 0.6), *_grid(c, [1, 3]))
    hat = _hits(c, _hat(c, 0.04, 6500.0), *_grid(c, [k * 0.5 for k in range(8)], [0.9, 0.6] * 4))
    crash = _hits(c, _crash(c), *_grid(c, [0.0], every=4))
    gtr_ev = _chord_events(c, prog, [k * 0.5 for k in range(8)], 0.5, c.root - 7,
                           strum_beats=0.012)
    raw = _notes(c, gtr_ev, lambda f, n: _power_voice(c, f, n, False) * _env(n, c.sr, 0.4))
    gtr = np.tanh((2.5 + c.rng.random()) * raw / (np.max(np.abs(raw)) + 1e-9) * 2.0)
    gtr = _filter(gtr.astype(np.float32), c.sr, "lowpass", 3500.0 + 1000.0 * c.rng.random(), 2)
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4 + k * 0.5, 0.45, r, 1.0) for k in range(8)]
    bass = _notes(c, bass_ev, lambda f, n: _synth_bass(c, f, n, 600.0, 0.5))
    return _mix(c, (kick, 0.2), (snare, 0.17), (hat, 0.05), (crash, 0.05), (gtr, 0.2),
                (bass, 0.14))


_STYLES: dict[str, Callable[[_Ctx], np.ndarray]] = {
    "blues": _blues, "classical": _classical, "country": _country, "disco": _disco,
    "hiphop": _hiphop, "jazz": _jazz, "metal": _metal, "pop": _pop, "reggae": _reggae,
    "rock": _rock,
}


# --- public interface -----------------------------------------------------------------------

def synth_clip(genre: str, index: int, seconds: float = CLIP_SECONDS,
               sr: int = SAMPLE_RATE) -> np.ndarray:
    """A synthetic clip of `seconds` s at sr Hz in the style of genre: float32 mono, peak 0.9.
    Deterministic for (genre, index, seconds, sr); ValueError for an unknown genre or bad sizes.
    """
    if genre not in GENRE_INDEX:
        raise ValueError(f"unknown genre {genre!r}; expected one of {', '.join(GENRES)}")
    if int(index) != index or index < 0:
        raise ValueError(f"clip index must be a non-negative integer, got {index!r}")
    if not np.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")
    if int(sr) != sr or sr < 8000:
        raise ValueError(f"sample rate must be an integer of at least 8000 Hz, got {sr!r}")
    n = int(round(seconds * sr))
    rng = np.random.default_rng([_SEED, DEMO_VERSION, GENRE_INDEX[genre], int(index)])
    lo, hi = _KEY_RANGE[genre]
    bpm = _BASE_BPM[genre] * (1.0 + rng.uniform(-_TEMPO_SPREAD, _TEMPO_SPREAD))
    ctx = _Ctx(sr=int(sr), n=n, bpm=float(bpm), root=int(rng.integers(lo, hi + 1)), rng=rng)
    y = _STYLES[genre](ctx).astype(np.float32)
    y = _filter(y, ctx.sr, "lowpass", min(rng.uniform(*_TONE_HZ), 0.45 * ctx.sr))
    noise_level = _loudness(y) * 10.0 ** (_NOISE_DB / 20.0)
    y += rng.standard_normal(n, dtype=np.float32) * np.float32(noise_level)
    fade = min(n // 2, int(0.01 * sr))
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        y[:fade] *= ramp
        y[n - fade:] *= ramp[::-1]
    peak = float(np.max(np.abs(y)))
    if not np.isfinite(peak) or peak <= 0:
        raise RuntimeError(f"synthesis of {genre} clip {index} produced no usable signal")
    return (y * np.float32(_PEAK / peak)).astype(np.float32)


def _expected_files(root: Path, per_genre: int) -> list[Path]:
    """Paths of every clip a complete demo set of per_genre clips per genre holds under root."""
    return [root / g / f"{g}.{i:05d}.wav" for g in GENRES for i in range(per_genre)]


def _marker_text(per_genre: int, seconds: float, sr: int) -> str:
    """Content of the SYNTHETIC.txt marker."""
    return (f"{DEMO_LABEL}\n"
            "Every clip in this folder was synthesised by GenreLab (core/demo.py) from seeded\n"
            "random numbers; none of it is GTZAN or any other recorded music. The genre names\n"
            "only label ten synthetic styles.\n"
            f"version={DEMO_VERSION} per_genre={per_genre} seconds={seconds:g} sample_rate={sr}\n")


def _check_sizes(per_genre: int, seconds: float) -> None:
    """ValueError unless per_genre is a positive integer and seconds a positive number."""
    if int(per_genre) != per_genre or per_genre < 1 or per_genre > 99999:
        raise ValueError(f"per_genre must be an integer from 1 to 99999, got {per_genre!r}")
    if not np.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")


def write_demo_set(folder: Path, per_genre: int = 8, seconds: float = CLIP_SECONDS) -> Path:
    """Write the demo set (16-bit 22050-Hz wav) to folder/genres_original; returns that folder.
    The clips are written to a temporary folder beside it and renamed into place, so an
    interrupted write never leaves a half set; an existing genres_original is replaced.
    """
    _check_sizes(per_genre, seconds)
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "genres_original"
    marker = _marker_text(int(per_genre), seconds, SAMPLE_RATE)
    tmp = Path(tempfile.mkdtemp(prefix=".genres_original.tmp-", dir=folder))
    old: Path | None = None
    try:
        for genre in GENRES:
            (tmp / genre).mkdir()
            for i in range(int(per_genre)):
                y = synth_clip(genre, i, seconds, SAMPLE_RATE)
                sf.write(str(tmp / genre / f"{genre}.{i:05d}.wav"), y, SAMPLE_RATE,
                         subtype="PCM_16")
        (tmp / MARKER_NAME).write_text(marker)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".genres_original.old-", dir=folder))
            os.replace(target, old / "set")
        os.replace(tmp, target)
    except BaseException:
        # remove the partial temporary set; the original error is re-raised unchanged
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old)
    tmp_marker = folder / f".{MARKER_NAME}.tmp-{os.getpid()}"
    tmp_marker.write_text(marker)
    os.replace(tmp_marker, folder / MARKER_NAME)
    return target


def _is_complete(root: Path, per_genre: int, seconds: float) -> bool:
    """True when root holds the marker and every clip of a demo set of that size and length."""
    if not (root / MARKER_NAME).is_file():
        return False
    files = _expected_files(root, per_genre)
    if not all(f.is_file() for f in files):
        return False
    try:
        info = sf.info(str(files[0]))
    except RuntimeError:
        return False
    return info.samplerate == SAMPLE_RATE and info.frames == int(round(seconds * SAMPLE_RATE))


def demo_root(per_genre: int = 8, seconds: float = CLIP_SECONDS) -> Path:
    """The cached demo set's genres_original folder (written on first use, reused when complete)."""
    _check_sizes(per_genre, seconds)
    folder = cache_dir() / f"demo-v{DEMO_VERSION}-{int(per_genre)}x{int(seconds)}s"
    root = folder / "genres_original"
    if _is_complete(root, int(per_genre), seconds):
        return root
    return write_demo_set(folder, int(per_genre), seconds)


def is_demo(path: Path) -> bool:
    """True when a dataset folder (or its parent) carries the SYNTHETIC.txt marker."""
    path = Path(path).expanduser()
    folder = path if path.is_dir() else path.parent
    return (folder / MARKER_NAME).is_file() or (folder.parent / MARKER_NAME).is_file()
