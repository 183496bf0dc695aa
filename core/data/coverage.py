"""Coverage of a data source: formats, clips per genre, and per side of the artist-filtered split.

Partial copies of GTZAN (some genres, a few hundred clips, compressed files) are normal: this
module says what is there, what was left out and why, in lines for the CLI and rows for the
Dataset page. It never raises for a partial or untidy folder.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from core.constants import GENRES
from core.data.splits import SIDES, Split, SplitError, artist_filtered_split, genre_of
from core.data.gtzan import format_text

MAX_LISTED: int = 10   #: files named one by one in the lines; the rest are counted


@dataclass
class Coverage:
    """What a data source holds, per genre, and how the split lists cover it."""
    formats: dict[str, int]                          #: tracks per audio format
    clips: dict[str, int]                            #: clips found per genre (all ten genres)
    ignored: list[tuple[str, str]] = field(default_factory=list)   #: (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)   #: (track, reason) at extraction
    split: Split | None = None                       #: artist-filtered split of the usable tracks
    split_error: str | None = None                   #: why the split lists could not be used
    extracted: bool = False                          #: features were extracted (skipped is known)

    @property
    def genres(self) -> tuple[str, ...]:
        """Genres with at least one clip, in GENRES order."""
        return tuple(g for g in GENRES if self.clips.get(g, 0))

    @property
    def absent(self) -> tuple[str, ...]:
        """Genres without any clip."""
        return tuple(g for g in GENRES if not self.clips.get(g, 0))

    def side_counts(self) -> dict[str, dict[str, int]] | None:
        """Tracks per split side and genre (None without split lists)."""
        if self.split is None:
            return None
        return {side: {g: n for g, n in counts.items() if g != "total"}
                for side, counts in self.split.sizes().items()}

    def rows(self) -> list[dict[str, Any]]:
        """One row per genre: clips, usable clips (once extracted) and tracks on each split side."""
        skipped = Counter(genre_of(t) for t, _ in self.skipped)
        sides = self.side_counts()
        rows = []
        for genre in GENRES:
            row: dict[str, Any] = {"genre": genre, "clips": self.clips.get(genre, 0)}
            if self.extracted:
                row["usable"] = self.clips.get(genre, 0) - skipped.get(genre, 0)
            if sides is not None:
                row.update({side: sides[side].get(genre, 0) for side in SIDES})
            rows.append(row)
        return rows

    def notes(self) -> list[str]:
        """Sentences on what is absent or left out: genres without clips, split-list mismatches."""
        out = []
        if self.absent:
            out.append(f"genres without clips: {', '.join(self.absent)}")
        if self.split is not None:
            missing = self.split.notes.get("missing", 0)
            excluded = self.split.notes.get("excluded", 0)
            if missing:
                out.append(f"split lists name {missing} tracks that are not here (left out of "
                           "the split)")
            if excluded:
                out.append(f"{excluded} clips here are on no split list (not used by the "
                           "artist-filtered protocol)")
        elif self.split_error:
            out.append(f"split lists not usable: {self.split_error}")
        return out

    def lines(self, with_skipped: bool = True) -> list[str]:
        """The coverage in plain lines: formats, clips per genre, split sides, what was left out
        (with_skipped False: without the skipped clips, for a summary that lists them already)."""
        total = sum(self.clips.values())
        out = [f"format: {format_text(self.formats)} ({total} clips)",
               f"clips per genre ({len(self.genres)} of {len(GENRES)} genres): "
               + ", ".join(f"{g} {self.clips[g]}" for g in self.genres)]
        if self.split is not None:
            out.append(f"split: {self.split.label()}")
            sides = self.side_counts() or {}
            for side in SIDES:
                counts = sides.get(side, {})
                out.append(f"  {side:5s} " + ", ".join(f"{g} {counts.get(g, 0)}"
                                                       for g in self.genres))
        out += self.notes()
        out += _listed("ignored", self.ignored)
        if with_skipped:
            out += _listed("skipped", self.skipped)
        return out


def _listed(what: str, items: Sequence[tuple[str, str]]) -> list[str]:
    """"ignored 3 files:" and one line per file (the first MAX_LISTED), or nothing."""
    if not items:
        return []
    lines = [f"{what} {len(items)} file(s):"]
    lines += [f"  {name}: {reason}" for name, reason in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        lines.append(f"  ... and {len(items) - MAX_LISTED} more")
    return lines


def coverage(source: Any, splits_folder: str | Path | None = None,
             features: Any = None) -> Coverage:
    """Coverage of a core.data.datasource.DataSource; the split restricted to usable tracks.
    features: a core.features.study.FeatureSet of the source, whose skipped tracks (undecodable,
    too short, silent) are counted out of the split. A split folder without the three lists
    gives a `split_error`, not an exception.
    """
    counts = Counter(t.genre for t in source.tracks)
    cov = Coverage(formats=dict(source.formats), clips={g: counts.get(g, 0) for g in GENRES},
                   ignored=list(getattr(source, "ignored", ())),
                   skipped=list(features.skipped) if features is not None else [],
                   extracted=features is not None)
    if splits_folder:
        usable = ([str(t) for t in features.track_ids] if features is not None
                  else source.track_ids)
        try:
            cov.split = artist_filtered_split(usable, splits_folder)
        except SplitError as exc:
            cov.split_error = str(exc)
    return cov
