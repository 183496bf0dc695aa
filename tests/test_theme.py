"""Light or dark: the app follows the viewer's preference and its charts read in both themes.

The browser side (a dark page, light chart text, in headless Chromium) is in
tests/test_e2e_narrow.py; here are the settings, the figures' own colours and what
pages/layout.plot hands to Streamlit.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Iterator

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.constants import GENRES
from core.report import figures
from core.report.live_figures import live_timeline
from tests.app_support import APP

CONFIG = APP.parent / ".streamlit" / "config.toml"
WHITE = (255, 255, 255)
DARK = (23, 22, 20)       #: Streamlit 1.67's dark background (stApp in Chromium, dark scheme)
MIN_CONTRAST = 1.5        #: an opaque mark this far from both backgrounds can be seen on each
FAINT = 0.3               #: a colour at most this opaque is a tint, readable on either


def test_config_follows_the_viewers_light_or_dark_preference() -> None:
    theme = tomllib.loads(CONFIG.read_text())["theme"]
    assert "base" not in theme   # "light" forced the light theme on every viewer
    assert theme["light"]["primaryColor"] == theme["dark"]["primaryColor"] == "#4E79A7"


# --- the figures' own colours ---------------------------------------------------------------

def _rgba(text: str) -> tuple[tuple[int, int, int], float] | None:
    """(r, g, b) and alpha of a CSS colour plotly takes (hex, rgb(), rgba(), white, black)."""
    text = text.strip().lower()
    named = {"white": "#ffffff", "black": "#000000"}
    text = named.get(text, text)
    if re.fullmatch(r"#[0-9a-f]{6}", text):
        return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5)), 1.0
    if re.fullmatch(r"#[0-9a-f]{3}", text):
        return tuple(int(c * 2, 16) for c in text[1:]), 1.0
    found = re.fullmatch(r"rgba?\(([^)]*)\)", text)
    if found:
        parts = [float(p) for p in found.group(1).split(",")]
        return tuple(int(p) for p in parts[:3]), (parts[3] if len(parts) > 3 else 1.0)
    return None


def _luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    channels = [c / 255.0 for c in rgb]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _colours(node, where: str = "", opacity: float = 1.0) -> Iterator[tuple[str, str, float]]:
    """(where, colour, opacity) of every colour a figure sets itself: its template (the theme's
    business) and colour scales (the data's) left out."""
    if isinstance(node, dict):
        if isinstance(node.get("opacity"), (int, float)):
            opacity *= float(node["opacity"])
        for key, value in node.items():
            if key in ("template", "colorscale"):
                continue
            if "color" in key.lower() and isinstance(value, str):
                yield f"{where}.{key}", value, opacity
            elif "color" in key.lower() and isinstance(value, list):
                yield from ((f"{where}.{key}", v, opacity) for v in value if isinstance(v, str))
            else:
                yield from _colours(value, f"{where}.{key}", opacity)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _colours(value, f"{where}[{i}]", opacity)


class _Answer:
    """The bits of core.prediction.live.LiveAnswer live_timeline reads."""

    def __init__(self, end_s: float, genre: str) -> None:
        self.end_s, self.genre, self.note = end_s, genre, ""
        self.proba = np.full(len(GENRES), 0.02)
        self.proba[GENRES.index(genre)] = 0.82
        self.by_model = {"SVM": genre}
        self.proba_by_model = {"SVM": self.proba}


def app_figures() -> dict[str, object]:
    """Every figure builder the app's pages draw, on small made-up data."""
    rng = np.random.default_rng(0)
    y = rng.standard_normal(22050 * 7).astype(np.float32) * 0.1   # 7 s: two segments, a tail
    labels = [g for g in GENRES for _ in range(4)]
    cm = rng.integers(0, 9, size=(10, 10))
    proba = rng.dirichlet(np.ones(10), size=3)
    return {
        "waveform": figures.waveform(y, 22050, segments=True),
        "waveforms_by_genre": figures.waveforms_by_genre({"blues": y, "rock": y}),
        "spectrogram": figures.spectrogram(np.abs(rng.standard_normal((513, 40))), kind="db"),
        "mfcc_heatmap": figures.mfcc_heatmap(rng.standard_normal((20, 40))),
        "feature_curves": figures.feature_curves(np.arange(40.0), {"ZCR": rng.random(40)}),
        "distribution_by_genre": figures.distribution_by_genre(rng.random(40), labels),
        "genre_counts": figures.genre_counts(pd.DataFrame({"genre": GENRES, "tracks": [3] * 10})),
        "clips_per_genre": figures.clips_per_genre({g: 1 for g in GENRES}),
        "segment_map": figures.segment_map(rng.random((40, 2)), labels),
        "confusion_matrix": figures.confusion_matrix(cm),
        "recall_bars": figures.recall_bars(rng.random(10)),
        "training_curves": figures.training_curves(
            [{"epoch": e, "loss": 1 / e, "val_loss": 1.2 / e, "accuracy": 0.5, "val_accuracy": 0.4}
             for e in range(1, 4)]),
        "probability_bars": figures.probability_bars(proba[0]),
        "segment_timeline": figures.segment_timeline(proba, [0.0, 3.0, 6.0]),
        "occlusion_overlay": figures.occlusion_overlay(rng.standard_normal((128, 130)),
                                                       rng.random((8, 10))),
        "live_timeline": live_timeline([_Answer(t, "rock") for t in (1.0, 2.0)], ["SVM"]),
    }


@pytest.mark.parametrize("name", list(app_figures()))
def test_app_figures_leave_background_and_text_colours_to_the_theme(name: str) -> None:
    layout = app_figures()[name].to_plotly_json()["layout"]
    for key in ("paper_bgcolor", "plot_bgcolor"):
        assert key not in layout, f"{name} sets {key}"
    assert "color" not in (layout.get("font") or {}), f"{name} sets its text colour"


@pytest.mark.parametrize("name", list(app_figures()))
def test_app_figures_colours_read_on_light_and_dark(name: str) -> None:
    """Each colour a figure sets itself (a mark, a band, a genre) stands out from a white page
    and from Streamlit's dark one: no light-grey bands that swallow light text in dark mode and
    no near-black marks that vanish there."""
    fig = app_figures()[name].to_plotly_json()
    bad = []
    for where, colour, opacity in _colours(fig):
        parsed = _rgba(colour)
        assert parsed is not None, f"{name}{where}: unreadable colour {colour!r}"
        rgb, alpha = parsed
        if alpha * opacity <= FAINT:
            continue
        low = min(_contrast(rgb, WHITE), _contrast(rgb, DARK))
        if low < MIN_CONTRAST:
            bad.append(f"{where} = {colour} (contrast {low:.2f})")
    assert not bad, f"{name}: " + "; ".join(bad)


def test_an_unknown_genre_is_a_grey_readable_on_both() -> None:
    rgb, _ = _rgba(figures.genre_color("chiptune"))
    assert min(_contrast(rgb, WHITE), _contrast(rgb, DARK)) >= 2.5


# --- what the pages hand to Streamlit -------------------------------------------------------

def test_layout_plot_draws_with_streamlits_theme_template() -> None:
    """pages/layout.plot swaps the figures' light "plotly_white" (kept for the HTML report) for
    Streamlit's own template, whose colours the browser fills from the active theme."""
    import plotly.io as pio

    at = AppTest.from_string(
        "from core.report import figures\n"
        "from pages import layout\n"
        "layout.plot(figures.recall_bars([0.5] * 10), key='recall')\n", default_timeout=60).run()
    assert not at.exception
    chart = at.get("plotly_chart")[0]
    assert chart.proto.theme == "streamlit"
    template = json.loads(chart.proto.spec)["layout"]["template"]["layout"]
    assert "paper_bgcolor" not in template and "plot_bgcolor" not in template
    # Streamlit's placeholder colours ("#000001"...), replaced in the browser by the theme's
    assert template["colorway"] == list(pio.templates["streamlit"].layout.colorway)


def test_the_report_keeps_its_light_template() -> None:
    """The HTML report is read on paper-white pages: its figures keep "plotly_white"."""
    assert figures.recall_bars([0.5] * 10).layout.template.layout.paper_bgcolor == "white"


# --- labels and blocks that a first-time user could not read ----------------------------------

LABEL_CONTRAST = 3.0   #: WCAG's minimum for large text and graphical labels


def test_the_dropped_tails_label_stays_inside_the_plot() -> None:
    """Features' waveform: "dropped" sits at the right end of a short tail; anchored at its left
    end the word ran past the plot's right edge and was cut."""
    y = np.full(int(22050 * 9.4), 0.1, np.float32)   # three segments and a 0.4-s tail
    fig = figures.waveform(y, 22050, segments=True)
    (label,) = [a for a in fig.layout.annotations if a.text == "dropped"]
    end = fig.layout.xaxis.range[1]
    assert label.x <= end and label.xanchor == "right"


def test_genre_names_on_the_per_genre_waveforms_read_on_light_and_dark() -> None:
    """Dataset's waveforms: each row's genre name keeps the theme's text colour (jazz's yellow
    and pop's pink were pale on white); the genre's colour stays as a swatch beside it."""
    y = np.full(22050, 0.1, np.float32)
    fig = figures.waveforms_by_genre({g: y for g in GENRES})
    axes = [fig.layout[k] for k in fig.layout if k.startswith("yaxis")]
    assert len(axes) == len(GENRES)
    for axis in axes:
        colour = axis.title.font.color
        if colour is not None:   # an own colour must read as text on both backgrounds
            rgb, _ = _rgba(colour)
            assert min(_contrast(rgb, WHITE), _contrast(rgb, DARK)) >= LABEL_CONTRAST, \
                f"{axis.title.text} in {colour}"
    titles = " ".join(a.title.text for a in axes)
    assert all(g in titles for g in GENRES)


def _scale_rgb(scale, at: float) -> tuple[int, int, int]:
    """The colour of a plotly colour scale at its stop `at` (0 or 1)."""
    stops = [list(s) for s in scale]
    rgb, _ = _rgba(stops[0][1] if at == 0 else stops[-1][1])
    return rgb


def test_confusion_matrices_on_a_dark_page_are_not_white_blocks(monkeypatch) -> None:
    """A confusion matrix is mostly empty cells: on a dark page they must sit near the
    background, not be bright white blocks; the light page and the report keep white for 0."""
    cm = np.diag(np.arange(1, 11))
    light = figures.confusion_matrix(cm)
    assert _contrast(_scale_rgb(light.data[0].colorscale, 0), WHITE) < 1.1
    from pages import layout

    monkeypatch.setattr(layout, "dark_theme", lambda: True)   # the viewer's page is dark
    at = AppTest.from_string(
        "import numpy as np\n"
        "from core.report import figures\n"
        "from pages import layout\n"
        "layout.plot(figures.confusion_matrix(np.diag(np.arange(1, 11))), key='cm')\n",
        default_timeout=60).run()
    assert not at.exception
    trace = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    empty, full = _scale_rgb(trace["colorscale"], 0), _scale_rgb(trace["colorscale"], 1)
    assert _contrast(empty, DARK) < 1.5             # empty cells close to the dark page
    assert _contrast(full, DARK) >= LABEL_CONTRAST  # full cells stand out from it
    assert all(_rgba(c)[1] == 1.0 for _, c in trace["colorscale"])   # opaque: text contrasts
