"""Results: every finished run beside the study's published figures, with the protocol of each number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core import config
from core.report import document
from core.report.comparison import FLOAT_COLUMNS, HEAD_NAMES, PAPER_TABLES, beyond_table, comparison_table, data_label, run_rows, table_for
from core.constants import GENRES
from core.report.figures import confusion_matrix, recall_bars
from core.models.persistence import RunInfo, iter_runs
from pages import data_source, layout
from pages.outside_view import show_outside


CHART_MIN_PX = 480   #: narrowest cell the confusion matrix shares a row in (10 readable columns)

#: The results tables' columns as shown: what a number is and rests on first (method, track
#: accuracy, protocol, n), so they stay in view in a 1280-px window; the rest after.
SHOWN_COLUMNS: tuple[str, ...] = (
    "Method", "Track accuracy", "Protocol", "Test tracks", "Published accuracy",
    "Segment accuracy", "Macro-F1", "Result from", "Data", "Run")
#: px of each shown column (Streamlit's own sizes cut the protocol or pushed it out of view)
COLUMN_PX: dict[str, int] = {"Method": 200, "Track accuracy": 105, "Protocol": 410,
                             "Test tracks": 85, "Published accuracy": 140,
                             "Segment accuracy": 130, "Macro-F1": 85}


def show_table(df: pd.DataFrame) -> None:
    """A results table: accuracies in percent like the rest of GenreLab, a dash where there is
    none, the key columns first, helper columns hidden."""
    formats = {c: st.column_config.NumberColumn(format="percent", width=COLUMN_PX.get(c))
               for c in FLOAT_COLUMNS}
    formats["Test tracks"] = st.column_config.NumberColumn(format="%d",
                                                           width=COLUMN_PX["Test tracks"])
    for column in ("Method", "Protocol"):
        formats[column] = st.column_config.TextColumn(column, width=COLUMN_PX[column])
    shown = df[list(SHOWN_COLUMNS)].copy()
    shown["Method"] = shown["Method"].map(lambda m: config.for_visitors(str(m)))
    shown["Result from"] = shown["Result from"].map(
        lambda m: config.for_visitors(str(m)) if isinstance(m, str) else m)
    st.dataframe(shown, hide_index=True, column_config=formats, placeholder="–")


def show_run(card: dict) -> None:
    """Metrics, confusion matrix and per-genre recall of one run's chosen head."""
    heads = list((card.get("metrics") or {}).keys())
    if not heads:
        st.warning("This run has no test metrics.")
        return
    primary = card.get("primary") if card.get("primary") in heads else heads[0]
    c1, c2 = st.columns(2)
    head = c1.selectbox("Head", heads, index=heads.index(primary), key="results_head",
                        format_func=lambda h: HEAD_NAMES.get(h, h),
                        help="Classifier on top of the model; the primary one is used on Try it.")
    level = c2.radio("Count", ["track", "segment"], horizontal=True, key="results_level",
                     format_func=lambda v: "tracks (vote of segments)" if v == "track"
                     else "3-s segments")
    test = (card["metrics"][head] or {}).get("test") or {}
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Track accuracy", layout.fmt_pct(test.get("track_accuracy")))
    m2.metric("Segment accuracy", layout.fmt_pct(test.get("segment_accuracy")))
    m3.metric("Macro-F1", layout.fmt_pct(test.get("macro_f1")))
    m4.metric("Test tracks", test.get("n_tracks", "–"))
    protocol = (card.get("protocol") or {}).get("label", "unknown protocol")
    st.caption(f"Protocol: {protocol}. Data: {data_label(card)}.")
    if card.get("genre_notes"):
        st.warning("**This run, per genre:**\n" + "\n".join(f"- {n}" for n in
                                                            card["genre_notes"]),
                   icon=":material/warning:")
    report = test.get(level)
    if not report or "confusion" not in report:
        st.info(f"This run saved no {level}-level confusion matrix.")
        return
    normalise = st.toggle("Show fractions of each true genre", value=True, key="results_norm")
    # side by side only where each gets CHART_MIN_PX; else the recall bars go below, so the
    # matrix keeps readable cells in a narrow window instead of shrinking with its column
    charts = st.grid(2, min_column_width=CHART_MIN_PX)
    cm = np.asarray(report["confusion"])
    run_genres = card.get("genres") if isinstance(card.get("genres"), list) else None
    layout.plot(confusion_matrix(cm, GENRES, normalise, title=f"Confusion matrix ({level}s)",
                                 run_genres=run_genres),
                key="results_cm", where=charts)
    layout.plot(recall_bars(report.get("recall", [0.0] * len(GENRES)),
                            title=f"Recall per genre ({level}s)", run_genres=run_genres,
                            support=cm.sum(axis=1).tolist()),
                key="results_recall", where=charts)
    if run_genres and len(run_genres) < len(GENRES):
        st.caption(f"This run learned {len(run_genres)} genres ({', '.join(run_genres)}); the "
                   "charts show only those. A genre with no test items reads n/a, not 0 %.")


def origin(run: RunInfo) -> str:
    """Where a run comes from, in the wording of the mode: "shipped", "yours" (or "trained
    here" to a visitor of a viewer-mode server)."""
    if run.shipped:
        return "shipped"
    return "trained here" if config.viewer_mode() else "yours"


