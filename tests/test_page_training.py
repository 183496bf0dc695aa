"""Training console (AppTest): settings, background jobs, live curves, stop, errors, run list."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.data import extra
from core.models import persistence
from core.training import config as train_config, jobs as training_jobs, runner
from tests.test_extra import write_extra

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "training.py")
RESULTS = str(ROOT / "pages" / "results.py")
JOB_LIMIT_S = 300.0   #: give up waiting for a background job after this long (a hang, not a timing)


@pytest.fixture(autouse=True)
def tiny_demo(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's demo set at 3 clips x 6 s per genre; no shipped models; no warm-up thread."""
    monkeypatch.setenv("GENRELAB_DEMO_SIZE", "3x6")
    monkeypatch.setenv("GENRELAB_NO_WARMUP", "1")
    shipped = isolated_dirs / "shipped"
    shipped.mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", shipped)
    return isolated_dirs


def page() -> AppTest:
    """The Training console, run once."""
    return AppTest.from_file(PAGE, default_timeout=120).run()


def splittable(at: AppTest) -> AppTest:
    """Settings that split 30 tracks: 12 test tracks, no validation side."""
    at.slider(key="train_test").set_value(40)
    at.slider(key="train_valid").set_value(0)
    return at.run()


def wait_for(job_id: str, states: tuple[str, ...] = ("done", "stopped", "failed")
             ) -> training_jobs.JobInfo:
    """Poll a background job until it reaches one of states (fails the test after JOB_LIMIT_S)."""
    deadline = time.monotonic() + JOB_LIMIT_S
    while time.monotonic() < deadline:
        job = training_jobs.job_status(job_id)
        if job.state in states:
            return job
        time.sleep(0.5)
    pytest.fail(f"job {job_id} still {training_jobs.job_status(job_id).state} after {JOB_LIMIT_S} s")


def start_from_page(at: AppTest) -> str:
    """Press Start training; the job id the page remembered."""
    assert not at.button(key="train_start").disabled
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    return at.session_state["training_job_id"]


def test_renders_with_a_split_preview() -> None:
    at = page()
    assert not at.exception and not at.error
    assert at.title[0].value == "Training console"
    assert any("Synthetic data" in w.value for w in at.warning)
    assert any("30 tracks" in c.value for c in at.caption)
    # the default split of the 30 demo tracks: every side holds each genre once
    assert any("tracks train/valid/test 10/10/10" in c.value for c in at.caption)
    assert not at.button(key="train_start").disabled
    at = splittable(at)
    assert any("tracks train/valid/test 18/0/12" in c.value for c in at.caption)


def test_the_default_split_is_the_dataset_pages_and_carving_is_said() -> None:
    """Same fractions as the Dataset page; a network's carved tracks are named."""
    at = page()
    defaults = train_config.TrainConfig()
    assert at.slider(key="train_valid").value == 100 * defaults.valid_size == 10
    assert at.slider(key="train_test").value == round(100 * defaults.test_size) == 30
    at.selectbox(key="train_model").set_value("lstm").run()
    at = splittable(at)
    notes = [c.value for c in at.caption if "holds back" in c.value]
    assert notes and "for early stopping" in notes[0] and "train/valid/test" in notes[0]


def test_genre_multiselect_restricts_the_split() -> None:
    at = splittable(page())
    assert at.multiselect(key="train_genres").value == list(runner.GENRES)
    at.multiselect(key="train_genres").set_value(["blues", "jazz", "rock"]).run()
    assert not at.exception and not at.error
    assert any("3 genres present; tracks train/valid/test" in c.value for c in at.caption)
    at.multiselect(key="train_genres").set_value(["jazz"]).run()
    assert any("at least two genres" in w.value for w in at.warning)
    assert at.button(key="train_start").disabled


