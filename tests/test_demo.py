"""Tests of core.data.demo: the deterministic synthetic demo set in ten styles."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from core.data import demo, demo_styles
from core.constants import GENRES, SAMPLE_RATE
from core.data.gtzan import list_tracks
from core.data.demo import DEMO_LABEL, demo_root, is_demo, write_demo_set
from core.data.demo_styles import synth_clip


def _files_under(folder: Path) -> list[str]:
    """Names of every file and folder under folder, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_label_says_synthetic() -> None:
    assert "synthetic" in DEMO_LABEL.lower() and "not GTZAN" in DEMO_LABEL


@pytest.mark.parametrize("genre", GENRES)
def test_clip_shape_dtype_peak(genre: str) -> None:
    y = synth_clip(genre, 0, seconds=2.0)
    assert y.dtype == np.float32
    assert y.shape == (2 * SAMPLE_RATE,)
    assert np.all(np.isfinite(y))
    assert abs(float(np.max(np.abs(y))) - 0.9) < 1e-3
    rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
    assert rms > 0.03, f"{genre} is nearly silent (RMS {rms:.4f})"


def test_clip_length_follows_seconds_and_rate() -> None:
    assert synth_clip("rock", 0, seconds=1.5).size == round(1.5 * SAMPLE_RATE)
    assert synth_clip("rock", 0, seconds=1.0, sr=16000).size == 16000


def test_deterministic_and_independent_of_global_state() -> None:
    np.random.seed(1)
    first = synth_clip("jazz", 3, seconds=2.0)
    synth_clip("metal", 1, seconds=1.0)          # other work in between must not matter
    np.random.seed(2)
    second = synth_clip("jazz", 3, seconds=2.0)
    assert first.tobytes() == second.tobytes()


def test_clips_of_one_style_differ() -> None:
    a = synth_clip("disco", 0, seconds=2.0)
    b = synth_clip("disco", 1, seconds=2.0)
    assert not np.allclose(a, b, atol=0.05)


def test_all_genres_distinct() -> None:
    clips = {g: synth_clip(g, 0, seconds=3.0) for g in GENRES}
    feats = {g: librosa.feature.mfcc(y=y, sr=SAMPLE_RATE, n_mfcc=20).mean(axis=1)
             for g, y in clips.items()}
    for i, g in enumerate(GENRES):
        for h in GENRES[i + 1:]:
            assert not np.allclose(clips[g], clips[h], atol=0.05), (g, h)
            assert np.linalg.norm(feats[g] - feats[h]) > 1.0, (g, h)


def test_styles_are_learnable_by_one_nearest_neighbour() -> None:
    per_genre, seconds = 4, 6.0
    feats, labels = [], []
    for label, genre in enumerate(GENRES):
        for index in range(per_genre):
            mfcc = librosa.feature.mfcc(y=synth_clip(genre, index, seconds), sr=SAMPLE_RATE,
                                        n_mfcc=20)
            feats.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
            labels.append(label)
    x = np.asarray(feats)
    y = np.asarray(labels)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    dist = ((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(dist, np.inf)                # leave one out
    accuracy = float(np.mean(y[dist.argmin(axis=1)] == y))
    assert accuracy >= 0.5, f"leave-one-out 1-NN accuracy {accuracy:.2f} is too close to chance"


@pytest.mark.parametrize("bad", ["polka", "Blues", ""])
def test_unknown_genre_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown genre"):
        synth_clip(bad, 0, seconds=1.0)


@pytest.mark.parametrize("kwargs", [{"index": -1}, {"index": 1.5}, {"seconds": 0.0},
                                    {"seconds": float("nan")}, {"sr": 100}])
def test_bad_sizes_are_refused(kwargs: dict) -> None:
    args = {"genre": "pop", "index": 0, "seconds": 1.0} | kwargs
    with pytest.raises(ValueError):
        synth_clip(**args)


def test_write_demo_set_layout(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    root = write_demo_set(folder, per_genre=2, seconds=1.0)
    assert root == folder / "genres_original"
    tracks = list_tracks(folder)
    assert {t.genre for t in tracks} == set(GENRES)
    assert [t.track_id for t in tracks] == [f"{g}.{i:05d}" for g in GENRES for i in range(2)]
    info = sf.info(str(tracks[0].path))
    assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16")
    audio, _ = sf.read(str(root / "rock" / "rock.00001.wav"), dtype="float32")
    assert np.max(np.abs(audio - synth_clip("rock", 1, 1.0))) <= 1.0 / 32768 + 1e-6
    assert "synthetic" in (folder / demo.MARKER_NAME).read_text().lower()
    # nothing temporary is left behind
    assert sorted(p.name for p in folder.iterdir()) == ["SYNTHETIC.txt", "genres_original"]


def test_is_demo_detects_marker(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    root = write_demo_set(folder, per_genre=1, seconds=0.5)
    assert is_demo(folder)
    assert is_demo(root)
    assert is_demo(root / "blues")
    plain = tmp_path / "real" / "genres_original" / "blues"
    plain.mkdir(parents=True)
    assert not is_demo(plain.parent)
    assert not is_demo(plain.parent.parent)
    assert not is_demo(tmp_path / "missing")


def test_rewrite_replaces_previous_set(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    write_demo_set(folder, per_genre=2, seconds=0.5)
    write_demo_set(folder, per_genre=1, seconds=0.5)
    assert len(list_tracks(folder)) == len(GENRES)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_interrupted_write_leaves_previous_state(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "demo"
    write_demo_set(folder, per_genre=1, seconds=0.5)
    before = _files_under(folder)
    real = demo_styles.synth_clip
    calls = {"n": 0}

    def failing(genre: str, index: int, seconds: float = 30.0, sr: int = SAMPLE_RATE):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt("simulated interruption")
        return real(genre, index, seconds, sr)

    monkeypatch.setattr(demo_styles, "synth_clip", failing)
    with pytest.raises(KeyboardInterrupt):
        write_demo_set(folder, per_genre=2, seconds=0.5)
    assert _files_under(folder) == before          # old complete set intact, no temp leftovers
    fresh = tmp_path / "fresh"
    with pytest.raises(KeyboardInterrupt):
        write_demo_set(fresh, per_genre=1, seconds=0.5)
    assert not (fresh / "genres_original").exists()
    assert not is_demo(fresh)
    assert list(fresh.iterdir()) == []


def test_bad_set_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="per_genre"):
        write_demo_set(tmp_path / "d", per_genre=0, seconds=1.0)
    with pytest.raises(ValueError, match="seconds"):
        write_demo_set(tmp_path / "d", per_genre=1, seconds=-1.0)


def test_demo_root_written_once_then_reused(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENRELAB_CACHE", str(tmp_path / "cache"))
    root = demo_root(per_genre=1, seconds=1.0)
    assert root == tmp_path / "cache" / "demo-v1-1x1s" / "genres_original"
    assert len(list_tracks(root)) == len(GENRES)
    assert is_demo(root)

    def must_not_synthesise(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("a complete cached demo set was written again")

    monkeypatch.setattr(demo_styles, "synth_clip", must_not_synthesise)
    assert demo_root(per_genre=1, seconds=1.0) == root

    # an incomplete set is written afresh
    monkeypatch.undo()
    monkeypatch.setenv("GENRELAB_CACHE", str(tmp_path / "cache"))
    (root / "jazz" / "jazz.00000.wav").unlink()
    assert demo_root(per_genre=1, seconds=1.0) == root
    assert (root / "jazz" / "jazz.00000.wav").is_file()
