"""Training console: pick a model and its settings, train it in the background, watch it learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core import config as gconfig, models
from core.data import extra as extra_sets
from core.training import config as train_config, jobs as training_jobs, plan as run_plan
from core.constants import DEFAULT_SEED, GENRES
from core.report.figures import training_curves
from core.models import persistence
from core.models.persistence import iter_runs
from core.training.config import CARVED_VALID_FRACTION, FEATURE_LABELS, KERAS_MODELS, MODEL_FEATURES, MODEL_LABELS, TrainConfig
from core.models.fitting import TrainingError
from pages import data_source, layout

#: Model kinds in the order offered (the audio-trained families of core.models), in plain words.
MODEL_HELP: dict[str, str] = {kind: models.MODEL_HELP[kind] for kind in train_config.MODELS}
AUGMENTATIONS: dict[str, str] = {
    "pitch_shift": "Pitch shift", "white_noise": "White noise", "slicing": "Slicing",
}
STATE_TEXT: dict[str, str] = {
    "starting": "starting", "running": "running", "done": "finished", "stopped": "stopped",
    "failed": "failed",
}
JOB_KEY = "training_job_id"
DEFAULTS = TrainConfig()   #: the form's starting split, the same as the Dataset page's


# --- the form -------------------------------------------------------------------------------

def settings_form(splits_folder, track_ids: list[str]) -> TrainConfig | None:
    """Widgets for the model, its hyper-parameters and the split; the config, or None if invalid."""
    c1, c2 = st.columns([2, 1])
    model = c1.selectbox("Model", list(MODEL_HELP), format_func=MODEL_LABELS.get,
                         key="train_model")
    c1.caption(MODEL_HELP[model])
    features = MODEL_FEATURES[model]
    feature = c2.radio("Feature", features, format_func=FEATURE_LABELS.get, key=f"train_feat_{model}",
                       horizontal=True)
    kwargs: dict = {"model": model, "feature": feature}
    heads = models.family(model).head_choices.get(model, ())
    if heads:
        kwargs["head"] = c2.radio("Head", heads, format_func=str.upper, key=f"train_head_{model}",
                                  horizontal=True, help="The classifier fitted on the features")
    present = [g for g in GENRES if any(t.startswith(f"{g}.") for t in track_ids)]
    chosen = st.multiselect(
        "Genres", present, default=present, key="train_genres",
        help="Train and evaluate on these genres only (the model then answers only them). "
             "A partial copy of GTZAN offers the genres it has clips of.")
    if len(chosen) < 2:
        st.warning("Choose at least two genres for the model to tell apart.")
        return None
    kwargs["genres"] = chosen if len(chosen) < len(present) else None

    if model in KERAS_MODELS:
        h1, h2, h3 = st.columns(3)
        kwargs["epochs"] = int(h1.number_input("Epochs", 1, 500, 30, key="train_epochs",
                                               help="Training stops earlier when the validation "
                                               "loss stops improving (early stopping)."))
        kwargs["batch_size"] = int(h2.selectbox("Batch size", [8, 16, 32, 64, 128], index=2,
                                                key="train_batch"))
        kwargs["learning_rate"] = float(h3.select_slider(
            "Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], value=1e-3, key="train_lr",
            format_func=lambda v: f"{v:g}"))
    elif models.family(model).form_note:
        st.caption(models.family(model).form_note)
    if model == "cnn2d":
        st.markdown("**Augmentation** (applied to training spectrograms only)")
        a_cols = st.columns(3)
        kwargs["augment"] = {key: a_cols[i].toggle(label, key=f"train_aug_{key}")
                             for i, (key, label) in enumerate(AUGMENTATIONS.items())}

    st.markdown("**How tracks are split**")
    p1, p2, p3 = st.columns([2, 1, 1])
    protocol = p1.radio(
        "Protocol", train_config.PROTOCOLS, key="train_protocol", horizontal=True,
        help="random-track: tracks drawn at random (stratified by genre), every segment of a "
             "track on one side. artist-filtered: Kereliuk & Sturm's lists keep each artist on "
             "one side. artist-grouped: tracks drawn at random by whole artists (Sturm's "
             "artist index), so no artist is on two sides. The Dataset page shows the same "
             "split for the same seed and shares.")
    kwargs["protocol"] = protocol
    if protocol == "artist-filtered":
        if splits_folder is None:
            st.warning("The artist-filtered split needs its three list files. Set their folder "
                       "in the sidebar (Change data source → split lists) first.")
            return None
        kwargs["splits_path"] = str(splits_folder)
        st.caption(f"Lists from {data_source.shown_path(splits_folder)}. Tracks the lists leave "
                   "out are not used.")
    else:
        if protocol == "artist-grouped":
            index_file = gconfig.artists_path()
            if index_file is None:
                st.warning("The artist-grouped split needs the artist index (Sturm's "
                           "GTZANindex.txt). Set it in the sidebar (Change data source → "
                           "artist index) first.")
                return None
            kwargs["artists_path"] = str(index_file)
            st.caption("Whole artists are drawn to each side, by the artist index; a track of "
                       "unknown artist is a group of its own.")
        kwargs["seed"] = int(p2.number_input("Seed", 0, 2**31 - 1, DEFAULT_SEED, key="train_seed"))
        kwargs["test_size"] = p3.slider("Test share (%)", 10, 50, round(DEFAULTS.test_size * 100),
                                        5, key="train_test") / 100
    extra_chosen = extra_form()   # None (a chosen folder is unusable) stops the form below
    kwargs["extra"] = extra_chosen or []

    with st.expander("More settings"):
        m1, m2 = st.columns(2)
        kwargs["valid_size"] = (m1.slider(
            "Validation share (%)", 0, 30, round(DEFAULTS.valid_size * 100), 5,
            key="train_valid",
            help="The Dataset page shows the same split for the same seed and shares. At 0, "
                 f"the networks hold back {CARVED_VALID_FRACTION:.0%} of the training tracks "
                 "for early stopping.") / 100
                                if protocol != "artist-filtered" else 0.1)
        if model in KERAS_MODELS:
            kwargs["patience"] = int(m2.number_input("Patience (epochs)", 1, 100, 8,
                                                     key="train_patience"))
        if models.family(model).filters_noise:
            kwargs["filter_noise"] = m1.toggle(
                "High-pass the clips at 40 Hz (the study's cleaning)", value=True,
                key="train_filter")
        else:
            m1.caption("The pretrained network hears each clip as it is (no high-pass).")
        kwargs["class_weight"] = m1.toggle(
            "Weight genres by how rare they are", value=True, key="train_class_weight",
            help="On unbalanced data (a partial copy of GTZAN), each genre's examples count in "
                 "inverse proportion to its size; balanced data are not weighted. On the 473 "
                 "real Vorbis clips (six genres with 11-15 clips) these weights made the 2D-CNN "
                 "call most tracks disco: 36 % valid track accuracy against 72 % without "
                 "(research/cnn2d_valid.py).")
        name = m2.text_input("Run name (optional)", key="train_name").strip()
        kwargs["name"] = name or None
    if extra_chosen is None:   # after every widget is drawn, so none forgets its value
        return None
    try:
        config = TrainConfig(**kwargs)
    except TrainingError as exc:
        st.error(f"These settings cannot be used: {exc}")
        return None
    return config if split_preview(config, track_ids) else None


def split_preview(config: TrainConfig, track_ids: list[str]) -> bool:
    """Show how many tracks each side gets (core.data.splits) and what each genre lacks (the
    notes the run will keep on its card); False with a message if impossible."""
    from core.data.artists import ArtistIndexError
    from core.data.splits import SplitError

    try:
        split = run_plan.make_split(config, track_ids)
        scanned = [scan_extra_set(entry) for entry in config.extra]
        split = run_plan.with_extra(split, config, [t for s in scanned for t in s["ids"]],
                                    {t: a for s in scanned for t, a in s["artists"].items()}).split
        plan = run_plan.plan_genres(split, config.model, config.genres or ())
    except (SplitError, TrainingError, ArtistIndexError, ValueError) as exc:
        st.error(f"These tracks cannot be split this way: {exc}. With {len(track_ids)} tracks, "
                 "use a larger test or validation share (each side needs at least one "
                 "track per genre) or set the validation share to 0.")
        return False
    st.caption(f"Split: {split.label()}.")
    note = carve_note(config, split)
    if note:
        st.caption(note)
    if plan.notes:
        st.warning(genre_notes_text(plan.notes, "Before you start, per genre"),
                   icon=":material/warning:")
    return True


def genre_notes_text(notes: list[str], title: str) -> str:
    """A run's per-genre notes as a titled markdown list."""
    return f"**{title}:**\n" + "\n".join(f"- {note}" for note in notes)


