"""Try it's "Listen live": the microphone streams to the server (streamlit-webrtc, aiortc) and the
genre follows the music as it plays.

The engine is core.prediction.live (no Streamlit): this module only wires the WebRTC stream into a live
session, draws the answer and the timeline (core.report.live_figures), and offers to keep the last 30 s
for the full analysis of Try it. Nothing here writes to disk (viewer mode included): the kept
clip lives in the session's memory.
"""

from __future__ import annotations

import os
import uuid
from functools import partial

import numpy as np
import streamlit as st

from core.prediction import live, live_plan
from core.constants import SAMPLE_RATE
from core.report.figures import genre_color
from core.report.live_figures import live_timeline
from pages import layout

STREAM_KEY = "tryit_live_stream"        #: key of the webrtc_streamer
ANSWER_REFRESH_S = 0.25                 #: s between redraws of the big answer while listening
TIMELINE_REFRESH_S = 1.0                #: s between redraws of the timeline while listening
#: env: comma-separated STUN/TURN urls for the WebRTC connection (none by default: a browser on
#: the same machine or network reaches the server directly, and nothing is asked of outside hosts)
ICE_ENV = "GENRELAB_ICE_SERVERS"
CLIP_KEY = "tryit_live_clip"            #: session-state key of the kept clip (samples, 22050 Hz)
#: session-state key of the labels of the models asked about the kept clip (None: all)
SUBSET_KEY = "tryit_live_subset"
HEARD_KEY = "tryit_live_heard"          #: session-state key of the last live session (after Stop)
KEEP_MIN_S = 3.0                        #: s of sound heard before the last 30 s can be kept
#: The microphone probe: whether this browser can lend a microphone at all (st.components.v2).
PROBE_JS = """
export default function(component) {
    const { setStateValue } = component;
    async function probe() {
        const media = navigator.mediaDevices;
        if (!window.isSecureContext || !media || !media.getUserMedia) {
            setStateValue('mic', 'unsupported');
            return;
        }
        let permission = 'unknown';
        try {
            const status = await navigator.permissions.query({ name: 'microphone' });
            permission = status.state;
            status.onchange = () => probe();
        } catch (e) { /* Firefox, Safari: no permission query for the microphone */ }
        if (permission === 'denied') {
            setStateValue('mic', 'denied');
            return;
        }
        try {
            const devices = await media.enumerateDevices();
            if (!devices.some((d) => d.kind === 'audioinput')) {
                setStateValue('mic', 'none');
                return;
            }
        } catch (e) { /* unknown: let the stream itself ask */ }
        setStateValue('mic', permission === 'granted' ? 'ok' : 'ask');
    }
    probe();
}
"""
NO_MIC: dict[str, str] = {
    "unsupported": "This browser does not lend this page a microphone (it needs an https address "
                   "or localhost, and a browser with WebRTC).",
    "denied": "The browser refused this page the microphone. Allow it in the address bar's "
              "site settings, then reload.",
    "none": "No microphone was found on this device.",
}


@st.cache_resource
def _probe_component():
    """The registered microphone probe (once per server)."""
    return st.components.v2.component("genrelab_mic_probe", js=PROBE_JS)


def mic_state() -> str:
    """What the browser says of its microphone: ok, ask, denied, none, unsupported, or unknown
    (before the probe answered)."""
    result = _probe_component()(key="tryit_mic_probe", on_mic_change=lambda: None)
    return str(getattr(result, "mic", None) or "unknown")


def session_key() -> str:
    """This browser session's key in the live registry (one live listener per session)."""
    if "tryit_live_key" not in st.session_state:
        st.session_state["tryit_live_key"] = uuid.uuid4().hex
    return st.session_state["tryit_live_key"]


def ice_servers() -> list[dict]:
    """The WebRTC ICE servers (GENRELAB_ICE_SERVERS, none by default)."""
    urls = [u.strip() for u in os.environ.get(ICE_ENV, "").split(",") if u.strip()]
    return [{"urls": [u]} for u in urls]


def _push(key: str, frame) -> None:
    """The WebRTC sink's callback (aiortc's event loop): one audio frame into the live session."""
    session = live.session(key)
    if session is not None:
        session.push_frame(frame)


