"""Plotly figures used by the pages: small payloads (decimated arrays), one colour per genre.

No Streamlit here: every function takes arrays or tables and returns a ``plotly.graph_objects.Figure``.
Pages pass ``PLOT_CONFIG`` to ``st.plotly_chart(config=...)`` so "download as PNG" saves at 2x.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from core.constants import GENRES, HOP_LENGTH, SAMPLE_RATE, SEGMENT_SECONDS
from core.report.colours import (  # noqa: F401  (re-exported: pages and tests read them here)
    CONFUSION_SCALE, CONFUSION_SCALE_DARK, DROPPED_BAND, GENRE_COLORS, OTHER_GENRE_COLOR,
    SEGMENT_BANDS, colorscale, for_dark_page, genre_color,
)

#: Plotly config pages pass to st.plotly_chart: PNG download at twice the on-screen size.
PLOT_CONFIG: dict = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "filename": "genrelab", "scale": 2},
}

MAX_POINTS: int = 2000       #: columns of a waveform envelope (each a min and a max sample)
MAX_COLUMNS: int = 300       #: time columns of a spectrogram-like image
MAX_ROWS: int = 128          #: frequency rows of a spectrogram-like image
#: Layout defaults of every figure. "plotly_white" is the HTML report's light look; the app's
#: pages (pages/layout.plot) swap it for Streamlit's template, which follows the viewer's light
#: or dark theme. So no figure the app shows sets a background or text colour of its own, and
#: the colours it does set read on white and on a dark background alike (tests/test_theme.py).
LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=45))


def _fig(title: str | None = None, **layout: object) -> go.Figure:
    """An empty figure with GenreLab's layout defaults."""
    fig = go.Figure()
    fig.update_layout(**LAYOUT, title=title, **layout)
    return fig


# --- decimation -----------------------------------------------------------------------------

