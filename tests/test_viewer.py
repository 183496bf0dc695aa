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


# --- what a visitor can reach: only the folders the operator offers ----------------------------

#: entries /etc holds on any Linux machine, none of which a page may name
ETC_ENTRIES = tuple(name for name in ("passwd", "hostname", "fstab", "resolv.conf", "shadow",
                                      "crontab", "os-release", "nsswitch.conf", "alternatives",
                                      "cron.daily", "logrotate.d", "init.d", "ld.so.conf.d",
                                      "update-motd.d", "systemd", "apparmor.d", "pam.d")
                    if (Path("/etc") / name).exists())
#: words a visitor must not read: the operator's wording about their own runs
OWNER_WORDS = ("by you", "(yours)", "your run")


def _labelled(root: Path, genres: dict[str, int], other: str) -> Path:
    """A labelled folder: genre folders of tiny WAV clips and one folder naming no genre."""
    import soundfile as sf

    from tests.conftest import tone

    for genre, n in genres.items():
        (root / genre).mkdir(parents=True)
        for k in range(n):
            sf.write(root / genre / f"c{k}.wav", tone(220 * (k + 1), 3.5), 22050)
    (root / other).mkdir()
    return root


def _walk(node):
    """Every node of an AppTest element tree."""
    yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from _walk(child)


def _all_text(at: AppTest) -> str:
    """Everything the run drew, as text: element protos (labels, bodies, options, help) and
    the cells of every table."""
    parts = []
    for node in _walk(at._tree):
        if getattr(node, "type", "") in ("text_input", "text_area"):
            continue   # its value is what the visitor typed
        if getattr(node, "type", "") in ("dataframe", "arrow_data_frame"):
            parts.append(node.value.to_string())
        elif hasattr(node, "proto") and not getattr(node, "children", None):
            parts.append(str(node.proto))
    return "\n".join(parts)


