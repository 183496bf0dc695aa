"""Tests of core.report.figures: each figure has the expected traces on synthetic input, payloads stay small."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.report import figures
from core.constants import GENRES, SAMPLE_RATE

RNG = np.random.default_rng(0)


def _sine(seconds: float, freq: float = 440.0) -> np.ndarray:
    """A sine of freq Hz at 22050 Hz lasting seconds s."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_genre_colours_fixed_and_distinct():
    assert list(figures.GENRE_COLORS) == list(GENRES)
    assert len(set(figures.GENRE_COLORS.values())) == 10
    assert figures.genre_color("unknown") not in figures.GENRE_COLORS.values()


def test_plot_config_downloads_png_at_scale_2():
    opts = figures.PLOT_CONFIG["toImageButtonOptions"]
    assert opts["format"] == "png" and opts["scale"] == 2


def test_envelope_keeps_extremes_of_each_column():
    y = np.zeros(10_000, dtype=np.float32)
    y[1234], y[8765] = 0.9, -0.7
    starts, lo, hi = figures.envelope(y, 100)
    assert starts.size == lo.size == hi.size == 100
    assert hi.max() == pytest.approx(0.9) and lo.min() == pytest.approx(-0.7)
    assert hi[starts.searchsorted(1234, side="right") - 1] == pytest.approx(0.9)


def test_envelope_rejects_empty():
    with pytest.raises(ValueError, match="empty"):
        figures.envelope(np.zeros(0))


def test_waveform_is_downsampled_and_shows_segments():
    y = _sine(10.0)  # 10 s: three full 3-s segments and a 1-s tail
    fig = figures.waveform(y, SAMPLE_RATE)
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
    assert len(fig.data[0].x) <= 2 * figures.MAX_POINTS
    assert max(fig.data[0].y) == pytest.approx(0.5, abs=1e-3)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 4  # three segments and the dropped tail
    assert figures.waveform(y, SAMPLE_RATE, segments=False).layout.shapes == ()


def test_waveforms_by_genre_one_row_each():
    clips = {g: _sine(2.0, 100 + 50 * i) for i, g in enumerate(GENRES[:4])}
    fig = figures.waveforms_by_genre(clips)
    assert [t.name for t in fig.data] == list(GENRES[:4])
    assert fig.data[0].line.color == figures.GENRE_COLORS[GENRES[0]]


@pytest.mark.parametrize("kind", figures.SPECTROGRAM_KINDS)
def test_spectrogram_decimated_to_display_size(kind):
    rows = 128 if kind == "mel" else 1025
    S = RNG.random((rows, 1292)).astype(np.float32)
    fig = figures.spectrogram(S, SAMPLE_RATE, 512, kind)
    z = np.asarray(fig.data[0].z)
    assert isinstance(fig.data[0], go.Heatmap)
    assert z.shape[0] <= figures.MAX_ROWS and z.shape[1] <= figures.MAX_COLUMNS
    assert z.mean() == pytest.approx(S.mean(), rel=0.05)  # pooling keeps the level
    assert fig.data[0].x[-1] == pytest.approx(1291 * 512 / SAMPLE_RATE, rel=0.02)


def test_spectrogram_linear_axis_in_hz():
    S = np.zeros((1025, 50), dtype=np.float32)
    fig = figures.spectrogram(S, SAMPLE_RATE, 512, "db")
    assert fig.data[0].y[0] == 0
    assert fig.data[0].y[-1] == pytest.approx(SAMPLE_RATE / 2, rel=0.02)


def test_spectrogram_rejects_bad_kind():
    with pytest.raises(ValueError, match="kind"):
        figures.spectrogram(np.zeros((10, 10)), kind="cqt")


def test_mfcc_heatmap_rows_labelled():
    fig = figures.mfcc_heatmap(RNG.standard_normal((30, 400)))
    assert len(fig.data[0].y) == 30 and fig.data[0].y[0] == "MFCC 1"
    assert np.asarray(fig.data[0].z).shape == (30, 300)


def test_feature_curves_one_trace_per_curve():
    t = np.linspace(0, 30, 1300)
    fig = figures.feature_curves(t, {"a": np.sin(t), "b": np.cos(t)})
    assert [d.name for d in fig.data] == ["a", "b"]
    with pytest.raises(ValueError):
        figures.feature_curves(t, {"a": np.zeros(5)})


def test_zcr_by_genre_box_per_genre_in_canonical_order():
    df = pd.DataFrame({"genre": ["rock", "blues", "rock", "metal", "blues"],
                       "zcr": [0.1, 0.05, 0.12, 0.2, 0.04]})
    fig = figures.zcr_by_genre(df)
    assert [t.name for t in fig.data] == ["blues", "metal", "rock"]
    assert all(isinstance(t, go.Box) for t in fig.data)
    assert list(fig.data[2].y) == [0.1, 0.12]
    assert fig.data[0].marker.color == figures.GENRE_COLORS["blues"]
    with pytest.raises(ValueError, match="zcr"):
        figures.zcr_by_genre(pd.DataFrame({"genre": ["rock"]}))


