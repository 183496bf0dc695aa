"""Tests of core.features.kaggle_table: loading and validating Kaggle's GTZAN feature tables."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from core.constants import GENRES, SHARED_DATA
from core.features.descriptors import DESCRIPTOR_COLUMNS
from core.features.kaggle_table import MFCC_COLUMNS, KaggleTable, TableError, load_table

SHARED_TABLE = (SHARED_DATA / "features"
                / "features_30_sec.csv")
HEADER = ["filename", "length", *DESCRIPTOR_COLUMNS, "label"]


def _row(filename: str, label: str, seed: int) -> dict[str, str]:
    """One table row with reproducible descriptor values."""
    values = np.random.default_rng(seed).uniform(0.1, 100.0, len(DESCRIPTOR_COLUMNS))
    row = {"filename": filename, "length": "661794", "label": label}
    row.update({c: repr(float(v)) for c, v in zip(DESCRIPTOR_COLUMNS, values)})
    return row


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    """Write rows (dicts) under header as a CSV file; columns not in header are left out."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _clip_rows() -> list[dict[str, str]]:
    """Three whole-clip rows of three genres."""
    return [_row("blues.00000.wav", "blues", 0), _row("rock.00042.wav", "rock", 1),
            _row("jazz.00007.wav", "jazz", 2)]


def test_mfcc_columns() -> None:
    assert len(MFCC_COLUMNS) == 40
    assert MFCC_COLUMNS[:3] == ("mfcc1_mean", "mfcc1_var", "mfcc2_mean")
    assert MFCC_COLUMNS[-1] == "mfcc20_var"


def test_valid_clip_table(tmp_path: Path) -> None:
    rows = _clip_rows()
    table = load_table(_write(tmp_path / "t.csv", rows))
    assert isinstance(table, KaggleTable) and len(table) == 3
    assert table.X.shape == (3, 57) and table.X.dtype == np.float64
    assert table.columns == DESCRIPTOR_COLUMNS
    assert table.labels.tolist() == [GENRES.index("blues"), GENRES.index("rock"),
                                     GENRES.index("jazz")]
    assert table.track_ids.tolist() == ["blues.00000", "rock.00042", "jazz.00007"]
    assert not table.segment_table and table.dropped == []
    assert table.X[1, DESCRIPTOR_COLUMNS.index("tempo")] == float(rows[1]["tempo"])
    mfcc = table.select(MFCC_COLUMNS)
    assert mfcc.shape == (3, 40)
    assert mfcc[2, 0] == float(rows[2]["mfcc1_mean"])
    with pytest.raises(TableError, match="nope"):
        table.select(["nope"])


def test_missing_columns_are_named(tmp_path: Path) -> None:
    header = [c for c in HEADER if c not in ("tempo", "mfcc3_var")]
    path = _write(tmp_path / "t.csv", _clip_rows(), header)
    with pytest.raises(TableError, match="missing 2 column") as info:
        load_table(path)
    assert "tempo" in str(info.value) and "mfcc3_var" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_label_is_named(tmp_path: Path) -> None:
    rows = _clip_rows() + [_row("blues.00009.wav", "polka", 5)]
    with pytest.raises(TableError, match="polka"):
        load_table(_write(tmp_path / "t.csv", rows))


def test_non_numeric_value_is_named(tmp_path: Path) -> None:
    rows = _clip_rows()
    rows[1]["rolloff_var"] = "lots"
    with pytest.raises(TableError, match=r"rolloff_var.*rock\.00042\.wav.*lots"):
        load_table(_write(tmp_path / "t.csv", rows))


def test_non_finite_rows_are_dropped_and_reported(tmp_path: Path) -> None:
    rows = _clip_rows() + [_row("pop.00001.wav", "pop", 7), _row("metal.00002.wav", "metal", 8)]
    rows[1]["rms_mean"] = "nan"
    rows[3]["mfcc20_var"] = ""
    rows[4]["tempo"] = "inf"
    table = load_table(_write(tmp_path / "t.csv", rows))
    assert table.dropped == ["rock.00042.wav", "pop.00001.wav", "metal.00002.wav"]
    assert table.track_ids.tolist() == ["blues.00000", "jazz.00007"]
    assert table.X.shape == (2, 57) and np.all(np.isfinite(table.X))
    assert table.labels.tolist() == [GENRES.index("blues"), GENRES.index("jazz")]


def test_all_rows_non_finite_raises(tmp_path: Path) -> None:
    rows = _clip_rows()
    for row in rows:
        row["tempo"] = "nan"
    with pytest.raises(TableError, match="every row"):
        load_table(_write(tmp_path / "t.csv", rows))


def test_segment_table_groups_segments_by_track(tmp_path: Path) -> None:
    rows = [_row(f"blues.00000.{k}.wav", "blues", k) for k in range(10)]
    rows += [_row(f"disco.00013.{k}.wav", "disco", 20 + k) for k in range(4)]
    table = load_table(_write(tmp_path / "t3.csv", rows))
    assert table.segment_table and len(table) == 14
    ids, counts = np.unique(table.track_ids, return_counts=True)
    assert ids.tolist() == ["blues.00000", "disco.00013"] and counts.tolist() == [10, 4]
    assert table.track_labels() == {"blues.00000": 0, "disco.00013": GENRES.index("disco")}
    assert table.filenames[3] == "blues.00000.3.wav"


@pytest.mark.parametrize("filenames, labels, message", [
    (["blues.00000.wav", "blues.00001.0.wav"], ["blues", "blues"], "mixes"),
    (["blues_0.wav", "blues.00001.wav"], ["blues", "blues"], "blues_0.wav"),
    (["blues.00000.wav", "rock.00001.wav"], ["blues", "jazz"], "rock.00001.wav labelled jazz"),
    (["blues.00000.wav", "blues.00000.wav"], ["blues", "blues"], "duplicate"),
])
def test_bad_filenames_raise(tmp_path: Path, filenames: list[str], labels: list[str],
                             message: str) -> None:
    rows = [_row(f, g, i) for i, (f, g) in enumerate(zip(filenames, labels))]
    with pytest.raises(TableError, match=message):
        load_table(_write(tmp_path / "t.csv", rows))


def test_unreadable_or_empty_files_raise(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="does not exist"):
        load_table(tmp_path / "absent.csv")
    with pytest.raises(TableError, match="no rows"):
        load_table(_write(tmp_path / "header_only.csv", []))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TableError, match="not a readable CSV"):
        load_table(empty)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(TableError, match="missing 59 column"):
        load_table(other)


def test_real_30_second_table() -> None:
    if not SHARED_TABLE.is_file():
        pytest.skip(f"Kaggle's features_30_sec.csv is not at {SHARED_TABLE} "
                    "(it lives beside the project, in ../shared/data)")
    with SHARED_TABLE.open() as handle:
        header = next(csv.reader(handle))
    assert tuple(header[2:-1]) == DESCRIPTOR_COLUMNS
    table = load_table(SHARED_TABLE)
    assert len(table) == 1000 and table.dropped == [] and not table.segment_table
    assert np.bincount(table.labels, minlength=10).tolist() == [100] * 10
    assert len(set(table.track_ids)) == 1000
    row = table.track_ids.tolist().index("blues.00000")
    assert table.X[row, DESCRIPTOR_COLUMNS.index("tempo")] == pytest.approx(123.046875)
