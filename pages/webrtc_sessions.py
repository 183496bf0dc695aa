"""Let Streamlit forget a visitor's session once they leave, although Listen live watched it.

streamlit-webrtc (0.79) starts one "ShutdownPolling" thread per stream, sink track and worker,
which checks every second, through a weak reference, whether the visitor's AppSession ended.
But its loop keeps the session it just checked in a local variable while it sleeps, so the
weak reference never dies: a session whose visitor left is kept for ever, with everything in
its session state (a clip's verdict, a report, the last 30 s heard) and its polling threads.
On the soak (bench/soak.py), every visitor who had listened live once stayed in memory, and the
server's memory grew by about 20 MB a visitor.

watch_sessions_weakly() replaces that loop with one that lets go of the session between
checks; what it checks and what it calls stay streamlit-webrtc's. Streamlit then drops a left
session when its own wait for a reconnection ends (two minutes), the weak reference dies, the
thread stops the stream's worker and ends.
"""

from __future__ import annotations

import logging
import weakref

_LOGGER = logging.getLogger(__name__)

#: seconds between two checks of one session (streamlit-webrtc's own period)
POLL_S = 1.0


def _poll_weakly(observer, app_session_ref: "weakref.ReferenceType",
                 initial_page_script_hash: str) -> None:
    """An observer's polling thread: until the session is gone, shut down or left for another
    page, check it every POLL_S seconds without holding it in between; then its callback
    (unless the observer was stopped)."""
    from streamlit_webrtc import shutdown
    from streamlit_webrtc._compat import AppSessionState

    while True:
        session = app_session_ref()
        if session is None or session._state == AppSessionState.SHUTDOWN_REQUESTED:
            break
        page = shutdown._get_current_page_script_hash(session) if initial_page_script_hash else ""
        if page and page != initial_page_script_hash:
            break
        del session   # the point of this module: no strong reference while waiting
        if observer._polling_thread_stop_event.wait(POLL_S):
            return
    observer._polling_thread_stop_event.set()
    try:
        observer._callback()
    except Exception:   # noqa: BLE001 - logged like streamlit-webrtc's own loop, never silenced
        _LOGGER.exception("Error in streamlit-webrtc's shutdown callback")


def watch_sessions_weakly() -> bool:
    """Make every streamlit-webrtc shutdown observer started from now on poll its session
    weakly (see the module's docstring); True once in place. Idempotent."""
    from streamlit_webrtc import shutdown

    shutdown.SessionShutdownObserver._polling_thread_impl = _poll_weakly
    return shutdown.SessionShutdownObserver._polling_thread_impl is _poll_weakly
