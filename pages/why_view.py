"""Try it's picture of the clip: its mel-spectrogram, and the 2D-CNN's occlusion map saying which
patches of a segment its answer rests on."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.constants import GENRES, SEGMENT_SECONDS
from core.prediction.catalogue import ModelEntry
from core.prediction.explain import occlusion_map
from core.prediction.gate import GATE
from core.prediction.pipeline import ClipPrediction
from core.report.figures import occlusion_overlay, spectrogram
from pages import layout


def show_why(prediction: ClipPrediction, models: list[ModelEntry]) -> None:
    """The clip's log-mel with the 2D-CNN's occlusion map for one segment."""
    cnn = [r for r in prediction.results if r.model == "cnn2d" and r.head == "softmax"]
    if not cnn or prediction.logmel is None or len(prediction.logmel) == 0:
        st.info("The 'why' view needs a 2D-CNN model; none is available. Train one on the "
                "Training console to see which parts of the spectrogram it relies on.")
        return
    entries = {(m.run_id, m.head): m for m in models}
    c1, c2 = st.columns(2)
    result = cnn[0]
    if len(cnn) > 1:
        labels = [r.label for r in cnn]
        result = cnn[labels.index(c1.selectbox("2D-CNN model", labels, key="tryit_why_model"))]
    n_seg = len(prediction.logmel)
    k = 0
    if n_seg > 1:
        k = c2.slider("Segment", 1, n_seg, 1, key="tryit_why_seg",
                      help="Each segment is 3 s of the clip") - 1
    seg_proba = result.segment_proba[k] if result.segment_proba is not None else result.clip_proba
    genre_index = int(np.argmax(seg_proba))
    key = ("tryit_occ", result.run_id, k, st.session_state.get("tryit_current"))
    if st.session_state.get("tryit_occ_key") != key:
        # after every queued verdict: other visitors' answers come before this explanation
        with st.spinner("Masking patches of the spectrogram one by one…"), GATE.slot(later=True):
            st.session_state["tryit_occ"] = occlusion_map(entries[(result.run_id, result.head)],
                                                          prediction.logmel[k], genre_index)
        st.session_state["tryit_occ_key"] = key
    genre = GENRES[genre_index]
    with GATE.slot(later=True):
        layout.plot(occlusion_overlay(
            prediction.logmel[k], st.session_state["tryit_occ"],
            title=f"Segment {k + 1} ({k * SEGMENT_SECONDS:.0f}–{(k + 1) * SEGMENT_SECONDS:.0f} "
                  f"s): where the 2D-CNN hears {genre}"), key="tryit_why_chart")
    st.caption(f"Grey: the segment's mel-spectrogram (low notes at the bottom, louder is "
               f"lighter). Colour: what blanking out a patch does to the 2D-CNN's probability "
               f"of **{genre}** – red where it falls (the patch supported {genre}), blue where "
               "it rises (the patch spoke against it); where the grey shows through, the patch "
               "made no difference. The scale is centred on zero.")


def show_spectrogram(logmel: np.ndarray) -> None:
    """The whole clip's mel-spectrogram (its 3-s segments side by side), drawn once no
    visitor's verdict is queued."""
    with GATE.slot(later=True):
        layout.plot(spectrogram(np.concatenate(list(logmel), axis=1), kind="mel",
                                title="Mel-spectrogram of the clip (dB)"), key="tryit_mel")
    st.caption("Time runs left to right, low notes at the bottom; brighter = louder. This is "
               "the picture the 2D-CNN looks at, one 3-s segment at a time.")


def clip_logmel(prediction: ClipPrediction, source: bytes | np.ndarray) -> np.ndarray:
    """Log-mel of each 3-s segment (n_seg, 128, 130) dB: the prediction's, else computed once."""
    if prediction.logmel is not None and len(prediction.logmel):
        return prediction.logmel
    key = ("tryit_logmel", st.session_state.get("tryit_current"))
    if st.session_state.get("tryit_logmel_key") != key:
        from core.data.audio import decode, preprocess
        from core.features.study import extract_clip

        y = preprocess(decode(source) if isinstance(source, bytes) else source)
        st.session_state["tryit_logmel"] = extract_clip(y, ["logmel"])["logmel"]
        st.session_state["tryit_logmel_key"] = key
    return st.session_state["tryit_logmel"]
