"""The sidebar of every page: the data-source form, the downloads and the cluster panel."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from core import config
from core.constants import PROJECT_ROOT
from core.data.gtzan import DatasetError, find_root
from pages import data_source
from pages.data_source import _load_source, source_summary
from pages.layout import show_error, viewer_note
from pages.loaders import feature_set, track_table


DEFAULT_DOWNLOAD_DIR = PROJECT_ROOT / "data" / "gtzan"


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
    except OSError as exc:   # unreadable: say so, never what the system's message may list
        return f"{text} cannot be read ({type(exc).__name__})"
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
    except (OSError, UnicodeDecodeError) as exc:
        return f"{text}: the lists cannot be read ({type(exc).__name__})"
    config.save_setting("splits_path", str(Path(text).expanduser()))
    return None


def set_artists_file(text: str) -> str | None:
    """Validate and remember Sturm's artist index (GTZANindex.txt); an error message or None."""
    from core.data.artists import ArtistIndexError, read_index

    text = (text or "").strip()
    if not text:
        config.save_setting("artists_path", None)
        return None
    try:
        read_index(text)
    except ArtistIndexError as exc:
        return str(exc)
    except OSError as exc:
        return f"{text} cannot be read ({type(exc).__name__})"
    config.save_setting("artists_path", str(Path(text).expanduser()))
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
    with st.sidebar:
        st.markdown("### Data source")
        summary_slot = st.container()   # filled after the form, so it shows what was just saved
        if config.viewer_mode():
            viewer_note("Fixed data source")
        else:
            with st.expander("Change data source", expanded=False):
                _source_form()
        with summary_slot:
            _summary()
        _cluster_panel()


def _summary() -> None:
    """What the pages use: the source (its folder by name in viewer mode), its clips per genre,
    the split lists and the artist index."""
    summary = source_summary()
    if summary["synthetic"]:
        st.badge("synthetic demo set", icon=":material/science:", color="orange")
        st.caption(f"{summary['label']} — {summary['tracks']} clips "
                   f"({data_source.counts_text(summary['per_genre'])})."
                   + ("" if config.viewer_mode() else " Set a GTZAN folder below for real music."))
    else:
        st.badge("GTZAN folder", icon=":material/library_music:", color="green")
        st.caption(f"`{data_source.shown_path(summary['root'])}` — {summary['tracks']} clips "
                   f"({data_source.counts_text(summary['per_genre'])})")
    st.caption(data_source.splits_text())
    st.caption(data_source.artists_text())
    if summary["error"]:
        st.error("The saved folder cannot be used: "
              f"{data_source.source_label(summary['error'])}")


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
    viewer = config.viewer_mode()   # visitors are not told where the scheduler listens
    st.markdown("### Dask cluster")
    st.caption(("A cluster" if viewer else f"`{info.address}`")
               + " — extraction and SVM/KNN searches of training jobs run here")
    if info.error:
        st.error("The cluster cannot be reached" + ("." if viewer else f": {info.error}"))
        return
    st.markdown(f"**{info.workers}** workers, **{info.cores}** cores"
                + (f", {info.memory_bytes / 2**30:.1f} GiB" if info.memory_bytes else ""))
    if viewer:
        return
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
    # one button a line: two side by side in the narrow sidebar cut their labels ("Use dem…")
    if st.button("Use folder", key="use_folder", disabled=bool(env)):
        error = set_data_folder(folder)
        if error:
            st.session_state["data_folder_error"] = error
        else:
            st.session_state.pop("data_folder_error", None)
            st.rerun()
    if st.button("Use demo set", key="use_demo", disabled=bool(env) or not current):
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
    if st.button("Use lists", key="use_splits"):
        error = set_splits_folder(text)
        if error:
            st.error(error, icon=":material/rule:")
        else:
            st.success(f"Split lists saved: {data_source.splits_text()}" if text.strip()
                       else "Split lists cleared.")
    if st.button("Download lists", key="download_splits"):
        _download_splits(text.strip() or str(DEFAULT_DOWNLOAD_DIR.parent / "splits"))

    index_file = config.artists_path()
    index_text = st.text_input(
        "Artist index (optional)", value=str(index_file) if index_file else "",
        key="artists_input", help="Sturm's GTZANindex.txt (artist and title of each clip): the "
        "Dataset page names them and training can split by artist (artist-grouped). Empty = "
        "not used.")
    if st.button("Use index", key="use_artists"):
        error = set_artists_file(index_text)
        if error:
            st.error(error, icon=":material/rule:")
        else:
            st.success("Artist index saved." if index_text.strip() else "Artist index cleared.")