def envelope(y: np.ndarray, n_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min/max envelope of a signal in n_points columns: (first sample index, min, max) per column."""
    y = np.asarray(y, dtype=np.float32).ravel()
    if y.size == 0:
        raise ValueError("cannot draw an empty signal")
    if y.size <= n_points:
        idx = np.arange(y.size)
        return idx, y.copy(), y.copy()
    edges = np.linspace(0, y.size, n_points + 1).astype(np.int64)
    starts = edges[:-1]
    return starts, np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)


def pool_columns(m: np.ndarray, max_cols: int = MAX_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """Average-pool the columns (time) of a 2-D array to at most max_cols: (pooled, first column of each)."""
    m = np.asarray(m, dtype=np.float32)
    if m.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows x time), got shape {m.shape}")
    if m.shape[1] <= max_cols:
        return m, np.arange(m.shape[1])
    starts = np.linspace(0, m.shape[1], max_cols + 1).astype(np.int64)[:-1]
    counts = np.diff(np.append(starts, m.shape[1]))
    return np.add.reduceat(m, starts, axis=1) / counts, starts


def pool_rows(m: np.ndarray, max_rows: int = MAX_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Average-pool the rows (frequency) of a 2-D array to at most max_rows: (pooled, first row of each)."""
    pooled, starts = pool_columns(np.asarray(m).T, max_rows)
    return pooled.T, starts


# --- audio views ----------------------------------------------------------------------------

def _waveform_trace(y: np.ndarray, sr: int, color: str, name: str,
                    n_points: int = MAX_POINTS) -> go.Scatter:
    """One trace drawing the min/max envelope of y as a filled zig-zag against time in s."""
    starts, lo, hi = envelope(y, n_points)
    t = np.repeat(starts / float(sr), 2)
    v = np.empty(t.size, dtype=np.float32)
    v[0::2], v[1::2] = lo, hi
    return go.Scatter(x=t, y=v, mode="lines", line=dict(color=color, width=1), name=name,
                      hovertemplate="%{x:.2f} s<br>%{y:.3f}<extra></extra>")


def waveform(y: np.ndarray, sr: int = SAMPLE_RATE, segments: bool = True,
             title: str | None = "Waveform", color: str = "#4E79A7") -> go.Figure:
    """Amplitude (full scale 1) against time (s); with segments, the 3-s cuts drawn and numbered."""
    fig = _fig(title, height=280, showlegend=False)
    fig.add_trace(_waveform_trace(y, sr, color, "waveform"))
    duration = len(y) / float(sr)
    if segments:
        n_seg = int(duration // SEGMENT_SECONDS)
        for k in range(n_seg):
            x0 = k * SEGMENT_SECONDS
            fig.add_vrect(x0=x0, x1=x0 + SEGMENT_SECONDS, line_width=0, layer="below",
                          fillcolor=SEGMENT_BANDS[k % 2], annotation_text=str(k + 1),
                          annotation_position="top left", annotation_font_size=10)
        if duration - n_seg * SEGMENT_SECONDS > 1e-6:
            # anchored at the band's right end, the label runs leftwards into the plot: at the
            # left end a short tail's label ran past the right edge and was cut
            fig.add_vrect(x0=n_seg * SEGMENT_SECONDS, x1=duration, line_width=0, layer="below",
                          fillcolor=DROPPED_BAND, annotation_text="dropped",
                          annotation_position="top right", annotation_font_size=10)
    fig.update_xaxes(title="time (s)", range=[0, duration])
    fig.update_yaxes(title="amplitude")
    return fig


def waveforms_by_genre(clips: Mapping[str, np.ndarray], sr: int = SAMPLE_RATE,
                       n_points: int = 1000) -> go.Figure:
    """One waveform per genre stacked in rows (the study's waveshow view), time in s."""
    from plotly.subplots import make_subplots

    if not clips:
        raise ValueError("no clips to draw")
    names = list(clips)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.012,
                        subplot_titles=None)
    for row, name in enumerate(names, start=1):
        fig.add_trace(_waveform_trace(clips[name], sr, genre_color(name), name, n_points),
                      row=row, col=1)
        # the name in the theme's text colour (jazz's yellow and pop's pink were pale on white),
        # after a swatch of the genre's colour
        fig.update_yaxes(title_text=f'<span style="color:{genre_color(name)}">■</span> {name}',
                         title_font=dict(size=11), showticklabels=False, range=[-1.05, 1.05],
                         row=row, col=1)
    fig.update_layout(**LAYOUT, height=max(220, 70 * len(names)), showlegend=False,
                      title="One waveform per genre")
    fig.update_xaxes(title_text="time (s)", row=len(names), col=1)
    return fig


SPECTROGRAM_KINDS: tuple[str, ...] = ("linear", "db", "mel")


def _frame_times(n_frames: int, sr: int, hop: int) -> np.ndarray:
    """Time in s of each STFT frame centre."""
    return np.arange(n_frames) * hop / float(sr)


def spectrogram(S: np.ndarray, sr: int = SAMPLE_RATE, hop: int = HOP_LENGTH,
                kind: str = "db", title: str | None = None) -> go.Figure:
    """Spectrogram image (rows frequency, columns frames), decimated to at most 128 x 300.
    kind "linear": STFT magnitude (linear amplitude), y in Hz; "db": STFT in dB, y in Hz;
    "mel": mel-spectrogram in dB, y is the mel band (hover shows its centre frequency).
    """
    if kind not in SPECTROGRAM_KINDS:
        raise ValueError(f"kind must be one of {SPECTROGRAM_KINDS}, got {kind!r}")
    S = np.asarray(S, dtype=np.float32)
    if S.ndim != 2 or min(S.shape) == 0:
        raise ValueError(f"expected a non-empty 2-D spectrogram, got shape {S.shape}")
    pooled, col_starts = pool_columns(S)
    pooled, row_starts = pool_rows(pooled)
    times = _frame_times(S.shape[1], sr, hop)[col_starts]
    if kind == "mel":
        import librosa

        centres = librosa.mel_frequencies(n_mels=S.shape[0] + 2, fmax=sr / 2.0)[1:-1]
        y = row_starts
        custom = np.repeat(centres[row_starts][:, None], pooled.shape[1], axis=1)
        hover = "%{x:.2f} s<br>mel band %{y} (~%{customdata:.0f} Hz)<br>%{z:.1f} dB<extra></extra>"
        y_title, unit = "mel band", "dB"
    else:
        n_fft = 2 * (S.shape[0] - 1)
        y = row_starts * sr / float(n_fft)
        custom = None
        unit = "dB" if kind == "db" else "|X|"
        hover = "%{x:.2f} s<br>%{y:.0f} Hz<br>%{z:.2f} " + unit + "<extra></extra>"
        y_title = "frequency (Hz)"
    default_title = {"linear": "STFT magnitude (linear)", "db": "STFT in dB",
                     "mel": "Mel-spectrogram (dB)"}[kind]
    fig = _fig(title or default_title, height=320)
    fig.add_trace(go.Heatmap(z=pooled, x=times, y=y, customdata=custom, colorscale=colorscale("Magma"),
                             colorbar=dict(title=unit), hovertemplate=hover))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title=y_title)
    return fig


