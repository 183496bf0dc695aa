"""The live timeline of Try it's "Listen live": genre probabilities over the last 60 s.

Top: the headline's probability of each genre (mean of the live models) as lines against time
(s before now). Bottom: a heat strip, one row per live model and one for the headline, each
window coloured by the genre that row chose there (hover: the genre and its probability).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.constants import GENRE_INDEX, GENRES
from core.report.figures import LAYOUT, genre_color

HEADLINE = "Answer"   #: row name of the answer (core.prediction.answer) in the heat strip
#: characters of a model's name shown as its row label (the full name is in the hover): long
#: names ("2D-CNN on log-mel (4 genres) (shipped)") would otherwise take half the chart's width
ROW_LABEL_CHARS: int = 24


def _discrete_scale() -> list[list]:
    """A colourscale mapping genre index k (z = k) to the genre's colour, in steps."""
    scale: list[list] = []
    n = len(GENRES)
    for k, genre in enumerate(GENRES):
        scale += [[k / n, genre_color(genre)], [(k + 1) / n, genre_color(genre)]]
    return scale


def row_label(label: str, chars: int = ROW_LABEL_CHARS) -> str:
    """A model's name cut to chars characters for a row label ("…" where cut)."""
    return label if len(label) <= chars else label[:chars - 1].rstrip() + "…"


def live_timeline(answers: Sequence, models: Sequence[str], span_s: float = 60.0,
                  title: str | None = "The last minute, live") -> go.Figure:
    """Lines of the headline's genre probabilities and a heat strip of each model's genre per
    window, against the time before the newest window (s, -span_s..0).

    answers: core.prediction.live.LiveAnswer (end_s, genre, proba, by_model, proba_by_model), oldest first;
    models: the row labels of the heat strip (the live models), top to bottom.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.55, 0.45])
    fig.update_layout(**LAYOUT, title=title, height=260 + 26 * (len(models) + 1),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
                      uirevision="live")
    fig.update_layout(margin=dict(l=10, r=20, t=70, b=45))
    answers = [a for a in answers if a is not None]
    now = answers[-1].end_s if answers else 0.0
    answers = [a for a in answers if a.end_s >= now - span_s]
    x = np.array([a.end_s - now for a in answers], dtype=float)
    if answers:
        proba = np.stack([np.asarray(a.proba, dtype=float) for a in answers])
        heard = [k for k in range(len(GENRES)) if proba[:, k].max() >= 0.05]
        for k in heard:
            genre = GENRES[k]
            y = np.where([a.genre is not None for a in answers], proba[:, k], np.nan)
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=genre, line=dict(
                color=genre_color(genre), width=2), connectgaps=False,
                hovertemplate=genre + " %{y:.0%}<extra>%{x:.1f} s</extra>"), row=1, col=1)
    rows = list(models) + [HEADLINE]
    z = np.full((len(rows), len(answers)), np.nan)
    text = np.full((len(rows), len(answers)), "", dtype=object)
    for j, a in enumerate(answers):
        for i, label in enumerate(rows):
            genre = a.genre if label == HEADLINE else a.by_model.get(label)
            if genre is None:
                text[i, j] = a.note or "no answer"
                continue
            p = (a.proba[GENRE_INDEX[genre]] if label == HEADLINE
                 else a.proba_by_model[label][GENRE_INDEX[genre]])
            z[i, j] = GENRE_INDEX[genre]
            text[i, j] = f"{genre} {p:.0%}"
    if answers:
        names = np.array([[label] * len(answers) for label in rows], dtype=object)
        fig.add_trace(go.Heatmap(
            x=x, y=list(range(len(rows))), z=z, text=text, customdata=names,
            colorscale=_discrete_scale(), zmin=-0.5, zmax=len(GENRES) - 0.5, showscale=False,
            xgap=1, ygap=2, hovertemplate="%{customdata}: %{text}<extra>%{x:.1f} s</extra>"),
            row=2, col=1)
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(rows))),
                     ticktext=[row_label(label) for label in rows], automargin=True,
                     row=2, col=1)
    fig.update_yaxes(title="probability", range=[0, 1], row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=2, col=1)
    fig.update_xaxes(range=[-span_s, 0.5], row=1, col=1)
    fig.update_xaxes(range=[-span_s, 0.5], title="seconds ago", row=2, col=1)
    return fig
