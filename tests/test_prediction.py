"""Tests of core.prediction.streaming with run folders built here (tiny scikit-learn and Keras models)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core import config
from core.models import persistence
from core.models import loading
from core.prediction import catalogue, explain, pipeline, streaming
from core.data.audio import AudioError
from core.models.baselines import fit_classifier, make_pipeline
from core.constants import GENRES, SAMPLE_RATE

from .conftest import tone

PROJECT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)


# --- helpers ---------------------------------------------------------------------------------


def music(seconds: float, sr: int = SAMPLE_RATE, seed: int = 1) -> np.ndarray:
    """A few tones plus clicks and a little noise, seconds s long (mono float32)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = tone(220.0, seconds, sr, 0.3) + tone(330.0, seconds, sr, 0.2)
    y[:: sr // 4] += 0.8                              # clicks, 4 per second
    y += 0.02 * rng.standard_normal(n).astype(np.float32)
    return y.astype(np.float32)


def wav_bytes(y: np.ndarray, sr: int = SAMPLE_RATE) -> bytes:
    """y (frames or frames x channels) encoded as 16-bit WAV bytes."""
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _card(model: str, feature: str, primary: str, heads: list[str], name: str) -> dict:
    """A minimal card as core.training.runner writes it."""
    return {"name": name, "model": model, "feature": feature, "primary": primary,
            "config": {"model": model, "feature": feature}, "data": {"source": "test"},
            "protocol": {"label": "test"}, "metrics": {h: {"test": {}} for h in heads}}


def _labels(n: int) -> np.ndarray:
    """n labels cycling through the ten genres."""
    return np.arange(n) % len(GENRES)


def sklearn_run(model: str = "svm", feature: str = "mfcc", dim: int = 60,
                run_id: str | None = None, extra: dict | None = None) -> Path:
    """A run folder with a scikit-learn pipeline fitted on random dim-d features."""
    X = RNG.standard_normal((60, dim))
    y = _labels(60)
    head = "svm" if model.endswith("svm") else "knn"
    if head == "svm":
        est = fit_classifier("svm", X, y, groups=np.arange(60), search=False).model
    else:
        est = make_pipeline("knn").set_params(clf__n_neighbors=3).fit(X, y)
    writer = persistence.RunWriter(config.runs_dir(),
                                   run_id or persistence.new_run_id(f"{model}-{feature}"))
    writer.save_sklearn(est, f"{head}.skops")
    card = _card(model, feature, head, [head], catalogue.model_title(model, feature, head))
    return writer.commit({**card, **(extra or {})})


def keras_run(model: str, build, feature: str, deep_head: bool = False) -> Path:
    """A run folder holding model.keras (built by build()) and, for LSTMs, an SVM deep head."""
    import keras

    net = build(keras)
    writer = persistence.RunWriter(config.runs_dir(), persistence.new_run_id(model))
    net.save(writer.path("model.keras"))
    heads = ["softmax"]
    if deep_head:
        deep = keras.Model(net.input, net.get_layer("deep_feature").output)
        x = RNG.standard_normal((40,) + tuple(net.input_shape[1:])).astype(np.float32)
        feats = keras.ops.convert_to_numpy(deep(x, training=False))
        est = make_pipeline("knn").set_params(clf__n_neighbors=3).fit(feats, _labels(40))
        writer.save_sklearn(est, "knn.skops")
        heads = ["softmax", "knn"]
    primary = heads[-1]
    return writer.commit(_card(model, feature, primary, heads,
                               catalogue.model_title(model, feature, primary)))


def lstm_net(keras):
    """Input (60, 1) -> LSTM(8) named deep_feature -> softmax(10)."""
    inp = keras.Input((60, 1))
    deep = keras.layers.LSTM(8, name="deep_feature")(inp)
    return keras.Model(inp, keras.layers.Dense(10, activation="softmax")(deep))


def cnn1d_net(keras):
    """Input (646, 30) -> global average -> softmax(10)."""
    inp = keras.Input((646, 30))
    pooled = keras.layers.GlobalAveragePooling1D()(inp)
    return keras.Model(inp, keras.layers.Dense(10, activation="softmax")(pooled))


def cnn2d_net(keras):
    """Toy 2D-CNN: only mel bins 0..63 matter; genre 0's logit is their mean level / 4."""
    inp = keras.Input((128, 130, 1))
    low = keras.layers.Cropping2D(((0, 64), (0, 0)))(inp)
    pooled = keras.layers.GlobalAveragePooling2D()(low)
    dense = keras.layers.Dense(10, activation="softmax")
    net = keras.Model(inp, dense(pooled))
    kernel = np.zeros((1, 10), dtype=np.float32)
    kernel[0, 0] = 0.25
    dense.set_weights([kernel, np.zeros(10, dtype=np.float32)])
    return net


def only(entries, *paths: Path) -> list:
    """The entries of the given run folders (shipped models are left out), in that order."""
    by_path = {e.path.resolve(): e for e in entries}
    return [by_path[p.resolve()] for p in paths]


# --- listing -------------------------------------------------------------------------------


def test_available_models_lists_user_runs_newest_first_with_labels():
    old = sklearn_run("svm", "mfcc", run_id="20250101-000000-old-aaaaaa")
    new = sklearn_run("knn", "zcr", dim=30, run_id="20250102-000000-new-bbbbbb")
    entries = catalogue.available_models()
    user = [e for e in entries if not e.shipped]
    assert [e.path for e in user] == [new, old]
    assert user[0].label.startswith("KNN on ZCR — your run ")
    assert user[1].head == "svm" and user[1].feature == "mfcc" and not user[1].uses_keras
    assert entries.damaged == []
    shipped = [i for i, e in enumerate(entries) if e.shipped]
    assert all(i >= len(user) for i in shipped)   # shipped models come after user runs


def test_damaged_runs_are_skipped_and_reported():
    good = sklearn_run()
    bad_file = sklearn_run(run_id="20250103-000000-badfile-cccccc")
    (bad_file / "svm.skops").write_bytes(b"not a skops file")
    bad_card = sklearn_run(run_id="20250104-000000-badcard-dddddd")
    (bad_card / "card.json").write_text("{ broken")
    entries = catalogue.available_models()
    assert [e.path for e in entries if not e.shipped] == [good]
    reasons = dict(entries.damaged)
    assert set(reasons) == {bad_file, bad_card}
    assert "checksum" in reasons[bad_file] and "damaged" in reasons[bad_card]


def test_with_head_switches_label_and_refuses_unknown_head():
    run = sklearn_run()
    entry = only(catalogue.available_models(), run)[0]
    with pytest.raises(ValueError, match="no head 'knn'"):
        entry.with_head("knn")
    assert entry.with_head("svm").label == entry.label


# --- prediction with scikit-learn models -------------------------------------------------------


def test_predict_clip_shapes_probabilities_and_mean():
    runs = [sklearn_run("svm", "mfcc"), sklearn_run("knn", "zcr", dim=30),
            sklearn_run("descriptor_svm", "descriptors", dim=57)]
    entries = only(catalogue.available_models(), *runs)
    out = streaming.predict_clip(music(7.0), entries)
    assert out.duration_s == pytest.approx(7.0, abs=1e-3)
    assert out.segment_starts_s.tolist() == [0.0, 3.0]       # a 7-s clip gives 2 segments
    assert [r.run_id for r in out.results] == [e.run_id for e in entries] and not out.failed
    for result in out.results:
        assert result.clip_proba.shape == (10,)
        assert result.clip_proba.sum() == pytest.approx(1.0)
        assert result.genre == GENRES[int(np.argmax(result.clip_proba))]
    for result in out.results[:2]:
        assert result.segment_proba.shape == (2, 10)
        np.testing.assert_allclose(result.segment_proba.sum(axis=1), 1.0)
        np.testing.assert_allclose(result.clip_proba, result.segment_proba.mean(axis=0))
    descriptor = out.results[2]
    assert descriptor.segment_proba is None and descriptor.windows == 1


def test_predictions_differ_between_segments_of_different_sound():
    run = sklearn_run("knn", "mfcc")
    entry = only(catalogue.available_models(), run)[0]
    y = np.concatenate([music(3.0, seed=2), 0.5 * np.random.default_rng(3).standard_normal(
        3 * SAMPLE_RATE).astype(np.float32)])
    seg = streaming.predict_clip(y, [entry]).results[0].segment_proba
    assert not np.allclose(seg[0], seg[1])


def test_upload_bytes_stereo_44k_work():
    run = sklearn_run()
    entry = only(catalogue.available_models(), run)[0]
    left = music(6.5, sr=44100)
    stereo = np.stack([left, 0.5 * left], axis=1)
    out = streaming.predict_clip(wav_bytes(stereo, 44100), [entry])
    assert out.duration_s == pytest.approx(6.5, abs=0.01)
    assert out.results[0].segment_proba.shape == (2, 10)


def test_array_at_other_rate_is_resampled():
    run = sklearn_run()
    entry = only(catalogue.available_models(), run)[0]
    out = streaming.predict_clip(music(9.2, sr=16000), [entry], sr=16000)
    assert out.duration_s == pytest.approx(9.2, abs=0.01)
    assert len(out.segment_starts_s) == 3


@pytest.mark.parametrize("source, message", [
    (music(1.0), "lasts 1.00 s; at least 3 s"),
    (np.zeros(10 * SAMPLE_RATE, dtype=np.float32), "silent"),
    (b"this is not audio at all" * 10, "not a readable audio file"),
    (b"", "empty"),
])
def test_unusable_clips_raise_clear_audio_errors(source, message):
    run = sklearn_run()
    entry = only(catalogue.available_models(), run)[0]
    with pytest.raises(AudioError, match=message):
        streaming.predict_clip(source, [entry])


def test_model_not_fitting_its_feature_is_reported_not_raised():
    bad = sklearn_run("svm", "mfcc", dim=20)     # card says MFCC (60-d) but fitted on 20-d
    good = sklearn_run("knn", "zcr", dim=30)
    out = streaming.predict_clip(music(4.0), only(catalogue.available_models(), bad, good))
    assert [r.run_id for r in out.results] == [good.name]
    assert len(out.failed) == 1 and "expects 20 features" in out.failed[0][1]


def test_loaded_models_are_cached_and_checked():
    run = sklearn_run()
    entry = only(catalogue.available_models(), run)[0]
    first = loading.load_head(entry, "svm")
    assert loading.load_head(entry, "svm") is first
    (run / "svm.skops").write_bytes(b"tampered")           # new mtime: reloaded and checked
    os.utime(run / "svm.skops", (1e9 + 5e8, 2e9))
    with pytest.raises(persistence.ModelFileError, match="checksum"):
        loading.load_head(entry, "svm")


def test_descriptor_model_uses_the_columns_named_in_its_card():
    from core.features.descriptors import DESCRIPTOR_COLUMNS, clip_descriptors

    columns = [c for c in DESCRIPTOR_COLUMNS if c.startswith("mfcc")][::-1]   # 40, reordered
    run = sklearn_run("descriptor_knn", "descriptors", dim=40, extra={"columns": columns})
    bad = sklearn_run("descriptor_knn", "descriptors", dim=2, extra={"columns": ["x", "y"]})
    entries = only(catalogue.available_models(), run, bad)
    y = music(5.0)
    out = streaming.predict_clip(y, entries)
    assert [r.run_id for r in out.results] == [run.name]
    assert "unknown descriptor columns" in out.failed[0][1]
    model = persistence.load_sklearn(run, "knn.skops")
    x = clip_descriptors(y)[[DESCRIPTOR_COLUMNS.index(c) for c in columns]]
    expected = model.predict_proba(x[None])[0]
    np.testing.assert_allclose(out.results[0].clip_proba, expected / expected.sum())


def test_shipped_descriptor_models_on_a_real_clip(real_data):
    """End-to-end on real audio: the clip is in the table the shipped models were fitted on,
    so this checks that descriptors of the raw decoded clip match that table, not accuracy."""
    shipped = [e for e in catalogue.available_models()
               if e.shipped and e.model.startswith("descriptor_")]
    if not shipped:
        pytest.skip("no shipped descriptor model in models/")
    clip = real_data / "gtzan" / "genres_original" / "blues" / "blues.00000.wav"
    if not clip.is_file():
        pytest.skip(f"{clip} is absent")
    out = streaming.predict_clip(clip, shipped)
    assert not out.failed and out.duration_s == pytest.approx(30.0, abs=0.1)
    assert [r.genre for r in out.results] == ["blues"] * len(shipped)


def test_windows_cover_the_clip():
    sr = SAMPLE_RATE
    assert pipeline.descriptor_windows(20 * sr) == [(0, 20 * sr)]
    assert pipeline.descriptor_windows(40 * sr) == [(0, 40 * sr)]
    assert pipeline.descriptor_windows(60 * sr) == [(0, 30 * sr), (30 * sr, 60 * sr)]
    assert pipeline.cnn1d_windows(5 * sr) == [(0, 5 * sr)]
    assert pipeline.cnn1d_windows(31 * sr) == [(0, 15 * sr), (15 * sr, 30 * sr)]


def test_descriptor_only_prediction_does_not_import_tensorflow(tmp_path):
    runs = tmp_path / "runs"
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from core import config
        from core.models import persistence
        from core.prediction import catalogue, streaming
        from core.models.baselines import fit_classifier
        rng = np.random.default_rng(0)
        paths = []
        for model, feature, dim in (("descriptor_svm", "descriptors", 57), ("svm", "mfcc", 60)):
            fit = fit_classifier("svm", rng.standard_normal((40, dim)), np.arange(40) % 10,
                                 groups=np.arange(40), search=False)
            w = persistence.RunWriter(config.runs_dir(), persistence.new_run_id(model))
            w.save_sklearn(fit.model, "svm.skops")
            paths.append(w.commit({"model": model, "feature": feature, "primary": "svm",
                                    "protocol": {}, "metrics": {"svm": {}}}))
        entries = [e for e in catalogue.available_models() if e.path in paths]
        assert len(entries) == 2, entries
        t = np.arange(5 * 22050) / 22050
        out = streaming.predict_clip((0.5 * np.sin(2 * np.pi * 440 * t)).astype("float32"),
                                      entries)
        assert len(out.results) == 2, out.failed
        print("TF_LOADED=" + str(any(m == "tensorflow" or m.startswith("tensorflow.")
                                      or m == "keras" for m in sys.modules)))
    """)
    env = dict(os.environ, GENRELAB_RUNS=str(runs))
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "TF_LOADED=False" in done.stdout


# --- prediction with Keras models ---------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_runs(tmp_path_factory):
    """LSTM (+KNN head), 1D-CNN and toy 2D-CNN run folders in a module-wide runs folder."""
    pytest.importorskip("keras")
    runs = tmp_path_factory.mktemp("keras-runs")
    previous = os.environ.get("GENRELAB_RUNS")
    os.environ["GENRELAB_RUNS"] = str(runs)
    try:
        built = {"lstm": keras_run("lstm", lstm_net, "mfcc", deep_head=True),
                 "cnn1d": keras_run("cnn1d", cnn1d_net, "mfcc_seq"),
                 "cnn2d": keras_run("cnn2d", cnn2d_net, "logmel")}
    finally:
        if previous is None:
            os.environ.pop("GENRELAB_RUNS")
        else:
            os.environ["GENRELAB_RUNS"] = previous
    return runs, built


@pytest.fixture
def keras_entries(keras_runs, monkeypatch):
    """ModelEntry of each Keras run, keyed by model kind."""
    runs, built = keras_runs
    monkeypatch.setenv("GENRELAB_RUNS", str(runs))
    entries = catalogue.available_models()
    return dict(zip(built, only(entries, *built.values())))


def test_keras_models_predict_per_segment_and_per_window(keras_entries):
    lstm = keras_entries["lstm"]
    assert lstm.head == "knn" and lstm.uses_keras and lstm.heads == ("softmax", "knn")
    chosen = [lstm, lstm.with_head("softmax"), keras_entries["cnn1d"], keras_entries["cnn2d"]]
    out = streaming.predict_clip(music(31.0), chosen)
    assert not out.failed, out.failed
    knn, softmax, cnn1d, cnn2d = out.results
    assert knn.label != softmax.label and "(softmax)" in softmax.label
    for result in (knn, softmax, cnn2d):
        assert result.segment_proba.shape == (10, 10)
        np.testing.assert_allclose(result.clip_proba, result.segment_proba.mean(axis=0))
    assert cnn1d.segment_proba is None and cnn1d.windows == 2      # two 15-s windows
    for result in out.results:
        assert result.clip_proba.sum() == pytest.approx(1.0)
    assert out.logmel.shape == (10, 128, 130)


def test_short_clip_gets_one_padded_cnn1d_window(keras_entries):
    out = streaming.predict_clip(music(4.0), [keras_entries["cnn1d"]])
    assert out.results[0].windows == 1 and out.results[0].clip_proba.shape == (10,)


def test_occlusion_map_shape_and_irrelevant_patch(keras_entries):
    entry = keras_entries["cnn2d"]
    image = np.full((128, 130), -60.0, dtype=np.float32)
    image[8:40, 20:60] = 0.0                         # a loud blob in the bins the toy model sees
    heat = explain.occlusion_map(entry, image, genre_index=0)
    assert heat.shape == (128, 130)
    assert np.abs(heat[64:]).max() < 1e-6            # bins 64.. are cropped away by the model
    assert heat[16:32, 26:52].max() > 10 * max(np.abs(heat[64:]).max(), 1e-9)
    assert heat[16:32, 26:52].min() > 0              # hiding the blob lowers genre 0
    with pytest.raises(ValueError, match="2D-CNN"):
        explain.occlusion_map(keras_entries["lstm"], image, 0)


def test_keras_input_mismatch_is_reported(keras_entries, tmp_path):
    entry = keras_entries["lstm"]
    card = dict(entry.card, feature="zcr")            # a 30-step ZCR cannot feed a 60-step LSTM
    wrong = catalogue.ModelEntry(entry.path, card, "wrong feature", "softmax", False)
    out = streaming.predict_clip(music(4.0), [wrong])
    assert not out.results and "expects inputs of shape" in out.failed[0][1]



def test_ranking_prefers_real_data_and_larger_evidence(tmp_path) -> None:
    from core.prediction.catalogue import ModelEntry, rank_key, wilson_lower_bound

    assert wilson_lower_bound(0.56, 290) > wilson_lower_bound(0.7, 10) > 0
    assert wilson_lower_bound(0.5, 0) == 0.0

    def entry(acc: float, n: int, shipped: bool, synthetic: bool) -> ModelEntry:
        card = {"model": "svm", "data": {"synthetic": synthetic},
                "metrics": {"svm": {"test": {"track_accuracy": acc, "n_tracks": n}}}}
        return ModelEntry(tmp_path, card, f"{acc}/{n}/{shipped}/{synthetic}", "svm", shipped)

    ranked = sorted([entry(1.0, 20, False, True), entry(0.56, 290, True, False),
                     entry(0.7, 10, True, False), entry(0.5, 100, False, False)], key=rank_key)
    assert [e.label for e in ranked] == ["0.5/100/False/False", "0.56/290/True/False",
                                         "0.7/10/True/False", "1.0/20/False/True"]


def test_ranking_puts_a_genre_subset_model_after_the_ten_genre_ones(tmp_path) -> None:
    from core.prediction.catalogue import ModelEntry, rank_key

    def entry(acc: float, genres: list[str] | None) -> ModelEntry:
        card = {"model": "svm", "data": {"synthetic": False}, "genres": genres,
                "metrics": {"svm": {"test": {"track_accuracy": acc, "n_tracks": 121}}}}
        return ModelEntry(tmp_path, card, f"{acc}/{len(genres or GENRES)}", "svm", True)

    four = ["blues", "classical", "jazz", "rock"]
    ranked = sorted([entry(0.97, four), entry(0.6, None), entry(0.8, list(GENRES))], key=rank_key)
    assert [e.label for e in ranked] == ["0.8/10", "0.6/10", "0.97/4"]


# --- streaming, fastest first, consensus -----------------------------------------------------


def _result(genre: str, p: float, label: str = "m") -> pipeline.ModelResult:
    """A ModelResult whose genre has probability p (the rest spread evenly)."""
    proba = np.full(len(GENRES), (1.0 - p) / (len(GENRES) - 1))
    proba[GENRES.index(genre)] = p
    return pipeline.ModelResult(label=label, run_id=label, head="svm", model="svm",
                                  clip_proba=proba, segment_proba=None, genre=genre,
                                  elapsed_ms=1.0)


def test_consensus_is_the_majority_and_ties_go_to_the_larger_probability():
    assert streaming.consensus([]) is None
    votes = [_result("rock", 0.6), _result("jazz", 0.9), _result("rock", 0.5)]
    assert streaming.consensus(votes) == ("rock", 2)
    assert streaming.consensus([_result("rock", 0.4), _result("jazz", 0.8)]) == ("jazz", 1)


def test_stream_yields_each_model_fastest_first_and_keeps_the_given_order(monkeypatch):
    slow, fast = sklearn_run("svm", "mfcc"), sklearn_run("knn", "zcr", dim=30)
    entries = only(catalogue.available_models(), slow, fast)
    measured = {(str(slow), "svm"): 500.0, (str(fast), "knn"): 5.0}
    monkeypatch.setattr(pipeline, "_MEASURED_MS", dict(measured))
    stream = streaming.ClipStream(music(7.0), entries)
    assert [e.path for e in stream.pending] == [fast, slow]
    seen = []
    for outcome in stream:
        seen.append(outcome.run_id)
        assert len(stream.pending) == 2 - len(seen)   # one model done per step
        assert [r.run_id for r in stream.prediction().results] == [
            e.run_id for e in entries if e.run_id in seen]
    assert seen == [entries[1].run_id, entries[0].run_id]
    whole = stream.prediction()
    assert [r.run_id for r in whole.results] == [e.run_id for e in entries]
    assert whole.segment_starts_s.tolist() == [0.0, 3.0]


def test_stream_scores_the_headlines_leader_first_then_the_others_fastest_first(monkeypatch):
    """The model that leads the headline (answer.leaders) runs first however slow; while it is
    not loaded the quickest model goes just before it (a first verdict while it loads)."""
    trusted = {"metrics": {"svm": {"test": {"track_accuracy": 0.9, "n_tracks": 100}}}}
    leader = sklearn_run("svm", "mfcc", extra=trusted)
    slow, fast = sklearn_run("svm", "mfcc"), sklearn_run("knn", "zcr", dim=30)
    entries = only(catalogue.available_models(), leader, slow, fast)
    monkeypatch.setattr(pipeline, "_MEASURED_MS", {(str(leader), "svm"): 900.0,
                                                   (str(slow), "svm"): 500.0,
                                                   (str(fast), "knn"): 5.0})
    for warm, expected in ((True, [leader, fast, slow]), (False, [fast, leader, slow])):
        monkeypatch.setattr(streaming, "is_loaded", lambda entry: warm)
        stream = streaming.ClipStream(music(4.0), entries)
        assert [e.path for e in stream.pending] == expected
        urgent, ready = [], []
        for _ in stream:
            urgent.append(stream.urgent)
            ready.append(stream.headline_ready)
        assert [r.run_id for r in stream.prediction().results] == [e.run_id for e in entries]
        assert urgent == ([False, False, False] if warm else [True, False, False])
        assert ready == ([True, True, True] if warm else [False, True, True])


def test_stream_in_turn_puts_only_the_headline_in_the_gates_first_line(monkeypatch):
    """Through a gate, the pieces before the headline ask for the FIRST line, the rest not; the
    gate is not asked once more after the last model."""
    trusted = {"metrics": {"svm": {"test": {"track_accuracy": 0.9, "n_tracks": 100}}}}
    leader, other = sklearn_run("svm", "mfcc", extra=trusted), sklearn_run("knn", "zcr", dim=30)
    entries = only(catalogue.available_models(), leader, other)
    monkeypatch.setattr(streaming, "is_loaded", lambda entry: True)
    asked: list[bool] = []

    class Gate:
        def slot(self, first: bool = False):
            asked.append(first)
            return contextlib.nullcontext()

    outcomes = list(streaming.ClipStream(music(4.0), entries).in_turn(Gate()))
    assert [o.run_id for o in outcomes] == [entries[0].run_id, entries[1].run_id]
    assert asked == [True, False]


def test_stream_reports_a_failing_model_and_goes_on():
    good, bad = sklearn_run("svm", "mfcc"), sklearn_run("svm", "zcr", dim=60)  # zcr gives 30
    entries = only(catalogue.available_models(), good, bad)
    outcomes = list(streaming.ClipStream(music(4.0), entries))
    failures = [o for o in outcomes if isinstance(o, pipeline.ModelFailure)]
    assert len(outcomes) == 2 and len(failures) == 1 and "expects 60 features" in failures[0].reason


def test_expected_ms_counts_loading_and_the_keras_import(monkeypatch):
    run = sklearn_run("svm", "mfcc")
    entry = only(catalogue.available_models(), run)[0]
    monkeypatch.setattr(loading, "_MODEL_CACHE", {})
    monkeypatch.setattr(pipeline, "_MEASURED_MS", {})
    cold = pipeline.expected_ms(entry)
    assert cold == pytest.approx(pipeline.LOAD_COST_MS["sklearn"]
                                 + pipeline.MODEL_COST_MS["sklearn"]
                                 + pipeline.FEATURE_COST_MS["mfcc_stats"])
    streaming.predict_clip(music(4.0), [entry])
    assert catalogue.is_loaded(entry) and pipeline.expected_ms(entry) < cold
    keras_entry = replace(entry, head="softmax", card={**entry.card, "model": "cnn2d"})
    monkeypatch.setattr(pipeline, "keras_imported", lambda: False)
    assert pipeline.expected_ms(keras_entry) >= pipeline.KERAS_IMPORT_MS


def test_features_computed_elsewhere_give_the_same_prediction():
    runs = [sklearn_run("svm", "mfcc"), sklearn_run("knn", "zcr", dim=30),
            sklearn_run("descriptor_svm", "descriptors", dim=57)]
    entries = only(catalogue.available_models(), *runs)
    y = music(7.0)
    here = pipeline.ClipFeatures(y)
    here.prefetch(sorted({pipeline.feature_key(e) for e in entries}))
    moved = pipeline.ClipFeatures(None, here.computed(), here.duration_s, here.n_segments)
    direct = streaming.predict_clip(y, entries)
    stream = streaming.ClipStream(None, entries, features=moved)
    list(stream)
    again = stream.prediction()
    assert again.duration_s == direct.duration_s
    for a, b in zip(again.results, direct.results):
        np.testing.assert_allclose(a.clip_proba, b.clip_proba)
    alone = pipeline.ClipFeatures(y)
    np.testing.assert_array_equal(alone.get("mfcc_stats"), here.get("mfcc_stats"))
