"""Coverage of partial and untidy data sources: clips per genre, split sides, what was left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import coverage, datasource
from core.features import study
from tests.conftest import tone, write_gtzan


def _lists(folder: Path, train: list[str], valid: list[str], test: list[str]) -> Path:
    """Write artist-filtered list files naming the given ids (lines like blues/blues.00012.wav)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, ids in (("train", train), ("valid", valid), ("test", test)):
        lines = [f"{t.split('.')[0]}/{t}.wav" for t in ids]
        (folder / f"{name}_filtered.txt").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def partial(tmp_path: Path) -> Path:
    """Three genres of ten, mixed formats, one undecodable clip and a stray text file."""
    clips = {f"{g}.{i:05d}": tone(200 + 50 * i, 3.5) for g in ("blues", "jazz", "rock")
             for i in range(3)}
    root = write_gtzan(tmp_path / "data", clips, ext={"jazz.00001": "ogg", "rock.00002": "flac"})
    (root / "rock" / "rock.00009.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (root / "jazz" / "liner notes.txt").write_text("not audio")
    return root


def test_partial_source_coverage_lines(partial: Path) -> None:
    source = datasource.real_source(partial)
    cov = coverage.coverage(source)
    assert cov.genres == ("blues", "jazz", "rock") and len(cov.absent) == 7
    lines = cov.lines()
    assert lines[0] == "format: mixed: wav 8, flac 1, ogg 1 (10 clips)"
    assert lines[1] == "clips per genre (3 of 10 genres): blues 3, jazz 3, rock 4"
    assert "genres without clips: classical, country" in lines[2]
    assert any("jazz/liner notes.txt: not an audio file" in line for line in lines)
    assert cov.split is None and "train" not in cov.rows()[0]


def test_split_sides_skipped_clips_and_absent_tracks(partial: Path, tmp_path: Path) -> None:
    source = datasource.real_source(partial)
    fs = study.extract_tracks(source.tracks, ["zcr"], n_jobs=1, progress=False)
    assert [t for t, _ in fs.skipped] == ["rock.00009"]
    folder = _lists(tmp_path / "lists", ["blues.00000", "blues.00001", "jazz.00000",
                                         "rock.00000", "pop.00001"],
                    ["jazz.00001", "rock.00009"], ["blues.00002", "rock.00001", "metal.00004"])
    cov = coverage.coverage(source, folder, fs)
    sides = cov.side_counts()
    assert sides["train"]["blues"] == 2 and sides["train"]["pop"] == 0
    assert sides["valid"]["rock"] == 0          # rock.00009 cannot be decoded: counted out
    assert cov.split.label() == ("artist-filtered, 3 genres present; tracks train/valid/test "
                                 "4/1/2")
    rows = {r["genre"]: r for r in cov.rows()}
    assert rows["rock"] == {"genre": "rock", "clips": 4, "usable": 3, "train": 1, "valid": 0,
                            "test": 1}
    text = "\n".join(cov.lines())
    assert "split lists name 3 tracks that are not here" in text
    assert "clips here are on no split list" in text
    assert "skipped 1 file(s):" in text and "rock.00009:" in text


def test_missing_split_lists_give_a_line_not_an_exception(partial: Path, tmp_path: Path) -> None:
    cov = coverage.coverage(datasource.real_source(partial), tmp_path / "no-lists")
    assert cov.split is None
    assert any(line.startswith("split lists not usable:") and "train_filtered.txt is missing"
               in line for line in cov.lines())


def test_real_gtzan4_coverage_per_side(real_ogg: Path, real_splits: Path) -> None:
    source = datasource.real_source(real_ogg)
    cov = coverage.coverage(source, real_splits)
    assert cov.clips["blues"] == 100 and cov.clips["disco"] == 11
    four = cov.split.restrict(("blues", "classical", "jazz", "rock"))
    assert (len(four.train), len(four.valid), len(four.test)) == (181, 84, 121)
    assert four.label() == "artist-filtered, 4 genres present; tracks train/valid/test 181/84/121"
