"""Report: one self-contained HTML file of chosen runs; damaged runs named and left out; escaping;
plotly.js and the charts packed; the example report in docs/; and the files opened in headless
Chromium with the network off (drawn, or each chart's place saying why not)."""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from core import config, evaluation
from core.data import demo
from core.models import persistence
from core.report import document, packing, sections
from core.report import text as report_text
from core.training import config as train_config, runner
from core.constants import GENRES, MODELS_DIR, PAPER_RESULTS
from core.data.splits import random_track_split

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PLOTLY_BANNER = re.compile(r"plotly\.js v\d+\.\d+\.\d+")
HOSTILE = '<img src=x onerror="window.__pwned=1">Bad & <b>bold</b>'
EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "example-report.html"
#: the project's limit for a tracked file outside models/, in bytes
SIZE_LIMIT = 2_000_000
MAKE_EXAMPLE = ".venv/bin/python -m core report --all-shipped --out docs/example-report.html"
BLOB = re.compile(r'<script type="text/plain" id="([\w-]+)" data-size="\d+">([^<]*)</script>')


@pytest.fixture(autouse=True)
def shipped_dir(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty stand-in for models/ so the shipped models stay out of run look-ups."""
    folder = isolated_dirs / "shipped"
    folder.mkdir()
    monkeypatch.setattr(persistence, "MODELS_DIR", folder)
    return folder


def write_run(name: str = "SVM on MFCC", model: str = "svm", feature: str = "mfcc",
              heads: tuple[str, ...] = ("svm",), synthetic: bool = True,
              genres: tuple[str, ...] = GENRES, history: bool = False, note: str | None = None,
              seed: int = 7, root: Path | None = None) -> Path:
    """A run folder whose test metrics are evaluation.evaluate of noisy predictions."""
    rng = np.random.default_rng(seed)
    ids = [f"{g}.{i:05d}" for g in genres for i in range(6)]
    split = random_track_split(ids, test_size=0.34, valid_size=0.0, seed=seed)
    seg_track = np.repeat(split.test, 3)
    y = np.array([genres.index(t.split(".")[0]) for t in seg_track])
    metrics = {}
    for head in heads:
        proba = rng.random((len(y), len(genres)))
        proba[np.arange(len(y)), y] += 1.2
        proba /= proba.sum(1, keepdims=True)
        metrics[head] = {"test": evaluation.evaluate(y, proba, seg_track)}
    writer = persistence.RunWriter(root or config.runs_dir(), persistence.new_run_id(name))
    writer.path("model.bin").write_bytes(b"weights for a report test")
    card = {
        "name": name, "model": model, "feature": feature, "primary": heads[0],
        "genres": list(genres), "config": {"model": model, "feature": feature, "seed": seed,
                                           "epochs": 3, "batch_size": 16},
        "data": {"source": "Built-in demo set" if synthetic else "GTZAN folder: /data/gtzan",
                 "synthetic": synthetic, "n_tracks": len(ids), "skipped": [["pop.00003", "bad"]]},
        "protocol": {**split.to_dict(), "label": split.label()}, "metrics": metrics,
    }
    if note:
        card["data"]["note"] = note
    if history:
        card["history"] = [{"epoch": e, "loss": 2.0 / e, "accuracy": 0.2 * e, "val_loss": 2.2 / e,
                            "val_accuracy": 0.18 * e, "elapsed_s": e} for e in (1, 2, 3)]
    return writer.commit(card)


class _Cells(HTMLParser):
    """Collects each <tr class='run'> of the comparison table: its attributes and cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self._row: dict | None = None
        self._cell: dict | None = None
        self._in_table = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "comparison":
            self._in_table = True
        elif self._in_table and tag == "tr" and a.get("class") == "run":
            self._row = {"run": a["data-run"], "head": a["data-head"], "cells": []}
        elif self._row is not None and tag == "td":
            self._cell = {"value": a.get("data-value"), "text": ""}

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self._row["cells"].append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._in_table = False


COLUMNS = {"track": 3, "segment": 5, "f1": 6, "n_tracks": 7, "n_segments": 8, "protocol": 9,
           "seed": 10, "data": 11}


def table_rows(html: str) -> list[dict]:
    """The run rows of the report's comparison table."""
    parser = _Cells()
    parser.feed(html)
    return parser.rows


def expected_charts(cards: list[dict]) -> int:
    """Charts the report draws: the comparison, then 4 per run (+1 with learning curves)."""
    return 1 + sum(4 + bool(c.get("history")) for c in cards)


def charts_of(html: str) -> list[dict]:
    """The charts' JSON packed in a report ([{id, data, layout, config}])."""
    return json.loads(packing.embedded(html, packing.CHARTS_BLOB_ID).decode("utf-8"))


def chart_text(html: str) -> str:
    """The charts' JSON packed in a report, as the text the browser parses."""
    return packing.embedded(html, packing.CHARTS_BLOB_ID).decode("utf-8")


def own_part(html: str) -> str:
    """The report without its packed blobs: the HTML, CSS and scripts it writes itself."""
    return BLOB.sub(lambda m: m.group(0).replace(m.group(2), ""), html)


def check_self_contained(html: str, n_charts: int) -> None:
    """plotly.js packed once and exact, nothing fetched, one chart per place, ids in order."""
    assert [m.group(1) for m in BLOB.finditer(html)] == [packing.PLOTLY_BLOB_ID,
                                                        packing.CHARTS_BLOB_ID]
    assert packing.embedded(html, packing.PLOTLY_BLOB_ID) == packing.plotly_js().encode("utf-8")
    assert not PLOTLY_BANNER.search(html)   # not also inline in plain text
    own = own_part(html)
    scripts = re.findall(r"<script\b[^>]*>", own)   # the two blobs, then the loader
    assert len(scripts) == 3 and scripts[2] == "<script>"
    assert scripts[0].startswith('<script type="text/plain" id="plotly-js" ')
    assert scripts[1].startswith('<script type="text/plain" id="report-charts" ')
    assert own.count(f"<script>{packing.loader_js()}</script>") == 1
    assert not re.search(r"<script[^>]*\bsrc=", own)
    assert not re.search(r"<link\b|<img\b|<iframe\b|@import|url\(|https?://", own)
    assert not re.search(r"https?://", chart_text(html))
    assert html.count("class=\"plotly-graph-div\"") == n_charts
    ids = re.findall(r'<div id="(fig-\d+)" class="plotly-graph-div"', html)
    assert ids == [f"fig-{i}" for i in range(1, n_charts + 1)]
    assert [c["id"] for c in charts_of(html)] == ids


# --- unit tests ------------------------------------------------------------------------------


def test_numbers_in_the_table_are_the_cards(tmp_path: Path) -> None:
    runs = [write_run(), write_run("LSTM on MFCC", "lstm", "mfcc", ("svm", "knn", "softmax"),
                                   synthetic=False, history=True, seed=11)]
    result = document.make_report([str(p) for p in runs], tmp_path / "r.html")
    assert result.path.read_text(encoding="utf-8") == result.html
    assert not result.left_out and len(result.runs) == 2
    rows = table_rows(result.html)
    assert len(rows) == 4   # one per (run, head)
    for row in rows:
        card = persistence.load_card(next(p for p in runs if p.name == row["run"]))
        test = card["metrics"][row["head"]]["test"]
        cells = row["cells"]
        assert float(cells[COLUMNS["track"]]["value"]) == test["track_accuracy"]
        assert cells[COLUMNS["track"]]["text"] == f"{100 * test['track_accuracy']:.1f} %"
        assert float(cells[COLUMNS["segment"]]["value"]) == test["segment_accuracy"]
        assert float(cells[COLUMNS["f1"]]["value"]) == test["macro_f1"]
        assert int(cells[COLUMNS["n_tracks"]]["value"]) == test["n_tracks"] == len(
            card["protocol"]["test"])
        assert int(cells[COLUMNS["n_segments"]]["value"]) == test["n_segments"]
        assert cells[COLUMNS["protocol"]]["text"] == card["protocol"]["label"]
        assert cells[COLUMNS["seed"]]["text"] == str(card["protocol"]["seed"])
        low, high = evaluation.wilson_interval(test["track_accuracy"], test["n_tracks"])
        assert cells[4]["text"] == f"{100 * low:.1f}–{100 * high:.1f} %"
    # the LSTM's SVM head sits under the study's LSTM+SVM on MFCC figure
    lstm_svm = next(r for r in rows if r["head"] == "svm" and r["run"] == runs[1].name)
    assert lstm_svm["cells"][2]["text"] == f"{100 * PAPER_RESULTS['lstm_svm_mfcc']:.1f} %"
    published = re.findall(r"<tr class='published' data-key='(\w+)'", result.html)
    assert sorted(published) == sorted(PAPER_RESULTS)


def test_one_self_contained_file(tmp_path: Path) -> None:
    runs = [write_run(history=True), write_run("KNN on ZCR", "knn", "zcr", ("knn",), seed=3)]
    html = document.make_report([str(p) for p in runs]).html
    cards = [persistence.load_card(p) for p in runs]
    check_self_contained(html, expected_charts(cards))
    assert all(c["config"] == sections.REPORT_PLOT_CONFIG for c in charts_of(html))
    # explained for a newcomer
    for phrase in ("Segment accuracy", "Track accuracy", "Macro-F1", "95 % interval",
                   "artist-filtered split <b>scores lower</b>", "Wilson"):
        assert phrase in html


def test_blobs_round_trip_and_refuse_damage() -> None:
    rng = np.random.default_rng(0)
    for data in [b"", b"<", b"</script>" * 3, bytes(range(256)) * 3,
                 *(rng.bytes(n) for n in (1, 2, 3, 4, 5, 1001))]:
        text = packing.pack(data)
        assert "<" not in text and "/" not in text and packing.unpack(text) == data
    html = document.render_report(document.collect_runs([str(write_run())])[0])
    body = dict((m.group(1), m.group(2)) for m in BLOB.finditer(html))[packing.CHARTS_BLOB_ID]
    at = len(body) // 2
    damaged = html.replace(body, body[:at] + ("0" if body[at] != "0" else "1") + body[at + 1:])
    with pytest.raises(ValueError):
        packing.embedded(damaged, packing.CHARTS_BLOB_ID)
    with pytest.raises(ValueError, match="holds 0 blobs"):
        packing.embedded(html, "no-such-blob")


def test_the_report_is_small(tmp_path: Path) -> None:
    html = document.make_report([str(write_run(history=True))]).html
    size = len(html.encode("utf-8"))
    # plotly.js packed is about 1.84 MB of text (4.8 MB raw: gzip -9, then base85); the rest of
    # a one-run report is a few tens of kB
    assert size < SIZE_LIMIT and size < len(packing.plotly_js()) * 0.4, size


def test_each_run_has_its_card(tmp_path: Path) -> None:
    synthetic = write_run(history=True)
    real = write_run("SVM on ZCR", "svm", "zcr", synthetic=False, seed=5,
                     note="38 real clips: a smoke test")
    html = document.make_report([str(synthetic), str(real)]).html
    sections = dict(re.findall(r"<section class='run' id='run-\d+' data-run='([^']+)'>(.*?)"
                               r"</section>", html, flags=re.S))
    syn, rea = sections[synthetic.name], sections[real.name]
    assert "SYNTHETIC DATA" in syn and "synthetic audio (GenreLab's built-in demo set" in syn
    assert "SYNTHETIC DATA" not in rea and "real audio" in rea
    assert "38 real clips: a smoke test" in rea
    card = persistence.load_card(real)
    assert f"<dt>Seed</dt><dd>{card['protocol']['seed']}</dd>" in rea
    assert card["protocol"]["label"] in rea
    for lib, version in card["versions"].items():
        assert f"{lib} {version}" in rea
    assert "pop.00003" in rea   # the skipped file is named
    # per-genre n: the test column holds each genre's count and the total
    sizes = card["protocol"]["sizes"]["test"]
    genre_rows = re.findall(r"<tr><td class=''>(\w+)</td>(.*?)</tr>",
                            rea.split("<h4>Tracks per genre</h4>")[1].split("</table>")[0])
    test_counts = {g: int(re.findall(r"data-value='(\d+)'", cells)[-1]) for g, cells in genre_rows
                   if g in GENRES}
    assert test_counts == {g: sizes[g] for g in GENRES}
    assert "Learning curves" in syn and "Learning curves" not in rea


def test_text_from_cards_is_escaped(tmp_path: Path) -> None:
    run = write_run(name=HOSTILE, note=HOSTILE)
    html = document.make_report([str(run)]).html
    own = own_part(html)
    assert HOSTILE not in own and "<img" not in own and "<b>bold</b>" not in own
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;Bad &amp; &lt;b&gt;bold&lt;/b&gt;" \
        in html
    # inside the charts' JSON the label arrives escaped too (plotly shows it as plain text)
    charts = chart_text(html)
    assert "&lt;img src=x onerror=\\\"window.__pwned=1\\\"&gt;Bad &amp; &lt;b&gt;bold&lt;/b&gt;" \
        in charts
    assert "<img" not in charts and "<b>" not in charts and "\\u003cimg" not in charts


def test_a_subset_of_genres_keeps_its_own_labels() -> None:
    run = write_run(genres=("blues", "metal", "pop"))
    card = persistence.load_card(run)
    assert np.asarray(card["metrics"]["svm"]["test"]["track"]["confusion"]).shape == (10, 10)
    # evaluate pads to ten classes; a card whose matrix has its own size keeps its own names
    three = {**card, "genres": ["blues", "metal", "pop"]}
    for level in ("track", "segment"):
        rep = three["metrics"]["svm"]["test"][level]
        rep["confusion"] = np.asarray(rep["confusion"])[np.ix_([0, 6, 7], [0, 6, 7])].tolist()
        rep["recall"] = [rep["recall"][i] for i in (0, 6, 7)]
    html = document.render_report([persistence.RunInfo(run, three, None, False)])
    # two matrices, two recall charts
    assert chart_text(html).count('"x":["blues","metal","pop"]') == 4
    assert report_text.card_genres({"genres": ["a", "b"]}, 3) == ["class 0", "class 1", "class 2"]
    assert report_text.card_genres({}, 10) == list(GENRES)


def test_damaged_runs_are_named_and_left_out(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = write_run()
    corrupt = config.runs_dir() / "20990101-000000-corrupt-abc123"
    corrupt.mkdir()
    (corrupt / "card.json").write_text("{ not json")
    missing = write_run("Missing file", seed=2)
    (missing / "model.bin").unlink()
    tampered = write_run("Tampered", seed=3)
    (tampered / "model.bin").write_bytes(b"other bytes")
    no_metrics = write_run("No metrics", seed=4)
    card = json.loads((no_metrics / "card.json").read_text())
    card["metrics"] = {"svm": {"test": {"track_accuracy": "high"}}}
    (no_metrics / "card.json").write_text(json.dumps(card))
    names = [good.name, corrupt.name, str(missing), tampered.name, no_metrics.name, "no-such-run"]
    out = tmp_path / "r.html"
    result = document.make_report(names, out)
    assert [r.path.name for r in result.runs] == [good.name]
    reasons = {o.name: o.reason for o in result.left_out}
    assert set(reasons) == set(names[1:])
    assert "damaged" in reasons[corrupt.name]
    assert "model.bin is missing" in reasons[str(missing)]
    assert "checksum" in reasons[tampered.name]
    assert "not a number" in reasons[no_metrics.name]
    assert "no run folder" in reasons["no-such-run"]
    err = capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    box = html.split("id='left-out'")[1].split("</div>")[0]
    for name in names[1:]:
        assert Path(name).name in err and report_text.esc(name) in box
    assert len(table_rows(html)) == 1 and f"data-run='{good.name}'" in html
    assert "id='run-2'" not in html
    for bad in (missing, tampered, no_metrics):
        assert f"data-run='{bad.name}'" not in html


def test_no_usable_run_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    with pytest.raises(report_text.ReportError, match="no usable run.*no-such-run"):
        document.make_report(["no-such-run"], out, warn=False)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(report_text.ReportError, match="does not exist"):
        document.make_report([str(write_run())], tmp_path / "nowhere" / "r.html")


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.html"
    out.write_text("the old report")

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        document.write_report("<html>new</html>", out)
    assert out.read_text() == "the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]   # no temp file left behind


def test_runs_are_found_by_id_name_or_path() -> None:
    run = write_run()
    assert document.find_run(run.name) == run
    assert document.find_run(str(run)) == run
    runs, left = document.collect_runs([run.name, str(run)])
    assert len(runs) == 1 and not left   # asked twice, shown once
    with pytest.raises(persistence.ModelFileError, match="no run folder"):
        document.find_run("20990101-nothing")


def test_shipped_models_make_a_report(shipped_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(persistence, "MODELS_DIR", MODELS_DIR)
    names = document.shipped_run_names()
    if not names:
        pytest.skip("no shipped models in models/")
    result = document.make_report(names)
    assert not result.left_out and len(result.runs) == len(names)
    assert all(r.shipped for r in result.runs)
    assert len(table_rows(result.html)) == sum(len(r.card["metrics"]) for r in result.runs)


def test_a_trained_demo_run_is_reported(tmp_path: Path) -> None:
    root = demo.write_demo_set(tmp_path / "demo", per_genre=3, seconds=6)
    run = runner.run_training(train_config.TrainConfig(
        model="svm", feature="zcr", data_path=str(root), test_size=0.34, valid_size=0.0,
        n_jobs=1, search=False))
    card = persistence.load_card(run)
    html = document.make_report([run.name]).html
    [row] = table_rows(html)
    assert float(row["cells"][COLUMNS["track"]]["value"]) == card["metrics"]["svm"]["test"][
        "track_accuracy"]
    assert "SYNTHETIC DATA" in row["cells"][COLUMNS["data"]]["text"] + html.split(
        "<tr class='run'")[1].split("</tr>")[0]
    assert html.count("class=\"plotly-graph-div\"") == expected_charts([card])


# --- the example report in docs/ ------------------------------------------------------------

def shipped_cards() -> list[dict]:
    """The card of each shipped run in the repository's models/, in folder order (as the CLI)."""
    if not MODELS_DIR.is_dir():
        return []
    return [json.loads((d / persistence.CARD_NAME).read_text(encoding="utf-8"))
            for d in sorted(MODELS_DIR.iterdir())
            if d.is_dir() and not d.name.startswith(".") and (d / persistence.CARD_NAME).exists()]


def test_example_report_holds_every_shipped_run() -> None:
    cards = shipped_cards()
    if not cards:
        pytest.skip("no shipped models in models/")
    assert EXAMPLE.is_file(), f"{EXAMPLE} is missing: make it with {MAKE_EXAMPLE}"
    size = EXAMPLE.stat().st_size
    assert size < SIZE_LIMIT, f"{EXAMPLE.name} is {size} bytes, over the {SIZE_LIMIT}-byte limit"
    html = EXAMPLE.read_text(encoding="utf-8")
    stale = f"{EXAMPLE.name} does not match the shipped models: make it again with {MAKE_EXAMPLE}"
    sections = re.findall(r"<section class='run' id='run-\d+' data-run='([^']+)'>", html)
    assert sections == [report_text.esc(c["run_id"]) for c in cards], stale
    rows = {(r["run"], r["head"]): r["cells"] for r in table_rows(html)}
    assert set(rows) == {(c["run_id"], h) for c in cards for h in c["metrics"]}, stale
    for card in cards:
        for head, sides in card["metrics"].items():
            test, cells = sides["test"], rows[(card["run_id"], head)]
            assert float(cells[COLUMNS["track"]]["value"]) == test["track_accuracy"], stale
            assert float(cells[COLUMNS["segment"]]["value"]) == test["segment_accuracy"], stale
            assert float(cells[COLUMNS["f1"]]["value"]) == test["macro_f1"], stale
            assert int(cells[COLUMNS["n_tracks"]]["value"]) == test["n_tracks"], stale
    assert packing.embedded(html, packing.PLOTLY_BLOB_ID) == packing.plotly_js().encode("utf-8"), \
        f"{stale} (its plotly.js is another version)"
    check_self_contained(html, expected_charts(cards))


# --- in a browser, offline -------------------------------------------------------------------

@dataclass
class Visit:
    """A page opened offline, with the requests it tried off file: and the problems it logged."""

    page: object
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium through Playwright, one for the module's browser tests."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
                    "to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def offline_page(browser: object, path: Path, init_script: str | None = None,
                 **options: object) -> Iterator[Visit]:
    """The file at path in a fresh offline context; any request off file: is refused and noted."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900},
                                  **options)
    try:
        if init_script:
            context.add_init_script(init_script)
        visit = Visit(context.new_page())
        local = ("file:", "data:", "blob:")

        def guard(route) -> None:
            if not route.request.url.startswith(local):
                visit.requests.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", guard)
        page = visit.page
        page.on("request", lambda r: None if r.url.startswith(local)
                else visit.requests.append(r.url))
        page.on("console", lambda m: visit.problems.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: visit.problems.append(f"page error: {e}"))
        page.goto(path.as_uri(), wait_until="load")
        yield visit
    finally:
        context.close()


def check_drawn(page: object, n_charts: int) -> None:
    """Wait until plotly has drawn each of the page's n_charts charts: svg and marks in each."""
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= "
        f"{2 * n_charts}", timeout=60_000)
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.plotly-graph-div')).map(d => [d.id, d.querySelectorAll('svg.main-svg').length,
        d.querySelectorAll('.barlayer .trace path, .heatmaplayer image, '
        + '.scatterlayer .trace path, .scatterlayer .point').length])""")
    assert len(drawn) == n_charts
    assert all(svgs >= 1 and marks >= 1 for _, svgs, marks in drawn), drawn


def check_table_shown(page: object, cards: list[dict]) -> int:
    """The comparison table as the browser shows it holds the cards' numbers; returns its rows."""
    shown = page.evaluate("""() => Array.from(document.querySelectorAll(
        '#comparison tr.run')).map(tr => [tr.dataset.run, tr.dataset.head,
        Array.from(tr.cells).map(td => td.innerText.trim())])""")
    for run_id, head, cells in shown:
        card = next(c for c in cards if c["run_id"] == run_id)
        test = card["metrics"][head]["test"]
        assert cells[COLUMNS["track"]] == f"{100 * test['track_accuracy']:.1f} %"
        assert cells[COLUMNS["segment"]] == f"{100 * test['segment_accuracy']:.1f} %"
        assert cells[COLUMNS["f1"]] == f"{100 * test['macro_f1']:.1f} %"
        assert cells[COLUMNS["n_tracks"]] == str(test["n_tracks"])
        assert cells[COLUMNS["protocol"]] == card["protocol"]["label"]
    return len(shown)


