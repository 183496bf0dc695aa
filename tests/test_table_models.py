"""Whole-clip descriptor models trained from a Kaggle-style table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core import config
from core.models import persistence
from core.training import table_models
from core.constants import GENRES
from core.features.descriptors import DESCRIPTOR_COLUMNS


@pytest.fixture(autouse=True)
def small_grids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two candidates per classifier keep the search real but quick."""
    monkeypatch.setattr(table_models, "TABLE_GRIDS", {
        "svm": {"lda__shrinkage": [0.1], "clf__C": [0.3, 3.0]},
        "knn": {"lda__shrinkage": [0.1], "clf__n_neighbors": [3, 9]},
    })


def _table(path: Path, per_genre: int = 12, seed: int = 0) -> Path:
    """A synthetic features_30_sec.csv whose genres differ in a few columns."""
    rng = np.random.default_rng(seed)
    rows = ["filename,length," + ",".join(DESCRIPTOR_COLUMNS) + ",label"]
    for gi, genre in enumerate(GENRES):
        for i in range(per_genre):
            values = rng.normal(size=len(DESCRIPTOR_COLUMNS))
            values[3 * gi: 3 * gi + 3] += 8.0
            values = np.abs(values) + 0.1
            rows.append(f"{genre}.{i:05d}.wav,661794," + ",".join(f"{v:.6f}" for v in values)
                        + f",{genre}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _lists(folder: Path, per_genre: int = 12) -> Path:
    folder.mkdir()
    sides = {"train": range(0, 6), "valid": range(6, 9), "test": range(9, per_genre)}
    for side, numbers in sides.items():
        (folder / f"{side}_filtered.txt").write_text(
            "".join(f"{g}/{g}.{i:05d}.wav\n" for g in GENRES for i in numbers))
    return folder


@pytest.mark.parametrize("kind", ["svm", "knn"])
def test_trains_and_saves_an_honest_card(tmp_path: Path, kind: str) -> None:
    table = _table(tmp_path / "features_30_sec.csv")
    run = table_models.train_table_model(table, kind, _lists(tmp_path / "splits"), seed=3)
    card = persistence.load_card(run)
    assert run.parent == config.runs_dir()
    assert card["model"] == f"descriptor_{kind}" and card["primary"] == kind
    assert card["protocol"]["protocol"] == "artist-filtered"
    test = card["metrics"][kind]["test"]
    assert test["n_tracks"] == 30 and test["track_accuracy"] > 0.5
    assert "random_test" in card["metrics"][kind]
    assert card["search"]["selection"].startswith("artist-disjoint")
    assert len(card["search"]["tried"]) == 2
    model = persistence.load_sklearn(run, f"{kind}.skops")
    proba = model.predict_proba(np.abs(np.random.default_rng(1).normal(size=(2, 57))))
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)


def test_random_protocol_without_lists(tmp_path: Path) -> None:
    run = table_models.train_table_model(_table(tmp_path / "t.csv"), "knn", None, seed=1)
    card = persistence.load_card(run)
    assert card["protocol"]["protocol"] == "random-track" and card["protocol"]["seed"] == 1
    assert "random_test" not in card["metrics"]["knn"]


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown classifier"):
        table_models.table_pipeline("tree")
