"""Try it's verdicts on one clip: each model's as it arrives, the answer, the table of every
model's verdict, its tags, the probability bars and the timeline along the clip."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core import constants
from core.constants import GENRE_INDEX, GENRES
from core.models import family
from core.prediction import known_clips, streaming
from core.prediction.answer import agreeing, can_answer, headline as answer_of, leader
from core.prediction.catalogue import ModelEntry, trust
from core.prediction.gate import GATE
from core.prediction.pipeline import ClipPrediction, ModelFailure, ModelResult
from core.report.answer_figures import (genre_outside_text, inside_short, outside_set,
                                        outside_short)
from core.report.comparison import data_label, measured_text
from core.report.figures import genre_color, probability_bars, segment_timeline
from pages import layout, why_view

#: px of the verdict table's Model column: with Genre and Probability it fits 800 px beside
#: the open sidebar (a longer name is cut; drag the column's edge to widen it)
MODEL_COLUMN_PX: int = 220
PROBABILITY_COLUMN_PX: int = 150   #: px of its Probability column: room for the bar and "92.48%"
#: Marks of a model's line while the verdicts arrive: still listening, answered, failed. Still
#: glyphs, not spinners: sixteen visitors' pages each animating ten spinners cost their browsers
#: more than the server spends on the models (bench/concurrent.py).
WAITING_ICON, DONE_ICON, FAILED_ICON = (":material/hourglass_top:", ":green[:material/check:]",
                                        ":red[:material/error:]")


def analyse(source: bytes | np.ndarray, models: list[ModelEntry]) -> ClipPrediction:
    """Every model's prediction for a clip, shown model by model as each finishes (the headline's
    model first, an hourglass on those still running); remembered per clip and model set."""
    key = _prediction_key(source, models)
    if key not in st.session_state:
        with GATE.answering():   # no visitor's charts or explanations until this verdict is done
            st.session_state[key] = _stream_verdicts(source, models)
    st.session_state["tryit_current"] = key
    return st.session_state[key]


def _stream_verdicts(source: bytes | np.ndarray, models: list[ModelEntry]) -> ClipPrediction:
    """Decode the clip and score it with every model in turn, drawing each verdict as it
    arrives under the running headline (the whole box is cleared at the end)."""
    with GATE.slot(first=True):   # decoding waits its turn, before others' slower models
        stream = streaming.ClipStream(source, models)  # AudioError here: the clip cannot be used
    for old in [k for k in st.session_state if str(k).startswith("tryit_pred_")]:
        del st.session_state[old]
    box = st.empty()
    with box.container(border=True):
        headline = st.empty()
        headline.markdown(consensus_text([], len(stream.entries), models),
                          unsafe_allow_html=True)
        rows = {e.label: st.empty() for e in stream.pending}
        for label, row in rows.items():
            row.markdown(f"{WAITING_ICON} {label}: listening…")
    for outcome in stream.in_turn(GATE):   # one model at a time, every visitor's headline first
        icon = FAILED_ICON if isinstance(outcome, ModelFailure) else DONE_ICON
        rows[outcome.label].markdown(f"{icon} {verdict_text(outcome)}")
        headline.markdown(consensus_text(stream.results if stream.headline_ready else [],
                                         len(stream.entries), models), unsafe_allow_html=True)
    box.empty()
    return stream.prediction()


def show_prediction(prediction: ClipPrediction, models: list[ModelEntry],
                    source: bytes | np.ndarray, name: str = "") -> None:
    """The verdicts: the answer with its figures, every model's verdict, one probability chart
    per model, the segment timeline and the why view. name: the clip's file name (a GTZAN
    track's name bars the models that trained on it from leading)."""
    if not prediction.results:
        for label, reason in prediction.failed:
            st.warning(f"{label} could not score this clip: {reason}")
        st.error("No model could score this clip (see the warnings above).")
        return
    seen = known_clips.trained_on(name, models)
    barred = [e.label for e in seen]
    genre, why = answer_of(prediction.results, models, barred)
    first = leader(prediction.results, models, barred)
    show_headline(prediction, models, genre, first)
    st.markdown(f"The answer is <b style='color:{genre_color(genre)}'>{genre}</b>: {why}.",
                unsafe_allow_html=True)
    if seen:
        st.warning(f"{known_clips.gtzan_track(name)} is a GTZAN clip that {len(seen)} model"
                   f"{'s' if len(seen) != 1 else ''} trained on: {', '.join(barred)}. Their "
                   "verdicts on it are no test of them, and none of them leads the answer.",
                   icon=":material/school:")
    for label, reason in prediction.failed:
        st.warning(f"{label} could not score this clip: {reason}")
    if prediction.excerpt:
        st.info(f"This file is long: the models heard {prediction.excerpt} (files are analysed "
                f"on at most their first {constants.MAX_CLIP_SECONDS / 60:.0f} minutes).",
                icon=":material/content_cut:")

    st.subheader("Every model's verdict")
    st.columns(4)[0].metric("Clip length", f"{prediction.duration_s:.1f} s",
                            help="How long the clip the models heard is.")
    # the model's name is held to MODEL_COLUMN_PX, so its genre and probability stay in view in
    # a narrow window, even beside the open sidebar at 800 px
    st.dataframe(summary_table(prediction, models), hide_index=True, column_config={
        "Model": st.column_config.TextColumn(width=MODEL_COLUMN_PX),
        "Genre": st.column_config.TextColumn(width="small"),
        "Probability": st.column_config.ProgressColumn(format="percent", min_value=0,
                                                       max_value=1, width=PROBABILITY_COLUMN_PX)})
    st.caption("Models are listed best first by the lower end of their measured interval. Their "
               "test sets differ (split protocol, data, number of tracks): compare the numbers "
               "with care; Results sets every run beside the study's figures.")
    show_tags(prediction.results)
    cols = st.columns(2)
    with GATE.slot(later=True):   # the charts wait while any visitor's verdict is queued
        for i, r in enumerate(prediction.results):
            known = [GENRE_INDEX[g] for g in r.genres]
            layout.plot(probability_bars(r.clip_proba[known], list(r.genres), title=r.label),
                        key=f"tryit_bars_{i}", where=cols[i % 2])
    st.caption("Bars: the probability each model gives every genre it was trained on for the "
               "whole clip (the mean over its 3-s segments). Download any chart as PNG with the "
               "camera icon.")
    partial = [r for r in prediction.results if r.cannot_answer]
    if partial:
        st.info("Some models were trained on a subset of the genres and cannot answer the "
                "others: " + "; ".join(f"{r.label} knows {', '.join(r.genres)}"
                                      for r in partial) + ".", icon=":material/info:")

    st.subheader("Genre along the clip")
    seg_results = [r for r in prediction.results if r.segment_proba is not None]
    if seg_results:
        labels = [r.label for r in seg_results]
        answered = first.label if first is not None and first.label in labels else labels[0]
        chosen = st.selectbox("Model", labels, index=labels.index(answered),
                              key="tryit_timeline_model",
                              help="First shown: the model whose verdict is the answer.")
        r = seg_results[labels.index(chosen)]
        with GATE.slot(later=True):
            layout.plot(segment_timeline(r.segment_proba, r.segment_starts_s, GENRES),
                        key="tryit_timeline")
        st.caption("Each bar is one 3-s segment (time counted from the first sound); its colours "
                   "stack that segment's genre probabilities.")
    else:
        st.info("No segment-level model is available; whole-clip models give one verdict only.")

    st.subheader("The clip's spectrogram, and why the 2D-CNN decides")
    why_view.show_spectrogram(why_view.clip_logmel(prediction, source))
    why_view.show_why(prediction, models)