#: session key of the report made for this visitor: ((chosen run paths, outside digest), bytes)
REPORT_KEY = "report_made"


def report_button(runs: list[RunInfo]) -> None:
    """Choose runs, make one self-contained HTML report of them on a click, then download it."""
    st.header("Report for other people")
    st.caption("One HTML file that opens in any browser, without a network: the chosen runs "
               "beside the study's figures with their 95 % intervals, each run's protocol, data, "
               "seed and library versions, confusion matrices, recall per genre and learning "
               "curves, with a plain explanation of every number.")
    if not runs:
        st.write("No runs to report on yet.")
        return
    paths = {str(r.path): r for r in runs}
    chosen = st.multiselect(
        "Runs in the report", list(paths), default=list(paths), key="report_runs",
        format_func=lambda p: f"{config.for_visitors(paths[p].card.get('name', Path(p).name))} – "
        f"{origin(paths[p])} – {Path(p).name}")
    outside = st.session_state.get("outside_data")
    wanted = (tuple(chosen), _digest(outside))
    made = st.session_state.get(REPORT_KEY)
    if made is None or made[0] != wanted:
        # made on a click and kept in this visitor's session, not generated at download time:
        # a file Streamlit makes at download time is forgotten as soon as two other visitors'
        # pages have run, so on a busy server that download failed
        slot = st.empty()
        if not slot.button("Make the report", key="report_make", disabled=not chosen,
                           icon=":material/description:"):
            return
        with slot, st.spinner("Making the report…"):
            made = (wanted, document.report_bytes(tuple(chosen), outside))
        slot.empty()
        st.session_state[REPORT_KEY] = made
    st.download_button(f"Download report ({len(made[1]) / 1e6:.1f} MB)", data=made[1],
                       file_name="genrelab-report.html", mime="text/html", key="report_download",
                       on_click="ignore", icon=":material/download:")


def _digest(outside: dict | None) -> str:
    """A short fingerprint of an Outside GTZAN result (its JSON), to know a report is stale."""
    import hashlib
    import json

    text = json.dumps(outside, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def main() -> None:
    """Draw the Results page."""
    layout.require_app()
    st.title("Results")
    st.caption("Every finished run, " + ("those trained here" if config.viewer_mode() else "yours")
               + " and the shipped models, beside the numbers published "
               "in the study. Each number carries its protocol: how tracks were split, the seed "
               "and how many test tracks it rests on. Numbers from a different split or from the "
               "synthetic demo set are not comparable with the study's.")
    runs = list(iter_runs())
    usable = [r for r in runs if r.card is not None]
    damaged = [r for r in runs if r.card is None]
    rows = run_rows(usable)
    runs_df = pd.DataFrame(rows)

    m1, m2, m3 = st.columns(3)
    m1.metric("Runs trained here" if config.viewer_mode() else "Your runs",
              sum(1 for r in usable if not r.shipped))
    m2.metric("Shipped models", sum(1 for r in usable if r.shipped))
    m3.metric("Damaged runs", len(damaged))
    if not usable:
        st.info("No finished runs yet"
                + ("" if config.viewer_mode() else ". Train one on the Training console")
                + "; the study's published figures are shown below on their own.")

    st.header("Beside the study")
    for title, entries in PAPER_TABLES:
        st.subheader(title)
        show_table(table_for(entries, runs_df))
    st.caption("'Published accuracy' is the study's figure; the other columns are measured on "
               "GenreLab's test side. Track accuracy is the vote of a track's 3-s segments.")

    st.header("Beyond the study")
    beyond = beyond_table(runs_df)
    if beyond.empty:
        st.write("No run of a model beyond the study yet. Train one on the Training console "
                 "(musicnn: SVM or KNN heads on a network pretrained on the Million Song Dataset).")
    else:
        show_table(beyond)
    st.caption("Models the study did not try, so there is no published figure to set them "
               "beside: musicnn's heads learn from embeddings of a network pretrained to tag "
               "songs of the Million Song Dataset (which may share songs with GTZAN). Each row "
               "carries its own protocol and number of test tracks.")

    st.header("All runs")
    if runs_df.empty:
        st.write("No runs to list yet.")
    else:
        show_table(runs_df)
    st.download_button("Download the comparison (CSV)",
                       comparison_table(usable, rows).to_csv(index=False).encode("utf-8"),
                       file_name="genrelab_results.csv", mime="text/csv", icon=":material/download:")
    report_slot = st.container()   # drawn after Outside GTZAN below, so it takes its latest result

    if damaged:
        st.header("Damaged runs")
        for run in damaged:
            st.error(f"{run.path.name}: {data_source.source_label(str(run.error))}")

    show_outside()
    with report_slot:
        report_button(usable)

    st.header("One run in detail")
    if not usable:
        st.write("Nothing to show yet.")
        return
    labels = {str(r.card.get("run_id", r.path.name)): r for r in usable}
    choice = st.selectbox(
        "Run", list(labels), key="results_run",
        format_func=lambda rid: f"{config.for_visitors(labels[rid].card.get('name', rid))} – "
        f"{origin(labels[rid])} – {rid}")
    show_run(labels[choice].card)
    st.caption("Charts: use the camera icon in a chart's toolbar (top right, on hover) to download "
               "it as a PNG image at twice the on-screen size.")


if __name__ == "__main__":  # run by Streamlit (st.navigation or AppTest), not on import
    main()