# --- extra training music -------------------------------------------------------------------

@st.cache_data(ttl=30, show_spinner=False)
def scan_extra_set(entry: str) -> dict:
    """One extra folder as the console shows it: name, clip ids, artists, clips per genre, files
    left out (count) or the error; cached for 30 s. Never its path."""
    name, path = extra_sets.parse_entry(entry)
    try:
        found = extra_sets.scan_extra(path, name)
    except extra_sets.ExtraError as exc:
        return {"name": name, "ids": [], "artists": {}, "per_genre": {}, "ignored": 0,
                "error": str(exc)}
    return {"name": name, "ids": [t.track_id for t in found.tracks], "artists": found.artists,
            "per_genre": found.clips_per_genre(), "ignored": len(found.ignored), "error": None}


def extra_form() -> list[str] | None:
    """The operator's extra folders to add to the training side: each shown by name with its
    clips per genre; the chosen "NAME=PATH" entries ([] when none is offered or chosen), or None
    when a chosen folder cannot be used."""
    offered = extra_sets.configured_entries()
    if not offered:
        return []
    st.markdown("**Extra training music**")
    scans = {name: scan_extra_set(entry) for name, entry in offered.items()}
    chosen = st.multiselect(
        "Add to the training side", list(offered), key="train_extra",
        help="Labelled folders beside GTZAN that the operator of this GenreLab set up "
             "(GENRELAB_EXTRA_DIRS or the setting extra_dirs). Their clips are only ever "
             "trained on, never validated or tested on; a clip whose artist has GTZAN tracks "
             "on the validation or test side is left out.")
    table = pd.DataFrame([{"set": name, **{g: scan["per_genre"].get(g, 0) for g in GENRES},
                           "clips": len(scan["ids"])} for name, scan in scans.items()])
    st.dataframe(table, hide_index=True)
    for name, scan in scans.items():
        if scan["error"]:
            st.warning(scan["error"])
        elif scan["ignored"]:
            st.caption(f"{name}: {scan['ignored']} file(s) in its genre folders are not audio "
                       "and are left out (named on the run's card).")
    broken = [name for name in chosen if scans[name]["error"]]
    if broken:
        st.error(f"{', '.join(broken)} cannot be used (see above); leave it out to train.")
        return None
    return [offered[name] for name in chosen]