def test_artist_filtered_needs_the_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = page()
    at.radio(key="train_protocol").set_value("artist-filtered").run()
    assert not at.exception
    assert any("needs its three list files" in w.value for w in at.warning)
    assert at.button(key="train_start").disabled
    sides = {"train": range(0, 2), "valid": range(2, 3), "test": range(3, 3)}
    for side, numbers in sides.items():
        lines = [f"{g}/{g}.{i:05d}.wav" for g in ("blues", "rock", "jazz") for i in numbers]
        (tmp_path / f"{side}_filtered.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("GENRELAB_SPLITS", str(tmp_path))
    at.run()
    # no test track listed: the page says so and keeps Start disabled
    assert any("cannot be split" in e.value for e in at.error)
    assert at.button(key="train_start").disabled
    (tmp_path / "test_filtered.txt").write_text("blues/blues.00002.wav\nrock/rock.00002.wav\n")
    (tmp_path / "valid_filtered.txt").write_text("jazz/jazz.00002.wav\n")
    at.run()
    assert not at.error
    assert any("artist-filtered, 3 genres present; tracks train/valid/test 6/1/2" in c.value
               for c in at.caption)
    assert not at.button(key="train_start").disabled


def test_model_choices_show_their_settings() -> None:
    at = page()
    at.selectbox(key="train_model").set_value("cnn2d").run()
    assert not at.exception
    assert {t.label for t in at.toggle} >= {"Pitch shift", "White noise", "Slicing"}
    assert at.number_input(key="train_epochs").value == 30
    at.selectbox(key="train_model").set_value("svm").run()
    assert "train_epochs" not in [n.key for n in at.number_input]
    assert not [t for t in at.toggle if t.label == "Pitch shift"]
    assert not [r for r in at.radio if r.label == "Head"]


def test_musicnn_offers_its_heads_and_no_epochs() -> None:
    at = page()
    at.selectbox(key="train_model").set_value("musicnn").run()
    assert not at.exception
    assert "train_epochs" not in [n.key for n in at.number_input]
    head = at.radio(key="train_head_musicnn")
    assert list(head.options) == ["SVM", "KNN", "LOGREG"] and head.value == "svm"
    assert any("only the head is" in c.value for c in at.caption)
    assert any("Million Song Dataset" in c.value for c in at.caption)
    assert "train_filter" not in [t.key for t in at.toggle]
    assert any("no high-pass" in c.value for c in at.caption)


def test_svm_job_finishes_and_appears_in_the_run_list_and_results() -> None:
    at = splittable(page())
    job_id = start_from_page(at)
    job = wait_for(job_id)
    assert job.state == "done", job.message
    at.run()
    assert not at.exception and not at.error
    assert any("SVM on MFCC" in s.value and "track accuracy" in s.value for s in at.success)
    runs = at.dataframe[0].value
    assert list(runs["Run"]) == ["SVM on MFCC (yours)"]   # never named like a shipped model
    assert runs["Protocol"][0] == "random-track, seed 42; tracks train/valid/test 18/0/12"
    assert 0.0 <= runs["Track accuracy"][0] <= 1.0

    results = AppTest.from_file(RESULTS, default_timeout=60).run()
    assert not results.exception and not results.error
    table1 = results.dataframe[0].value
    ours = table1[table1["Result from"] == "your run"]
    assert list(ours["Method"]) == ["SVM on MFCC (yours)"]
    assert ours["Track accuracy"].iloc[0] == pytest.approx(runs["Track accuracy"][0])


def test_class_weights_can_be_switched_off() -> None:
    at = splittable(page())
    assert at.toggle(key="train_class_weight").value is True
    at.toggle(key="train_class_weight").set_value(False).run()
    job_id = start_from_page(at)
    job = wait_for(job_id)
    assert job.state == "done", job.message
    assert job.config["class_weight"] is False


def test_lstm_one_epoch_draws_its_curves() -> None:
    at = splittable(page())
    at.selectbox(key="train_model").set_value("lstm").run()
    at.number_input(key="train_epochs").set_value(1).run()
    job_id = start_from_page(at)
    assert wait_for(job_id).state == "done", training_jobs.job_status(job_id).message
    at.run()
    assert not at.exception and not at.error
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(specs) == 1 and '"Loss"' in specs[0] and "validation loss" in specs[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Epoch"] == "1 / 1" and metrics["Epoch time"].endswith(" s")
    card = next(persistence.iter_runs()).card
    assert card["model"] == "lstm" and len(card["history"]) == 1
    # one run, one name: the job's, whichever head answers
    assert any(m.value.startswith("**LSTM on MFCC** — job") for m in at.markdown)
    assert card["name"] == "LSTM on MFCC (yours)" and "LSTM-on-MFCC" in card["run_id"]
    assert list(at.dataframe[-1].value["Run"]) == ["LSTM on MFCC (yours)"]


def test_a_running_job_is_found_again_and_can_be_stopped() -> None:
    source_root = _demo_root()
    job_id = training_jobs.start_job(train_config.TrainConfig(
        model="lstm", epochs=300, patience=300, test_size=0.4, valid_size=0.0,
        data_path=str(source_root)))
    at = page()   # a fresh session: the job is found through list_jobs, not session state
    assert not at.exception
    assert any(job_id in m.value for m in at.markdown)
    # the form says it is for the next job and names the running job's settings
    assert any(h.value == "Settings for the next job" for h in at.header)
    running = [i.value for i in at.info if "Running now" in i.value]
    assert running and "LSTM" in running[0] and "up to 300 epochs" in running[0]
    stop = at.button(key=f"stop_{job_id}")
    stop.click().run()
    assert (training_jobs.job_dir(job_id) / training_jobs.STOP_FILE).is_file()
    job = wait_for(job_id)
    assert job.state == "stopped", (job.state, job.message)
    at.run()
    assert not at.exception
    assert any(w.value.startswith("Stopped:") for w in at.warning)


def test_a_failed_job_shows_its_message(tmp_path: Path) -> None:
    empty = tmp_path / "not_gtzan"
    empty.mkdir()
    job_id = training_jobs.start_job(train_config.TrainConfig(model="svm", data_path=str(empty)))
    job = wait_for(job_id)
    assert job.state == "failed"
    at = page()
    assert not at.exception
    errors = [e.value for e in at.error if e.value.startswith("Training failed")]
    assert len(errors) == 1 and "not a GTZAN folder" in errors[0]


def _shown(at: AppTest) -> str:
    """Every text the page shows: markdown, captions, alerts, tables and choices."""
    kinds = ("markdown", "caption", "warning", "error", "info", "success", "header", "subheader")
    parts = [str(e.value) for kind in kinds for e in at.get(kind)]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(o) for m in at.multiselect for o in m.options]
    return "\n".join(parts)


def test_extra_folders_are_offered_by_name_and_only_trained_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = write_extra(tmp_path / "srv" / "own-music")
    (tmp_path / "srv" / "holiday" / "photos").mkdir(parents=True)
    monkeypatch.setenv("GENRELAB_EXTRA_DIRS", os.pathsep.join(
        [f"own={own}", str(tmp_path / "srv" / "holiday")]))
    at = splittable(page())
    assert not at.exception
    choice = at.multiselect(key="train_extra")
    assert list(choice.options) == ["own", "holiday"] and choice.value == []
    table = next(d.value for d in at.dataframe if "set" in d.value.columns)
    row = table[table["set"] == "own"].iloc[0]
    assert (row["reggae"], row["hiphop"], row["country"], row["jazz"], row["clips"]) == (2, 2, 1, 0, 5)
    assert any(w.value.startswith("extra set 'holiday': no sub-folder names a GTZAN genre: ")
               for w in at.warning)
    shown = _shown(at)
    assert str(tmp_path) not in shown and "private" not in shown and "photos" not in shown
    choice.set_value(["holiday"]).run()
    assert any("holiday cannot be used" in e.value for e in at.error)
    assert at.button(key="train_start").disabled
    at.multiselect(key="train_extra").set_value(["own"]).run()
    assert any("tracks train/valid/test 23/0/12 (5 of the training tracks from extra sets)"
               in c.value for c in at.caption)
    job = wait_for(start_from_page(at))
    assert job.state == "done", job.message
    card = persistence.load_card(Path(job.run_dir))
    protocol = card["protocol"]
    assert not any(extra.is_extra(t) for t in protocol["test"] + protocol["valid"])
    assert len(protocol["test"]) == 12 and sum(map(extra.is_extra, protocol["train"])) == 4
    assert [s["name"] for s in card["data"]["extra"]] == ["own"]
    at.run()
    listed = [c.value for c in at.caption if c.value.startswith("Extra set own:")]
    assert listed and "4 clips on the training side (country 1, hiphop 1, reggae 2)" in listed[0]
    assert "Hip-Hop/broken.ogg" in listed[0] and str(tmp_path) not in _shown(at)


def _gtzan3_lists(folder: Path) -> Path:
    """Artist-filtered lists over the demo set's blues, rock and jazz: jazz has no test track,
    blues and rock no validation track."""
    sides = {"train": ["blues.00000", "blues.00001", "rock.00000", "rock.00001", "jazz.00000",
                       "jazz.00001"],
             "valid": ["jazz.00002"], "test": ["blues.00002", "rock.00002"]}
    for side, ids in sides.items():
        (folder / f"{side}_filtered.txt").write_text(
            "".join(f"{t.split('.')[0]}/{t}.wav\n" for t in ids))
    return folder


def test_per_genre_notes_show_before_start_with_the_run_and_on_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENRELAB_SPLITS", str(_gtzan3_lists(tmp_path)))
    at = page()
    at.radio(key="train_protocol").set_value("artist-filtered").run()
    before = [w.value for w in at.warning if "Before you start, per genre" in w.value]
    assert before, [w.value for w in at.warning]
    assert "jazz: no test track" in before[0] and "blues: no validation track" in before[0]
    assert "rock: no validation track" in before[0]
    job = wait_for(start_from_page(at))
    assert job.state == "done", job.message
    at.run()
    after = [w.value for w in at.warning if "This run, per genre" in w.value]
    assert after and "jazz: no test track" in after[0] and "rock: no validation" in after[0]
    results = AppTest.from_file(RESULTS, default_timeout=60).run()
    assert not results.exception
    assert any("This run, per genre" in w.value and "jazz: no test track" in w.value
               for w in results.warning)


def test_the_artist_grouped_split_is_offered(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    at = page()
    assert list(at.radio(key="train_protocol").options) == ["random-track", "artist-filtered",
                                                            "artist-grouped"]
    at.radio(key="train_protocol").set_value("artist-grouped").run()
    assert any("needs the artist index" in w.value for w in at.warning)
    assert at.button(key="train_start").disabled
    index = tmp_path / "GTZANindex.txt"
    index.write_text("".join(f"{g}.{i:05d}.wav ::: {g} player {i % 2} ::: song {i}\n"
                             for g in runner.GENRES for i in range(3)))
    monkeypatch.setenv("GENRELAB_ARTISTS", str(index))
    at.run()
    assert not at.exception and not at.error
    assert any(c.value.startswith("Split: artist-grouped, seed 42") for c in at.caption)
    assert not at.button(key="train_start").disabled
    at.button(key="train_start").click().run()
    job = training_jobs.job_status(at.session_state["training_job_id"])
    assert job.config["protocol"] == "artist-grouped" and job.config["artists_path"] == str(index)
    wait_for(job.job_id)


def test_split_controls_carry_one_name() -> None:
    at = page()
    assert at.slider(key="train_test").label == "Test share (%)"
    assert at.slider(key="train_valid").label == "Validation share (%)"
    assert "random-track" in at.radio(key="train_protocol").options
    assert not [r for r in at.radio if "random by track" in str(r.options)]


def _demo_root() -> Path:
    """The app's tiny demo set folder (written on first use)."""
    from core.data.datasource import demo_source

    return demo_source(per_genre=3, seconds=6.0).root
