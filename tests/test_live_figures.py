"""core.report.live_figures: the live timeline keeps its width for the music, not the names."""

from __future__ import annotations

import numpy as np

from core.constants import GENRES
from core.report.live_figures import HEADLINE, ROW_LABEL_CHARS, live_timeline


class Answer:
    """The bits of a LiveAnswer the timeline reads."""

    def __init__(self, end_s: float, genre: str, labels: list[str]) -> None:
        self.end_s, self.genre, self.note = end_s, genre, ""
        self.proba = np.full(len(GENRES), 0.02)
        self.proba[GENRES.index(genre)] = 0.82
        self.by_model = {label: genre for label in labels}
        self.proba_by_model = {label: self.proba for label in labels}


def test_long_model_names_do_not_squeeze_the_chart() -> None:
    labels = ["2D-CNN on log-mel (4 genres) (shipped)",
              "musicnn+SVM on MSD embeddings — your run 2026-12-06", "SVM on MFCC (shipped)"]
    fig = live_timeline([Answer(t, "rock", labels) for t in (1.0, 1.5, 2.0)], labels)
    axis = fig.layout.yaxis2
    shown = list(axis.ticktext)
    assert len(shown) == len(labels) + 1 and shown[-1] == HEADLINE == "Answer"
    assert all(len(text) <= ROW_LABEL_CHARS for text in shown)
    assert shown[2] == "SVM on MFCC (shipped)"                  # short names stay whole
    assert fig.layout.margin.l <= 20                            # no fixed 150-px gutter
    heat = fig.data[-1]
    assert heat.customdata[1][0] == labels[1]                   # the full name in the hover
