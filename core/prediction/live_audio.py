"""Listen live's audio path: microphone frames to mono, resampled to 22050 Hz, the newest
seconds kept in a ring buffer, and one window cut from them.

- `to_mono` / `frame_to_mono`: one audio frame (PyAV's AudioFrame or its ndarray) as mono float32.
- `StreamResampler`: 48 kHz (any rate) mono chunks to 22050 Hz, streaming (soxr keeps state).
- `RingBuffer`: the last samples of a stream, and how many were ever written.
- `tile_window`: the newest audio repeated to fill one 3-s segment (the models' input).

No Streamlit, nothing written to disk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.constants import SAMPLE_RATE, SEGMENT_SAMPLES

_INT_SCALE = {"s16": 32768.0, "s16p": 32768.0, "s32": 2147483648.0, "s32p": 2147483648.0,
              "u8": 128.0, "u8p": 128.0}


def to_mono(data: np.ndarray, channels: int, planar: bool, fmt: str = "flt") -> np.ndarray:
    """Mono float32 (full scale 1) of one frame's samples.

    data: PyAV's AudioFrame.to_ndarray(): (channels, n) when planar, (1, n * channels)
    interleaved when packed; fmt its sample format name ("s16", "fltp", ...).
    """
    x = np.asarray(data)
    channels = max(1, int(channels))
    if planar:
        x = x.reshape(channels, -1).astype(np.float32)
        y = x.mean(axis=0) if channels > 1 else x[0]
    else:
        x = x.reshape(-1, channels).astype(np.float32)
        y = x.mean(axis=1) if channels > 1 else x[:, 0]
    scale = _INT_SCALE.get(fmt)
    if fmt.startswith("u8"):
        y = y - 128.0
    if scale is not None:
        y = y / scale
    return np.ascontiguousarray(y, dtype=np.float32)


def frame_to_mono(frame: Any) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate) of a PyAV AudioFrame (duck-typed: no av import)."""
    fmt = frame.format
    channels = len(frame.layout.channels)
    return to_mono(frame.to_ndarray(), channels, bool(fmt.is_planar), fmt.name), int(frame.sample_rate)


class StreamResampler:
    """Mono chunks at any rate to SAMPLE_RATE, streaming: chunk boundaries leave no clicks.

    A change of input rate starts a new stream (the tail of the old one is flushed first).
    """

    def __init__(self, out_rate: int = SAMPLE_RATE):
        self.out_rate = int(out_rate)
        self.in_rate: int | None = None
        self._stream: Any = None

    def __call__(self, x: np.ndarray, in_rate: int) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if in_rate == self.out_rate:
            return x
        tail = np.zeros(0, np.float32)
        if in_rate != self.in_rate:
            import soxr

            if self._stream is not None:
                tail = self._stream.resample_chunk(np.zeros(0, np.float32), last=True)
            self._stream = soxr.ResampleStream(int(in_rate), self.out_rate, 1,
                                               dtype="float32", quality="HQ")
            self.in_rate = int(in_rate)
        out = self._stream.resample_chunk(x, last=False)
        return np.concatenate([tail, out]) if tail.size else out


class RingBuffer:
    """The last `capacity` samples of a stream (float32), and how many were ever written."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be positive; got {capacity}")
        self.capacity = int(capacity)
        self._data = np.zeros(self.capacity, np.float32)
        self.written = 0      #: samples written since the start (not capped)

    def __len__(self) -> int:
        """Samples held now (at most capacity)."""
        return min(self.written, self.capacity)

    def write(self, x: np.ndarray) -> None:
        """Append samples; the oldest ones go once the buffer is full."""
        x = np.asarray(x, dtype=np.float32).ravel()
        if x.size >= self.capacity:
            self._data[:] = x[-self.capacity:]
            self.written += x.size
            self._roll_to_written()
            return
        start = self.written % self.capacity
        end = start + x.size
        if end <= self.capacity:
            self._data[start:end] = x
        else:
            cut = self.capacity - start
            self._data[start:] = x[:cut]
            self._data[: end - self.capacity] = x[cut:]
        self.written += x.size

    def _roll_to_written(self) -> None:
        """After a whole-buffer write, place the data so that written % capacity is its end."""
        self._data = np.roll(self._data, self.written % self.capacity)

    def latest(self, n: int) -> np.ndarray | None:
        """A copy of the newest n samples in time order; None when fewer are held."""
        n = int(n)
        if n > len(self) or n < 0:
            return None
        end = self.written % self.capacity
        if n <= end:
            return self._data[end - n:end].copy()
        return np.concatenate([self._data[self.capacity - (n - end):], self._data[:end]])

    def clear(self) -> None:
        """Forget everything (the count of samples written too)."""
        self._data[:] = 0.0
        self.written = 0


def tile_window(y: np.ndarray, n: int = SEGMENT_SAMPLES) -> np.ndarray:
    """The newest audio y repeated to n samples, ending with y (y itself when it is longer)."""
    y = np.asarray(y, dtype=np.float32)
    if y.size >= n:
        return y[-n:]
    return np.tile(y, -(-n // y.size))[-n:]
