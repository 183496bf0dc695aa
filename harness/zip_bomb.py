"""A zip "bomb" built cheaply: many deflated WAV members of silence that unpack to far more
than the archive holds (default 200 members of 49 MiB each: a ~10 MB zip that unpacks to
9.6 GiB), for the memory tests and bench/memory.py.

One member's deflate stream and CRC are computed once (streamed: the 49 MiB are never held)
and written 200 times under other names, with the zip's headers written by hand, so building
the archive takes about a second and a few MB of memory.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

MEMBER_MIB: int = 49
MEMBERS: int = 200
SAMPLE_RATE: int = 22050


def _wav_header(n_bytes: int, sr: int = SAMPLE_RATE) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV holding n_bytes of samples."""
    return (b"RIFF" + struct.pack("<I", 36 + n_bytes) + b"WAVE" + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, sr, 2 * sr, 2, 16)
            + b"data" + struct.pack("<I", n_bytes))


def silent_wav_deflated(member_bytes: int) -> tuple[bytes, int, int]:
    """(raw deflate stream, CRC-32, size) of a silent WAV of member_bytes bytes in all."""
    header = _wav_header(member_bytes - 44)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [packer.compress(header)]
    crc = zlib.crc32(header)
    chunk = bytes(1 << 20)
    left = member_bytes - len(header)
    while left:
        piece = chunk[:min(left, len(chunk))]
        parts.append(packer.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    parts.append(packer.flush())
    return b"".join(parts), crc & 0xFFFFFFFF, member_bytes


def build(path: Path, members: int = MEMBERS, member_mib: float = MEMBER_MIB,
          extra: dict[str, bytes] | None = None) -> Path:
    """Write the zip to path: members silent WAVs of member_mib MiB ("silence/000.wav" ...),
    then the extra members (name -> bytes, deflated as they are). Returns path."""
    stream, crc, size = silent_wav_deflated(int(member_mib * 2**20))
    entries = [(f"silence/{k:03d}.wav", stream, crc, size) for k in range(members)]
    for name, data in (extra or {}).items():
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        entries.append((name, packer.compress(data) + packer.flush(),
                        zlib.crc32(data) & 0xFFFFFFFF, len(data)))
    central = []
    with open(path, "wb") as out:
        for name, data, crc, size in entries:
            offset = out.tell()
            raw = name.encode()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data),
                                  size, len(raw), 0) + raw)
            out.write(data)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0,
                                       crc, len(data), size, len(raw), 0, 0, 0, 0, 0o644 << 16,
                                       offset) + raw)
        start = out.tell()
        directory = b"".join(central)
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                              len(directory), start, 0))
    return path


def music_wav(seconds: float = 4.0, seed: int = 0) -> bytes:
    """A short noisy two-tone WAV (16-bit mono at 22050 Hz) that every model can answer."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 330 * t)
    y += 0.05 * np.random.default_rng(seed).standard_normal(t.size)
    pcm = (np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()
    return _wav_header(len(pcm)) + pcm
