"""Decoding and pre-processing of audio: mono float32 at 22050 Hz, cleaned, cut into 3-s segments."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from core.constants import (
    HIGHPASS_HZ, HIGHPASS_ORDER, MAX_CLIP_SECONDS, SAMPLE_RATE, SEGMENT_SAMPLES, SEGMENT_SECONDS,
    SILENCE_PEAK, TRIM_TOP_DB,
)


class AudioError(ValueError):
    """Audio that cannot be used: undecodable, silent or too short. The message says why:
    "<name>: <reason>" when the file's name is given, else the reason alone (`.reason`)."""
    def __init__(self, reason: str, name: str | None = None) -> None:
        super().__init__(f"{name}: {reason}" if name else reason)
        self.reason, self.name = reason, name


def _to_mono_float32(data: np.ndarray) -> np.ndarray:
    """Average channels (soundfile's frames x channels layout) into float32 mono."""
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1)
    return np.ascontiguousarray(data, dtype=np.float32)


def resample(y: np.ndarray, orig_sr: int, target_sr: int = SAMPLE_RATE) -> np.ndarray:
    """Resample a mono float32 signal from orig_sr to target_sr Hz (soxr high quality)."""
    if orig_sr == target_sr:
        return y
    import soxr

    return soxr.resample(y, orig_sr, target_sr, quality="HQ").astype(np.float32)


#: What libsndfile says of a file it cannot parse (e.g. a damaged mp3); misleading when the file
#: is there, so decode replaces it with _UNPARSED.
_SF_MISLEADING = "does not exist"
_UNPARSED = ("not a valid audio stream of a format libsndfile reads (wav, flac, ogg, mp3, au), "
             "or damaged")


def _soundfile_reason(error: Exception) -> str:
    """Why soundfile could not read a file that is there, in words that do not mislead."""
    text = str(getattr(error, "error_string", None) or error or type(error).__name__)
    return _UNPARSED if _SF_MISLEADING in text or "not recognised" in text.lower() else text


#: Frames read from a file at a time (each block is mixed to mono before the next is read).
READ_BLOCK_FRAMES: int = 1 << 20
#: RMS frames computed at a time by frame_rms (a 30-s clip is 1292 frames: one block).
RMS_BLOCK_FRAMES: int = 2048


@dataclass(frozen=True)
class Excerpt:
    """The part of a longer file that was decoded: its first length_s seconds of total_s
    (None when the file does not say how long it is)."""
    length_s: float
    total_s: float | None = None

    def __str__(self) -> str:
        total = f" of {_clock(self.total_s)}" if self.total_s else ""
        return f"the first {_clock(self.length_s)}{total}"


