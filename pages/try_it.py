"""Try it: upload or record a clip and see the genre every available model hears in it."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import streamlit as st

from core import constants
from core.prediction import batch
from core.data.audio import AudioError
from core.report.comparison import data_label, measured_text
from core.constants import GENRE_INDEX, GENRES, SEGMENT_SECONDS
from core.report.figures import clips_per_genre, genre_color, occlusion_overlay, probability_bars, segment_timeline, spectrogram
from core.models.persistence import ModelFileError
from core.prediction.pipeline import ClipPrediction, ModelFailure, ModelResult
from core.prediction.streaming import ClipStream
from core.prediction.answer import agreeing, headline as answer_of
from core.prediction.catalogue import ModelEntry, available_models, trust
from core.prediction.explain import occlusion_map
from core.prediction.gate import GATE
from pages import layout, loaders

RECORD_RATE: int = 22050  #: Hz, asked of st.audio_input (GTZAN's rate)
#: s of quiet after which the button recorder stops by itself
BUTTON_PAUSE_S: float = 3.0
#: worker processes decoding and featurising the clips of a batch (1 for two clips or fewer)
BATCH_JOBS: int = max(1, min(4, os.cpu_count() or 1))
#: px of the verdict table's Model column: with Genre and Probability it fits 800 px beside
#: the open sidebar (a longer name is cut; drag the column's edge to widen it)
MODEL_COLUMN_PX: int = 220
PROBABILITY_COLUMN_PX: int = 150   #: px of its Probability column: room for the bar and "92.48%"
SOURCES: dict[str, str] = {
    "upload": "Upload files",
    "mic": "Record in the browser",
    "button": "Record with a button",
    "example": "Synthetic example",
    "live": "Listen live",
}


def too_large_message(n_bytes: int) -> str | None:
    """The refusal text for an upload over MAX_UPLOAD_BYTES bytes, else None."""
    limit = constants.MAX_UPLOAD_BYTES
    if n_bytes > limit:
        return (f"This file is {n_bytes / 2**20:.1f} MB; files up to {limit / 2**20:.0f} MB "
                "are accepted. Cut it shorter (30 s is plenty) and try again.")
    return None


def _prediction_key(source: bytes | np.ndarray, models: list[ModelEntry]) -> str:
    """Session-state key of one clip's prediction with one set of models."""
    digest = hashlib.sha1(source.tobytes() if isinstance(source, np.ndarray) else source)
    digest.update("|".join(f"{m.run_id}:{m.head}" for m in models).encode())
    return f"tryit_pred_{digest.hexdigest()}"


def tags_text(result: ModelResult) -> str:
    """The network's own tags of the clip, e.g. "rock 62 %, classic rock 40 %" ("" if none)."""
    return ", ".join(f"{tag} {p:.0%}" for tag, p in result.tags)


def verdict_text(outcome: ModelResult | ModelFailure) -> str:
    """One model's line as its verdict arrives: its genre and probability, or why it failed."""
    if isinstance(outcome, ModelFailure):
        return f"{outcome.label} could not score this clip: {outcome.reason}"
    hears = f" – the network hears {tags_text(outcome)}" if outcome.tags else ""
    return (f"{outcome.label} says **{outcome.genre}** ({outcome.clip_proba.max():.0%}, "
            f"{outcome.elapsed_ms:.0f} ms){hears}")


def show_tags(results: list[ModelResult]) -> None:
    """Beside the genre, what a pretrained tagger hears in the clip (its own top tags)."""
    tagged = [r for r in results if r.tags]
    if not tagged:
        return
    st.subheader("What the pretrained network hears")
    for r in tagged:
        st.markdown(f"**{r.label}** says **{r.genre}**; the network itself hears: "
                    f"{tags_text(r)}")
    st.caption("musicnn's own tags: the most probable of the 50 most frequent tags of the "
               "Million Song Dataset it was trained on (each a probability that the tag "
               "applies, so several can be high at once). They are not GTZAN genres.")


def consensus_text(results: list[ModelResult], n_models: int,
                   models: list[ModelEntry] | tuple = ()) -> str:
    """The headline line so far (core.prediction.answer.headline: the most trusted model that can
    answer every genre), how many chose it, how many still run."""
    verdict = answer_of(results, models)
    if verdict is None:
        return f"Listening with {n_models} model{'s' if n_models != 1 else ''}…"
    genre = verdict[0]
    waiting = n_models - len(results)
    tail = f" – {waiting} still listening" if waiting else ""
    return (f"Answer: <b style='color:{genre_color(genre)}'>{genre}</b>: chosen by "
            f"{agreeing(results, genre)} of {len(results)} so far{tail}.")


