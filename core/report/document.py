"""A self-contained HTML report of chosen runs, for people who never saw GenreLab.

One file that opens without a network: every text and table is plain HTML; the charts are plotly
divs drawn from data inside the file, with no external fonts, images or styles. plotly.js (4.8 MB)
and the charts' JSON are embedded packed, so the file stays small enough to keep in the
repository (the example report of the shipped models, docs/example-report.html, is about 1.5 MB):
each is LZMA-compressed and written as base85 text in a <script type="text/plain"> element, with
its unpacked size and CRC-32; the small loader of core/report_loader.js unpacks them in the
browser (plain JavaScript, no browser decompression API needed), runs plotly.js and draws each
chart, or writes in each chart's place why it could not. The report holds the runs beside the
study's published figures (a bar chart with 95 % Wilson intervals and a table), then one section
per run: protocol, data card, seed, library versions, confusion matrices, per-genre recall and
learning curves. Every text that comes from a run card is HTML-escaped.

No Streamlit here: the CLI (`python -m core report`) and the Results page both call make_report /
render_report.
"""

from __future__ import annotations

import base64
import html
import json
import lzma
import os
import re
import secrets
import sys
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from core import evaluation, models
from core.models import persistence
from core.report import comparison
from core.constants import GENRES, PAPER_RESULTS
from core.models.persistence import ModelFileError, RunInfo, protocol_text, seed_of
from core.report.figures import accuracy_intervals
from core.report.figures import confusion_matrix, recall_bars, training_curves

REPORT_TITLE = "GenreLab report: music-genre classifiers beside the study of Yi et al. (2021)"
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
SPLIT_SIDES: tuple[str, ...] = ("train", "valid", "test")
LOADER_PATH = Path(__file__).with_name("report_loader.js")
#: id of the blob element holding plotly.js, and of the one holding the charts' JSON
PLOTLY_BLOB_ID = "plotly-js"
CHARTS_BLOB_ID = "report-charts"
#: Python's base85 alphabet (RFC 1924) holds '<' but not '.': blobs write '<' as '.', so a blob
#: holds neither '<' nor '/' and nothing in it can end or change its <script> element
_TO_BLOB = bytes.maketrans(b"<", b".")
_FROM_BLOB = bytes.maketrans(b".", b"<")


class ReportError(ValueError):
    """A report that cannot be made (no usable run, nowhere to write); the message says why."""


@dataclass(frozen=True)
class LeftOut:
    """A run asked for but left out of the report, with the reason."""
    name: str
    reason: str


@dataclass
class Report:
    """A rendered report: its HTML, the runs it holds and those it left out."""
    html: str
    runs: list[RunInfo]
    left_out: list[LeftOut] = field(default_factory=list)
    path: Path | None = None


# --- choosing the runs ----------------------------------------------------------------------

def find_run(name: str) -> Path:
    """A run folder by path, folder name or run id (user runs, then the shipped models)."""
    candidate = Path(name).expanduser()
    if candidate.is_dir():
        return candidate
    for run in persistence.iter_runs():
        if name in (run.path.name, str((run.card or {}).get("run_id", ""))):
            return run.path
    raise ModelFileError(f"{name}: no run folder with that path, name or run id")


def shipped_run_names() -> list[str]:
    """Folders of the shipped models in models/, oldest first (each holds a card.json)."""
    root = persistence.MODELS_DIR
    if not root.is_dir():
        return []
    return [str(p) for p in sorted(root.iterdir())
            if p.is_dir() and not p.name.startswith(".") and (p / persistence.CARD_NAME).exists()]


def collect_runs(names: Iterable[str]) -> tuple[list[RunInfo], list[LeftOut]]:
    """Load and check (files and checksums) each named run; damaged or unknown ones are left out."""
    runs: list[RunInfo] = []
    left_out: list[LeftOut] = []
    seen: set[Path] = set()
    shipped_root = persistence.MODELS_DIR.resolve()
    for name in names:
        try:
            path = find_run(str(name)).resolve()
            if path in seen:
                continue
            card = persistence.load_card(path, verify=True)
            check_card(card)
        except ModelFileError as exc:
            left_out.append(LeftOut(str(name), str(exc)))
            continue
        seen.add(path)
        runs.append(RunInfo(path, card, None, shipped_root in path.parents))
    return runs, left_out