def carve_note(config: TrainConfig, split) -> str | None:
    """What training does beyond the split: the tracks a network carves for early stopping."""
    if config.model not in KERAS_MODELS or split.valid:
        return None
    train, valid = run_plan.carve_validation(split.train, config.seed)
    if not valid:
        return None
    return (f"With no validation side, {MODEL_LABELS[config.model]} holds back {len(valid)} of "
            f"the {len(split.train)} training tracks for early stopping, so it trains on "
            f"{len(train)}: train/valid/test {len(train)}/{len(valid)}/{len(split.test)}.")


# --- the live job panel ---------------------------------------------------------------------

def current_job_id() -> str | None:
    """The job to show: this session's, else the newest running job, else the newest job."""
    jobs = training_jobs.list_jobs()
    known = {j.job_id for j in jobs}
    mine = st.session_state.get(JOB_KEY)
    if mine in known:
        return mine
    active = [j for j in jobs if j.active]
    pick = (active or jobs or [None])[0]
    return pick.job_id if pick is not None else None


def _eta_text(seconds: float | None) -> str:
    """Remaining time in words (measured epoch times x epochs left; early stopping may be sooner)."""
    if seconds is None or not np.isfinite(seconds):
        return "estimating the time left…"
    if seconds <= 0:
        return "finishing…"
    return f"at most about {layout.fmt_duration(float(seconds))} left"


def _epoch_time_text(seconds: float | None) -> str:
    """Seconds one epoch took, or a dash."""
    return f"{seconds:.1f} s" if isinstance(seconds, (int, float)) else "–"


