"""Sturm's artist index (core.data.artists) and the artist-grouped split protocol."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core import cli, config
from core.constants import GENRES, SHARED_DATA
from core.data import artists, splits
from core.training import plan
from core.training.config import PROTOCOLS, TrainConfig
from core.models.fitting import TrainingError

REAL_INDEX = SHARED_DATA / "metadata" / "GTZANindex.txt"


def synthetic_index(folder: Path, per_genre: int = 20, per_artist: int = 4,
                    unknown_every: int = 5) -> tuple[Path, list[str]]:
    """An index of per_genre tracks in each genre, per_artist tracks an artist (one artist,
    "Crossover", in two genres), every unknown_every-th track without an artist."""
    lines = ["## a comment", "## ## ##", ""]
    ids = []
    for genre in GENRES:
        for i in range(per_genre):
            track = f"{genre}.{i:05d}"
            ids.append(track)
            artist = f"{genre.title()} Artist {i // per_artist}"
            if genre in ("jazz", "blues") and i < 2:
                artist = "Crossover"
            if i % unknown_every == unknown_every - 1:
                artist = ""
            lines.append(f"{track}.wav ::: {artist} ::: Song {i}")
    path = folder / "GTZANindex.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, ids


def test_reader_takes_artist_and_title_and_skips_comments(tmp_path: Path) -> None:
    path = tmp_path / "index.txt"
    path.write_text("## Bob L. Sturm\nreggae.00001.wav ::: Bob Marley ::: No Woman No Cry\n"
                    "country.00002.wav :::  ::: I Wish I Had A Nickel\nclassical.00059.wav   \n"
                    "notes.txt ::: x ::: y\n")
    index = artists.read_index(path)
    assert index == {"reggae.00001": artists.TrackInfo("Bob Marley", "No Woman No Cry"),
                     "country.00002": artists.TrackInfo("", "I Wish I Had A Nickel"),
                     "classical.00059": artists.TrackInfo("", "")}
    assert artists.groups(["reggae.00001", "country.00002", "pop.00000"], index) == [
        "bob marley", "unknown:country.00002", "unknown:pop.00000"]
    with pytest.raises(artists.ArtistIndexError, match="no such artist index"):
        artists.read_index(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("## nothing\n")
    with pytest.raises(artists.ArtistIndexError, match="no line names a GTZAN track"):
        artists.read_index(tmp_path / "empty.txt")


def test_artist_grouped_split_keeps_each_artist_on_one_side(tmp_path: Path) -> None:
    path, ids = synthetic_index(tmp_path)
    index = artists.read_index(path)
    groups = dict(zip(ids, artists.groups(ids, index)))
    split = splits.artist_grouped_split(ids, groups, test_size=0.3, valid_size=0.1, seed=3)
    assert split.protocol == "artist-grouped" and split.label().startswith("artist-grouped, seed 3")
    assert sorted(split.train + split.valid + split.test) == sorted(ids)   # disjoint, complete
    side_of = {t: name for name in splits.SIDES for t in split.side(name)}
    by_artist: dict[str, set[str]] = {}
    for track, group in groups.items():
        by_artist.setdefault(group, set()).add(side_of[track])
    assert all(len(sides) == 1 for sides in by_artist.values())           # no artist on two sides
    assert split.notes["unknown_artist"] == 40                            # 4 per genre, own groups
    assert split.notes["artists"] == len(set(groups.values()))
    # stratified roughly: every genre on the test side, the sides near the asked fractions
    test_genres = Counter(splits.genre_of(t) for t in split.test)
    assert set(test_genres) == set(GENRES)
    assert 0.2 <= len(split.test) / len(ids) <= 0.4 and len(split.valid) > 0
    again = splits.artist_grouped_split(ids, groups, 0.3, 0.1, seed=3)
    assert again == split
    assert splits.artist_grouped_split(ids, groups, 0.3, 0.1, seed=4).test != split.test


def test_unknown_artists_can_fall_on_any_side_and_too_few_artists_fail(tmp_path: Path) -> None:
    ids = [f"{g}.{i:05d}" for g in ("blues", "jazz") for i in range(10)]
    split = splits.artist_grouped_split(ids, {}, test_size=0.3, valid_size=0.0, seed=1)
    assert split.notes["unknown_artist"] == 20 and not split.valid
    assert len(split.test) == 6 and set(map(splits.genre_of, split.test)) == {"blues", "jazz"}
    one_artist = {t: "same" for t in ids}
    with pytest.raises(splits.SplitError, match="artists are too few"):
        splits.artist_grouped_split(ids, one_artist, 0.3, 0.1)


def test_the_training_plan_uses_the_index(tmp_path: Path, isolated_dirs: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert "artist-grouped" in PROTOCOLS
    path, ids = synthetic_index(tmp_path)
    conf = TrainConfig(model="svm", protocol="artist-grouped", artists_path=str(path), seed=5)
    assert conf.to_dict()["artists_path"] == str(path)
    split = plan.make_split(conf, ids)
    assert split.protocol == "artist-grouped" and split.seed == 5
    with pytest.raises(TrainingError, match="GENRELAB_ARTISTS"):
        plan.make_split(TrainConfig(model="svm", protocol="artist-grouped"), ids)
    assert config.artists_path() is None
    monkeypatch.setenv(config.ENV_ARTISTS, str(path))
    assert config.artists_path() == path
    assert plan.make_split(TrainConfig(model="svm", protocol="artist-grouped", seed=5),
                           ids) == split


def test_train_command_takes_the_protocol_and_the_index(capsys: pytest.CaptureFixture) -> None:
    args = cli.build_parser().parse_args(["train", "--model", "svm", "--protocol",
                                          "artist-grouped", "--artists", "idx.txt"])
    assert args.protocol == "artist-grouped" and args.artists == Path("idx.txt")
    assert cli.main(["train", "--model", "svm", "--protocol", "artist-grouped", "--artists",
                     "/no/such/index.txt", "--quiet"]) == cli.EXIT_ERROR
    assert "no such artist index" in capsys.readouterr().err


@pytest.mark.skipif(not REAL_INDEX.is_file(), reason="Sturm's index is not on this machine")
def test_real_index() -> None:
    index = artists.read_index(REAL_INDEX)
    assert len(index) == 1000 and index["reggae.00001"].artist == "Bob Marley"
    ids = sorted(index)
    split = splits.artist_grouped_split(ids, dict(zip(ids, artists.groups(ids, index))))
    assert 250 <= len(split.test) <= 350 and set(map(splits.genre_of, split.test)) == set(GENRES)


def test_a_genre_of_one_artist_is_learned_not_tested() -> None:
    """GTZAN-473's reggae is all Bob Marley: the artist-grouped split keeps such a genre whole on
    the training side (it cannot be tested apart from its artist), and says so."""
    ids = [f"{g}.{i:05d}" for g in ("blues", "jazz", "reggae") for i in range(12)]
    groups = {t: ("bob marley" if t.startswith("reggae") else f"artist {t}") for t in ids}
    for seed in range(6):
        split = splits.artist_grouped_split(ids, groups, 0.3, 0.1, seed=seed)
        assert {t for t in ids if t.startswith("reggae")} <= set(split.train)
        assert split.notes["train_only"] == "reggae"
        assert sorted(split.train + split.valid + split.test) == sorted(ids)
        assert {splits.genre_of(t) for t in split.test} == {"blues", "jazz"}
        assert 0.2 <= len(split.test) / len(ids) <= 0.4 and split.valid
