"""Runs beside the study: which published figure a run's head is compared with, and the rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.report import comparison
from core.constants import PAPER_RESULTS
from core.models.persistence import RunInfo


def _card(model: str, feature: str, heads: tuple[str, ...], synthetic: bool = False,
          paper: dict | None = None) -> dict:
    test = {"segment_accuracy": 0.5, "track_accuracy": 0.6, "macro_f1": 0.55, "n_tracks": 30}
    card = {"run_id": f"run-{model}-{feature}", "name": f"{model} on {feature}", "model": model,
            "feature": feature, "metrics": {h: {"test": test} for h in heads},
            "protocol": {"label": "random-track, seed 1; tracks train/valid/test 60/0/30"},
            "data": {"source": "GTZAN folder: /x", "synthetic": synthetic, "n_tracks": 90}}
    if paper is not None:
        card["paper"] = paper
    return card


def test_paper_key_prefers_the_cards_own_then_derives_it() -> None:
    lstm = _card("lstm", "mfcc", ("softmax", "svm", "knn"))
    assert [comparison.paper_key(lstm, h) for h in ("softmax", "svm", "knn")] == [
        None, "lstm_svm_mfcc", "lstm_knn_mfcc"]
    assert comparison.paper_key(_card("cnn2d", "logmel", ("softmax",)), "softmax") == "cnn2d_mel"
    saved = _card("svm", "mfcc", ("svm",), paper={"svm": "svm_zcr"})
    assert comparison.paper_key(saved, "svm") == "svm_zcr"
    unknown = _card("svm", "mfcc", ("svm",), paper={"svm": "not_a_key"})
    assert comparison.paper_key(unknown, "svm") == "svm_mfcc"


def test_rows_label_heads_and_synthetic_data() -> None:
    runs = [RunInfo(Path("/a"), _card("lstm", "mfcc", ("svm", "knn")), None, False),
            RunInfo(Path("/b"), _card("svm", "zcr", ("svm",), synthetic=True), None, True),
            RunInfo(Path("/c"), None, "damaged", False)]
    rows = comparison.run_rows(runs)
    assert [r["Method"] for r in rows] == ["lstm on mfcc [svm head]", "lstm on mfcc [knn head]",
                                           "svm on zcr"]
    assert [r["Result from"] for r in rows] == ["your run", "your run", "shipped model"]
    assert rows[0]["Published accuracy"] == PAPER_RESULTS["lstm_svm_mfcc"]
    assert rows[2]["Data"] == "synthetic demo set (90 tracks)"
    assert rows[0]["Data"] == "GTZAN folder: x (90 tracks)"   # the folder by name, no server path
    table = comparison.table_for(comparison.PAPER_TABLES[0][1], pd.DataFrame(rows))
    assert list(table["Method"]) == ["SVM on ZCR", "svm on zcr", "SVM on MFCC", "KNN on ZCR",
                                     "KNN on MFCC"]
    assert np.isnan(table.iloc[0]["Track accuracy"]) and table.iloc[1]["Track accuracy"] == 0.6
    full = comparison.comparison_table(runs)
    assert len(full) == len(PAPER_RESULTS) + 3


def test_measured_text_gives_accuracy_interval_n_protocol_and_seed() -> None:
    text = comparison.measured_text(_card("svm", "mfcc", ("svm",)), "svm")
    assert text == ("60.0% (42%–75%) of 30 test tracks · random-track, seed 1; tracks "
                    "train/valid/test 60/0/30")   # a card with the protocol's label only
    fixed = _card("svm", "mfcc", ("svm",))
    fixed["protocol"] = {"protocol": "artist-filtered", "seed": None,
                         "label": "artist-filtered; tracks train/valid/test 443/197/290"}
    fixed["config"] = {"seed": 7}
    assert comparison.measured_text(fixed, "svm").endswith(
        "of 30 test tracks · artist-filtered split, seed 7")
    assert comparison.measured_text(fixed, "knn").startswith("not measured")


def test_measured_text_adds_the_outside_figure_when_the_card_has_it() -> None:
    card = _card("svm", "mfcc", ("svm",))
    assert comparison.outside_text(card) == ""
    card["outside"] = {"set": "xd-dev (49 clips outside GTZAN: 4Q/Emotify)", "n": 49,
                       "correct": 15, "accuracy": 15 / 49, "ci_low": 0.195, "ci_high": 0.446,
                       "date": "2026-12-06"}
    text = comparison.measured_text(card, "svm")
    assert text.startswith("60.0% (42%–75%) of 30 test tracks · ")
    assert text.endswith(" · outside GTZAN: 30.6% (20%–45%) of 49 clips of xd-dev")
