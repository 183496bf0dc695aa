"""The musicnn family: heads on the real port's embeddings of a tiny synthesised set, scoring a
clip with its MSD tags, and a missing or damaged weights file in prediction and the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core import cli
from core.models import musicnn_weights, persistence
from core.features import musicnn_input
from core.models import musicnn_net
from core.prediction import catalogue, streaming
from core.models import fitting
from core.training import config as train_config, runner
from core.constants import GENRES
from core.models import musicnn as family
from core.models.persistence import ModelFileError

GENRES3 = ["blues", "classical", "rock"]


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """3 demo clips of 4 s per genre (one 3-s patch each) and a module-wide embedding cache."""
    from core.data import demo

    base = tmp_path_factory.mktemp("mnn")
    root = demo.write_demo_set(base / "demo", per_genre=3, seconds=4)
    return {"root": root, "cache": base / "cache"}


@pytest.fixture
def tiny(tiny_set: dict[str, Path], isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny set's folder, with the module's embedding cache."""
    monkeypatch.setenv("GENRELAB_CACHE", str(tiny_set["cache"]))
    return tiny_set["root"]


def _train(root: Path, **kw: object) -> Path:
    """A musicnn run on the three genres of the tiny set (random-track split, seed 42)."""
    conf = train_config.TrainConfig(model="musicnn", data_path=str(root), genres=GENRES3,
                                test_size=0.34, valid_size=0.0, n_jobs=1, **kw)
    return runner.run_training(conf)


def _damage_weights(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point core.models.musicnn_net at a copy of the weights with one byte flipped (and drop the cached net)."""
    folder = tmp / "weights"
    shutil.copytree(musicnn_weights.WEIGHTS_DIR, folder)
    path = folder / musicnn_weights.WEIGHTS_NAME
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setattr(musicnn_net, "weights_path", lambda: path)
    musicnn_net._forward.cache_clear()
    return path


def test_config_defaults_and_bad_heads() -> None:
    conf = train_config.TrainConfig(model="musicnn")
    assert conf.feature == "embeddings" and conf.feature_kind == family.FEATURE_KIND
    assert conf.filter_noise is False            # the network hears the clip at its own level
    assert train_config.TrainConfig(model="musicnn", head="knn").head == "knn"
    with pytest.raises(fitting.TrainingError, match="takes head svm or knn or logreg, not 'softmax'"):
        train_config.TrainConfig(model="musicnn", head="softmax")
    with pytest.raises(fitting.TrainingError, match="model 'svm' has no choice of head"):
        train_config.TrainConfig(model="svm", head="knn")


def test_svm_and_knn_heads_train_on_real_embeddings_and_predict_with_tags(
        tiny: Path, tmp_path: Path) -> None:
    events: list[dict] = []
    conf = train_config.TrainConfig(model="musicnn", data_path=str(tiny), genres=GENRES3,
                                test_size=0.34, valid_size=0.0, n_jobs=1)
    run = runner.run_training(conf, [events.append])
    card = persistence.load_card(run)
    assert card["model"] == "musicnn" and card["primary"] == "svm"
    assert card["name"] == "musicnn+SVM on MSD embeddings (3 genres) (yours)"
    assert set(card["files"]) == {"svm.skops"}          # the network's weights are not copied
    assert card["genres"] == GENRES3
    assert card["embedding"]["outputs"] == list(family.OUTPUTS)
    assert card["embedding"]["weights_sha256"] == musicnn_net.weights_sha256()
    assert card["input_shape"] == [1706]
    assert card["heads"]["svm"]["chosen_on"] in ("grouped CV on train",
                                                 "default (too few tracks to search)")
    test = card["metrics"]["svm"]["test"]
    assert test["n_tracks"] == test["n_segments"] == card["n_examples"]["test"] == 3
    assert 0.0 <= test["track_accuracy"] <= 1.0
    assert [e["type"] for e in events][0] == "start" and events[-1]["type"] == "done"
    assert events[0]["epochs"] == 0

    knn_run = _train(tiny, head="knn")
    knn = persistence.load_card(knn_run)
    assert knn["primary"] == "knn" and set(knn["files"]) == {"knn.skops"}
    assert knn["heads"]["knn"]["best_params"] == {"n_neighbors": 5}

    from core.data.gtzan import list_tracks

    clip = next(t for t in list_tracks(tiny) if t.genre == "rock").path
    entry = catalogue.ModelEntry(run, card, "musicnn+SVM", "svm", False)
    result = streaming.predict_clip(clip, [entry])
    assert not result.failed
    (res,) = result.results
    assert res.genre in GENRES3 and res.segment_proba is None and res.windows == 1
    assert res.clip_proba.shape == (len(GENRES),)
    assert np.isclose(res.clip_proba.sum(), 1.0)
    assert len(res.tags) == family.TOP_TAGS
    assert all(tag in musicnn_net.MSD_TAGS and 0.0 <= p <= 1.0 for tag, p in res.tags)
    assert [p for _, p in res.tags] == sorted((p for _, p in res.tags), reverse=True)
    expected = musicnn_net.top_tags(musicnn_net.embed(musicnn_input.prepare(clip))["clip_taggram"], 5)
    assert [t for t, _ in res.tags] == [t for t, _ in expected]


def test_damaged_weights_leave_the_other_models_answering(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    run = _train(tiny)
    svm = runner.run_training(train_config.TrainConfig(
        model="svm", data_path=str(tiny), genres=GENRES3, test_size=0.34, valid_size=0.0,
        n_jobs=1, search=False))
    from core.data.gtzan import list_tracks

    clip = next(t for t in list_tracks(tiny) if t.genre == "blues").path
    _damage_weights(tmp_path, monkeypatch)
    entries = [catalogue.ModelEntry(p, persistence.load_card(p), p.name, c["primary"], False)
               for p, c in ((p, persistence.load_card(p)) for p in (run, svm))]
    result = streaming.predict_clip(clip, entries)
    assert [r.model for r in result.results] == ["svm"]
    ((label, reason),) = result.failed
    assert label == run.name
    assert "musicnn weights file" in reason and "damaged" in reason
    assert "core.models.musicnn_weights" in reason                 # says how to regenerate it

    assert cli.main(["predict", str(clip), "--all"]) == 0
    out = capsys.readouterr()
    assert "SVM on MFCC (3 genres)" in out.out                 # the other models answer
    failure = next(line for line in out.out.splitlines() if "could not score" in line)
    assert failure.startswith("musicnn+SVM") and "damaged" in failure

    code = cli.main(["train", "--model", "musicnn", "--data", str(tiny), "--genres",
                     ",".join(GENRES3), "--quiet", "--out", str(tmp_path / "again")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: musicnn weights file") and "damaged" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_weights_are_a_model_file_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(musicnn_net, "weights_path", lambda: tmp_path / "none.npz")
    musicnn_net._forward.cache_clear()
    with pytest.raises(ModelFileError, match="is missing"):
        family.clip_embedding(np.zeros(3 * 22050, np.float32) + 0.1)
    musicnn_net._forward.cache_clear()
