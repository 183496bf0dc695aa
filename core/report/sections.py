"""The pieces of the HTML report: its CSS and explainer, the tables, the comparison of the runs
with the study (rows and figure), one section per run, and the registry that gives each chart its
place in the page and keeps its JSON for the charts' blob.

Every text that comes from a run card is HTML-escaped here (esc for HTML, plot_text for plotly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from core import config, evaluation, models
from core.constants import GENRES, PAPER_RESULTS
from core.models.persistence import RunInfo, protocol_text, seed_of
from core.report import comparison
from core.report.figures import accuracy_intervals, confusion_matrix, recall_bars, training_curves
from core.report.packing import CHARTS_BLOB_ID, blob_element
from core.report.text import (SPLIT_SIDES, card_genres, css_size, esc, for_readers, interval_text, is_synthetic,
                              pct, plot_text, split_sizes)

#: plotly config of every chart in the report: no logo, PNG download at twice the size
REPORT_PLOT_CONFIG: dict = {
    "displaylogo": False, "responsive": True,
    "toImageButtonOptions": {"format": "png", "filename": "genrelab-report", "scale": 2},
}
MODEL_NAMES: dict[str, str] = dict(models.MODEL_DESCRIPTIONS)
FEATURE_NAMES: dict[str, str] = dict(models.FEATURE_DESCRIPTIONS)
HEAD_TEXT: dict[str, str] = {
    "svm": "SVM head", "knn": "KNN head", "softmax": "softmax (the network's own output)",
}


# --- the comparison with the study ----------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One (run, head) of the comparison: its test metrics and where they come from."""
    run: RunInfo
    head: str
    label: str
    key: str | None
    test: dict

    @property
    def interval(self) -> tuple[float, float]:
        """95 % Wilson interval of the test track accuracy."""
        return evaluation.wilson_interval(float(self.test["track_accuracy"]),
                                          int(self.test["n_tracks"]))


def comparison_rows(runs: Sequence[RunInfo]) -> list[Row]:
    """One Row per (run, head), in the order of the study's tables, then the unpublished ones."""
    rows = []
    for run in runs:
        card = run.card or {}
        for head, sides in card["metrics"].items():
            rows.append(Row(run, head, comparison.method_label(card, head),
                            comparison.paper_key(card, head), sides["test"]))
    order = [key for _, entries in comparison.PAPER_TABLES for key, _ in entries]
    rows.sort(key=lambda r: order.index(r.key) if r.key in order else len(order))
    # two runs of one name get their run id's tail so the chart keeps both bars apart
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.label] = counts.get(r.label, 0) + 1
    return [Row(r.run, r.head, f"{r.label} · {str(r.run.card['run_id'])[-6:]}"
                if counts[r.label] > 1 else r.label, r.key, r.test) for r in rows]


def comparison_figure(rows: Sequence[Row]):
    """Bars of each row's test track accuracy with its 95 % interval; the study's figure as a diamond."""
    intervals = [r.interval for r in rows]
    return accuracy_intervals(
        [plot_text(r.label) for r in rows], [float(r.test["track_accuracy"]) for r in rows],
        [lo for lo, _ in intervals], [hi for _, hi in intervals],
        [PAPER_RESULTS[r.key] if r.key else None for r in rows],
        [is_synthetic(r.run.card) for r in rows],
        hover=[plot_text(f"n = {r.test['n_tracks']} test tracks; {protocol_text(r.run.card)}")
               for r in rows],
        segment=[float(r.test["segment_accuracy"]) for r in rows])


# --- the charts' places -------------------------------------------------------------------

