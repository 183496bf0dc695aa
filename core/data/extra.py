"""Extra labelled music for training beside GTZAN: folders laid out as `<genre>/<clip>`.

An extra set's clips go to the training side only (core.training.plan.with_extra), never to the
validation or test side. A set is named by the operator (`NAME=PATH`) or by its folder's last
part, never by its full path. Sub-folders are matched to GTZAN's genres by name
(case-insensitive, with the usual aliases: "Hip-Hop", "rap" → hiphop); each genre folder is
searched recursively for audio files in any format the decoder reads. A `PROVENANCE.tsv` beside
the genre folders may name each clip's artist (an `artist` column, or `notes` starting
"Artist - Title;"), so that the artist-grouped protocol and the grouped cross-validation keep an
artist's clips together; a clip of unknown artist is a group of its own.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from core import config
from core.constants import AUDIO_EXTENSIONS, GENRE_INDEX, GENRES
from core.data.gtzan import DatasetError, Track

#: Folder names (lower case, spaces/dashes/underscores removed) taken for a GTZAN genre.
ALIASES: dict[str, str] = {
    "hiphop": "hiphop", "rap": "hiphop", "hiphoprap": "hiphop", "raphiphop": "hiphop",
    "classic": "classical", "classicalmusic": "classical",
    "rock": "rock", "rocknroll": "rock", "rockandroll": "rock",
    "countrymusic": "country", "jazzmusic": "jazz", "bluesmusic": "blues",
    "heavymetal": "metal", "popmusic": "pop", "reggaemusic": "reggae", "discomusic": "disco",
}
PROVENANCE_FILE = "PROVENANCE.tsv"
#: What separates the artist from the title at the start of a provenance note.
_ARTIST_TITLE = re.compile(r"\s+[-–—]\s+")
#: The marker between a set's name and a clip's path in an extra clip's track id.
ID_MARK = ":"


class ExtraError(DatasetError):
    """An extra folder that cannot be used (missing, no genre folder, no audio); one clear line."""


def genre_of_folder(name: str) -> str | None:
    """The GTZAN genre a folder's name stands for, or None (e.g. "Hip-Hop" → "hiphop")."""
    key = re.sub(r"[\s_\-]+", "", name.strip().lower())
    if key in GENRE_INDEX:
        return key
    return ALIASES.get(key)


def is_extra(track_id: str) -> bool:
    """True for an extra clip's track id ("reggae.xd-train:reggae/song.ogg"), False for GTZAN's."""
    return ID_MARK in str(track_id)


def safe_name(name: str) -> str:
    """A set's name as shown and stored: letters, digits and -_. ("extra" when none is left)."""
    cleaned = re.sub(r"[^0-9A-Za-z._-]+", "-", name.strip()).strip("-.")
    return cleaned or "extra"


def parse_entry(entry: str) -> tuple[str, Path]:
    """(name, folder) from "PATH" or "NAME=PATH"; the name defaults to the folder's last part."""
    text = str(entry).strip()
    name, sep, rest = text.partition("=")
    if sep and name.strip() and "/" not in name and "\\" not in name and rest.strip():
        path = Path(rest.strip()).expanduser()
        return safe_name(name), path
    path = Path(text).expanduser()
    return safe_name(path.resolve().name if path.name in ("", ".", "..") else path.name), path


def artist_from_notes(notes: str) -> str:
    """The artist of a note like "Anthony B - Next Door; source 29.88 s" ("" if none is named)."""
    head = str(notes or "").split(";", 1)[0].strip()
    parts = _ARTIST_TITLE.split(head, maxsplit=1)
    return parts[0].strip() if len(parts) == 2 and parts[0].strip() else ""


def read_provenance(folder: Path) -> dict[str, str]:
    """{clip path relative to the folder (posix): artist} from folder/PROVENANCE.tsv; {} when the
    file is absent or unreadable; rows without a known artist are left out."""
    path = Path(folder) / PROVENANCE_FILE
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return {}
    rows = csv.reader(text.splitlines(), delimiter="\t")
    header = [h.strip().lower() for h in next(rows, [])]
    if "file" not in header:
        return {}
    col = {name: header.index(name) for name in ("file", "artist", "notes") if name in header}
    out: dict[str, str] = {}
    for row in rows:
        if len(row) <= col["file"] or not row[col["file"]].strip():
            continue
        artist = row[col["artist"]].strip() if "artist" in col and len(row) > col["artist"] else ""
        if not artist and "notes" in col and len(row) > col["notes"]:
            artist = artist_from_notes(row[col["notes"]])
        if artist:
            out[Path(row[col["file"]].strip()).as_posix().lstrip("./")] = artist
    return out


