"""Results' "Outside GTZAN" section: every model on a labelled folder of music from outside GTZAN
(core.prediction.outside), beside its in-GTZAN figure, with a confusion matrix per model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core.constants import GENRES, SHARED_DATA
from core.report.comparison import measured_text
from pages import layout

#: Worker processes decoding and featurising the clips (as `predict --all --jobs 2`).
JOBS: int = max(1, min(2, os.cpu_count() or 1))


def default_folder() -> str:
    """The shared xd-dev set when this machine has it, else nothing."""
    folder = SHARED_DATA / "xd-dev"
    return str(folder) if folder.is_dir() else ""


@st.cache_data(show_spinner=False, max_entries=8)
def evaluate(folder: str, stamp: tuple, models: tuple[str, ...]) -> dict:
    """The figures of every available model (and the answer) on folder, as evaluate-folder's
    JSON, with a progress bar while it runs; cached per folder, its files' sizes and mtimes
    (stamp) and the models (run ids)."""
    from core.prediction import catalogue, outside

    entries = [e for e in catalogue.available_models() if e.run_id in models]
    bar = st.progress(0.0, text="decoding and featurising the clips…")
    data = outside.evaluate_folder(
        folder, entries, jobs=JOBS, with_answer=len(entries) > 1,
        progress=lambda k, total, name: bar.progress(
            k / max(total, 1), text=f"{k} of {total} clips: {Path(name).name}")).to_dict()
    bar.empty()
    return data


def in_gtzan(card: dict | None, head: str | None) -> str:
    """A model's in-GTZAN figure (test track accuracy with interval, n, protocol)."""
    if card is None:
        return "the most trusted model's answer" if head == "answer" else ""
    return measured_text({k: v for k, v in card.items() if k != "outside"}, head)


def figures_table(data: dict, entries: dict) -> pd.DataFrame:
    """One row per model: outside-GTZAN accuracy with interval, n, macro-F1, in-GTZAN figure,
    recall per genre of the folder."""
    rows = []
    for m in data["models"]:
        entry = entries.get(m["label"])
        row = {"Model": m["label"],
               "Outside GTZAN (95 % CI)": f"{m['accuracy']:.1%} ({m['ci_low']:.0%}–"
                                          f"{m['ci_high']:.0%})",
               "Correct of n": f"{m['correct']} of {m['n']}",
               "Macro-F1": round(m["macro_f1"], 3),
               "In GTZAN (test track accuracy, 95 % CI)": in_gtzan(
                   entry.card if entry else None, entry.head if entry else m["label"])}
        for genre, v in m["per_genre"].items():
            row[f"{genre} recall"] = (f"{v['correct']}/{v['n']}"
                                      + (" (cannot answer)" if v.get("note") else ""))
        rows.append(row)
    return pd.DataFrame(rows)


def show_outside() -> None:
    """The section: a folder, a button, the table, the left-out files and a confusion matrix."""
    from core.prediction import catalogue, outside
    from core.report.figures import confusion_matrix

    st.header("Outside GTZAN")
    st.session_state.pop("outside_data", None)   # set below only for the folder shown now
    st.caption("How the models do on music they never met: a folder laid out as "
               "<genre>/<clip> (folder names such as Hip-Hop, rap or Classical Music are "
               "matched to GTZAN's genres). A clip of a genre a model was not trained on counts "
               "as wrong for it. Nothing is trained on these clips.")
    folder = st.text_input("Labelled folder", value=default_folder(), key="outside_folder",
                           placeholder="/path/to/folder with blues/, jazz/, ...")
    if not folder:
        return
    try:
        scan = outside.scan_folder(folder)
    except outside.OutsideError as exc:
        st.warning(str(exc))
        return
    entries = {e.label: e for e in catalogue.available_models()}
    if not entries:
        st.info("No model to evaluate yet.")
        return
    key = (str(scan.root), outside.folder_stamp(scan.root),
           tuple(sorted(e.run_id for e in entries.values())))
    st.write(f"{len(scan.clips)} clips: " + ", ".join(f"{g} {n}" for g, n in scan.genres.items())
             + (f"; skipped folders: {', '.join(scan.skipped)}" if scan.skipped else ""))
    done = st.session_state.setdefault("outside_done", set())
    if st.button(f"Evaluate {len(entries)} model{'s' if len(entries) != 1 else ''} on it",
                 key="outside_run", icon=":material/play_arrow:"):
        evaluate(*key)
        done.add(key)
    if key not in done:
        st.caption(f"About a second per clip and model on two cores: press the button to run "
                   f"({len(scan.clips)} clips × {len(entries)} models).")
        return
    data = evaluate(*key)
    st.session_state["outside_data"] = data   # the report's Outside GTZAN section uses it
    st.dataframe(figures_table(data, entries), hide_index=True)
    st.caption(f"n = {data['n']} clips of {data['folder']} (outside GTZAN, no training on them). "
               "Beside each: its in-GTZAN test figure, as its card states it.")
    for bad in data["bad_files"]:
        st.warning(f"{bad['clip']}: {bad['reason']}")
    labels = [m["label"] for m in data["models"]]
    chosen = st.selectbox("Confusion matrix of", labels, key="outside_model")
    model = data["models"][labels.index(chosen)]
    layout.plot(confusion_matrix(np.asarray(model["confusion"]), GENRES, True,
                                 title=f"{chosen}: outside GTZAN (n = {model['n']})"),
                key="outside_cm")