class Charts:
    """Turns figures into plotly divs with stable ids (fig-1, fig-2, ...) and keeps their JSON."""
    def __init__(self) -> None:
        self.count = 0
        self.specs: list[dict] = []

    def div(self, fig, caption: str = "") -> str:
        """One chart's place in the page; its data, layout and config go to the charts' blob."""
        import plotly.io as pio

        self.count += 1
        fig_id = f"fig-{self.count}"
        spec = json.loads(pio.to_json(fig, validate=True))
        layout = spec.get("layout") or {}
        template = (layout.get("template") or {}).get("layout") or {}
        self.specs.append({"id": fig_id, "data": spec.get("data") or [], "layout": layout,
                           "config": REPORT_PLOT_CONFIG})
        # the two divs as plotly.io.to_html writes them: the outer one has the layout's size
        height = css_size(layout.get("height", template.get("height")), "100%")
        width = css_size(layout.get("width", template.get("width")), "100%")
        note = f"<p class='caption'>{caption}</p>" if caption else ""
        return (f"<figure class='chart'><div style=\"height:{height}; width:{width};\">"
                f"<div id=\"{fig_id}\" class=\"plotly-graph-div\" "
                f"style=\"height:100%; width:100%;\"></div></div>{note}</figure>")

    def blob(self) -> str:
        """The blob element of every chart's JSON ([{id, data, layout, config}], UTF-8)."""
        text = json.dumps(self.specs, separators=(",", ":"), ensure_ascii=False)
        return blob_element(CHARTS_BLOB_ID, text.encode("utf-8"))



