"""Try it's batch: several uploaded files or a zip, one row per clip, and one clip in detail."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import streamlit as st

from core.prediction import batch
from core.prediction.catalogue import ModelEntry
from core.prediction.gate import GATE
from core.report.figures import clips_per_genre
from pages import layout, verdicts

#: worker processes decoding and featurising the clips of a batch (1 for two clips or fewer)
BATCH_JOBS: int = max(1, min(4, os.cpu_count() or 1))


def batch_inputs(files: list) -> list[batch.ClipInput]:
    """The clips of several uploaded files (zips opened member by member), limit applied; a file
    added twice (same name, same bytes), or alone and inside a zip, is taken once."""
    inputs: list[batch.ClipInput] = []
    seen: set[tuple[str, str]] = set()
    twice: list[str] = []
    for file in files:
        data = file.getvalue()
        key = (file.name, hashlib.sha1(data).hexdigest())
        if key in seen:
            twice.append(file.name)
            continue
        seen.add(key)
        inputs += batch.from_upload(file.name, data)
    inputs, repeated = batch.drop_repeats(inputs)
    if twice or repeated:
        st.caption("Added more than once, listed once: "
                   + ", ".join(sorted(set(twice) | set(repeated))) + ".")
    return batch.limit_files(inputs)


def analyse_batch(inputs: list[batch.ClipInput], models: list[ModelEntry]) -> list[batch.ClipRow]:
    """Every model's verdict on every clip, with a progress bar; remembered per upload."""
    digest = hashlib.sha1("|".join(f"{m.run_id}:{m.head}" for m in models).encode())
    for item in inputs:
        digest.update(item.name.encode())
        digest.update(item.digest())   # a zip member's CRC and size: nothing is unpacked
        digest.update((item.refusal or "").encode())
    key = f"tryit_batch_{digest.hexdigest()}"
    if key not in st.session_state:
        for old in [k for k in st.session_state if str(k).startswith("tryit_batch_")]:
            del st.session_state[old]
        usable = sum(item.usable for item in inputs)
        bar = st.progress(0.0, text=f"Listening to {usable} clips…")
        try:
            st.session_state[key] = list(GATE.each(batch.predict_many(   # a clip per turn
                inputs, models, jobs=BATCH_JOBS if usable > 2 else 1,
                progress=lambda done, total, name: bar.progress(
                    done / total, text=f"{done} of {total} clips: {name}"))))
        finally:
            bar.empty()
    return st.session_state[key]


def show_batch(rows: list[batch.ClipRow], models: list[ModelEntry],
               inputs: list[batch.ClipInput] | None = None) -> None:
    """The batch's table (one row per clip), its CSV, the clips per genre, and one clip's
    detail (timeline, why map, tags) when the user picks it."""
    labels = [m.label for m in models]
    used = [r for r in rows if r.prediction is not None]
    refused = [r for r in rows if r.error is not None]
    m1, m2 = st.columns(2)
    m1.metric("Clips answered", f"{len(used)} of {len(rows)}")
    m2.metric("Clips refused", len(refused))
    for row in refused:
        st.warning(f"{row.name}: {row.error}")
    st.subheader("One row per clip")
    table = pd.DataFrame(batch.table_rows(rows, labels))
    st.dataframe(table, hide_index=True, column_config={
        f"{label} p": st.column_config.ProgressColumn(label=f"{label} p", format="percent",
                                                      min_value=0, max_value=1)
        for label in labels})
    st.download_button("Download the table (CSV)", batch.to_csv(rows, labels),
                       file_name="genrelab-predictions.csv", mime="text/csv",
                       icon=":material/download:", key="tryit_batch_csv")
    if used:
        layout.plot(clips_per_genre(batch.genre_counts(rows)), key="tryit_batch_genres")
        st.caption("Each clip counts once, for its answer: the consensus column holds the "
                   "verdict of the most trusted model that can answer every genre (the answer "
                   "Try it gives for one clip); agreeing counts the models that chose it.")
        show_batch_clip(used, models, inputs or [])


def show_batch_clip(used: list[batch.ClipRow], models: list[ModelEntry],
                    inputs: list[batch.ClipInput]) -> None:
    """One clip of a batch in detail, chosen from the table's answered clips."""
    st.subheader("One clip in detail")
    st.caption("Uploads add up: remove a file with its × above to go back to one clip, or pick "
               "any clip of the table here to see its timeline, tags and the 2D-CNN's reasons.")
    names = [r.name for r in used]
    pick = st.selectbox("Clip", names, index=None, placeholder="Choose a clip of the table",
                        key="tryit_batch_pick")
    if pick is None:
        return
    row = used[names.index(pick)]
    item = next((i for i in inputs if i.name == pick), None)
    data = None
    if item is not None and item.usable:
        data = item.read_bytes()   # a zip member is unpacked now (at most MAX_UPLOAD_BYTES)
    if data is not None:
        st.audio(data)
        st.session_state["tryit_current"] = f"batch:{pick}:{hashlib.sha1(data).hexdigest()}"
    verdicts.show_prediction(row.prediction, models, data if data is not None else np.zeros(1),
                             name=pick)
