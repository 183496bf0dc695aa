"""The server's own start-up, for app.py's st.App: warm-up, its status route, the browser.

Imported when `streamlit run app.py` loads app.py as a module, before Streamlit's runtime
exists, so it imports pages.loaders (whose cached functions need the runtime) only inside the
functions, which run once the server is up.
"""

from __future__ import annotations

import asyncio
import contextlib
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

    loaders.start_warm_up()
    asyncio.get_running_loop().call_soon(open_browser)
    yield


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