def test_report_renders_offline_in_chromium(browser: object, tmp_path: Path) -> None:
    runs = [write_run(name=HOSTILE, history=True),
            write_run("LSTM on MFCC", "lstm", "mfcc", ("svm", "knn", "softmax"),
                      synthetic=False, history=True, seed=11)]
    broken = config.runs_dir() / "20990101-000000-broken-abc123"
    broken.mkdir()
    (broken / "card.json").write_text("[]")
    out = tmp_path / "report.html"
    result = document.make_report([str(p) for p in runs] + [broken.name], out, warn=False)
    cards = [r.card for r in result.runs]
    rows = sections.comparison_rows(result.runs)

    with offline_page(browser, out) as visit:
        page = visit.page
        check_drawn(page, expected_charts(cards))
        # the page's own unpacking gives plotly.js exactly, and every length of a last group
        assert page.evaluate("() => GenreLabReport.blobText('plotly-js')") == packing.plotly_js()
        for data in (b"", b"a", b"ab", b"abc", b"abcd", np.random.default_rng(1).bytes(4099)):
            assert bytes(page.evaluate("async ([text, n]) => Array.from(await GenreLabReport.unpack(text, n))",
                                       [packing.pack(data), len(data)])) == data

        # the comparison chart's bars and whiskers are the cards' numbers
        bars = page.evaluate("""() => document.getElementById('fig-1').data.map(t => ({
            type: t.type, name: t.name, x: Array.from(t.x), y: Array.from(t.y),
            plus: t.error_y ? Array.from(t.error_y.array) : null,
            minus: t.error_y ? Array.from(t.error_y.arrayminus) : null}))""")
        measured = {x: (y, p, m) for t in bars if t["type"] == "bar"
                    for x, y, p, m in zip(t["x"], t["y"], t["plus"], t["minus"])}
        assert len(measured) == len(rows) == 4
        for row in rows:
            y, plus, minus = measured[report_text.plot_text(row.label)]
            low, high = row.interval
            assert y == pytest.approx(row.test["track_accuracy"])
            assert y + plus == pytest.approx(high) and y - minus == pytest.approx(low)
        dashes = next(t for t in bars if t["name"].startswith("segment accuracy"))
        assert dict(zip(dashes["x"], dashes["y"])) == pytest.approx(
            {report_text.plot_text(r.label): r.test["segment_accuracy"] for r in rows})
        diamonds = next(t for t in bars if t["name"] == "published in the study")
        assert sorted(diamonds["y"]) == sorted(
            PAPER_RESULTS[k] for k in ("svm_mfcc", "lstm_svm_mfcc", "lstm_knn_mfcc"))

        # the table as shown matches the cards
        assert check_table_shown(page, cards) == 4
        # hostile text shows as text, runs nothing; the damaged run is named
        assert page.evaluate("() => window.__pwned") is None
        assert HOSTILE in page.locator("h3").first.inner_text()
        assert broken.name in page.locator("#left-out").inner_text()
        ticks = page.evaluate("""() => Array.from(document.querySelectorAll(
            '#fig-1 .xtick text')).map(t => t.textContent)""")
        assert any(t.startswith(HOSTILE) for t in ticks), ticks
    assert visit.requests == [], f"the report tried to reach the network: {visit.requests}"
    assert visit.problems == [], visit.problems


