"""The button recorder's first take: the component's one-time microphone check is
switched off in a served copy of its build, which also asks for the microphone unprocessed, and an
empty take is never passed on as a clip."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from pages import recorder


def test_the_served_build_records_a_silent_first_buffer(tmp_path: Path) -> None:
    import audio_recorder_streamlit

    original = next((Path(audio_recorder_streamlit.__file__).parent / "frontend" / "build" /
                     "static" / "js").glob("main.*.chunk.js")).read_text(encoding="utf-8")
    assert recorder.BUG in original   # the package as installed stops on a silent first buffer
    build = recorder.patched_build(tmp_path / "build")
    assert build is not None and (build / "index.html").is_file()
    script = next((build / "static" / "js").glob("main.*.chunk.js")).read_text(encoding="utf-8")
    assert recorder.BUG not in script and script.count(recorder.FIX) == 1
    # and it asks for the microphone without the browser's voice processing, as st.audio_input
    assert recorder.ASK in original and recorder.ASK not in script
    assert script.count(recorder.ASK_RAW) == 1
    restored = script.replace(recorder.FIX, recorder.BUG).replace(recorder.ASK_RAW, recorder.ASK)
    assert restored == original                                      # nothing else changed
    assert recorder.patched_build(tmp_path / "build") == build       # reused, not copied again


def test_an_empty_take_is_not_a_clip() -> None:
    header_only = io.BytesIO()
    sf.write(header_only, np.zeros((0, 2), np.float32), 48000, format="WAV", subtype="PCM_16")
    assert recorder.take(header_only.getvalue()) is None
    assert recorder.take(None) is None and recorder.take(b"") is None
    full = io.BytesIO()
    sf.write(full, np.zeros((4800, 2), np.float32), 48000, format="WAV", subtype="PCM_16")
    assert recorder.take(full.getvalue()) == full.getvalue()
