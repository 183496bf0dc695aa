"""The button recorder of Try it: audio-recorder-streamlit 0.0.8 with its first-take bug fixed.

The component checks the very first audio buffer it gets once: when the samples sum to exactly
zero it decides the microphone is broken and stops at once, sending a WAV with no samples
("recording.wav cannot be used: the file holds no audio samples"). A microphone that has just
been opened often delivers a silent first buffer, and the flag that runs the check is never reset,
so the first take failed and the second worked. Here the component is served from a copy of its
build with the check switched off (the flag starts as "already tested"); a silent take still gets
GenreLab's own message. The copy also asks the browser for the microphone without its voice
processing (echo cancellation, noise suppression, automatic gain), as st.audio_input does: with
it, the same music came back 3x louder, clipped, and was heard as another genre. Should the
package change so that the patch no longer applies, the
original component is used, and an empty take asks the user to record again.
"""

from __future__ import annotations

import json
import shutil
from functools import lru_cache
from pathlib import Path

import streamlit.components.v1 as components

from core import config

BUG = "n.tested=!1"     #: the minified start value of the component's one-time microphone check
FIX = "n.tested=!0"     #: ... set to "already checked", so a silent first buffer is recorded
#: The component's microphone request: the browser's voice processing on (echo cancellation,
#: noise suppression, automatic gain: a take 3x louder, clipping, unlike the music played) ...
ASK = "getUserMedia({audio:!0,video:!1})"
#: ... asked without it, as st.audio_input and Listen live ask: the two recorders hear alike
ASK_RAW = ("getUserMedia({audio:{echoCancellation:!1,noiseSuppression:!1,autoGainControl:!1},"
           "video:!1})")
PATCH_VERSION = "2"     #: bumped when the patch changes, so a cached copy is made again
WAV_HEADER_BYTES = 44   #: a WAV of this size or less holds no samples


def patched_build(target: Path) -> Path | None:
    """A copy of the component's frontend build in target with the check switched off and the
    microphone asked for unprocessed; None when the package's build no longer holds the lines
    this patches."""
    import audio_recorder_streamlit

    source = Path(audio_recorder_streamlit.__file__).parent / "frontend" / "build"
    scripts = sorted((source / "static" / "js").glob("main.*.chunk.js"))
    if len(scripts) != 1:
        return None
    code = scripts[0].read_text(encoding="utf-8")
    if code.count(BUG) != 1 or code.count(ASK) != 1:
        return None
    stamp = target / ".patched-from"
    made = f"{scripts[0]} v{PATCH_VERSION}"
    if not (stamp.is_file() and stamp.read_text() == made):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.map"))
        main = target / "static" / "js" / scripts[0].name
        main.write_text(code.replace(BUG, FIX).replace(ASK, ASK_RAW), encoding="utf-8")
        stamp.write_text(made)
    return target


@lru_cache(maxsize=1)
def _component():
    """The declared component: the patched copy, else the package's own."""
    build = patched_build(config.cache_dir() / "audio_recorder_build")
    if build is None:
        from audio_recorder_streamlit import _audio_recorder

        return _audio_recorder
    return components.declare_component("audio_recorder", path=str(build))


def take(data: bytes | None) -> bytes | None:
    """A recording the page can use: None for none yet, or for an empty WAV (header only)."""
    if not data or len(data) <= WAV_HEADER_BYTES:
        return None
    return data


def audio_recorder(text: str, pause_threshold: float, key: str,
                   energy_threshold: float = 0.01) -> tuple[bytes | None, bool]:
    """The recorder's latest take as WAV bytes (None until there is one), and whether the latest
    take came back empty (the recorder stopped at once)."""
    raw = _component()(
        text=text, start_threshold=energy_threshold, end_threshold=energy_threshold,
        pause_threshold=pause_threshold, neutral_color="#8a8a8a", recording_color="#de1212",
        icon_name="microphone", icon_size="3x", sample_rate=None, key=key, default=None)
    data = bytes(json.loads(raw)) if raw else None
    return take(data), data is not None and take(data) is None