def check_card(card: dict) -> None:
    """ModelFileError unless the card holds what the report draws (test metrics of each head)."""
    name = str(card.get("run_id", "?"))
    metrics = card.get("metrics")
    if not isinstance(metrics, dict) or not metrics:
        raise ModelFileError(f"{name}: card.json holds no metrics")
    for head, sides in metrics.items():
        test = sides.get("test") if isinstance(sides, dict) else None
        if not isinstance(test, dict):
            raise ModelFileError(f"{name}: card.json holds no test metrics for head {head!r}")
        for key in ("segment_accuracy", "track_accuracy", "macro_f1", "n_tracks", "n_segments"):
            value = test.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ModelFileError(f"{name}: test {key} of head {head!r} is missing or not "
                                     "a number")
        for level in ("segment", "track"):
            report = test.get(level)
            if report is None:
                continue
            cm = np.asarray(report.get("confusion", []) if isinstance(report, dict) else [])
            if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
                raise ModelFileError(f"{name}: {level} confusion matrix of head {head!r} "
                                     "is not square")
    if not isinstance(card.get("protocol"), dict):
        raise ModelFileError(f"{name}: card.json protocol is not a table")


# --- small formatting helpers ---------------------------------------------------------------

def esc(value: object) -> str:
    """Text of any value, HTML-escaped (quotes too)."""
    return html.escape(str(value), quote=True)


def plot_text(value: object) -> str:
    """Text for a plotly label: <, > and & escaped (plotly shows the entities as plain text)."""
    return html.escape(str(value), quote=False)


def pct(value: float | None) -> str:
    """A fraction of 1 as a percentage with one decimal ("45.5 %"), or a dash."""
    if value is None or not isinstance(value, (int, float)) or not np.isfinite(value):
        return "–"
    return f"{100 * float(value):.1f} %"


def interval_text(low: float, high: float) -> str:
    """A 95 % interval as text ("24.6–67.9 %")."""
    return f"{100 * low:.1f}–{100 * high:.1f} %"


def card_genres(card: dict, n: int) -> list[str]:
    """Genre names of a run's n classes: the card's own list, else GTZAN's ten, else numbers."""
    own = card.get("genres")
    if isinstance(own, list) and len(own) == n:
        return [str(g) for g in own]
    if n == len(GENRES):
        return list(GENRES)
    return [f"class {i}" for i in range(n)]


def split_sizes(card: dict) -> dict[str, dict[str, int]]:
    """Tracks per genre on each side of the split: {side: {genre: n}} from the card's protocol."""
    protocol = card.get("protocol") or {}
    sizes = protocol.get("sizes")
    if isinstance(sizes, dict) and all(isinstance(sizes.get(s), dict) for s in SPLIT_SIDES
                                       if s in sizes):
        return {s: {g: int(n) for g, n in sizes[s].items() if g != "total"}
                for s in SPLIT_SIDES if s in sizes}
    out: dict[str, dict[str, int]] = {}
    for side in SPLIT_SIDES:
        ids = protocol.get(side)
        if isinstance(ids, list):
            counts: dict[str, int] = {}
            for track in ids:
                genre = str(track).split(".")[0]
                counts[genre] = counts.get(genre, 0) + 1
            out[side] = counts
    return out


def is_synthetic(card: dict) -> bool:
    """Whether the run was trained and tested on synthetic audio."""
    return bool((card.get("data") or {}).get("synthetic"))


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


# --- HTML pieces ----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle that ships with the plotly package (minified, about 4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def pack(data: bytes) -> str:
    """data LZMA-compressed (the "alone" format, with its end marker) as base85 text with no '<'.
    Sizes for plotly.js: 4.8 MB raw, 1.11 MB packed, 1.39 MB as text (gzip -9 gives 1.47 MB, 1.84 MB
    as base85). The same bytes for one liblzma version. The dictionary holds the whole input (the
    loader keeps all its output anyway); lc=3, lp=0, pb=0 suit text.
    """
    filters = [{"id": lzma.FILTER_LZMA1, "preset": 9 | lzma.PRESET_EXTREME,
                "dict_size": max(1 << 16, len(data)), "lc": 3, "lp": 0, "pb": 0}]
    packed = lzma.compress(data, format=lzma.FORMAT_ALONE, filters=filters)
    return base64.b85encode(packed).translate(_TO_BLOB).decode("ascii")


def unpack(text: str) -> bytes:
    """The bytes a pack() text holds (ValueError or lzma.LZMAError when it is damaged)."""
    return lzma.decompress(base64.b85decode(text.encode("ascii").translate(_FROM_BLOB)),
                           format=lzma.FORMAT_ALONE)