def analyse(source: bytes | np.ndarray, models: list[ModelEntry]) -> ClipPrediction:
    """Every model's prediction for a clip, shown model by model as each finishes (the headline's
    model first, a spinner on those still running); remembered per clip and model set."""
    key = _prediction_key(source, models)
    if key not in st.session_state:
        with GATE.slot(first=True):   # decoding waits its turn, before others' slower models
            stream = ClipStream(source, models)  # AudioError here: the clip cannot be used
        for old in [k for k in st.session_state if str(k).startswith("tryit_pred_")]:
            del st.session_state[old]
        box = st.empty()
        with box.container(border=True):
            headline = st.empty()
            headline.markdown(consensus_text([], len(stream.entries), models),
                              unsafe_allow_html=True)
            rows = {e.label: st.status(f"{e.label}: listening…", state="running")
                    for e in stream.pending}
        for outcome in stream.in_turn(GATE):   # one model at a time, every visitor's headline first
            state = "error" if isinstance(outcome, ModelFailure) else "complete"
            rows[outcome.label].update(label=verdict_text(outcome), state=state)
            headline.markdown(consensus_text(stream.results if stream.headline_ready else [],
                                             len(stream.entries), models), unsafe_allow_html=True)
        st.session_state[key] = stream.prediction()
        box.empty()
    st.session_state["tryit_current"] = key
    return st.session_state[key]


def batch_inputs(files: list) -> list[batch.ClipInput]:
    """The clips of several uploaded files (zips opened member by member), limit applied; a file
    added twice (same name, same bytes) is taken once."""
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
    if twice:
        st.caption("Added more than once, listed once: " + ", ".join(sorted(set(twice))) + ".")
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
        st.caption("Each clip counts once, for its answer (the consensus column: votes "
                   "weighed by each model's measured trust).")
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
    show_prediction(row.prediction, models, data if data is not None else np.zeros(1))


