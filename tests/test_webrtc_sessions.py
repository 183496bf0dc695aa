"""pages/webrtc_sessions: a session that Listen live watched is let go once its visitor left."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from types import SimpleNamespace

import pytest

pytest.importorskip("streamlit_webrtc")

from streamlit_webrtc._compat import AppSessionState  # noqa: E402
from streamlit_webrtc.shutdown import SessionShutdownObserver  # noqa: E402

from pages import webrtc_sessions  # noqa: E402


class FakeSession:
    """What the observer reads of a Streamlit AppSession."""

    def __init__(self, page: str = "page-a") -> None:
        self._state = AppSessionState.APP_IS_RUNNING
        self._client_state = SimpleNamespace(page_script_hash=page)
        self.id = "fake"


def watch(session: FakeSession, page: str = "page-a") -> tuple[SessionShutdownObserver,
                                                               threading.Thread, list[str]]:
    """An observer of session polling in its thread, as streamlit-webrtc starts one; the list
    records its callback's calls."""
    called: list[str] = []
    observer = SessionShutdownObserver.__new__(SessionShutdownObserver)
    observer._polling_thread_stop_event = threading.Event()
    observer._stop_lock = threading.Lock()
    observer._callback = lambda: called.append("stopped")
    thread = threading.Thread(target=observer._polling_thread_impl, daemon=True, kwargs={
        "app_session_ref": weakref.ref(session), "initial_page_script_hash": page})
    observer._polling_thread = thread
    thread.start()
    return observer, thread, called


def ended(thread: threading.Thread, timeout_s: float = 5.0) -> bool:
    """Whether the thread ends within timeout_s, collecting garbage meanwhile."""
    end = time.monotonic() + timeout_s
    while thread.is_alive() and time.monotonic() < end:
        gc.collect()
        thread.join(0.1)
    return not thread.is_alive()


@pytest.fixture(autouse=True)
def weakly() -> None:
    assert webrtc_sessions.watch_sessions_weakly()
    assert webrtc_sessions.watch_sessions_weakly()   # twice: still in place


def test_a_left_session_is_collected_and_its_worker_stopped() -> None:
    session = FakeSession()
    gone = weakref.ref(session)
    _, thread, called = watch(session)
    time.sleep(0.2)   # the thread has checked the session at least once
    del session       # Streamlit forgets the visitor who left
    assert ended(thread), "the polling thread kept the session alive"
    assert gone() is None and called == ["stopped"]


def test_shutdown_and_page_change_stop_the_worker_and_stop_cancels_it() -> None:
    session = FakeSession()
    _, thread, called = watch(session)
    session._state = AppSessionState.SHUTDOWN_REQUESTED
    assert ended(thread) and called == ["stopped"]
    other = FakeSession()
    _, thread, called = watch(other)
    other._client_state.page_script_hash = "page-b"   # the visitor went to another page
    assert ended(thread) and called == ["stopped"]
    kept = FakeSession()
    observer, thread, called = watch(kept)
    observer.stop()
    assert ended(thread) and called == []
