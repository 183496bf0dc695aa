"""The server's own start-up, for app.py's st.App: warm-up, its status route, the browser,
Keras kept out of Streamlit's per-run reset (keep_keras_state), and the SRTP library loaded
before TensorFlow (load_srtp_first).

Imported when `streamlit run app.py` loads app.py as a module, before Streamlit's runtime
exists, so it imports pages.loaders (whose cached functions need the runtime) only inside the
functions, which run once the server is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
import webbrowser
from collections.abc import AsyncIterator

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse

def load_srtp_first() -> None:
    """Load pylibsrtp (Listen live's SRTP, through aiortc) now, before anything loads TensorFlow.
    Loaded after TensorFlow, its OpenSSL binding crashes the process (a segmentation fault, seen
    with tensorflow-cpu 2.21.0 and pylibsrtp 1.0.0): a visitor choosing Listen live once the warm-up
    had loaded the models would have taken the server down for everyone. ~20 ms."""
    importlib.import_module("pylibsrtp")


load_srtp_first()   # at import: app.py imports this module before the warm-up starts

#: URL path of the warm-up's state, as JSON (served by app.py's st.App beside the pages)
WARM_UP_ROUTE = "/genrelab/warm-up"


@contextlib.asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """The server's start-up and shut-down (st.App lifespan): start the warm-up at once, then
    open a browser on the app unless the server is headless, as `streamlit run` does."""
    from pages import loaders

    keep_keras_state()
    loaders.start_warm_up()
    asyncio.get_running_loop().call_soon(open_browser)
    yield


def _close_figures_only() -> None:
    """Streamlit's after-run clean-up without its Keras part: close pyplot's figures."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - as Streamlit's own clean-up: never break the app
            pass


def keep_keras_state() -> bool:
    """Stop Streamlit from resetting Keras after every script run; True when done.

    THE ONE PATCH OF STREAMLIT'S INTERNALS IN GENRELAB (no option turns this off: see
    streamlit/runtime/scriptrunner/script_runner.py, _clean_problem_modules, 1.67). After every
    run of every session, once Keras is imported, Streamlit calls keras.backend.clear_session():
    a full gc.collect() and a reset of TensorFlow's graph and kernel cache (about a quarter of a
    busy server's time), and a reset of Keras' layer-name counters in every thread, so a model
    being built in another session then fails with 'The name "reshape" is used 2 times in the
    model'. GenreLab builds its models once per server (core.models.musicnn_net, the cache of
    core.models.loading) and never relies on that reset; the pyplot half of the clean-up is kept.
    The reset also cleared TensorFlow's kernel cache (each network's next call 4-6 times slower)
    and held the GIL ~250 ms, so Listen live's event loop fell behind and its WebRTC connection
    expired. When a later Streamlit renames the function, nothing is patched and the server logs
    a warning.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        logging.getLogger(__name__).warning(
            "Streamlit has no script_runner._clean_problem_modules any more: Keras may be reset "
            "after every script run")
        return False
    script_runner._clean_problem_modules = _close_figures_only
    return True


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