@pytest.fixture
def offered(viewer: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    """A server in viewer mode that offers one labelled folder (by name), holds another one it
    does not offer, a split-lists folder and a run stopped by its operator."""
    from tests.test_prediction import sklearn_run

    shown = _labelled(tmp_path / "server" / "outside-offered", {"jazz": 1, "rock": 1}, "notes")
    hidden = _labelled(tmp_path / "server" / "unoffered-set", {"metal": 3, "Hip-Hop": 2},
                       "private-papers")
    monkeypatch.setenv("GENRELAB_OUTSIDE_DIRS", f"Outside set={shown}")
    monkeypatch.setenv(config.ENV_SPLITS, str(tmp_path / "server" / "lists"))
    sklearn_run("svm", "mfcc", extra={
        "name": "SVM on MFCC — stopped by you at epoch 3 of 30 (yours)",
        "stop_note": "stopped by you at epoch 3 of 30"})
    return {"shown": shown, "hidden": hidden}


def _check_nothing_reached(at: AppTest, hidden: Path) -> None:
    """No exception, no /etc entry, nothing of the folder not offered, no server path, no owner
    wording, and no action on a folder the operator did not offer."""
    assert not at.exception, [e.value for e in at.exception]
    text = _all_text(at)
    assert not [name for name in ETC_ENTRIES if name in text]
    assert "private-papers" not in text and "unoffered-set" not in text
    assert "metal 3" not in text and "hiphop 2" not in text
    assert str(hidden.parents[1]) not in text and str(config.cache_dir()) not in text
    assert not [w for w in OWNER_WORDS if w in text], [w for w in OWNER_WORDS if w in text]
    for box in at.selectbox:
        if box.key == "outside_choice":
            assert list(box.options) == ["Outside set"]
    if any("Evaluate" in str(b.label) for b in at.button):   # only on the offered folder
        assert at.selectbox(key="outside_choice").value == "Outside set"


@pytest.mark.parametrize("name", PAGES)
def test_typed_paths_reach_nothing_in_viewer_mode(offered: dict[str, Path], name: str) -> None:
    """'/etc' and a labelled folder the operator did not offer, typed into every text box of
    every page: nothing is listed and no action is offered; no server path, no owner wording."""
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    if name != "home":
        at = at.switch_page(f"pages/{name}.py").run()
    _check_nothing_reached(at, offered["hidden"])
    boxes = [box.key for box in at.text_input] + [box.key for box in at.text_area]
    if name in ("dataset", "training"):   # the clip filter; the run name of the form shown
        assert boxes, name
    for key in boxes:
        for typed in ("/etc", str(offered["hidden"])):
            widget = (at.text_input(key=key) if key in [b.key for b in at.text_input]
                      else at.text_area(key=key))
            at = widget.set_value(typed).run()
            _check_nothing_reached(at, offered["hidden"])
    if name == "home":
        said = _all_text(at)
        assert "Train an SVM" not in said and "train these models yourself" not in said
    if name == "results":   # the offered folder, by its name, as a choice
        assert at.selectbox(key="outside_choice").value == "Outside set"
        assert not any(t.key == "outside_folder" for t in at.text_input)


def test_operator_offers_folders_by_name_or_last_part(monkeypatch: pytest.MonkeyPatch,
                                                      isolated_dirs: Path) -> None:
    import json
    import os

    monkeypatch.setenv(config.ENV_OUTSIDE_DIRS,
                       os.pathsep.join(["Dev set=/data/xd-dev", "/music/rock=roll", " "]))
    assert config.outside_dirs() == {"Dev set": Path("/data/xd-dev"),
                                     "/music/rock": Path("roll")}
    monkeypatch.setenv(config.ENV_OUTSIDE_DIRS, "/srv/clips/outside")
    assert config.outside_dirs() == {"outside": Path("/srv/clips/outside")}
    monkeypatch.delenv(config.ENV_OUTSIDE_DIRS)
    assert config.outside_dirs() == {}
    (config.home_dir()).mkdir(parents=True, exist_ok=True)
    (config.home_dir() / "settings.json").write_text(json.dumps(
        {"outside_dirs": ["Emotify=/d/emotify", "/d/4q"]}))
    assert config.outside_dirs() == {"Emotify": Path("/d/emotify"), "4q": Path("/d/4q")}


def test_wording_follows_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "LSTM on MFCC — stopped by you at epoch 8 of 40 (yours)"
    assert config.for_visitors(name) == name
    monkeypatch.setenv(config.ENV_MODE, config.VIEWER)
    assert config.for_visitors(name) == "LSTM on MFCC — stopped at epoch 8 of 40"
    assert config.for_visitors("SVM — your run 2026-12-01") == "SVM — run 2026-12-01"


def _outside_page(at: AppTest) -> AppTest:
    """The Results page of a fresh session."""
    return at.run().switch_page("pages/results.py").run()


def test_a_visitor_sees_the_operators_figures_and_starts_no_unbounded_work(
        offered: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from core.prediction import catalogue, outside

    # more clips than a visitor may have evaluated: the cap is said, no button
    monkeypatch.setattr(outside, "VISITOR_MAX_CLIPS", 1)
    at = _outside_page(AppTest.from_file(str(APP), default_timeout=180))
    assert not at.exception, [e.value for e in at.exception]
    assert not any(b.key == "outside_run" for b in at.button)
    assert any("more than the 1 a visitor may have evaluated" in i.value for i in at.info)
    # the operator's figures (evaluate-folder or the page in operator mode): shown, no work
    entries = list(catalogue.available_models())
    key = outside.cache_key(offered["shown"], [e.run_id for e in entries], len(entries) > 1)
    monkeypatch.setattr(outside, "evaluate_folder", lambda *a, **k: pytest.fail("evaluated"))
    figures = {"folder": str(offered["shown"]), "n": 2, "genres": {"jazz": 1, "rock": 1},
               "skipped_folders": 1, "bad_files": [],
               "models": [{"label": entries[0].label, "run_id": entries[0].run_id, "correct": 1,
                           "n": 2, "accuracy": 0.5, "ci_low": 0.09, "ci_high": 0.91,
                           "macro_f1": 0.33, "per_genre": {}, "confusion": [[0] * 10] * 10}]}
    outside.store(key, figures)
    at = _outside_page(AppTest.from_file(str(APP), default_timeout=180))
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "Outside GTZAN (95 % CI)" in d.value.columns)
    assert list(table["Correct of n"]) == ["1 of 2"]
    assert "n = 2 clips of Outside set" in _all_text(at)
    assert str(offered["shown"]) not in _all_text(at)
    # within the cap: the button states it
    monkeypatch.setattr(outside, "VISITOR_MAX_CLIPS", 60)
    (outside.cache_file(key)).unlink()
    at = _outside_page(AppTest.from_file(str(APP), default_timeout=180))
    assert any(b.key == "outside_run" for b in at.button)
    assert any("at most 60 clips, one evaluation at a time" in c.value for c in at.caption)


def test_operator_mode_names_only_what_genrelab_found(monkeypatch: pytest.MonkeyPatch,
                                                      isolated_dirs: Path) -> None:
    """Every path box of the operator's pages, given '/etc': the message names what GenreLab
    looked for, never the folder's other entries."""
    at = _outside_page(AppTest.from_file(str(APP), default_timeout=180))
    at = at.text_input(key="outside_folder").set_value("/etc").run()
    for box, button in (("data_folder_input", "use_folder"), ("splits_input", "use_splits"),
                        ("artists_input", "use_artists")):
        at = at.text_input(key=box).set_value("/etc").run()
        at = at.button(key=button).click().run()
        assert not at.exception, [e.value for e in at.exception]
        text = _all_text(at)
        assert not [name for name in ETC_ENTRIES if name in text], box
    assert any("no sub-folder names a GTZAN genre" in w.value for w in at.warning)
    assert not (config.home_dir() / "settings.json").exists() or "/etc" not in (
        config.home_dir() / "settings.json").read_text()


def test_the_sidebar_keeps_the_artist_index_once_saved(isolated_dirs: Path,
                                                       tmp_path: Path) -> None:
    index = tmp_path / "GTZANindex.txt"
    index.write_text("blues.00000.wav ::: John Lee Hooker ::: One Bourbon\n"
                     "jazz.00001.wav ::: Miles Davis ::: So What\n")
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at = at.text_input(key="artists_input").set_value(str(index)).run()
    at = at.button(key="use_artists").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Artist index saved." in s.value for s in at.success)
    said = "\n".join(c.value for c in at.sidebar.caption)
    assert f"Artist index: `{index}`, artist and title of 2 tracks" in said
    at = at.run()   # and on the next run, without the message
    assert "artist and title of 2 tracks" in "\n".join(c.value for c in at.sidebar.caption)


def test_the_server_config_keeps_xsrf_and_the_upload_limit() -> None:
    """docs/SECURITY.md: cross-site request forgery protection stays on, other sites' pages may
    not call the server, and Streamlit refuses an upload over core.constants.MAX_UPLOAD_BYTES."""
    import tomllib

    from core.constants import MAX_UPLOAD_BYTES

    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    assert server["maxUploadSize"] * 1024 * 1024 == MAX_UPLOAD_BYTES


def test_visitors_are_not_told_where_the_cluster_listens(viewer: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from core.cluster import ClusterInfo
    from pages import sidebar

    monkeypatch.setenv(config.ENV_SCHEDULER, "tcp://10.9.8.7:8786")
    monkeypatch.setattr(sidebar, "_cluster_info", lambda address: ClusterInfo(
        address, workers=3, cores=12, dashboard="http://10.9.8.7:8787/status"))
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _all_text(at)
    assert "**3** workers, **12** cores" in text and "10.9.8.7" not in text
