"""GenreLab: the Streamlit app's frame — page setup, navigation and the data-source sidebar.

Run with `streamlit run app.py`. Pages are thin views in pages/; the engine is core/.
Nothing here imports TensorFlow or librosa, so the home page is served fast.

The file has two roles. `streamlit run app.py` first imports it as a module (`app`), finds the
`st.App` below and serves it: the server's start-up (its lifespan) starts the background warm-up
of the prediction path at once, before any browser connects, and opens a browser unless headless;
`/genrelab/warm-up` answers with the warm-up's state as JSON.
Each session then runs this same file as its script (`__main__`), which draws the frame.

`streamlit run app.py -- --viewer` (or GENRELAB_MODE=viewer) serves it for presenting: the data
source, downloads and training are fixed, every page still works for looking and trying.
"""

import os
import sys

import streamlit as st
from starlette.routing import Route

VIEWER_FLAG = "--viewer"   #: `streamlit run app.py -- --viewer`: the same as GENRELAB_MODE=viewer
if VIEWER_FLAG in sys.argv[1:]:
    os.environ["GENRELAB_MODE"] = "viewer"


def frame() -> None:
    """Page setup, navigation between the pages and the sidebar; runs the chosen page."""
    from pages import layout, loaders, sidebar, webrtc_orphans

    st.set_page_config(page_title="GenreLab", page_icon=":material/graphic_eq:", layout="wide")
    layout.page_style()   # metrics wrap, not cut; a narrow window opens with the sidebar closed
    pages = {
        "Explore": [
            st.Page(layout.PAGE_HOME, title="Home", icon=":material/home:", default=True),
            st.Page(layout.PAGE_DATASET, title="Dataset", icon=":material/library_music:"),
            st.Page(layout.PAGE_FEATURES, title="Features", icon=":material/equalizer:"),
        ],
        "Models": [
            st.Page(layout.PAGE_TRAINING, title="Training console",
                    icon=":material/model_training:"),
            st.Page(layout.PAGE_RESULTS, title="Results", icon=":material/leaderboard:"),
            st.Page(layout.PAGE_TRY, title="Try it", icon=":material/music_note:"),
        ],
    }
    page = st.navigation(pages)
    loaders.start_warm_up()  # once per server (already running when the server started it)
    sidebar.sidebar()
    webrtc_orphans.run_started(page.url_path)
    try:
        page.run()
    except Exception:   # Streamlit shows it and the run ends: what it did not draw is gone
        webrtc_orphans.run_completed()
        raise
    webrtc_orphans.run_completed()   # not after a rerun's stop (a BaseException): nothing is gone


if __name__ == "__main__":  # a session's run of the script
    frame()
else:  # imported by `streamlit run app.py`, which serves this App
    from pages import server

    app = st.App(__file__, lifespan=server.lifespan,
                 routes=[Route(server.WARM_UP_ROUTE, server.warm_up_status)])
