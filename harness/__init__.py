"""GenreLab driven from outside, as visitors and operators meet it: shared by tests/ and bench/.

`server` (a fresh `streamlit run app.py` on a free port, its health and warm-up), `browser`
(Debian's headless Chromium: where it is and how it is launched), `memory` (the resident memory
and the zombies of a process tree), `live_driver` (Try it's "Listen live" with a fake
microphone) and `zip_bomb` (a cheap archive that unpacks to gigabytes). Neither the tests nor
the benchmarks import each other; both import these. Nothing here imports Streamlit or
Playwright at import time.
"""