def test_example_report_renders_offline_in_chromium(browser: object) -> None:
    cards = shipped_cards()
    if not cards or not EXAMPLE.is_file():
        pytest.skip("no shipped models or no docs/example-report.html "
                    "(test_example_report_holds_every_shipped_run says which)")
    with offline_page(browser, EXAMPLE) as visit:
        check_drawn(visit.page, expected_charts(cards))
        assert check_table_shown(visit.page, cards) == sum(len(c["metrics"]) for c in cards)
    assert visit.requests == [], f"the example tried to reach the network: {visit.requests}"
    assert visit.problems == [], visit.problems


def test_the_loader_says_why_when_charts_cannot_be_drawn(browser: object, tmp_path: Path) -> None:
    run = write_run(history=True)
    n_charts = expected_charts([persistence.load_card(run)])
    html = document.render_report(document.collect_runs([str(run)])[0])
    body = dict((m.group(1), m.group(2)) for m in BLOB.finditer(html))[packing.PLOTLY_BLOB_ID]
    at = len(body) // 2
    damaged = tmp_path / "damaged.html"
    damaged.write_text(html.replace(body, body[:at] + ("0" if body[at] != "0" else "1")
                                    + body[at + 1:]), encoding="utf-8")
    plain = tmp_path / "report.html"
    plain.write_text(html, encoding="utf-8")
    # a damaged blob, then a browser without TextDecoder or DecompressionStream: each chart's
    # place says why
    for path, init, reason in ((damaged, None, ""),
                               (plain, "delete window.TextDecoder;", "TextDecoder"),
                               (plain, "delete window.DecompressionStream;",
                                "DecompressionStream")):
        with offline_page(browser, path, init) as visit:
            page = visit.page
            page.wait_for_function("n => document.querySelectorAll("
                                   "'.plotly-graph-div > p.chart-failed').length === n",
                                   arg=n_charts, timeout=60_000)
            notes = page.evaluate("() => Array.from(document.querySelectorAll("
                                  "'.plotly-graph-div')).map(d => d.innerText)")
            assert len(notes) == n_charts
            assert all("could not be drawn" in t and "in the tables" in t and reason in t
                       for t in notes), notes
            assert page.evaluate("() => document.querySelectorAll('svg.main-svg').length") == 0
        assert visit.requests == []
        assert visit.problems and all(p.startswith("error: GenreLab report: ")
                                      for p in visit.problems), visit.problems
    # with JavaScript off, the note at the top says the charts are not drawn
    with offline_page(browser, plain, java_script_enabled=False) as visit:
        assert "JavaScript is off" in visit.page.locator("body").inner_text()


