"""The mn04 family: the Keras network from the shipped weights, the embedding cache, a head
trained on the real port's embeddings of a tiny synthesised set, AudioSet tags, damaged weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core import models
from core.models import audioset_classes, mn04_net, mn04_weights, persistence
from core.models import mn04 as family
from core.models.persistence import ModelFileError
from core.prediction import catalogue, streaming
from core.training import config as train_config, runner
from tests.conftest import tone

GENRES3 = ["blues", "classical", "rock"]


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """3 demo clips of 4 s per genre and a module-wide embedding cache."""
    from core.data import demo

    base = tmp_path_factory.mktemp("mn04")
    root = demo.write_demo_set(base / "demo", per_genre=3, seconds=4)
    return {"root": root, "cache": base / "cache"}


@pytest.fixture
def tiny(tiny_set: dict[str, Path], isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny set's folder, with the module's embedding cache."""
    monkeypatch.setenv("GENRELAB_CACHE", str(tiny_set["cache"]))
    return tiny_set["root"]


def test_shipped_weights_match_the_network_exactly() -> None:
    weights = mn04_net.load_weights()                    # sha256 checked
    assert set(weights) == set(mn04_net.expected_shapes())
    assert sum(a.size for a in weights.values()) == 993_439
    assert mn04_net.EMBEDDING_DIM == 384 and mn04_net.HIDDEN_DIM == 512
    names = mn04_net.class_names()
    assert len(names) == 527 and names[0] == "Speech" and names[228] == "Reggae"
    assert mn04_weights.SOURCE_SHA256.startswith("899a8c62")


def test_network_gives_finite_outputs_of_the_right_shapes() -> None:
    out = mn04_net.embed(tone(440.0, 3.0) + tone(660.0, 3.0, amp=0.2))
    assert {k: v.shape for k, v in out.items()} == {
        "embedding": (1, 384), "hidden": (1, 512), "logits": (1, 527),
        "clip_embedding": (768,), "clip_logits": (527,)}
    assert all(np.all(np.isfinite(v)) for v in out.values())
    assert np.all(out["embedding"] >= -0.375)           # the mean of hard-swish outputs
    assert np.array_equal(out["clip_embedding"][:384], out["embedding"][0])
    assert not out["clip_embedding"][384:].any()        # one window: no spread
    windows = family.clip_windows(tone(440.0, 21.0, amp=0.2))[family.WINDOWS_KIND]
    assert windows.shape == (2, 128, 1000)
    clip = family.windows_embedding(windows)
    assert clip[family.FEATURE_KIND].shape == (1, 768)
    assert clip[family.LOGITS_KIND].shape == (1, 527)
    per_window = mn04_net.embed_windows(windows)
    # the clip embedding is the windows' mean and standard deviation
    assert np.allclose(clip[family.FEATURE_KIND][0, :384], per_window["embedding"].mean(0),
                       atol=1e-6)
    assert np.allclose(clip[family.FEATURE_KIND][0, 384:], per_window["embedding"].std(0),
                       atol=1e-6)
    # windows in several batches give what one batch gives
    many = np.concatenate([windows] * 4)                # 8 windows: batches of 6 and 2
    assert np.allclose(mn04_net.embed_windows(many)["logits"][6:],
                       per_window["logits"], atol=1e-4)
    with pytest.raises(ValueError, match="must have shape"):
        mn04_net.embed_windows(np.zeros((1, 64, 100), np.float32))


def test_family_is_registered() -> None:
    assert models.family("mn04") is family.FAMILY
    assert "mn04" in models.MODEL_KINDS and "mn04" in models.BEYOND_STUDY
    assert "mn04" in models.PREDICTS_KERAS
    conf = train_config.TrainConfig(model="mn04")
    assert conf.feature == family.FEATURE and conf.feature_kind == family.FEATURE_KIND
    assert conf.filter_noise is False
    assert models.model_title("mn04", family.FEATURE, "svm") == "mn04+SVM on AudioSet embeddings"


