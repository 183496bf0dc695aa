"""pages/webrtc_orphans: Listen live's stream is reset when its component left the page, and
never because Streamlit's run count lagged (the stream that never played, bench/soak.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("streamlit_webrtc")

from streamlit_webrtc import component  # noqa: E402
from streamlit_webrtc.component import WebRtcStreamerState  # noqa: E402

from pages import webrtc_orphans  # noqa: E402

KEY = "stream"
PLAYING = WebRtcStreamerState(playing=True, signalling=False)


class Worker:
    """What streamlit-webrtc's reset calls of a worker."""

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture()
def session(monkeypatch: pytest.MonkeyPatch) -> dict:
    """One visitor's session state, seen by both modules; Streamlit's run count is what
    `count` holds when a run reads it."""
    state: dict = {}
    count = {"now": 0}
    fake_st = SimpleNamespace(session_state=state)
    monkeypatch.setattr(component, "st", fake_st)
    monkeypatch.setattr(webrtc_orphans, "st", fake_st)
    monkeypatch.setattr(component, "get_this_session_info", lambda: object())
    monkeypatch.setattr(component, "get_script_run_count", lambda _info: count["now"])
    state["_count"] = count
    return state


def listening_run(state: dict, count_read: int, *, guarded: bool = True,
                  page: str = "try_it", completes: bool = True):
    """One whole run of Try it drawing the stream, Streamlit's run count read as count_read."""
    state["_count"]["now"] = count_read
    if guarded:
        webrtc_orphans.run_started(page)
        webrtc_orphans.before_draw(KEY)
    context = component._get_or_create_context(KEY)
    if guarded and completes:
        webrtc_orphans.run_completed()
    return context


def other_run(state: dict, page: str, *, completes: bool = True) -> None:
    """A whole run that does not draw the stream (another page, or another source on Try it)."""
    webrtc_orphans.run_started(page)
    if completes:
        webrtc_orphans.run_completed()


def playing_stream(state: dict, *, guarded: bool = True) -> tuple[object, Worker]:
    """A stream drawn in a run that read count 5, its worker running and the browser playing."""
    context = listening_run(state, 5, guarded=guarded)
    worker = Worker()
    context._set_worker(worker)
    context._set_state(PLAYING)
    return context, worker


def test_streamlit_webrtcs_own_check_resets_a_stream_when_the_run_count_lags(
        session: dict) -> None:
    """The premise (if streamlit-webrtc fixes it, pages.webrtc_orphans can go): run 1 read 5;
    run 2 started before run 1's "finished" was sent, so it read 5 too; run 3 reads 7. The
    component was drawn in every run, yet its stream is reset."""
    context, worker = playing_stream(session, guarded=False)
    listening_run(session, 5, guarded=False)
    listening_run(session, 7, guarded=False)
    assert worker.stopped and context._get_worker() is None


def test_a_lagging_run_count_leaves_a_drawn_stream_playing(session: dict) -> None:
    context, worker = playing_stream(session)
    listening_run(session, 5)
    assert listening_run(session, 7) is context
    assert not worker.stopped and context._get_worker() is worker and context.state.playing


def test_a_stream_whose_page_was_left_is_reset_when_drawn_again(session: dict) -> None:
    context, worker = playing_stream(session)
    other_run(session, "home", completes=False)   # even stopped early: the page changed
    assert webrtc_orphans.before_draw(KEY)
    assert worker.stopped and context._get_worker() is None and not context.state.playing
    assert not webrtc_orphans.before_draw(KEY)    # once


def test_a_completed_run_without_the_stream_resets_it_and_a_stopped_one_does_not(
        session: dict) -> None:
    context, worker = playing_stream(session)
    other_run(session, "try_it", completes=False)   # stopped for a rerun: the page kept it
    listening_run(session, 9)
    assert not worker.stopped and context._get_worker() is worker
    other_run(session, "try_it")                     # another source: the component is gone
    listening_run(session, 11)
    assert worker.stopped and context._get_worker() is None
