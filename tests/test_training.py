"""Training runner: cards, events, augmentation on the training side only, stop flag, background jobs."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.data import demo
from core.features import augment, study
from core.models import persistence
from core.models import fitting
from core.training import config as train_config, events, jobs as training_jobs, plan as run_plan, runner
from core.data.gtzan import DatasetError, list_tracks
from core.models.persistence import ModelFileError

#: tiny runs: 30 six-second demo clips, 10 test tracks, validation carved from the training side
TINY = {"test_size": 0.34, "valid_size": 0.0, "n_jobs": 1, "batch_size": 16}
JOB_TIMEOUT_S = 120.0


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 3-clips-per-genre, 6-s demo set written once, and a feature cache shared by the module."""
    base = tmp_path_factory.mktemp("tiny")
    root = demo.write_demo_set(base / "demo", per_genre=3, seconds=6)
    return {"root": root, "cache": base / "cache"}


@pytest.fixture
def tiny(tiny_set: dict[str, Path], isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny demo set's folder, with the module's feature cache (runs stay per test)."""
    monkeypatch.setenv("GENRELAB_CACHE", str(tiny_set["cache"]))
    return tiny_set["root"]


def _config(root: Path, **kw: object) -> train_config.TrainConfig:
    return train_config.TrainConfig(data_path=str(root), **{**TINY, **kw})


def _wait(job_id: str, until: callable, timeout: float = JOB_TIMEOUT_S) -> training_jobs.JobInfo:
    """Poll a job until until(info, events) is true; fail with its log after timeout s."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        info = training_jobs.job_status(job_id)
        if until(info, training_jobs.read_events(job_id)):
            return info
        time.sleep(0.1)
    log = (info.path / "log.txt").read_text(errors="replace")[-2000:]
    pytest.fail(f"job {job_id} did not get there in {timeout} s: {info}\n{log}")


# --- configuration ---------------------------------------------------------------------------


def test_config_defaults_and_validation() -> None:
    assert train_config.TrainConfig(model="cnn2d").feature == "logmel"
    assert train_config.TrainConfig(model="lstm", feature="mfcc_stats").feature == "mfcc"
    assert train_config.TrainConfig(model="svm", feature="zcr").feature_kind == "zcr"
    with pytest.raises(fitting.TrainingError, match="unknown model"):
        train_config.TrainConfig(model="gru")
    with pytest.raises(fitting.TrainingError, match="takes feature"):
        train_config.TrainConfig(model="cnn1d", feature="zcr")
    assert not any(train_config.TrainConfig(model="lstm", augment={"pitch_shift": True}).augment.values())
    with pytest.raises(ValueError, match="unknown augmentation"):
        train_config.TrainConfig(model="cnn2d", augment={"reverb": True})
    with pytest.raises(fitting.TrainingError, match="epochs"):
        train_config.TrainConfig(epochs=0)
    with pytest.raises(fitting.TrainingError, match="unknown training setting"):
        train_config.TrainConfig.from_dict({"model": "svm", "colour": "red"})
    conf = train_config.TrainConfig(model="cnn2d", augment={"slicing": True}, data_path=Path("/x"))
    again = train_config.TrainConfig.from_dict(json.loads(json.dumps(conf.to_dict())))
    assert again == conf and again.augment["slicing"] and not again.augment["white_noise"]


def test_class_weights_only_when_unbalanced() -> None:
    assert fitting.class_weights(np.repeat(np.arange(10), 3)) is None
    weights = fitting.class_weights(np.array([0, 0, 0, 1]))
    assert weights[0] == pytest.approx(4 / 6) and weights[1] == pytest.approx(2.0)
    assert weights[5] == 1.0


def test_genres_are_parsed_checked_and_ordered() -> None:
    assert train_config.TrainConfig(genres="rock, blues,JAZZ").genres == ["blues", "jazz", "rock"]
    assert train_config.TrainConfig(genres=[]).genres is None
    with pytest.raises(fitting.TrainingError, match="unknown genre"):
        train_config.TrainConfig(genres="blues,polka")
    with pytest.raises(fitting.TrainingError, match="at least two genres"):
        train_config.TrainConfig(genres=["blues"])
    conf = train_config.TrainConfig(genres=["jazz", "blues"])
    assert train_config.TrainConfig.from_dict(json.loads(json.dumps(conf.to_dict()))) == conf


def test_genre_plan_names_every_genre_short_of_tracks() -> None:
    from core.data.splits import Split

    split = Split("artist-filtered", None,
                  train=("blues.00000", "blues.00001", "jazz.00000", "jazz.00001", "pop.00000"),
                  valid=("blues.00002", "jazz.00002", "metal.00000"),
                  test=("blues.00003", "jazz.00003", "metal.00001"))
    plan = run_plan.plan_genres(split, "svm", asked=("blues", "jazz", "metal", "pop", "rock"))
    assert plan.genres == ("blues", "jazz", "pop")
    assert plan.split.test == ("blues.00003", "jazz.00003") and "metal.00000" not in plan.split.valid
    assert plan.split.notes["left_out"] == 2
    text = "\n".join(plan.notes)
    assert "rock: chosen, but no clip of it is on the split; left out" in text
    assert "metal: no training track" in text and "1 validation and 1 test track(s)" in text
    assert "pop: no test track; learned from 1 training track(s)" in text
    assert "pop: no validation track" in text
    assert "pop: a single training track" in text
    with pytest.raises(fitting.TrainingError, match="only 1 genre"):
        run_plan.plan_genres(Split("random-track", 1, ("rock.00000",), (), ("pop.00001",)), "svm")


def test_expand_proba_places_the_label_set_columns() -> None:
    out = fitting.expand_proba(np.array([[0.25, 0.75]]), ("classical", "rock"))
    assert out.shape == (1, 10) and out[0, 1] == 0.25 and out[0, 9] == 0.75 and out.sum() == 1


def test_epoch_seconds_leaves_out_the_first_epoch() -> None:
    assert fitting.epoch_seconds([]) == 0.0
    assert fitting.epoch_seconds([9.0]) == 9.0
    assert fitting.epoch_seconds([9.0, 2.0, 3.0, 2.5]) == 2.5


def test_paper_keys() -> None:
    assert train_config.paper_key("svm", "zcr", "svm") == "svm_zcr"
    assert train_config.paper_key("lstm", "mfcc", "knn") == "lstm_knn_mfcc"
    assert train_config.paper_key("lstm", "mfcc", "softmax") is None
    assert train_config.paper_key("cnn2d", "logmel", "softmax") == "cnn2d_mel"
    assert train_config.paper_key("cnn1d", "mfcc_seq", "softmax") == "cnn1d_mfcc"
    assert train_config.paper_key("bilstm", "mfcc", "svm") is None


class _FakeModel:
    """Stands in for a Keras model: weights are one array holding the epoch they were taken at."""

    def __init__(self) -> None:
        self.epoch = 0
        self.stop_training = False
        self.restored: list | None = None

    def get_weights(self) -> list:
        return [np.array([self.epoch])]

    def set_weights(self, weights: list) -> None:
        self.restored = weights


@pytest.mark.parametrize("start_from,stop_after", [(0, 4), (4, 6)])
def test_monitor_early_stopping_restores_best(start_from: int, stop_after: int) -> None:
    events: list[dict] = []
    monitor = fitting._make_monitor(fitting.Emitter([events.append]), fitting.StopFlag(),
                                     epochs=10, patience=2, monitor="val_loss",
                                     start_from_epoch=start_from)
    model = _FakeModel()
    monitor.set_model(model)
    losses = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    for epoch, loss in enumerate(losses):
        model.epoch = epoch + 1
        monitor.on_epoch_begin(epoch)
        monitor.on_epoch_end(epoch, {"loss": loss, "accuracy": 0.5, "val_loss": loss,
                                     "val_accuracy": 0.5})
        if model.stop_training:
            break
    monitor.on_train_end()
    assert len(monitor.history) == stop_after and monitor.stopped_by_patience
    assert monitor.best_epoch == 2 and model.restored[0][0] == 2
    assert events[-1]["type"] == "epoch" and events[-1]["eta_s"] == 0


# --- in-process runs ---------------------------------------------------------------------------


def test_svm_run_card(tiny: Path) -> None:
    events: list[dict] = []
    run_dir = runner.run_training(_config(tiny, model="svm", feature="zcr"), [events.append])
    assert run_dir.parent == Path(os.environ["GENRELAB_RUNS"])
    card = persistence.load_card(run_dir)
    assert card["model"] == "svm" and card["feature"] == "zcr" and card["primary"] == "svm"
    assert card["name"] == "SVM on ZCR (yours)" and set(card["files"]) == {"svm.skops"}
    assert card["stopped_by_user"] is False and card["stop_note"] is None
    assert card["data"]["synthetic"] is True and card["data"]["n_tracks"] == 30
    assert card["protocol"]["label"].startswith("random-track, seed 42")
    assert len(card["protocol"]["test"]) == 10 and not set(card["protocol"]["test"]) & set(
        card["protocol"]["train"])
    test = card["metrics"]["svm"]["test"]
    assert test["n_tracks"] == 10 and test["n_segments"] == 20
    assert np.array(test["segment"]["confusion"]).sum() == 20
    assert len(test["track"]["precision"]) == 10 and len(test["track"]["recall"]) == 10
    assert card["paper"] == {"svm": "svm_zcr"} and card["elapsed_s"] > 0
    assert [e["type"] for e in events][0] == "start" and events[-1]["type"] == "done"
    assert events[-1]["run_dir"] == str(run_dir)
    model = persistence.load_sklearn(run_dir, "svm.skops")
    assert model.predict_proba(np.zeros((1, 30))).shape[1] == 10


def test_lstm_run_has_three_heads_on_128_d_feature(tiny: Path) -> None:
    events: list[dict] = []
    conf = _config(tiny, model="lstm", feature="mfcc", epochs=2, search=False)
    run_dir = runner.run_training(conf, [events.append])
    card = persistence.load_card(run_dir)
    assert set(card["metrics"]) == {"softmax", "svm", "knn"}
    assert set(card["files"]) == {"model.keras", "svm.skops", "knn.skops"}
    assert card["heads"]["svm"]["deep_feature_dim"] == 128
    assert card["primary"] in card["metrics"] and card["input_shape"] == [60, 1]
    assert 1 <= len(card["history"]) <= 2
    assert set(card["history"][0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy",
                                       "elapsed_s", "epoch_s"}
    assert "carved" in card["validation"]["source"] and card["validation"]["tracks"]
    assert not set(card["validation"]["tracks"]) & set(card["protocol"]["test"])
    epochs = [e for e in events if e["type"] == "epoch"]
    assert epochs and all(e["epochs"] == 2 and e["eta_s"] >= 0 and e["val_loss"] is not None
                          for e in epochs)
    from core.models import networks

    model = networks.load_model(run_dir / "model.keras")
    x = np.random.default_rng(0).normal(size=(3, 60, 1)).astype(np.float32)
    assert networks.deep_features(model, x).shape == (3, 128)
    head = persistence.load_sklearn(run_dir, "svm.skops")
    assert head.predict_proba(networks.deep_features(model, x)).shape[0] == 3


def test_genre_subset_run_knows_its_label_set(tiny: Path) -> None:
    from core.prediction import catalogue, streaming
    from tests.conftest import tone

    events: list[dict] = []
    conf = _config(tiny, model="lstm", feature="zcr", epochs=2, search=False,
                   genres=["blues", "jazz", "rock"])
    run_dir = runner.run_training(conf, [events.append])
    card = persistence.load_card(run_dir)
    assert card["genres"] == ["blues", "jazz", "rock"] and card["name"].endswith("(3 genres) (yours)")
    assert card["data"]["n_tracks"] == 9 and "3 genres present" in card["protocol"]["label"]
    assert card["data"]["clips_per_genre"] == {"blues": 3, "jazz": 3, "rock": 3}
    assert card["data"]["format"] == "wav"
    test = card["metrics"]["softmax"]["test"]
    rows = np.array(test["track"]["confusion"]).sum(axis=1)
    assert rows.sum() == test["n_tracks"] and set(np.flatnonzero(rows)) <= {0, 5, 9}
    from core.models import networks

    assert networks.load_model(run_dir / "model.keras").output_shape[-1] == 3
    entry = next(m for m in catalogue.available_models() if m.path == run_dir)
    assert entry.cannot_answer == ("classical", "country", "disco", "hiphop", "metal", "pop",
                                   "reggae")
    for head in entry.heads:
        result = streaming.predict_clip(tone(440, 4.0), models=[entry.with_head(head)]).results[0]
        assert result.genres == ("blues", "jazz", "rock") and result.genre in result.genres
        assert list(result.proba_by_genre()) != [] and set(result.proba_by_genre()) == {
            "blues", "jazz", "rock"}
        assert result.clip_proba.sum() == pytest.approx(1.0)
        assert result.clip_proba[[1, 2, 3, 4, 6, 7, 8]].sum() == 0


def test_unbalanced_svm_run_weights_its_classes(tiny: Path) -> None:
    conf = _config(tiny, model="svm", feature="zcr", search=False,
                   genres=["blues", "classical"], test_size=0.5)
    card = persistence.load_card(runner.run_training(conf))
    assert card["genres"] == ["blues", "classical"]
    counts = np.bincount([0 if t.startswith("blues") else 1 for t in card["protocol"]["train"]])
    assert counts.min() != counts.max() and card["svm_class_weight"] == "balanced"
    conf.class_weight = False
    assert persistence.load_card(runner.run_training(conf))["svm_class_weight"] is None


def test_cnn1d_uses_one_example_per_track(tiny: Path) -> None:
    run_dir = runner.run_training(_config(tiny, model="cnn1d", epochs=1))
    card = persistence.load_card(run_dir)
    test = card["metrics"]["softmax"]["test"]
    assert test["n_segments"] == test["n_tracks"] == 10
    assert card["feature"] == "mfcc_seq" and card["n_examples"]["test"] == 10


def test_cnn2d_augments_training_batches_only(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[np.ndarray] = []
    real = augment.augment_batch

    def spy(batch: np.ndarray, options: augment.AugmentOptions, rng: np.random.Generator):
        seen.append(np.array(batch, copy=True))
        return real(batch, options, rng)

    monkeypatch.setattr(augment, "augment_batch", spy)
    conf = _config(tiny, model="cnn2d", epochs=1,
                   augment={"pitch_shift": True, "white_noise": True, "slicing": True})
    fs = study.extract_tracks(list_tracks(tiny), ["logmel"], n_jobs=1, progress=False)
    split = run_plan.make_split(conf, list(fs.track_ids))
    train_ids, valid_ids = run_plan.carve_validation(split.train, conf.seed)
    rows = {name: {r.tobytes() for r in fs.subset(ids)["logmel"].astype(np.float32)}
            for name, ids in (("train", train_ids), ("valid", valid_ids), ("test", split.test))}
    test_before = fs.subset(split.test)["logmel"].copy()
    run_dir = runner.run_training(conf)
    assert seen, "augmentation was never called"
    fed = {r[..., 0].astype(np.float32).tobytes() for batch in seen for r in batch}
    assert len(fed) == len(rows["train"]) and fed <= rows["train"]
    assert not fed & rows["valid"] and not fed & rows["test"]
    np.testing.assert_array_equal(fs.subset(split.test)["logmel"], test_before)
    card = persistence.load_card(run_dir)
    assert card["config"]["augment"]["slicing"] and card["metrics"]["softmax"]["test"]["n_tracks"] == 10


def test_stop_event_keeps_best_weights_and_saves(tiny: Path) -> None:
    stop = threading.Event()
    events: list[dict] = []

    def on_event(event: dict) -> None:
        events.append(event)
        if event["type"] == "epoch":
            stop.set()

    conf = _config(tiny, model="lstm", feature="mfcc", epochs=50, patience=50, search=False)
    run_dir = runner.run_training(conf, [on_event], stop)
    card = persistence.load_card(run_dir)
    assert card["stopped_early"] and card["stop_reason"] == "stop requested"
    assert card["epochs_run"] == 1 and card["best_epoch"] == 1
    assert events[-1]["type"] == "stopped" and events[-1]["run_dir"] == str(run_dir)
    # a stopped run says so in its card and its name, never a shipped model's name
    assert card["stopped_by_user"] and card["stop_note"] == "stopped by you at epoch 1 of 50"
    assert card["name"] == "LSTM on MFCC — stopped by you at epoch 1 of 50 (yours)"
    assert "stopped by you at epoch 1 of 50" in events[-1]["message"]
    from core.models import networks

    assert networks.load_model(run_dir / "model.keras").output_shape == (None, 10)


def test_stop_before_training_saves_nothing(tiny: Path) -> None:
    stop = threading.Event()
    stop.set()
    events: list[dict] = []
    with pytest.raises(fitting.TrainingStopped, match="nothing was trained"):
        runner.run_training(_config(tiny, model="svm"), [events.append], stop)
    assert events[-1]["type"] == "stopped"
    runs = Path(os.environ["GENRELAB_RUNS"])
    assert not runs.exists() or not any(runs.iterdir())


def test_errors_are_reported_as_events(tmp_path: Path, tiny: Path) -> None:
    events: list[dict] = []
    with pytest.raises(DatasetError, match="does not exist"):
        runner.run_training(_config(tmp_path / "nowhere", model="svm"), [events.append])
    assert events[-1]["type"] == "error" and "does not exist" in events[-1]["message"]
    with pytest.raises(fitting.TrainingError, match="splits_path"):
        runner.run_training(_config(tiny, model="svm", protocol="artist-filtered"))


def test_artist_filtered_protocol_uses_list_files(tiny: Path, tmp_path: Path) -> None:
    ids = [t.track_id for t in list_tracks(tiny)]
    sides = {"train": [i for i in ids if i.endswith("0")], "valid": [],
             "test": [i for i in ids if not i.endswith("0")]}
    sides["valid"] = sides["test"][::2]
    sides["test"] = sides["test"][1::2]
    for name, items in sides.items():
        (tmp_path / f"{name}_filtered.txt").write_text(
            "".join(f"{i.split('.')[0]}/{i}.wav\n" for i in items))
    run_dir = runner.run_training(_config(tiny, model="knn", feature="mfcc",
                                            protocol="artist-filtered", splits_path=tmp_path))
    card = persistence.load_card(run_dir)
    assert card["protocol"]["protocol"] == "artist-filtered"
    assert card["protocol"]["test"] == sorted(sides["test"])
    assert card["metrics"]["knn"]["valid"]["n_tracks"] == len(sides["valid"])


def test_damaged_run_files_give_clear_errors(tiny: Path) -> None:
    run_dir = runner.run_training(_config(tiny, model="cnn1d", epochs=1))
    model_file = run_dir / "model.keras"
    model_file.write_bytes(model_file.read_bytes()[:200])
    with pytest.raises(ModelFileError, match="model.keras is damaged"):
        persistence.load_card(run_dir)
    from core.models import networks

    with pytest.raises(ModelFileError, match="cannot be loaded"):
        networks.load_model(model_file)
    (run_dir / "card.json").write_text("{ not json")
    with pytest.raises(ModelFileError, match="card.json is damaged"):
        persistence.load_card(run_dir)


# --- background jobs ---------------------------------------------------------------------------


def test_stopped_job_leaves_loadable_best_model(tiny: Path) -> None:
    conf = _config(tiny, model="lstm", feature="zcr", epochs=300, patience=300, batch_size=8,
                   search=False)
    job = training_jobs.start_job(conf)
    _wait(job, lambda info, ev: any(e["type"] == "epoch" for e in ev) or not info.active)
    training_jobs.request_stop(job)
    info = _wait(job, lambda info, ev: not info.active)
    assert info.state == "stopped", info.message
    events = training_jobs.read_events(job)
    assert events[0]["type"] == "start" and events[-1]["type"] == "stopped"
    card = persistence.load_card(Path(info.run_dir))
    assert card["stopped_early"] and card["epochs_run"] < 300
    assert card["best_epoch"] is not None and card["best_epoch"] <= card["epochs_run"]
    from core.models import networks

    model = networks.load_model(Path(info.run_dir) / "model.keras")
    assert networks.deep_features(model, np.zeros((2, 30, 1), np.float32)).shape == (2, 128)
    assert [j.job_id for j in training_jobs.list_jobs()] == [job]


def test_two_concurrent_jobs_keep_separate_results(tiny: Path) -> None:
    first = training_jobs.start_job(_config(tiny, model="svm", feature="zcr", search=False))
    second = training_jobs.start_job(_config(tiny, model="knn", feature="zcr", search=False))
    assert first != second
    infos = [_wait(j, lambda info, ev: not info.active) for j in (first, second)]
    assert [i.state for i in infos] == ["done", "done"], [i.message for i in infos]
    assert infos[0].run_dir != infos[1].run_dir
    cards = [persistence.load_card(Path(i.run_dir)) for i in infos]
    assert [c["model"] for c in cards] == ["svm", "knn"]
    assert cards[0]["run_id"] != cards[1]["run_id"]
    assert {j.job_id for j in training_jobs.list_jobs()} == {first, second}


def test_job_errors_and_dead_processes_are_reported(tiny: Path, tmp_path: Path) -> None:
    broken = training_jobs.start_job(_config(tmp_path / "nowhere", model="svm"))
    info = _wait(broken, lambda info, ev: not info.active)
    assert info.state == "failed" and "does not exist" in info.message
    assert training_jobs.read_events(broken)[-1]["type"] == "error"
    doomed = training_jobs.start_job(_config(tiny, model="lstm", epochs=300, patience=300))
    info = _wait(doomed, lambda info, ev: info.state == "running" and info.pid is not None)
    os.kill(info.pid, signal.SIGKILL)    # the process this test started
    info = _wait(doomed, lambda info, ev: not info.active)
    assert info.state == "failed" and "without reporting" in info.message
    with pytest.raises(KeyError, match="no training job"):
        training_jobs.job_status("20990101-000000-none")
    with pytest.raises(ValueError, match="not a job id"):
        training_jobs.read_events("../etc")


def test_progress_bar_follows_epochs(capsys: pytest.CaptureFixture) -> None:
    bar = events.TqdmProgress()
    emit = fitting.Emitter([bar])
    emit("stage", message="extracting features")
    for epoch in (1, 2):
        emit("epoch", epoch=epoch, epochs=3, loss=1.0 / epoch, accuracy=0.5, val_loss=1.2,
             val_accuracy=0.4, eta_s=1.0)
        assert bar.bar is not None and bar.bar.n == epoch
    emit("done", message="saved", run_dir="x")
    assert bar.bar is None
    captured = capsys.readouterr()
    assert "extracting features" in captured.err + captured.out
    with pytest.raises(ValueError, match="unknown event type"):
        emit("finished")


def test_real_gtzan4_svm_on_mfcc(real_ogg: Path, real_splits: Path) -> None:
    conf = train_config.TrainConfig(model="svm", feature="mfcc", protocol="artist-filtered",
                                splits_path=str(real_splits), data_path=str(real_ogg),
                                genres=["blues", "classical", "jazz", "rock"])
    card = persistence.load_card(runner.run_training(conf))
    assert card["data"]["n_tracks"] == 400 and card["data"]["skipped"] == []
    assert card["data"]["format"] == "ogg" and card["data"]["clips_per_genre"]["jazz"] == 100
    assert card["protocol"]["label"] == ("artist-filtered, 4 genres present; tracks "
                                         "train/valid/test 181/84/121")
    test = card["metrics"]["svm"]["test"]
    assert test["n_tracks"] == 121 and test["track_accuracy"] >= 0.55


def test_artist_grouped_protocol_trains_with_whole_artists_per_side(tiny: Path,
                                                                     tmp_path: Path) -> None:
    ids = sorted(t.track_id for t in list_tracks(tiny))
    index = tmp_path / "GTZANindex.txt"
    # two tracks of each genre share an artist, the third has none (a group of its own)
    index.write_text("".join(f"{t}.wav ::: {t.split('.')[0] if not t.endswith('2') else ''} "
                             f"::: song\n" for t in ids))
    run_dir = runner.run_training(_config(tiny, model="svm", feature="zcr",
                                            protocol="artist-grouped", artists_path=index))
    card = persistence.load_card(run_dir)
    protocol = card["protocol"]
    assert protocol["protocol"] == "artist-grouped" and protocol["notes"]["unknown_artist"] == 10
    assert card["config"]["artists_path"] == str(index)
    for genre in {t.split(".")[0] for t in ids}:
        pair = {t for t in ids if t.startswith(genre) and not t.endswith("2")}
        sides = [name for name in ("train", "valid", "test") if pair & set(protocol[name])]
        assert len(sides) == 1, (genre, sides)   # the artist's two tracks on one side
    assert card["metrics"]["svm"]["test"]["n_tracks"] == len(protocol["test"])


def test_a_job_process_yields_the_cpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A job runs with few maths threads (env) and at a lower priority (nice)."""
    seen: dict = {}

    class FakeChild:
        pid = 424242

        def wait(self) -> int:   # start_job reaps its child when it ends
            return 0

    def fake_popen(args, **kw):
        seen.update(kw)
        return FakeChild()

    monkeypatch.setenv("GENRELAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(training_jobs.subprocess, "Popen", fake_popen)
    monkeypatch.setattr(training_jobs.os, "cpu_count", lambda: 2)
    training_jobs.start_job(train_config.TrainConfig(model="svm", feature="zcr"))
    env = seen["env"]
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "OPENBLAS_NUM_THREADS"):
        assert env[name] == "1", name
    niced: list[int] = []
    monkeypatch.setattr(training_jobs.os, "nice", lambda n: niced.append(n) or n)
    training_jobs.yield_cpu()
    assert niced and niced[0] > 0
