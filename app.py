"""GenreLab: the Streamlit app's frame — page setup, navigation and the data-source sidebar.

Run with `streamlit run app.py`. Pages are thin views in pages/; the engine is core/.
Nothing here imports TensorFlow or librosa, so the home page is served fast.
"""

import streamlit as st

from pages import common

st.set_page_config(page_title="GenreLab", page_icon=":material/graphic_eq:", layout="wide")

pages = {
    "Explore": [
        st.Page(common.PAGE_HOME, title="Home", icon=":material/home:", default=True),
        st.Page(common.PAGE_DATASET, title="Dataset", icon=":material/library_music:"),
        st.Page(common.PAGE_FEATURES, title="Features", icon=":material/equalizer:"),
    ],
    "Models": [
        st.Page(common.PAGE_TRAINING, title="Training console", icon=":material/model_training:"),
        st.Page(common.PAGE_RESULTS, title="Results", icon=":material/leaderboard:"),
        st.Page(common.PAGE_TRY, title="Try it", icon=":material/music_note:"),
    ],
}
page = st.navigation(pages)
common.start_warm_up()  # before the page: a first upload should find the models warming already
common.sidebar()
page.run()
