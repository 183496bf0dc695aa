"""Which models answer Listen live, and how one live window is scored.

Those whose input is a 3-s segment (or a mean of 3-s patches) answer live, once loaded, while
their measured time on a window stays within `MODEL_BUDGET_MS` and the sum within
`WINDOW_BUDGET_MS` (`plan`). Models that need a longer clip (descriptors: ~30 s, 1D-CNN: 15 s) or
are too slow are left to an on-demand analysis of the last 30 s. `score_window` scores one window
and records each model's time on it (a moving average), which `plan` reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core.constants import SEGMENT_SECONDS
from core.data.audio import preprocess
from core.prediction.catalogue import is_loaded
from core.prediction.pipeline import ClipFeatures, ModelFailure, score_model

WINDOW_S: float = SEGMENT_SECONDS     #: s, one window is one 3-s segment, as the models learnt
MODEL_BUDGET_MS: float = 300.0        #: a model answers live while one window costs it <= this
WINDOW_BUDGET_MS: float = 600.0       #: and while the live models together stay <= this
#: Shortest clip each whole-clip model is meant to hear, s (others hear 3-s segments).
LONG_INPUT_S: dict[str, float] = {"descriptor_svm": 30.0, "descriptor_knn": 30.0, "cnn1d": 15.0}

RETRY_S: float = 30.0                 #: s after which a model found too slow is tried again
#: ms one live window cost each model here, warm ((run folder, head) -> moving average), and
#: when it was last measured (time.monotonic()); filled as windows are scored.
_LIVE_MS: dict[tuple[str, str], float] = {}
_LIVE_MS_AT: dict[tuple[str, str], float] = {}


@dataclass
class LivePlan:
    """Which models answer live, which warm up, and which are left to the last 30 s (and why)."""

    live: list = field(default_factory=list)
    warming: list = field(default_factory=list)
    slow: list = field(default_factory=list)       #: (entry, reason)


def plan(models: Sequence[Any]) -> LivePlan:
    """Split models into live (loaded, within budget: fastest measured first), warming (not loaded
    yet) and slow (longer input or over budget), keeping the given order within each; each model's
    load state (a stat of its files) and timing are read once, as this runs every window."""
    out = LivePlan()
    total = 0.0
    candidates = []
    for entry in models:
        if input_seconds(entry) > WINDOW_S:
            out.slow.append((entry, f"needs {input_seconds(entry):.0f}-s clips"))
        else:
            candidates.append(entry)
    loaded_of = {id(e): is_loaded(e) for e in candidates}
    ms_of = {id(e): live_ms(e) for e in candidates}
    order = sorted(candidates, key=lambda e: ms_of[id(e)] or 0.0)
    chosen = set()
    for entry in order:
        ms = ms_of[id(entry)]
        if not loaded_of[id(entry)]:
            continue
        if ms is not None and ms > MODEL_BUDGET_MS:
            continue
        if total + (ms or 0.0) > WINDOW_BUDGET_MS:
            continue
        total += ms or 0.0
        chosen.add(id(entry))
    if not chosen:       # a busy server: the fastest loaded model still answers, at its pace
        loaded = [e for e in order if loaded_of[id(e)]]
        if loaded:
            chosen.add(id(loaded[0]))
    for entry in candidates:
        ms = ms_of[id(entry)]
        if id(entry) in chosen:
            out.live.append(entry)
        elif not loaded_of[id(entry)]:
            out.warming.append(entry)
        elif ms is not None and ms > MODEL_BUDGET_MS:
            out.slow.append((entry, f"{ms:.0f} ms per window, over the {MODEL_BUDGET_MS:.0f} ms "
                                    "budget"))
        else:
            out.slow.append((entry, f"the live models already use the {WINDOW_BUDGET_MS:.0f} ms "
                                    "budget of a window"))
    return out


def score_window(y: np.ndarray, models: Sequence[Any]) -> tuple[list, list[tuple[str, str]], float]:
    """Score one 3-s window (22050 Hz mono) with each model: (ModelResults, failures, ms).

    The models' time per window (warm) is recorded, a moving average, for `plan`.
    """
    began = time.perf_counter()
    feats = LiveFeatures(y)
    results, failed = [], []
    for entry in models:
        loaded = is_loaded(entry)
        t = time.perf_counter()
        outcome = score_model(entry, feats)
        ms = (time.perf_counter() - t) * 1e3
        key = model_key(entry)
        if loaded:     # the first window of a model pays its loading: not its cost per window
            old = live_ms(entry)
            _LIVE_MS[key] = ms if old is None else 0.7 * old + 0.3 * ms
            _LIVE_MS_AT[key] = time.monotonic()
        if isinstance(outcome, ModelFailure):
            failed.append((outcome.label, outcome.reason))
        else:
            results.append(outcome)
    return results, failed, (time.perf_counter() - began) * 1e3


class LiveFeatures(ClipFeatures):
    """Features of one live window: prediction.ClipFeatures without trimming silence, so a 3-s
    window stays one whole 3-s segment (high-pass and peak normalisation as in the study)."""

    def __init__(self, raw: np.ndarray):
        super().__init__(np.asarray(raw, dtype=np.float32))

    def clip(self, filter_noise: bool = True) -> np.ndarray:
        """The window high-passed (if filter_noise) and peak-normalised, not trimmed."""
        if filter_noise not in self._clips:
            self._clips[filter_noise] = preprocess(self.raw, filter_noise=filter_noise, trim=False)
        return self._clips[filter_noise]


def input_seconds(entry: Any) -> float:
    """The shortest clip a model is meant to hear, s: 3 for segment models, more for whole-clip
    models (Kaggle's descriptors: 30 s windows, the 1D-CNN: 15 s windows)."""
    return LONG_INPUT_S.get(entry.model, WINDOW_S)


def live_ms(entry: Any) -> float | None:
    """ms one window costs the model here (warm), None when unmeasured or when it was over
    budget more than RETRY_S ago (so a model slowed down by a busy moment gets another try)."""
    key = model_key(entry)
    ms = _LIVE_MS.get(key)
    if ms is not None and ms > MODEL_BUDGET_MS and \
            time.monotonic() - _LIVE_MS_AT.get(key, 0.0) > RETRY_S:
        return None
    return ms


def model_key(entry: Any) -> tuple[str, str]:
    """A model's key in the timing record: (run folder, head)."""
    return str(entry.path), str(entry.head)