def feature_heatmap(M: np.ndarray, sr: int = SAMPLE_RATE, hop: int = HOP_LENGTH,
                    row_labels: Sequence[str] | None = None, title: str | None = None,
                    colorscale_name: str = "RdBu_r", unit: str = "") -> go.Figure:
    """Frame-wise feature matrix (rows features, columns frames) against time in s, decimated."""
    M = np.asarray(M, dtype=np.float32)
    pooled, col_starts = pool_columns(M)
    times = _frame_times(M.shape[1], sr, hop)[col_starts]
    labels = list(row_labels) if row_labels is not None else [str(i + 1) for i in range(M.shape[0])]
    if len(labels) != M.shape[0]:
        raise ValueError(f"{len(labels)} row labels for {M.shape[0]} rows")
    fig = _fig(title, height=320)
    fig.add_trace(go.Heatmap(z=pooled, x=times, y=labels, colorscale=colorscale(colorscale_name),
                             colorbar=dict(title=unit),
                             hovertemplate="%{x:.2f} s<br>%{y}<br>%{z:.2f}<extra></extra>"))
    fig.update_xaxes(title="time (s)")
    return fig


def mfcc_heatmap(mfcc: np.ndarray, sr: int = SAMPLE_RATE, hop: int = HOP_LENGTH,
                 title: str | None = "MFCCs over time") -> go.Figure:
    """MFCC matrix (coefficients x frames) as a heatmap; coefficient 1 at the bottom."""
    fig = feature_heatmap(mfcc, sr, hop, [f"MFCC {i + 1}" for i in range(np.shape(mfcc)[0])],
                          title)
    fig.update_yaxes(title="coefficient")
    return fig


def feature_curves(times: np.ndarray, curves: Mapping[str, np.ndarray],
                   title: str | None = None, y_title: str = "") -> go.Figure:
    """Line plot of one or more frame-wise features against time in s (long curves decimated)."""
    times = np.asarray(times, dtype=np.float32)
    fig = _fig(title, height=260)
    step = max(1, int(np.ceil(times.size / MAX_POINTS)))
    for name, values in curves.items():
        values = np.asarray(values, dtype=np.float32)
        if values.shape != times.shape:
            raise ValueError(f"{name}: {values.shape[0]} values for {times.size} times")
        fig.add_trace(go.Scatter(x=times[::step], y=values[::step], mode="lines", name=name))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title=y_title)
    return fig


# --- per-genre views ------------------------------------------------------------------------

def _ordered_genres(labels: Iterable[str]) -> list[str]:
    """Genres present in labels, GTZAN's ten first in canonical order, then any others."""
    present = set(labels)
    return [g for g in GENRES if g in present] + sorted(present - set(GENRES))


def distribution_by_genre(values: np.ndarray, labels: Sequence[str], title: str | None = None,
                          y_title: str = "", violin: bool = False) -> go.Figure:
    """One box (or violin) per genre of a value, each point shown; genres in fixed colours."""
    values = np.asarray(values, dtype=np.float64).ravel()
    labels = np.asarray(labels).astype(str)
    if values.size != labels.size:
        raise ValueError(f"{values.size} values for {labels.size} labels")
    fig = _fig(title, height=380, showlegend=False)
    for genre in _ordered_genres(labels):
        v = values[labels == genre]
        color = genre_color(genre)
        if violin:
            fig.add_trace(go.Violin(y=v, name=genre, line_color=color, box_visible=True,
                                    meanline_visible=True, points=False))
        else:
            fig.add_trace(go.Box(y=v, name=genre, marker_color=color, boxpoints="all",
                                 jitter=0.4, pointpos=0, marker_size=4))
    fig.update_yaxes(title=y_title)
    fig.update_xaxes(title="genre")
    return fig