def test_report_bytes_explain_when_nothing_is_usable() -> None:
    run = write_run()
    good = document.report_bytes([str(run)]).decode("utf-8")
    assert f"data-run='{run.name}'" in good
    assert packing.embedded(good, packing.PLOTLY_BLOB_ID) == packing.plotly_js().encode("utf-8")
    (run / "model.bin").write_bytes(b"changed")
    bad = document.report_bytes([str(run)]).decode("utf-8")
    assert "No report" in bad and "checksum" in bad and run.name in bad


def test_a_run_of_fewer_genres_draws_only_them_and_says_who_stopped_it() -> None:
    """In the report: a 3-genre run's 10 x 10 card matrices are drawn 3 x 3
    (no 0 % bars for genres it never learned), and a run the user stopped says so."""
    run = write_run(genres=("blues", "metal", "pop"), history=True)
    card = persistence.load_card(run)
    assert np.asarray(card["metrics"]["svm"]["test"]["track"]["confusion"]).shape == (10, 10)
    card.update(epochs_run=3, stopped_early=True, stop_note="stopped by you at epoch 3 of 40")
    html = document.render_report([persistence.RunInfo(run, card, None, False)])
    text = chart_text(html)
    assert text.count('"x":["blues","metal","pop"]') == 4      # 2 matrices, 2 recall charts
    assert '"country"' not in text
    assert "Only the 3 genres the run learned are drawn" in html
    assert "trained 3 epochs, stopped by you at epoch 3 of 40" in html
    card.pop("stop_note")
    html = document.render_report([persistence.RunInfo(run, card, None, False)])
    assert "stopped early (no gain on the validation side)" in html


