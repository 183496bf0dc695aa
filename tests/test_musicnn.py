"""musicnn port: log-mel front end, patches, refusals, weights checks, embeddings, their cache."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.models import musicnn_weights
from core.features import musicnn_input
from core.models import musicnn_net
from core.data.audio import AudioError
from core.constants import GENRE_INDEX, SAMPLE_RATE
from core.data.gtzan import list_tracks
from tests.conftest import tone, write_gtzan

SR = SAMPLE_RATE


def _music(seconds: float, seed: int, amp: float = 0.8) -> np.ndarray:
    """A synthetic clip: a chord with a beat plus light noise, peak amp."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * 196.0 * k * t + rng.uniform(0, 6)) / k for k in range(1, 6))
    y = y * (0.5 + 0.5 * (np.sin(2 * np.pi * 2.0 * t) > 0)) + 0.05 * rng.standard_normal(t.size)
    return (amp * y / np.max(np.abs(y))).astype(np.float32)


# --- front end ---------------------------------------------------------------------------------


def test_logmel_shape_dtype_and_frames() -> None:
    y16 = musicnn_input.to_16k(tone(440.0, 4.0))
    assert y16.size == 64000
    rep = musicnn_input.logmel(y16)
    assert rep.dtype == np.float32
    assert rep.shape == (1 + y16.size // musicnn_input.MUSICNN_HOP, musicnn_input.MUSICNN_N_MELS)
    # a 440-Hz tone puts its energy in one band region: the loudest band is the same every frame
    middle = rep[10:-10]
    assert np.all(middle.argmax(axis=1) == middle.argmax(axis=1)[0])
    assert rep.min() >= 0.0  # log10(10000 * mel + 1) of a non-negative power


def test_logmel_is_finite_where_float16_overflows() -> None:
    loud = np.clip(np.random.default_rng(0).standard_normal(48000) * 3, -1, 1).astype(np.float32)
    rep = musicnn_input.logmel(loud)
    assert np.all(np.isfinite(rep))
    scaled = 10.0 ** rep.astype(np.float64) - 1.0  # 10000 * mel power
    assert scaled.max() > np.finfo(np.float16).max  # float16 would have turned it into inf


def test_patches_drop_the_tail_and_refuse_short_input() -> None:
    rep = np.arange(400 * 96, dtype=np.float32).reshape(400, 96)
    out = musicnn_input.patches(rep)
    assert out.shape == (2, musicnn_input.PATCH_FRAMES, 96)
    np.testing.assert_array_equal(out[1, 0], rep[musicnn_input.PATCH_FRAMES])
    with pytest.raises(AudioError, match="187"):
        musicnn_input.patches(rep[:186])


def test_clip_patches_counts_three_second_patches() -> None:
    assert musicnn_input.clip_patches(_music(30.0, 1)).shape == (10, 187, 96)
    assert musicnn_input.clip_patches(_music(3.0, 1)).shape == (1, 187, 96)


@pytest.mark.parametrize("y, message", [
    (tone(440.0, 2.9), "at least 3 s"),
    (np.zeros(SR * 4, dtype=np.float32), "silent"),
])
def test_short_or_silent_clips_are_refused(y: np.ndarray, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        musicnn_net.embed(y)


def test_prepare_refuses_a_short_file(tmp_path: Path) -> None:
    root = write_gtzan(tmp_path, {"blues.00000": tone(440.0, 2.0)})
    with pytest.raises(AudioError, match="at least 3 s"):
        musicnn_input.prepare(root / "blues" / "blues.00000.wav")


# --- weights -----------------------------------------------------------------------------------


def _copy_weights(folder: Path) -> Path:
    """A copy of the shipped weights and checksum in folder; the copied .npz path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (musicnn_weights.WEIGHTS_NAME, musicnn_weights.CHECKSUM_NAME):
        shutil.copy(musicnn_weights.WEIGHTS_DIR / name, folder / name)
    return folder / musicnn_weights.WEIGHTS_NAME


def test_shipped_weights_load_with_expected_shapes() -> None:
    weights = musicnn_net.load_weights()
    assert set(musicnn_net.expected_shapes()) <= set(weights)
    assert sum(w.size for w in weights.values()) == 792079
    assert all(w.dtype == np.float32 for w in weights.values())


def test_damaged_weights_give_a_clear_message(tmp_path: Path) -> None:
    path = _copy_weights(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(musicnn_net.WeightsError, match=r"damaged .*core\.models\.musicnn_weights"):
        musicnn_net.load_weights(path)


def test_missing_weights_or_checksum_give_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(musicnn_net.WeightsError, match="is missing"):
        musicnn_net.load_weights(tmp_path / musicnn_weights.WEIGHTS_NAME)
    path = _copy_weights(tmp_path / "w")
    (path.parent / musicnn_weights.CHECKSUM_NAME).unlink()
    with pytest.raises(musicnn_net.WeightsError, match="checksum file"):
        musicnn_net.load_weights(path)


def test_weights_with_a_wrong_shape_are_refused(tmp_path: Path) -> None:
    weights = musicnn_net.load_weights()
    weights["dense_1/bias"] = np.zeros(49, np.float32)
    musicnn_weights.write_weights(weights, tmp_path)
    with pytest.raises(musicnn_net.WeightsError, match="dense_1/bias has shape"):
        musicnn_net.load_weights(tmp_path / musicnn_weights.WEIGHTS_NAME)


def test_npz_bytes_are_deterministic_and_round_trip() -> None:
    arrays = {"b/x": np.arange(3, dtype=np.float32), "a/y": np.ones((2, 2), np.float32)}
    first = musicnn_weights.npz_bytes(arrays)
    assert first == musicnn_weights.npz_bytes(dict(reversed(list(arrays.items()))))
    import io

    with np.load(io.BytesIO(first)) as archive:
        assert sorted(archive.files) == ["a/y", "b/x"]
        np.testing.assert_array_equal(archive["b/x"], arrays["b/x"])


def test_converter_refuses_a_wheel_without_the_checkpoint(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    wheel = tmp_path / "not-musicnn.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("other/file.txt", "x")
    assert musicnn_weights.main(["--from-wheel", str(wheel), "--out", str(tmp_path / "o")]) == 1
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --- the network -------------------------------------------------------------------------------


def test_embed_shapes_ranges_means_and_determinism() -> None:
    y = _music(7.0, 3)
    out = musicnn_net.embed(y)
    assert out["max_pool"].shape == out["mean_pool"].shape == (2, 753)
    assert out["penultimate"].shape == (2, 200)
    assert out["taggram"].shape == (2, 50)
    assert out["tags"] == musicnn_net.MSD_TAGS and len(out["tags"]) == 50
    assert np.all((out["taggram"] > 0) & (out["taggram"] < 1))
    for kind in musicnn_net.OUTPUT_KINDS:
        assert np.all(np.isfinite(out[kind]))
        np.testing.assert_allclose(out[f"clip_{kind}"], out[kind].mean(axis=0), rtol=1e-6)
    # max over time of the mid-end features is never below their mean over time
    assert np.all(out["max_pool"] >= out["mean_pool"] - 1e-5)
    again = musicnn_net.embed(y)
    for kind in musicnn_net.OUTPUT_KINDS:
        np.testing.assert_array_equal(again[kind], out[kind])
    # the patches are independent: the first patch alone gives the first row
    alone = musicnn_net.embed_patches(musicnn_input.clip_patches(y)[:1])
    np.testing.assert_allclose(alone["penultimate"][0], out["penultimate"][0], atol=1e-5)


def test_different_music_gives_different_embeddings() -> None:
    a = musicnn_net.embed(_music(3.5, 1))["clip_penultimate"]
    b = musicnn_net.embed(tone(3000.0, 3.5))["clip_penultimate"]
    assert np.max(np.abs(a - b)) > 0.1


def test_embed_patches_checks_the_shape() -> None:
    with pytest.raises(ValueError, match="187"):
        musicnn_net.embed_patches(np.zeros((1, 130, 96), np.float32))


def test_top_tags_are_sorted() -> None:
    probabilities = np.linspace(0.0, 0.49, 50)
    top = musicnn_net.top_tags(probabilities, k=3)
    assert [t for t, _ in top] == [musicnn_net.MSD_TAGS[49], musicnn_net.MSD_TAGS[48], musicnn_net.MSD_TAGS[47]]
    assert top[0][1] == pytest.approx(0.49)
    with pytest.raises(ValueError, match="50"):
        musicnn_net.top_tags(np.zeros(10))


# --- many tracks -------------------------------------------------------------------------------


def test_embed_tracks_caches_skips_and_groups_by_track(tmp_path: Path) -> None:
    root = write_gtzan(tmp_path, {"blues.00000": _music(6.5, 1), "rock.00001": _music(3.2, 2),
                                  "jazz.00002": tone(440.0, 1.0)})
    tracks = list_tracks(root)
    first = musicnn_net.embed_tracks(tracks, n_jobs=1, progress=False)
    assert list(first.track_ids) == ["blues.00000", "rock.00001"]
    assert [t for t, _ in first.skipped] == ["jazz.00002"]
    assert "at least 3 s" in first.skipped[0][1]
    assert first.cache_hits == 0
    assert first["max_pool"].shape == (3, 753) and first["taggram"].shape == (3, 50)
    assert list(first.segment_track) == ["blues.00000", "blues.00000", "rock.00001"]
    assert list(first.segment_label) == [GENRE_INDEX["blues"]] * 2 + [GENRE_INDEX["rock"]]
    cached = sorted(musicnn_net.cache_dir().glob("*.npz"))
    assert len(cached) == 2
    second = musicnn_net.embed_tracks(tracks, n_jobs=1, progress=False)
    assert second.cache_hits == 2
    for kind in musicnn_net.OUTPUT_KINDS:
        np.testing.assert_array_equal(second[kind], first[kind])
    direct = musicnn_net.embed(musicnn_input.prepare(root / "blues" / "blues.00000.wav"))
    np.testing.assert_allclose(first["penultimate"][:2], direct["penultimate"], atol=1e-5)
    means = musicnn_net.clip_means(first, ("max_pool", "penultimate"))
    assert means.shape == (2, 953)
    np.testing.assert_allclose(means[0, 753:], direct["clip_penultimate"], atol=1e-5)
    np.testing.assert_allclose(means[1, :753], first["max_pool"][2], atol=1e-6)
    rock = first.subset(["rock.00001"])
    assert rock["penultimate"].shape == (1, 200)


def test_embed_tracks_recomputes_a_damaged_cache_file(tmp_path: Path) -> None:
    root = write_gtzan(tmp_path, {"blues.00000": _music(3.5, 4)})
    tracks = list_tracks(root)
    first = musicnn_net.embed_tracks(tracks, n_jobs=1, progress=False)
    (path,) = musicnn_net.cache_dir().glob("*.npz")
    path.write_bytes(b"not an npz")
    again = musicnn_net.embed_tracks(tracks, n_jobs=1, progress=False)
    assert again.cache_hits == 0
    np.testing.assert_array_equal(again["taggram"], first["taggram"])


def test_embed_tracks_fails_early_on_damaged_weights(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_gtzan(tmp_path, {"blues.00000": _music(3.5, 4)})
    monkeypatch.setattr(musicnn_net, "weights_path", lambda: tmp_path / "none.npz")
    with pytest.raises(musicnn_net.WeightsError, match="missing"):
        musicnn_net.embed_tracks(list_tracks(root), n_jobs=1, progress=False)


def test_clip_means_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown musicnn output"):
        musicnn_net.clip_means(None, ("mfcc",))


# --- real clips (skipped without ../shared/data) ------------------------------------------------


def test_real_blues_and_jazz_clips_get_their_own_tag_in_the_top_three() -> None:
    from tests.conftest import SHARED_DATA

    folder = SHARED_DATA / "gtzan"
    if not folder.is_dir():
        pytest.skip(f"real GTZAN clips not found at {folder} (material beside the project)")
    tracks = [t for t in list_tracks(folder) if t.genre in ("blues", "jazz")][:4]
    if not tracks:
        pytest.skip(f"no blues or jazz clips under {folder}")
    for track in tracks:
        out = musicnn_net.embed(musicnn_input.prepare(track.path))
        top = [tag for tag, _ in musicnn_net.top_tags(out["clip_taggram"], k=3)]
        assert track.genre in top, (track.track_id, top)
