"""The training runner: one run from data to a saved run folder, with per-epoch events and a stop flag.

`run_training(config)` loads the active data source (and the config's extra sets, which join the
training side only: core.data.extra, plan.with_extra), extracts (cached) features, splits by track,
fits one model kind through its family (core.models), evaluates it on the test side and saves a
run folder with its card (see docs/INTERFACES.md). Importing this module never imports
TensorFlow; Keras is imported only when a Keras model is trained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from core import cluster, config as gconfig, models
from core.constants import GENRES
from core.data import artists, datasource, extra
from core.data.splits import genre_of
from core.features import study
from core.models import persistence
from core.models.fitting import (Callback, Emitter, SideData, StopFlag, TrainingError,
                                 TrainingStopped, check_stop, class_weights)
from core.training.config import KERAS_MODELS, TrainConfig, paper_key
from core.training.plan import _side, carve_validation, make_split, plan_genres, with_extra


def _run_name(config: TrainConfig, genres: Sequence[str] = GENRES) -> str:
    """Display name such as "LSTM on MFCC": the job's own name, whichever head turns out to
    answer (the card's "primary" says which), with " (4 genres)" when the label set is not all
    ten."""
    if config.name:
        return config.name
    subset = f" ({len(genres)} genres)" if len(genres) < len(GENRES) else ""
    return f"{config.label()}{subset}"


def extra_card(sets: Sequence[extra.ExtraSet], used: Sequence[str],
               failed: Sequence[tuple[str, str]]) -> list[dict]:
    """Each extra set as the card lists it: its name (never its path), the clips per genre used,
    how many artists the provenance file names, and every file left out with the reason."""
    used_set, reasons = set(used), dict(failed)
    out = []
    for s in sets:
        clips = [t.track_id for t in s.tracks if t.track_id in used_set]
        known = [s.artists.get(t, "") for t in clips]
        out.append({
            "name": s.name, "n_clips": len(clips), "clips_per_genre": s.clips_per_genre(clips),
            "artists": len({artists.artist_key(a) for a in known if a}),
            "unknown_artist": known.count(""),
            "skipped": [list(i) for i in s.ignored] + [
                [s.file_of(t.track_id), reasons[t.track_id]] for t in s.tracks
                if t.track_id in reasons],
        })
    return out


def stop_note(stopped_by_user: bool, epochs_run: int, epochs_planned: int) -> str | None:
    """ "stopped by you at epoch 8 of 40" for a run the user stopped; None otherwise."""
    if not stopped_by_user:
        return None
    return f"stopped by you at epoch {int(epochs_run)} of {int(epochs_planned)}"


def user_run_name(name: str, note: str | None, own_folder: bool, named: bool) -> str:
    """A run's card name: the stop note appended to a stopped run, and " (yours)" on a run saved
    in the user's runs folder under an automatic name, so it never reads exactly like a shipped
    model's (those are trained into models/ by `python -m core train --out`)."""
    if note:
        name = f"{name} — {note}"
    if own_folder and not named:
        name = f"{name} (yours)"
    return name


def run_training(config: TrainConfig, callbacks: Iterable[Callback] = (),
                 stop_event: Any = None, *, output_root: Path | None = None,
                 progress: bool = False) -> Path:
    """Train one model on the active data source, evaluate on the test side, save a run folder.
    callbacks get every event (dicts, see EVENT_TYPES); stop_event (anything with is_set(), e.g.
    threading.Event or StopFlag) stops training between batches, keeping the best weights so far
    and still saving the run (card["stopped_early"] True). A stop before any training raises
    TrainingStopped; any failure emits an "error" event and is re-raised.
    """
    emit = Emitter(callbacks)
    stop = stop_event if isinstance(stop_event, StopFlag) else StopFlag(stop_event)
    try:
        # feature extraction and the SVM/KNN searches are joblib work: on the cluster if one is set
        with cluster.joblib_backend(cluster.resolve(config.scheduler)):
            return _run(config, emit, stop, output_root, progress)
    except TrainingStopped as exc:
        emit("stopped", message=str(exc), run_dir=None)
        raise
    except BaseException as exc:
        emit("error", message=f"{type(exc).__name__}: {exc}")
        raise


def _run(config: TrainConfig, emit: Emitter, stop: StopFlag, output_root: Path | None,
         progress: bool) -> Path:
    """The body of run_training."""
    emit("start", epochs=int(config.epochs) if config.model in KERAS_MODELS else 0,
         model=config.model, feature=config.feature, message=f"training {config.label()}")
    check_stop(stop, "before loading the data")
    source = datasource.active_source(config.data_path)
    extra_sets = extra.load_sets(config.extra)
    kind = config.feature_kind
    tracks = [t for t in source.tracks if not config.genres or t.genre in config.genres]
    extra_tracks = [t for s in extra_sets for t in s.tracks
                    if not config.genres or t.genre in config.genres]
    for s in extra_sets:
        emit("stage", message=f"extra set {s.name}: {len(s.tracks)} clips ("
                              + ", ".join(f"{g} {n}" for g, n in s.clips_per_genre().items())
                              + "), for the training side only")
        for file, reason in s.ignored:
            emit("stage", message=f"extra set {s.name}: skipped {file}: {reason}")
    tracks = tracks + extra_tracks
    emit("stage", message=f"extracting {kind} features of {len(tracks)} tracks "
                          f"({source.format_text}) from {source.label}")
    family = models.family(config.model)
    if family.extract is not None:   # a family with its own features (e.g. network embeddings)
        fs = family.extract(tracks, config, progress)
    else:
        fs = study.extract_tracks(tracks, [kind], n_jobs=config.n_jobs, progress=progress,
                                     filter_noise=config.filter_noise, cache=True)
    if fs.track_ids.size == 0:
        reasons = "; ".join(f"{t}: {r}" for t, r in fs.skipped[:5])
        raise TrainingError(f"no usable track in {source.root} ({reasons})")
    check_stop(stop, "after feature extraction")
    for track_id, reason in fs.skipped:
        emit("stage", message=f"skipped {track_id}: {reason}")
    ids = [str(t) for t in fs.track_ids]
    gtzan_ids = [t for t in ids if not extra.is_extra(t)]
    artists_of = {t: a for s in extra_sets for t, a in s.artists.items()}
    added = with_extra(make_split(config, gtzan_ids), config,
                       [t for t in ids if extra.is_extra(t)], artists_of)
    for track_id, reason in added.left_out:
        emit("stage", message=f"left out {track_id}: {reason}")
    plan = plan_genres(added.split, config.model, config.genres or ())
    split = plan.split
    if split.notes.get("missing"):
        emit("stage", message=f"the split lists name {split.notes['missing']} tracks that are "
                              "not here; left out of the split")
    if split.notes.get("excluded"):
        emit("stage", message=f"{split.notes['excluded']} tracks here are on no split list; "
                              "not used by the artist-filtered protocol")
    if split.notes.get("train_only"):
        emit("stage", message=f"one artist holds every track of {split.notes['train_only']}: "
                              "kept whole on the training side, so it is learned but not tested")
    for note in plan.notes:
        emit("stage", message=note)
    emit("stage", message=f"split: {split.label()}; label set: {', '.join(plan.genres)}")
    test = _side(fs, split.test, kind)
    valid_ids, valid_source = list(split.valid), "valid side of the split"
    train_ids = list(split.train)
    if config.model in KERAS_MODELS and not valid_ids:   # carved from GTZAN's tracks only
        extra_train = [t for t in train_ids if extra.is_extra(t)]
        train_ids, valid_ids = carve_validation([t for t in train_ids if not extra.is_extra(t)],
                                                config.seed)
        train_ids = sorted(train_ids + extra_train)
        valid_source = f"{len(valid_ids)} tracks carved from the training side"
    train = _side(fs, train_ids, kind)
    weights = (np.array([config.extra_weight if extra.is_extra(str(g)) else 1.0
                         for g in train.groups]) if config.extra_weight != 1.0 else None)
    train = SideData(train.x, train.y, np.array([added.groups.get(str(g), str(g))
                                                 for g in train.groups]), weights)
    valid = _side(fs, valid_ids, kind)
    if len(np.unique(train.y)) < 2:
        raise TrainingError("the training side holds a single genre; a classifier needs two or more")
    balance = ("balanced" if config.class_weight and class_weights(train.y) is not None
               else None)   # SVM class weights; the Keras models get theirs in train_keras

    context = models.FitContext(config, kind, train, valid, test, plan.genres, balance,
                                valid_source, emit, stop)
    outcome = family.fit(context)
    metrics, primary, files = outcome.metrics, outcome.primary, outcome.files
    stopped_by_user = outcome.stop_reason == "stop requested"
    note = stop_note(stopped_by_user, len(outcome.history), config.epochs)
    name = user_run_name(_run_name(config, plan.genres), note, output_root is None,
                         bool(config.name))
    emit("stage", message="saving the run")
    root = Path(output_root) if output_root else gconfig.runs_dir()
    writer = persistence.RunWriter(root, persistence.new_run_id(name))
    try:
        for file_name, obj in files.items():
            if file_name == "model.keras":
                obj.save(writer.path(file_name))
            else:
                writer.save_sklearn(obj, file_name)
        card = {
            "name": name, "model": config.model, "feature": config.feature,
            "feature_kind": kind, "primary": primary,
            "config": {**config.to_dict(), "extra": [s.name for s in extra_sets]},
            "genres": list(plan.genres), "genre_notes": plan.notes,
            "input_shape": outcome.input_shape,
            "data": {"source": source.label, "synthetic": bool(source.synthetic),
                     "root": str(source.root), "n_tracks": len(gtzan_ids),
                     "skipped": [list(s) for s in fs.skipped if not extra.is_extra(s[0])],
                     "format": source.format_text,
                     "clips_per_genre": {g: int(n) for g, n in zip(*np.unique(
                         [genre_of(t) for t in gtzan_ids], return_counts=True))},
                     "extra": extra_card(extra_sets, [t for t in split.train if extra.is_extra(t)],
                                         [s for s in fs.skipped if extra.is_extra(s[0])]
                                         + added.left_out),
                     "filter_noise": bool(config.filter_noise), "note": config.note},
            "protocol": {**split.to_dict(), "label": split.label()},
            "validation": {"source": valid_source, "tracks": list(valid_ids)},
            "n_examples": {"train": len(train), "valid": len(valid), "test": len(test)},
            "metrics": metrics, "heads": outcome.heads,
            "paper": {h: paper_key(config.model, str(config.feature), h) for h in metrics},
            "history": outcome.history, "best_epoch": outcome.best_epoch,
            "epochs_run": len(outcome.history), "stopped_early": outcome.stopped_early,
            "stop_reason": outcome.stop_reason, "class_weight": outcome.class_weight,
            "stopped_by_user": stopped_by_user, "epochs_planned": int(config.epochs),
            "stop_note": note,
            "svm_class_weight": balance if family.sklearn_heads else None,
            **outcome.card,
            "elapsed_s": round(emit.elapsed(), 3),
        }
        run_dir = writer.commit(card)
    except BaseException:
        writer.abort()
        raise
    test_m = metrics[primary]["test"]
    summary = (f"{name}: test segment accuracy {test_m['segment_accuracy']:.3f}, track accuracy "
               f"{test_m['track_accuracy']:.3f} ({split.label()}; {source.label})")
    if stopped_by_user:
        emit("stopped", run_dir=str(run_dir), message=f"{note}; best weights (epoch "
             f"{outcome.best_epoch}) saved. {summary}")
    else:
        emit("done", run_dir=str(run_dir), message=summary)
    return run_dir
