"""Finding GTZAN folders and listing tracks."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import data
from tests.conftest import tone, write_gtzan


@pytest.fixture
def kaggle(tmp_path: Path) -> Path:
    clips = {"blues.00000": tone(220, 0.2), "blues.00001": tone(230, 0.2),
             "jazz.00054": tone(440, 0.2)}
    root = write_gtzan(tmp_path / "Data", clips)
    (root / "blues" / "._blues.00000.wav").write_bytes(b"\x00\x05\x16\x07 mac resource")
    (root / "jazz" / "notes.txt").write_text("not audio")
    return root


def test_lists_tracks_and_ignores_resource_forks(kaggle: Path) -> None:
    tracks = data.list_tracks(kaggle)
    assert [t.track_id for t in tracks] == ["blues.00000", "blues.00001", "jazz.00054"]
    assert tracks[2].genre == "jazz"
    assert tracks[0].split_key == "blues/blues.00000.wav"


@pytest.mark.parametrize("level", ["layout", "parent", "grandparent", "genre"])
def test_finds_root_one_level_above_or_below(kaggle: Path, level: str) -> None:
    path = {"layout": kaggle, "parent": kaggle.parent, "grandparent": kaggle.parent.parent,
            "genre": kaggle / "blues"}[level]
    assert data.find_root(path) == kaggle


def test_original_au_layout(tmp_path: Path) -> None:
    root = write_gtzan(tmp_path, {"rock.00003": tone(300, 0.2)}, layout="genres", ext="au")
    tracks = data.list_tracks(tmp_path)
    assert data.find_root(tmp_path) == root
    assert tracks[0].path.suffix == ".au"


def test_not_gtzan_folder_says_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    with pytest.raises(data.DatasetError, match="not a GTZAN folder"):
        data.find_root(tmp_path)
    with pytest.raises(data.DatasetError, match="does not exist"):
        data.find_root(tmp_path / "nowhere")


def test_genre_folders_without_audio(tmp_path: Path) -> None:
    (tmp_path / "genres" / "pop").mkdir(parents=True)
    with pytest.raises(data.DatasetError, match="no GTZAN audio"):
        data.list_tracks(tmp_path)


def test_real_folder(real_data: Path) -> None:
    tracks = data.list_tracks(real_data / "gtzan")
    assert len(tracks) >= 30
    assert {t.genre for t in tracks} == set(data.GENRES)
