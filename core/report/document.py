"""A self-contained HTML report of chosen runs, for people who never saw GenreLab.

One file that opens without a network: every text and table is plain HTML; the charts are plotly
divs drawn from data inside the file, with no external fonts, images or styles. plotly.js (4.8 MB)
and the charts' JSON are embedded packed (gzip, written as base85 text; core.report.packing), so
the example report of the shipped models, docs/example-report.html, stays under 2 MB; the small
loader core/report/report_loader.js unpacks them with the browser's DecompressionStream, runs
plotly.js and draws each chart, or writes in each chart's place why it could not. The report holds
the runs beside the study's published figures (a bar chart with 95 % Wilson intervals and a
table), then one section per run (core.report.sections). Every text that comes from a run card is
HTML-escaped.

This module chooses and checks the runs, puts the pieces together and writes the file. No
Streamlit here: the CLI (`python -m core report`) and the Results page both call make_report /
report_bytes.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from core.models import persistence
from core.models.persistence import ModelFileError, RunInfo
from core.report.outside import cards_outside_html, outside_section_html
from core.report.packing import loader_js, plotly_blob
from core.report.sections import (CSS, EXPLAINER, Charts, comparison_figure, comparison_rows,
                                  comparison_table_html, run_section)
from core.report.text import ReportError, esc, is_synthetic

REPORT_TITLE = "GenreLab report: music-genre classifiers beside the study of Yi et al. (2021)"


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


# --- the whole report -----------------------------------------------------------------------

def render_report(runs: Sequence[RunInfo], left_out: Sequence[LeftOut] = (),
                  title: str = REPORT_TITLE, created: str | None = None,
                  outside: dict | None = None) -> str:
    """The whole report as one HTML document (plotly.js and the charts packed inside; no network).
    outside: an evaluate-folder result (OutsideResult.to_dict()) for the Outside GTZAN section;
    without it, the section shows the outside figures the runs' cards record, if any."""
    if not runs:
        raise ReportError("no usable run to report on"
                          + (": " + "; ".join(f"{o.reason}" for o in left_out) if left_out else ""))
    created = created or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    charts = Charts()
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
    outside_html = (outside_section_html(outside) if outside is not None
                    else cards_outside_html([r.card for r in runs]))
    parts.append("<p>Contents: <a href='#reading'>How to read this report</a> · "
                 "<a href='#comparison-section'>Beside the study</a> · "
                 + ("<a href='#outside-gtzan'>Outside GTZAN</a> · " if outside_html else "")
                 + "<a href='#runs'>Each run in detail</a></p>")
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
    if outside_html:
        parts.append(outside_html)
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
                warn: bool = True, outside: dict | None = None) -> Report:
    """Collect the named runs, render the report and (with out) write it; damaged runs are named
    on stderr (warn) and in the report, and left out."""
    runs, left_out = collect_runs(names)
    if warn:
        for item in left_out:
            print(f"warning: left out of the report: {item.reason}", file=sys.stderr)
    text = render_report(runs, left_out, title=title, outside=outside)
    path = write_report(text, out) if out is not None else None
    return Report(text, runs, left_out, path)


def report_bytes(names: Iterable[str], outside: dict | None = None) -> bytes:
    """The report of the named runs as UTF-8 bytes (the Results page's download); outside: an
    evaluate-folder result for its Outside GTZAN section (see render_report).
    When none of them is usable, a short HTML page that says why, so a download never fails
    without a word.
    """
    runs, left_out = collect_runs(names)
    if runs:
        return render_report(runs, left_out, outside=outside).encode("utf-8")
    items = "".join(f"<li><b>{esc(o.name)}</b>: {esc(o.reason)}</li>" for o in left_out)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(REPORT_TITLE)}"
            f"</title></head><body><h1>No report</h1><p>None of the chosen runs could be used:</p>"
            f"<ul>{items or '<li>no run was chosen</li>'}</ul></body></html>").encode("utf-8")