def job_panel(job_id: str) -> None:
    """State, progress bar with ETA, live curves and the stop button of one job."""
    try:
        job = training_jobs.job_status(job_id)
        events = training_jobs.read_events(job_id)
    except (KeyError, ValueError) as exc:
        st.warning(f"The job {job_id} cannot be read: {exc}")
        return
    conf = job.config or {}
    title = conf.get("name") or _config_label(conf)
    state = "stopping…" if job.stopping else STATE_TEXT.get(job.state, job.state)
    st.markdown(f"**{title}** — job `{job.job_id}` — {state}")
    keras_job = conf.get("model") in KERAS_MODELS
    last = job.last_epoch
    stage = next((e.get("message") for e in reversed(events) if e.get("type") in
                  ("stage", "start") and e.get("message")), None)

    if job.active:
        if keras_job and last:
            total = int(last.get("epochs") or conf.get("epochs") or 1)
            done = int(last.get("epoch") or 0)
            st.progress(min(done / max(total, 1), 1.0),
                        text=f"Epoch {done} of {total} — "
                             f"{_epoch_time_text(last.get('epoch_s'))} per epoch — "
                             f"{_eta_text(last.get('eta_s'))}")
        else:
            st.progress(0.0, text=stage or "preparing…")
        if stage:
            st.caption(f"Now: {stage}")
        if gconfig.viewer_mode():
            layout.viewer_note("Stopping a job")
        else:   # asked before this run draws, so the page says "stopping…" at once
            st.button("Stop training", key=f"stop_{job.job_id}", icon=":material/stop_circle:",
                      help="Stops after the current batch; the best weights so far are kept "
                           "and evaluated.", disabled=job.stopping,
                      on_click=_request_stop, args=(job.job_id,))
        if job.stopping:
            st.caption("Stopping… the job finishes its current batch, then evaluates and saves "
                       "the best weights so far.")
    elif job.state == "failed":
        st.error(f"Training failed: {job.message or 'no message was left'}")
    elif job.state == "stopped":
        st.warning(f"Stopped: {gconfig.for_visitors(job.message or 'by request')}")
    elif job.state == "done":
        st.success(gconfig.for_visitors(job.message or "Finished."))
    if not job.active and job.run_dir:
        run_notes(job.run_dir)

    if last:
        m1, m0, m2, m3, m4 = st.columns(5)
        m1.metric("Epoch", f"{last.get('epoch')} / {last.get('epochs')}")
        m0.metric("Epoch time", _epoch_time_text(last.get("epoch_s")),
                  help="Seconds the latest epoch took; the time left is estimated from the "
                       "measured epochs (the first, slowed by compilation, is left out).")
        m2.metric("Training loss", _num(last.get("loss")))
        m3.metric("Validation loss", _num(last.get("val_loss")))
        m4.metric("Validation accuracy", layout.fmt_pct(last.get("val_accuracy")))
    if keras_job:
        if any(e.get("type") == "epoch" for e in events):
            layout.plot(training_curves(events), key=f"curves_{job.job_id}")
            st.caption("Loss (left) and accuracy (right) after every epoch: solid = training "
                       "tracks, dashed = validation tracks. Validation loss rising while "
                       "training loss falls means the model starts to memorise.")
        elif job.active:
            st.info("The curves appear after the first epoch.")


def _request_stop(job_id: str) -> None:
    """The Stop button's action: ask the job to stop, and say so."""
    training_jobs.request_stop(job_id)
    st.toast("Stop requested — the job finishes its current batch first.")


@st.fragment(run_every=1.0)
def live_job_panel(job_id: str) -> None:
    """job_panel redrawn every second while the job runs; a full rerun once it has ended."""
    job_panel(job_id)
    try:
        still_active = training_jobs.job_status(job_id).active
    except (KeyError, ValueError):
        still_active = False
    if not still_active:
        st.rerun(scope="app")  # refresh the run list below and stop polling


def run_notes(run_dir: str) -> None:
    """A finished run's per-genre notes and extra sets, as its card keeps them."""
    try:
        card = persistence.load_card(Path(run_dir), verify=False)
    except persistence.ModelFileError:
        return
    if card.get("genre_notes"):
        st.warning(genre_notes_text(card["genre_notes"], "This run, per genre"),
                   icon=":material/warning:")
    for entry in (card.get("data") or {}).get("extra") or []:
        per_genre = ", ".join(f"{g} {n}" for g, n in entry.get("clips_per_genre", {}).items())
        skipped = entry.get("skipped") or []
        st.caption(f"Extra set {entry.get('name')}: {entry.get('n_clips')} clips on the "
                   f"training side ({per_genre})" + (
                       "; left out: " + "; ".join(f"{f} ({r})" for f, r in skipped)
                       if skipped else "") + ".")


# --- the run list ---------------------------------------------------------------------------

