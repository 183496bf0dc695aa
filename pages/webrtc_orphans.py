"""Reset Listen live's stream only when its component really left the page.

streamlit-webrtc (0.79) resets a stream's context (stops its worker, forgets the SDP answer) when
it believes the component was not drawn in one or more whole runs of the script: a visitor who
left the page and came back has a fresh component, and the old worker would collide with its new
offer. It decides so from Streamlit's run count: the count now against the count when the
component was last drawn. But Streamlit adds one to that count when its event loop *sends* a run's
"finished" message, while the next run may already have started on the script thread and read the
count: under load a run reads a count that lags by one, a later run then sees a jump of two,
although the component was drawn in every run, and the stream is reset in the middle of its
handshake. The browser shows Stop, then Start again, and nothing plays.

This module counts on the script thread instead. app.frame says when a whole run of a page starts
(run_started) and when it completed (run_completed: a run stopped early for a rerun leaves the
page's elements where they are, so it does not count); Listen live says when it draws a stream
(before_draw). A stream is left when a run of another page started, or a whole run completed
without drawing it; drawing a stream that was left resets it as streamlit-webrtc would, and
otherwise its own, racy check is disarmed for that run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

STATE_KEY = "webrtc_orphans"   #: session-state key of this session's Presence


@dataclass
class Presence:
    """Which streams this session's runs drew, and where (one per session, in session state)."""

    page: str = ""                                             #: the page of the run now
    drawn_on: dict[str, str] = field(default_factory=dict)    #: stream key -> page it was on
    drawn_now: set[str] = field(default_factory=set)          #: streams drawn by the run now
    left: set[str] = field(default_factory=set)               #: streams whose component is gone


def presence() -> Presence:
    """This session's Presence (created on first use)."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = Presence()
    return st.session_state[STATE_KEY]


def run_started(page: str) -> None:
    """A whole run of page (its url path) starts: streams drawn on another page are left."""
    seen = presence()
    seen.page = page
    seen.drawn_now = set()
    seen.left |= {key for key, on in seen.drawn_on.items() if on != page}


def run_completed() -> None:
    """The whole run completed (not stopped for a rerun): streams it did not draw are gone from
    the visitor's page."""
    seen = presence()
    seen.left |= set(seen.drawn_on) - seen.drawn_now


def before_draw(key: str) -> bool:
    """Call just before webrtc_streamer(key=key): reset the stream's context if its component was
    left (True), else disarm streamlit-webrtc's run-count check for this run (False)."""
    from streamlit_webrtc import component

    seen = presence()
    was_left = key in seen.left
    seen.left.discard(key)
    seen.drawn_now.add(key)
    seen.drawn_on[key] = seen.page
    context = st.session_state.get(key)
    if context is None:
        return False
    if was_left:
        component._reset_context(context)
    context._last_rendered_run_count = None   # streamlit-webrtc skips its check when unknown
    return was_left
