"""The YAMNet family: the shipped TFLite model (checked, read through the interpreter), its cached
embeddings, heads trained on a tiny synthesised set, and the AudioSet genre tags Try it shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core import models
from core.constants import GENRE_INDEX, GENRES
from core.data.gtzan import list_tracks
from core.features import yamnet_input
from core.models import audioset_classes, fitting, persistence, yamnet_net
from core.models import yamnet as family
from core.prediction import catalogue, streaming
from core.prediction.pipeline import ModelResult
from core.training import config as train_config, runner
from tests.conftest import tone, write_gtzan

GENRES3 = ["blues", "classical", "rock"]


def _music(seconds: float, seed: int) -> np.ndarray:
    """Chords with noise bursts on a beat, at 22050 Hz (mono float32)."""
    rng = np.random.default_rng(seed)
    sr = 22050
    t = np.arange(int(seconds * sr)) / sr
    y = sum(0.15 * np.sin(2 * np.pi * f * t) for f in rng.uniform(150, 900, 3))
    beat = (np.sin(2 * np.pi * rng.uniform(1.5, 3.0) * t) > 0.95) * rng.normal(0, 0.3, t.size)
    return (y + beat).astype(np.float32)


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """3 demo clips of 3 s per genre and a module-wide embedding cache."""
    from core.data import demo

    base = tmp_path_factory.mktemp("yamnet")
    return {"root": demo.write_demo_set(base / "demo", per_genre=3, seconds=3),
            "cache": base / "cache"}


@pytest.fixture
def tiny(tiny_set: dict[str, Path], isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny set's folder, with the module's embedding cache."""
    monkeypatch.setenv("GENRELAB_CACHE", str(tiny_set["cache"]))
    return tiny_set["root"]


def test_the_family_is_registered_with_its_heads_and_tag_words() -> None:
    assert "yamnet" in models.MODEL_KINDS and models.family("yamnet") is family.FAMILY
    assert models.FEATURE_KIND[family.FEATURE] == family.FEATURE_KIND
    assert "yamnet" in models.BEYOND_STUDY and "yamnet" in models.PREDICTS_KERAS
    assert family.FAMILY.head_choices["yamnet"] == ("svm", "knn", "logreg")
    assert family.FAMILY.head_files("yamnet", "logreg") == ("logreg.skops",)
    assert family.FAMILY.head_files("yamnet", "softmax") == ()
    assert family.FAMILY.tags_label == "AudioSet hears"
    assert models.family("musicnn").tags_label == "MSD tags"
    conf = train_config.TrainConfig(model="yamnet", head="logreg")
    assert conf.feature_kind == family.FEATURE_KIND and conf.filter_noise is False
    with pytest.raises(fitting.TrainingError, match="takes head svm or knn or logreg"):
        train_config.TrainConfig(model="yamnet", head="softmax")


def test_the_shipped_model_and_class_map_match_their_checksums() -> None:
    data = yamnet_net.checked_bytes(yamnet_net.MODEL_NAME)
    assert len(data) == 4078224
    assert yamnet_net.weights_sha256() == (
        "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194")
    names = yamnet_net.class_names()
    assert len(names) == 521 and names[0] == "Speech" and names[223] == "Reggae"
    assert all(name in names for name in audioset_classes.GENRE_CLASSES)