def clip_input(models: list[ModelEntry] | None = None) -> tuple[bytes | np.ndarray | list | None, str]:
    """The clip chosen by the user (bytes or samples at 22050 Hz) and a name for it, or None;
    several uploaded files (or a zip) come back as the list of files, named "batch"; listening
    live (pages.live) gives the last 30 s once the user keeps them."""
    from pages import live

    source = st.radio("Where does the clip come from?", list(SOURCES), format_func=SOURCES.get,
                      horizontal=True, key="tryit_source")
    if source == "live":
        return live.live_input(list(models) if models is not None else list(available_models()))
    live.release()
    if source == "upload":
        limit_mb = max(1, constants.MAX_UPLOAD_BYTES // 2**20)
        files = st.file_uploader(
            "Audio files (wav, mp3, ogg, flac or au; any sample rate, mono or stereo), several "
            "at once, or a zip of them", type=layout.UPLOAD_TYPES + ["zip"],
            accept_multiple_files=True, key="tryit_upload", max_upload_size=limit_mb)
        if not files:
            return None, ""
        if len(files) > 1 or files[0].name.lower().endswith(".zip"):
            return files, "batch"
        file = files[0]
        refusal = too_large_message(file.size)
        if refusal:
            st.error(refusal)
            return None, ""
        return file.getvalue(), file.name
    if source == "mic":
        recording = st.audio_input("Record at least 3 s of music (click the microphone, then stop)",
                                   sample_rate=RECORD_RATE, key="tryit_mic")
        return (recording.getvalue(), "recording.wav") if recording is not None else (None, "")
    if source == "button":
        from pages.recorder import audio_recorder

        st.caption(f"Click the microphone to start; recording stops after {BUTTON_PAUSE_S:.0f} s "
                   "of quiet, or when you click it again.")
        # no sample_rate: the recorder then records at the browser's own rate (decode resamples);
        # a fixed rate makes Firefox refuse the microphone ("Connecting AudioNodes from
        # AudioContexts with different sample-rate is currently not supported")
        data, empty = audio_recorder(text="Click to record", pause_threshold=BUTTON_PAUSE_S,
                                     key="tryit_button")
        if empty:
            st.info("The recorder stopped before it heard anything (the microphone was still "
                    "starting). Click it again to record.", icon=":material/mic:")
        return (data, "recording.wav") if data else (None, "")
    from core.data.demo_styles import synth_clip

    c1, c2 = st.columns(2)
    genre = c1.selectbox("Style", GENRES, key="tryit_example_genre")
    index = int(c2.number_input("Example number", 0, 999, 100, key="tryit_example_index"))
    st.caption("A clip synthesised by GenreLab in this style (not a recording; the demo set's "
               "generator). Numbers from 100 up are not in the demo set the models may have seen.")
    return synth_clip(genre, index, seconds=15.0), f"synthetic {genre} #{index}"


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


def clip_logmel(prediction: ClipPrediction, source: bytes | np.ndarray) -> np.ndarray:
    """Log-mel of each 3-s segment (n_seg, 128, 130) dB: the prediction's, else computed once."""
    if prediction.logmel is not None and len(prediction.logmel):
        return prediction.logmel
    key = ("tryit_logmel", st.session_state.get("tryit_current"))
    if st.session_state.get("tryit_logmel_key") != key:
        from core.data.audio import decode, preprocess
        from core.features.study import extract_clip

        y = preprocess(decode(source) if isinstance(source, bytes) else source)
        st.session_state["tryit_logmel"] = extract_clip(y, ["logmel"])["logmel"]
        st.session_state["tryit_logmel_key"] = key
    return st.session_state["tryit_logmel"]


def show_spectrogram(logmel: np.ndarray) -> None:
    """The whole clip's mel-spectrogram (its 3-s segments side by side)."""
    layout.plot(spectrogram(np.concatenate(list(logmel), axis=1), kind="mel",
                            title="Mel-spectrogram of the clip (dB)"), key="tryit_mel")
    st.caption("Time runs left to right, low notes at the bottom; brighter = louder. This is "
               "the picture the 2D-CNN looks at, one 3-s segment at a time.")


def show_why(prediction: ClipPrediction, models: list[ModelEntry]) -> None:
    """The clip's log-mel with the 2D-CNN's occlusion map for one segment."""
    cnn = [r for r in prediction.results if r.model == "cnn2d" and r.head == "softmax"]
    if not cnn or prediction.logmel is None or len(prediction.logmel) == 0:
        st.info("The 'why' view needs a 2D-CNN model; none is available. Train one on the "
                "Training console to see which parts of the spectrogram it relies on.")
        return
    entries = {(m.run_id, m.head): m for m in models}
    c1, c2 = st.columns(2)
    result = cnn[0]
    if len(cnn) > 1:
        labels = [r.label for r in cnn]
        result = cnn[labels.index(c1.selectbox("2D-CNN model", labels, key="tryit_why_model"))]
    n_seg = len(prediction.logmel)
    k = 0
    if n_seg > 1:
        k = c2.slider("Segment", 1, n_seg, 1, key="tryit_why_seg",
                      help="Each segment is 3 s of the clip") - 1
    seg_proba = result.segment_proba[k] if result.segment_proba is not None else result.clip_proba
    genre_index = int(np.argmax(seg_proba))
    key = ("tryit_occ", result.run_id, k, st.session_state.get("tryit_current"))
    if st.session_state.get("tryit_occ_key") != key:
        # after every queued verdict: other visitors' answers come before this explanation
        with st.spinner("Masking patches of the spectrogram one by one…"), GATE.slot(later=True):
            st.session_state["tryit_occ"] = occlusion_map(entries[(result.run_id, result.head)],
                                                          prediction.logmel[k], genre_index)
        st.session_state["tryit_occ_key"] = key
    genre = GENRES[genre_index]
    layout.plot(occlusion_overlay(
        prediction.logmel[k], st.session_state["tryit_occ"],
        title=f"Segment {k + 1} ({k * SEGMENT_SECONDS:.0f}–{(k + 1) * SEGMENT_SECONDS:.0f} s): "
              f"where the 2D-CNN hears {genre}"), key="tryit_why_chart")
    st.caption(f"Grey: the segment's mel-spectrogram (low notes at the bottom). Colour: how much "
               f"the 2D-CNN's probability of **{genre}** drops when that patch is blanked out – "
               "the warmer, the more the patch mattered.")


def show_prediction(prediction: ClipPrediction, models: list[ModelEntry],
                    source: bytes | np.ndarray) -> None:
    """The verdicts: consensus, one probability chart per model, segment timeline, why view."""
    for label, reason in prediction.failed:
        st.warning(f"{label} could not score this clip: {reason}")
    if not prediction.results:
        st.error("No model could score this clip (see the warnings above).")
        return
    genre, why = answer_of(prediction.results, models)
    agree = agreeing(prediction.results, genre)
    m1, m2, m3 = st.columns(3)
    m1.metric("Answer", genre, help="The answer of the most trusted model (the highest lower end "
              "of its test interval) among those that can answer every genre; on 49 clips from "
              "outside GTZAN this rule beat a trust-weighted vote of all models, 29 to 20.")
    m2.metric("Models agreeing", f"{agree} of {len(prediction.results)}")
    m3.metric("Clip length", f"{prediction.duration_s:.1f} s")
    if prediction.excerpt:
        st.info(f"This file is long: the models heard {prediction.excerpt} (files are analysed "
                f"on at most their first {constants.MAX_CLIP_SECONDS / 60:.0f} minutes).",
                icon=":material/content_cut:")
    st.markdown(f"The answer is <b style='color:{genre_color(genre)}'>{genre}</b>: {why}.",
                unsafe_allow_html=True)

    st.subheader("Every model's verdict")
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
        chosen = st.selectbox("Model", labels, key="tryit_timeline_model")
        r = seg_results[labels.index(chosen)]
        layout.plot(segment_timeline(r.segment_proba, r.segment_starts_s, GENRES),
                    key="tryit_timeline")
        st.caption("Each bar is one 3-s segment (time counted from the first sound); its colours "
                   "stack that segment's genre probabilities.")
    else:
        st.info("No segment-level model is available; whole-clip models give one verdict only.")

    st.subheader("The clip's spectrogram, and why the 2D-CNN decides")
    show_spectrogram(clip_logmel(prediction, source))
    show_why(prediction, models)


def show_warming(box) -> None:
    """Say in box (an st.empty) what is still warming up; clear it when nothing is."""
    note = loaders.warm_up_note()
    if note:
        box.caption(note)
    else:
        box.empty()


#: seconds between redraws of the warming line while the warm-up runs
WARMING_REFRESH_S = 1.0


def warming_tick() -> None:
    """One redraw of the warming line (the fragment's body); once nothing is warming, one rerun
    of the whole page, which draws it without the line and without this fragment, so that the
    fragment's timer stops: an idle page then costs the server nothing."""
    note = loaders.warm_up_note()
    if note:
        st.caption(note)
    else:
        st.rerun(scope="app")


def keep_warming_fresh(box) -> None:
    """At the end of a run: while the warm-up runs, the warming line in box, redrawn every
    WARMING_REFRESH_S seconds by a fragment drawn there (its own output, so it never writes
    outside itself); when nothing is warming, box is cleared and no fragment is scheduled."""
    if loaders.warm_up_note() is None:
        box.empty()
        return
    with box.container():
        st.fragment(warming_tick, run_every=WARMING_REFRESH_S)()


def main() -> None:
    """Draw the Try it page."""
    layout.require_app()
    st.title("Try it")
    layout.training_notice()
    st.caption("Play GenreLab some music – at least 3 seconds – and every trained model says which "
               "of the ten GTZAN genres it hears. Works with the shipped models, no training "
               "needed.")
    models = available_models()
    for path, reason in models.damaged:
        st.warning(f"Model {path.name} is skipped: {reason}")
    if not models:
        st.warning("No trained model is available yet. Train one on the Training console "
                   "(an SVM on MFCC takes under a minute on the demo set); the shipped default "
                   "models belong in the models/ folder.")
        return
    st.caption(f"{len(models)} model{'s' if len(models) != 1 else ''} ready: "
               + ", ".join(m.label for m in models))
    warming = st.empty()   # what is still warming: said now, kept fresh once the page is drawn
    show_warming(warming)
    clip_page(models)
    keep_warming_fresh(warming)


def clip_page(models) -> None:
    """The clip chosen, and every model's verdict on it (listening live: the models chosen
    there)."""
    source, name = clip_input(list(models))
    if st.session_state.get("tryit_source") == "live":
        from pages import live

        models = live.chosen_models(list(models))
    if source is None:
        st.info("Choose or record a clip to start.")
        return
    if name == "batch":
        inputs = batch_inputs(source)
        show_batch(analyse_batch(inputs, list(models)), list(models), inputs)
        return
    if isinstance(source, bytes):
        st.audio(source)
    else:
        st.audio(source, sample_rate=constants.SAMPLE_RATE)
    try:
        prediction = analyse(source, list(models))
    except AudioError as exc:
        st.error(f"{name or 'This clip'} cannot be used: {exc}")
        return
    except ModelFileError as exc:
        st.error(f"A model file could not be used: {exc}")
        return
    show_prediction(prediction, list(models), source)


if __name__ == "__main__":  # run by Streamlit (st.navigation or AppTest), not on import
    main()