@dataclass(frozen=True)
class ExtraSet:
    """One extra folder: its clips as Tracks, their artists, the files left out with the reason."""
    name: str
    root: Path
    tracks: tuple[Track, ...]
    artists: dict[str, str] = field(default_factory=dict)   #: track id -> artist ("" unknown)
    ignored: tuple[tuple[str, str], ...] = ()                #: (file in the set, reason)

    def file_of(self, track_id: str) -> str:
        """The clip's file relative to the set ("reggae/song.ogg")."""
        return next((t.path.relative_to(self.root).as_posix() for t in self.tracks
                     if t.track_id == track_id), str(track_id).split(ID_MARK, 1)[-1])

    def clips_per_genre(self, track_ids: Sequence[str] | None = None) -> dict[str, int]:
        """Clips per genre (GTZAN order, genres with clips only), of track_ids (default: all)."""
        wanted = None if track_ids is None else set(map(str, track_ids))
        counts = Counter(t.genre for t in self.tracks if wanted is None or t.track_id in wanted)
        return {g: counts[g] for g in GENRES if counts[g]}


def _audio_files(genre_dir: Path, root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Audio files under a genre folder (recursive, hidden ones skipped) and the other files."""
    files, ignored = [], []
    for file in sorted(genre_dir.rglob("*")):
        relative = file.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not file.is_file():
            continue
        if file.suffix.lower() in AUDIO_EXTENSIONS:
            files.append(file)
        else:
            ignored.append((relative.as_posix(), "not an audio file (accepted: "
                            f"{', '.join(AUDIO_EXTENSIONS)})"))
    return files, ignored


def scan_extra(path: str | Path, name: str | None = None) -> ExtraSet:
    """The clips of path/<genre>/... as an ExtraSet named name (default: the folder's last part).
    ExtraError, naming the set but never its full path, when the folder is missing, has no
    sub-folder named after a genre, or its genre folders hold no audio file."""
    root = Path(path).expanduser()
    name = safe_name(name) if name else parse_entry(str(root))[0]
    if not root.is_dir():
        raise ExtraError(f"extra set {name!r}: the folder does not exist or is not a folder")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    genre_dirs = [(d, genre_of_folder(d.name)) for d in subdirs]
    genre_dirs = [(d, g) for d, g in genre_dirs if g is not None]
    if not genre_dirs:
        raise ExtraError(f"extra set {name!r}: no sub-folder names a GTZAN genre: lay the clips "
                         f"out as <genre>/<clip>, with genre folders named {', '.join(GENRES)} "
                         f"({len(subdirs)} sub-folder(s) here, none named after a genre)")
    artists_by_file = read_provenance(root)
    tracks, artists, ignored = [], {}, []
    for folder, genre in genre_dirs:
        files, other = _audio_files(folder, root)
        ignored += other
        for file in files:
            relative = file.relative_to(root).as_posix()
            track_id = f"{genre}.{name}{ID_MARK}{relative}"
            tracks.append(Track(track_id, genre, file))
            artists[track_id] = artists_by_file.get(relative, "")
    if not tracks:
        raise ExtraError(f"extra set {name!r}: its genre folders hold no audio file (accepted: "
                         f"{', '.join(AUDIO_EXTENSIONS)})")
    return ExtraSet(name, root, tuple(sorted(tracks)), artists, tuple(ignored))


def load_sets(entries: Sequence[str]) -> list[ExtraSet]:
    """The ExtraSets of "PATH" / "NAME=PATH" entries; two sets of one name get -2, -3 ... ."""
    sets: list[ExtraSet] = []
    taken: Counter = Counter()
    for entry in entries:
        name, path = parse_entry(entry)
        taken[name] += 1
        sets.append(scan_extra(path, name if taken[name] == 1 else f"{name}-{taken[name]}"))
    return sets


def configured_entries() -> dict[str, str]:
    """{name: "NAME=PATH"} of the extra folders the operator offers (GENRELAB_EXTRA_DIRS, then the
    setting "extra_dirs"); a later entry of a name already taken is left out."""
    out: dict[str, str] = {}
    for entry in config.extra_dirs():
        name, path = parse_entry(entry)
        out.setdefault(name, f"{name}={path}")
    return out
