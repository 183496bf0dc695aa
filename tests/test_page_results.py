"""Results page (AppTest): runs beside the study's figures, CSV export, damaged runs listed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import config, evaluation
from core.models import persistence
from core.constants import GENRES, PAPER_RESULTS
from core.data.splits import random_track_split

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "results.py")


@pytest.fixture(autouse=True)
def shipped_dir(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty stand-in for models/ so the project's shipped models do not change the counts."""
    folder = isolated_dirs / "shipped"
    folder.mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", folder)
    return folder


def write_run(model: str = "svm", feature: str = "mfcc", heads: tuple[str, ...] = ("svm",),
              name: str = "SVM on MFCC", synthetic: bool = True, root: Path | None = None) -> Path:
    """A run folder whose metrics are evaluation.evaluate of noisy predictions on 20 test tracks."""
    rng = np.random.default_rng(3)
    ids = [f"{g}.{i:05d}" for g in GENRES for i in range(6)]
    split = random_track_split(ids, test_size=0.34, valid_size=0.0, seed=7)
    seg_track = np.repeat(split.test, 3)
    y = np.array([GENRES.index(t.split(".")[0]) for t in seg_track])
    metrics = {}
    for head in heads:
        proba = rng.random((len(y), len(GENRES)))
        proba[np.arange(len(y)), y] += 1.5   # mostly right
        proba /= proba.sum(1, keepdims=True)
        metrics[head] = {"test": evaluation.evaluate(y, proba, seg_track)}
    writer = persistence.RunWriter(root or config.runs_dir(), persistence.new_run_id(name))
    (writer.path("svm.skops")).write_bytes(b"placeholder weights for a display test")
    return writer.commit({
        "name": name, "model": model, "feature": feature, "primary": heads[0],
        "config": {"model": model, "feature": feature},
        "data": {"source": "Built-in demo set", "synthetic": synthetic, "n_tracks": len(ids)},
        "protocol": {**split.to_dict(), "label": split.label()}, "metrics": metrics,
    })


def page() -> AppTest:
    """The Results page, run once."""
    return AppTest.from_file(PAGE, default_timeout=60).run()


def all_rows(at: AppTest) -> pd.DataFrame:
    """Every row of every table on the page."""
    return pd.concat([d.value for d in at.dataframe], ignore_index=True)


def test_without_runs_the_study_tables_are_shown(isolated_dirs: Path) -> None:
    at = page()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader][:3] == [
        "Table 1 – SVM and KNN on short-term features",
        "Table 2 – LSTM deep features + SVM/KNN", "Table 3 – convolutional networks"]
    rows = all_rows(at)
    published = rows[rows["Result from"] == "study (published)"]
    assert sorted(published["Published accuracy"]) == sorted(PAPER_RESULTS.values())
    assert any("No finished runs yet" in i.value for i in at.info)


def test_a_run_sits_beside_the_study_with_its_protocol(isolated_dirs: Path) -> None:
    run = write_run()
    card = persistence.load_card(run)
    at = page()
    assert not at.exception and not at.error
    table1 = at.dataframe[0].value
    ours = table1[table1["Result from"] == "your run"]
    assert list(ours["Method"]) == ["SVM on MFCC"]
    row = ours.iloc[0]
    test = card["metrics"]["svm"]["test"]
    assert row["Track accuracy"] == pytest.approx(test["track_accuracy"])
    assert row["Segment accuracy"] == pytest.approx(test["segment_accuracy"])
    assert row["Macro-F1"] == pytest.approx(test["macro_f1"])
    assert row["Published accuracy"] == PAPER_RESULTS["svm_mfcc"]
    assert row["Protocol"] == card["protocol"]["label"] and "seed 7" in row["Protocol"]
    assert row["Test tracks"] == test["n_tracks"] == len(card["protocol"]["test"])
    assert "synthetic" in row["Data"]
    # the detail view: four metrics, a confusion matrix and the recall bars
    assert [m.label for m in at.metric][-4:] == ["Track accuracy", "Segment accuracy",
                                                "Macro-F1", "Test tracks"]
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Confusion matrix (tracks)" in s for s in specs)
    assert any("Recall per genre (tracks)" in s for s in specs)
    at.radio(key="results_level").set_value("segment").run()
    assert any("Confusion matrix (segments)" in c.proto.spec for c in at.get("plotly_chart"))