def test_outside_gtzan_section_from_cards_or_a_given_evaluation() -> None:
    """The report carries the Outside GTZAN figures: the cards' own, or a fresh
    evaluate-folder result when one is given."""
    from tests.test_report_outside import figures

    run = write_run()
    card = persistence.load_card(run)
    info = persistence.RunInfo(run, card, None, False)
    assert "outside-gtzan" not in document.render_report([info])   # nothing measured: no section
    card["outside"] = {"set": "xd-dev", "n": 49, "correct": 29, "accuracy": 29 / 49,
                       "ci_low": 0.4525, "ci_high": 0.7178, "macro_f1": 0.533,
                       "date": "2026-12-06"}
    html = document.render_report([info])
    assert "<a href='#outside-gtzan'>Outside GTZAN</a>" in html
    section = html[html.index('<section id="outside-gtzan">'):html.index("id='runs'")]
    assert "59.2 % [45.2 %–71.8 %]" in section and "29 of 49" in section and "xd-dev" in section
    given = document.render_report([info], outside=figures())
    section = given[given.index('<section id="outside-gtzan">'):given.index("id='runs'")]
    assert "66.7 % [20.8 %–93.9 %]" in section and "29 of 49" not in section


def test_a_report_for_people_names_no_server_path_and_no_bench_script() -> None:
    """The report goes to stakeholders: a card's server paths are shortened to the folder's name
    and a developer's pointer to a benchmark script is left out, the rest of the note kept."""
    run = write_run("SVM on MFCC", synthetic=False, note=(
        "Trained on /work/shared/data/gtzan-ogg/genres_original: blues/classical/jazz/rock 100 "
        "each. No class weights (36.2 % against 72.3 % without; bench/cnn2d_valid.py)."))
    card = persistence.load_card(run)
    card["data"]["source"] = "GTZAN folder: /work/shared/data/gtzan-ogg/genres_original"
    card["outside"] = {"set": "/srv/private/xd-dev (49 clips)", "n": 49, "correct": 20,
                       "accuracy": 0.408, "ci_low": 0.28, "ci_high": 0.55, "macro_f1": 0.3}
    html = document.render_report([persistence.RunInfo(run, card, None, False)])
    assert "/work/" not in html and "/srv/" not in html and "bench/" not in html
    assert "gtzan-ogg/genres_original" in html and "xd-dev" in html
    assert "blues/classical/jazz/rock 100 each" in html
    assert "(36.2 % against 72.3 % without)." in html


