"""Runs beside the study's published figures: the rows of the Results tables and of the report.

No Streamlit here: the Results page and core.report.document both build their tables from these functions.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from core import config
from core.constants import PAPER_RESULTS
from core.models.persistence import RunInfo, protocol_text, seed_of
from core.models import paper_key as family_paper_key
from core.evaluation import wilson_interval
from core.report.text import for_readers
from core.models import BEYOND_STUDY

#: Protocol label of the study's numbers (they are quoted, not recomputed here).
PAPER_PROTOCOL = "the study's own GTZAN split (Yi et al., 2021)"
PAPER_SOURCE = "study (published)"

#: The study's three result tables: (title, [(PAPER_RESULTS key, method label)]).
PAPER_TABLES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Table 1 – SVM and KNN on short-term features", (
        ("svm_zcr", "SVM on ZCR"), ("svm_mfcc", "SVM on MFCC"),
        ("knn_zcr", "KNN on ZCR"), ("knn_mfcc", "KNN on MFCC"))),
    ("Table 2 – LSTM deep features + SVM/KNN", (
        ("lstm_svm_zcr", "LSTM+SVM on ZCR"), ("lstm_svm_mfcc", "LSTM+SVM on MFCC"),
        ("lstm_knn_zcr", "LSTM+KNN on ZCR"), ("lstm_knn_mfcc", "LSTM+KNN on MFCC"))),
    ("Table 3 – convolutional networks", (
        ("cnn2d_mel", "2D-CNN on log-mel"), ("cnn1d_mfcc", "1D-CNN on MFCC sequence"))),
)
METHOD_LABELS: dict[str, str] = {k: label for _, rows in PAPER_TABLES for k, label in rows}
RESULT_COLUMNS: tuple[str, ...] = (
    "Method", "Result from", "Published accuracy", "Segment accuracy", "Track accuracy",
    "Macro-F1", "Protocol", "Test tracks", "Data", "Run",
)
FLOAT_COLUMNS: tuple[str, ...] = ("Published accuracy", "Segment accuracy", "Track accuracy",
                                  "Macro-F1")
HEAD_NAMES: dict[str, str] = {"svm": "SVM head", "knn": "KNN head",
                              "softmax": "softmax (the network's own output)"}


def paper_key(card: dict, head: str) -> str | None:
    """The PAPER_RESULTS key a run's head is comparable with (the card's own, else derived)."""
    saved = (card.get("paper") or {}).get(head)
    if saved in PAPER_RESULTS:
        return saved
    return family_paper_key(str(card.get("model")), str(card.get("feature")), head)


def data_label(card: dict) -> str:
    """Short text saying what the run was trained and tested on (synthetic sets always say so)."""
    data = card.get("data") or {}
    source = for_readers(str(data.get("source") or "unknown data"))   # no server path
    extra = "".join(f" + {s.get('name')} ({s.get('n_clips', '?')} clips, training side only)"
                    for s in data.get("extra") or [] if isinstance(s, dict))
    if data.get("synthetic"):
        return f"synthetic demo set ({data.get('n_tracks', '?')} tracks){extra}"
    return f"{source} ({data.get('n_tracks', '?')} tracks){extra}"


def measured_text(card: dict, head: str) -> str:
    """A head's test track accuracy (%) with its 95 % interval, n, split protocol and seed, as
    the card states them, in one short line (Try it shows it beside each model's verdict)."""
    test = ((card.get("metrics") or {}).get(head) or {}).get("test") or {}
    n = int(test.get("n_tracks") or 0)
    if n <= 0 or test.get("track_accuracy") is None:
        return "not measured (its card holds no test result)" + (
            f" · {text}" if (text := outside_text(card)) else "")
    accuracy = float(test["track_accuracy"])
    low, high = wilson_interval(accuracy, n)
    split = (card.get("protocol") or {}).get("protocol")
    where = f"{split} split, seed {seed_of(card)}" if split else protocol_text(card)
    return f"{accuracy:.1%} ({low:.0%}–{high:.0%}) of {n} test tracks · {where}" + (
        f" · {text}" if (text := outside_text(card)) else "")


def outside_text(card: dict) -> str:
    """The card's figure on music from outside GTZAN ("outside" key, written by
    bench/outside_gtzan.py), e.g. "outside GTZAN: 30.6% (19–45%) of 49 clips of xd-dev ...";
    "" when the card has none."""
    figure = card.get("outside") or {}
    n = int(figure.get("n") or 0)
    if n <= 0 or figure.get("accuracy") is None:
        return ""
    accuracy = float(figure["accuracy"])
    low, high = (figure.get("ci_low"), figure.get("ci_high"))
    if low is None or high is None:
        low, high = wilson_interval(accuracy, n)
    where = str(figure.get("set") or "a labelled folder").split(" (")[0]
    return f"outside GTZAN: {accuracy:.1%} ({low:.0%}–{high:.0%}) of {n} clips of {where}"


def method_label(card: dict, head: str) -> str:
    """The run's name, with the head when the run has more than one."""
    name = config.for_visitors(str(card.get("name") or card.get("run_id")))
    return f"{name} [{head} head]" if len(card.get("metrics") or {}) > 1 else name


def run_rows(runs: Sequence[RunInfo]) -> list[dict]:
    """One table row per (usable run, head) with its test metrics and protocol."""
    rows = []
    for run in runs:
        card = run.card
        if card is None:
            continue
        protocol = card.get("protocol") or {}
        for head, metrics in (card.get("metrics") or {}).items():
            test = (metrics or {}).get("test") or {}
            key = paper_key(card, head)
            rows.append({
                "Method": method_label(card, head),
                "Result from": "shipped model" if run.shipped else config.for_visitors("your run"),
                "Published accuracy": PAPER_RESULTS.get(key, np.nan) if key else np.nan,
                "Segment accuracy": test.get("segment_accuracy", np.nan),
                "Track accuracy": test.get("track_accuracy", np.nan),
                "Macro-F1": test.get("macro_f1", np.nan),
                "Protocol": str(protocol.get("label") or protocol.get("protocol") or "unknown"),
                "Test tracks": test.get("n_tracks", np.nan),
                "Data": data_label(card),
                "Run": str(card.get("run_id", run.path.name)),
                "_key": key, "_head": head, "_model": str(card.get("model")),
            })
    return rows


def paper_rows() -> list[dict]:
    """One row per published figure of the study."""
    return [{
        "Method": METHOD_LABELS[key], "Result from": PAPER_SOURCE,
        "Published accuracy": PAPER_RESULTS[key], "Segment accuracy": np.nan,
        "Track accuracy": np.nan, "Macro-F1": np.nan, "Protocol": PAPER_PROTOCOL,
        "Test tracks": np.nan, "Data": "GTZAN (1000 tracks)", "Run": "", "_key": key, "_head": "",
    } for _, entries in PAPER_TABLES for key, _ in entries]


def comparison_table(runs: Sequence[RunInfo], rows: list[dict] | None = None) -> pd.DataFrame:
    """Every run's heads and every published figure in one table (the CSV download).
    rows: run_rows(runs) when the caller already has them.
    """
    rows = paper_rows() + (run_rows(runs) if rows is None else rows)
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def table_for(entries: tuple[tuple[str, str], ...], runs_df: pd.DataFrame) -> pd.DataFrame:
    """One of the study's tables: each published figure followed by the comparable runs."""
    rows = []
    paper = {r["_key"]: r for r in paper_rows()}
    for key, _ in entries:
        rows.append(paper[key])
        if not runs_df.empty:
            rows.extend(runs_df[runs_df["_key"] == key].to_dict("records"))
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def beyond_table(runs_df: pd.DataFrame) -> pd.DataFrame:
    """Runs of the families beyond the study (core.models.BEYOND_STUDY: no published figure)."""
    if runs_df.empty or "_model" not in runs_df:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    rows = runs_df[runs_df["_model"].isin(BEYOND_STUDY)]
    return rows.sort_values("Track accuracy", ascending=False)[list(RESULT_COLUMNS)]