def test_distribution_violin():
    fig = figures.distribution_by_genre(np.arange(4.0), ["jazz", "pop", "jazz", "pop"], violin=True)
    assert [type(t) for t in fig.data] == [go.Violin, go.Violin]


def test_genre_counts_bars():
    df = pd.DataFrame({"genre": list(GENRES), "tracks": range(10), "duration_s": [300.0] * 10})
    fig = figures.genre_counts(df)
    assert len(fig.data) == 1 and list(fig.data[0].y) == list(range(10))
    assert list(fig.data[0].marker.color) == [figures.GENRE_COLORS[g] for g in GENRES]


def test_segment_map_trace_per_genre():
    labels = np.array(["pop"] * 5 + ["jazz"] * 3)
    fig = figures.segment_map(RNG.standard_normal((8, 2)), labels,
                              hover=[f"t{i}" for i in range(8)])
    assert [t.name for t in fig.data] == ["jazz", "pop"]
    assert len(fig.data[1].x) == 5
    with pytest.raises(ValueError):
        figures.segment_map(np.zeros((3, 3)), ["pop"] * 3)


def test_confusion_matrix_normalised_rows_sum_to_one():
    cm = np.diag(np.arange(1, 11)) + 1
    fig = figures.confusion_matrix(cm, GENRES, normalise=True)
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z.sum(axis=1), 1.0)
    raw = figures.confusion_matrix(cm, GENRES, normalise=False)
    assert np.asarray(raw.data[0].z)[9, 9] == 11
    with pytest.raises(ValueError):
        figures.confusion_matrix(np.zeros((3, 3)), GENRES)


def test_confusion_matrix_empty_row_is_not_nan():
    cm = np.zeros((10, 10))
    cm[0, 0] = 3
    z = np.asarray(figures.confusion_matrix(cm).data[0].z)
    assert np.isfinite(z).all() and z[1].sum() == 0


def test_training_curves_train_and_val():
    events = [{"type": "start"}] + [
        {"type": "epoch", "epoch": e, "loss": 1.0 / e, "accuracy": 0.1 * e,
         "val_loss": 1.2 / e, "val_accuracy": 0.08 * e} for e in range(1, 6)]
    fig = figures.training_curves(events)
    assert [t.name for t in fig.data] == ["train loss", "validation loss", "train accuracy",
                                          "validation accuracy"]
    assert list(fig.data[0].x) == [1, 2, 3, 4, 5]


def test_training_curves_without_validation():
    history = [{"epoch": 1, "loss": 2.0, "accuracy": 0.2}, {"epoch": 2, "loss": 1.5, "accuracy": 0.3}]
    fig = figures.training_curves(history)
    assert [t.name for t in fig.data] == ["train loss", "train accuracy"]


def test_probability_bars_most_likely_on_top():
    proba = np.full(10, 0.05)
    proba[3] = 0.55
    fig = figures.probability_bars(proba, GENRES)
    assert fig.data[0].y[-1] == GENRES[3]
    assert fig.data[0].x[-1] == pytest.approx(0.55)
    with pytest.raises(ValueError):
        figures.probability_bars(np.ones(3), GENRES)


def test_segment_timeline_stacked_per_genre():
    proba = RNG.dirichlet(np.ones(10), size=4)
    fig = figures.segment_timeline(proba, [0.0, 3.0, 6.0, 9.0])
    assert len(fig.data) == 10 and fig.layout.barmode == "stack"
    assert list(fig.data[0].x) == [1.5, 4.5, 7.5, 10.5]
    with pytest.raises(ValueError):
        figures.segment_timeline(proba, [0.0, 3.0])


def test_results_table():
    df = pd.DataFrame({"model": ["SVM", "LSTM+SVM"], "accuracy": [0.6433, float("nan")]})
    fig = figures.results_table(df)
    assert isinstance(fig.data[0], go.Table)
    assert list(fig.data[0].cells.values[1]) == ["0.643", "–"]


def test_occlusion_overlay_covers_the_segment():
    logmel = RNG.standard_normal((128, 130))
    occ = RNG.random((8, 10))
    fig = figures.occlusion_overlay(logmel, occ)
    assert len(fig.data) == 2 and fig.data[1].opacity < 1
    duration = 130 * 512 / SAMPLE_RATE
    last_centre = fig.data[1].x0 + 9 * fig.data[1].dx
    assert last_centre == pytest.approx(duration - duration / 20)


