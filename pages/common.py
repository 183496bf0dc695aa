"""Shared UI helpers for every page: the data-source sidebar, cached loaders, error display.

Heavy libraries (librosa, scikit-learn, TensorFlow) are never imported at module level here, so
the home page and the sidebar stay fast to serve.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import streamlit as st

from core import config
from core.constants import GENRES, PROJECT_ROOT
from core.data.gtzan import DatasetError, find_root

DEMO_SIZE_ENV = "GENRELAB_DEMO_SIZE"     #: "<clips per genre>x<seconds>", e.g. "3x6" for tests
NO_WARMUP_ENV = "GENRELAB_NO_WARMUP"     #: set to 1 to skip the warm-up thread (tests)
DEFAULT_DEMO_SIZE: tuple[int, float] = (8, 30.0)
SEGMENT_KINDS: tuple[str, ...] = ("zcr", "mfcc_stats", "extras")  #: what the pages display
AUTO_EXTRACT_TRACKS = 120               #: extract features without asking up to this many tracks
DEFAULT_DOWNLOAD_DIR = PROJECT_ROOT / "data" / "gtzan"
UPLOAD_TYPES: list[str] = ["wav", "mp3", "ogg", "flac", "au"]  #: audio files the uploaders take
#: core.data.demo.DEMO_LABEL, repeated so the home page need not import core.data.demo (scipy.signal, ~1 s);
#: tests/test_app_home.py checks that both stay equal.
DEMO_LABEL = "Built-in demo set (synthetic audio, not GTZAN)"

PAGE_HOME = "pages/home.py"
PAGE_DATASET = "pages/dataset.py"
PAGE_FEATURES = "pages/features.py"
PAGE_TRAINING = "pages/training.py"
PAGE_RESULTS = "pages/results.py"
PAGE_TRY = "pages/try_it.py"


# --- running inside app.py -----------------------------------------------------------------

def require_app() -> None:
    """Rerun through app.py when Streamlit ran this page file on its own; call first in a page.

    Because a folder named pages/ sits beside app.py, a fresh server whose first request is a
    page URL (e.g. /dataset), and AppTest on every rerun, use Streamlit's old pages-folder mode:
    they run the page file alone, without app.py's st.navigation, page config and sidebar. The
    flag st.navigation clears is cleared here too and the run restarts through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# --- small display helpers ------------------------------------------------------------------

def plot(fig, key: str | None = None, where=None) -> None:
    """Show a plotly figure full width with GenreLab's modebar config (PNG download at 2x).

    where: the container (a column, say) to draw in; the page itself when None.
    """
    from core.report.figures import PLOT_CONFIG

    (st if where is None else where).plotly_chart(fig, config=PLOT_CONFIG, key=key)


def show_error(what: str, exc: BaseException) -> None:
    """A red box saying what failed and why (the exception's own message), never a traceback."""
    st.error(f"**{what}** — {exc}", icon=":material/error:")


def synthetic_notice(source) -> None:
    """A visible warning that the data are synthetic, when they are."""
    if source.synthetic:
        st.warning("**Synthetic data.** The built-in demo set is synthesised audio in ten styles "
                   "named after GTZAN's genres — it is *not* GTZAN and not real music. Numbers "
                   "and charts here only show how GenreLab works. Set a GTZAN folder in the "
                   "sidebar for real results.", icon=":material/science:")


def fmt_duration(seconds: float) -> str:
    """Seconds as a short human text: '42 s', '12.5 min' or '8.3 h'."""
    if not np.isfinite(seconds):
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_pct(value: object) -> str:
    """A fraction of 1 as a percentage with one decimal ('83.4%'), or a dash when not a number."""
    return f"{float(value):.1%}" if isinstance(value, (int, float)) else "–"


# --- the data source ------------------------------------------------------------------------

