"""Cached loaders the pages share: track tables, features, audio and the server's warm-up.

Each is cached by Streamlit per server (keyed by paths and modification times); heavy libraries are
imported inside them, so importing this module stays cheap.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np
import streamlit as st

from core import config
from pages.data_source import folder_stamp


NO_WARMUP_ENV = "GENRELAB_NO_WARMUP"     #: set to 1 to skip the warm-up thread (tests)


SEGMENT_KINDS: tuple[str, ...] = ("zcr", "mfcc_stats", "extras")  #: what the pages display


AUTO_EXTRACT_TRACKS = 120               #: extract features without asking up to this many tracks


def _track_rows(paths: Sequence[str]) -> list[dict]:
    """soundfile.info of each file: duration (s), sample rate (Hz), channels, or the error."""
    import soundfile as sf

    rows = []
    for p in paths:
        try:
            info = sf.info(p)
            rows.append({"duration_s": info.frames / info.samplerate,
                         "sample_rate": info.samplerate, "channels": info.channels, "error": ""})
        except Exception as exc:  # noqa: BLE001 - unreadable files are listed with the reason
            rows.append({"duration_s": float("nan"), "sample_rate": 0, "channels": 0,
                         "error": str(exc)})
    return rows


@st.cache_data(show_spinner="Reading file headers…", max_entries=8)
def track_table(root: str, stamp: float, ids: tuple[str, ...], genres: tuple[str, ...],
                paths: tuple[str, ...]):
    """DataFrame of tracks: id, genre, duration (s), sample rate, channels, file, header error."""
    import pandas as pd

    df = pd.DataFrame({"track": ids, "genre": genres})
    df = pd.concat([df, pd.DataFrame(_track_rows(paths))], axis=1)
    df["file"] = [Path(p).name for p in paths]
    df["path"] = list(paths)
    return df


def tracks_df(source):
    """The cached track table of a DataSource; with artist and title columns when the artist
    index is set (core.config.artists_path) and readable."""
    table = (str(source.root), folder_stamp(source.root),
             tuple(t.track_id for t in source.tracks), tuple(t.genre for t in source.tracks),
             tuple(str(t.path) for t in source.tracks))
    index_file = config.artists_path()
    if index_file is None or not index_file.is_file():
        return track_table(*table)
    return named_track_table(*table, str(index_file), index_file.stat().st_mtime)


@st.cache_data(show_spinner=False, max_entries=8)
def named_track_table(root: str, stamp: float, ids: tuple[str, ...], genres: tuple[str, ...],
                      paths: tuple[str, ...], index_file: str, index_mtime: float):
    """track_table with the artist and title of each track from the artist index, joined once
    per change of the folder or the index (not on every keystroke of the page's filter)."""
    df = track_table(root, stamp, ids, genres, paths)
    index = artist_index(index_file, index_mtime)
    return df if index is None else with_artists(df, index)


def with_artists(df, index: dict):
    """A copy of a track table with "artist" and "title" columns ("" for tracks the index lacks)."""
    df = df.copy()
    df["artist"] = [index[t].artist if t in index else "" for t in df["track"]]
    df["title"] = [index[t].title if t in index else "" for t in df["track"]]
    return df


@st.cache_data(show_spinner=False, max_entries=2)
def artist_index(path: str, mtime: float) -> dict | None:
    """Sturm's artist index ({track id: TrackInfo}), None when it cannot be read."""
    from core.data.artists import ArtistIndexError, read_index

    try:
        return read_index(path)
    except (ArtistIndexError, OSError):
        return None


FEATURE_SETS_KEPT = 4   #: feature sets kept in memory per server (the newest ones)


@st.cache_resource(show_spinner=False)
def _feature_store() -> dict:
    """The server's feature sets by (root, stamp, track ids, kinds), newest last.

    A plain dict rather than st.cache_data, so the extraction can draw its progress bar: a cached
    function may not write into a block made outside it.
    """
    return {}


@st.cache_resource(show_spinner=False)
def _feature_locks() -> tuple[threading.Lock, dict]:
    """The lock guarding the table of per-key locks, and that table: one lock per feature set,
    so two visitors asking for the same set wait for one extraction instead of each running it."""
    return threading.Lock(), {}


def _key_lock(key: tuple) -> threading.Lock:
    """The lock of one feature set's key (made on first use)."""
    guard, locks = _feature_locks()
    with guard:
        return locks.setdefault(key, threading.Lock())


class _FeatureCache:
    """feature_set's cache, cleared like a cached function's (feature_set.clear())."""

    @staticmethod
    def clear() -> None:
        """Forget every feature set: the server's memory and the markers of extracted sets."""
        import shutil

        _feature_store().clear()
        shutil.rmtree(config.cache_dir() / "extracted", ignore_errors=True)


def feature_set(root: str, stamp: float, track_ids: tuple[str, ...],
                kinds: tuple[str, ...] = SEGMENT_KINDS, on_progress=None):
    """FeatureSet of the given tracks of a folder (core.features.study, disk-cached, 2 processes),
    kept in memory per server. on_progress(done, total) is told of each track extracted.

    One extraction per set at a time: a second visitor asking while it runs waits for it and
    gets its result (a Streamlit-cached function holds such a lock; this plain store needs its own).
    """
    from core.data.gtzan import list_tracks
    from core.features.study import extract_tracks

    store = _feature_store()
    key = (root, stamp, tuple(track_ids), tuple(kinds))
    if key in store:
        return store[key]
    with _key_lock(key):
        if key in store:   # extracted by another session while this one waited
            return store[key]
        wanted = set(track_ids)
        tracks = [t for t in list_tracks(root) if t.track_id in wanted]
        result = extract_tracks(tracks, kinds, n_jobs=min(2, os.cpu_count() or 1),
                                progress=False, on_progress=on_progress)
        store[key] = result
        while len(store) > FEATURE_SETS_KEPT:
            store.pop(next(iter(store)))
        _mark_extracted(key)
    return result


def _extracted_marker(key: tuple) -> Path:
    """The file saying that a feature set (root, stamp, track ids, kinds) was extracted once on
    this machine, so its features are in the disk cache: <cache>/extracted/<sha1 of the key>."""
    import hashlib

    digest = hashlib.sha1(repr(key).encode()).hexdigest()
    return config.cache_dir() / "extracted" / digest


def _mark_extracted(key: tuple) -> None:
    """Leave the marker of an extracted feature set (best effort: a read-only cache is fine)."""
    marker = _extracted_marker(key)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass


def features_ready(root: str, stamp: float, track_ids: tuple[str, ...],
                   kinds: tuple[str, ...] = SEGMENT_KINDS) -> bool:
    """Whether a feature set is quick to get: in this server's memory, or extracted before on
    this machine (its disk cache is warm), so no visitor need be asked to extract it."""
    key = (root, stamp, tuple(track_ids), tuple(kinds))
    return key in _feature_store() or _extracted_marker(key).is_file()


feature_set.clear = _FeatureCache.clear


def extraction_text(done: int, total: int) -> str:
    """The progress bar's words: clips done out of all (cached on disk after the first time)."""
    return (f"Extracting features: {done} of {total} clips done (cached on disk, so the next "
            "time is quick)…")


def source_features(source, kinds: tuple[str, ...] = SEGMENT_KINDS):
    """FeatureSet of every track of the source, or None until the user asks for a big set.

    A big set waits for the Extract button (its note and button go once pressed) the first time
    only: once extracted on this machine (features_ready) every session, a viewer's too, gets it
    straight from the memory or disk cache. Extraction shows a progress bar with the count of
    clips done, removed once it is over.
    """
    key = f"extract:{source.root}"
    stamp = folder_stamp(source.root)
    if (len(source.tracks) > AUTO_EXTRACT_TRACKS and not st.session_state.get(key)
            and not features_ready(str(source.root), stamp, tuple(source.track_ids), kinds)):
        ask = st.empty()
        with ask.container():
            st.info(f"{len(source.tracks)} tracks: extracting their features takes a few "
                    "minutes the first time (then they are read from the disk cache).")
            pressed = st.button("Extract features", key=f"btn_{key}",
                                icon=":material/play_arrow:")
        if not pressed:
            return None
        st.session_state[key] = True
        ask.empty()
    slot = st.empty()

    def report(done: int, of: int) -> None:
        slot.progress(done / max(of, 1), text=extraction_text(done, of))

    try:
        return feature_set(str(source.root), stamp, tuple(source.track_ids), kinds,
                           on_progress=report)
    finally:
        slot.empty()


@st.cache_data(show_spinner=False, max_entries=256)
def _upload_sha1(file_id: str, size: int, _data: bytes) -> str:
    """Hex SHA-1 of an upload's bytes, cached under Streamlit's id of the upload and its size."""
    import hashlib

    return hashlib.sha1(_data).hexdigest()


def upload_sha1(file) -> str:
    """Hex SHA-1 of an uploaded file's bytes (a Streamlit UploadedFile), computed once per
    upload rather than on every rerun of the page that shows it."""
    data = file.getvalue()
    return _upload_sha1(str(file.file_id), len(data), data)


@st.cache_data(show_spinner="Loading audio…", max_entries=32)
def load_audio(path: str, mtime: float, preprocess: bool = True) -> np.ndarray:
    """A clip as mono float32 at 22050 Hz; preprocess = the study's cleaning (core.data.audio)."""
    from core.data.audio import decode, load_clip

    return load_clip(path) if preprocess else decode(path)


def audio_of(track, preprocess: bool = True) -> np.ndarray:
    """Cached samples of a Track (keyed by path and modification time)."""
    return load_audio(str(track.path), track.path.stat().st_mtime, preprocess)


@st.cache_resource(show_spinner=False)
def start_warm_up():
    """Start core.prediction.warmup (models, librosa, TensorFlow) in a daemon thread, once per server.

    Returns the running core.prediction.warmup.WarmUp, or None when GENRELAB_NO_WARMUP is set.
    """
    if os.environ.get(NO_WARMUP_ENV, "") not in ("", "0"):
        return None
    from core.prediction import warmup

    job = warmup.WarmUp(warmup.plan)
    job.start()
    return job


def warm_up_note() -> str | None:
    """What an upload's verdict still waits for, in words for Try it's caption; None when nothing
    (the Features page's librosa code may still compile: it does not slow an answer, and Try it
    pages need no timer redrawing the line while it does), or when there is no warm-up."""
    job = start_warm_up()
    if job is None:
        return None
    pending = job.still_warming(answers_only=True)
    if not pending:
        return None
    shown = ", ".join(pending[:4]) + (f" and {len(pending) - 4} more" if len(pending) > 4 else "")
    return f"Still warming up in the background (first use of this server): {shown}."
