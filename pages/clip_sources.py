"""Where Try it's clip comes from: an upload, one of the two recorders, a synthetic example, or
what Listen live kept (pages.live)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import constants
from core.constants import GENRES
from core.data.audio import AudioError
from core.data.recording import as_heard
from core.prediction.catalogue import ModelEntry, available_models
from pages import layout

RECORD_RATE: int = 22050  #: Hz, asked of st.audio_input (GTZAN's rate)
#: s of quiet after which the button recorder stops by itself
BUTTON_PAUSE_S: float = 3.0
SOURCES: dict[str, str] = {
    "upload": "Upload files",
    "mic": "Record in the browser",
    "button": "Record with a button",
    "example": "Synthetic example",
    "live": "Listen live",
}


def clip_input(models: list[ModelEntry] | None = None) -> tuple[bytes | np.ndarray | list | None, str]:
    """The clip chosen by the user (bytes or samples at 22050 Hz) and a name for it, or None;
    several uploaded files (or a zip) come back as the list of files, named "batch"; listening
    live (pages.live) gives the last 30 s once the user keeps them."""
    from pages import live

    source = st.radio("Where does the clip come from?", list(SOURCES), format_func=SOURCES.get,
                      horizontal=True, key="tryit_source")
    if source == "live":
        return live.live_input(list(models) if models is not None else list(available_models()))
    live.release()
    if source == "upload":
        limit_mb = max(1, constants.MAX_UPLOAD_BYTES // 2**20)
        files = st.file_uploader(
            "Audio files (wav, mp3, ogg, flac or au; any sample rate, mono or stereo), several "
            "at once, or a zip of them", type=layout.UPLOAD_TYPES + ["zip"],
            accept_multiple_files=True, key="tryit_upload", max_upload_size=limit_mb)
        if not files:
            return None, ""
        if len(files) > 1 or files[0].name.lower().endswith(".zip"):
            return files, "batch"
        file = files[0]
        refusal = too_large_message(file.size)
        if refusal:
            st.error(refusal)
            return None, ""
        return file.getvalue(), file.name
    if source == "mic":
        recording = st.audio_input("Record at least 3 s of music (click the microphone, then stop)",
                                   sample_rate=RECORD_RATE, key="tryit_mic")
        return heard(recording.getvalue()) if recording is not None else (None, "")
    if source == "button":
        from pages.recorder import audio_recorder

        st.caption(f"Click the microphone to start; recording stops after {BUTTON_PAUSE_S:.0f} s "
                   "of quiet, or when you click it again.")
        # no sample_rate: the recorder then records at the browser's own rate (as_heard resamples);
        # a fixed rate makes Firefox refuse the microphone ("Connecting AudioNodes from
        # AudioContexts with different sample-rate is currently not supported")
        data, empty = audio_recorder(text="Click to record", pause_threshold=BUTTON_PAUSE_S,
                                     key="tryit_button")
        if empty:
            st.info("The recorder stopped before it heard anything (the microphone was still "
                    "starting). Click it again to record.", icon=":material/mic:")
        return heard(data) if data else (None, "")
    from core.data.demo_styles import synth_clip

    c1, c2 = st.columns(2)
    genre = c1.selectbox("Style", GENRES, key="tryit_example_genre")
    index = int(c2.number_input("Example number", 0, 999, 100, key="tryit_example_index"))
    st.caption("A clip synthesised by GenreLab in this style (not a recording; the demo set's "
               "generator). Numbers from 100 up are not in the demo set the models may have seen.")
    return synth_clip(genre, index, seconds=15.0), f"synthetic {genre} #{index}"


def heard(data: bytes) -> tuple[np.ndarray | None, str]:
    """A recorder's take as the models hear it (core.data.recording.as_heard: both recorders
    give them the same signal), with a warning when it clipped; (None, "") with the reason when
    it cannot be used."""
    try:
        take = as_heard(data)
    except AudioError as exc:
        st.error(f"The recording cannot be used: {exc.reason}")
        return None, ""
    if take.did_clip:
        st.warning(f"The recording clipped: {take.clipped:.1%} of its samples hit full scale, a "
                   "distortion the models may hear as another genre. Turn the music or the "
                   "microphone's level down and record again.", icon=":material/graphic_eq:")
    return take.samples, "the recording"


def too_large_message(n_bytes: int) -> str | None:
    """The refusal text for an upload over MAX_UPLOAD_BYTES bytes, else None."""
    limit = constants.MAX_UPLOAD_BYTES
    if n_bytes > limit:
        return (f"This file is {n_bytes / 2**20:.1f} MB; files up to {limit / 2**20:.0f} MB "
                "are accepted. Cut it shorter (30 s is plenty) and try again.")
    return None
