"""Which tracks and genres a run trains and tests on: the split, carved validation tracks, the label set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
from sklearn.model_selection import train_test_split

from core import config as gconfig, models
from core.data import artists, splits
from core.data.splits import SIDES, Split, genre_of
from core.features.study import TRACK_KINDS
from core.models.fitting import SideData, TrainingError
from core.training.config import CARVED_VALID_FRACTION, KERAS_MODELS, TrainConfig


def _side(fs: Any, track_ids: Sequence[str], kind: str) -> SideData:
    """The examples of some tracks: segments, or one example per track for track-level kinds."""
    if kind in TRACK_KINDS:
        position = {str(t): i for i, t in enumerate(fs.track_ids)}
        rows = np.array([position[str(t)] for t in track_ids], dtype=np.int64)
        return SideData(fs[kind][rows], fs.track_labels[rows].astype(int),
                        fs.track_ids[rows].astype(str))
    part = fs.subset(list(track_ids))
    return SideData(part[kind], part.segment_label.astype(int), part.segment_track.astype(str))


def make_split(config: TrainConfig, track_ids: Sequence[str]) -> Any:
    """The config's split of the given (extracted) tracks, of the config's genres only."""
    if config.genres:
        track_ids = [t for t in track_ids if splits.genre_of(str(t)) in config.genres]
    if config.protocol == "artist-filtered":
        folder = config.splits_path or gconfig.splits_path()
        if not folder:
            raise TrainingError("the artist-filtered protocol needs the folder of "
                                "train/valid/test_filtered.txt: set splits_path (or GENRELAB_SPLITS)")
        split = splits.artist_filtered_split(track_ids, folder)
    elif config.protocol == "artist-grouped":
        index_file = config.artists_path or gconfig.artists_path()
        if not index_file:
            raise TrainingError("the artist-grouped protocol needs the artist index "
                                "(GTZANindex.txt): set artists_path (or GENRELAB_ARTISTS)")
        index = artists.read_index(index_file)
        split = splits.artist_grouped_split(
            track_ids, dict(zip(track_ids, artists.groups(list(track_ids), index))),
            config.test_size, config.valid_size,
            config.seed if config.split_seed is None else int(config.split_seed))
    else:
        split = splits.random_track_split(
            track_ids, config.test_size, config.valid_size,
            config.seed if config.split_seed is None else int(config.split_seed))
    if not split.train or not split.test:
        raise TrainingError(f"the split leaves {len(split.train)} training and {len(split.test)} "
                            f"test tracks ({split.label()}); both need at least one")
    return split


@dataclass
class ExtraPlan:
    """A split with the extra clips on its training side, their cross-validation groups, and the
    extra clips left out with the reason."""
    split: Any                                   #: core.data.splits.Split
    groups: dict[str, str] = field(default_factory=dict)   #: track id -> CV group, where not itself
    left_out: list[tuple[str, str]] = field(default_factory=list)   #: (track id, reason)


def _artist_keys(config: TrainConfig) -> dict[str, str]:
    """{GTZAN track id: artist key} from the artist index, when one is set and readable; else {}."""
    index_file = config.artists_path or gconfig.artists_path()
    if not index_file:
        return {}
    try:
        index = artists.read_index(index_file)
    except artists.ArtistIndexError:
        if config.protocol == "artist-grouped":
            raise
        return {}
    return {t: key for t, info in index.items() if (key := artists.artist_key(info.artist))}


def with_extra(split: Split, config: TrainConfig, extra_ids: Sequence[str],
               extra_artists: Mapping[str, str]) -> ExtraPlan:
    """The split with the extra clips (of the config's genres) added to its training side only.
    extra_artists: {extra track id: artist or ""}. Cross-validation groups: an extra clip's artist
    (a clip of unknown artist is a group of its own), shared with the GTZAN training tracks of
    that artist when an artist index is set. An extra clip whose artist has GTZAN tracks on the
    validation or test side (by the index) is left out, with the reason."""
    gtzan_keys = _artist_keys(config) if extra_ids else {}
    held_out: dict[str, str] = {}
    for side in ("test", "valid"):
        for track in split.side(side):
            if gtzan_keys.get(track):
                held_out.setdefault(gtzan_keys[track], side)
    keep: list[str] = []
    groups: dict[str, str] = {}
    left_out: list[tuple[str, str]] = []
    for track in extra_ids:
        if config.genres and genre_of(track) not in config.genres:
            continue
        artist = str(extra_artists.get(track) or "")
        key = artists.artist_key(artist)
        if key in held_out:
            left_out.append((track, f"its artist ({artist}) has GTZAN tracks on the "
                                    f"{held_out[key]} side; left out so no artist is on two "
                                    "sides"))
            continue
        keep.append(track)
        if key:
            groups[track] = f"artist:{key}"
    extra_keys = {g for g in groups.values()}
    for track in split.train:
        if f"artist:{gtzan_keys.get(track, '')}" in extra_keys:
            groups[track] = f"artist:{gtzan_keys[track]}"
    if not keep:
        return ExtraPlan(split, groups, left_out)
    notes = {**split.notes, "extra": len(keep)}
    return ExtraPlan(Split(split.protocol, split.seed, tuple(sorted(split.train + tuple(keep))),
                           split.valid, split.test, notes), groups, left_out)


def carve_validation(train_ids: Sequence[str], seed: int,
                     fraction: float = CARVED_VALID_FRACTION) -> tuple[list[str], list[str]]:
    """Split training track ids into (train, validation) by track, stratified when possible."""
    ids = sorted(train_ids)
    if len(ids) < 4:
        return ids, []
    genres = [genre_of(t) for t in ids]
    counts = {g: genres.count(g) for g in set(genres)}
    n_valid = max(1, int(round(fraction * len(ids))))
    stratify = genres if min(counts.values()) >= 2 and n_valid >= len(counts) else None
    rest, valid = train_test_split(ids, test_size=n_valid, random_state=seed, stratify=stratify)
    return sorted(rest), sorted(valid)


@dataclass
class GenrePlan:
    """A run's label set and what was done about each genre with too few tracks on some side."""
    genres: tuple[str, ...]   #: the label set, GENRES order; Keras output k is genres[k]
    notes: list[str]          #: one sentence per genre that was left out or is not fully scored
    split: Any                #: the split restricted to the label set (core.data.splits.Split)


def plan_genres(split: Any, model: str, asked: Sequence[str] = ()) -> GenrePlan:
    """The genres a run can learn (>= 1 training track) and a note for every genre short of tracks.
    asked: genres the user chose; those without any clip are noted too. TrainingError when
    fewer than two genres can be learned.
    """
    sizes = split.sizes()
    present = split.genres()
    notes = [f"{g}: chosen, but no clip of it is on the split; left out" for g in asked
             if g not in present]
    keep: list[str] = []
    for g in present:
        n = {side: sizes[side][g] for side in SIDES}
        if n["train"] == 0:
            notes.append(f"{g}: no training track, so no model can learn it; left out of the "
                         f"label set with its {n['valid']} validation and {n['test']} test "
                         "track(s)")
            continue
        keep.append(g)
        if n["test"] == 0:
            notes.append(f"{g}: no test track; learned from {n['train']} training track(s) but "
                         "not scored (the test metrics cover the other genres)")
        if split.valid and n["valid"] == 0:
            notes.append(f"{g}: no validation track; "
                         + ("early stopping and the choice of head do not see it"
                            if model in KERAS_MODELS else "the validation score leaves it out"))
    thin = [g for g in keep if sizes["train"][g] == 1]
    if thin and models.family(model).sklearn_heads:
        notes.append(f"{', '.join(thin)}: a single training track; the SVM/KNN search by grouped "
                     "cross-validation needs two per genre, so default hyper-parameters are used")
    if len(keep) < 2:
        raise TrainingError(f"only {len(keep)} genre(s) ({', '.join(keep) or 'none'}) have "
                            f"training tracks on this split ({split.label()}); a classifier needs "
                            "two or more")
    restricted = split.restrict(keep) if len(keep) < len(present) else split
    return GenrePlan(tuple(keep), notes, restricted)