def _choose(source: str) -> None:
    """Switch Try it's source (a button's callback, before the radio is drawn again)."""
    st.session_state["tryit_source"] = source


def offer_recorders(reason: str) -> None:
    """Say why live listening cannot start, and offer Try it's recorders instead."""
    st.warning(reason, icon=":material/mic_off:")
    c1, c2, c3 = st.columns(3)
    c1.button("Record in the browser instead", on_click=_choose, args=("mic",),
              key="tryit_live_to_mic")
    c2.button("Record with a button instead", on_click=_choose, args=("button",),
              key="tryit_live_to_button")
    c3.button("Upload a file instead", on_click=_choose, args=("upload",),
              key="tryit_live_to_upload")


def release() -> None:
    """Stop this session's live listening, if any (Try it's source changed away from live)."""
    if "tryit_live_key" in st.session_state:
        live.stop(st.session_state["tryit_live_key"])
    st.session_state.pop(HEARD_KEY, None)


def plan_text(plan: live_plan.LivePlan) -> str:
    """Which models answer live, which warm up, and which wait for the last 30 s (markdown)."""
    parts = []
    if plan.live:
        parts.append("**Answering live:** " + ", ".join(
            f"{e.label} ({ms:.0f} ms)" if (ms := live_plan.live_ms(e)) is not None else e.label
            for e in plan.live))
    if plan.warming:
        parts.append("**Loading, then live:** " + ", ".join(e.label for e in plan.warming))
    if plan.slow:
        parts.append("**On demand, on the last 30 s:** " + ", ".join(
            f"{e.label} ({why})" for e, why in plan.slow))
    return "  \n".join(parts)


def show_answer(key: str) -> None:
    """The current answer, large, how fresh it is, and the server's count of live tasks (always
    the same three elements, so a redraw replaces them in place)."""
    session = live.session(key)
    latest = session.latest if session is not None else None
    with st.container(key="live_answer", border=True):
        if session is None:
            big, colour = "not listening", "#888"
            detail = "Press **Start listening** above."
        elif latest is None or latest.genre is None:
            big, colour = "listening…", "#888"
            detail = (latest.note if latest is not None else
                      f"{session.heard_s:.1f} s heard, {live.LISTEN_S:g} s needed")
        else:
            big, colour = latest.genre, genre_color(latest.genre)
            detail = (f"Now: **{latest.genre}** – the answer of {latest.leader or 'the models'}"
                      f" (the rule of uploads: the most trusted model that knows every genre); "
                      f"{agree_text(latest.agree, latest.able)}; answered "
                      f"{latest.delay_s * 1e3:.0f} ms after the window's last sound arrived.")
        st.markdown(f"<div style='font-size:3.4rem;font-weight:700;line-height:1.1;"
                    f"color:{colour}'>{big}</div>", unsafe_allow_html=True)
        st.caption(detail)
        st.caption(f"Live tasks on this server: {live.live_task_count()}")


def agree_text(agree: int, able: int) -> str:
    """"2 of 3 live models that can answer it agree" (the answering model included)."""
    verb = "agrees" if agree == 1 or able == 1 else "agree"
    return (f"{agree} of {able} live model{'s' if able != 1 else ''} that can answer it "
            f"{verb}")


def show_timeline(key: str) -> None:
    """The last minute: each live model's genre per window and the headline."""
    session = live.session(key)
    if session is None:
        return
    answers = session.history()
    plan = live_plan.plan(session.models)   # once a refresh: the labels and the caption agree
    labels = [e.label for e in plan.live]
    labels += sorted({m for a in answers for m in a.by_model} - set(labels))
    layout.plot(live_timeline(answers, labels), key="tryit_live_timeline")
    st.caption(plan_text(plan))
    if session.dropped:
        n = session.dropped
        st.caption(f"{n} half-second{'s were' if n != 1 else ' was'} skipped while the server "
                   "was busy (the newest sound is always scored first).")