def test_the_comparison_table_fits_a_1280_px_window(browser: object, tmp_path: Path) -> None:
    """No sideways scroll of the main table at 1280 px, and no cell of it (the Data column
    above all) cut or spilling over."""
    runs = [write_run("LSTM+SVM on MFCC, a long run name to wrap", "lstm", "mfcc",
                      ("svm", "knn", "softmax"), synthetic=False, history=True, seed=11),
            write_run("SVM on MFCC", synthetic=False)]
    for run in runs:   # the source as a card written on a server states it
        card = json.loads((run / "card.json").read_text())
        card["data"]["source"] = ("GTZAN folder: /work/shared/data/gtzan-ogg-copy-of-the-"
                                  "original-clips/genres_original")
        (run / "card.json").write_text(json.dumps(card))
    out = tmp_path / "report.html"
    html = document.render_report([persistence.RunInfo(r, json.loads(
        (r / "card.json").read_text()), None, False) for r in runs])
    out.write_text(html)
    with offline_page(browser, out) as visit:
        page = visit.page
        fit = page.evaluate("""() => {
            const table = document.getElementById('comparison');
            const box = table.parentElement;
            const cut = Array.from(table.querySelectorAll('td, th')).filter(
                c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText);
            return [box.scrollWidth, box.clientWidth, window.innerWidth,
                    document.documentElement.scrollWidth, cut];
        }""")
    scroll_width, width, window, page_width, cut = fit
    assert scroll_width <= width + 1, fit
    assert page_width <= window, fit
    assert not cut, cut
