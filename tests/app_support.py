"""Small helpers shared by the AppTest page tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"


def _texts(elements) -> str:
    """All values of a list of text elements, joined."""
    return "\n".join(str(e.value) for e in elements)


def _metric(at: AppTest, label: str) -> str:
    """The value of the metric with this label."""
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")