def runs_table() -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Finished runs (name, origin, protocol, test accuracies) and damaged ones (folder, error)."""
    rows, damaged = [], []
    for run in iter_runs():
        if run.card is None:
            damaged.append((run.path.name, str(run.error)))
            continue
        card = run.card
        primary = card.get("primary")
        test = ((card.get("metrics") or {}).get(primary) or {}).get("test") or {}
        data = card.get("data") or {}
        rows.append({
            "Run": gconfig.for_visitors(str(card.get("name") or card.get("run_id"))),
            "From": "shipped" if run.shipped else (
                "trained here" if gconfig.viewer_mode() else "yours"),
            "Track accuracy": test.get("track_accuracy", np.nan),
            "Segment accuracy": test.get("segment_accuracy", np.nan),
            "Macro-F1": test.get("macro_f1", np.nan),
            "Protocol": (card.get("protocol") or {}).get("label", "unknown"),
            "Data": "synthetic demo" if data.get("synthetic") else str(data.get("source", "?")),
            "Epochs": card.get("epochs_run") or np.nan,
            "Created": str(card.get("created", ""))[:16].replace("T", " "),
            "Run id": card.get("run_id"),
        })
    return pd.DataFrame(rows), damaged


def _config_label(conf: dict) -> str:
    """"LSTM on MFCC" from a config dict, with " (4 genres)" for a subset of the genres, as the
    run it makes is named."""
    model, feature = conf.get("model", "?"), conf.get("feature") or ""
    genres = conf.get("genres") or GENRES
    subset = f" ({len(genres)} genres)" if len(genres) < len(GENRES) else ""
    return f"{MODEL_LABELS.get(model, model)} on {FEATURE_LABELS.get(feature, feature)}{subset}"


def running_summary(conf: dict) -> str:
    """A running job's settings in one line: model, genres, split, epochs."""
    genres = conf.get("genres")
    parts = [conf.get("name") or _config_label(conf),
             f"{len(genres)} genres ({', '.join(genres)})" if genres else "every genre present"]
    protocol = str(conf.get("protocol"))
    if conf.get("protocol") == "artist-filtered":
        parts.append(f"{protocol} split")
    else:
        parts.append(f"{protocol} split, seed {conf.get('seed')}, test share "
                     f"{float(conf.get('test_size') or 0):.0%}, validation share "
                     f"{float(conf.get('valid_size') or 0):.0%}")
    if conf.get("extra"):
        parts.append("extra training music: " + ", ".join(
            extra_sets.parse_entry(e)[0] for e in conf["extra"]))
    if conf.get("model") in KERAS_MODELS:
        parts.append(f"up to {conf.get('epochs')} epochs")
    return " · ".join(parts)


def _num(value) -> str:
    """A float to 3 decimals, or a dash."""
    return f"{value:.3f}" if isinstance(value, (int, float)) else "–"


def main() -> None:
    """Draw the Training console."""
    layout.require_app()
    st.title("Training console")
    st.caption("Train one of the study's models on the active data set. Training runs in the "
               "background: you can leave this page (or reload it) and come back to the curves.")
    source = data_source.active_source()
    layout.synthetic_notice(source)
    st.caption(f"Data: {data_source.source_label(source)} — {len(source.tracks)} tracks.")

    viewer = gconfig.viewer_mode()
    jobs = training_jobs.list_jobs()
    running = [j for j in jobs if j.active]
    if running:
        st.header("Settings for the next job" if not viewer else "Settings (to look at: training is fixed here)")
        st.info(f"**Running now:** {running_summary(running[0].config or {})}. Its progress is "
                "below. The form here does not show that job: it sets up the next one, which "
                "can start when this one has finished (one at a time keeps the machine "
                "responsive).", icon=":material/model_training:")
    else:
        st.header("Settings" if not viewer else "Settings (to look at: training is fixed here)")
    config = settings_form(data_source.splits_folder(), source.track_ids)
    if viewer:
        layout.viewer_note("Training")
    elif st.button("Start training", type="primary", icon=":material/play_arrow:",
                   disabled=config is None or bool(running), key="train_start"):
        config.data_path = str(source.root)
        try:
            st.session_state[JOB_KEY] = training_jobs.start_job(config)
        except (OSError, TrainingError) as exc:
            layout.show_error("The training job could not be started", exc)
        else:
            st.rerun()

    st.header("Progress")
    job_id = current_job_id()
    if job_id is None:
        st.write("No training job yet." + ("" if viewer else " Choose the settings above and "
                                           "press **Start training**."))
    else:
        try:
            active = training_jobs.job_status(job_id).active
        except (KeyError, ValueError):
            active = False
        (live_job_panel if active else job_panel)(job_id)

    st.header("Finished runs")
    table, damaged = runs_table()
    if table.empty:
        st.write("No finished runs yet.")
    else:
        st.dataframe(table, hide_index=True, column_config={
            "Track accuracy": st.column_config.NumberColumn(format="%.3f"),
            "Segment accuracy": st.column_config.NumberColumn(format="%.3f"),
            "Macro-F1": st.column_config.NumberColumn(format="%.3f"),
            "Epochs": st.column_config.NumberColumn(format="%d"),
        }, placeholder="–")
        st.caption("Test-side accuracy of each run's primary head. Track accuracy is the vote of "
                   "a track's 3-s segments. The Results page sets them beside the study.")
    for name, error in damaged:
        st.error(f"Run {name} cannot be read: {error}")


if __name__ == "__main__":  # run by Streamlit (st.navigation or AppTest), not on import
    main()
