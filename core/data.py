"""Finding a GTZAN folder in either layout and listing its tracks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .constants import AUDIO_EXTENSIONS, GENRES

#: A GTZAN file name: <genre>.<5 digits>.<ext>
TRACK_PATTERN = re.compile(r"^(?P<genre>[a-z]+)\.(?P<num>\d{5})\.(?P<ext>wav|au|mp3|ogg|flac)$")
LAYOUT_DIRS: tuple[str, ...] = ("genres_original", "genres")


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


def list_tracks(path: str | Path) -> list[Track]:
    """All GTZAN tracks under path (either layout), sorted by id; macOS '._*' files are ignored."""
    root = find_root(path)
    tracks: list[Track] = []
    for genre_dir in _genre_dirs(root):
        for file in genre_dir.iterdir():
            if file.name.startswith("._") or file.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            match = TRACK_PATTERN.match(file.name)
            if match and match["genre"] == genre_dir.name:
                tracks.append(Track(f"{match['genre']}.{match['num']}", genre_dir.name, file))
    if not tracks:
        raise DatasetError(f"{root} has genre folders but no GTZAN audio files in them")
    return sorted(tracks)
