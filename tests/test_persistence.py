"""Run folders: atomic commit, checksummed cards, skops loading limited to allowed folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from core import config
from core.models import persistence


def _card() -> dict:
    return {"model": "svm", "feature": "mfcc", "metrics": {}, "protocol": {"label": "x"}}


def _run(name: str = "t") -> Path:
    writer = persistence.RunWriter(config.runs_dir(), persistence.new_run_id(name))
    clf = LogisticRegression().fit(np.random.default_rng(0).normal(size=(20, 3)), [0, 1] * 10)
    writer.save_sklearn(clf, "svm.skops")
    return writer.commit(_card())


def test_commit_and_load_roundtrip() -> None:
    run = _run()
    card = persistence.load_card(run)
    assert card["files"].keys() == {"svm.skops"}
    assert "numpy" in card["versions"]
    clf = persistence.load_sklearn(run, "svm.skops")
    assert clf.predict(np.zeros((1, 3))).shape == (1,)
    assert not any(p.name.startswith(".tmp") for p in config.runs_dir().iterdir())


def test_damaged_model_file_is_refused() -> None:
    run = _run()
    (run / "svm.skops").write_bytes(b"garbage")
    with pytest.raises(persistence.ModelFileError, match="damaged"):
        persistence.load_card(run)
    with pytest.raises(persistence.ModelFileError, match="not a readable skops"):
        persistence.load_sklearn(run, "svm.skops")


def test_damaged_card_is_refused() -> None:
    run = _run()
    (run / "card.json").write_text("{not json")
    with pytest.raises(persistence.ModelFileError, match="damaged"):
        persistence.load_card(run)
    (run / "card.json").write_text(json.dumps({"schema": 1}))
    with pytest.raises(persistence.ModelFileError, match="lacks"):
        persistence.load_card(run)
    infos = list(persistence.iter_runs(include_shipped=False))
    assert infos[0].error and infos[0].card is None


def test_files_outside_allowed_folders_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(persistence.ModelFileError, match="outside"):
        persistence.load_sklearn(outside, "svm.skops")
    with pytest.raises(persistence.ModelFileError, match="outside"):
        persistence.load_card(config.runs_dir() / ".." / "escape")


def test_untrusted_types_are_refused() -> None:
    import skops.io as sio

    writer = persistence.RunWriter(config.runs_dir(), persistence.new_run_id("evil"))
    sio.dump({"f": persistence.RunInfo}, writer.path("svm.skops"))
    run = writer.commit(_card())
    with pytest.raises(persistence.ModelFileError, match="untrusted"):
        persistence.load_sklearn(run, "svm.skops")


def test_abort_publishes_nothing() -> None:
    writer = persistence.RunWriter(config.runs_dir(), "r1")
    writer.path("x").write_text("partial")
    writer.abort()
    assert list(config.runs_dir().iterdir()) == []
