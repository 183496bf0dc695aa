"""GenreLab's colours: one per genre, the colour scales of its charts and their dark-page
twins, the waveform's bands. Every colour a chart sets itself reads on a white page and on
Streamlit's dark one (tests/test_theme.py)."""

from __future__ import annotations

import plotly.graph_objects as go

from core.constants import GENRES

#: One fixed colour per genre (Tableau 10), so a genre looks the same in every chart.
GENRE_COLORS: dict[str, str] = dict(zip(GENRES, (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#7F7F7F",
)))

OTHER_GENRE_COLOR: str = "#999999"   #: colour of a genre outside GTZAN's ten

#: the waveform's alternate 3-s segment bands and its dropped tail: translucent, so they tint a
#: light or a dark background alike and the numbers on them keep the theme's text colour
SEGMENT_BANDS: tuple[str, str] = ("rgba(128,128,128,0.16)", "rgba(128,128,128,0.06)")
DROPPED_BAND: str = "rgba(225,87,89,0.18)"


def colorscale(name: str) -> list[list]:
    """A named plotly colour scale with every stop written as "rgb(r,g,b)".
    Streamlit's plotly bridge reads colours like "#000004" as its own theme placeholders, which
    drew Magma's darkest stop pink; rgb() stops are taken literally.
    """
    from plotly.colors import get_colorscale, hex_to_rgb

    out = []
    for pos, color in get_colorscale(name):
        if color.startswith("#"):
            color = "rgb({},{},{})".format(*hex_to_rgb(color))
        out.append([pos, color])
    return out


#: the confusion matrix's scale: white for 0 on the light page and the report ...
CONFUSION_SCALE: list[list] = colorscale("Blues")
#: ... and on a dark page one that rises from near its background, so the many empty cells are
#: not bright white blocks (cells stay opaque, so plotly picks a readable text colour on each)
CONFUSION_SCALE_DARK: list[list] = [[0.0, "rgb(38,42,52)"], [0.25, "rgb(24,72,128)"],
                                    [0.6, "rgb(49,130,189)"], [1.0, "rgb(140,196,235)"]]


def for_dark_page(fig: go.Figure) -> go.Figure:
    """The figure with each light-page colour scale that starts at white (CONFUSION_SCALE)
    swapped for its dark-page twin; changed in place and returned."""
    light = [list(stop) for stop in CONFUSION_SCALE]
    for trace in fig.data:
        scale = getattr(trace, "colorscale", None)
        if scale is not None and [list(stop) for stop in scale] == light:
            trace.colorscale = CONFUSION_SCALE_DARK
    return fig


def genre_color(genre: str) -> str:
    """Hex colour of a genre (a mid grey, on light and dark alike, for one outside GTZAN's ten)."""
    return GENRE_COLORS.get(genre, OTHER_GENRE_COLOR)
