"""The active data source: the user's GTZAN folder when set, else the built-in synthetic demo set."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import config
from core.data.gtzan import Track, count_formats, find_root, format_text, list_tracks, scan
from core.data import demo

REAL_LABEL = "GTZAN folder"


@dataclass(frozen=True)
class DataSource:
    """Where tracks come from, with a label saying so (synthetic sets are always labelled)."""
    root: Path
    label: str
    synthetic: bool
    tracks: tuple[Track, ...]
    ignored: tuple[tuple[str, str], ...] = ()   #: (file, reason) of files that are not tracks

    @property
    def track_ids(self) -> list[str]:
        """Ids of all tracks, sorted."""
        return [t.track_id for t in self.tracks]

    @property
    def formats(self) -> dict[str, int]:
        """Tracks per audio format ("ogg": 473), most frequent first."""
        return count_formats(self.tracks)

    @property
    def format_text(self) -> str:
        """The format(s) in words: "ogg", or "mixed: ogg 470, wav 3"."""
        return format_text(self.formats)


def demo_source(per_genre: int = 8, seconds: float = 30.0) -> DataSource:
    """The built-in synthetic demo set (written to the cache on first use)."""
    root = demo.demo_root(per_genre=per_genre, seconds=seconds)
    return DataSource(find_root(root), demo.DEMO_LABEL, True, tuple(list_tracks(root)))


def real_source(path: str | Path) -> DataSource:
    """A GTZAN folder on disk (either layout); DatasetError when it is not one."""
    found = scan(path)
    synthetic = demo.is_demo(found.root)
    label = demo.DEMO_LABEL if synthetic else f"{REAL_LABEL}: {found.root}"
    return DataSource(found.root, label, synthetic, found.tracks, found.ignored)


def active_source(path: str | Path | None = None) -> DataSource:
    """The given path, else the configured GTZAN folder (GENRELAB_DATA / setting), else the demo set."""
    path = path or config.data_path()
    return real_source(path) if path else demo_source()