def blob_element(blob_id: str, data: bytes) -> str:
    """A <script type="text/plain"> element holding pack(data), its size in bytes and CRC-32."""
    return (f'<script type="text/plain" id="{blob_id}" data-size="{len(data)}" '
            f'data-crc32="{zlib.crc32(data)}">{pack(data)}</script>')


@lru_cache(maxsize=1)
def plotly_blob() -> str:
    """The blob element of plotly.js (packing it takes about 2 s, so it is made once)."""
    return blob_element(PLOTLY_BLOB_ID, plotly_js().encode("utf-8"))


def embedded(text: str, blob_id: str) -> bytes:
    """The bytes of the blob of that id in a report's HTML, checked against its size and CRC-32.
    ValueError when the report holds no such blob or it does not unpack to what it states
    (lzma.LZMAError when its LZMA data is damaged).
    """
    found = re.findall(rf'<script type="text/plain" id="{re.escape(blob_id)}" '
                       r'data-size="(\d+)" data-crc32="(\d+)">([^<]*)</script>', text)
    if len(found) != 1:
        raise ValueError(f"the report holds {len(found)} blobs {blob_id!r}, not one")
    size, crc, body = found[0]
    data = unpack(body)
    if len(data) != int(size) or zlib.crc32(data) != int(crc):
        raise ValueError(f"blob {blob_id!r} does not unpack to the size and CRC-32 it states")
    return data


@lru_cache(maxsize=1)
def loader_js() -> str:
    """The loader script (core/report_loader.js) that unpacks the blobs and draws the charts."""
    code = LOADER_PATH.read_text(encoding="utf-8")
    if re.search(r"<script|</script|<!--", code, flags=re.I):
        raise ReportError(f"{LOADER_PATH} holds '<script', '</script' or '<!--', which would "
                          "change where its script element ends")
    return code


