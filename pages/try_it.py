"""Try it: upload or record a clip and see the genre every available model hears in it.

The page's parts live beside it: pages.clip_sources (where the clip comes from), pages.verdicts
(every model's verdict and the answer), pages.why_view (spectrogram and occlusion map),
pages.batch_view (several clips at once) and pages.live (Listen live).
"""

from __future__ import annotations

import streamlit as st

from core import constants
from core.data.audio import AudioError
from core.models.persistence import ModelFileError
from core.prediction.catalogue import available_models
from pages import batch_view, clip_sources, layout, loaders, model_choice, verdicts

#: seconds between redraws of the warming line while the warm-up runs
WARMING_REFRESH_S = 1.0


def main() -> None:
    """Draw the Try it page."""
    layout.require_app()
    st.title("Try it")
    layout.training_notice()
    st.caption("Play GenreLab some music – at least 3 seconds – and every trained model says which "
               "of the ten GTZAN genres it hears. Works with the shipped models, no training "
               "needed.")
    models = available_models()
    for path, reason in models.damaged:
        st.warning(f"Model {path.name} is skipped: {reason}")
    if not models:
        st.warning("No trained model is available yet. Train one on the Training console "
                   "(an SVM on MFCC takes under a minute on the demo set); the shipped default "
                   "models belong in the models/ folder.")
        return
    chosen = model_choice.choose_models(list(models))
    # what is still warming: said now, kept fresh once the page is drawn. A container, never an
    # st.empty: the fragment that keeps the line fresh sits in it, and a fragment's late redraw
    # inside a slot that holds an element by then broke the visitor's page ("'setIn' cannot be
    # called on an ElementNode"; the browser then drops the connection: bench/soak.py)
    warming = st.container()
    said = show_warming(warming)
    clip_page(chosen)
    keep_warming_fresh(warming, said)


def clip_page(models) -> None:
    """The clip chosen, and every model's verdict on it (listening live: the models chosen
    there)."""
    source, name = clip_sources.clip_input(list(models))
    if st.session_state.get("tryit_source") == "live":
        from pages import live

        models = live.chosen_models(list(models))
    if source is None:
        st.info("Choose or record a clip to start.")
        return
    if name == "batch":
        inputs = batch_view.batch_inputs(source)
        batch_view.show_batch(batch_view.analyse_batch(inputs, list(models)), list(models), inputs)
        return
    player = st.empty()   # filled once the clip decoded: no broken player for a non-audio file
    try:
        prediction = verdicts.analyse(source, list(models))
    except AudioError as exc:
        st.error(f"{name or 'This clip'} cannot be used: {exc}")
        return
    except ModelFileError as exc:
        st.error(f"A model file could not be used: {exc}")
        return
    if isinstance(source, bytes):
        player.audio(source)
    else:
        player.audio(source, sample_rate=constants.SAMPLE_RATE)
    verdicts.show_prediction(prediction, list(models), source, name=name)


def show_warming(box):
    """Say in box (an st.container) what is still warming up, in a slot of its own (an
    st.empty, returned, empty when nothing is)."""
    slot = box.empty()
    note = loaders.warm_up_note()
    if note:
        slot.caption(note)
    return slot


def warming_tick() -> None:
    """One redraw of the warming line (the fragment's body); once nothing is warming, one rerun
    of the whole page, which draws it without the line and without this fragment, so that the
    fragment's timer stops: an idle page then costs the server nothing. Not while the page
    listens live: Listen live's own fragments redraw then, and a whole-page rerun started by a
    fragment among theirs broke the visitor's page (bench/soak.py --shots: every listening page
    reran at the warm-up's end, one of four broke); the line is simply gone, and its timer ends
    with the page's next run (Stop)."""
    note = loaders.warm_up_note()
    if note:
        st.caption(note)
    elif st.session_state.get("tryit_source") != "live":
        st.rerun(scope="app")


def keep_warming_fresh(box, said) -> None:
    """At the end of a run: the line said at its start (said, an st.empty in box) is cleared;
    while the warm-up runs, the warming line is drawn again in box (an st.container) by a
    fragment that redraws it every WARMING_REFRESH_S seconds (its own output, so it never
    writes outside itself); when nothing is warming, no fragment is scheduled."""
    said.empty()
    if loaders.warm_up_note() is None:
        return
    with box:
        st.fragment(warming_tick, run_every=WARMING_REFRESH_S)()


if __name__ == "__main__":  # run by Streamlit (st.navigation or AppTest), not on import
    main()