def show_headline(prediction: ClipPrediction, models: list[ModelEntry], genre: str,
                  first: ModelResult | None) -> None:
    """The answer, how many of the models that can answer it agree, and the answering model's
    figures in GTZAN and outside it, with its outside record for that genre (one row, then one
    line, so that they stay in view above the fold)."""
    entry = next((m for m in models if first is not None and m.label == first.label), None)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Answer", genre, help="The answer of the most trusted model (the highest lower end "
              "of its test interval) among those that can answer every genre; on 49 clips from "
              "outside GTZAN this rule beat a trust-weighted vote of all models, 29 to 20.")
    able = can_answer(prediction.results, genre)
    m2.metric("Models agreeing", f"{agreeing(prediction.results, genre)} of {able}",
              help=f"Among the models that can answer {genre} (those trained without it are not "
                   "counted).")
    if entry is None:
        return
    inside = _figure(inside_short(entry.card, entry.head))
    outside = _figure(outside_short(entry.card))
    m3.metric("In GTZAN", inside[0], delta=inside[1], delta_color="off", delta_arrow="off",
              help=f"{entry.label} on GTZAN's test tracks: "
                   + measured_text(entry.card, entry.head))
    m4.metric("Outside GTZAN", outside[0], delta=outside[1], delta_color="off",
              delta_arrow="off", help=f"{entry.label} on music from outside GTZAN "
              f"({outside_set(entry.card) or 'not measured'}): how often it is right where the "
              "music is not GTZAN's. Measured there, never fitted on it.")
    st.markdown(f"{entry.label}: {genre_outside_text(entry.card, genre)}.")