def test_colour_scales_use_rgb_stops_not_theme_placeholders() -> None:
    from core.report import figures

    fig = figures.spectrogram(np.random.default_rng(0).normal(size=(128, 50)), kind="mel")
    stops = [c for _, c in fig.data[0].colorscale]
    assert stops[0] == "rgb(0,0,4)" and not any(c.startswith("#") for c in stops)


def test_occlusion_overlay_is_diverging_and_centred_on_zero() -> None:
    """Zero (no effect) is the scale's transparent middle, whatever the range: the map shows the
    grey spectrogram there, not a warm wash; a patch that spoke against the genre is blue."""
    from core.report import figures

    occ = np.array([[-0.4, 0.2], [0.1, 0.0]])
    fig = figures.occlusion_overlay(np.zeros((128, 130)), occ)
    effect = fig.data[1]
    assert np.min(effect.z) == pytest.approx(-0.4) and np.max(effect.z) == pytest.approx(0.2)
    assert effect.zmid == 0.0 and effect.zmin == pytest.approx(-effect.zmax)
    stops = dict((pos, colour) for pos, colour in effect.colorscale)
    assert stops[0.5].replace(" ", "").endswith(",0)")              # zero: transparent
    assert "33,102,172" in stops[0.0] and "178,24,43" in stops[1.0]  # blue below, red above


def test_why_map_spectrogram_has_no_white_or_black_block() -> None:
    """In dark mode the map was a bright white block: its quiet parts were drawn white."""
    from core.report import figures

    fig = figures.occlusion_overlay(np.linspace(-80, 0, 128 * 130).reshape(128, 130),
                                    np.zeros((8, 10)))
    for _, colour in fig.data[0].colorscale:
        r, g, b = (int(v) for v in colour[colour.index("(") + 1:-1].split(","))
        assert 40 <= r <= 230 and 40 <= g <= 230 and 40 <= b <= 230, colour
    assert not fig.data[0].reversescale


def test_recall_bars() -> None:
    from core.report import figures

    fig = figures.recall_bars([0.5] * 10)
    assert len(fig.data[0].x) == 10 and fig.layout.yaxis.range[1] > 1


def test_accuracy_intervals_bars_whiskers_and_published() -> None:
    fig = figures.accuracy_intervals(["a", "b", "c"], [0.5, 0.8, 0.4], [0.3, 0.6, 0.1],
                                     [0.7, 0.9, 0.7], [0.6, None, 0.45], [False, False, True],
                                     segment=[0.45, 0.7, 0.35])
    real, synthetic, segment, published = fig.data
    assert list(segment.y) == [0.45, 0.7, 0.35] and list(segment.x) == ["a", "b", "c"]
    assert list(real.x) == ["a", "b"] and list(synthetic.x) == ["c"]
    assert synthetic.marker.pattern.shape == "/" and "SYNTHETIC" in synthetic.name
    assert list(real.error_y.array) == pytest.approx([0.2, 0.1])
    assert list(real.error_y.arrayminus) == pytest.approx([0.2, 0.2])
    assert list(published.x) == ["a", "c"] and list(published.y) == [0.6, 0.45]
    with pytest.raises(ValueError, match="unique"):
        figures.accuracy_intervals(["a", "a"], [0.5] * 2, [0.4] * 2, [0.6] * 2, [None] * 2,
                                   [False] * 2)
    with pytest.raises(ValueError, match="length"):
        figures.accuracy_intervals(["a"], [0.5, 0.6], [0.4], [0.6], [None], [False])
    with pytest.raises(ValueError, match="segment"):
        figures.accuracy_intervals(["a"], [0.5], [0.4], [0.6], [None], [False], segment=[0.1, 0.2])


def test_clips_per_genre_bars_keep_the_genre_order() -> None:
    counts = {g: i % 3 for i, g in enumerate(GENRES)}
    fig = figures.clips_per_genre(counts)
    bar = fig.data[0]
    assert list(bar.x) == list(GENRES) and list(bar.y) == [i % 3 for i in range(len(GENRES))]
    assert bar.marker.color[0] == figures.genre_color(GENRES[0])


def test_recall_bars_say_na_for_a_genre_without_test_items() -> None:
    """A learned genre with no test items reads n/a, not 0 %."""
    from core.report.figures import recall_bars

    fig = recall_bars([0.5, 0.0, 1.0], ["blues", "jazz", "rock"], support=[2, 0, 3])
    assert list(fig.data[0].text) == ["50%", "n/a (no test items)", "100%"]


def test_clips_per_genre_has_whole_number_ticks() -> None:
    """One or two clips never draw ticks at 0.5 and 1.5."""
    from core.report.figures import clips_per_genre

    fig = clips_per_genre({"blues": 1, "rock": 2})
    assert fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.tickformat == "d"
