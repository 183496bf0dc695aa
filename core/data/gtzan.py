"""Finding a GTZAN folder in either layout and listing its tracks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from core.constants import AUDIO_EXTENSIONS, GENRES

#: A GTZAN file name: <genre>.<5 digits>.<ext>
TRACK_PATTERN = re.compile(r"^(?P<genre>[a-z]+)\.(?P<num>\d{5})\.(?P<ext>wav|au|mp3|ogg|flac)$")
LAYOUT_DIRS: tuple[str, ...] = ("genres_original", "genres")
#: When one track is present in several formats, the first of these is used (lossless first).
FORMAT_PREFERENCE: tuple[str, ...] = ("wav", "flac", "au", "ogg", "mp3")


class DatasetError(ValueError):
    """A folder that is not a usable GTZAN dataset; the message says what was expected."""


@dataclass(frozen=True, order=True)
class Track:
    """One clip of the dataset: its id ("blues.00012"), genre and file path."""
    track_id: str
    genre: str
    path: Path

    @property
    def split_key(self) -> str:
        """The key used by split lists: "blues/blues.00012.wav"."""
        return f"{self.genre}/{self.track_id}.wav"


def _genre_dirs(folder: Path) -> list[Path]:
    """Sub-folders of folder named after GTZAN genres."""
    return [folder / g for g in GENRES if (folder / g).is_dir()]


def find_root(path: str | Path) -> Path:
    """The folder whose sub-folders are the genres, given the folder, its parent or a genre folder.
    Accepts <x>/genres_original, <x>/genres, <x> itself, one level above <x>, or a genre folder.
    DatasetError when none of these holds genre folders.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder")
    candidates = [path]
    candidates += [path / d for d in LAYOUT_DIRS]
    candidates += [c / d for c in sorted(p for p in path.iterdir() if p.is_dir())
                   for d in LAYOUT_DIRS]
    if path.name in GENRES:
        candidates.append(path.parent)
    for candidate in candidates:
        if candidate.is_dir() and _genre_dirs(candidate):
            return candidate
    raise DatasetError(
        f"{path} is not a GTZAN folder: expected genre folders ({', '.join(GENRES[:3])}, ...) "
        "holding files like blues.00000.wav, in genres_original/ (Kaggle) or genres/ (original)")


@dataclass(frozen=True)
class Discovery:
    """What a GTZAN folder holds: its tracks, and every file left out with the reason."""
    root: Path
    tracks: tuple[Track, ...]
    ignored: tuple[tuple[str, str], ...] = field(default_factory=tuple)  #: (file, reason)


def count_formats(tracks: Sequence[Track]) -> dict[str, int]:
    """Tracks per audio format ("ogg": 473), most frequent first."""
    counts = Counter(t.path.suffix.lower().lstrip(".") for t in tracks)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def format_text(formats: dict[str, int]) -> str:
    """Formats in words: "ogg", or "mixed: ogg 470, wav 3"."""
    if not formats:
        return "no audio"
    if len(formats) == 1:
        return next(iter(formats))
    return "mixed: " + ", ".join(f"{ext} {n}" for ext, n in formats.items())


def _ignored_reason(file: Path, genre: str) -> str | None:
    """Why a file of a genre folder is not a track (None when it is one)."""
    if file.name.startswith("."):
        return "hidden file"
    if file.is_dir():
        return "a folder, not an audio file"
    if file.suffix.lower() not in AUDIO_EXTENSIONS:
        return (f"not an audio file (accepted: {', '.join(AUDIO_EXTENSIONS)})"
                if file.suffix else "no file extension (not an audio file)")
    match = TRACK_PATTERN.match(file.name.lower())
    if not match:
        return f"audio file not named like {genre}.00012{file.suffix.lower()}"
    if match["genre"] != genre:
        return f"named after genre {match['genre']!r} but lies in the {genre} folder"
    return None


def scan(path: str | Path) -> Discovery:
    """Tracks under path (either layout), sorted by id, and every other file with the reason.
    Accepts wav, au, ogg, flac and mp3, mixed. A track present in several formats is used once,
    in the first format of FORMAT_PREFERENCE; the other copies are listed as ignored.
    DatasetError when no track is found.
    """
    root = find_root(path)
    found: dict[str, list[Track]] = {}
    ignored: list[tuple[str, str]] = []
    for genre_dir in _genre_dirs(root):
        for file in sorted(genre_dir.iterdir()):
            reason = _ignored_reason(file, genre_dir.name)
            if reason is not None:
                if not file.name.startswith("."):   # .DS_Store, ._* forks: noise, not news
                    ignored.append((f"{genre_dir.name}/{file.name}", reason))
                continue
            match = TRACK_PATTERN.match(file.name.lower())
            assert match is not None
            track_id = f"{match['genre']}.{match['num']}"
            found.setdefault(track_id, []).append(Track(track_id, genre_dir.name, file))
    tracks: list[Track] = []
    for track_id, copies in found.items():
        copies.sort(key=lambda t: FORMAT_PREFERENCE.index(t.path.suffix.lower().lstrip(".")))
        tracks.append(copies[0])
        for other in copies[1:]:
            ignored.append((f"{other.genre}/{other.path.name}",
                            f"second copy of {track_id}; {copies[0].path.name} is used"))
    if not tracks:
        raise DatasetError(f"{root} has genre folders but no GTZAN audio files in them"
                           + (f" ({len(ignored)} other files, e.g. {ignored[0][0]}: "
                              f"{ignored[0][1]})" if ignored else ""))
    return Discovery(root, tuple(sorted(tracks)), tuple(sorted(ignored)))


def list_tracks(path: str | Path) -> list[Track]:
    """All GTZAN tracks under path (either layout), sorted by id (see scan for what is left out)."""
    return list(scan(path).tracks)
