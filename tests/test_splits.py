"""Track splits: disjoint, stratified, seeded; artist-filtered lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import splits
from core.constants import GENRES

IDS = [f"{g}.{i:05d}" for g in GENRES for i in range(20)]


def test_random_split_is_disjoint_stratified_and_seeded() -> None:
    a = splits.random_track_split(IDS, test_size=0.3, valid_size=0.1, seed=7)
    b = splits.random_track_split(IDS, test_size=0.3, valid_size=0.1, seed=7)
    c = splits.random_track_split(IDS, test_size=0.3, valid_size=0.1, seed=8)
    assert a == b and a.test != c.test
    sides = [set(a.train), set(a.valid), set(a.test)]
    assert not (sides[0] & sides[1]) and not (sides[0] & sides[2]) and not (sides[1] & sides[2])
    assert set().union(*sides) == set(IDS)
    sizes = a.sizes()
    assert all(sizes["test"][g] == 6 for g in GENRES)
    assert sizes["valid"]["total"] == 20
    assert "random-track, seed 7" in a.label() and "120/20/60" in a.label()


def test_split_roundtrip() -> None:
    a = splits.random_track_split(IDS, seed=1)
    assert splits.Split.from_dict(a.to_dict()) == a


def _lists(folder: Path, sides: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for side, ids in sides.items():
        (folder / f"{side}_filtered.txt").write_text(
            "\n".join(f"{t.split('.')[0]}/{t}.wav" for t in ids) + "\n")
    return folder


def test_artist_filtered_split(tmp_path: Path) -> None:
    folder = _lists(tmp_path, {"train": ["blues.00001", "jazz.00002"], "valid": ["blues.00003"],
                               "test": ["rock.00004", "rock.00099"]})
    have = ["blues.00001", "jazz.00002", "blues.00003", "rock.00004", "pop.00000"]
    s = splits.artist_filtered_split(have, folder)
    assert s.train == ("blues.00001", "jazz.00002") and s.test == ("rock.00004",)
    assert s.notes == {"excluded": 1, "missing": 1}
    assert s.protocol == "artist-filtered" and s.seed is None


def test_artist_filtered_rejects_overlap_and_missing(tmp_path: Path) -> None:
    folder = _lists(tmp_path / "a", {"train": ["blues.00001"], "valid": [],
                                     "test": ["blues.00001"]})
    with pytest.raises(splits.SplitError, match="both"):
        splits.artist_filtered_split(["blues.00001"], folder)
    with pytest.raises(splits.SplitError, match="missing"):
        splits.artist_filtered_split(["blues.00001"], tmp_path / "empty")


def test_real_lists(real_data: Path) -> None:
    lists = splits.read_split_lists(real_data / "splits")
    assert [len(lists[s]) for s in ("train", "valid", "test")] == [443, 197, 290]
    s = splits.artist_filtered_split(IDS * 0 + [f"{g}.{i:05d}" for g in GENRES for i in range(100)],
                                     real_data / "splits")
    assert len(s.train) + len(s.valid) + len(s.test) == 930


def test_small_sets_keep_a_track_of_each_genre_per_side() -> None:
    ids = [f"{g}.{i:05d}" for g in GENRES for i in range(8)]
    s = splits.random_track_split(ids, test_size=0.3, valid_size=0.1, seed=0)
    sizes = s.sizes()
    assert all(sizes["valid"][g] >= 1 and sizes["test"][g] >= 1 for g in GENRES)
    with pytest.raises(splits.SplitError, match="too few"):
        splits.random_track_split(ids[:12], test_size=0.6, valid_size=0.4)
