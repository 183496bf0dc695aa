"""Shared fixtures: isolated GenreLab folders and synthesised GTZAN-layout audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.pages_manager import PagesManager

from core.constants import SHARED_DATA
from pages.server import load_srtp_first  # noqa: F401  (pylibsrtp before any TensorFlow: the
#                                         pages under AppTest run in this process, as the server)

SR = 22050
#: soundfile format and subtype of each audio extension the fixtures write
SOUNDFILE_FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"), "au": ("AU", "PCM_16"), "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"), "mp3": ("MP3", "MPEG_LAYER_III"),
}


@pytest.fixture(scope="session", autouse=True)
def compiled_librosa() -> None:
    """Compile librosa's numba functions once, first, in the main thread.

    On a fresh install numba compiles them on first use and caches the machine code; compiling
    them later in the session, once Streamlit's and TensorFlow's threads and libraries are up,
    crashed the interpreter (segfault in piptrack) and left a broken cache behind.
    """
    from core.features.explore import warm_up

    warm_up()


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point settings, runs and cache at temp folders so tests never touch the user's."""
    base = tmp_path_factory.mktemp("genrelab")
    for var, sub in (("GENRELAB_HOME", "home"), ("GENRELAB_RUNS", "runs"),
                     ("GENRELAB_CACHE", "cache")):
        monkeypatch.setenv(var, str(base / sub))
    monkeypatch.delenv("GENRELAB_DATA", raising=False)
    monkeypatch.delenv("GENRELAB_SPLITS", raising=False)
    monkeypatch.delenv("GENRELAB_SCHEDULER", raising=False)
    return base


def tone(freq: float, seconds: float, sr: int = SR, amp: float = 0.5) -> np.ndarray:
    """A sine tone of freq Hz lasting seconds s."""
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_gtzan(folder: Path, clips: dict[str, np.ndarray], layout: str = "genres_original",
                ext: str | dict[str, str] = "wav") -> Path:
    """Write clips {"blues.00000": samples} as a GTZAN folder; returns the layout folder.

    ext: one audio extension for all clips, or {track id: extension} (default wav) for a mix.
    """
    root = folder / layout
    for track_id, y in clips.items():
        genre = track_id.split(".")[0]
        (root / genre).mkdir(parents=True, exist_ok=True)
        suffix = ext if isinstance(ext, str) else ext.get(track_id, "wav")
        fmt, subtype = SOUNDFILE_FORMATS[suffix]
        sf.write(root / genre / f"{track_id}.{suffix}", y, SR, format=fmt, subtype=subtype)
    return root


@pytest.fixture
def real_data() -> Path:
    """The shared real GTZAN material, or skip with the reason."""
    if not (SHARED_DATA / "gtzan").is_dir():
        pytest.skip(f"real GTZAN material not found at {SHARED_DATA} (only on the dev machines)")
    return SHARED_DATA


@pytest.fixture
def real_ogg() -> Path:
    """The 473 real GTZAN clips as Ogg Vorbis (layout folder's parent), or skip with the reason."""
    folder = SHARED_DATA / "gtzan-ogg"
    if not (folder / "genres_original").is_dir():
        pytest.skip(f"the 473 real Ogg clips are not at {folder} (only on the dev machines)")
    return folder


@pytest.fixture
def real_splits() -> Path:
    """The artist-filtered split lists of the shared material, or skip with the reason."""
    folder = SHARED_DATA / "splits"
    if not (folder / "train_filtered.txt").is_file():
        pytest.skip(f"the artist-filtered split lists are not at {folder} (only on the dev "
                    "machines)")
    return folder


class _NavigationPagesManager(PagesManager):
    """PagesManager as the real server has it once st.navigation ran (no pages/-folder v1 mode).

    AppTest resets the class flag before every run, and because a pages/ folder sits beside
    app.py it would then execute the page file alone on reruns (dropping app.py's sidebar).
    """

    def __init__(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        super().__init__(*args, **kwargs)


@pytest.fixture
def navigation_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run AppTest like the real server runs an st.navigation app."""
    monkeypatch.setattr(app_test_module, "PagesManager", _NavigationPagesManager)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A tiny demo set (3 clips x 6 s per genre) in a cache shared by the app tests; no warm-up."""
    from core import config
    from pages import data_source, loaders

    monkeypatch.setenv(data_source.DEMO_SIZE_ENV, "3x6")
    monkeypatch.setenv(loaders.NO_WARMUP_ENV, "1")
    monkeypatch.setenv(config.ENV_CACHE, str(tmp_path_factory.getbasetemp() / "app-cache"))