# --- HTML pieces ----------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #222; max-width: 1180px; margin: 0 auto; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 2px solid #ddd; }
h3 { margin-top: 1.6em; } .meta { color: #666; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #E8EEF5; } td.num { text-align: right; white-space: nowrap; }
tr.published td { background: #FBEFEF; } tr.group th { background: #F4F4F4; text-align: left; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.8em;
         font-weight: 600; vertical-align: middle; margin-left: 6px; }
.synthetic { background: #FFE8A3; color: #6B4E00; border: 1px solid #D9B23C; }
.real { background: #DDF0DD; color: #1F5F1F; border: 1px solid #8CC68C; }
.box { border-left: 5px solid #4E79A7; background: #F5F8FB; padding: 8px 14px; margin: 1em 0; }
.warning { border-left-color: #D9B23C; background: #FFF8E1; }
.error { border-left-color: #E15759; background: #FDECEC; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 8px; }
.scroll { overflow-x: auto; }
#comparison { width: 100%; } #comparison td:not(.num) { overflow-wrap: anywhere; }
figure.chart { margin: 0; } .caption { color: #555; font-size: 0.88em; margin: 0 0 1em 0; }
dl.card { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
dl.card dt { font-weight: 600; } dl.card dd { margin: 0; }
code { font-size: 0.92em; }
.chart-failed { border-left: 5px solid #D9B23C; background: #FFF8E1; padding: 8px 14px; }
"""

EXPLAINER = """
<h2 id="reading">How to read this report</h2>
<p>Each <b>run</b> is one model trained by GenreLab. The tracks of a data set were split into a
training side (the model learns from these), sometimes a validation side (used to decide when to
stop training) and a <b>test side</b> that the model never saw while it was trained or tuned. Every
number below is measured on the test side only.</p>
<dl class="card">
<dt>Segment accuracy</dt><dd>Each 30-second clip is cut into ten 3-second segments and the model
names a genre for each one. Segment accuracy is the share of test segments named correctly.</dd>
<dt>Track accuracy</dt><dd>A track's verdict is the vote of its segments (the genre named most
often wins). Track accuracy is the share of whole test tracks named correctly. It is usually a
little higher than segment accuracy, because a few wrong segments are outvoted.</dd>
<dt>Macro-F1</dt><dd>For each genre, F1 balances how many of its tracks were found (recall) against
how many tracks given that label really belong to it (precision); macro-F1 is the mean over the
genres on the test side, so a rare genre counts as much as a common one. It is computed on
tracks. 100 % is perfect; a model that guesses at random among ten genres gets about 10 %.</dd>
<dt>n</dt><dd>How many test tracks (and segments) a number rests on. With few tracks, one track
more or less right moves the accuracy a lot.</dd>
<dt>95 % interval</dt><dd>The Wilson score interval of the track accuracy: the range of true
accuracies that fit what was measured on n tracks, 95 times out of 100. It is wide when n is small.
Two models whose intervals overlap widely have not been shown to differ. It is given for tracks
only: the ten segments of one track are not independent tries, so counting them as such would
draw an interval far too narrow.</dd>
<dt>Protocol</dt><dd>How the tracks were split. <i>random-track</i>: tracks drawn at random within
each genre, with a fixed seed so the split can be made again; all segments of a track stay on the
same side. <i>artist-filtered</i>: the published lists of Kereliuk, Sturm and Larsen, which keep
every artist on one side only. GTZAN holds many songs by the same artist, often from one album; in
a random split a model can score by recognising the artist or the recording rather than the genre,
so the artist-filtered split <b>scores lower</b> and is the more honest estimate of how a model
does on music it has never heard.</dd>
<dt>Published figures</dt><dd>The accuracies printed in the study (Yi et al., 2021), measured on
3-second segments of the study's own random split of GTZAN's 1000 tracks, so the closest number
measured here is segment accuracy. They are quoted, not recomputed here, so no interval is drawn
for them. They are comparable with a run only when the run used real GTZAN audio and a similar
split.</dd>
<dt>Synthetic data</dt><dd>Runs marked <span class="badge synthetic">SYNTHETIC DATA</span> were
trained and tested on GenreLab's built-in demo set: synthesised audio in ten styles named after
GTZAN's genres, not real music. They show that the software works, not how well a model hears real
music, and must not be compared with the study.</dd>
<dt>Heads</dt><dd>The LSTM runs turn each segment into 128 numbers (a "deep feature") and put an
SVM and a KNN classifier on top of them (the <i>SVM head</i> and <i>KNN head</i>); <i>softmax</i> is
the network's own output. The <i>primary</i> head is the one GenreLab uses to predict.</dd>
</dl>
"""


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """An HTML table; headers are escaped here, cells must be escaped HTML already."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(text: str, value: float | int | None = None, num: bool = False) -> str:
    """A table cell of escaped text, with its exact value in data-value when one is given."""
    attr = f" data-value='{value!r}'" if value is not None else ""
    return f"<td class='{'num' if num else ''}'{attr}>{esc(text)}</td>"


def comparison_table_html(rows: Sequence[Row]) -> str:
    """The study's figures, each followed by the comparable runs, then runs the study has no figure for."""
    headers = ("Method", "Result from", "Published accuracy", "Track accuracy",
               "95 % interval (tracks)", "Segment accuracy", "Macro-F1", "Test tracks (n)",
               "Test segments (n)", "Protocol", "Seed", "Data")   # each run's id: its section
    body = []
    by_key: dict[str | None, list[Row]] = {}
    for r in rows:
        by_key.setdefault(r.key, []).append(r)

    def run_line(r: Row) -> str:
        card = r.run.card
        low, high = r.interval
        data = comparison.data_label(card)
        cells = [
            _td(r.label), _td("shipped model" if r.run.shipped else config.for_visitors("your run")),
            _td(pct(PAPER_RESULTS[r.key]) if r.key else "–", num=True),
            _td(pct(r.test["track_accuracy"]), float(r.test["track_accuracy"]), num=True),
            _td(interval_text(low, high), num=True),
            _td(pct(r.test["segment_accuracy"]), float(r.test["segment_accuracy"]), num=True),
            _td(pct(r.test["macro_f1"]), float(r.test["macro_f1"]), num=True),
            _td(str(r.test["n_tracks"]), int(r.test["n_tracks"]), num=True),
            _td(str(r.test["n_segments"]), int(r.test["n_segments"]), num=True),
            _td(protocol_text(card)), _td(seed_of(card)),
            (f"<td>{esc(data)}<span class='badge synthetic'>SYNTHETIC DATA</span></td>"
             if is_synthetic(card) else _td(data)),
        ]
        return (f"<tr class='run' data-run='{esc(card['run_id'])}' data-head='{esc(r.head)}'>"
                + "".join(cells) + "</tr>")

    ncol = len(headers)
    for title, entries in comparison.PAPER_TABLES:
        body.append(f"<tr class='group'><th colspan='{ncol}'>{esc(title)}</th></tr>")
        for key, method in entries:
            body.append(
                f"<tr class='published' data-key='{esc(key)}'>{_td(method)}"
                f"{_td(comparison.PAPER_SOURCE)}"
                f"{_td(pct(PAPER_RESULTS[key]), PAPER_RESULTS[key], num=True)}"
                + "<td>–</td>" * 6 + f"{_td(comparison.PAPER_PROTOCOL)}<td>–</td>"
                f"{_td('GTZAN (1000 tracks)')}</tr>")
            body.extend(run_line(r) for r in by_key.get(key, []))
    if by_key.get(None):
        body.append(f"<tr class='group'><th colspan='{ncol}'>Not in the study's tables</th></tr>")
        body.extend(run_line(r) for r in by_key[None])
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return (f"<div class='scroll'><table id='comparison'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _genre_table(card: dict) -> str:
    """Tracks per genre on each side of the split."""
    sizes = split_sizes(card)
    if not sizes:
        return "<p>The card does not record how many tracks of each genre were used.</p>"
    sides = [s for s in SPLIT_SIDES if s in sizes]
    genres = [g for g in card.get("genres") or GENRES]
    genres += sorted({g for s in sides for g in sizes[s]} - set(genres))
    rows = [[_td(g)] + [_td(str(sizes[s].get(g, 0)), sizes[s].get(g, 0), num=True)
                        for s in sides] for g in genres]
    rows.append([_td("all genres")] + [_td(str(sum(sizes[s].values())), sum(sizes[s].values()),
                                           num=True) for s in sides])
    names = {"train": "training tracks", "valid": "validation tracks", "test": "test tracks"}
    return _table(["genre"] + [names[s] for s in sides], rows, cls="genres")


def _metrics_table(card: dict) -> str:
    """Test metrics of each head of a run, with n."""
    rows = []
    primary = card.get("primary")
    for head, sides in card["metrics"].items():
        test = sides["test"]
        low, high = evaluation.wilson_interval(float(test["track_accuracy"]), int(test["n_tracks"]))
        name = HEAD_TEXT.get(head, head) + (" (primary)" if head == primary else "")
        rows.append([_td(name), _td(pct(test["track_accuracy"]), float(test["track_accuracy"]),
                                    num=True),
                     _td(interval_text(low, high), num=True),
                     _td(pct(test["segment_accuracy"]), float(test["segment_accuracy"]), num=True),
                     _td(pct(test["macro_f1"]), float(test["macro_f1"]), num=True),
                     _td(str(test["n_tracks"]), num=True), _td(str(test["n_segments"]), num=True)])
    return _table(["head", "track accuracy", "95 % interval", "segment accuracy", "macro-F1",
                   "test tracks", "test segments"], rows, cls="metrics")


def _settings(card: dict) -> str:
    """The training settings that matter for a reader, as text."""
    cfg = card.get("config") or {}
    parts = []
    for key, label in (("epochs", "epochs (at most)"), ("batch_size", "batch size"),
                       ("learning_rate", "learning rate"), ("patience", "early-stopping patience")):
        if cfg.get(key) is not None and card.get("history"):
            parts.append(f"{label} {cfg[key]}")
    augment = [k.replace("_", " ") for k, on in (cfg.get("augment") or {}).items() if on]
    if card.get("history"):
        parts.append("augmentation: " + (", ".join(augment) if augment else "none"))
        if card.get("epochs_run") is not None:
            stopped = (f", {config.for_visitors(card['stop_note'])}" if card.get("stop_note")
                       else ", stopped early (no gain on the validation side)"
                       if card.get("stopped_early") else "")
            parts.append(f"trained {card['epochs_run']} epochs{stopped}")
    return "; ".join(parts) if parts else "–"


def run_section(run: RunInfo, charts: Charts, index: int) -> str:
    """One run: what it is, its data card, protocol, metrics and charts."""
    card = run.card
    data = card.get("data") or {}
    synthetic = is_synthetic(card)
    badge = ("<span class='badge synthetic'>SYNTHETIC DATA</span>" if synthetic
             else "<span class='badge real'>real audio</span>")
    out = [f"<section class='run' id='run-{index}' data-run='{esc(card['run_id'])}'>",
           f"<h3>{index}. {esc(config.for_visitors(card.get('name') or card['run_id']))} "
           f"{badge}</h3>"]
    if synthetic:
        out.append("<div class='box warning'>This run was trained and tested on synthetic audio "
                   "(GenreLab's built-in demo set, not GTZAN). Its numbers show that the software "
                   "works; they say nothing about real music.</div>")
    if data.get("note"):
        out.append(f"<div class='box'>Note on the data: {esc(for_readers(data['note']))}</div>")
    skipped = data.get("skipped") or []
    skipped_text = (f"{len(skipped)} file(s) could not be read and were left out: "
                    + ", ".join(esc(s[0] if isinstance(s, (list, tuple)) else s)
                                for s in skipped[:20]) + (" …" if len(skipped) > 20 else "")
                    if skipped else "none")
    versions = card.get("versions") or {}
    model = str(card.get("model"))
    feature = str(card.get("feature"))
    items = [
        ("Run id", esc(card["run_id"]) + (" (shipped with GenreLab)" if run.shipped else "")),
        ("Created", esc(card.get("created", "–"))),
        ("Model", esc(MODEL_NAMES.get(model, model))),
        ("Input feature", esc(FEATURE_NAMES.get(feature, feature))),
        ("Data", esc(for_readers(data.get("source", "unknown"))) + " — "
         + ("<b>synthetic</b> audio" if synthetic else "real audio")
         + f", {esc(data.get('n_tracks', '?'))} tracks"),
        ("Files skipped", skipped_text),
        ("Protocol", esc(protocol_text(card))),
        ("Seed", esc(seed_of(card))),
        ("Training", esc(_settings(card))),
        ("Training time", esc(f"{float(card['elapsed_s']):.1f} s")
         if isinstance(card.get("elapsed_s"), (int, float)) else "–"),
        ("Library versions", esc(", ".join(f"{k} {v}" for k, v in versions.items()) or "–")),
    ]
    out.append("<dl class='card'>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
               + "</dl>")
    out.append("<h4>Tracks per genre</h4>" + _genre_table(card))
    out.append("<h4>Test results</h4>" + _metrics_table(card))

    heads = list(card["metrics"])
    head = card.get("primary") if card.get("primary") in heads else heads[0]
    test = card["metrics"][head]["test"]
    figs = []
    for level, noun in (("track", "tracks"), ("segment", "segments")):
        report = test.get(level)
        if not isinstance(report, dict) or "confusion" not in report:
            continue
        cm = np.asarray(report["confusion"])
        genres = card_genres(card, cm.shape[0])
        labels = [plot_text(g) for g in genres]
        learned = [plot_text(g) for g in card.get("genres") or []
                   if len(card.get("genres") or []) < len(genres)] or None
        figs.append(charts.div(
            confusion_matrix(cm, labels, True, title=f"Confusion matrix, test {noun}",
                             run_genres=learned),
            f"{esc(HEAD_TEXT.get(head, head))}. Rows: the true genre; columns: the genre the "
            f"model named. Each cell is the fraction of that row's test {noun}; the diagonal "
            "holds the right answers. An empty row is a genre with no test items."
            + (f" Only the {len(learned)} genres the run learned are drawn." if learned else "")))
        recall = report.get("recall")
        if isinstance(recall, list) and len(recall) == len(genres):
            figs.append(charts.div(
                recall_bars([float(r) for r in recall], labels,
                            title=f"Recall per genre, test {noun}", run_genres=learned,
                            support=[int(k) for k in cm.sum(axis=1)]),
                f"Of the test {noun} of each genre, the share the model named correctly."))
    if figs:
        out.append(f"<h4>Where the model goes wrong ({esc(HEAD_TEXT.get(head, head))})</h4>"
                   f"<div class='charts'>{''.join(figs)}</div>")
    else:
        out.append("<p>This run saved no confusion matrix.</p>")
    history = [e for e in card.get("history") or [] if isinstance(e, dict)
               and e.get("epoch") is not None and e.get("loss") is not None]
    if history:
        fig = training_curves(history)
        out.append("<h4>Learning curves</h4>" + charts.div(
            fig, "Loss (left, lower is better) and accuracy (right) on the training and the "
            "validation side after each epoch. A validation curve that turns up while the "
            "training curve keeps falling is over-fitting: the network learns its training "
            "tracks by heart."))
    out.append("</section>")
    return "".join(out)

