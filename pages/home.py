"""Home: what GenreLab is, which data it is using, what to do next, and the models it ships."""

import streamlit as st

from core import config
from core.constants import PAPER_RESULTS
from pages import data_source, layout

METRIC_MIN_PX = 150   #: narrowest metric card before a grid row wraps (fits "81.8%" and its label)
CARD_MIN_PX = 130     #: narrowest "What to do next" card before the row wraps
#: px of the shipped-models table's columns: 810 of the 818 px beside the sidebar at 1280 px
SHIPPED_PX: dict[str, int] = {"model": 310, "track accuracy": 100, "protocol": 400}

layout.require_app()
viewer = config.viewer_mode()   # a shared server: visitors look and try, they do not train

st.title("GenreLab")
st.markdown("#### Music genre recognition, step by step — a hands-on replication of Yi et al. (2021)")

st.markdown(
    "The study classifies the ten genres of **GTZAN** (1000 clips of 30 s) from features of the "
    "signal over **time** — the zero-crossing rate (ZCR) — and over **frequency** — MFCCs and the "
    "mel-spectrogram. Every clip is cut into 3-second segments. An **LSTM** reads ZCR or MFCC "
    "sequences and hands its 128-number summary to an SVM or KNN; a **2D-CNN** looks at "
    "mel-spectrogram images; a **1D-CNN** scans 15 s of MFCCs. GenreLab lets you look at the "
    "data and features, " + ("see how these models were trained" if viewer else
                             "train these models yourself")
    + " and compare with the published numbers.")

st.subheader("The study's headline results")
# a grid, not st.columns: in a narrow window (or beside the open sidebar) the cards wrap onto a
# second row instead of shrinking until their numbers are cut to "81…"
headline = st.grid(4, min_column_width=METRIC_MIN_PX)
headline.metric("LSTM + SVM on MFCC", f"{PAPER_RESULTS['lstm_svm_mfcc']:.1%}", border=True)
headline.metric("2D-CNN on mel-spectrogram", f"{PAPER_RESULTS['cnn2d_mel']:.1%}", border=True)
headline.metric("1D-CNN on MFCC", f"{PAPER_RESULTS['cnn1d_mfcc']:.1%}", border=True)
headline.metric("SVM on MFCC (baseline)", f"{PAPER_RESULTS['svm_mfcc']:.1%}", border=True)
st.caption("Accuracy published in the study on GTZAN with its own random split. Splits that keep "
           "each artist on one side give much lower numbers; the Results page shows both.")

st.subheader("The data" if viewer else "Your data")
summary = data_source.source_summary()
mine = st.grid(4, min_column_width=METRIC_MIN_PX)
mine.cell(column_span=2).metric("Active data source", "Synthetic demo set" if summary["synthetic"]
                                else "GTZAN folder", border=True)
mine.metric("Clips", summary["tracks"], border=True)
mine.metric("Genres", len(summary["per_genre"]), border=True)
thin = data_source.thin_genres(summary["per_genre"])
st.caption(f"Clips per genre: {data_source.counts_text(summary['per_genre'])}. "
           + data_source.splits_text())
if thin and not summary["synthetic"]:
    st.warning(f"{len(thin)} genre(s) have few clips ({', '.join(f'{g}: {n}' for g, n in thin.items())})"
               ": models learn and are scored on them from little data, so their numbers are "
               "rough.", icon=":material/warning:")
if summary["synthetic"]:
    st.warning("**Synthetic data.** No GTZAN folder is set, so GenreLab uses its built-in demo "
               "set: synthesised audio in ten styles named after GTZAN's genres — not real music."
               + ("" if viewer else " Set a GTZAN folder or download it from the sidebar "
                  "(*Change data source*)."),
               icon=":material/science:")
else:
    st.caption(f"Reading clips from `{data_source.shown_path(summary['root'])}`.")
if summary["error"]:
    st.error(f"The saved data folder cannot be used: {data_source.source_label(summary['error'])}")

st.subheader("What to do next")
steps = [
    (layout.PAGE_DATASET, "Dataset", ":material/library_music:",
     "Listen to clips, see how many there are per genre, and how the split is made."),
    (layout.PAGE_FEATURES, "Features", ":material/equalizer:",
     "See a clip as the models see it: waveform, spectrograms, MFCCs and ZCR."),
    (layout.PAGE_TRAINING, "Training console", ":material/model_training:",
     "See how each model is set up and follow a running job's loss and accuracy (training is "
     "fixed on this shared server)." if viewer else
     "Train an SVM, KNN, LSTM or CNN and watch the loss and accuracy."),
    (layout.PAGE_RESULTS, "Results", ":material/leaderboard:",
     "Compare the trained models with the study's published accuracies." if viewer else
     "Compare your runs with the study's published accuracies."),
    (layout.PAGE_TRY, "Try it", ":material/music_note:",
     "Upload or record a clip and let every model guess its genre."),
]
cards = st.grid(len(steps), min_column_width=CARD_MIN_PX)
for path, label, icon, text in steps:
    with cards.container(border=True, height="stretch"):
        # the whole card's head is a button that opens the page (a bare link read as dead text)
        if st.button(label, icon=icon, key=f"home_go_{label}", width="stretch", type="primary"):
            st.switch_page(path)
        st.caption(text)

st.subheader("Models shipped with GenreLab")
from core.models.persistence import iter_runs

shipped = [r for r in iter_runs(include_shipped=True) if r.shipped]
if not shipped:
    st.info("No trained models are shipped with GenreLab yet"
            + ("." if viewer else " — train one on the Training console."), icon=":material/info:")
else:
    rows = []
    for run in shipped:
        card = run.card or {}
        head = card.get("primary")
        test = (card.get("metrics", {}).get(head, {}) or {}).get("test", {}) if head else {}
        synthetic = " (synthetic)" if card.get("data", {}).get("synthetic") else ""
        rows.append({   # the number beside the name, so a narrow window still shows it
            "model": (card.get("name") or run.path.name) + synthetic,
            "track accuracy": test.get("track_accuracy"),
            "protocol": card.get("protocol", {}).get("label", "–"),
        })
        if run.error:   # a status column only when a model is damaged, so protocol fits
            rows[-1]["status"] = run.error
    # widths that keep the whole protocol in view beside the sidebar of a 1280-px window
    st.dataframe(rows, hide_index=True, column_config={
        "model": st.column_config.TextColumn("model", width=SHIPPED_PX["model"]),
        "track accuracy": st.column_config.NumberColumn(format="percent",
                                                        width=SHIPPED_PX["track accuracy"]),
        "protocol": st.column_config.TextColumn("protocol", width=SHIPPED_PX["protocol"])})
    st.caption("Track accuracy on each model's own test side (majority vote over 3-s segments). "
               "Models trained on the synthetic demo set are labelled *(synthetic)*; the others "
               "on GTZAN audio.")