def test_csv_download_holds_study_and_runs(isolated_dirs: Path) -> None:
    write_run("lstm", "mfcc", ("svm", "knn", "softmax"), "LSTM+SVM on MFCC")
    at = page()
    button = at.get("download_button")[0]
    assert button.proto.label == "Download the comparison (CSV)"
    from pages import results as results_page

    runs = [r for r in persistence.iter_runs() if r.card is not None]
    csv = results_page.comparison_table(runs).to_csv(index=False)
    df = pd.read_csv(io.StringIO(csv))
    assert len(df[df["Result from"] == "study (published)"]) == len(PAPER_RESULTS)
    ours = df[df["Result from"] == "your run"]
    assert sorted(ours["Method"]) == sorted(f"LSTM+SVM on MFCC [{h} head]"
                                            for h in ("svm", "knn", "softmax"))
    knn = ours[ours["Method"].str.contains("knn head")].iloc[0]
    assert knn["Published accuracy"] == PAPER_RESULTS["lstm_knn_mfcc"]
    softmax = ours[ours["Method"].str.contains("softmax")].iloc[0]
    assert np.isnan(softmax["Published accuracy"])


def test_damaged_run_is_listed_not_fatal(isolated_dirs: Path) -> None:
    write_run()
    broken = config.runs_dir() / "20990101-000000-broken-abc123"
    broken.mkdir(parents=True)
    (broken / "card.json").write_text("{ not json")
    at = page()
    assert not at.exception
    counts = {m.label: m.value for m in at.metric[:3]}
    assert counts["Your runs"] == "1" and counts["Damaged runs"] == "1"
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and broken.name in errors[0] and "damaged" in errors[0]
    assert any((d.value["Result from"] == "your run").any() for d in at.dataframe)


def test_shipped_models_are_labelled(shipped_dir: Path) -> None:
    write_run(name="Shipped SVM", root=shipped_dir, synthetic=False)
    at = page()
    assert not at.exception and not at.error
    counts = {m.label: m.value for m in at.metric[:3]}
    assert counts == {"Your runs": "0", "Shipped models": "1", "Damaged runs": "0"}
    rows = all_rows(at)
    assert set(rows[rows["Method"] == "Shipped SVM"]["Result from"]) == {"shipped model"}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The bytes download buttons hand to Streamlit's media files, by the URL they are served at."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    seen: dict = {}
    original = MediaFileManager.add

    def spy(self, path_or_data, *args, **kwargs):
        url = original(self, path_or_data, *args, **kwargs)
        seen[url] = path_or_data
        return url

    monkeypatch.setattr(MediaFileManager, "add", spy)
    return seen


def report_download(at: AppTest, served: dict) -> tuple[object, bytes | None]:
    """The "Make the report" button and, after a click on it, the bytes the download button
    serves (None when it is disabled)."""
    make = next(b for b in at.button if b.proto.label == "Make the report")
    if make.proto.disabled:
        return make, None
    make.click().run()
    assert not at.exception and not [b for b in at.button if b.proto.label == "Make the report"]
    button = next(b for b in at.get("download_button")
                  if b.proto.label.startswith("Download report ("))
    # bytes kept in the visitor's session, not a file made at download time: Streamlit forgets
    # those once two other visitors' pages have run, and the download failed on a busy server
    assert not button.proto.deferred_file_id
    return make, served[button.proto.url]


def test_report_button_downloads_the_chosen_runs(isolated_dirs: Path, served: dict) -> None:
    first = write_run()
    second = write_run("lstm", "mfcc", ("svm", "knn", "softmax"), "LSTM+SVM on MFCC")
    at = page()
    assert not at.exception and not at.error
    chooser = at.multiselect(key="report_runs")
    assert sorted(chooser.value) == sorted([str(first), str(second)])
    button, data = report_download(at, served)
    assert not button.proto.disabled
    html = data.decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert f"data-run='{first.name}'" in html and f"data-run='{second.name}'" in html
    card = persistence.load_card(first)
    value = card["metrics"]["svm"]["test"]["track_accuracy"]
    assert f"data-value='{value!r}'" in html
    # one run only: the other leaves the report
    at.multiselect(key="report_runs").set_value([str(second)]).run()   # the made one is stale
    html = report_download(at, served)[1].decode("utf-8")
    assert f"data-run='{second.name}'" in html and first.name not in html
    at.multiselect(key="report_runs").set_value([]).run()
    button, data = report_download(at, served)
    assert button.proto.disabled and data is None


def test_a_musicnn_run_sits_in_beyond_the_study(isolated_dirs: Path) -> None:
    write_run()
    write_run(model="musicnn", feature="embeddings", heads=("svm",),
              name="musicnn+SVM on MSD embeddings", synthetic=False)
    at = page()
    assert not at.exception and not at.error
    headers = [h.value for h in at.header]
    assert headers.index("Beyond the study") == headers.index("Beside the study") + 1
    beyond = at.dataframe[3].value                     # after the study's three tables
    assert list(beyond["Method"]) == ["musicnn+SVM on MSD embeddings"]
    assert np.isnan(beyond["Published accuracy"].iloc[0])
    assert beyond["Test tracks"].iloc[0] > 0 and beyond["Protocol"].iloc[0].startswith("random")
    for table in at.dataframe[:3]:
        assert "musicnn+SVM on MSD embeddings" not in set(table.value["Method"])