def zcr_by_genre(df) -> go.Figure:
    """The study's figure 2: per-track mean zero-crossing rate by genre (df columns genre, zcr)."""
    missing = {"genre", "zcr"} - set(df.columns)
    if missing:
        raise ValueError(f"zcr_by_genre needs columns genre and zcr; missing {sorted(missing)}")
    return distribution_by_genre(df["zcr"].to_numpy(), df["genre"].to_numpy(),
                                 "Zero-crossing rate by genre (mean per track)",
                                 "zero-crossing rate (fraction of samples)")


def genre_counts(df) -> go.Figure:
    """Tracks per genre as bars (df columns genre, tracks; optional duration_s for the hover)."""
    missing = {"genre", "tracks"} - set(df.columns)
    if missing:
        raise ValueError(f"genre_counts needs columns genre and tracks; missing {sorted(missing)}")
    minutes = (df["duration_s"] / 60.0 if "duration_s" in df.columns
               else np.full(len(df), np.nan))
    fig = _fig("Tracks per genre", height=320, showlegend=False)
    fig.add_trace(go.Bar(x=df["genre"], y=df["tracks"], customdata=np.asarray(minutes),
                         marker_color=[genre_color(g) for g in df["genre"]],
                         hovertemplate="%{x}: %{y} tracks, %{customdata:.1f} min<extra></extra>"))
    fig.update_yaxes(title="tracks")
    return fig


def clips_per_genre(counts: Mapping[str, int],
                    title: str | None = "Clips per genre (consensus of the models)") -> go.Figure:
    """Bars of how many clips each genre received (counts by genre, GENRES order kept)."""
    genres = list(counts)
    fig = _fig(title, height=320, showlegend=False)
    fig.add_trace(go.Bar(x=genres, y=[int(counts[g]) for g in genres],
                         marker_color=[genre_color(g) for g in genres],
                         hovertemplate="%{x}: %{y} clips<extra></extra>"))
    top = max((int(counts[g]) for g in genres), default=0)
    # whole clips only: a tick a clip while few, plotly's own (whole-number) spacing beyond that
    fig.update_yaxes(title="clips", rangemode="tozero", tickformat="d",
                     dtick=1 if top <= 10 else None)
    return fig


def segment_map(points: np.ndarray, labels: Sequence[str], title: str | None = None,
                hover: Sequence[str] | None = None, axis_names: tuple[str, str] = ("PC 1", "PC 2"),
                ) -> go.Figure:
    """2-D scatter of segments (n x 2 points), one trace per genre in its colour."""
    points = np.asarray(points, dtype=np.float32)
    labels = np.asarray(labels).astype(str)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
        raise ValueError(f"expected n x 2 points with n labels, got {points.shape} and {len(labels)}")
    text = np.asarray(hover).astype(str) if hover is not None else None
    fig = _fig(title, height=480, legend=dict(itemsizing="constant"))
    for genre in _ordered_genres(labels):
        keep = labels == genre
        fig.add_trace(go.Scattergl(
            x=points[keep, 0], y=points[keep, 1], mode="markers", name=genre,
            marker=dict(color=genre_color(genre), size=5, opacity=0.75),
            text=text[keep] if text is not None else None,
            hovertemplate=("%{text}<extra>" + genre + "</extra>") if text is not None
            else f"{genre}<extra></extra>"))
    fig.update_xaxes(title=axis_names[0])
    fig.update_yaxes(title=axis_names[1])
    return fig


# --- results views --------------------------------------------------------------------------

def kept_positions(genres: Sequence[str], run_genres: Sequence[str] | None,
                   size: int) -> list[int] | None:
    """Positions in `genres` of the genres a run learned (its card's "genres"), or None to keep
    everything: no run_genres, a name not among `genres`, or values (size) not one per genre."""
    genres = list(genres)
    if not run_genres or any(g not in genres for g in run_genres) or size != len(genres):
        return None
    return [genres.index(g) for g in run_genres]


