"""The real server: `streamlit run app.py` starts the warm-up when the server starts, before any
browser has opened a page, and serves its state at /genrelab/warm-up (no browser needed here)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

from pages import server
from pages import loaders
from harness import server as live_server

WARM_UP_WAIT_S = 180.0   #: longest wait for the first warm-up step to finish, s


def get(url: str) -> tuple[int, bytes]:
    """Status and body of a GET."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read()


def test_warm_up_starts_with_the_server(isolated_dirs: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != loaders.NO_WARMUP_ENV}
    with live_server.serve(isolated_dirs / "streamlit.log", env) as url:
        # no page has been opened: only the server's own start-up can have begun the warm-up
        deadline, status = time.monotonic() + WARM_UP_WAIT_S, {}
        while time.monotonic() < deadline:
            status = json.loads(get(url + server.WARM_UP_ROUTE)[1])
            steps = status["steps"]
            if steps and steps[0]["name"] != "the list of models" and steps[0]["state"] != "running":
                break
            time.sleep(0.5)
        assert status["enabled"] is True, status
        first = status["steps"][0]
        assert first["state"] == "done", status                 # a shipped model, scored once
        assert any(s["name"] == "TensorFlow" for s in status["steps"]), status
        code, page = get(url + "/try_it")                        # the pages are still served
        assert code == 200 and b"<html" in page.lower()


def test_warm_up_can_be_switched_off(isolated_dirs: Path) -> None:
    env = {**os.environ, loaders.NO_WARMUP_ENV: "1"}
    with live_server.serve(isolated_dirs / "streamlit.log", env) as url:
        assert json.loads(get(url + server.WARM_UP_ROUTE)[1]) == {
            "enabled": False, "done": True, "steps": []}


def test_streamlit_no_longer_resets_keras_after_each_run(monkeypatch) -> None:
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_clean_problem_modules",
                        script_runner._clean_problem_modules)   # restored after the test
    assert server.keep_keras_state() is True
    assert script_runner._clean_problem_modules is server._close_figures_only
    script_runner._clean_problem_modules()                      # runs: pyplot only
    monkeypatch.delattr(script_runner, "_clean_problem_modules")
    assert server.keep_keras_state() is False                   # a renamed internal: no patch


def test_the_server_skips_the_gc_after_every_run() -> None:
    import tomllib

    config = tomllib.loads((live_server.ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
