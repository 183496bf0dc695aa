"""Viewer mode (GENRELAB_MODE=viewer): a shared server whose data source, downloads and training
are fixed; every page still works for looking and trying, and nothing a visitor does is saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import config
from core.data import download
from core.models import persistence
from core.training import jobs as training_jobs
from core.training.config import TrainConfig

from .app_support import APP

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("home", "dataset", "features", "training", "results", "try_it")
#: widget keys that change the server: data folder, demo set, downloads, split lists, training
OWNER_KEYS = {"data_folder_input", "use_folder", "use_demo", "download_dir", "download_gtzan",
              "splits_input", "use_splits", "download_splits", "train_start"}

pytestmark = pytest.mark.usefixtures("navigation_pages", "app_env")


@pytest.fixture
def viewer(monkeypatch: pytest.MonkeyPatch, isolated_dirs: Path) -> Path:
    """Viewer mode on; returns where settings.json would be written."""
    monkeypatch.setenv(config.ENV_MODE, config.VIEWER)
    shipped = isolated_dirs / "shipped"
    shipped.mkdir(exist_ok=True)
    monkeypatch.setattr(persistence, "MODELS_DIR", shipped)
    return config.home_dir() / "settings.json"


def _keys(at: AppTest) -> set[str]:
    """Keys of every widget the run drew (main area and sidebar)."""
    keys = set()
    for kind in ("button", "text_input", "selectbox", "multiselect", "checkbox", "toggle",
                 "radio", "number_input", "slider", "select_slider"):
        keys |= {w.key for w in getattr(at, kind) if w.key}
    return keys


def test_the_engine_refuses_every_change_to_what_others_see(viewer: Path) -> None:
    for attempt in (lambda: config.save_setting("data_path", "/tmp"),
                    lambda: training_jobs.start_job(TrainConfig(model="svm")),
                    lambda: training_jobs.request_stop("nojob"),
                    lambda: download.download_gtzan(viewer.parent / "gtzan"),
                    lambda: download.download_splits(viewer.parent / "splits")):
        with pytest.raises(config.ViewerModeError, match="viewer mode"):
            attempt()
    assert not viewer.exists() and not (viewer.parent / "gtzan").exists()


def test_without_viewer_mode_settings_are_saved(isolated_dirs: Path) -> None:
    assert not config.viewer_mode()
    config.save_setting("data_path", None)
    assert (config.home_dir() / "settings.json").is_file()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_works_and_offers_no_control_that_changes_the_server(viewer: Path,
                                                                        name: str) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    if name != "home":
        at = at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not _keys(at) & OWNER_KEYS, _keys(at) & OWNER_KEYS
    said = "\n".join(str(c.value) for c in at.caption)
    assert "viewer mode" in said  # the sidebar says why its controls are gone
    if name == "training":
        assert "Training" in said and not any(b.key == "train_start" for b in at.button)
    assert not viewer.exists()


def test_a_crafted_session_or_query_cannot_change_the_source(viewer: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["data_path"] = "/tmp"
    for key in OWNER_KEYS:           # what a crafted websocket message could claim to have sent
        at.session_state[key] = "/tmp" if "input" in key or "dir" in key else True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not viewer.exists()
    assert config.data_path() is None


def test_the_viewer_flag_of_app_py_sets_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy
    import sys

    # setenv (not delenv) so the mode app.py sets is undone after the test
    monkeypatch.setenv(config.ENV_MODE, "")
    monkeypatch.setattr(sys, "argv", ["app.py", "--viewer"])
    monkeypatch.setattr("streamlit.App", lambda *a, **k: None, raising=False)
    runpy.run_path(str(APP), run_name="app")
    assert config.viewer_mode()
