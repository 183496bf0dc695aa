"""Artist and title of GTZAN's tracks, from B. L. Sturm's index ("An Analysis of the GTZAN Music
Genre Dataset", Proc. ACM MIRUM 2012): lines like `reggae.00001.wav ::: Bob Marley ::: No Woman
No Cry`; lines starting with # are comments; a missing artist or title is left empty.

The artist-grouped split (core.data.splits.artist_grouped_split) keeps each artist on one side;
a track of unknown artist is a group of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from core.constants import GENRES


class ArtistIndexError(ValueError):
    """The index cannot be read (missing file, no usable line); the message says why."""


@dataclass(frozen=True)
class TrackInfo:
    """One track's artist and title ("" when the index does not know)."""
    artist: str
    title: str


def read_index(path: str | Path) -> dict[str, TrackInfo]:
    """{track id ("reggae.00001"): TrackInfo} from an index file; ArtistIndexError when the file is
    missing or names no GTZAN track."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ArtistIndexError(f"{path}: no such artist index (Sturm's GTZANindex.txt)")
    index: dict[str, TrackInfo] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(":::")]
        stem = Path(parts[0]).name
        stem = stem.rsplit(".", 1)[0] if stem.endswith((".wav", ".au")) else stem
        if stem.split(".", 1)[0] not in GENRES:
            continue
        index[stem] = TrackInfo(parts[1] if len(parts) > 1 else "",
                                parts[2] if len(parts) > 2 else "")
    if not index:
        raise ArtistIndexError(f"{path}: no line names a GTZAN track (expected lines like "
                          "'reggae.00001.wav ::: Bob Marley ::: No Woman No Cry')")
    return index


def artist_key(artist: str) -> str:
    """An artist's name as compared: lower case, spaces and punctuation folded ("" if unknown)."""
    return re.sub(r"[^0-9a-z]+", " ", artist.lower()).strip()


def groups(track_ids: Sequence[str], index: Mapping[str, TrackInfo]) -> list[str]:
    """One group per track: its artist (as artist_key), or "unknown:<track id>" when the index
    has no artist for it (each such track is a group of its own)."""
    out = []
    for track in track_ids:
        info = index.get(track)
        key = artist_key(info.artist) if info else ""
        out.append(key or f"unknown:{track}")
    return out
