"""Train/validation/test splits by track: seeded stratified random, grouped by artist (random,
stratified by genre, no artist on two sides), or GTZAN's artist-filtered lists."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from core.constants import DEFAULT_SEED, GENRES

RANDOM_PROTOCOL = "random-track"
FILTERED_PROTOCOL = "artist-filtered"
GROUPED_PROTOCOL = "artist-grouped"
SPLIT_FILES: dict[str, str] = {
    "train": "train_filtered.txt", "valid": "valid_filtered.txt", "test": "test_filtered.txt",
}
SIDES: tuple[str, ...] = ("train", "valid", "test")


class SplitError(ValueError):
    """A split that cannot be made (missing list files, too few tracks); the message says why."""


def genre_of(track_id: str) -> str:
    """The genre part of a GTZAN track id ("blues.00012" -> "blues")."""
    return track_id.split(".", 1)[0]


@dataclass(frozen=True)
class Split:
    """Track ids on each side, with the protocol that made them; no track is on two sides."""
    protocol: str
    seed: int | None
    train: tuple[str, ...]
    valid: tuple[str, ...]
    test: tuple[str, ...]
    notes: dict[str, int | str] = field(default_factory=dict)

    def side(self, name: str) -> tuple[str, ...]:
        """Track ids of one side ("train", "valid" or "test")."""
        return {"train": self.train, "valid": self.valid, "test": self.test}[name]

    def sizes(self) -> dict[str, dict[str, int]]:
        """Tracks per side and genre, plus a "total" per side."""
        out: dict[str, dict[str, int]] = {}
        for name in SIDES:
            counts = Counter(genre_of(t) for t in self.side(name))
            out[name] = {g: counts.get(g, 0) for g in GENRES} | {"total": len(self.side(name))}
        return out

    def genres(self) -> tuple[str, ...]:
        """Genres with at least one track on some side, in GENRES order."""
        present = {genre_of(t) for name in SIDES for t in self.side(name)}
        return tuple(g for g in GENRES if g in present)

    def label(self) -> str:
        """Short text for beside a number: protocol, seed, genres present and tracks per side."""
        seed = f", seed {self.seed}" if self.seed is not None else ""
        n_genres = len(self.genres())
        genres = f", {n_genres} genres present" if 0 < n_genres < len(GENRES) else ""
        extra = self.notes.get("extra")
        extra = f" ({extra} of the training tracks from extra sets)" if extra else ""
        return (f"{self.protocol}{seed}{genres}; tracks train/valid/test "
                f"{len(self.train)}/{len(self.valid)}/{len(self.test)}{extra}")

    def restrict(self, genres: Sequence[str]) -> "Split":
        """The same split with only the tracks of the given genres (notes["left_out"] counts the rest)."""
        keep = set(genres)
        sides = {name: tuple(t for t in self.side(name) if genre_of(t) in keep) for name in SIDES}
        dropped = sum(len(self.side(name)) - len(sides[name]) for name in SIDES)
        notes = dict(self.notes)
        if dropped:
            notes["left_out"] = notes.get("left_out", 0) + dropped
        return Split(self.protocol, self.seed, sides["train"], sides["valid"], sides["test"], notes)

    def to_dict(self) -> dict:
        """JSON-ready form (lists of ids, sizes, notes)."""
        data = asdict(self)
        data["sizes"] = self.sizes()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Split":
        """Rebuild a Split saved by to_dict."""
        return cls(data["protocol"], data.get("seed"), tuple(data["train"]),
                   tuple(data["valid"]), tuple(data["test"]), dict(data.get("notes", {})))


def _check_disjoint(split: Split) -> Split:
    """Raise SplitError if a track sits on two sides."""
    seen: dict[str, str] = {}
    for name in SIDES:
        for t in split.side(name):
            if t in seen:
                raise SplitError(f"track {t} is on both the {seen[t]} and {name} sides")
            seen[t] = name
    return split


def random_track_split(track_ids: Sequence[str], test_size: float = 0.3,
                       valid_size: float = 0.1, seed: int = DEFAULT_SEED) -> Split:
    """Seeded split by track, stratified by genre; valid_size and test_size are fractions of all."""
    from sklearn.model_selection import train_test_split

    ids = np.array(sorted(set(track_ids)))
    genres = np.array([genre_of(t) for t in ids])
    if len(ids) < 3:
        raise SplitError(f"{len(ids)} tracks are too few to split into train/valid/test")
    stratify = genres if min(Counter(genres).values()) >= 2 else None
    n_classes = len(set(genres))
    n_test = max(1, round(len(ids) * test_size))
    n_valid = round(len(ids) * valid_size)
    if stratify is not None:  # a stratified side holds at least one track of each genre
        n_test = max(n_test, n_classes)
        n_valid = max(n_valid, n_classes) if n_valid > 0 else 0
    if n_test + n_valid >= len(ids):
        raise SplitError(f"{len(ids)} tracks are too few for a test side of {n_test} and a "
                         f"validation side of {n_valid} tracks")
    rest, test = train_test_split(ids, test_size=n_test, random_state=seed, stratify=stratify)
    valid: np.ndarray = np.array([], dtype=str)
    if n_valid > 0:
        rest_genres = np.array([genre_of(t) for t in rest])
        strat = (rest_genres if min(Counter(rest_genres).values()) >= 2
                 and n_valid <= len(rest) - n_classes else None)
        rest, valid = train_test_split(rest, test_size=n_valid, random_state=seed, stratify=strat)
    def as_ids(side: np.ndarray) -> tuple[str, ...]:
        return tuple(sorted(str(t) for t in side))

    return _check_disjoint(Split(RANDOM_PROTOCOL, seed, as_ids(rest), as_ids(valid),
                                 as_ids(test)))


def read_split_lists(folder: str | Path) -> dict[str, list[str]]:
    """Track ids of each side from the three *_filtered.txt files (lines like blues/blues.00012.wav)."""
    folder = Path(folder).expanduser()
    sides: dict[str, list[str]] = {}
    for name, file in SPLIT_FILES.items():
        path = folder / file
        if not path.is_file():
            raise SplitError(f"{path} is missing: the artist-filtered split needs "
                             f"{', '.join(SPLIT_FILES.values())} in {folder}")
        ids = []
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line:
                continue
            stem = Path(line).name.rsplit(".", 1)[0]
            if genre_of(stem) not in GENRES:
                raise SplitError(f"{path}: line {line!r} is not like blues/blues.00012.wav")
            ids.append(stem)
        sides[name] = ids
    return sides


def artist_filtered_split(track_ids: Sequence[str], lists_folder: str | Path) -> Split:
    """Kereliuk & Sturm's artist-filtered split restricted to the tracks at hand.
    notes["excluded"] counts tracks at hand that no list names (repeated, distorted, mislabelled);
    notes["missing"] counts listed tracks that are not at hand.
    """
    lists = read_split_lists(lists_folder)
    have = set(track_ids)
    listed = {t for ids in lists.values() for t in ids}
    sides = {name: tuple(sorted(t for t in ids if t in have)) for name, ids in lists.items()}
    notes = {"excluded": len(have - listed), "missing": len(listed - have)}
    return _check_disjoint(Split(FILTERED_PROTOCOL, None, sides["train"], sides["valid"],
                                 sides["test"], notes))


def _grouped_cut(ids: np.ndarray, groups: np.ndarray, fraction: float, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(rest, cut) positions: about `fraction` of ids in cut, whole groups only, stratified by
    genre: the first round(fraction × k) of scikit-learn's StratifiedGroupKFold's k folds
    (k = up to 20, fewer with fewer groups or
    tracks of a genre)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_groups = len(set(groups))
    genres = np.array([genre_of(t) for t in ids])
    n_folds = min(20, n_groups, max(Counter(genres).values()))   # sklearn's limits
    n_cut = int(round(fraction * n_folds))
    if n_folds < 2 or n_cut < 1 or n_cut >= n_folds:
        raise SplitError(f"{n_groups} artists are too few to set about {fraction:.0%} of the "
                         "tracks apart by artist")
    folds = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():   # "the least populated class has fewer members than folds"
        warnings.simplefilter("ignore", UserWarning)
        tests = [test for _, test in folds.split(ids, genres, groups)]
    cut = np.sort(np.concatenate(tests[:n_cut]))
    return np.setdiff1d(np.arange(len(ids)), cut), cut


def artist_grouped_split(track_ids: Sequence[str], artists: Mapping[str, str],
                         test_size: float = 0.3, valid_size: float = 0.1,
                         seed: int = DEFAULT_SEED) -> Split:
    """Seeded random split that keeps each artist's tracks on one side, stratified by genre as
    far as whole artists allow. artists: {track id: artist group} (core.data.artists.groups);
    a track missing from it is a group of its own. test_size and valid_size are fractions of
    all tracks (approximate: sides are made of whole artists). notes: "artists" (groups),
    "unknown_artist" (tracks without one), "train_only" (genres of a single artist, kept whole
    on the training side) and "no_valid_side" when too few artists are left for a validation
    side. SplitError when too few artists for a test side."""
    ids = np.array(sorted(set(track_ids)))
    if len(ids) < 3:
        raise SplitError(f"{len(ids)} tracks are too few to split into train/valid/test")
    groups = np.array([artists.get(t) or f"unknown:{t}" for t in ids])
    per_genre: dict[str, set[str]] = {}
    for track, group in zip(ids, groups):
        per_genre.setdefault(genre_of(str(track)), set()).add(str(group))
    # a genre of one artist cannot be tested apart from its artist: it stays on the training
    # side whole, so the model still learns it (GTZAN-473's reggae is all Bob Marley)
    train_only = sorted(g for g, members in per_genre.items() if len(members) == 1)
    solo = {next(iter(per_genre[g])) for g in train_only}
    kept = np.flatnonzero(np.isin(groups, list(solo)))
    pool = np.flatnonzero(~np.isin(groups, list(solo)))
    if len(pool) < 3:
        raise SplitError(f"{len(set(groups))} artists are too few to set a test side apart by "
                         "artist")
    share = min(test_size * len(ids) / len(pool), 0.9)
    inner, cut = _grouped_cut(ids[pool], groups[pool], share, seed)
    rest, test = pool[inner], pool[cut]
    valid = np.array([], dtype=int)
    notes = {"artists": len(set(groups)),
             "unknown_artist": int(sum(str(g).startswith("unknown:") for g in groups))}
    if train_only:
        notes["train_only"] = ", ".join(train_only)
    if valid_size > 0:
        try:
            share = min(valid_size * len(ids) / max(len(rest), 1), 0.9)
            inner, cut = _grouped_cut(ids[rest], groups[rest], share, seed)
            rest, valid = rest[inner], rest[cut]
        except SplitError:   # too few artists left: no validation side (training may carve one)
            notes["no_valid_side"] = 1
    rest = np.sort(np.concatenate([rest, kept])).astype(int)

    def as_ids(side: np.ndarray) -> tuple[str, ...]:
        return tuple(sorted(str(t) for t in ids[side]))

    return _check_disjoint(Split(GROUPED_PROTOCOL, seed, as_ids(rest), as_ids(valid),
                                 as_ids(test), notes))
