"""The data source every page shows: the configured GTZAN folder or the demo set, cached per server.

Settings are read and written through core.config; heavy modules are imported when first needed.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import streamlit as st

from core import config
from core.constants import GENRES
from core.data.gtzan import DatasetError, find_root
from core.report.text import folder_name, for_readers
from pages.layout import show_error


DEMO_SIZE_ENV = "GENRELAB_DEMO_SIZE"     #: "<clips per genre>x<seconds>", e.g. "3x6" for tests


DEFAULT_DEMO_SIZE: tuple[int, float] = (8, 30.0)


#: core.data.demo.DEMO_LABEL, repeated so the home page need not import core.data.demo (scipy.signal, ~1 s);
#: tests/test_app_home.py checks that both stay equal.
DEMO_LABEL = "Built-in demo set (synthetic audio, not GTZAN)"


def parse_demo_size(text: str) -> tuple[int, float]:
    """"<per_genre>x<seconds>" (e.g. "3x6") -> (3, 6.0); ValueError with the expected form."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+(?:\.\d+)?)\s*", text or "")
    if not match or int(match[1]) < 1 or float(match[2]) < 3.0:
        raise ValueError(f"{DEMO_SIZE_ENV}={text!r} is not like '3x6' (clips per genre x "
                         "seconds, at least 1 clip and 3 s)")
    return int(match[1]), float(match[2])


def demo_size() -> tuple[int, float]:
    """Clips per genre and seconds of the demo set: GENRELAB_DEMO_SIZE, else 8 x 30 s."""
    text = os.environ.get(DEMO_SIZE_ENV)
    if not text:
        return DEFAULT_DEMO_SIZE
    try:
        return parse_demo_size(text)
    except ValueError as exc:
        st.warning(f"{exc}; using the default demo size 8 x 30 s.")
        return DEFAULT_DEMO_SIZE


def folder_stamp(root: Path) -> float:
    """Latest modification time (s) of root and its genre folders: changes when files come or go."""
    stamps = [root.stat().st_mtime]
    stamps += [(root / g).stat().st_mtime for g in GENRES if (root / g).is_dir()]
    return max(stamps)


@st.cache_resource(show_spinner="Preparing the data source…", max_entries=8)
def _load_source(path: str | None, per_genre: int, seconds: float, stamp: float,
                 cache: str = ""):
    """The DataSource for a folder, or the demo set (in cache) when path is None (cached per server)."""
    from core.data import datasource

    if path is None:
        return datasource.demo_source(per_genre=per_genre, seconds=seconds)
    return datasource.real_source(path)


def source_origin() -> str:
    """Where the active folder setting comes from: 'env', 'setting' or 'demo'."""
    if os.environ.get(config.ENV_DATA):
        return "env"
    return "setting" if config.load_settings().get("data_path") else "demo"


def active_source():
    """The active DataSource (GENRELAB_DATA, else the saved folder, else the synthetic demo set).

    A configured folder that is no longer usable is reported and the demo set is used instead.
    """
    path = config.data_path()
    per_genre, seconds = demo_size()
    if path is not None:
        try:
            root = find_root(path)
            return _load_source(str(root), per_genre, seconds, folder_stamp(root))
        except DatasetError as exc:
            show_error("The configured data folder cannot be used; showing the synthetic demo "
                       "set instead", exc)
    return _load_source(None, per_genre, seconds, 0.0, str(config.cache_dir()))


def source_summary() -> dict:
    """Label, synthetic flag and track count of the active source, without building the demo set."""
    path = config.data_path()
    error = None
    if path is not None:
        try:
            root = find_root(path)
            source = _load_source(str(root), *demo_size(), folder_stamp(root))
            per = Counter(track.genre for track in source.tracks)
            return {"label": source.label, "synthetic": source.synthetic,
                    "tracks": len(source.tracks), "root": str(source.root), "error": None,
                    "per_genre": {g: per[g] for g in GENRES if per[g]}}
        except DatasetError as exc:
            error = str(exc)
    per_genre, seconds = demo_size()
    return {"label": DEMO_LABEL, "synthetic": True, "tracks": per_genre * len(GENRES),
            "root": None, "error": error, "seconds": seconds,
            "per_genre": {g: per_genre for g in GENRES}}