def run_subset(cm: np.ndarray, genres: Sequence[str],
               run_genres: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    """A confusion matrix over `genres` cut to the genres a run learned (its card's "genres"):
    (matrix, genre names). A 4-genre run's 10 x 10 matrix becomes 4 x 4, so genres the model
    never learned show neither as empty rows nor as 0 % recall.
    """
    cm = np.asarray(cm)
    keep = kept_positions(genres, run_genres, cm.shape[0])
    if keep is None:
        return cm, list(genres)
    return cm[np.ix_(keep, keep)], [list(genres)[i] for i in keep]


def confusion_matrix(cm: np.ndarray, genres: Sequence[str] = GENRES, normalise: bool = True,
                     title: str | None = "Confusion matrix",
                     run_genres: Sequence[str] | None = None) -> go.Figure:
    """Confusion matrix heatmap, rows true and columns predicted genre; normalise = by true row.
    run_genres: the genres the run learned (card["genres"]); only those rows and columns are drawn.
    """
    cm, genres = run_subset(np.asarray(cm, dtype=np.float64), genres, run_genres)
    n = len(genres)
    if cm.shape != (n, n):
        raise ValueError(f"confusion matrix of shape {cm.shape} for {n} genres")
    if normalise:
        rows = cm.sum(axis=1, keepdims=True)
        z = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
        text, zmax = np.round(z, 2).astype(str), 1.0
        text[rows[:, 0] == 0] = "n/a"
    else:
        z, zmax = cm, max(1.0, float(cm.max()))
        text = cm.astype(int).astype(str)
    fig = _fig(title, height=max(300, 140 + 38 * n), width=None)
    fig.add_trace(go.Heatmap(
        z=z, x=list(genres), y=list(genres), colorscale=CONFUSION_SCALE, zmin=0, zmax=zmax,
        text=text, texttemplate="%{text}", customdata=cm,
        hovertemplate="true %{y}, predicted %{x}<br>%{customdata:.0f} items<extra></extra>"))
    # square cells; the x axis gives up width (not range), so no grid runs beside the matrix
    fig.update_xaxes(title="predicted genre", side="bottom", constrain="domain", showgrid=False)
    fig.update_yaxes(title="true genre", autorange="reversed", scaleanchor="x", showgrid=False)
    return fig


def training_curves(events: Sequence[Mapping]) -> go.Figure:
    """Loss (left) and accuracy (right), train and validation, against epoch.
    events: training events or card history entries; those without an epoch and loss are ignored.
    """
    from plotly.subplots import make_subplots

    rows = [e for e in events if e.get("epoch") is not None and e.get("loss") is not None
            and e.get("type", "epoch") == "epoch"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    epochs = [int(e["epoch"]) for e in rows]
    styles = {"train": dict(color="#4E79A7"), "validation": dict(color="#F28E2B", dash="dash")}
    for col, (key, val_key) in enumerate((("loss", "val_loss"), ("accuracy", "val_accuracy")), 1):
        for side, k in (("train", key), ("validation", val_key)):
            values = [e.get(k) for e in rows]
            if all(v is None for v in values):
                continue
            fig.add_trace(go.Scatter(x=epochs, y=values, mode="lines+markers",
                                     name=f"{side} {key}", line=styles[side],
                                     legendgroup=side), row=1, col=col)
    fig.update_layout(**LAYOUT, height=340)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    return fig


def probability_bars(proba: np.ndarray, genres: Sequence[str] = GENRES,
                     title: str | None = "Genre probabilities") -> go.Figure:
    """Horizontal bars of class probabilities (fraction of 1), most likely genre on top."""
    proba = np.asarray(proba, dtype=np.float64).ravel()
    if proba.size != len(genres):
        raise ValueError(f"{proba.size} probabilities for {len(genres)} genres")
    order = np.argsort(proba)  # ascending: plotly draws the last bar on top
    names = [genres[i] for i in order]
    fig = _fig(title, height=340, showlegend=False)
    fig.add_trace(go.Bar(x=proba[order], y=names, orientation="h",
                         marker_color=[genre_color(g) for g in names],
                         text=[f"{p:.0%}" for p in proba[order]], textposition="outside",
                         hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_xaxes(title="probability", range=[0, 1.1], tickformat=".0%")
    return fig


def segment_timeline(segment_proba: np.ndarray, starts: Sequence[float],
                     genres: Sequence[str] = GENRES, seconds: float = SEGMENT_SECONDS,
                     title: str | None = "Genre of each 3-s segment") -> go.Figure:
    """Stacked bars of each segment's class probabilities against the segment's time (s)."""
    proba = np.asarray(segment_proba, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.float64)
    if proba.ndim != 2 or proba.shape != (starts.size, len(genres)):
        raise ValueError(f"segment_proba {proba.shape} does not match {starts.size} starts "
                         f"x {len(genres)} genres")
    fig = _fig(title, height=320, barmode="stack", bargap=0.05)
    centres = starts + seconds / 2.0
    for j, genre in enumerate(genres):
        fig.add_trace(go.Bar(x=centres, y=proba[:, j], width=seconds * 0.95, name=genre,
                             marker_color=genre_color(genre),
                             hovertemplate=genre + " %{y:.2f}<extra>%{x:.1f} s</extra>"))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title="probability", range=[0, 1])
    return fig


def results_table(df, title: str | None = "Results") -> go.Figure:
    """A table figure of a results DataFrame (floats shown with 3 decimals)."""
    if len(df.columns) == 0:
        raise ValueError("results_table needs at least one column")
    cells = []
    for col in df.columns:
        values = df[col].tolist()
        cells.append([f"{v:.3f}" if isinstance(v, float) and np.isfinite(v) else
                      ("–" if isinstance(v, float) else str(v)) for v in values])
    fig = _fig(title, height=min(800, 120 + 28 * len(df)))
    fig.add_trace(go.Table(header=dict(values=[f"<b>{c}</b>" for c in df.columns],
                                       fill_color="#E8EEF5", align="left"),
                           cells=dict(values=cells, align="left")))
    return fig


#: The log-mel under the "why" map: mid greys (quiet darker, loud lighter), no white or black,
#: so that neither a light nor a dark page sees a glaring block.
SPECTROGRAM_GREYS: list[list] = [[0.0, "rgb(70,70,70)"], [1.0, "rgb(215,215,215)"]]
#: The "why" map's diverging scale, centred on zero: blue where blanking the patch raised the
#: genre's probability (the patch spoke against it), transparent at zero (the grey spectrogram
#: shows through: no effect), red where blanking it lowered the probability (it supported it).
OCCLUSION_SCALE: list[list] = [[0.0, "rgba(33,102,172,0.9)"], [0.25, "rgba(103,169,207,0.7)"],
                               [0.5, "rgba(128,128,128,0)"], [0.75, "rgba(239,138,98,0.7)"],
                               [1.0, "rgba(178,24,43,0.9)"]]


def occlusion_overlay(logmel: np.ndarray, occ_map: np.ndarray, sr: int = SAMPLE_RATE,
                      hop: int = HOP_LENGTH, title: str | None = "What the 2D-CNN listens to",
                      ) -> go.Figure:
    """Log-mel segment (mel bands x frames) in grey with the occlusion map stretched over it.
    occ_map (coarser rows x columns) is the drop in the predicted class probability when that
    patch is masked: positive (red) where the patch supported the genre, negative (blue) where
    it spoke against it, on a scale centred on zero and symmetric, where zero is transparent.
    """
    logmel = np.asarray(logmel, dtype=np.float32)
    occ = np.asarray(occ_map, dtype=np.float32)
    if logmel.ndim != 2 or occ.ndim != 2:
        raise ValueError(f"expected 2-D log-mel and occlusion map, got {logmel.shape}, {occ.shape}")
    n_mels, n_frames = logmel.shape
    duration = n_frames * hop / float(sr)
    fig = _fig(title, height=360)
    fig.add_trace(go.Heatmap(z=logmel, x0=0.0, dx=hop / float(sr), y0=0, dy=1,
                             colorscale=SPECTROGRAM_GREYS, showscale=False,
                             name="log-mel", hovertemplate="%{x:.2f} s, band %{y}<br>"
                             "%{z:.1f} dB<extra></extra>"))
    reach = max(float(np.max(np.abs(occ))) if occ.size else 0.0, 1e-3)
    fig.add_trace(go.Heatmap(z=occ, zmin=-reach, zmax=reach, zmid=0.0,
                             x0=duration / occ.shape[1] / 2.0, dx=duration / occ.shape[1],
                             y0=n_mels / occ.shape[0] / 2.0, dy=n_mels / occ.shape[0],
                             colorscale=OCCLUSION_SCALE, opacity=0.95, name="effect",
                             colorbar=dict(title="prob. drop"),
                             hovertemplate="blanking this patch changes the probability by "
                                           "%{z:+.3f}<extra></extra>"))
    fig.update_xaxes(title="time (s)", range=[0, duration])
    fig.update_yaxes(title="mel band", range=[0, n_mels])
    return fig


def recall_bars(recall: Sequence[float], genres: Sequence[str] = GENRES,
                title: str = "Recall per genre", run_genres: Sequence[str] | None = None,
                support: Sequence[int] | None = None) -> go.Figure:
    """Bars of per-genre recall (fraction of 1) in the genre colours.
    run_genres: the genres the run learned (card["genres"]); only those bars are drawn.
    support: test items per genre (the confusion matrix's row sums, same order as recall); a
    genre with none reads "n/a", not 0 %.
    """
    genres = list(genres)
    recall = [float(r) for r in recall]
    support = list(support) if support is not None and len(support) == len(recall) else None
    keep = kept_positions(genres, run_genres, len(recall))
    if keep is not None:
        genres, recall = [genres[i] for i in keep], [recall[i] for i in keep]
        support = [support[i] for i in keep] if support is not None else None
    scored = [support is None or int(n) > 0 for n in (support or recall)]
    fig = _fig(title, height=340, showlegend=False)
    fig.add_trace(go.Bar(x=genres, y=[r if ok else 0.0 for r, ok in zip(recall, scored)],
                         marker_color=[genre_color(g) for g in genres],
                         text=[f"{r:.0%}" if ok else "n/a (no test items)"
                               for r, ok in zip(recall, scored)],
                         textposition="outside", cliponaxis=False,
                         hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.update_yaxes(title="recall", range=[0, 1.12], tickformat=".0%")
    return fig


def accuracy_intervals(labels: Sequence[str], accuracy: Sequence[float],
                       low: Sequence[float], high: Sequence[float],
                       published: Sequence[float | None], synthetic: Sequence[bool],
                       hover: Sequence[str] | None = None,
                       segment: Sequence[float] | None = None,
                       title: str | None = "Test track accuracy, with its 95 % interval",
                       ) -> go.Figure:
    """Bars of measured accuracies (fractions of 1) with their intervals as whiskers, and the
    published figure of each (None: none) as a red diamond; synthetic-data bars grey and hatched.

    segment: a second measured accuracy of each bar (segment accuracy), drawn as a black dash.
    """
    n = len(labels)
    if not (len(accuracy) == len(low) == len(high) == len(published) == len(synthetic) == n):
        raise ValueError("labels, accuracy, low, high, published and synthetic differ in length")
    if len(set(labels)) != n:
        raise ValueError("bar labels must be unique")
    hover = list(hover) if hover is not None else [""] * n
    fig = _fig(title, height=460, barmode="group", legend=dict(orientation="h", y=1.12))
    for is_syn, name, color in ((False, "measured here, real audio", "#4E79A7"),
                                (True, "measured here, SYNTHETIC audio", "#BAB0AC")):
        pick = [i for i in range(n) if bool(synthetic[i]) == is_syn]
        if not pick:
            continue
        acc = [float(accuracy[i]) for i in pick]
        fig.add_trace(go.Bar(
            x=[labels[i] for i in pick], y=acc, name=name, marker_color=color,
            marker_pattern_shape="/" if is_syn else "",
            error_y=dict(type="data", symmetric=False, color="#333333",
                         array=[float(high[i]) - a for i, a in zip(pick, acc)],
                         arrayminus=[a - float(low[i]) for i, a in zip(pick, acc)]),
            customdata=[[float(low[i]), float(high[i]), hover[i]] for i in pick],
            hovertemplate="%{x}<br>accuracy %{y:.1%} (95 % interval %{customdata[0]:.1%}–"
                          "%{customdata[1]:.1%})<br>%{customdata[2]}<extra></extra>"))
    if segment is not None:
        if len(segment) != n:
            raise ValueError(f"{len(segment)} segment accuracies for {n} bars")
        fig.add_trace(go.Scatter(
            x=list(labels), y=[float(v) for v in segment], mode="markers",
            name="segment accuracy, measured here",
            marker=dict(symbol="line-ew-open", size=26, color="#111111", line=dict(width=3)),
            hovertemplate="%{x}<br>segment accuracy %{y:.1%}<extra></extra>"))
    marks = [(labels[i], float(p)) for i, p in enumerate(published) if p is not None]
    if marks:
        fig.add_trace(go.Scatter(
            x=[m[0] for m in marks], y=[m[1] for m in marks], mode="markers",
            name="published in the study",
            marker=dict(symbol="diamond", size=13, color="#E15759", line=dict(width=1)),
            hovertemplate="%{x}<br>published accuracy %{y:.1%}<extra></extra>"))
    fig.update_yaxes(title="accuracy", range=[0, 1.05], tickformat=".0%")
    fig.update_xaxes(tickangle=-30, automargin=True)
    return fig
