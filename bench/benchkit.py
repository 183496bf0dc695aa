"""What the bench scripts share: the project on sys.path, the real data's paths, timing, the
machine's load, a fresh server.

`import benchkit` first in a bench script (python puts bench/ on sys.path when it runs one): it
is the one place that sets sys.path, putting the project root there so that `core` and
`harness` import. What the benchmarks share with the tests (the server, Chromium, memory
sampling, the fake microphone, the zip bomb) lives in `harness/`; no bench script imports from
tests/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

PROJECT = Path(__file__).resolve().parents[1]

# bench/concurrent.py (the many-visitors bench) shadows the standard library's
# `concurrent` package for any script run from bench/, whose folder Python puts first on
# sys.path: load the real package now, with bench/ out of the way, before numpy or asyncio ask
if "concurrent" not in sys.modules:
    _path = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
    import concurrent.futures  # noqa: E402,F401
    sys.path[:] = _path
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from core.constants import SHARED_DATA  # noqa: E402
from harness import server as live_server  # noqa: E402

#: The real material beside the project (../shared/data; see ../shared/README.md).
GTZAN_WAV: Path = SHARED_DATA / "gtzan"                  #: 38 exact WAV clips (Kaggle layout)
GTZAN_OGG: Path = SHARED_DATA / "gtzan-ogg"              #: 473 real clips, Ogg Vorbis
SPLITS: Path = SHARED_DATA / "splits"                    #: the artist-filtered split lists
XD_DEV: Path = SHARED_DATA / "xd-dev"                    #: 49 real recordings outside GTZAN
KAGGLE_TABLE: Path = SHARED_DATA / "features" / "features_30_sec.csv"
BLUES_CLIP: Path = GTZAN_WAV / "genres_original" / "blues" / "blues.00000.wav"


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    began = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - began, result


def machine_reference_ms() -> float:
    """Best of 5 timings (ms) of a fixed workload: scipy's running median (31 cells) and an
    rfft over 1.3 M float32 values; the descriptor path's two hottest operations."""
    import numpy as np
    import scipy.fft
    from scipy.ndimage import median_filter

    x = np.random.default_rng(0).random(1_300_000).astype(np.float32)
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        median_filter(x, size=31)
        scipy.fft.rfft(x.reshape(650, 2000), axis=1)
        best = min(best, time.perf_counter() - began)
    return best * 1e3


def load_text() -> str:
    """The machine's load average (1, 5 and 15 min) and its core count, as text."""
    return ("load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
            + f" on {os.cpu_count()} cores")


def load1() -> float:
    """The machine's 1-minute load average."""
    return os.getloadavg()[0]


@contextlib.contextmanager
def server(log: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """A fresh `streamlit run app.py` on a free loopback port; yields its URL, then stops it."""
    with live_server.serve(log, env) as url:
        yield url


def variants_arg(parser: argparse.ArgumentParser, known: Sequence[str], argv: list[str] | None,
                 ) -> tuple[argparse.Namespace, list[str]]:
    """Parse argv with a --variants option (comma-separated, default all known); the chosen
    variants, or a parser error naming the unknown ones."""
    parser.add_argument("--variants", default=",".join(known))
    args = parser.parse_args(argv)
    chosen = args.variants.split(",")
    unknown = [v for v in chosen if v not in known]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {', '.join(known)}")
    return args, chosen
