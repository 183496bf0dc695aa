"""The server's own start-up, for app.py's st.App: warm-up, its status route, the browser, and
Keras's state kept between script runs.

Imported when `streamlit run app.py` loads app.py as a module, before Streamlit's runtime
exists, so it imports pages.loaders (whose cached functions need the runtime) only inside the
functions, which run once the server is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import webbrowser
from collections.abc import AsyncIterator

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse

#: URL path of the warm-up's state, as JSON (served by app.py's st.App beside the pages)
WARM_UP_ROUTE = "/genrelab/warm-up"


@contextlib.asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """The server's start-up and shut-down (st.App lifespan): start the warm-up at once, then
    open a browser on the app unless the server is headless, as `streamlit run` does."""
    from pages import loaders

    keep_keras_between_runs()
    loaders.start_warm_up()
    asyncio.get_running_loop().call_soon(open_browser)
    yield


def keep_keras_between_runs() -> bool:
    """Stop Streamlit from resetting Keras after every script run; True when it was stopped.

    After each run (a fragment's included) Streamlit calls keras.backend.clear_session() when
    Keras is imported (script_runner._clean_problem_modules), for scripts that build models.
    GenreLab keeps its loaded models in a cache instead, and the reset cost ~250 ms holding the
    GIL (a full garbage collection) and cleared TensorFlow's kernel cache, so the next call of
    each network was 4-6 times slower. Listen live redraws several times a second: the server's
    event loop, which carries the WebRTC audio, fell seconds behind and the connection expired.
    Closing matplotlib's figures, the hook's other task, is kept.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if not hasattr(script_runner, "_clean_problem_modules"):
        return False
    script_runner._clean_problem_modules = _close_matplotlib_figures
    return True


def _close_matplotlib_figures() -> None:
    """Close pyplot's figures after a run, when pyplot is imported (what Streamlit does too)."""
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


async def warm_up_status(_request: Request) -> JSONResponse:
    """The warm-up's state as JSON (core.prediction.warmup.WarmUp.status; {"enabled": false} when off)."""
    from pages import loaders

    job = loaders.start_warm_up()
    if job is None:
        return JSONResponse({"enabled": False, "done": True, "steps": []})
    return JSONResponse({"enabled": True, **job.status()})


def open_browser() -> None:
    """Open the app in the default browser, unless server.headless is set (no display)."""
    if st.get_option("server.headless"):
        return
    base = st.get_option("server.baseUrlPath").strip("/")
    address = st.get_option("browser.serverAddress") or "localhost"
    url = f"http://{address}:{st.get_option('server.port')}/{base}"
    webbrowser.open(url)
