"""Tests of the app frame (app.py, pages/layout.py, data_source.py, sidebar.py, loaders.py) and the home page, with AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from core import config
from pages import server
from pages import data_source, layout, loaders, sidebar
from tests.app_support import APP, _metric, _texts
from tests.conftest import tone, write_gtzan

pytestmark = pytest.mark.usefixtures("navigation_pages")
TIMEOUT = 120


def _app() -> AppTest:
    """The whole app, run once (lands on the home page)."""
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


def test_home_renders_on_demo_set(app_env):
    at = _app()
    assert not at.exception
    assert _metric(at, "Active data source") == "Synthetic demo set"
    assert _metric(at, "Clips") == "30"
    assert "Synthetic data" in _texts(at.warning)
    assert "synthetic demo set" in _texts(at.sidebar.markdown)
    # each "What to do next" card is a button that opens its page
    assert len([b for b in at.button if b.key.startswith("home_go_")]) == 5
    # the genres present and the clips per genre, and where the split lists stand
    assert _metric(at, "Genres") == "10"
    assert "3 clips in each of the 10 genres" in _texts(at.caption)
    assert "split lists: not set" in _texts(at.caption)
    assert "3 clips in each of the 10 genres" in _texts(at.sidebar.caption)
    assert "Artist-filtered split lists" in _texts(at.sidebar.caption)


def test_home_cards_open_their_pages(app_env):
    at = _app()
    at.button(key="home_go_Dataset").click().run()
    assert not at.exception
    assert at.title[0].value == "Dataset"


def test_home_names_thin_genres_of_a_partial_copy(app_env, tmp_path: Path):
    clips = {f"{g}.{i:05d}": tone(220.0, 3.0) for g in ("blues", "jazz") for i in range(4)}
    clips["rock.00000"] = tone(220.0, 3.0)
    root = write_gtzan(tmp_path / "gtzan", clips)
    config.save_setting("data_path", str(root))
    at = _app()
    assert not at.exception
    assert _metric(at, "Genres") == "3"
    assert "thin: rock 1" in _texts(at.caption)
    assert "rock: 1" in _texts(at.warning)


def test_home_lists_shipped_models_or_says_none(app_env):
    from core.models.persistence import iter_runs

    at = _app()
    shipped = [r for r in iter_runs() if r.shipped]
    if shipped:
        assert len(at.dataframe[0].value) == len(shipped)
    else:
        assert "No trained models are shipped" in _texts(at.info)


def test_sidebar_rejects_non_gtzan_folder(app_env, tmp_path: Path):
    junk = tmp_path / "not-gtzan"
    (junk / "stuff").mkdir(parents=True)
    (junk / "stuff" / "song.wav").write_bytes(b"RIFF")
    at = _app()
    at.sidebar.text_input(key="data_folder_input").set_value(str(junk))
    at.sidebar.button(key="use_folder").click().run()
    assert not at.exception
    errors = _texts(at.sidebar.error)
    assert "Not a GTZAN folder" in errors and "genre folders" in errors
    assert config.load_settings().get("data_path") is None
    assert _metric(at, "Active data source") == "Synthetic demo set"


def test_sidebar_missing_folder_message(app_env, tmp_path: Path):
    at = _app()
    at.sidebar.text_input(key="data_folder_input").set_value(str(tmp_path / "nowhere")).run()
    at.sidebar.button(key="use_folder").click().run()
    assert not at.exception
    assert "does not exist" in _texts(at.sidebar.error)


def test_sidebar_accepts_gtzan_folder_and_remembers_it(app_env, tmp_path: Path):
    root = write_gtzan(tmp_path / "gtzan", {"blues.00000": tone(220, 4.0),
                                            "rock.00001": tone(440, 4.0)})
    at = _app()
    at.sidebar.text_input(key="data_folder_input").set_value(str(tmp_path / "gtzan"))
    at.sidebar.button(key="use_folder").click().run()
    assert not at.exception
    assert config.load_settings()["data_path"] == str(root)
    assert _metric(at, "Active data source") == "GTZAN folder"
    assert _metric(at, "Clips") == "2"
    assert "Synthetic data" not in _texts(at.warning)
    # back to the demo set
    at.sidebar.button(key="use_demo").click().run()
    assert config.load_settings()["data_path"] is None
    assert _metric(at, "Active data source") == "Synthetic demo set"


def test_env_var_wins_over_setting(app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_gtzan(tmp_path / "gtzan", {"jazz.00003": tone(330, 4.0)})
    monkeypatch.setenv(config.ENV_DATA, str(tmp_path / "gtzan"))
    at = _app()
    assert not at.exception
    assert _metric(at, "Clips") == "1"
    assert "GENRELAB_DATA" in _texts(at.sidebar.info)
    assert at.sidebar.text_input(key="data_folder_input").disabled


def test_broken_saved_folder_falls_back_to_demo(app_env, tmp_path: Path):
    config.save_setting("data_path", str(tmp_path / "gone"))
    at = _app()
    assert not at.exception
    assert "cannot be used" in _texts(at.error)
    assert _metric(at, "Active data source") == "Synthetic demo set"


def test_demo_label_matches_core():
    from core.data import demo

    assert data_source.DEMO_LABEL == demo.DEMO_LABEL


@pytest.mark.parametrize("text, expected", [("3x6", (3, 6.0)), (" 10 X 30 ", (10, 30.0)),
                                            ("2x4.5", (2, 4.5))])
def test_parse_demo_size(text, expected):
    assert data_source.parse_demo_size(text) == expected


@pytest.mark.parametrize("text", ["", "3", "0x6", "3x2", "threex6", "3x6x1"])
def test_parse_demo_size_rejects(text):
    with pytest.raises(ValueError, match="3x6"):
        data_source.parse_demo_size(text)


def test_splits_setting_validated(tmp_path: Path):
    assert "missing" in sidebar.set_splits_folder(str(tmp_path))
    assert config.load_settings().get("splits_path") is None
    for side in ("train", "valid", "test"):
        (tmp_path / f"{side}_filtered.txt").write_text(f"blues/blues.0000{len(side)}.wav\n")
    assert sidebar.set_splits_folder(str(tmp_path)) is None
    assert config.load_settings()["splits_path"] == str(tmp_path)
    assert data_source.splits_folder() == tmp_path


def test_set_data_folder_messages(tmp_path: Path):
    assert "Type the path" in sidebar.set_data_folder("  ")
    assert "not a GTZAN folder" in sidebar.set_data_folder(str(tmp_path))


def test_fmt_duration():
    assert layout.fmt_duration(42) == "42 s"
    assert layout.fmt_duration(750) == "12.5 min"
    assert layout.fmt_duration(30 * 3600) == "30.0 h"
    assert layout.fmt_duration(float("nan")) == "–"


def test_warm_up_thread_started_once_and_switchable(monkeypatch: pytest.MonkeyPatch):
    calls = []
    import core.prediction.warmup

    monkeypatch.setattr(core.prediction.warmup, "plan", lambda: [
        core.prediction.warmup.WarmUpStep("step", lambda: calls.append(1))])
    loaders.start_warm_up.clear()
    monkeypatch.setenv(loaders.NO_WARMUP_ENV, "1")
    assert loaders.start_warm_up() is None
    assert loaders.warm_up_note() is None
    loaders.start_warm_up.clear()
    monkeypatch.delenv(loaders.NO_WARMUP_ENV)
    job = loaders.start_warm_up()
    assert job is not None and job.thread.daemon
    job.thread.join(5)
    assert loaders.start_warm_up() is job  # cached: one warm-up per server
    assert calls == [1] and job.done and loaders.warm_up_note() is None
    loaders.start_warm_up.clear()


def test_streamlit_run_serves_app_py_as_an_st_app():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(APP)
    assert found.is_asgi_app and found.app_name == "app"


def test_server_start_warms_up_and_opens_a_browser_unless_headless(monkeypatch: pytest.MonkeyPatch):
    import asyncio

    started, opened, kept = [], [], []
    options = {"server.headless": False, "server.baseUrlPath": "", "browser.serverAddress": "",
               "server.port": 8599}
    monkeypatch.setattr(loaders, "start_warm_up", lambda: started.append(1))
    monkeypatch.setattr(server, "keep_keras_state", lambda: kept.append(1))
    monkeypatch.setattr(server.st, "get_option", options.__getitem__)
    monkeypatch.setattr(server.webbrowser, "open", opened.append)

    async def serve_briefly() -> None:
        before = len(started)
        async with server.lifespan(None):
            assert len(started) == before + 1   # at start-up, before any session
            await asyncio.sleep(0)              # the browser opens once the loop runs
    asyncio.run(serve_briefly())
    assert opened == ["http://localhost:8599/"]
    options["server.headless"] = True
    asyncio.run(serve_briefly())
    assert started == [1, 1] and opened == ["http://localhost:8599/"]
    assert kept == [1, 1]       # Keras's state is kept between runs from the start


def test_script_runs_no_longer_reset_keras(monkeypatch: pytest.MonkeyPatch):
    """Streamlit resets Keras after every run (clearing TensorFlow's kernel cache, a full garbage
    collection) unless the server's start-up stopped it; matplotlib's figures are still closed."""
    import sys
    import types

    from streamlit.runtime.scriptrunner import script_runner

    resets, closed = [], []
    keras = types.ModuleType("keras")
    keras.backend = types.SimpleNamespace(clear_session=lambda: resets.append(1))
    pyplot = types.ModuleType("matplotlib.pyplot")
    pyplot.close = closed.append
    monkeypatch.setitem(sys.modules, "keras", keras)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    monkeypatch.setattr(script_runner, "_clean_problem_modules",
                        script_runner._clean_problem_modules)   # restored after the test
    AppTest.from_string("import streamlit as st\nst.write('run')").run()
    assert resets == [1], "this Streamlit no longer resets Keras after a run: revisit the hook"
    assert server.keep_keras_state() is True
    AppTest.from_string("import streamlit as st\nst.write('run')").run()
    assert resets == [1] and closed[-1] == "all"


def test_warm_up_route_answers_with_its_state(monkeypatch: pytest.MonkeyPatch):
    import asyncio
    import json

    import core.prediction.warmup

    job = core.prediction.warmup.WarmUp(lambda: [core.prediction.warmup.WarmUpStep("step", int)])
    job.run()
    monkeypatch.setattr(loaders, "start_warm_up", lambda: job)
    answer = json.loads(asyncio.run(server.warm_up_status(None)).body)
    assert answer["enabled"] is True and answer["done"] is True
    assert [(s["name"], s["state"]) for s in answer["steps"]] == [("step", "done")]
    monkeypatch.setattr(loaders, "start_warm_up", lambda: None)
    assert json.loads(asyncio.run(server.warm_up_status(None)).body) == {
        "enabled": False, "done": True, "steps": []}


def test_app_does_not_import_tensorflow_or_librosa():
    import subprocess
    import sys

    code = ("import sys, runpy; from streamlit.testing.v1 import AppTest; "
            f"AppTest.from_file({str(APP)!r}, default_timeout=60).run(); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'librosa') if m in sys.modules))")
    env = {**__import__("os").environ, data_source.DEMO_SIZE_ENV: "3x6", loaders.NO_WARMUP_ENV: "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=str(APP.parent), timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_page_run_alone_is_sent_back_through_app(app_env, monkeypatch: pytest.MonkeyPatch):
    # a fresh server whose first request is a page URL runs the page file alone (pages/-folder
    # mode); layout.require_app() restarts that run through app.py (sidebar, navigation kept)
    monkeypatch.setattr(app_test_module, "PagesManager", PagesManager)  # AppTest's own behaviour
    at = _app()
    at.switch_page(layout.PAGE_DATASET).run()
    assert not at.exception
    assert at.title[0].value == "Dataset"
    assert len(at.sidebar.text_input) == 4   # folder, download target, split lists, artist index
    at.run()
    assert at.title[0].value == "Dataset" and len(at.sidebar.text_input) == 4


def test_download_button_shows_progress_and_remembers_folder(app_env, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch):
    import functools
    import hashlib
    import json
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from tests.test_download import _make_tar

    served = tmp_path / "srv"
    served.mkdir()
    archive = _make_tar(served / "genres.tar.gz")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        home = config.home_dir()
        home.mkdir(parents=True, exist_ok=True)
        entry = {"url": f"http://127.0.0.1:{httpd.server_address[1]}/genres.tar.gz",
                 "sha256": hashlib.sha256(archive.read_bytes()).hexdigest()}
        (home / "settings.json").write_text(json.dumps({"downloads": {"gtzan": entry}}))
        at = _app()
        at.sidebar.text_input(key="download_dir").set_value(str(tmp_path / "gtzan")).run()
        at.sidebar.button(key="download_gtzan").click().run()
        assert not at.exception and not at.error
        assert config.load_settings()["data_path"] == str(tmp_path / "gtzan" / "genres")
        assert [p.value for p in at.get("progress")][-1] == 100
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_artist_index_setting_validated(tmp_path: Path):
    assert "no such artist index" in sidebar.set_artists_file(str(tmp_path / "none.txt"))
    assert config.load_settings().get("artists_path") is None
    index = tmp_path / "GTZANindex.txt"
    index.write_text("reggae.00001.wav ::: Bob Marley ::: No Woman No Cry\n")
    assert sidebar.set_artists_file(str(index)) is None
    assert config.artists_path() == index
    assert sidebar.set_artists_file("") is None and config.artists_path() is None


def test_streamlit_settings_skip_the_full_collection_after_each_run():
    """.streamlit/config.toml turns off the garbage collection Streamlit forces after every run
    (~270 ms holding the GIL once TensorFlow is loaded; Listen live redraws several times a second)."""
    import tomllib

    settings = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml")
                             .read_text())
    assert settings["runner"]["postScriptGC"] is False


def test_upload_digest_is_computed_once_per_upload(monkeypatch: pytest.MonkeyPatch):
    """A page rerun does not hash an upload's bytes again; another upload gets its own digest."""
    import hashlib
    from types import SimpleNamespace

    hashed: list[int] = []
    real = hashlib.sha1
    monkeypatch.setattr(hashlib, "sha1", lambda data=b"": hashed.append(len(data)) or real(data))
    loaders._upload_sha1.clear()
    first = SimpleNamespace(file_id="a1", getvalue=lambda: b"clip one")
    second = SimpleNamespace(file_id="b2", getvalue=lambda: b"clip two")
    assert loaders.upload_sha1(first) == real(b"clip one").hexdigest()
    assert loaders.upload_sha1(first) == real(b"clip one").hexdigest()   # a rerun
    assert loaders.upload_sha1(second) == real(b"clip two").hexdigest()
    assert hashed == [8, 8]


def test_split_lists_are_read_once_until_they_change(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    """Every page shows where the split lists stand: the three lists are read once, not on every
    run, and read again when one of them changes."""
    import os

    from core.data import splits

    for side in ("train", "valid", "test"):
        (tmp_path / f"{side}_filtered.txt").write_text(f"blues/blues.0000{len(side)}.wav\n")
    assert sidebar.set_splits_folder(str(tmp_path)) is None
    reads: list[str] = []
    real = splits.read_split_lists
    monkeypatch.setattr(splits, "read_split_lists", lambda f: reads.append(str(f)) or real(f))
    data_source._lists_readable.clear()
    for _ in range(3):
        assert data_source.splits_folder() == tmp_path
        assert "both split protocols" in data_source.splits_text()
    assert len(reads) == 1
    broken = tmp_path / "test_filtered.txt"
    broken.write_text("not a track\n")
    os.utime(broken, (broken.stat().st_atime, broken.stat().st_mtime + 5))
    assert data_source.splits_folder() is None
    assert len(reads) == 2