def test_without_a_run_beyond_the_study_says_so(isolated_dirs: Path) -> None:
    write_run()
    at = page()
    assert not at.exception
    assert any("No run of a model beyond the study" in m.value for m in at.markdown)


def test_outside_gtzan_section_evaluates_a_folder_on_request(isolated_dirs: Path,
                                                              tmp_path: Path) -> None:
    import soundfile as sf

    from tests.conftest import tone
    from tests.test_prediction import sklearn_run

    sklearn_run("svm", "mfcc")
    sklearn_run("knn", "zcr", dim=30, run_id="20250102-000000-knn-zcr-bbbbbb")
    folder = tmp_path / "outside"
    for sub, freq in (("Hip-Hop", 110), ("jazz", 440)):
        (folder / sub).mkdir(parents=True)
        sf.write(folder / sub / "a.wav", tone(freq, 4.0) + tone(2 * freq, 4.0), 22050)
    (folder / "jazz" / "broken.mp3").write_bytes(b"not audio at all" * 10)
    (folder / "misc").mkdir()
    at = page()
    at.text_input(key="outside_folder").set_value(str(folder)).run()
    assert not at.exception
    # the folder naming no genre is counted, not named (no message lists a folder's entries)
    assert any("(1 sub-folder naming no GTZAN genre skipped)" in m.value for m in at.markdown)
    assert not any("misc" in m.value for m in at.markdown)
    assert not [d for d in at.dataframe if "Outside GTZAN (95 % CI)" in d.value.columns]
    at.button(key="outside_run").click().run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Outside GTZAN (95 % CI)" in d.value.columns)
    assert list(table["Model"])[-1] == "answer" and len(table) == 3
    assert set(table["Correct of n"]) <= {"0 of 2", "1 of 2", "2 of 2"}
    assert all("test tracks" in t or "not measured" in t or "most trusted" in t
               for t in table["In GTZAN (test track accuracy, 95 % CI)"])
    assert {"hiphop recall", "jazz recall"} <= set(table.columns)
    assert any("broken.mp3" in w.value for w in at.warning)
    at.selectbox(key="outside_model").set_value("answer").run()
    assert not at.exception
    assert any("answer: outside GTZAN (n = 2)" in c.proto.spec for c in at.get("plotly_chart"))


def test_a_four_genre_run_charts_only_its_genres(isolated_dirs: Path) -> None:
    """A run of 4 genres shows a 4 x 4 matrix and 4 recall bars, never 0 % for the rest."""
    import json

    run = write_run(name="SVM on MFCC (4 genres)")
    card = persistence.load_card(run)
    four = ["blues", "classical", "jazz", "metal"]
    card["genres"] = four
    # the card's 10 x 10 matrices: zero the rows of the six genres the run never learned
    for level in ("track", "segment"):
        report = card["metrics"]["svm"]["test"][level]
        cm = np.asarray(report["confusion"])
        out = [GENRES.index(g) for g in GENRES if g not in four]
        cm[out, :] = 0
        cm[:, out] = 0
        report["confusion"] = cm.tolist()
        report["recall"] = [r if g in four else 0.0 for g, r in zip(GENRES, report["recall"])]
    (run / "card.json").write_text(json.dumps(card))
    at = page()
    assert not at.exception
    specs = {c.proto.spec: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    cm_fig = next(f for s, f in specs.items() if "Confusion matrix (tracks)" in s)
    assert cm_fig["data"][0]["y"] == four and cm_fig["data"][0]["z"]["shape"] == "4, 4"
    bars = next(f for s, f in specs.items() if "Recall per genre (tracks)" in s)
    assert bars["data"][0]["x"] == four
    assert any("learned 4 genres" in c.value for c in at.caption)


def test_results_tables_use_percent_and_put_the_key_columns_first(isolated_dirs: Path) -> None:
    """The tables read 51.1 %, as the rest of GenreLab does, not 0.511, and start with what a
    number is and rests on: method, track accuracy, protocol, n (in view at 1280 px, see
    tests/test_e2e_viewer.py)."""
    import json

    write_run()
    at = page()
    assert not at.exception
    for table in at.dataframe[:4]:
        assert list(table.value.columns[:4]) == ["Method", "Track accuracy", "Protocol",
                                                 "Test tracks"]
        columns = json.loads(table.proto.columns)
        for name in ("Track accuracy", "Segment accuracy", "Published accuracy", "Macro-F1"):
            assert columns[name]["type_config"]["format"] == "percent", columns[name]