def thin_genres(per_genre: dict[str, int]) -> dict[str, int]:
    """Genres with fewer than half the clips of the largest one (too few to learn or score well)."""
    top = max(per_genre.values(), default=0)
    return {g: n for g, n in per_genre.items() if n < top / 2}


def counts_text(per_genre: dict[str, int]) -> str:
    """Clips per genre in a sentence: "3 clips in each of the 10 genres", or the range and the
    thin genres by name ("4 genres with 98-100 clips; thin: jazz 11, rock 12")."""
    if not per_genre:
        return "no clips"
    counts = sorted(set(per_genre.values()))
    missing = [g for g in GENRES if g not in per_genre]
    head = (f"{counts[0]} clips in each of the {len(per_genre)} genres" if len(counts) == 1
            else f"{len(per_genre)} genres, {counts[0]}–{counts[-1]} clips each")
    thin = thin_genres(per_genre)
    if thin:
        head += "; thin: " + ", ".join(f"{g} {n}" for g, n in thin.items())
    if missing:
        head += "; none of " + ", ".join(missing)
    return head


def shown_path(path: str | Path | None) -> str:
    """A server path as this mode shows it: whole to the operator, only the folder's name
    (core.report.text.folder_name) to the visitors of a viewer-mode server."""
    if path is None:
        return ""
    return folder_name(str(path)) if config.viewer_mode() else str(path)


def source_label(source) -> str:
    """A data source's label (or any text naming folders) as this mode shows it: in viewer mode
    its server paths shortened to the folder's name."""
    label = str(getattr(source, "label", source))
    return for_readers(label) if config.viewer_mode() else label


def splits_text() -> str:
    """Where the artist-filtered split lists stand: set (and where), incomplete, or not set."""
    path = config.splits_path()
    if path is None:
        return "Artist-filtered split lists: not set (random split only)."
    if splits_folder() is None:
        return f"Artist-filtered split lists: `{shown_path(path)}` does not hold all three lists."
    return f"Artist-filtered split lists: `{shown_path(path)}` (both split protocols available)."


@st.cache_data(show_spinner=False, max_entries=4)
def _index_size(path: str, mtime: float) -> int | None:
    """Tracks an artist index names (None when it cannot be read), read once per file version."""
    from core.data.artists import ArtistIndexError, read_index

    try:
        return len(read_index(path))
    except (ArtistIndexError, OSError):
        return None


def artists_text() -> str:
    """Where the artist index stands: set (where, how many tracks it names), unreadable, or not
    set; read afresh when the file or the setting changes."""
    path = config.artists_path()
    if path is None:
        return "Artist index: not set (no artist names, no artist-grouped split)."
    try:
        size = _index_size(str(path), path.stat().st_mtime)
    except OSError:
        size = None
    if size is None:
        return f"Artist index: `{shown_path(path)}` cannot be read."
    return (f"Artist index: `{shown_path(path)}`, artist and title of {size} tracks "
            "(artist-grouped split available).")


def splits_folder() -> Path | None:
    """The artist-filtered split lists folder when it holds the three lists, else None."""
    path = config.splits_path()
    if path is None:
        return None
    return path if _lists_readable(str(path), _lists_stamp(path)) else None


def _lists_stamp(folder: Path) -> tuple[float, ...]:
    """Modification times (s) of the folder and its three split lists (-1 for one missing)."""
    from core.data.splits import SPLIT_FILES

    stamps = []
    for file in (folder, *(folder / name for name in SPLIT_FILES.values())):
        try:
            stamps.append(file.stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return tuple(stamps)


@st.cache_data(show_spinner=False, max_entries=8)
def _lists_readable(folder: str, stamp: tuple[float, ...]) -> bool:
    """Whether the folder holds the three artist-filtered lists, each readable; read once per
    change of the files (stamp), not on every page run."""
    from core.data.splits import SplitError, read_split_lists

    try:
        read_split_lists(folder)
    except (SplitError, OSError):
        return False
    return True
