"""Feature extraction: shapes, analytic ZCR, agreement with librosa, skipping, cache, subsets."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest

from core.features import study
from core.data.audio import AudioError, load_clip
from core.constants import (
    CNN1D_FRAMES, GENRE_INDEX, N_MELS, N_MFCC, SAMPLE_RATE, SEGMENT_FRAMES, SEGMENT_SAMPLES,
    ZCR_FRAME, ZCR_STEPS,
)
from core.data.gtzan import list_tracks
from tests.conftest import tone, write_gtzan

SR = SAMPLE_RATE


def _music(seconds: float, seed: int, base: float = 220.0) -> np.ndarray:
    """A synthetic 'music' clip: a few harmonics with a beat, plus light noise, peak 0.9."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6)) / k for k in range(1, 5))
    y = y * (0.6 + 0.4 * np.sin(2 * np.pi * 2.0 * t) ** 2) + 0.05 * rng.standard_normal(t.size)
    return (0.9 * y / np.max(np.abs(y))).astype(np.float32)


def _segments(y: np.ndarray) -> np.ndarray:
    """Whole 3-s segments of y, (n, 66150)."""
    n = y.size // SEGMENT_SAMPLES
    return y[: n * SEGMENT_SAMPLES].reshape(n, SEGMENT_SAMPLES)


# --- extract_clip ----------------------------------------------------------------------------


def test_extract_clip_shapes_and_dtypes() -> None:
    y = _music(7.5, seed=0)  # two whole segments and a dropped 1.5-s tail
    out = study.extract_clip(y)
    assert tuple(out) == study.FEATURE_KINDS
    assert out["zcr"].shape == (2, ZCR_STEPS)
    assert out["mfcc_stats"].shape == (2, 2 * N_MFCC)
    assert out["logmel"].shape == (2, N_MELS, SEGMENT_FRAMES)
    assert out["mfcc_seq"].shape == (CNN1D_FRAMES, N_MFCC)
    assert out["extras"].shape == (2, len(study.EXTRA_NAMES)) == (2, 16)
    for kind, array in out.items():
        assert array.dtype == np.float32, kind
        assert np.all(np.isfinite(array)), kind
        assert array.shape[1:] == study.FEATURE_SHAPES[kind][-(array.ndim - 1):]


def test_extract_clip_selected_kinds_in_canonical_order() -> None:
    out = study.extract_clip(_music(3.2, seed=1), ["extras", "zcr"])
    assert list(out) == ["zcr", "extras"]


@pytest.mark.parametrize("kinds", [["mfcc"], [], "melspec"])
def test_extract_clip_rejects_unknown_kinds(kinds: object) -> None:
    with pytest.raises(ValueError, match="kind"):
        study.extract_clip(_music(3.2, seed=1), kinds)  # type: ignore[arg-type]


def test_extract_clip_rejects_short_or_bad_input() -> None:
    with pytest.raises(AudioError, match="at least 3 s"):
        study.extract_clip(tone(440, 2.0))
    with pytest.raises(ValueError, match="1-D"):
        study.extract_clip(np.zeros((2, SEGMENT_SAMPLES), dtype=np.float32))
    bad = _music(3.5, seed=2)
    bad[100] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        study.extract_clip(bad)


# --- ZCR against analytic values -------------------------------------------------------------


@pytest.mark.parametrize("freq", [100.0, 441.0, 1000.0, 3000.0])
def test_zcr_of_sine_is_twice_its_frequency(freq: float) -> None:
    t = np.arange(SEGMENT_SAMPLES) / SR
    y = (0.8 * np.sin(2 * np.pi * freq * t + 0.3)).astype(np.float32)
    zcr = study.extract_clip(y, ["zcr"])["zcr"]
    # Each window holds 2205 samples (2204 pairs): crossings = 2 f * 0.1 s, within one.
    np.testing.assert_allclose(zcr, 2 * freq / SR, atol=1.0 / ZCR_FRAME + 1e-7)