def test_embeddings_are_cached(tiny: Path) -> None:
    from core.data.gtzan import list_tracks

    tracks = list_tracks(tiny)[:3]
    first = mn04_net.embed_tracks(tracks, progress=False)
    assert first.features["embedding"].shape == (3, 384)          # one 4-s window per clip
    assert first.features["logits"].shape == (3, 527)
    rows, logits = mn04_net.clip_rows(first)
    assert rows.shape == (3, 768) and logits.shape == (3, 527)
    cached = list(mn04_net.cache_dir().glob(f"*_{mn04_net.params_digest()}.npz"))
    assert len(cached) >= 3
    second = mn04_net.embed_tracks(tracks, progress=False)
    assert second.cache_hits == 3
    for kind in mn04_net.OUTPUT_DIMS:
        assert np.array_equal(first.features[kind], second.features[kind])
    cached[0].write_bytes(b"damaged")                   # a damaged cache file is recomputed
    third = mn04_net.embed_tracks(tracks, progress=False)
    assert third.cache_hits == 2


def test_audioset_genre_classes_of_mn04() -> None:
    names = mn04_net.class_names()
    p = np.zeros(len(names))
    p[names.index("Reggae")], p[names.index("Ska")], p[names.index("Music")] = 0.61, 0.12, 0.9
    tags = audioset_classes.genre_tags(p, names)
    assert tags[:2] == (("Reggae", 0.61), ("Ska", 0.12))     # "Music" is no genre
    assert audioset_classes.zero_shot(p, names).argmax() == 8  # GENRES[8] == "reggae"
    assert family.FAMILY.tags_label == audioset_classes.TAGS_LABEL


def test_svm_head_trains_and_predicts_with_audioset_tags(tiny: Path) -> None:
    conf = train_config.TrainConfig(model="mn04", data_path=str(tiny), genres=GENRES3,
                                    test_size=0.34, valid_size=0.0, n_jobs=1)
    run = runner.run_training(conf)
    card = persistence.load_card(run)
    assert card["model"] == "mn04" and card["primary"] == "svm"
    assert set(card["files"]) == {"svm.skops"}          # the network's weights are not copied
    assert card["input_shape"] == [768]
    assert card["embedding"]["weights_sha256"] == mn04_net.weights_sha256()
    from core.data.gtzan import list_tracks

    clip = next(t for t in list_tracks(tiny) if t.genre == "rock").path
    entry = catalogue.ModelEntry(run, card, "mn04+SVM", "svm", False)
    result = streaming.predict_clip(clip, [entry])
    assert not result.failed
    (res,) = result.results
    assert res.genre in GENRES3 and res.clip_proba.shape == (10,)
    assert len(res.tags) == audioset_classes.TOP_GENRES
    assert all(tag in audioset_classes.GENRE_CLASSES and 0 <= p <= 1 for tag, p in res.tags)
    assert [p for _, p in res.tags] == sorted((p for _, p in res.tags), reverse=True)


def test_damaged_or_missing_weights_are_model_file_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "weights"
    shutil.copytree(mn04_weights.WEIGHTS_DIR, folder)
    path = folder / mn04_weights.WEIGHTS_NAME
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setattr(mn04_net, "weights_path", lambda: path)
    mn04_net._forward.cache_clear()
    try:
        with pytest.raises(ModelFileError, match="damaged.*mn04_weights"):
            family.windows_embedding(np.zeros((1, 128, 300), np.float32))
        monkeypatch.setattr(mn04_net, "weights_path", lambda: tmp_path / "none.npz")
        with pytest.raises(ModelFileError, match="is missing"):
            mn04_net.load_weights()
    finally:
        mn04_net._forward.cache_clear()


def test_logistic_head_trains_and_is_named(tiny: Path) -> None:
    conf = train_config.TrainConfig(model="mn04", data_path=str(tiny), genres=GENRES3,
                                    test_size=0.34, valid_size=0.0, n_jobs=1, head="logreg")
    card = persistence.load_card(runner.run_training(conf))
    assert card["primary"] == "logreg" and set(card["files"]) == {"logreg.skops"}
    assert card["name"] == "mn04+LOGREG on AudioSet embeddings (3 genres) (yours)"
    assert card["heads"]["logreg"]["best_params"]["C"] == family.LOGREG_C == 0.1  # its own C
    assert 0.0 <= card["metrics"]["logreg"]["test"]["track_accuracy"] <= 1.0