def parse_demo_size(text: str) -> tuple[int, float]:
    """"<per_genre>x<seconds>" (e.g. "3x6") -> (3, 6.0); ValueError with the expected form."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+(?:\.\d+)?)\s*", text or "")
    if not match or int(match[1]) < 1 or float(match[2]) < 3.0:
        raise ValueError(f"{DEMO_SIZE_ENV}={text!r} is not like '3x6' (clips per genre x "
                         "seconds, at least 1 clip and 3 s)")
    return int(match[1]), float(match[2])


def demo_size() -> tuple[int, float]:
    """Clips per genre and seconds of the demo set: GENRELAB_DEMO_SIZE, else 8 x 30 s."""
    text = os.environ.get(DEMO_SIZE_ENV)
    if not text:
        return DEFAULT_DEMO_SIZE
    try:
        return parse_demo_size(text)
    except ValueError as exc:
        st.warning(f"{exc}; using the default demo size 8 x 30 s.")
        return DEFAULT_DEMO_SIZE


def _folder_stamp(root: Path) -> float:
    """Latest modification time (s) of root and its genre folders: changes when files come or go."""
    stamps = [root.stat().st_mtime]
    stamps += [(root / g).stat().st_mtime for g in GENRES if (root / g).is_dir()]
    return max(stamps)


@st.cache_resource(show_spinner="Preparing the data source…", max_entries=8)
def _load_source(path: str | None, per_genre: int, seconds: float, stamp: float,
                 cache: str = ""):
    """The DataSource for a folder, or the demo set (in cache) when path is None (cached per server)."""
    from core.data import datasource

    if path is None:
        return datasource.demo_source(per_genre=per_genre, seconds=seconds)
    return datasource.real_source(path)


def source_origin() -> str:
    """Where the active folder setting comes from: 'env', 'setting' or 'demo'."""
    if os.environ.get(config.ENV_DATA):
        return "env"
    return "setting" if config.load_settings().get("data_path") else "demo"


def active_source():
    """The active DataSource (GENRELAB_DATA, else the saved folder, else the synthetic demo set).

    A configured folder that is no longer usable is reported and the demo set is used instead.
    """
    path = config.data_path()
    per_genre, seconds = demo_size()
    if path is not None:
        try:
            root = find_root(path)
            return _load_source(str(root), per_genre, seconds, _folder_stamp(root))
        except DatasetError as exc:
            show_error("The configured data folder cannot be used; showing the synthetic demo "
                       "set instead", exc)
    return _load_source(None, per_genre, seconds, 0.0, str(config.cache_dir()))


def source_summary() -> dict:
    """Label, synthetic flag and track count of the active source, without building the demo set."""
    path = config.data_path()
    error = None
    if path is not None:
        try:
            root = find_root(path)
            source = _load_source(str(root), *demo_size(), _folder_stamp(root))
            return {"label": source.label, "synthetic": source.synthetic,
                    "tracks": len(source.tracks), "root": str(source.root), "error": None}
        except DatasetError as exc:
            error = str(exc)
    per_genre, seconds = demo_size()
    return {"label": DEMO_LABEL, "synthetic": True, "tracks": per_genre * len(GENRES),
            "root": None, "error": error, "seconds": seconds}


def splits_folder() -> Path | None:
    """The artist-filtered split lists folder when it holds the three lists, else None."""
    path = config.splits_path()
    if path is None:
        return None
    from core.data.splits import SplitError, read_split_lists

    try:
        read_split_lists(path)
    except SplitError:
        return None
    return path


def _forget_sources() -> None:
    """Drop cached sources and tables so the next run reads the new setting."""
    _load_source.clear()
    track_table.clear()
    feature_set.clear()


def set_data_folder(text: str) -> str | None:
    """Validate and remember a GTZAN folder; returns an error message, or None when saved."""
    text = (text or "").strip()
    if not text:
        return "Type the path of a GTZAN folder first."
    try:
        root = find_root(text)
    except DatasetError as exc:
        return str(exc)
    config.save_setting("data_path", str(root))
    _forget_sources()
    return None


def set_splits_folder(text: str) -> str | None:
    """Validate and remember the artist-filtered split lists folder; an error message or None."""
    from core.data.splits import SplitError, read_split_lists

    text = (text or "").strip()
    if not text:
        config.save_setting("splits_path", None)
        return None
    try:
        read_split_lists(text)
    except SplitError as exc:
        return str(exc)
    config.save_setting("splits_path", str(Path(text).expanduser()))
    return None


def _download_gtzan(target: str) -> None:
    """Run the GTZAN download into target with a status box; remember the folder when done."""
    with st.status(f"Downloading GTZAN (about 1.2 GB) into {target}…", expanded=True) as status:
        st.write("This takes several minutes; keep this tab open. The archive is checked "
                 "against its SHA-256 before it is unpacked.")
        bar = st.progress(0.0, text="Connecting…")
        shown = {"step": -1}

        def report(stage: str, done: int, total: int) -> None:
            """Move the bar (stage, MB done of MB total) at most once per percent."""
            fraction = min(done / total, 1.0) if total else 0.0
            step = (stage, int(fraction * 100) if total else done // 10_000_000)
            if step == shown["step"]:
                return
            shown["step"] = step
            size = f"{done / 1e6:.0f} of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
            bar.progress(fraction, text=f"{stage.split()[0].capitalize()}: {size}")

        try:
            from core.data.download import download_gtzan

            root = download_gtzan(Path(target), progress=report)
        except Exception as exc:  # noqa: BLE001 - every failure is shown to the user
            status.update(label="Download failed", state="error")
            show_error("GTZAN could not be downloaded", exc)
            return
        config.save_setting("data_path", str(root))
        _forget_sources()
        status.update(label=f"GTZAN is ready in {root}", state="complete")


def _download_splits(target: str) -> None:
    """Fetch the artist-filtered split lists into target and remember the folder."""
    try:
        from core.data.download import download_splits

        folder = download_splits(Path(target), progress=False)
    except Exception as exc:  # noqa: BLE001 - shown to the user
        show_error("The split lists could not be downloaded", exc)
        return
    config.save_setting("splits_path", str(folder))
    st.success(f"Split lists saved in {folder}")


def sidebar() -> None:
    """The data-source panel shown on every page (runs on every rerun; cheap)."""
    summary = source_summary()
    with st.sidebar:
        st.markdown("### Data source")
        if summary["synthetic"]:
            st.badge("synthetic demo set", icon=":material/science:", color="orange")
            st.caption(f"{summary['label']} — {summary['tracks']} clips. Set a GTZAN folder "
                       "below for real music.")
        else:
            st.badge("GTZAN folder", icon=":material/library_music:", color="green")
            st.caption(f"{summary['root']} — {summary['tracks']} clips")
        if summary["error"]:
            st.error(f"The saved folder cannot be used: {summary['error']}")
        with st.expander("Change data source", expanded=False):
            _source_form()
        _cluster_panel()


@st.cache_data(ttl=15, show_spinner=False)
def _cluster_info(address: str):
    """core.cluster.cluster_info, asked at most every 15 s (the sidebar runs on every rerun)."""
    from core.cluster import cluster_info

    return cluster_info(address)


def _cluster_panel() -> None:
    """The Dask cluster GENRELAB_SCHEDULER (or the setting) names: address, workers, cores, link."""
    address = config.scheduler_address()
    if not address:
        return
    info = _cluster_info(address)
    st.markdown("### Dask cluster")
    st.caption(f"`{info.address}` — extraction and SVM/KNN searches of training jobs run here")
    if info.error:
        st.error(f"The cluster cannot be reached: {info.error}")
        return
    st.markdown(f"**{info.workers}** workers, **{info.cores}** cores"
                + (f", {info.memory_bytes / 2**30:.1f} GiB" if info.memory_bytes else ""))
    if info.dashboard:
        st.markdown(f"[Open the cluster's dashboard]({info.dashboard})")
    else:
        st.caption("The scheduler serves no dashboard (it needs bokeh installed).")


def _source_form() -> None:
    """Inputs that set the GTZAN folder, download it, return to the demo set, and set split lists."""
    env = os.environ.get(config.ENV_DATA)
    if env:
        st.info(f"`{config.ENV_DATA}` is set to `{env}` and wins over the saved setting.")
    current = config.load_settings().get("data_path") or ""
    folder = st.text_input("GTZAN folder", value=current, key="data_folder_input",
                           placeholder="/path/to/gtzan or …/genres_original",
                           help="The folder holding genres_original/ (Kaggle) or genres/ "
                           "(original), or that folder itself.", disabled=bool(env))
    left, right = st.columns(2)
    if left.button("Use folder", key="use_folder", disabled=bool(env)):
        error = set_data_folder(folder)
        if error:
            st.session_state["data_folder_error"] = error
        else:
            st.session_state.pop("data_folder_error", None)
            st.rerun()
    if right.button("Use demo set", key="use_demo", disabled=bool(env) or not current):
        config.save_setting("data_path", None)
        st.session_state.pop("data_folder_error", None)
        _forget_sources()
        st.rerun()
    if st.session_state.get("data_folder_error"):
        st.error(f"Not a GTZAN folder: {st.session_state['data_folder_error']}",
                 icon=":material/folder_off:")

    st.divider()
    target = st.text_input("Download into", value=str(DEFAULT_DOWNLOAD_DIR), key="download_dir")
    if st.button("Download GTZAN", key="download_gtzan", icon=":material/download:",
                 help="About 1.2 GB from Hugging Face's copy of the original archive."):
        _download_gtzan(target)

    st.divider()
    splits = config.splits_path()
    text = st.text_input("Artist-filtered split lists (optional)",
                         value=str(splits) if splits else "", key="splits_input",
                         help="Folder with train_filtered.txt, valid_filtered.txt and "
                         "test_filtered.txt (Kereliuk & Sturm). Empty = random track split only.")
    left, right = st.columns(2)
    if left.button("Use lists", key="use_splits"):
        error = set_splits_folder(text)
        if error:
            st.error(error, icon=":material/rule:")
        else:
            st.success("Split lists saved." if text.strip() else "Split lists cleared.")
    if right.button("Download lists", key="download_splits"):
        _download_splits(text.strip() or str(DEFAULT_DOWNLOAD_DIR.parent / "splits"))


# --- cached loaders -------------------------------------------------------------------------

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
    """The cached track table of a DataSource."""
    return track_table(str(source.root), _folder_stamp(source.root),
                       tuple(t.track_id for t in source.tracks),
                       tuple(t.genre for t in source.tracks),
                       tuple(str(t.path) for t in source.tracks))


@st.cache_data(show_spinner="Extracting features (cached on disk after the first time)…",
               max_entries=4)
def feature_set(root: str, stamp: float, track_ids: tuple[str, ...],
                kinds: tuple[str, ...] = SEGMENT_KINDS):
    """FeatureSet of the given tracks of a folder (core.features.study, disk-cached, 2 processes)."""
    from core.data.gtzan import list_tracks
    from core.features.study import extract_tracks

    wanted = set(track_ids)
    tracks = [t for t in list_tracks(root) if t.track_id in wanted]
    return extract_tracks(tracks, kinds, n_jobs=min(2, os.cpu_count() or 1), progress=False)


def source_features(source, kinds: tuple[str, ...] = SEGMENT_KINDS):
    """FeatureSet of every track of the source, or None until the user asks for a big set."""
    key = f"extract:{source.root}"
    if len(source.tracks) > AUTO_EXTRACT_TRACKS and not st.session_state.get(key):
        st.info(f"{len(source.tracks)} tracks: extracting their features takes a few minutes "
                "the first time (then they are read from the disk cache).")
        if not st.button("Extract features", key=f"btn_{key}", icon=":material/play_arrow:"):
            return None
        st.session_state[key] = True
    return feature_set(str(source.root), _folder_stamp(source.root),
                       tuple(source.track_ids), kinds)


@st.cache_data(show_spinner="Loading audio…", max_entries=32)
def load_audio(path: str, mtime: float, preprocess: bool = True) -> np.ndarray:
    """A clip as mono float32 at 22050 Hz; preprocess = the study's cleaning (core.data.audio)."""
    from core.data.audio import decode, load_clip

    return load_clip(path) if preprocess else decode(path)


def audio_of(track, preprocess: bool = True) -> np.ndarray:
    """Cached samples of a Track (keyed by path and modification time)."""
    return load_audio(str(track.path), track.path.stat().st_mtime, preprocess)


# --- warm-up ---------------------------------------------------------------------------------

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
    """What is still warming up, in words for a caption; None when nothing is (or no warm-up)."""
    job = start_warm_up()
    if job is None or job.done:
        return None
    pending = job.still_warming()
    shown = ", ".join(pending[:4]) + (f" and {len(pending) - 4} more" if len(pending) > 4 else "")
    return f"Still warming up in the background (first use of this server): {shown}."