def test_zcr_of_square_wave_counts_every_edge() -> None:
    half = 49  # samples per half period: 98-sample period, f = 225 Hz
    y = np.where((np.arange(SEGMENT_SAMPLES) // half) % 2 == 0, 0.5, -0.5).astype(np.float32)
    zcr = study.extract_clip(y, ["zcr"])["zcr"][0]
    expected = []
    for k in range(ZCR_STEPS):
        idx = np.arange(k * ZCR_FRAME, (k + 1) * ZCR_FRAME)
        phase = idx // half
        expected.append(np.count_nonzero(np.diff(phase)) / ZCR_FRAME)  # one crossing per edge
    np.testing.assert_allclose(zcr, expected, atol=1e-7)
    np.testing.assert_allclose(zcr, 2 * (SR / (2 * half)) / SR, atol=1.0 / ZCR_FRAME + 1e-7)


def test_zcr_of_click_trains() -> None:
    period = 441  # 50 clicks per second, 5 whole clicks in each 100-ms window
    positive = np.zeros(SEGMENT_SAMPLES, dtype=np.float32)
    positive[100::period] = 1.0
    # zero counts as positive: clicks that never go negative never cross
    np.testing.assert_array_equal(study.extract_clip(positive, ["zcr"])["zcr"], 0.0)
    bipolar = positive.copy()
    bipolar[101::period] = -1.0  # 0 -> +1 -> -1 -> 0: two crossings per click
    np.testing.assert_allclose(study.extract_clip(bipolar, ["zcr"])["zcr"], 10 / ZCR_FRAME,
                               atol=1e-7)


def test_zcr_equals_librosa_on_noise() -> None:
    y = np.random.default_rng(3).standard_normal(2 * SEGMENT_SAMPLES).astype(np.float32)
    y[::7] = 0.0  # exact zeros exercise the threshold rule
    ours = study.extract_clip(y, ["zcr"])["zcr"]
    ref = np.stack([librosa.feature.zero_crossing_rate(s, frame_length=ZCR_FRAME,
                                                       hop_length=ZCR_FRAME, center=False)[0]
                    for s in _segments(y)])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-7)


# --- spectral features against librosa's per-segment computation -----------------------------


def test_mfcc_stats_logmel_and_extras_equal_librosa_per_segment() -> None:
    y = _music(9.2, seed=4, base=180.0)
    out = study.extract_clip(y, ["mfcc_stats", "logmel", "extras"])
    for i, seg in enumerate(_segments(y)):
        mfcc = librosa.feature.mfcc(y=seg, sr=SR, n_mfcc=N_MFCC, n_mels=N_MELS)
        np.testing.assert_allclose(out["mfcc_stats"][i, :N_MFCC], mfcc.mean(axis=1),
                                   rtol=1e-4, atol=2e-3)
        np.testing.assert_allclose(out["mfcc_stats"][i, N_MFCC:], mfcc.var(axis=1),
                                   rtol=1e-4, atol=2e-3)
        logmel = librosa.power_to_db(librosa.feature.melspectrogram(y=seg, sr=SR, n_mels=N_MELS))
        np.testing.assert_allclose(out["logmel"][i], logmel, rtol=0, atol=2e-3)
        mag = np.abs(librosa.stft(seg))
        centroid = librosa.feature.spectral_centroid(S=mag, sr=SR)[0]
        rms = librosa.feature.rms(S=mag)[0]
        chroma = librosa.feature.chroma_stft(S=mag**2, sr=SR, tuning=0.0)
        expected = np.concatenate([[centroid.mean(), centroid.var(), rms.mean(), rms.var()],
                                   chroma.mean(axis=1)])
        np.testing.assert_allclose(out["extras"][i], expected, rtol=1e-4, atol=1e-6)


def test_segments_are_independent_like_separate_calls() -> None:
    y = _music(6.1, seed=5)
    both = study.extract_clip(y, ["mfcc_stats", "logmel"])
    second = study.extract_clip(y[SEGMENT_SAMPLES: 2 * SEGMENT_SAMPLES],
                                   ["mfcc_stats", "logmel"])
    np.testing.assert_allclose(both["mfcc_stats"][1], second["mfcc_stats"][0], rtol=1e-5,
                               atol=1e-4)
    np.testing.assert_allclose(both["logmel"][1], second["logmel"][0], atol=1e-4)


def test_chunked_stft_equals_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    y = _music(9.5, seed=7)
    whole = study.extract_clip(y, ["mfcc_stats", "logmel", "extras"])
    monkeypatch.setattr(study, "STFT_CHUNK_SEGMENTS", 2)  # 3 segments -> chunks of 2 and 1
    chunked = study.extract_clip(y, ["mfcc_stats", "logmel", "extras"])
    for kind, array in whole.items():
        assert chunked[kind].shape == array.shape
        np.testing.assert_allclose(chunked[kind], array, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("seconds", [17.0, 7.0])
def test_mfcc_seq_is_librosa_mfcc_of_first_15_s(seconds: float) -> None:
    y = _music(seconds, seed=6)
    seq = study.extract_clip(y, ["mfcc_seq"])["mfcc_seq"]
    head = np.zeros(15 * SR, dtype=np.float32)
    head[: min(y.size, head.size)] = y[: head.size]
    ref = librosa.feature.mfcc(y=head, sr=SR, n_mfcc=N_MFCC, n_mels=N_MELS).T
    assert seq.shape == ref.shape == (CNN1D_FRAMES, N_MFCC)
    np.testing.assert_allclose(seq, ref, rtol=1e-4, atol=2e-3)


def test_louder_band_shows_in_logmel_and_centroid() -> None:
    low = study.extract_clip(tone(200, 3.0), ["logmel", "extras"])
    high = study.extract_clip(tone(4000, 3.0), ["logmel", "extras"])
    mel_freqs = librosa.mel_frequencies(n_mels=N_MELS, fmax=SR / 2)
    assert abs(mel_freqs[low["logmel"][0].mean(axis=1).argmax()] - 200) < 40
    assert abs(mel_freqs[high["logmel"][0].mean(axis=1).argmax()] - 4000) < 300
    assert abs(low["extras"][0, 0] - 200) < 20 and abs(high["extras"][0, 0] - 4000) < 100


# --- extract_tracks --------------------------------------------------------------------------


@pytest.fixture
def gtzan_dir(tmp_path: Path) -> Path:
    """A small GTZAN-layout folder: 4 good clips, one 1-s clip and one corrupt file."""
    clips = {
        "blues.00000": _music(7.0, seed=10, base=110.0),
        "blues.00001": _music(6.5, seed=11, base=130.0),
        "rock.00000": _music(10.0, seed=12, base=330.0),
        "rock.00001": _music(3.5, seed=13, base=392.0),
        "jazz.00000": _music(1.0, seed=14),
    }
    root = write_gtzan(tmp_path, clips)
    (root / "metal").mkdir()
    (root / "metal" / "metal.00000.wav").write_bytes(b"RIFF\x00\x00not really audio" * 40)
    return root


def _fresh(tracks: list, **kwargs: object) -> study.FeatureSet:
    """extract_tracks quietly, one process unless told."""
    kwargs.setdefault("n_jobs", 1)
    return study.extract_tracks(tracks, progress=False, **kwargs)  # type: ignore[arg-type]


def test_extract_tracks_stacks_segments_and_reports_skipped(gtzan_dir: Path) -> None:
    fs = _fresh(list_tracks(gtzan_dir))
    assert list(fs.track_ids) == ["blues.00000", "blues.00001", "rock.00000", "rock.00001"]
    assert list(fs.track_labels) == [GENRE_INDEX["blues"]] * 2 + [GENRE_INDEX["rock"]] * 2
    per_track = [2, 2, 3, 1]
    assert fs.n_segments == sum(per_track) == fs["zcr"].shape[0] == fs["logmel"].shape[0]
    assert list(fs.segment_track) == list(np.repeat(fs.track_ids, per_track))
    assert list(fs.segment_label) == list(np.repeat(fs.track_labels, per_track))
    assert fs["mfcc_seq"].shape == (4, CNN1D_FRAMES, N_MFCC)
    assert fs["mfcc_stats"].shape == (8, 60) and fs["extras"].shape == (8, 16)
    reasons = dict(fs.skipped)
    assert set(reasons) == {"jazz.00000", "metal.00000"}
    assert "at least 3 s" in reasons["jazz.00000"]
    assert "decode" in reasons["metal.00000"] or "readable" in reasons["metal.00000"]
    text = fs.summary()
    assert "4 tracks, 8 segments, 2 skipped" in text
    assert "jazz.00000" in text and "metal.00000" in text and reasons["jazz.00000"] in text
    with pytest.raises(KeyError, match="not extracted"):
        _fresh(list_tracks(gtzan_dir)[:1], kinds=["zcr"])["logmel"]


def test_extract_tracks_matches_extract_clip(gtzan_dir: Path) -> None:
    track = next(t for t in list_tracks(gtzan_dir) if t.track_id == "rock.00000")
    fs = _fresh([track], cache=False)
    direct = study.extract_clip(load_clip(track.path))
    for kind in ("zcr", "mfcc_stats", "extras", "mfcc_seq"):
        np.testing.assert_array_equal(fs[kind].reshape(direct[kind].shape), direct[kind])
    # log-mel goes through float16, as the cache stores it: within 0.04 dB
    np.testing.assert_allclose(fs["logmel"], direct["logmel"], atol=0.04)


def test_parallel_equals_sequential(gtzan_dir: Path) -> None:
    tracks = list_tracks(gtzan_dir)
    one = _fresh(tracks, n_jobs=1, cache=False)
    two = _fresh(tracks, n_jobs=2, cache=False)
    assert list(two.track_ids) == list(one.track_ids) and two.skipped == one.skipped
    for kind in study.FEATURE_KINDS:  # BLAS threading may change the last float32 bits
        np.testing.assert_allclose(two[kind], one[kind], rtol=1e-5, atol=1e-3)


def test_other_joblib_backend_without_streaming(gtzan_dir: Path) -> None:
    from joblib import parallel_config

    tracks = [t for t in list_tracks(gtzan_dir) if t.genre == "blues"]
    with parallel_config(backend="multiprocessing"):
        fs = _fresh(tracks, n_jobs=2, cache=False)
    assert list(fs.track_ids) == ["blues.00000", "blues.00001"] and fs.n_segments == 4


def test_cache_hit_on_second_run_and_miss_on_changed_parameter(
        gtzan_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tracks = [t for t in list_tracks(gtzan_dir) if t.genre != "jazz" and t.genre != "metal"]
    first = _fresh(tracks)
    assert first.cache_hits == 0
    assert len(list(study.features_cache_dir().glob("*.npz"))) == len(tracks)
    calls: list[int] = []
    real = study.extract_clip

    def refusing(*args: object, **kwargs: object) -> dict:
        raise AssertionError("extract_clip must not run when the cache holds the features")

    monkeypatch.setattr(study, "extract_clip", refusing)
    second = _fresh(tracks)
    assert second.cache_hits == len(tracks)
    for kind in study.FEATURE_KINDS:
        np.testing.assert_array_equal(second[kind], first[kind])

    def counting(*args: object, **kwargs: object) -> dict:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(study, "extract_clip", counting)
    _fresh(tracks, filter_noise=False)
    assert len(calls) == len(tracks)            # a pre-processing parameter changed
    monkeypatch.setattr(study, "FEATURE_VERSION", study.FEATURE_VERSION + 1)
    _fresh(tracks[:1], kinds=["zcr"])
    assert len(calls) == len(tracks) + 1       # the feature version changed
    monkeypatch.setattr(study, "FEATURE_VERSION", study.FEATURE_VERSION - 1)
    _fresh(tracks, cache=False)
    assert len(calls) == 2 * len(tracks) + 1   # cache=False always computes


def test_cache_computes_only_missing_kinds_and_survives_damage(
        gtzan_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    track = list_tracks(gtzan_dir)[0]
    zcr_only = _fresh([track], kinds=["zcr"])
    asked: list[tuple[str, ...]] = []
    real = study.extract_clip

    def recording(y: np.ndarray, kinds: tuple[str, ...]) -> dict:
        asked.append(tuple(kinds))
        return real(y, kinds)

    monkeypatch.setattr(study, "extract_clip", recording)
    both = _fresh([track], kinds=["zcr", "extras"])
    assert asked == [("extras",)]
    np.testing.assert_array_equal(both["zcr"], zcr_only["zcr"])
    assert _fresh([track], kinds=["extras", "zcr"]).cache_hits == 1 and len(asked) == 1
    files = list(study.features_cache_dir().glob("*.npz"))
    assert len(files) == 1 and not list(study.features_cache_dir().glob("*.tmp"))
    files[0].write_bytes(b"truncated")
    fs = _fresh([track], kinds=["zcr", "extras"])
    assert asked[-1] == ("zcr", "extras") and fs["extras"].shape == (2, 16)
    np.testing.assert_array_equal(fs["extras"], both["extras"])


def test_cache_key_follows_file_content(gtzan_dir: Path) -> None:
    track = list_tracks(gtzan_dir)[0]
    before = _fresh([track], kinds=["mfcc_stats"])["mfcc_stats"]
    import soundfile as sf

    sf.write(track.path, _music(7.0, seed=99, base=600.0), SR, subtype="PCM_16")
    after = _fresh([track], kinds=["mfcc_stats"])
    assert after.cache_hits == 0
    assert not np.allclose(after["mfcc_stats"], before)


def test_subset_keeps_segments_of_a_track_together(gtzan_dir: Path) -> None:
    fs = _fresh(list_tracks(gtzan_dir))
    sub = fs.subset(["rock.00000", "blues.00001", "jazz.00000"])
    assert list(sub.track_ids) == ["rock.00000", "blues.00001"]
    assert list(sub.segment_track) == ["rock.00000"] * 3 + ["blues.00001"] * 2
    assert sub.skipped == [("jazz.00000", dict(fs.skipped)["jazz.00000"])]
    rock = fs.segment_track == "rock.00000"
    np.testing.assert_array_equal(sub["logmel"][:3], fs["logmel"][rock])
    np.testing.assert_array_equal(sub["mfcc_seq"][0], fs["mfcc_seq"][2])
    assert list(sub.segment_label) == [GENRE_INDEX["rock"]] * 3 + [GENRE_INDEX["blues"]] * 2
    with pytest.raises(KeyError, match="not in this feature set"):
        fs.subset(["pop.00000"])
    empty = fs.subset([])
    assert empty.n_segments == 0 and empty["logmel"].shape == (0, N_MELS, SEGMENT_FRAMES)


def test_all_skipped_gives_empty_arrays(gtzan_dir: Path) -> None:
    bad = [t for t in list_tracks(gtzan_dir) if t.genre in ("jazz", "metal")]
    fs = _fresh(bad)
    assert fs.track_ids.size == 0 and len(fs.skipped) == 2
    assert fs["zcr"].shape == (0, ZCR_STEPS) and fs["mfcc_seq"].shape == (0, CNN1D_FRAMES, N_MFCC)


def test_extract_tracks_rejects_bad_arguments(gtzan_dir: Path) -> None:
    tracks = list_tracks(gtzan_dir)
    with pytest.raises(ValueError, match="more than once"):
        _fresh([tracks[0], tracks[0]])
    with pytest.raises(TypeError, match="Track"):
        _fresh([str(tracks[0].path)])
    with pytest.raises(ValueError, match="unknown feature kind"):
        _fresh(tracks, kinds=["chroma"])


# --- real GTZAN clips ------------------------------------------------------------------------


def test_real_clip_features(real_data: Path) -> None:
    track = list_tracks(real_data / "gtzan")[0]
    fs = _fresh([track])
    assert fs.skipped == [] and fs.track_ids.tolist() == [track.track_id]
    assert fs.n_segments == 10  # a 30-s GTZAN clip gives ten 3-s segments
    assert 0.01 < float(fs["zcr"].mean()) < 0.5
    centroid = fs["extras"][:, 0]
    assert np.all((centroid > 200) & (centroid < 6000))
    seg = load_clip(track.path)[:SEGMENT_SAMPLES]
    mfcc = librosa.feature.mfcc(y=seg, sr=SR, n_mfcc=N_MFCC, n_mels=N_MELS)
    np.testing.assert_allclose(fs["mfcc_stats"][0, :N_MFCC], mfcc.mean(axis=1), rtol=1e-4,
                               atol=2e-3)