def _figure(text: str) -> tuple[str, str | None]:
    """A figure's headline number and the rest ("(81%–90%) of 200 tracks"); "not measured"
    whole."""
    first, _, rest = text.partition(" ")
    return (text, None) if text == "not measured" else (first, rest or None)


def consensus_text(results: list[ModelResult], n_models: int,
                   models: list[ModelEntry] | tuple = ()) -> str:
    """The headline line so far (core.prediction.answer.headline: the most trusted model that can
    answer every genre), how many of the models that can answer it chose it, how many still run."""
    verdict = answer_of(results, models)
    if verdict is None:
        return f"Listening with {n_models} model{'s' if n_models != 1 else ''}…"
    genre = verdict[0]
    waiting = n_models - len(results)
    tail = f" – {waiting} still listening" if waiting else ""
    return (f"Answer: <b style='color:{genre_color(genre)}'>{genre}</b>: chosen by "
            f"{agreeing(results, genre)} of {can_answer(results, genre)} so far{tail}.")


def verdict_text(outcome: ModelResult | ModelFailure) -> str:
    """One model's line as its verdict arrives: its genre and probability, or why it failed."""
    if isinstance(outcome, ModelFailure):
        return f"{outcome.label} could not score this clip: {outcome.reason}"
    hears = f" – {tags_line(outcome)}" if outcome.tags else ""
    return (f"{outcome.label} says **{outcome.genre}** ({outcome.clip_proba.max():.0%}, "
            f"{outcome.elapsed_ms:.0f} ms){hears}")


def summary_table(prediction: ClipPrediction, models: list[ModelEntry]) -> pd.DataFrame:
    """One row per model: its genre, that genre's probability, what it scored and how well it
    was measured (test track accuracy with protocol, seed, n and data); best first by the lower
    end of the measured interval (core.prediction.catalogue.trust), unmeasured models last."""
    cards = {m.label: (m.card, m.head) for m in models}
    trusts = {m.label: trust(m) for m in models}
    ordered = sorted(prediction.results, key=lambda r: -trusts.get(r.label, -1.0))
    return pd.DataFrame([{
        "Model": r.label,
        "Genre": r.genre,
        "Probability": float(r.clip_proba.max()),
        "Measured (test track accuracy, 95 % CI)": (measured_text(*cards[r.label])
                                                    if r.label in cards else "not measured"),
        "Genres it knows": (f"{len(r.genres)}: cannot answer {', '.join(r.cannot_answer)}"
                            if r.cannot_answer else "all 10"),
        "Scored on": (f"{len(r.segment_proba)} × 3-s segments" if r.segment_proba is not None
                      else f"{r.windows} whole-clip window{'s' if r.windows > 1 else ''}"),
        "Time (ms)": round(r.elapsed_ms),
        "Trained and tested on": data_label(cards[r.label][0]) if r.label in cards else "",
    } for r in ordered])


def show_tags(results: list[ModelResult]) -> None:
    """Beside the genre, what a pretrained tagger hears in the clip (its own top tags)."""
    tagged = [r for r in results if r.tags]
    if not tagged:
        return
    st.subheader("What the pretrained network hears")
    for r in tagged:
        st.markdown(f"**{r.label}** says **{r.genre}**; {tags_line(r)}")
    notes = dict.fromkeys(family(r.model).tags_note for r in tagged)
    st.caption(" ".join(note for note in notes if note))


def tags_text(result: ModelResult) -> str:
    """The network's own tags of the clip, e.g. "rock 62 %, classic rock 40 %" ("" if none)."""
    return ", ".join(f"{tag} {p:.0%}" for tag, p in result.tags)


def tags_line(result: ModelResult) -> str:
    """The network's tags named by what they are (its family's tags_label), e.g. "AudioSet
    hears: Reggae 61%, Ska 12%" or "MSD tags: rock 62%" ("" if none)."""
    if not result.tags:
        return ""
    return f"{family(result.model).tags_label or 'the network hears'}: {tags_text(result)}"


def _prediction_key(source: bytes | np.ndarray, models: list[ModelEntry]) -> str:
    """Session-state key of one clip's prediction with one set of models."""
    digest = hashlib.sha1(source.tobytes() if isinstance(source, np.ndarray) else source)
    digest.update("|".join(f"{m.run_id}:{m.head}" for m in models).encode())
    return f"tryit_pred_{digest.hexdigest()}"
