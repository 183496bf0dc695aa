"""Finding GTZAN folders and listing tracks."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import gtzan
from core.data.audio import decode
from core.constants import SAMPLE_RATE
from tests.conftest import SOUNDFILE_FORMATS, tone, write_gtzan


@pytest.fixture
def kaggle(tmp_path: Path) -> Path:
    clips = {"blues.00000": tone(220, 0.2), "blues.00001": tone(230, 0.2),
             "jazz.00054": tone(440, 0.2)}
    root = write_gtzan(tmp_path / "Data", clips)
    (root / "blues" / "._blues.00000.wav").write_bytes(b"\x00\x05\x16\x07 mac resource")
    (root / "jazz" / "notes.txt").write_text("not audio")
    return root


def test_lists_tracks_and_ignores_resource_forks(kaggle: Path) -> None:
    tracks = gtzan.list_tracks(kaggle)
    assert [t.track_id for t in tracks] == ["blues.00000", "blues.00001", "jazz.00054"]
    assert tracks[2].genre == "jazz"
    assert tracks[0].split_key == "blues/blues.00000.wav"


@pytest.mark.parametrize("level", ["layout", "parent", "grandparent", "genre"])
def test_finds_root_one_level_above_or_below(kaggle: Path, level: str) -> None:
    path = {"layout": kaggle, "parent": kaggle.parent, "grandparent": kaggle.parent.parent,
            "genre": kaggle / "blues"}[level]
    assert gtzan.find_root(path) == kaggle


def test_original_au_layout(tmp_path: Path) -> None:
    root = write_gtzan(tmp_path, {"rock.00003": tone(300, 0.2)}, layout="genres", ext="au")
    tracks = gtzan.list_tracks(tmp_path)
    assert gtzan.find_root(tmp_path) == root
    assert tracks[0].path.suffix == ".au"


def test_not_gtzan_folder_says_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    with pytest.raises(gtzan.DatasetError, match="not a GTZAN folder"):
        gtzan.find_root(tmp_path)
    with pytest.raises(gtzan.DatasetError, match="does not exist"):
        gtzan.find_root(tmp_path / "nowhere")


def test_genre_folders_without_audio(tmp_path: Path) -> None:
    (tmp_path / "genres" / "pop").mkdir(parents=True)
    with pytest.raises(gtzan.DatasetError, match="no GTZAN audio"):
        gtzan.list_tracks(tmp_path)


def test_real_folder(real_data: Path) -> None:
    tracks = gtzan.list_tracks(real_data / "gtzan")
    assert len(tracks) >= 30
    assert {t.genre for t in tracks} == set(gtzan.GENRES)


@pytest.mark.parametrize("ext", sorted(SOUNDFILE_FORMATS))
def test_every_format_is_discovered_and_decodes(tmp_path: Path, ext: str) -> None:
    write_gtzan(tmp_path, {"pop.00007": tone(330, 0.5), "reggae.00011": tone(660, 0.5)}, ext=ext)
    found = gtzan.scan(tmp_path)
    assert [t.track_id for t in found.tracks] == ["pop.00007", "reggae.00011"]
    assert gtzan.count_formats(found.tracks) == {ext: 2}
    assert gtzan.format_text(gtzan.count_formats(found.tracks)) == ext
    y = decode(found.tracks[0].path)
    assert abs(y.size - 0.5 * SAMPLE_RATE) < 0.1 * SAMPLE_RATE   # mp3 adds codec padding


def test_mixed_formats_and_duplicates_are_reported(tmp_path: Path) -> None:
    clips = {"blues.00000": tone(220, 0.3), "blues.00001": tone(230, 0.3),
             "jazz.00002": tone(440, 0.3)}
    root = write_gtzan(tmp_path, clips, ext={"blues.00001": "ogg", "jazz.00002": "flac"})
    write_gtzan(tmp_path, {"blues.00000": tone(220, 0.3)}, ext="mp3")   # a second copy
    found = gtzan.scan(tmp_path)
    assert [t.path.name for t in found.tracks] == ["blues.00000.wav", "blues.00001.ogg",
                                                   "jazz.00002.flac"]
    assert gtzan.format_text(gtzan.count_formats(found.tracks)) == "mixed: flac 1, ogg 1, wav 1"
    assert found.ignored == (("blues/blues.00000.mp3",
                              "second copy of blues.00000; blues.00000.wav is used"),)
    assert root == found.root


def test_non_audio_and_misnamed_files_are_listed_with_the_reason(kaggle: Path) -> None:
    (kaggle / "jazz" / "cover.jpg").write_bytes(b"\xff\xd8")
    (kaggle / "jazz" / "my song.wav").write_bytes(b"RIFF")
    (kaggle / "jazz" / "blues.00009.wav").write_bytes(b"RIFF")
    (kaggle / "jazz" / ".DS_Store").write_bytes(b"\x00")
    found = gtzan.scan(kaggle)
    reasons = dict(found.ignored)
    assert [t.track_id for t in found.tracks] == ["blues.00000", "blues.00001", "jazz.00054"]
    assert "not an audio file" in reasons["jazz/notes.txt"]
    assert "not an audio file" in reasons["jazz/cover.jpg"]
    assert "not named like jazz.00012.wav" in reasons["jazz/my song.wav"]
    assert "lies in the jazz folder" in reasons["jazz/blues.00009.wav"]
    assert not any(name.split("/")[1].startswith(".") for name in reasons)   # hidden: noise


def test_no_tracks_names_what_was_found(tmp_path: Path) -> None:
    (tmp_path / "genres" / "pop").mkdir(parents=True)
    (tmp_path / "genres" / "pop" / "readme.md").write_text("x")
    with pytest.raises(gtzan.DatasetError, match="pop/readme.md: not an audio file"):
        gtzan.scan(tmp_path)


def test_real_ogg_discovery(real_ogg: Path) -> None:
    found = gtzan.scan(real_ogg)
    assert len(found.tracks) == 473 and found.ignored == ()
    assert gtzan.count_formats(found.tracks) == {"ogg": 473}
