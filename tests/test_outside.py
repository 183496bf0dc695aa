"""Scoring models on a labelled folder from outside GTZAN (core.prediction.outside) and the
evaluate-folder command: alias folders, skipped folders, bad files, known answers, JSON."""

from __future__ import annotations

import os

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core import cli
from core.constants import GENRES
from core.evaluation import wilson_interval
from core.models import persistence
from core.prediction import batch, outside
from core.prediction.pipeline import ClipPrediction

from .conftest import tone
from .test_answer import FOUR, entry, result


@pytest.fixture
def no_shipped(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty stand-in for models/ so only the runs made here are available."""
    folder = isolated_dirs / "shipped"
    folder.mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", folder)
    return folder


def labelled_folder(root: Path) -> Path:
    """Hip-Hop/ (2 clips), Classical Music/ (2), rock/ (1 + a bad file), notes/ (no genre)."""
    rng = np.random.default_rng(0)
    for sub, freqs in (("Hip-Hop", (110, 150)), ("Classical Music", (440, 520)), ("rock", (880,))):
        (root / sub).mkdir(parents=True)
        for k, f in enumerate(freqs):
            y = tone(f, 4.0) + 0.05 * rng.standard_normal(88200).astype(np.float32)
            sf.write(root / sub / f"clip{k}.wav", y, 22050)
    (root / "rock" / "broken.mp3").write_bytes(b"not audio at all" * 10)
    (root / "notes").mkdir()
    (root / "notes" / "x.wav").write_bytes(b"RIFF")
    return root


@pytest.mark.parametrize("name,genre", [("hiphop", "hiphop"), ("Hip-Hop", "hiphop"),
                                        ("hip hop", "hiphop"), ("HIP_HOP", "hiphop"),
                                        ("Rap", "hiphop"), ("Classic", "classical"),
                                        ("classical music", "classical"), ("Jazz", "jazz"),
                                        ("r&b", None), ("electronic", None)])
def test_folder_names_match_genres(name: str, genre: str | None) -> None:
    assert outside.genre_of_folder(name) == genre


def test_scan_lists_alias_folders_and_skips_the_rest(tmp_path: Path) -> None:
    scan = outside.scan_folder(labelled_folder(tmp_path / "set"))
    assert scan.skipped == ["notes"]
    assert scan.genres == {"classical": 2, "hiphop": 2, "rock": 2}   # the bad file is a clip too
    with pytest.raises(outside.OutsideError, match="no sub-folder names a GTZAN genre"):
        outside.scan_folder(tmp_path / "set" / "notes")
    with pytest.raises(outside.OutsideError, match="no such folder"):
        outside.scan_folder(tmp_path / "missing")


def fake_predict(verdicts: dict[str, list[tuple[str, str, tuple]]]):
    """A stand-in for batch.predict_many: per clip file name, each model's (label, genre,
    genres); a clip not listed fails to decode."""
    def predict_many(inputs, models, jobs=1, progress=None):
        for item in inputs:
            listed = verdicts.get(Path(item.name).name)
            if listed is None:
                yield batch.ClipRow(item.name, error="cannot be decoded")
                continue
            results = [result(label, genre, genres) for label, genre, genres in listed]
            yield batch.ClipRow(item.name, ClipPrediction(4.0, np.zeros(1), results, []))
    return predict_many


def test_known_answers_give_exact_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "set"
    for genre, names in (("hiphop", ("h1", "h2")), ("rock", ("r1", "r2", "r3"))):
        (folder / genre).mkdir(parents=True)
        for name in names:
            (folder / genre / f"{name}.wav").write_bytes(b"RIFF....")
    (folder / "rock" / "bad.wav").write_bytes(b"x")
    ten, four = entry("ten", 0.5), entry("four", 0.9, genres=FOUR)
    T, F = GENRES, FOUR
    monkeypatch.setattr(batch, "predict_many", fake_predict({
        "h1.wav": [("ten", "hiphop", T), ("four", "rock", F)],
        "h2.wav": [("ten", "pop", T), ("four", "jazz", F)],
        "r1.wav": [("ten", "rock", T), ("four", "rock", F)],
        "r2.wav": [("ten", "rock", T), ("four", "blues", F)],
        "r3.wav": [("ten", "metal", T), ("four", "rock", F)]}))
    res = outside.evaluate_folder(folder, [ten, four], with_answer=True)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["n"] == 5 and data["genres"] == {"hiphop": 2, "rock": 3}
    assert data["bad_files"] == [{"clip": "rock/bad.wav", "genre": "rock",
                                  "reason": "cannot be decoded"}]
    by = {m["label"]: m for m in data["models"]}
    assert [m["label"] for m in data["models"]] == ["ten", "four", "answer"]
    assert by["ten"]["correct"] == 3 and by["ten"]["accuracy"] == pytest.approx(0.6)
    assert (by["ten"]["ci_low"], by["ten"]["ci_high"]) == pytest.approx(wilson_interval(0.6, 5))
    # answered: how many clips it gave that genre (the precision's denominator)
    assert by["ten"]["per_genre"]["hiphop"] == {"correct": 1, "n": 2, "recall": 0.5,
                                                "answered": 1}
    assert by["four"]["per_genre"]["rock"]["answered"] == 3
    assert by["four"]["per_genre"]["hiphop"]["note"] == "cannot answer"
    assert by["four"]["correct"] == 2 and by["four"]["cannot_answer"] == [
        g for g in GENRES if g not in FOUR]
    # the answer is the most trusted model among those answering every genre: ten, whatever
    # four (trained on 4 genres, however well) says
    clips = {c["clip"]: c for c in data["clips"]}
    assert [clips[f"{g}/{n}.wav"]["answer"] for g, n in (
        ("hiphop", "h1"), ("hiphop", "h2"), ("rock", "r1"), ("rock", "r2"), ("rock", "r3"))] == [
        "hiphop", "pop", "rock", "rock", "metal"]
    assert by["answer"]["correct"] == 3 and by["answer"]["cannot_answer"] == []
    cm = np.array(by["ten"]["confusion"])
    assert cm.shape == (10, 10) and cm.sum() == 5
    assert cm[GENRES.index("rock"), GENRES.index("metal")] == 1
    # macro-F1 over the folder's genres: ten: hiphop F1 2*1/(2+1), rock 2*2/(3+2)
    assert by["ten"]["macro_f1"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    text = "\n".join(outside.table_lines(res))
    assert "ten: accuracy 60.0% [95 % CI" in text and "(3 of n=5, outside GTZAN)" in text
    assert "hiphop 0/2 (cannot answer)" in text and "rock/bad.wav: error" in text
    csv_text = outside.to_csv(res)
    assert csv_text.splitlines()[0] == "clip,genre,ten,four,answer,error"


def test_evaluate_folder_command_with_real_runs(tmp_path: Path, no_shipped: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    from .test_prediction import sklearn_run

    sklearn_run("svm", "mfcc")
    sklearn_run("knn", "zcr", dim=30, run_id="20250102-000000-knn-zcr-bbbbbb")
    folder = labelled_folder(tmp_path / "set")
    out_json, out_csv = tmp_path / "o.json", tmp_path / "o.csv"
    code = cli.main(["evaluate-folder", str(folder), "--all", "--jobs", "1", "--quiet",
                     "--json", str(out_json), "--csv", str(out_csv)])
    text = capsys.readouterr().out
    assert code == cli.EXIT_OK, text
    assert "1 sub-folder naming no GTZAN genre skipped" in text and "notes" not in text
    assert "rock/broken.mp3: error: cannot be decoded" in text
    data = json.loads(out_json.read_text())
    assert data["n"] == 5 and data["genres"] == {"classical": 2, "hiphop": 2, "rock": 1}
    assert [m["label"] for m in data["models"]][-1] == "answer" and len(data["models"]) == 3
    for m in data["models"]:
        assert set(m) >= {"label", "correct", "accuracy", "ci_low", "ci_high", "macro_f1",
                          "per_genre", "confusion", "n"}
        assert m["n"] == 5 and m["ci_low"] <= m["accuracy"] <= m["ci_high"]
        assert sum(v["n"] for v in m["per_genre"].values()) == 5
    assert len(out_csv.read_text().splitlines()) == 1 + 6
    # one model: the best, no answer row
    assert cli.main(["evaluate-folder", str(folder), "--jobs", "1", "--quiet",
                     "--json", str(out_json)]) == 0
    assert [m["label"] for m in json.loads(out_json.read_text())["models"]] != ["answer"]
    assert len(json.loads(out_json.read_text())["models"]) == 1


def test_a_folder_without_genre_folders_is_one_clear_error(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "plain").mkdir()
    sf.write(tmp_path / "plain" / "a.wav", tone(440, 4.0), 22050)
    assert cli.main(["evaluate-folder", str(tmp_path / "plain")]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:") and "Traceback" not in err
    assert "no sub-folder names a GTZAN genre" in err


def test_bench_records_the_figure_in_shipped_cards(no_shipped: Path, monkeypatch) -> None:
    import sys

    from core.prediction import catalogue
    from core.report.comparison import measured_text

    from .test_prediction import sklearn_run

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "bench"))
    sys.modules.pop("outside_gtzan", None)
    import outside_gtzan

    run = sklearn_run("svm", "mfcc")
    shipped = no_shipped / run.name
    run.rename(shipped)
    entries = [e for e in catalogue.available_models() if e.shipped]
    assert len(entries) == 1
    data = {"models": [{"label": entries[0].label, "n": 49, "correct": 15, "accuracy": 15 / 49,
                        "ci_low": 0.195, "ci_high": 0.446, "macro_f1": 0.3},
                       {"label": "answer", "n": 49, "correct": 20, "accuracy": 20 / 49,
                        "ci_low": 0.28, "ci_high": 0.55, "macro_f1": 0.38}]}
    written = outside_gtzan.write_cards(entries, data, outside_gtzan.SET_NAME, "2026-12-06")
    assert written == [shipped / "card.json"]
    card = persistence.load_card(shipped, verify=True)   # checksums of the model files hold
    assert card["outside"] == {"set": outside_gtzan.SET_NAME, "n": 49, "correct": 15,
                               "accuracy": 0.3061, "ci_low": 0.195, "ci_high": 0.446,
                               "macro_f1": 0.3, "date": "2026-12-06"}
    assert "outside GTZAN: 30.6% (20%–45%) of 49 clips of xd-dev" in measured_text(card, "svm")
    # with the per-genre figures evaluate-folder gives, the card keeps them for Try it's answer
    data["models"][0]["per_genre"] = {"country": {"correct": 6, "n": 7, "recall": 6 / 7,
                                                  "answered": 9}}
    outside_gtzan.write_cards(entries, data, outside_gtzan.SET_NAME, "2026-12-07")
    card = persistence.load_card(shipped, verify=True)
    assert card["outside"]["per_genre"] == {"country": {"correct": 6, "n": 7, "answered": 9}}


def test_no_message_lists_what_a_folder_holds_beyond_genre_folders(tmp_path: Path) -> None:
    """Typing a system folder named its entries in the warning; now only what GenreLab looks
    for is said, whatever the folder holds."""
    system = tmp_path / "etc"
    for name in ("passwd-dir", "ssh", "cron.d"):
        (system / name).mkdir(parents=True)
    (system / "shadow").write_text("secret")
    with pytest.raises(outside.OutsideError) as err:
        outside.scan_folder(system)
    assert not any(name in str(err.value) for name in ("passwd", "ssh", "cron", "shadow"))
    with pytest.raises(outside.OutsideError) as err:
        outside.scan_folder("/etc")
    assert not any(p.name in str(err.value).replace("/etc", "") for p in Path("/etc").iterdir()
                   if len(p.name) > 3)
    unreadable = tmp_path / "locked"
    unreadable.mkdir()
    (unreadable / "jazz").mkdir()
    unreadable.chmod(0)
    try:
        if not os.access(unreadable, os.R_OK):   # root reads it anyway
            with pytest.raises(outside.OutsideError, match="cannot be read"):
                outside.scan_folder(unreadable)
    finally:
        unreadable.chmod(0o755)
    scan = outside.scan_folder(labelled_folder(tmp_path / "set"))
    assert outside.skipped_text(scan.skipped) == "1 sub-folder naming no GTZAN genre skipped"


def test_figures_name_the_folder_never_its_server_path(tmp_path: Path, monkeypatch) -> None:
    folder = labelled_folder(tmp_path / "deep" / "xd-dev")
    monkeypatch.setattr(outside.batch, "predict_many", fake_predict({}))
    data = outside.evaluate_folder(folder, [], name=None).to_dict()
    assert data["folder"] == "xd-dev" and str(tmp_path) not in json.dumps(data)
    assert data["skipped_folders"] == 1
    named = outside.evaluate_folder(folder, [], name="Outside set").to_dict()
    assert named["protocol"] == "outside GTZAN: every clip of Outside set (no training on it)"


def test_figures_are_kept_per_folder_and_models(tmp_path: Path) -> None:
    folder = labelled_folder(tmp_path / "set")
    key = outside.cache_key(folder, ["b", "a"], True)
    assert key == outside.cache_key(folder, ["a", "b"], True)
    assert key != outside.cache_key(folder, ["a"], True) != outside.cache_key(folder, ["a", "b"],
                                                                              False)
    assert outside.cached(key) is None
    outside.store(key, {"folder": "set", "models": []})
    assert outside.cached(key) == {"folder": "set", "models": []}
    (folder / "rock" / "new.wav").write_bytes(b"RIFF")   # the folder changed: a new key
    assert outside.cache_key(folder, ["a", "b"], True) != key

