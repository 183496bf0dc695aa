"""Small text helpers of the HTML report: escaping, percentages, intervals, a card's genres and
split sizes, CSS sizes, and the error a report that cannot be made raises.

Below every other report module: it imports nothing of core.report.
"""

from __future__ import annotations

import html
import re
from pathlib import PurePath

import numpy as np

from core.constants import GENRES

#: the sides of a run's split, in the order the report shows them
SPLIT_SIDES: tuple[str, ...] = ("train", "valid", "test")


#: folder names of GTZAN's layouts: a path ending in one is named with its parent too
LAYOUT_FOLDERS: tuple[str, ...] = ("genres_original", "genres")
#: a server path inside a sentence: /abs/..., ~/..., ./... or ../... (not "blues/jazz", not URLs)
_PATH = re.compile(r"(?<![\w.:/])(?:~|\.{1,2})?(?:/[\w.+-]+)+/?")
#: a developer's pointer to a benchmark script (" ; bench/x.py", "(bench/x.py)")
_BENCH = re.compile(r"\s*\(bench/[\w/.-]+\.py\)|\s*[;,]?\s*\bbench/[\w/.-]+\.py")


class ReportError(ValueError):
    """A report that cannot be made (no usable run, nowhere to write); the message says why."""


def esc(value: object) -> str:
    """Text of any value, HTML-escaped (quotes too)."""
    return html.escape(str(value), quote=True)


def plot_text(value: object) -> str:
    """Text for a plotly label: <, > and & escaped (plotly shows the entities as plain text)."""
    return html.escape(str(value), quote=False)


def pct(value: float | None) -> str:
    """A fraction of 1 as a percentage with one decimal ("45.5 %"), or a dash."""
    if value is None or not isinstance(value, (int, float)) or not np.isfinite(value):
        return "–"
    return f"{100 * float(value):.1f} %"


def interval_text(low: float, high: float) -> str:
    """A 95 % interval as text ("24.6–67.9 %")."""
    return f"{100 * low:.1f}–{100 * high:.1f} %"


def card_genres(card: dict, n: int) -> list[str]:
    """Genre names of a run's n classes: the card's own list, else GTZAN's ten, else numbers."""
    own = card.get("genres")
    if isinstance(own, list) and len(own) == n:
        return [str(g) for g in own]
    if n == len(GENRES):
        return list(GENRES)
    return [f"class {i}" for i in range(n)]


def split_sizes(card: dict) -> dict[str, dict[str, int]]:
    """Tracks per genre on each side of the split: {side: {genre: n}} from the card's protocol."""
    protocol = card.get("protocol") or {}
    sizes = protocol.get("sizes")
    if isinstance(sizes, dict) and all(isinstance(sizes.get(s), dict) for s in SPLIT_SIDES
                                       if s in sizes):
        return {s: {g: int(n) for g, n in sizes[s].items() if g != "total"}
                for s in SPLIT_SIDES if s in sizes}
    out: dict[str, dict[str, int]] = {}
    for side in SPLIT_SIDES:
        ids = protocol.get(side)
        if isinstance(ids, list):
            counts: dict[str, int] = {}
            for track in ids:
                genre = str(track).split(".")[0]
                counts[genre] = counts.get(genre, 0) + 1
            out[side] = counts
    return out


def is_synthetic(card: dict) -> bool:
    """Whether the run was trained and tested on synthetic audio."""
    return bool((card.get("data") or {}).get("synthetic"))


def css_size(value: object, default: str) -> str:
    """A plotly layout width or height as CSS ("460px"), or default when the layout has none."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value}px"
    return str(value) if value else default


def folder_name(path: str) -> str:
    """What a reader is told of a folder: its last part, with its parent when the last is a
    GTZAN layout folder ("gtzan-ogg/genres_original"), never the server's whole path."""
    parts = [p for p in PurePath(str(path)).parts if p not in ("/", ".", "..", "~")]
    if not parts:
        return str(path)
    if len(parts) > 1 and parts[-1] in LAYOUT_FOLDERS:
        return f"{parts[-2]}/{parts[-1]}"
    return parts[-1]


def for_readers(text: str) -> str:
    """Text of a card for people outside the project: every server path shortened to its
    folder's name (folder_name) and pointers to benchmark scripts left out."""
    text = _PATH.sub(lambda m: folder_name(m.group()), str(text))
    return _BENCH.sub("", text)