def _clock(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour up."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes = f"{rest // 60:02d}" if hours else f"{rest // 60}"
    return f"{hours}:{minutes}:{rest % 60:02d}" if hours else f"{minutes}:{rest % 60:02d}"


def _read_soundfile(handle, max_seconds: float) -> tuple[np.ndarray, int, Excerpt | None]:
    """Mono float32 of at most max_seconds of a soundfile source, block by block (a long file is
    never held whole), its rate, and the Excerpt when the file goes on past that."""
    with sf.SoundFile(handle) as f:
        file_sr = int(f.samplerate)
        limit = max(1, int(max_seconds * file_sr))
        blocks, kept = [], 0
        while kept < limit:
            block = f.read(min(READ_BLOCK_FRAMES, limit - kept), dtype="float32", always_2d=True)
            if not len(block):
                break
            blocks.append(_to_mono_float32(block if block.shape[1] > 1 else block[:, 0]))
            kept += len(block)
        longer = kept >= limit and len(f.read(1, dtype="float32", always_2d=True)) > 0
        total = f.frames / file_sr if longer and f.frames > kept else None
    data = blocks[0] if len(blocks) == 1 else np.concatenate(blocks) if blocks else \
        np.zeros(0, np.float32)
    return data, file_sr, Excerpt(kept / file_sr, total) if longer else None


def _decode_audioread(path: str, sr: int,
                      max_seconds: float = MAX_CLIP_SECONDS) -> tuple[np.ndarray, Excerpt | None]:
    """Decode a file with audioread (ffmpeg or another installed backend) to mono float32 at sr
    Hz, as librosa.load's fallback does, without importing librosa's compiled modules; at most
    max_seconds are read (the Excerpt says so when the file is longer)."""
    import audioread

    with audioread.audio_open(path) as handle:
        file_sr, channels = int(handle.samplerate), int(handle.channels)
        limit = max(1, int(max_seconds * file_sr)) * channels * 2   # bytes of 16-bit PCM
        chunks, kept, longer = [], 0, False
        for chunk in handle:
            if kept >= limit:
                longer = True
                break
            chunks.append(chunk[: limit - kept])
            kept += len(chunks[-1])
        duration = float(getattr(handle, "duration", 0.0) or 0.0)
    pcm = b"".join(chunks)
    data = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(32768.0)
    if channels > 1:
        data = data[: data.size - data.size % channels].reshape(-1, channels).mean(axis=1)
    excerpt = Excerpt(data.size / file_sr, duration or None) if longer else None
    return resample(data.astype(np.float32, copy=False), file_sr, sr), excerpt


def decode(source: str | Path | bytes, name: str | None = None,
           sr: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a file path or raw bytes to mono float32 at sr Hz; AudioError if impossible.
    soundfile first (wav, flac, ogg, mp3, au); for a path, audioread (ffmpeg) as the fallback.
    The error names the file and says why: no such file, not audio, damaged, no decoder.
    A file longer than MAX_CLIP_SECONDS is decoded on its first MAX_CLIP_SECONDS only
    (decode_part says so).
    """
    return decode_part(source, name, sr)[0]


def decode_part(source: str | Path | bytes, name: str | None = None, sr: int = SAMPLE_RATE,
                max_seconds: float | None = None) -> tuple[np.ndarray, Excerpt | None]:
    """decode, and which part of the file the samples are: None when all of it, else the
    Excerpt (its first max_seconds, default MAX_CLIP_SECONDS; the rest is never decoded, so an
    hour-long file costs no more memory than max_seconds of it)."""
    max_seconds = MAX_CLIP_SECONDS if max_seconds is None else max_seconds
    label = name or (str(source) if not isinstance(source, bytes) else "upload")
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise AudioError("no such file", label)
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        data, file_sr, excerpt = _read_soundfile(handle, max_seconds)
        y = resample(data, file_sr, sr)
    except Exception as sf_error:  # noqa: BLE001 - fall back, then report both reasons
        reason = _soundfile_reason(sf_error)
        if isinstance(source, bytes):
            raise AudioError(f"not a readable audio file ({reason})", label) from sf_error
        try:
            y, excerpt = _decode_audioread(str(source), sr, max_seconds)
        except Exception as ar_error:  # noqa: BLE001
            fallback = ("no other decoder is installed (ffmpeg reads more formats)"
                        if type(ar_error).__name__ == "NoBackendError"
                        else f"audioread: {str(ar_error) or type(ar_error).__name__}")
            raise AudioError(f"cannot be decoded: {reason}; {fallback}", label) from ar_error
    if y.size == 0:
        raise AudioError("the file holds no audio samples", label)
    return y, excerpt


def clean(y: np.ndarray) -> np.ndarray:
    """Replace non-finite samples (NaN, inf) by 0."""
    if np.all(np.isfinite(y)):
        return y
    return np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def highpass(y: np.ndarray, sr: int = SAMPLE_RATE, cutoff_hz: float = HIGHPASS_HZ) -> np.ndarray:
    """Gentle 2nd-order Butterworth high-pass at cutoff_hz Hz (one causal pass) against rumble and DC.
    One pass (12 dB/octave) rather than a zero-phase forward-backward pass: the features use
    magnitudes, a phase shift below ~100 Hz changes nothing they measure, and it costs half.
    """
    sos = signal.butter(HIGHPASS_ORDER, cutoff_hz, btype="highpass", fs=sr,
                        output="sos").astype(np.float32)
    return signal.sosfilt(sos, y).astype(np.float32, copy=False)


def normalise(y: np.ndarray) -> np.ndarray:
    """Scale so the absolute peak is 1 (peak normalisation)."""
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS)")
    return (y / peak).astype(np.float32)


def frame_rms(y: np.ndarray, frame_length: int = 2048, hop_length: int = 512) -> np.ndarray:
    """RMS of each centred, zero-padded frame (float32, full scale 1), as librosa.feature.rms(y=y).
    Written with numpy so that pre-processing never imports librosa's core, whose numba code
    takes seconds to compile on a fresh install; the same frames and float32 operations as
    librosa's, so the values are the same.
    """
    padded = np.pad(np.asarray(y, dtype=np.float32), frame_length // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length].T
    # a block of frames at a time: squaring all frames at once holds frame_length / hop_length
    # copies of the signal (0.2 GB for 10 minutes); each column's mean is the same either way
    step = RMS_BLOCK_FRAMES
    return np.concatenate([
        np.sqrt(np.mean(np.square(frames[:, i:i + step], dtype=np.float32), axis=-2))
        for i in range(0, frames.shape[1], step)] or [np.zeros(0, np.float32)])


def trim_bounds(y: np.ndarray, top_db: float = TRIM_TOP_DB, frame_length: int = 2048,
                hop_length: int = 512) -> tuple[int, int]:
    """Sample range [start, end) of y without its leading and trailing frames quieter than
    top_db dB below the loudest frame (librosa.effects.trim's rule: frame RMS in dB re max)."""
    rms = frame_rms(y, frame_length, hop_length)
    ref_value = np.max(rms)
    power = np.square(rms)
    db = 10.0 * np.log10(np.maximum(1e-10, power))
    db -= 10.0 * np.log10(np.maximum(1e-10, ref_value ** 2))
    loud = np.flatnonzero(db > -top_db)
    if loud.size == 0:
        return 0, 0
    return int(loud[0]) * hop_length, min(y.shape[-1], (int(loud[-1]) + 1) * hop_length)


def trim_silence(y: np.ndarray, top_db: float = TRIM_TOP_DB) -> np.ndarray:
    """Drop leading and trailing parts quieter than top_db dB below the peak (as librosa's trim)."""
    start, end = trim_bounds(y, top_db)
    return np.asarray(y[start:end], dtype=np.float32)


def preprocess(y: np.ndarray, sr: int = SAMPLE_RATE, filter_noise: bool = True,
               trim: bool = True) -> np.ndarray:
    """The study's pre-processing: drop bad values, high-pass (switchable), trim, peak-normalise."""
    y = clean(np.asarray(y, dtype=np.float32))
    if float(np.max(np.abs(y), initial=0.0)) < SILENCE_PEAK:
        raise AudioError("the clip is silent (peak below -80 dBFS)")
    if filter_noise:
        y = highpass(y, sr)
    if trim:
        y = trim_silence(y)
    y = normalise(y)
    if y.size < SEGMENT_SAMPLES:
        raise AudioError(
            f"the clip lasts {y.size / sr:.2f} s after trimming silence; "
            f"at least {SEGMENT_SECONDS:.0f} s of sound is needed")
    return y


def load_clip(source: str | Path | bytes, name: str | None = None, filter_noise: bool = True,
              trim: bool = True) -> np.ndarray:
    """Decode and pre-process a clip: mono float32 at 22050 Hz, at least one 3-s segment long."""
    return preprocess(decode(source, name=name), filter_noise=filter_noise, trim=trim)


def segment(y: np.ndarray, max_segments: int | None = None) -> np.ndarray:
    """Cut a signal into consecutive non-overlapping 3-s segments: array (n, 66150).
    A tail shorter than 3 s is dropped; AudioError when not even one segment fits.
    """
    n = y.size // SEGMENT_SAMPLES
    if max_segments is not None:
        n = min(n, max_segments)
    if n < 1:
        raise AudioError(f"the clip lasts {y.size / SAMPLE_RATE:.2f} s; "
                         f"at least {SEGMENT_SECONDS:.0f} s is needed")
    return y[: n * SEGMENT_SAMPLES].reshape(n, SEGMENT_SAMPLES)
