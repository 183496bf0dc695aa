"""Which models answer on Try it and Listen live: a choice per visitor, the shipped models and the
user's finished, new runs by default (core.prediction.catalogue.default_choice); a short line says
how many are ready and how many answer."""

from __future__ import annotations

import streamlit as st

from core.prediction.catalogue import ModelEntry, default_choice

CHOICE_KEY = "tryit_models"   #: session-state key of the labels chosen (this visitor's own)


def choose_models(models: list[ModelEntry]) -> list[ModelEntry]:
    """The models this visitor lets answer (in the catalogue's order): chosen in a folded
    multiselect under a one-line summary; the default choice until they change it."""
    labels = [m.label for m in models]
    default = [m.label for m in default_choice(models)]
    chosen = [label for label in st.session_state.get(CHOICE_KEY, default) if label in labels]
    st.session_state[CHOICE_KEY] = chosen or default
    with st.expander(summary(models, st.session_state[CHOICE_KEY]), icon=":material/tune:"):
        st.multiselect("Models that answer", labels, key=CHOICE_KEY,
                       help="Your choice, for this browser tab only: other visitors keep theirs.")
        left_out = [label for label in labels if label not in default]
        st.caption("Shipped models and your finished runs answer by default"
                   + (f"; left out unless you add them: {', '.join(left_out)} (runs stopped "
                      "before their end, or repeating a shipped model's recipe)."
                      if left_out else "."))
    picked = set(st.session_state[CHOICE_KEY]) or set(default)
    return [m for m in models if m.label in picked]


def summary(models: list[ModelEntry], chosen: list[str]) -> str:
    """"13 models ready · 9 answer" (one short line)."""
    n = len(models)
    return (f"{n} model{'s' if n != 1 else ''} ready · "
            + ("all answer" if len(chosen) == n else f"{len(chosen)} answer"))