def _copy_model(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point core.models.yamnet_net at a copy of the shipped folder (and drop the interpreter)."""
    shutil.copytree(yamnet_net.WEIGHTS_DIR, folder)
    monkeypatch.setattr(yamnet_net, "WEIGHTS_DIR", folder)
    yamnet_net._runner.cache_clear()
    return folder / yamnet_net.MODEL_NAME


def test_a_damaged_or_missing_model_is_a_model_file_error(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy_model(tmp_path / "yamnet", monkeypatch)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(persistence.ModelFileError, match="is damaged .*git checkout"):
        yamnet_net.embed_windows(np.zeros((1, 15600), np.float32))
    path.unlink()
    with pytest.raises(yamnet_net.WeightsError, match="missing"):
        yamnet_net.embed_tracks([], progress=False)
    yamnet_net._runner.cache_clear()


def test_embeddings_and_scores_of_a_clip_window_by_window() -> None:
    y = _music(4.0, 1)
    out = yamnet_net.embed(y)
    windows = yamnet_input.clip_windows(y)
    n = len(windows)
    assert n == yamnet_input.n_windows(yamnet_input.to_16k(y).size) == 8   # 4 s: 64000 samples
    assert out["embedding"].shape == (n, 1024) and out["scores"].shape == (n, 521)
    assert out["embedding"].min() >= 0.0                    # a mean of ReLU outputs
    assert 0.0 <= out["scores"].min() and out["scores"].max() <= 1.0
    np.testing.assert_allclose(out["clip_embedding"], out["embedding"].mean(axis=0), rtol=1e-6)
    single = yamnet_net.embed_windows(windows[3:4])          # one window alone, same numbers
    np.testing.assert_array_equal(single["embedding"][0], out["embedding"][3])
    assert not np.allclose(out["embedding"][0], out["embedding"][3])
    kernel, bias = yamnet_net.dense_layer()                  # the embedding feeds the scores
    rebuilt = 1.0 / (1.0 + np.exp(-(out["embedding"] @ kernel.T + bias)))
    assert np.max(np.abs(rebuilt - out["scores"])) < 0.02
    with pytest.raises(ValueError, match="15600"):
        yamnet_net.embed_windows(np.zeros((2, 16000), np.float32))


def test_embed_tracks_caches_by_file_and_parameters(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_gtzan(tmp_path, {"blues.00000": _music(2.0, 2), "rock.00001": _music(1.2, 3),
                                  "jazz.00002": tone(440.0, 0.5)})
    tracks = list_tracks(root)
    first = yamnet_net.embed_tracks(tracks, progress=False)
    assert list(first.track_ids) == ["blues.00000", "rock.00001"] and first.cache_hits == 0
    assert [t for t, _ in first.skipped] == ["jazz.00002"] and "0.975 s" in first.skipped[0][1]
    assert first["embedding"].shape == (4 + 2, 1024)           # 2.0 s: 4 windows; 1.2 s: 2
    assert list(first.segment_label) == [GENRE_INDEX["blues"]] * 4 + [GENRE_INDEX["rock"]] * 2
    assert len(list(yamnet_net.cache_dir().glob("*.npz"))) == 2
    second = yamnet_net.embed_tracks(tracks, progress=False)
    assert second.cache_hits == 2
    np.testing.assert_array_equal(second["scores"], first["scores"])
    means = yamnet_net.clip_stats(first, "embedding", "mean")
    np.testing.assert_allclose(means[0], first["embedding"][:4].mean(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(yamnet_net.clip_stats(first, "scores", "max")[1],
                                  first["scores"][4:].max(axis=0))
    monkeypatch.setattr(yamnet_net, "YAMNET_VERSION", yamnet_net.YAMNET_VERSION + 1)
    yamnet_net.params_digest.cache_clear()
    try:
        third = yamnet_net.embed_tracks(tracks, progress=False)   # new parameters: a miss
        assert third.cache_hits == 0 and len(list(yamnet_net.cache_dir().glob("*.npz"))) == 4
    finally:
        yamnet_net.params_digest.cache_clear()


def test_tags_are_audioset_genre_classes_best_first() -> None:
    names = yamnet_net.class_names()
    scores = np.full(521, 0.01)
    scores[names.index("Music")] = 0.99                       # not a genre: never shown
    scores[names.index("Ska")] = 0.12
    scores[names.index("Reggae")] = 0.61
    scores[names.index("Bluegrass")] = 0.05
    tags = audioset_classes.genre_tags(scores, names)
    assert [t for t, _ in tags][:3] == ["Reggae", "Ska", "Bluegrass"]
    assert len(tags) == audioset_classes.TOP_GENRES
    assert all(t in audioset_classes.GENRE_CLASSES for t, _ in tags)
    assert [p for _, p in tags] == sorted((p for _, p in tags), reverse=True)
    with pytest.raises(ValueError, match="lack"):
        audioset_classes.genre_tags(scores[:3], names[:3])


def test_zero_shot_gives_each_gtzan_genre_its_best_class() -> None:
    names = yamnet_net.class_names()
    scores = np.zeros((2, 521))
    scores[0, names.index("Bluegrass")] = 0.7
    scores[0, names.index("Rock music")] = 0.3
    scores[1, names.index("Grunge")] = 0.4
    genre = audioset_classes.zero_shot(scores, names)
    assert genre.shape == (2, len(GENRES))
    assert GENRES[int(np.argmax(genre[0]))] == "country" and genre[0, GENRE_INDEX["rock"]] == 0.3
    assert GENRES[int(np.argmax(genre[1]))] == "rock"
    assert set(audioset_classes.GTZAN_CLASSES) == set(GENRES)


def test_heads_train_on_real_embeddings_and_predict_with_audioset_tags(tiny: Path) -> None:
    conf = train_config.TrainConfig(model="yamnet", data_path=str(tiny), genres=GENRES3,
                                    test_size=0.34, valid_size=0.0, n_jobs=1, head="logreg")
    run = runner.run_training(conf)
    card = persistence.load_card(run)
    assert card["model"] == "yamnet" and card["primary"] == "logreg"
    assert card["name"] == "YAMNet+LOGREG on AudioSet embeddings (3 genres) (yours)"
    assert set(card["files"]) == {"logreg.skops"} and card["input_shape"] == [1024]
    assert card["embedding"]["weights_sha256"] == yamnet_net.weights_sha256()
    assert card["heads"]["logreg"]["best_params"]["class_weight"] == "balanced"
    assert card["metrics"]["logreg"]["test"]["n_tracks"] == 3
    clip = next(t for t in list_tracks(tiny) if t.genre == "rock").path
    entry = catalogue.ModelEntry(run, card, "YAMNet+LOGREG", "logreg", False)
    result = streaming.predict_clip(clip, [entry])
    assert not result.failed
    (res,) = result.results
    assert res.genre in GENRES3 and np.isclose(res.clip_proba.sum(), 1.0)
    assert len(res.tags) == audioset_classes.TOP_GENRES
    assert all(t in audioset_classes.GENRE_CLASSES and 0.0 <= p <= 1.0 for t, p in res.tags)
    direct = yamnet_net.embed(yamnet_input.prepare(clip))["clip_scores"]
    assert res.tags == audioset_classes.genre_tags(direct, yamnet_net.class_names())


def _result(model: str, tags: tuple) -> ModelResult:
    """A verdict of one model with its tags."""
    proba = np.eye(len(GENRES))[GENRE_INDEX["reggae"]]
    return ModelResult(label=f"{model} run", run_id="r", head="svm", model=model,
                       clip_proba=proba, segment_proba=None, genre="reggae", elapsed_ms=90.0,
                       tags=tags)


def test_try_it_names_what_each_networks_tags_are() -> None:
    from pages import verdicts as try_it   # Try it's verdict lines live in pages.verdicts

    yam = _result("yamnet", (("Reggae", 0.61), ("Ska", 0.12)))
    assert try_it.tags_line(yam) == "AudioSet hears: Reggae 61%, Ska 12%"
    assert "– AudioSet hears: Reggae 61%" in try_it.verdict_text(yam)
    assert try_it.tags_line(_result("musicnn", (("rock", 0.5),))) == "MSD tags: rock 50%"
    assert try_it.tags_line(_result("svm", ())) == ""


def test_the_cli_offers_every_embedding_head() -> None:
    from core import cli

    args = cli.build_parser().parse_args(["train", "--model", "yamnet", "--head", "logreg"])
    assert args.model == "yamnet" and args.head == "logreg"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "--model", "yamnet", "--head", "softmax"])
