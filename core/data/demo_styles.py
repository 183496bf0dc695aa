"""The ten styles of the synthetic demo set, named after GTZAN's genres, and synth_clip.

Every clip is synthesised with seeded numpy from (genre, index), so the same call gives the same
samples on every run. Styles differ in tempo, rhythm pattern, timbre and harmony; key, tempo
(+-5 %), pattern details and mix vary with the clip index. This is NOT GTZAN audio.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import signal

from core.constants import CLIP_SECONDS, GENRE_INDEX, GENRES, SAMPLE_RATE
from core.data.demo_sound import (
    Ctx, MAJOR, MINOR, brush_stroke, chord_events, chord_notes,
    crash_cymbal, envelope, epiano, filtered, grid_hits, hand_clap,
    hi_hat, hits_at, hz, kick_drum, loudness, mix_parts,
    note_events_audio, organ, pluck, power_voice, ride_cymbal, rim_shot,
    round_bass, saw, snare_drum, sub_bass, synth_bass, synth_chord_voice,
    time_axis, voiced,
)


DEMO_VERSION = 1                    #: bump when the synthesis changes (cache folder name follows)


_SEED = 20210                       #: base seed of the demo synthesis


_PEAK = 0.9                         #: absolute peak of every clip (full scale = 1)


_NOISE_DB = -42.0                   #: dB, level of the added white noise relative to the mix RMS


_TEMPO_SPREAD = 0.05                #: relative tempo variation between clips of one style


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


def _blues(c: Ctx) -> np.ndarray:
    """12-bar shuffle (I-IV-V dominant sevenths, triplet feel), boogie bass, guitar licks."""
    sw = 2.0 / 3.0
    quick = bool(c.rng.random() < 0.5)
    twelve = [0, 5 if quick else 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7]
    prog = [(d, "7") for d in twelve]
    shuffle = [0, sw, 1, 1 + sw, 2, 2 + sw, 3, 3 + sw]
    kick = hits_at(c, kick_drum(c, 120.0, 55.0, 0.25), *grid_hits(c, [0, 2], [1.0, 0.8]))
    snare = hits_at(c, snare_drum(c, 200.0, 0.1), *grid_hits(c, [1, 3]))
    hat = hits_at(c, ride_cymbal(c) if c.rng.random() < 0.5 else hi_hat(c, 0.05),
                *grid_hits(c, shuffle, [0.8, 0.5] * 4))
    boogie = [0, 4, 7, 9, 10, 9, 7, 4]
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + twelve[bar % 12]
        bass_ev += [(bar * 4 + s, 0.45, r + o, 1.0) for s, o in zip(shuffle, boogie)]
    bass = note_events_audio(c, bass_ev, lambda f, n: round_bass(c, f, n, 0.35))
    comp = note_events_audio(c, chord_events(c, prog, [sw, 1 + sw, 2 + sw, 3 + sw], 0.3, c.root - 2),
                  lambda f, n: organ(c, f, n))
    scale = [0, 3, 5, 6, 7, 10, 12, 15]
    lick_ev = []
    for bar in range(0, c.n_bars, 2):
        pos = 0.0
        for _ in range(int(c.rng.integers(4, 8))):
            note = c.root + 12 + scale[int(c.rng.integers(len(scale)))]
            lick_ev.append((bar * 4 + pos, 0.6, note, 1.0))
            pos += float(c.rng.choice([sw, 1 - sw, 1.0]))
    lead = note_events_audio(c, lick_ev, lambda f, n: pluck(c, f, n, 0.994, 0.7, 0.4))
    return mix_parts(c, (kick, 0.22), (snare, 0.14), (hat, 0.07), (bass, 0.2), (comp, 0.1),
                (lead, 0.12))


def _classical(c: Ctx) -> np.ndarray:
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
    t = time_axis(c.n, c.sr).astype(np.float64)
    strings = np.zeros(c.n, dtype=np.float32)
    scale = MINOR if minor else MAJOR
    voices = [(c.root - 24, 0.9), (c.root - 5, 0.6), (c.root + 2, 0.55), (c.root + 10, 0.7)]
    prev = [v for v, _ in voices]
    notes_per_voice: list[list[int]] = [[] for _ in voices]
    for k in range(n_chords):
        degree, quality = prog[k % len(prog)]
        tones = chord_notes(c.root + degree, quality)
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
            freq = np.repeat([hz(m) for m in melody], np.diff(mb))
        else:
            freq = np.repeat([hz(m) for m in midis], seg_len)
        freq = np.pad(freq, (0, c.n - freq.size), mode="edge")
        # portamento between notes and a 5-6 Hz vibrato
        freq = signal.lfilter([0.003], [1.0, -0.997], freq - freq[0]) + freq[0]
        freq *= 1.0 + 0.004 * np.sin(2 * np.pi * (5.0 + c.rng.random()) * t + c.rng.random() * 6)
        part = np.zeros(c.n, dtype=np.float32)
        for cents in (-7.0, 6.0):
            f = freq * 2.0 ** (cents / 1200.0)
            part += saw(np.cumsum(f / c.sr) + c.rng.random(), f / c.sr)
        strings += np.float32(level) * part
    # slow attack on every chord: the level dips briefly at changes, smoothed by a one-pole filter
    gate = np.ones(c.n)
    for b in bounds[1:-1]:
        gate[max(0, b - int(0.12 * c.sr)):b] = 0.25
    tau = 0.35 * c.sr
    gate = signal.lfilter([1.0 / tau], [1.0, -(1.0 - 1.0 / tau)], gate)
    strings *= gate.astype(np.float32)
    swell = 0.75 + 0.25 * np.sin(2 * np.pi * t / (8 * bar_beats * c.spb) + c.rng.random() * 6)
    strings = filtered(strings * swell.astype(np.float32), c.sr, "lowpass",
                      2600.0 + 800.0 * c.rng.random(), 2)
    # a touch of room: a few sparse echoes
    room = strings.copy()
    for delay_s, g in ((0.031, 0.35), (0.047, 0.3), (0.071, 0.25), (0.113, 0.2)):
        d = int(delay_s * c.sr)
        room[d:] += np.float32(g) * strings[:-d]
    return room


def _country(c: Ctx) -> np.ndarray:
    """Twangy plucked (Karplus-Strong) boom-chick guitar over a train-beat snare, major I-IV-V."""
    progs = [[(0, "maj"), (0, "maj"), (5, "maj"), (0, "maj")],
             [(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")],
             [(0, "maj"), (7, "maj"), (5, "maj"), (0, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = hits_at(c, kick_drum(c, 110.0, 60.0, 0.2), *grid_hits(c, [0, 2]))
    sixteenths = np.arange(16) * 0.25
    accents = np.where(np.isin(sixteenths, [1.0, 3.0]), 1.0,
                       np.where(sixteenths % 0.5 == 0, 0.45, 0.3))
    train = hits_at(c, brush_stroke(c, 0.05), *grid_hits(c, sixteenths, accents, vel=0.2))
    bass_ev, strum_ev = [], []
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        r = c.root + degree
        bass_ev += [(bar * 4.0, 0.9, r - 12, 1.0), (bar * 4.0 + 2.0, 0.9, r - 5, 1.0)]
        for beat in (1.0, 3.0, 3.5) if c.rng.random() < 0.4 else (1.0, 3.0):
            for k, note in enumerate(voiced(r, quality, c.root + 2)):
                strum_ev.append((bar * 4.0 + beat + k * 0.03, 0.45, note, 0.8))
    twang = lambda f, n: pluck(c, f, n, 0.998, 1.0, 0.3)  # noqa: E731
    guitar = note_events_audio(c, bass_ev, twang) + note_events_audio(c, strum_ev, twang)
    guitar = filtered(guitar, c.sr, "highpass", 120.0)
    upright = note_events_audio(c, [(o, d, m - 12, g) for o, d, m, g in bass_ev],
                     lambda f, n: round_bass(c, f, n, 0.3))
    fiddle_ev = []
    for bar in range(1, c.n_bars, 4):
        for k in range(4):
            note = c.root + 12 + MAJOR[int(c.rng.integers(0, 5))]
            fiddle_ev.append((bar * 4.0 + k * 0.5 + 2.0, 0.5, note, 1.0))
    fiddle = note_events_audio(c, fiddle_ev, lambda f, n: synth_chord_voice(c, f, n, 3500.0, 4.0, 1.0, 0.03))
    return mix_parts(c, (kick, 0.18), (train, 0.1), (guitar, 0.22), (upright, 0.14), (fiddle, 0.05))


def _disco(c: Ctx) -> np.ndarray:
    """Four-on-the-floor kick, off-beat open hi-hats, octave bass, string stabs, ~120 BPM."""
    progs = [[(0, "m7"), (5, "m7")], [(0, "m7"), (5, "7")], [(0, "m9"), (10, "maj7")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = hits_at(c, kick_drum(c, 160.0, 52.0, 0.22), *grid_hits(c, [0, 1, 2, 3]))
    open_hat = hits_at(c, hi_hat(c, 0.22, 6000.0), *grid_hits(c, [0.5, 1.5, 2.5, 3.5]))
    closed = hits_at(c, hi_hat(c, 0.02, 8000.0), *grid_hits(c, [0.25, 0.75, 1.25, 1.75, 2.25, 2.75,
                                                         3.25, 3.75], 0.5))
    clap = hits_at(c, hand_clap(c), *grid_hits(c, [1, 3]))
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4 + k * 0.5, 0.4, r + (12 if k % 2 else 0), 1.0) for k in range(8)]
    bass = note_events_audio(c, bass_ev, lambda f, n: synth_bass(c, f, n, 1400.0, 0.25))
    stab_steps = [0.5, 1.75, 2.5] if c.rng.random() < 0.5 else [0.75, 1.5, 3.5]
    stabs = note_events_audio(c, chord_events(c, prog, stab_steps, 0.35, c.root + 3),
                   lambda f, n: synth_chord_voice(c, f, n, 4500.0, 12.0, 0.4))
    return mix_parts(c, (kick, 0.24), (open_hat, 0.08), (closed, 0.04), (clap, 0.1), (bass, 0.2),
                (stabs, 0.1))


def _hiphop(c: Ctx) -> np.ndarray:
    """Boom-bap: heavy kick and snare, swung hats, deep 808 sub bass, dusty minor e-piano, vinyl."""
    kicks = [[0, 1.75, 2.5], [0, 0.75, 2.5], [0, 2.25, 2.75]][int(c.rng.integers(3))]
    sw = 0.58
    hat_steps = [b + s for b in range(4) for s in (0.0, sw)]
    kick_on, kick_g = grid_hits(c, kicks, [1.0, 0.8, 0.9], jitter_ms=6.0)
    kick = hits_at(c, kick_drum(c, 130.0, 45.0, 0.35, 0.5), kick_on, kick_g)
    snare = hits_at(c, snare_drum(c, 170.0, 0.16, 1200.0, 0.7), *grid_hits(c, [1, 3], jitter_ms=8.0))
    hat = hits_at(c, hi_hat(c, 0.035, 6500.0), *grid_hits(c, hat_steps, [0.8, 0.45] * 4, 0.25, 8.0))
    prog = [[(0, "m7"), (8, "maj7")], [(0, "m9"), (5, "m7")], [(0, "m7"), (3, "maj7")]][
        int(c.rng.integers(3))]
    sub_ev = []
    for onset in kick_on:
        bar = int(max(onset, 0.0) // 4)
        sub_ev.append((onset, 1.2, c.root - 24 + prog[bar % 2][0], 1.0))
    sub = note_events_audio(c, sub_ev, lambda f, n: sub_bass(c, f, n))
    keys = note_events_audio(c, chord_events(c, prog, [0.0, 2.5], 1.6, c.root - 2),
                  lambda f, n: epiano(c, f, n, 1.2))
    keys = filtered(keys, c.sr, "lowpass", 1800.0)
    crackle = np.zeros(c.n, dtype=np.float32)
    pos = c.rng.integers(0, c.n, int(c.n / c.sr * 25))
    crackle[pos] = c.rng.uniform(-1.0, 1.0, pos.size).astype(np.float32)
    crackle = filtered(crackle, c.sr, "bandpass", (800.0, 6000.0))
    return mix_parts(c, (kick, 0.2), (snare, 0.17), (hat, 0.05), (sub, 0.25), (keys, 0.06),
                (crackle, 0.01))


def _jazz(c: Ctx) -> np.ndarray:
    """Swing: ride 'ding ding-a ding', hi-hat on 2 and 4, walking bass, comping seventh chords."""
    sw = 2.0 / 3.0
    prog = [(2, "m7"), (7, "7"), (0, "maj7"), (9, "7")] if c.rng.random() < 0.6 else \
        [(0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")]
    ride = hits_at(c, ride_cymbal(c), *grid_hits(c, [0, 1, 1 + sw, 2, 3, 3 + sw],
                                     [0.8, 1.0, 0.55, 0.8, 1.0, 0.55], jitter_ms=5.0))
    pedal = hits_at(c, hi_hat(c, 0.025, 5000.0), *grid_hits(c, [1, 3], 0.6))
    feather = hits_at(c, kick_drum(c, 90.0, 55.0, 0.15, 0.05), *grid_hits(c, [0, 1, 2, 3], 0.3))
    bass_ev = []
    note = c.root - 24 + prog[0][0]
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        nxt = c.root - 24 + prog[(bar + 1) % len(prog)][0]
        tones = chord_notes(c.root - 24 + degree, quality)
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
    bass = note_events_audio(c, bass_ev, lambda f, n: round_bass(c, f, n, 0.6))
    comp_ev = []
    for bar in range(c.n_bars):
        degree, quality = prog[bar % len(prog)]
        voicing = [x for x in voiced(c.root + degree, quality, c.root - 3)]
        for step in c.rng.choice([sw, 1 + sw, 2, 2 + sw, 3 + sw, 1.0], int(c.rng.integers(1, 4)),
                                 replace=False):
            for note_ in voicing:
                comp_ev.append((bar * 4.0 + float(step), 0.5, note_, 0.9))
    piano = note_events_audio(c, comp_ev, lambda f, n: epiano(c, f, n, 0.5))
    return mix_parts(c, (ride, 0.09), (pedal, 0.04), (feather, 0.05), (bass, 0.22), (piano, 0.12))


def _metal(c: Ctx) -> np.ndarray:
    """Fast double kick, snare backbeat, crashes, palm-muted chugs and clipped power chords."""
    sixteenths = list(np.arange(16) * 0.25)
    kick = hits_at(c, kick_drum(c, 180.0, 60.0, 0.12, 0.6), *grid_hits(c, sixteenths, 0.9, 0.1, 2.0))
    snare = hits_at(c, snare_drum(c, 210.0, 0.12, 2000.0, 0.4), *grid_hits(c, [1, 3], 1.0))
    crash = hits_at(c, crash_cymbal(c), *grid_hits(c, [0.0], every=2))
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
    raw = (note_events_audio(c, muted_ev, lambda f, n: power_voice(c, f, n, True))
           + note_events_audio(c, open_ev, lambda f, n: power_voice(c, f, n, False)))
    drive = 6.0 + 4.0 * c.rng.random()
    gtr = np.tanh(drive * filtered(raw, c.sr, "highpass", 100.0)).astype(np.float32)
    gtr = np.clip(gtr * 1.2, -1.0, 1.0)
    gtr = filtered(filtered(gtr, c.sr, "lowpass", 4500.0, 4), c.sr, "highpass", 90.0)
    return mix_parts(c, (kick, 0.2), (snare, 0.16), (crash, 0.06), (gtr, 0.28))


def _pop(c: Ctx) -> np.ndarray:
    """Bright major synth chords (I-V-vi-IV), synth bass, bell melody, straight 4/4 beat."""
    progs = [[(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")],
             [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")],
             [(0, "maj"), (5, "maj"), (9, "min"), (7, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = hits_at(c, kick_drum(c, 140.0, 50.0, 0.25), *grid_hits(c, [0, 2, 2.5] if c.rng.random() < 0.5
                                                          else [0, 2]))
    clap_wave = hand_clap(c)
    clap_wave[: min(clap_wave.size, 2000)] += 0.5 * snare_drum(c, 200.0, 0.1)[:2000]
    clap = hits_at(c, clap_wave, *grid_hits(c, [1, 3]))
    hat = hits_at(c, hi_hat(c, 0.03, 8000.0), *grid_hits(c, [k * 0.5 for k in range(8)], [0.8, 0.5] * 4))
    chords = note_events_audio(c, chord_events(c, prog, [0.0, 1.5, 2.5], 1.0, c.root),
                    lambda f, n: synth_chord_voice(c, f, n, 7000.0, 10.0, 3.0, 0.01))
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4 + k * 0.5, 0.45, r, 1.0) for k in range(8)]
    bass = note_events_audio(c, bass_ev, lambda f, n: synth_bass(c, f, n, 700.0, 0.3))
    penta = [0, 2, 4, 7, 9, 12, 14]
    mel_ev = []
    for bar in range(c.n_bars):
        for k in range(4):
            if c.rng.random() < 0.75:
                mel_ev.append((bar * 4.0 + k + (0.5 if c.rng.random() < 0.3 else 0.0), 0.8,
                               c.root + 12 + penta[int(c.rng.integers(len(penta)))], 1.0))
    bell = note_events_audio(c, mel_ev, lambda f, n: epiano(c, f, n, 0.4))
    return mix_parts(c, (kick, 0.2), (clap, 0.12), (hat, 0.05), (chords, 0.13), (bass, 0.14),
                (bell, 0.08))


def _reggae(c: Ctx) -> np.ndarray:
    """One-drop drums (kick + rim on 3), skank chords on 2 and 4, organ bubble, deep bass."""
    progs = [[(0, "min"), (5, "min")], [(0, "min"), (10, "maj")], [(0, "maj"), (5, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = hits_at(c, kick_drum(c, 110.0, 50.0, 0.3), *grid_hits(c, [2]))
    rim = hits_at(c, rim_shot(c), *grid_hits(c, [2]))
    hat_steps = [k * 0.5 for k in range(8)]
    hat = hits_at(c, hi_hat(c, 0.03, 7000.0), *grid_hits(c, hat_steps, [0.5, 0.8] * 4, 0.2))
    skank = note_events_audio(c, chord_events(c, prog, [1.0, 3.0], 0.15, c.root + 5, strum_beats=0.01),
                   lambda f, n: pluck(c, f, n, 0.99, 1.0, 0.03))
    skank = filtered(skank, c.sr, "highpass", 500.0)
    bubble = note_events_audio(c, chord_events(c, prog, [0.5, 1.5, 2.5, 3.5], 0.2, c.root - 7),
                    lambda f, n: organ(c, f, n))
    bass_ev = []
    figures = [[(0.0, 1.0, 0), (1.0, 0.5, 7), (1.5, 0.5, 10), (2.5, 0.5, 12), (3.0, 1.0, 7)],
               [(0.5, 0.5, 0), (1.0, 1.0, 0), (2.5, 0.5, 3), (3.0, 0.5, 5), (3.5, 0.5, 7)]]
    fig = figures[int(c.rng.integers(2))]
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4.0 + s, d, r + o, 1.0) for s, d, o in fig]
    bass = note_events_audio(c, bass_ev, lambda f, n: round_bass(c, f, n, 0.8))
    bass = filtered(bass, c.sr, "lowpass", 500.0)
    return mix_parts(c, (kick, 0.17), (rim, 0.08), (hat, 0.04), (skank, 0.12), (bubble, 0.05),
                (bass, 0.3))


def _rock(c: Ctx) -> np.ndarray:
    """Backbeat drums with crashes, crunchy overdriven eighth-note guitar chords, root bass."""
    progs = [[(0, "maj"), (10, "maj"), (5, "maj"), (0, "maj")],
             [(0, "maj"), (5, "maj"), (7, "maj"), (5, "maj")],
             [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")]]
    prog = progs[int(c.rng.integers(len(progs)))]
    kick = hits_at(c, kick_drum(c, 140.0, 55.0, 0.25), *grid_hits(c, [0, 2, 2.5] if c.rng.random() < 0.5
                                                          else [0, 1.5, 2]))
    snare = hits_at(c, snare_drum(c, 190.0, 0.14, 1500.0, 0.6), *grid_hits(c, [1, 3]))
    hat = hits_at(c, hi_hat(c, 0.04, 6500.0), *grid_hits(c, [k * 0.5 for k in range(8)], [0.9, 0.6] * 4))
    crash = hits_at(c, crash_cymbal(c), *grid_hits(c, [0.0], every=4))
    gtr_ev = chord_events(c, prog, [k * 0.5 for k in range(8)], 0.5, c.root - 7,
                           strum_beats=0.012)
    raw = note_events_audio(c, gtr_ev, lambda f, n: power_voice(c, f, n, False) * envelope(n, c.sr, 0.4))
    gtr = np.tanh((2.5 + c.rng.random()) * raw / (np.max(np.abs(raw)) + 1e-9) * 2.0)
    gtr = filtered(gtr.astype(np.float32), c.sr, "lowpass", 3500.0 + 1000.0 * c.rng.random(), 2)
    bass_ev = []
    for bar in range(c.n_bars):
        r = c.root - 24 + prog[bar % len(prog)][0]
        bass_ev += [(bar * 4 + k * 0.5, 0.45, r, 1.0) for k in range(8)]
    bass = note_events_audio(c, bass_ev, lambda f, n: synth_bass(c, f, n, 600.0, 0.5))
    return mix_parts(c, (kick, 0.2), (snare, 0.17), (hat, 0.05), (crash, 0.05), (gtr, 0.2),
                (bass, 0.14))


_STYLES: dict[str, Callable[[Ctx], np.ndarray]] = {
    "blues": _blues, "classical": _classical, "country": _country, "disco": _disco,
    "hiphop": _hiphop, "jazz": _jazz, "metal": _metal, "pop": _pop, "reggae": _reggae,
    "rock": _rock,
}


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
    ctx = Ctx(sr=int(sr), n=n, bpm=float(bpm), root=int(rng.integers(lo, hi + 1)), rng=rng)
    y = _STYLES[genre](ctx).astype(np.float32)
    y = filtered(y, ctx.sr, "lowpass", min(rng.uniform(*_TONE_HZ), 0.45 * ctx.sr))
    noise_level = loudness(y) * 10.0 ** (_NOISE_DB / 20.0)
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