def live_input(models: list) -> tuple[np.ndarray | None, str]:
    """The "Listen live" source: the stream, its answer and timeline; returns the kept clip (the
    last 30 s, samples at 22050 Hz) and its name once asked for, else (None, "")."""
    from streamlit_webrtc import WebRtcMode, create_audio_sink_track, webrtc_streamer

    from pages.webrtc_orphans import before_draw
    from pages.webrtc_sessions import watch_sessions_weakly

    watch_sessions_weakly()   # else a visitor who listened is never forgotten once gone
    state = mic_state()
    if state in NO_MIC:
        release()
        offer_recorders(NO_MIC[state])
        return kept_clip()
    key = session_key()
    sink = create_audio_sink_track(lambda frame: _push(key, frame), key=STREAM_KEY,
                                   on_ended=lambda: live.stop(key))
    before_draw(STREAM_KEY)   # reset only if the component left the page (pages.webrtc_orphans)
    ctx = webrtc_streamer(
        key=STREAM_KEY, mode=WebRtcMode.SENDONLY, sink_audio_track=sink,
        rtc_configuration={"iceServers": ice_servers()},
        media_stream_constraints={"video": False, "audio": {
            "echoCancellation": False, "noiseSuppression": False, "autoGainControl": False}},
        translations={"start": "Start listening", "stop": "Stop"})
    st.caption("Press **Start listening** and play music near the microphone: every "
               f"{live.HOP_S:g} s the newest {live.LISTEN_S:g} s are classified by the models "
               "fast enough to keep up. No microphone, or the browser refuses it? Use "
               "*Record in the browser* or *Record with a button* above instead.")
    playing = ctx.state.playing or ctx.state.signalling
    if playing and live.session(key) is None:
        try:
            live.start(key, models)
        except live.LiveBusy as exc:
            st.warning(str(exc))
    elif not playing:
        live.stop(key)
    session = live.session(key)
    if session is not None:
        st.session_state[HEARD_KEY] = session   # kept after Stop: its last 30 s can be kept
    if session is not None and session.error:
        st.warning(f"Live listening stopped: {session.error}")
    # the fragments redraw themselves only once the stream plays: while it is set up,
    # streamlit-webrtc reruns the whole page (offer, then answer), and a fragment's redraw landing
    # among those runs broke the visitor's page ("Bad delta path index"; bench/soak.py --shots)
    refresh = ctx.state.playing and session is not None
    st.fragment(partial(show_answer, key), run_every=ANSWER_REFRESH_S if refresh else None)()
    st.fragment(partial(show_timeline, key),
                run_every=TIMELINE_REFRESH_S if refresh else None)()
    # redrawn with the timeline while listening: they enable as soon as KEEP_MIN_S are heard
    st.fragment(partial(keep_controls, models),
                run_every=TIMELINE_REFRESH_S if refresh else None)()
    return kept_clip()


def keep_controls(models: list) -> None:
    """"Keep this" and "Ask the slower models": the last 30 s heard (also after Stop: the
    stopped session keeps its audio) go to the full analysis, once KEEP_MIN_S were heard."""
    session = st.session_state.get(HEARD_KEY)
    heard = session.last(live.KEEP_S) if session is not None else None
    can_keep = heard is not None and heard.size >= KEEP_MIN_S * SAMPLE_RATE
    plan = live_plan.plan(models)
    slow = [e.label for e, _ in plan.slow] + [e.label for e in plan.warming]
    c1, c2 = st.columns(2)
    keep = c1.button("Keep this: analyse the last 30 s with every model", disabled=not can_keep,
                     key="tryit_live_keep", icon=":material/bookmark_add:")
    ask = c2.button("Ask the slower models about the last 30 s",
                    disabled=not (can_keep and slow), key="tryit_live_slow",
                    icon=":material/hourglass_top:")
    if not can_keep:
        st.caption(f"Both buttons wake up once {KEEP_MIN_S:g} s have been heard.")
    if keep or ask:
        st.session_state[CLIP_KEY] = heard
        st.session_state[SUBSET_KEY] = slow if ask else None
        st.rerun(scope="app")   # the whole page analyses the kept clip


def kept_clip() -> tuple[np.ndarray | None, str]:
    """The clip kept from live listening, and its name, or (None, "")."""
    clip = st.session_state.get(CLIP_KEY)
    if clip is None:
        return None, ""
    return clip, f"the last {clip.size / SAMPLE_RATE:.0f} s heard live"


def chosen_models(models: list) -> list:
    """The models to run on the kept clip: every one, or the slower ones when those were asked."""
    subset = st.session_state.get(SUBSET_KEY)
    if not subset:
        return models
    return [m for m in models if m.label in subset] or models