def css_size(value: object, default: str) -> str:
    """A plotly layout width or height as CSS ("460px"), or default when the layout has none."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value}px"
    return str(value) if value else default


class _Charts:
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
               "Test segments (n)", "Protocol", "Seed", "Data", "Run")
    body = []
    by_key: dict[str | None, list[Row]] = {}
    for r in rows:
        by_key.setdefault(r.key, []).append(r)

    def run_line(r: Row) -> str:
        card = r.run.card
        low, high = r.interval
        data = comparison.data_label(card)
        cells = [
            _td(r.label), _td("shipped model" if r.run.shipped else "your run"),
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
            _td(str(card["run_id"])),
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
                f"{_td('GTZAN (1000 tracks)')}<td></td></tr>")
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
            parts.append(f"trained {card['epochs_run']} epochs"
                         + (", stopped early" if card.get("stopped_early") else ""))
    return "; ".join(parts) if parts else "–"


def run_section(run: RunInfo, charts: _Charts, index: int) -> str:
    """One run: what it is, its data card, protocol, metrics and charts."""
    card = run.card
    data = card.get("data") or {}
    synthetic = is_synthetic(card)
    badge = ("<span class='badge synthetic'>SYNTHETIC DATA</span>" if synthetic
             else "<span class='badge real'>real audio</span>")
    out = [f"<section class='run' id='run-{index}' data-run='{esc(card['run_id'])}'>",
           f"<h3>{index}. {esc(card.get('name') or card['run_id'])} {badge}</h3>"]
    if synthetic:
        out.append("<div class='box warning'>This run was trained and tested on synthetic audio "
                   "(GenreLab's built-in demo set, not GTZAN). Its numbers show that the software "
                   "works; they say nothing about real music.</div>")
    if data.get("note"):
        out.append(f"<div class='box'>Note on the data: {esc(data['note'])}</div>")
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
        ("Data", esc(data.get("source", "unknown")) + " — "
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
        figs.append(charts.div(
            confusion_matrix(cm, labels, True, title=f"Confusion matrix, test {noun}"),
            f"{esc(HEAD_TEXT.get(head, head))}. Rows: the true genre; columns: the genre the "
            f"model named. Each cell is the fraction of that row's test {noun}; the diagonal "
            "holds the right answers. An empty row is a genre with no test items."))
        recall = report.get("recall")
        if isinstance(recall, list) and len(recall) == len(genres):
            figs.append(charts.div(
                recall_bars([float(r) for r in recall], labels,
                            title=f"Recall per genre, test {noun}"),
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


def render_report(runs: Sequence[RunInfo], left_out: Sequence[LeftOut] = (),
                  title: str = REPORT_TITLE, created: str | None = None) -> str:
    """The whole report as one HTML document (plotly.js and the charts packed inside; no network)."""
    if not runs:
        raise ReportError("no usable run to report on"
                          + (": " + "; ".join(f"{o.reason}" for o in left_out) if left_out else ""))
    created = created or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    charts = _Charts()
    rows = comparison_rows(runs)
    n_syn = sum(is_synthetic(r.card) for r in runs)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        "<noscript><div class='box warning'>JavaScript is off, so the charts are not drawn; "
        "every number is also in the tables.</div></noscript>",
        f"<p class='meta'>Made by GenreLab on {esc(created)} from {len(runs)} run(s). "
        "This file is self-contained: it needs no network and no other file.</p>",
        "<p>GenreLab trains the music-genre classifiers of <i>Music Genre Classification with "
        "LSTM, 2D-CNN and 1D-CNN based on Time and Frequency Domain Features</i> (Yi et al., "
        "2021) — support-vector machines, nearest-neighbour classifiers and neural networks — on "
        "GTZAN, a collection of 1000 30-second music clips in ten genres, and measures them on "
        "tracks they never saw. This report shows how the runs below did, beside the figures the "
        "study published.</p>",
    ]
    if n_syn:
        parts.append(f"<div class='box warning'>{n_syn} of the {len(runs)} run(s) used "
                     "<b>synthetic</b> audio (marked SYNTHETIC DATA): their numbers are not "
                     "comparable with the study's.</div>")
    if left_out:
        parts.append("<div class='box error' id='left-out'><b>Left out of this report</b> (asked "
                     "for, but the run folder is missing or damaged):<ul>"
                     + "".join(f"<li><b>{esc(o.name)}</b>: {esc(o.reason)}</li>" for o in left_out)
                     + "</ul></div>")
    parts.append("<p>Contents: <a href='#reading'>How to read this report</a> · "
                 "<a href='#comparison-section'>Beside the study</a> · "
                 "<a href='#runs'>Each run in detail</a></p>")
    parts.append(EXPLAINER)
    parts.append("<h2 id='comparison-section'>Beside the study</h2>")
    parts.append(charts.div(comparison_figure(rows),
                            "Bars: test track accuracy measured here; whiskers: its 95 % "
                            "interval; black dashes: segment accuracy measured here; red "
                            "diamonds: the accuracy the study published for the same method, on "
                            "3-s segments (none where the study has no such figure). Hatched grey "
                            "bars are runs on synthetic audio."))
    parts.append("<p>The table lists each of the study's published figures (shaded) followed by "
                 "the runs that used the same method, then runs the study has no figure for.</p>")
    parts.append(comparison_table_html(rows))
    parts.append("<h2 id='runs'>Each run in detail</h2>")
    parts.extend(run_section(run, charts, i) for i, run in enumerate(runs, start=1))
    parts.append("<p class='meta'>GenreLab report · numbers taken from each run's card.json "
                 "(run id given in each section).</p>")
    # packed plotly.js and charts, then the loader that unpacks them and draws each chart
    parts += [plotly_blob(), charts.blob(), f"<script>{loader_js()}</script></body></html>"]
    return "".join(parts)


def write_report(text: str, out: Path) -> Path:
    """Write the report atomically (temp file beside it, then rename); returns the path."""
    out = Path(out).expanduser()
    if not out.parent.is_dir():
        raise ReportError(f"cannot write {out}: folder {out.parent} does not exist")
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(3)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def make_report(names: Iterable[str], out: Path | None = None, title: str = REPORT_TITLE,
                warn: bool = True) -> Report:
    """Collect the named runs, render the report and (with out) write it; damaged runs are named
    on stderr (warn) and in the report, and left out."""
    runs, left_out = collect_runs(names)
    if warn:
        for item in left_out:
            print(f"warning: left out of the report: {item.reason}", file=sys.stderr)
    text = render_report(runs, left_out, title=title)
    path = write_report(text, out) if out is not None else None
    return Report(text, runs, left_out, path)


def report_bytes(names: Iterable[str]) -> bytes:
    """The report of the named runs as UTF-8 bytes (the Results page's download).
    When none of them is usable, a short HTML page that says why, so a download never fails
    without a word.
    """
    runs, left_out = collect_runs(names)
    if runs:
        return render_report(runs, left_out).encode("utf-8")
    items = "".join(f"<li><b>{esc(o.name)}</b>: {esc(o.reason)}</li>" for o in left_out)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(REPORT_TITLE)}"
            f"</title></head><body><h1>No report</h1><p>None of the chosen runs could be used:</p>"
            f"<ul>{items or '<li>no run was chosen</li>'}</ul></body></html>").encode("utf-8")
