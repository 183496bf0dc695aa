"""Try it page (AppTest): uploads and recordings give predictions; bad clips give messages."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from core.constants import GENRES

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "try_it.py")
TIMEOUT = 180


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder with a 1-epoch 2D-CNN and an SVM on MFCC trained on a tiny demo set."""
    from core.training import config as train_config, runner
    from core.data.datasource import demo_source

    base = tmp_path_factory.mktemp("tryit_runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENRELAB_RUNS", str(base / "runs"))
        mp.setenv("GENRELAB_CACHE", str(base / "cache"))
        mp.setenv("GENRELAB_HOME", str(base / "home"))
        root = demo_source(per_genre=3, seconds=6.0).root
        for model in ("svm", "cnn2d"):
            runner.run_training(train_config.TrainConfig(
                model=model, epochs=1, test_size=0.4, valid_size=0.0, data_path=str(root),
                n_jobs=1, search=False))
    return base / "runs"


@pytest.fixture
def with_models(trained_runs: Path, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's runs folder holding copies of the trained runs."""
    runs = isolated_dirs / "runs"
    shutil.copytree(trained_runs, runs, dirs_exist_ok=True)
    monkeypatch.setenv("GENRELAB_NO_WARMUP", "1")
    return runs


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    """A 16-bit WAV file's bytes (y: samples, or frames x channels)."""
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def music(seconds: float, sr: int = 44100, stereo: bool = True) -> np.ndarray:
    """Chords with a beat of noise bursts: stereo frames x 2 (or mono) at sr Hz."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    beat = (np.mod(t, 0.5) < 0.05) * np.random.default_rng(0).standard_normal(t.size) * 0.3
    y = (y + beat).astype(np.float32)
    return np.stack([y, 0.8 * y], axis=1) if stereo else y


def page() -> AppTest:
    """The Try it page, run once."""
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    """Upload one file through the page's file uploader and rerun."""
    at.file_uploader(key="tryit_upload").upload(name, data, "audio/wav")
    return at.run()


def metric(at: AppTest, label: str) -> str:
    """The value of the st.metric with this label."""
    return next(m.value for m in at.metric if m.label == label)


def test_upload_stereo_44k_predicts_with_every_model(with_models: Path) -> None:
    at = upload(page(), "song.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert metric(at, "Answer") in GENRES
    table = at.dataframe[0].value
    # the user's runs are named "(yours)" beside the shipped ones
    assert {"SVM on MFCC (yours)", "2D-CNN on log-mel (yours)"} <= {m.split(" — ")[0] for m in table["Model"]}
    assert set(table["Genre"]) <= set(GENRES)
    assert all(0.0 < p <= 1.0 for p in table["Probability"])
    # 7 s of sound give two 3-s segments
    assert "2 × 3-s segments" in set(table["Scored on"])
    # beside every verdict: how well that model was measured, with n, protocol and seed
    measured = list(table["Measured (test track accuracy, 95 % CI)"])
    assert all(" test tracks · " in m and " split, seed " in m for m in measured), measured
    assert all(t for t in table["Trained and tested on"])
    assert metric(at, "Clip length") == "7.0 s"
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("What the 2D-CNN" in s or "where the 2D-CNN hears" in s for s in titles)
    assert any("Genre of each 3-s segment" in s for s in titles)
    assert any("Mel-spectrogram of the clip" in s for s in titles)


def test_corrupt_upload_gives_an_error_not_an_exception(with_models: Path) -> None:
    at = upload(page(), "broken.wav", b"RIFF\x00\x00garbage" * 200)
    assert not at.exception
    assert len(at.error) == 1 and "cannot be used" in at.error[0].value
    assert not [m for m in at.metric if m.label == "Answer"]


def test_short_clip_is_refused_with_the_reason(with_models: Path) -> None:
    at = upload(page(), "short.wav", wav_bytes(music(2.0, 22050, stereo=False), 22050))
    assert not at.exception
    assert len(at.error) == 1 and "3 s" in at.error[0].value


def test_silent_clip_is_refused(with_models: Path) -> None:
    at = upload(page(), "silence.wav", wav_bytes(np.zeros(22050 * 5, np.float32), 22050))
    assert not at.exception
    assert len(at.error) == 1 and "silent" in at.error[0].value


def test_too_large_upload_is_refused(with_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core import constants

    data = wav_bytes(music(4.0, 22050, stereo=False), 22050)
    monkeypatch.setattr(constants, "MAX_UPLOAD_BYTES", len(data) - 1)
    at = upload(page(), "big.wav", data)
    assert not at.exception
    assert len(at.error) == 1 and "are accepted" in at.error[0].value
    assert not [m for m in at.metric if m.label == "Answer"]


def test_recording_from_the_browser_is_classified(with_models: Path) -> None:
    at = page()
    at.radio(key="tryit_source").set_value("mic").run()
    assert at.audio_input[0].sample_rate == 22050
    at.audio_input[0].upload("recording.wav", wav_bytes(music(5.0, 22050, stereo=False), 22050))
    at.run()
    assert not at.exception and not at.error
    assert metric(at, "Answer") in GENRES


def test_button_recorder_and_example_render(with_models: Path) -> None:
    at = page()
    at.radio(key="tryit_source").set_value("button").run()
    assert not at.exception
    assert any("Click the microphone" in c.value for c in at.caption)
    at.radio(key="tryit_source").set_value("example").run()
    assert not at.exception and not at.error
    assert metric(at, "Answer") in GENRES


def test_no_model_gives_a_warning(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.prediction import catalogue

    monkeypatch.setattr(catalogue.persistence, "iter_runs", lambda *a, **k: iter(()))
    at = page()
    assert not at.exception
    assert any("No trained model" in w.value for w in at.warning)
    assert not at.file_uploader


def test_a_genre_subset_model_shows_only_its_genres(isolated_dirs: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models import persistence
    from core.training import config as train_config, runner
    from core.data.datasource import demo_source

    monkeypatch.setenv("GENRELAB_NO_WARMUP", "1")
    (isolated_dirs / "no-shipped").mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", isolated_dirs / "no-shipped")
    root = demo_source(per_genre=3, seconds=6.0).root
    runner.run_training(train_config.TrainConfig(
        model="svm", test_size=0.4, valid_size=0.0, data_path=str(root), n_jobs=1, search=False,
        genres=["blues", "jazz", "rock"]))
    at = upload(page(), "song.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["Model"].str.split(" — ").str[0]) == ["SVM on MFCC (3 genres) (yours)"]
    assert table["Genre"].iloc[0] in ("blues", "jazz", "rock")
    assert table["Genres it knows"].iloc[0].startswith("3: cannot answer classical, country")
    bars = next(c.proto.spec for c in at.get("plotly_chart") if "SVM on MFCC (3 genres)" in
                c.proto.spec)
    assert '"jazz"' in bars and '"classical"' not in bars
    assert any("knows blues, jazz, rock" in i.value for i in at.info)


def upload_many(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    """Upload several files at once through the page's file uploader and rerun."""
    uploader = at.file_uploader(key="tryit_upload")
    for name, data in files:
        uploader.upload(name, data, "application/octet-stream")
    return at.run()


def test_several_files_and_a_zip_give_one_row_per_clip(with_models: Path) -> None:
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inside/c.wav", wav_bytes(music(4.0, 22050, stereo=False), 22050))
        zf.writestr("../escape.wav", b"RIFF")
        zf.writestr("nested.zip", b"PK")
        zf.writestr("readme.txt", b"hello")
    at = upload_many(page(), [("a.wav", wav_bytes(music(4.0), 44100)),
                              ("b.wav", wav_bytes(music(5.0, 22050, stereo=False), 22050)),
                              ("empty.wav", b""), ("pack.zip", archive.getvalue())])
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == 7 and list(table.columns[:3]) == ["clip", "consensus", "agreeing"]
    answered = table[table["error"] == ""]
    assert sorted(answered["clip"]) == ["a.wav", "b.wav", "pack.zip/inside/c.wav"]
    assert set(answered["consensus"]) <= set(GENRES)
    refused = dict(zip(table["clip"], table["error"]))
    assert "empty" in refused["empty.wav"]
    assert "out of the archive" in refused["pack.zip/../escape.wav"]
    assert "inside the archive" in refused["pack.zip/nested.zip"]
    assert "not an audio file" in refused["pack.zip/readme.txt"]
    assert len(at.warning) == 4                      # one per refused clip, with its reason
    assert metric(at, "Clips answered") == "3 of 7"
    assert at.get("download_button")                 # the CSV
    assert any("Clips per genre" in c.proto.spec for c in at.get("plotly_chart"))


def test_more_files_than_the_limit_are_refused(with_models: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from core.prediction import batch

    monkeypatch.setattr(batch, "MAX_BATCH_FILES", 1)
    clip = wav_bytes(music(4.0, 22050, stereo=False), 22050)
    at = upload_many(page(), [("a.wav", clip), ("b.wav", clip)])
    assert not at.exception
    errors = dict(zip(at.dataframe[0].value["clip"], at.dataframe[0].value["error"]))
    assert errors["a.wav"] == "" and "limit of 1 clips" in errors["b.wav"]


def test_verdict_and_consensus_lines() -> None:
    from core.prediction.pipeline import ModelFailure, ModelResult
    from pages.verdicts import consensus_text, verdict_text

    proba = np.full(10, 0.05)
    proba[GENRES.index("jazz")] = 0.55
    result = ModelResult("SVM", "r1", "svm", "svm", proba, None, "jazz", 12.3)
    assert verdict_text(result) == "SVM says **jazz** (55%, 12 ms)"
    assert "could not score" in verdict_text(ModelFailure("CNN", "no file"))
    assert "Listening with 3 models" in consensus_text([], 3)
    line = consensus_text([result], 3)
    assert ">jazz<" in line and "1 of 1 so far" in line and "2 still listening" in line
    assert "still listening" not in consensus_text([result], 1)


def test_page_says_what_is_still_warming(with_models: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import core.prediction.warmup
    from pages import loaders

    release = threading.Event()
    monkeypatch.setattr(core.prediction.warmup, "plan", lambda: [
        core.prediction.warmup.WarmUpStep("TensorFlow", lambda: release.wait(30))])
    monkeypatch.delenv("GENRELAB_NO_WARMUP")
    loaders.start_warm_up.clear()
    try:
        at = page()
        assert any("Still warming up" in c.value and "TensorFlow" in c.value for c in at.caption)
        release.set()
        loaders.start_warm_up().thread.join(10)
        at.run()
        assert not any("Still warming up" in c.value for c in at.caption)
    finally:
        release.set()
        loaders.start_warm_up.clear()


def test_no_warming_line_while_only_the_features_page_still_warms(
        with_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import core.prediction.warmup as warmup
    from pages import loaders

    release = threading.Event()
    monkeypatch.setattr(warmup, "plan", lambda: [
        warmup.WarmUpStep(warmup.VIEWS_STEP, lambda: release.wait(30), answers=False)])
    monkeypatch.delenv("GENRELAB_NO_WARMUP")
    loaders.start_warm_up.clear()
    try:
        job = loaders.start_warm_up()
        while not job.planned:
            job.thread.join(0.01)
        at = page()
        assert not job.done                     # librosa still compiling for the Features page
        assert not any("Still warming up" in c.value for c in at.caption)
    finally:
        release.set()
        loaders.start_warm_up.clear()


def test_the_warming_line_is_said_again_once_a_clip_is_analysed(with_models: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    import threading

    import core.prediction.streaming
    import core.prediction.warmup
    from pages import loaders

    release = threading.Event()
    monkeypatch.setattr(core.prediction.warmup, "plan", lambda: [
        core.prediction.warmup.WarmUpStep("TensorFlow", lambda: release.wait(30))])
    monkeypatch.delenv("GENRELAB_NO_WARMUP")
    loaders.start_warm_up.clear()

    class WarmedMeanwhile(core.prediction.streaming.ClipStream):
        """The warm-up ends while the clip is analysed."""

        def __init__(self, *args, **kwargs):
            release.set()
            loaders.start_warm_up().thread.join(10)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(core.prediction.streaming, "ClipStream", WarmedMeanwhile)
    try:
        at = page()
        assert any("Still warming up" in c.value for c in at.caption)
        at = upload(at, "clip.wav", wav_bytes(music(4.0), 44100))
        assert metric(at, "Answer") in GENRES
        assert not any("Still warming up" in c.value for c in at.caption)
    finally:
        release.set()
        loaders.start_warm_up.clear()


def test_an_idle_page_redraws_the_warming_line_until_the_warm_up_ends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import nullcontext

    from pages import loaders, try_it

    class Slot:
        """Stands in for the st.empty that said the line at the start of the run."""

        def __init__(self) -> None:
            self.cleared = 0

        def empty(self) -> None:
            self.cleared += 1

    class Box:
        """Stands in for the st.container holding the line (a block, never an element)."""

        def __init__(self) -> None:
            self.shown: list[str | None] = []

        def __enter__(self):
            self.shown.append("fragment")
            return self

        def __exit__(self, *exc) -> None:
            return None

    fragments: list[float | None] = []
    said: list[str] = []
    reruns: list[str] = []

    def fragment(func, run_every=None):
        fragments.append(run_every)
        return func

    monkeypatch.setattr(try_it.st, "fragment", fragment)
    monkeypatch.setattr(try_it.st, "caption", said.append)
    monkeypatch.setattr(try_it.st, "rerun", lambda scope="app": reruns.append(scope))
    note = {"now": "Still warming up in the background: TensorFlow."}
    monkeypatch.setattr(loaders, "warm_up_note", lambda: note["now"])
    box, slot = Box(), Slot()
    try_it.keep_warming_fresh(box, slot)   # warming: a fragment in the box, redrawn every second
    assert fragments == [try_it.WARMING_REFRESH_S] and box.shown == ["fragment"]
    assert said == [note["now"]] and reruns == [] and slot.cleared == 1   # said once, not twice
    note["now"] = None
    try_it.warming_tick()             # the first tick after the warm-up: the whole page once
    assert reruns == ["app"] and len(said) == 1   # nothing more said
    try_it.keep_warming_fresh(box, slot)   # that run: the line cleared, no fragment, no timer
    assert fragments == [try_it.WARMING_REFRESH_S] and box.shown == ["fragment"]
    assert slot.cleared == 2
    monkeypatch.setattr(try_it.st, "session_state", {"tryit_source": "live"})
    try_it.warming_tick()             # listening live: no whole-page rerun from a fragment
    assert reruns == ["app"] and len(said) == 1


@pytest.fixture
def musicnn_and_svm(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runs folder (no shipped models) with a musicnn+SVM and an SVM on MFCC, 3 genres."""
    from core.models import persistence
    from core.training import config as train_config, runner
    from core.data.datasource import demo_source

    monkeypatch.setenv("GENRELAB_NO_WARMUP", "1")
    (isolated_dirs / "no-shipped").mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", isolated_dirs / "no-shipped")
    root = demo_source(per_genre=3, seconds=6.0).root
    for model in ("musicnn", "svm"):
        runner.run_training(train_config.TrainConfig(
            model=model, test_size=0.4, valid_size=0.0, data_path=str(root), n_jobs=1,
            search=False, genres=["blues", "classical", "rock"]))
    return isolated_dirs / "runs"


def test_musicnn_shows_the_networks_own_tags_beside_the_genre(musicnn_and_svm: Path) -> None:
    from core.models import musicnn_net

    at = upload(page(), "song.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = list(at.dataframe[0].value["Model"].str.split(" — ").str[0])
    assert "musicnn+SVM on MSD embeddings (3 genres) (yours)" in labels
    assert any(s.value == "What the pretrained network hears" for s in at.subheader)
    line = next(m.value for m in at.markdown if "MSD tags: " in m.value)
    shown = [part.rsplit(" ", 1)[0] for part in line.split("MSD tags: ")[1].split(", ")]
    assert len(shown) == 5 and all(tag in musicnn_net.MSD_TAGS for tag in shown)


def test_damaged_musicnn_weights_give_a_message_and_the_others_answer(
        musicnn_and_svm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models import musicnn_weights
    from core.models import musicnn_net

    folder = tmp_path / "weights"
    shutil.copytree(musicnn_weights.WEIGHTS_DIR, folder)
    path = folder / musicnn_weights.WEIGHTS_NAME
    path.write_bytes(path.read_bytes()[:-100])
    monkeypatch.setattr(musicnn_net, "weights_path", lambda: path)
    musicnn_net._forward.cache_clear()
    at = upload(page(), "song.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception and not at.error, [e.value for e in at.error]
    warning = next(w.value for w in at.warning if "could not score" in w.value)
    assert warning.startswith("musicnn+SVM") and "damaged" in warning
    labels = list(at.dataframe[0].value["Model"].str.split(" — ").str[0])
    assert labels == ["SVM on MFCC (3 genres) (yours)"]
    assert not any(s.value == "What the pretrained network hears" for s in at.subheader)


def test_verdict_table_is_best_first_by_the_lower_end_of_the_interval() -> None:
    from core.prediction.catalogue import trust
    from core.prediction.pipeline import ClipPrediction
    from pages.verdicts import summary_table
    from tests.test_answer import FOUR, entry, result

    # the catalogue ranks 10-genre models before 4-genre ones; the table's caption promises
    # the lower end of the measured interval, whatever the genres
    entries = [entry("ten weak", 0.40, 50), entry("ten strong", 0.70, 300),
               entry("four", 0.95, 120, genres=FOUR)]
    results = [result(e.label, "rock", e.genres) for e in entries]
    table = summary_table(ClipPrediction(30.0, np.zeros(10), results, []), entries)
    assert list(table["Model"]) == ["four", "ten strong", "ten weak"]
    lows = [trust(next(e for e in entries if e.label == m)) for m in table["Model"]]
    assert lows == sorted(lows, reverse=True)
    shown = [float(t.split("(")[1].split("%")[0]) for t in
             table["Measured (test track accuracy, 95 % CI)"]]
    assert shown == sorted(shown, reverse=True)   # the printed lower ends agree


def test_a_batch_lists_a_file_once_and_opens_one_clip_in_detail(with_models: Path) -> None:
    """The same file twice is one row; a clip of the table opens its detail."""
    clip = wav_bytes(music(4.0, 22050, stereo=False), 22050)
    other = wav_bytes(music(5.0, 22050, stereo=False), 22050)
    at = upload_many(page(), [("a.wav", clip), ("b.wav", other), ("a.wav", clip)])
    assert not at.exception
    table = at.dataframe[0].value
    assert sorted(table["clip"]) == ["a.wav", "b.wav"]
    assert any("listed once: a.wav" in c.value for c in at.caption)
    counts = next(c.proto.spec for c in at.get("plotly_chart") if "Clips per genre" in c.proto.spec)
    assert '"dtick":1' in counts.replace(" ", "")
    at.selectbox(key="tryit_batch_pick").set_value("b.wav").run()
    assert not at.exception
    assert any(s.value == "Genre along the clip" for s in at.subheader)
    assert any("tryit_timeline" == (c.key if hasattr(c, "key") else None) or
               "3-s segment" in c.proto.spec for c in at.get("plotly_chart"))
    assert metric(at, "Clip length").startswith("5.")


@pytest.mark.parametrize("state", ["denied", "none", "unsupported"])
def test_listen_live_without_a_microphone_says_why_and_offers_the_recorders(
        state: str, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import live

    monkeypatch.setenv("GENRELAB_NO_WARMUP", "1")
    monkeypatch.setattr(live, "mic_state", lambda: state)   # what the browser's probe said
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["tryit_source"] = "live"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [live.NO_MIC[state]]
    offered = {b.label: b for b in at.button if b.label.endswith(" instead")}
    assert set(offered) == {"Record in the browser instead", "Record with a button instead",
                            "Upload a file instead"}
    offered["Upload a file instead"].click().run()
    assert at.session_state["tryit_source"] == "upload"
    assert live.live.live_task_count() == 0   # nothing listens


def _edit_card(run: Path, **changes) -> None:
    """Rewrite a run's card.json with changes (the card is outside the run's checksums)."""
    import json

    card = json.loads((run / "card.json").read_text())
    for key, value in changes.items():
        if key == "test":
            for head in card["metrics"]:
                card["metrics"][head]["test"].update(value)
        elif key == "synthetic":
            card["data"]["synthetic"] = value
        else:
            card[key] = value
    (run / "card.json").write_text(json.dumps(card))


#: the demo 2D-CNN's label once moved among the shipped models (leader_not_first)
SHIPPED_CNN = "2D-CNN on log-mel (yours) (shipped)"
OUTSIDE = {"set": "xd-dev (49 clips outside GTZAN: 4Q/Emotify)", "n": 49, "correct": 20,
           "accuracy": 20 / 49, "ci_low": 0.282, "ci_high": 0.548,
           "per_genre": {g: {"correct": 3, "n": 7, "answered": 5} for g in GENRES}}


@pytest.fixture
def leader_not_first(with_models: Path, isolated_dirs: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo 2D-CNN as a shipped model with a high trust and an outside record, and the demo
    SVM as a user's run with a low one: the list shows the user's run first (rank_key), the
    answer is the shipped 2D-CNN's (the most trusted)."""
    import json

    from core.models import persistence

    shipped = isolated_dirs / "shipped"
    shipped.mkdir()
    for run in list(with_models.iterdir()):
        card = json.loads((run / "card.json").read_text())
        if card["model"] == "cnn2d":
            shutil.move(str(run), shipped / run.name)
            _edit_card(shipped / run.name, synthetic=False, outside=OUTSIDE,
                       test={"track_accuracy": 0.9, "n_tracks": 100})
        else:
            _edit_card(run, synthetic=False, test={"track_accuracy": 0.5, "n_tracks": 20})
    monkeypatch.setattr(persistence, "MODELS_DIR", shipped)
    return shipped


def test_the_answer_carries_its_figures_in_and_outside_gtzan(leader_not_first: Path) -> None:
    at = upload(page(), "song.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception and not at.error
    genre = metric(at, "Answer")
    said = next(m.value for m in at.markdown if m.value.startswith("The answer is"))
    assert f"{SHIPPED_CNN}, the model most trusted on music from outside GTZAN" in said
    inside = next(m for m in at.metric if m.label == "In GTZAN")
    outside = next(m for m in at.metric if m.label == "Outside GTZAN")
    assert (inside.value, outside.value) == ("90%", "41%")
    assert "of 100 tracks" in inside.delta and outside.delta == "(28%–55%) of 49 clips"
    line = f"outside GTZAN (xd-dev) it recognised 3 of 7 {genre} clips; its {genre} answers " \
           "were right 3 of 5 times"
    assert any(line in m.value for m in at.markdown), [m.value for m in at.markdown]
    # the timeline opens on the model that answered, not on the first one listed
    timeline = at.selectbox(key="tryit_timeline_model")
    assert timeline.options[0] != SHIPPED_CNN                 # listed after the user's run
    assert timeline.value == SHIPPED_CNN


def test_models_agreeing_leaves_out_models_that_cannot_answer(leader_not_first: Path) -> None:
    from core.data.datasource import demo_source
    from core.training import config as train_config, runner

    root = demo_source(per_genre=3, seconds=6.0).root
    runner.run_training(train_config.TrainConfig(   # a 3-genre run: it cannot answer the others
        model="svm", test_size=0.4, valid_size=0.0, data_path=str(root), n_jobs=1, search=False,
        genres=["blues", "jazz", "rock"]))
    at = upload(page(), "song.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception
    genre = metric(at, "Answer")
    table = at.dataframe[0].value
    able = [row for _, row in table.iterrows() if row["Genres it knows"] == "all 10"
            or genre not in row["Genres it knows"]]
    agree = sum(row["Genre"] == genre for row in able)
    assert metric(at, "Models agreeing") == f"{agree} of {len(able)}"
    if genre not in ("blues", "jazz", "rock"):
        assert len(able) == len(table) - 1


def test_a_file_that_is_not_audio_leaves_no_player(with_models: Path) -> None:
    at = upload(page(), "notes.wav", b"these are my notes, not a recording" * 40)
    assert not at.exception
    assert len(at.error) == 1 and "cannot be used" in at.error[0].value
    assert not at.get("audio")          # no broken 0:00 player for it


def test_a_known_gtzan_clip_names_the_models_that_trained_on_it(
        leader_not_first: Path) -> None:
    import json

    cnn = next(leader_not_first.iterdir())
    train = json.loads((cnn / "card.json").read_text())["protocol"]["train"]
    for run in (leader_not_first.parent / "runs").iterdir():   # the user's SVM did not see it
        card = json.loads((run / "card.json").read_text())
        _edit_card(run, protocol={**card["protocol"], "train": []})
    at = upload(page(), f"{train[0]}.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception
    warned = [w.value for w in at.warning if "is a GTZAN clip" in w.value]
    assert warned and SHIPPED_CNN in warned[0]
    said = next(m.value for m in at.markdown if m.value.startswith("The answer is"))
    assert not said.split("</b>: ", 1)[1].startswith(SHIPPED_CNN)
    assert "trained on this very clip was not allowed to lead" in said


def test_a_clip_alone_and_in_a_zip_is_counted_once(with_models: Path) -> None:
    import zipfile

    clip = wav_bytes(music(4.0, 22050, stereo=False), 22050)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("blues.00001.wav", clip)
        zf.writestr("other.wav", wav_bytes(music(5.0, 22050, stereo=False), 22050))
    at = upload_many(page(), [("blues.00001.wav", clip), ("pack.zip", archive.getvalue())])
    assert not at.exception
    table = at.dataframe[0].value
    assert sorted(table["clip"]) == ["blues.00001.wav", "pack.zip/other.wav"]
    assert any("listed once: pack.zip/blues.00001.wav" in c.value for c in at.caption)
    said = " ".join(c.value for c in at.caption)
    assert "most trusted model" in said and "weighed" not in said


def test_a_choice_of_models_answers_and_stopped_runs_are_left_out_by_default(
        with_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models import persistence

    (with_models.parent / "no-shipped").mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", with_models.parent / "no-shipped")
    svm = next(p for p in with_models.iterdir() if "SVM" in p.name)
    stopped = with_models / (svm.name + "-stopped")
    shutil.copytree(svm, stopped)
    _edit_card(stopped, run_id=stopped.name, stop_note="stopped by you at epoch 1 of 40")
    at = page()
    assert not at.exception
    summary = [e.label for e in at.expander if "ready" in e.label]
    assert summary == ["3 models ready · 2 answer"]       # one short line, not a list of names
    choice = at.multiselect(key="tryit_models")
    assert len(choice.options) == 3 and len(choice.value) == 2
    assert not any("stopped by you" in label for label in choice.value)
    choice.set_value([label for label in choice.value if "SVM" in label]).run()
    at = upload(at, "song.wav", wav_bytes(music(7.0), 44100))
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 1                 # only the chosen model answered


def test_live_fragments_redraw_themselves_only_once_the_stream_plays(
        with_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the stream is set up (signalling), streamlit-webrtc reruns the whole page; a
    fragment's timed redraw among those runs broke the page, so no fragment is timed then."""
    from types import SimpleNamespace

    import streamlit
    import streamlit_webrtc

    from core.models import persistence
    from core.prediction import live
    from pages import live as live_page

    (with_models.parent / "no-shipped").mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", with_models.parent / "no-shipped")
    state = SimpleNamespace(playing=False, signalling=True)
    monkeypatch.setattr(live_page, "mic_state", lambda: "ok")
    monkeypatch.setattr(streamlit_webrtc, "create_audio_sink_track", lambda *a, **k: None)
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", lambda **k: SimpleNamespace(
        state=state))
    timed: list[dict[str, float | None]] = []
    real_fragment = streamlit.fragment

    def fragment(body, run_every=None):
        timed[-1][getattr(body, "func", body).__name__] = run_every
        return real_fragment(body, run_every=run_every)

    monkeypatch.setattr(streamlit, "fragment", fragment)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["tryit_source"] = "live"
    try:
        timed.append({})
        at.run()                                             # signalling: the session starts
        assert not at.exception and live.live_task_count() == 1
        timed.append({})
        at.run()                                             # still signalling
        assert timed[-1] and all(every is None for every in timed[-1].values())
        state.playing, state.signalling = True, False
        timed.append({})
        at.run()                                             # playing: every live part redraws
        assert timed[-1]["show_answer"] == live_page.ANSWER_REFRESH_S
        assert timed[-1]["keep_controls"] == live_page.TIMELINE_REFRESH_S
    finally:
        live.stop_all()


def test_keep_this_wakes_up_while_listening_and_keeps_the_last_30_s_after_stop(
        with_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listen live's "Keep this" was checked only when the page was drawn: it never enabled while
    the music played (only its fragments redraw then), and after Stop the session was gone."""
    from types import SimpleNamespace

    import streamlit
    import streamlit_webrtc

    from core.constants import SAMPLE_RATE
    from core.models import persistence
    from core.prediction import live
    from pages import live as live_page

    (with_models.parent / "no-shipped").mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", with_models.parent / "no-shipped")
    playing = {"now": True}
    monkeypatch.setattr(live_page, "mic_state", lambda: "ok")
    monkeypatch.setattr(streamlit_webrtc, "create_audio_sink_track", lambda *a, **k: None)
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", lambda **k: SimpleNamespace(
        state=SimpleNamespace(playing=playing["now"], signalling=False)))
    refreshed: dict[str, float | None] = {}
    real_fragment = streamlit.fragment

    def fragment(body, run_every=None):
        refreshed[getattr(body, "func", body).__name__] = run_every
        return real_fragment(body, run_every=run_every)

    monkeypatch.setattr(streamlit, "fragment", fragment)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["tryit_source"] = "live"
    at.run()
    svm = [label for label in at.multiselect(key="tryit_models").options if "SVM" in label]
    at.multiselect(key="tryit_models").set_value(svm).run()
    try:
        assert not at.exception
        keep = at.button(key="tryit_live_keep")
        assert keep.disabled                                   # nothing heard yet
        # the buttons are redrawn with the live refresh, not only when the page is drawn
        assert refreshed.get("keep_controls") is not None
        session = live.session(at.session_state["tryit_live_key"])
        session.push(music(4.0, SAMPLE_RATE, stereo=False), SAMPLE_RATE)
        playing["now"] = False                                 # Stop
        at.run()
        assert not at.exception and live.live_task_count() == 0
        keep = at.button(key="tryit_live_keep")
        assert not keep.disabled                               # the stopped session's audio
        keep.click().run()
        assert not at.exception and not at.error
        assert metric(at, "Answer") in GENRES
        assert metric(at, "Clip length").startswith("4.")
    finally:
        live.stop_all()
