"""Results' "Outside GTZAN" section: every model on a labelled folder of music from outside GTZAN
(core.prediction.outside), beside its in-GTZAN figure, with a confusion matrix per model."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core import config
from core.constants import GENRES, SHARED_DATA
from core.report.comparison import measured_text
from pages import layout

#: Worker processes decoding and featurising the clips (as `predict --all --jobs 2`).
JOBS: int = max(1, min(2, os.cpu_count() or 1))


#: One evaluation at a time on this server, whoever asks (each takes cores for minutes).
_RUNNING = threading.Lock()


def default_folder() -> str:
    """The operator's first offered folder, else the shared xd-dev set when this machine has
    it, else nothing."""
    offered = config.outside_dirs()
    if offered:
        return str(next(iter(offered.values())))
    folder = SHARED_DATA / "xd-dev"
    return str(folder) if folder.is_dir() else ""


def shown_name(path: str | Path) -> str:
    """What a folder is called on screen: the operator's name when it is offered, else its
    last part (never the whole server path)."""
    folder = Path(path).expanduser()
    for name, offered in config.outside_dirs().items():
        if offered == folder:
            return name
    return folder.name or str(folder)


def choose_folder() -> tuple[str, str] | None:
    """(name, path) of the folder to evaluate: in viewer mode one of the folders the operator
    offers (GENRELAB_OUTSIDE_DIRS or the "outside_dirs" setting), never a typed path; else a
    typed path. None when there is none."""
    if config.viewer_mode():
        offered = config.outside_dirs()
        if not offered:
            st.caption("This server offers no labelled folder to evaluate (its operator names "
                       f"them with {config.ENV_OUTSIDE_DIRS}).")
            return None
        name = st.selectbox("Labelled folder", list(offered), key="outside_choice",
                            help="The folders this server's operator offers.")
        return name, str(offered[name])
    folder = st.text_input("Labelled folder", value=default_folder(), key="outside_folder",
                           placeholder="/path/to/folder with blues/, jazz/, ...",
                           help=f"Visitors of a viewer-mode server choose among the folders "
                                f"{config.ENV_OUTSIDE_DIRS} offers instead of typing one.")
    return (shown_name(folder), folder) if folder.strip() else None


def run_evaluation(folder: str, name: str, entries: list, key: str) -> dict:
    """The figures of every model (and the answer) on folder, as evaluate-folder's JSON, with a
    progress bar while it runs; kept on disk under key for every later visitor."""
    from core.prediction import outside

    bar = st.progress(0.0, text="decoding and featurising the clips…")
    data = outside.evaluate_folder(
        folder, entries, jobs=JOBS, with_answer=len(entries) > 1, name=name,
        progress=lambda k, total, clip: bar.progress(
            k / max(total, 1), text=f"{k} of {total} clips: {Path(clip).name}")).to_dict()
    bar.empty()
    outside.store(key, data)
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


def offer_evaluation(scan, name: str, folder: str, entries: list, key: str) -> dict | None:
    """The button that evaluates the folder, under the caps a shared server sets: one evaluation
    at a time, and in viewer mode at most VISITOR_MAX_CLIPS clips; the figures, or None."""
    from core.prediction import outside

    n, k = len(scan.clips), len(entries)
    if config.viewer_mode() and n > outside.VISITOR_MAX_CLIPS:
        st.info(f"{name} holds {n} clips: more than the {outside.VISITOR_MAX_CLIPS} a visitor "
                "may have evaluated on this shared server. Its figures appear here once the "
                "operator has evaluated it.", icon=":material/hourglass_disabled:")
        return None
    pressed = st.button(f"Evaluate {k} model{'s' if k != 1 else ''} on it", key="outside_run",
                        icon=":material/play_arrow:")
    cap = (f" On this shared server a visitor may evaluate a folder of at most "
           f"{outside.VISITOR_MAX_CLIPS} clips, one evaluation at a time for everyone; the "
           "figures are then kept for every visitor." if config.viewer_mode() else
           " The figures are kept for later visits (and for viewer mode).")
    if not pressed:
        st.caption(f"About a second per clip and model on two cores: press the button to run "
                   f"({n} clips × {k} models).{cap}")
        return None
    if not _RUNNING.acquire(blocking=False):
        st.info("Another evaluation is running on this server; try again once it is done.")
        return None
    try:
        return outside.cached(key) or run_evaluation(folder, name, entries, key)
    finally:
        _RUNNING.release()


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
    picked = choose_folder()
    if picked is None:
        return
    name, folder = picked
    try:
        scan = outside.scan_folder(folder)
    except outside.OutsideError as exc:   # in viewer mode the message names the folder as offered
        st.warning(str(exc).replace(str(Path(folder).expanduser()), name))
        return
    entries = {e.label: e for e in catalogue.available_models()}
    if not entries:
        st.info("No model to evaluate yet.")
        return
    run_ids = [e.run_id for e in entries.values()]
    key = outside.cache_key(scan.root, run_ids, len(entries) > 1)
    skipped = outside.skipped_text(scan.skipped)
    st.write(f"{len(scan.clips)} clips: " + ", ".join(f"{g} {n}" for g, n in scan.genres.items())
             + (f" ({skipped})" if skipped else ""))
    data = outside.cached(key)
    if data is None:
        data = offer_evaluation(scan, name, folder, list(entries.values()), key)
    if data is None:
        return
    data = outside.renamed(data, name)
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
