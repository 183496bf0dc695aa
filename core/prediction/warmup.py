"""Warm-up of the prediction path, once per server, in the background, first upload first.

The server starts it itself as soon as it starts (app.py's st.App lifespan), before any browser
has opened a page, so that a first upload finds the models loaded; the pages read its state.

What is slow the first time in a process: loading each model's files, the TensorFlow import,
tracing each Keras model's forward pass, and compiling librosa's numba code (about 17
CPU-seconds on a fresh install). The steps run in the order a first upload needs them: the
fastest scikit-learn model (segment features and descriptors need neither librosa's compiled
code nor TensorFlow), then the longest chain, TensorFlow and the Keras models (the model that
leads the headline first), then the other scikit-learn models; each step scores a short
synthetic clip with one model, so every code path a clip takes is run once. Last, a helper
process compiles librosa's numba code for the Features page into numba's cache (never in this
process once TensorFlow is up: compiling it there crashed the interpreter once, see
tests/conftest.py); the page then loads it from the cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from core.constants import PROJECT_ROOT, SAMPLE_RATE
from core.prediction import answer, catalogue, pipeline

#: Length of the synthetic warm-up clip, s (one 3-s segment with room for trimming).
WARM_CLIP_SECONDS: float = 4.0
WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"


@dataclass
class WarmUpStep:
    """One named piece of warm-up work and how it went."""
    name: str
    run: Callable[[], None]
    state: str = WAITING
    error: str = ""
    elapsed_s: float = 0.0
    answers: bool = True   #: an upload's verdict needs it (False: only another page does)


#: Name shown while the steps are being planned (core.prediction.streaming imported, models listed).
PLANNING = "the list of models"


@dataclass
class WarmUp:
    """Steps planned and run one after the other in a daemon thread; the pages read their states.
    planner gives the steps (it runs in the thread too: listing the models imports
    scikit-learn, which should not hold up the page that starts the warm-up).
    """
    planner: Callable[[], list[WarmUpStep]]
    steps: list[WarmUpStep] = field(default_factory=list)
    planned: bool = False
    plan_error: str = ""
    thread: threading.Thread | None = field(default=None, repr=False)

    def run(self) -> None:
        """Plan, then run every step in order; a failing step is recorded (state failed, its
        error) and the next one still runs."""
        try:
            self.steps = list(self.planner())
        except Exception as exc:  # noqa: BLE001 - shown on the page, never silenced
            self.plan_error = f"{type(exc).__name__}: {exc}"
        self.planned = True
        for step in self.steps:
            step.state = RUNNING
            began = time.perf_counter()
            try:
                step.run()
            except Exception as exc:  # noqa: BLE001 - shown on the page, never silenced
                step.state, step.error = FAILED, f"{type(exc).__name__}: {exc}"
            else:
                step.state = DONE
            step.elapsed_s = time.perf_counter() - began

    def start(self) -> threading.Thread:
        """Run in a daemon thread (once); returns the thread."""
        if self.thread is None:
            self.thread = threading.Thread(target=self.run, name="genrelab-warm-up", daemon=True)
            self.thread.start()
        return self.thread

    def still_warming(self, answers_only: bool = False) -> list[str]:
        """Names of the steps not finished yet, in order (PLANNING while they are planned);
        answers_only: only those an upload's verdict needs (not the Features page's)."""
        if not self.planned:
            return [PLANNING]
        return [s.name for s in self.steps
                if s.state in (WAITING, RUNNING) and (s.answers or not answers_only)]

    def failures(self) -> list[tuple[str, str]]:
        """(step name, error) of the steps that failed (and of the planning, if it failed)."""
        planning = [(PLANNING, self.plan_error)] if self.plan_error else []
        return planning + [(s.name, s.error) for s in self.steps if s.state == FAILED]

    def status(self) -> dict:
        """Where the warm-up stands, JSON-ready: done, and each step's name, state, error and
        elapsed seconds (planning shown as its own running or failed step)."""
        steps = [{"name": s.name, "state": s.state, "error": s.error,
                  "elapsed_s": round(s.elapsed_s, 3)} for s in self.steps]
        if not self.planned or self.plan_error:
            steps.insert(0, {"name": PLANNING, "state": FAILED if self.plan_error else RUNNING,
                             "error": self.plan_error, "elapsed_s": 0.0})
        return {"done": self.done, "steps": steps}

    @property
    def done(self) -> bool:
        """True when every step has finished (done or failed)."""
        return not self.still_warming()


def warm_clip(seconds: float = WARM_CLIP_SECONDS) -> np.ndarray:
    """A short synthetic clip (two tones, clicks, a little noise) at 22050 Hz, float32."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    y = 0.3 * np.sin(2 * np.pi * 220.0 * t) + 0.2 * np.sin(2 * np.pi * 331.0 * t)
    y[:: SAMPLE_RATE // 4] += 0.8
    y += 0.02 * np.random.default_rng(0).standard_normal(t.size)
    return y.astype(np.float32)


def _scoring(entry, features) -> Callable[[], None]:
    """A step that scores the warm-up clip with one model (raising when it cannot)."""
    def run() -> None:
        outcome = pipeline.score_model(entry, features)
        if isinstance(outcome, pipeline.ModelFailure):
            raise RuntimeError(outcome.reason)

    return run


def _import_keras() -> None:
    """Import Keras and TensorFlow (several seconds the first time in a process)."""
    import keras  # noqa: F401



#: The helper's niceness: the lowest priority, so that visitors' answers (and the pages the
#: server sends them) come first on a busy server; it still gets its share once they are done.
HELPER_NICENESS: int = 19

#: The helper process's code: lower its own priority, then compile librosa's numba code.
COMPILE_LIBROSA = (f"import os; os.nice({HELPER_NICENESS}); "
                   "from core.features.explore import warm_up; warm_up()")


def compile_librosa_elsewhere(timeout_s: float = 900.0) -> None:
    """Compile librosa's numba code (core.features.explore.warm_up) in a helper process, which leaves it
    in numba's cache (NUMBA_CACHE_DIR is passed on); RuntimeError with its output if it fails.
    The helper runs at the lowest priority (nice +19): visitors' answers come first on a busy
    server."""
    done = subprocess.run([sys.executable, "-c", COMPILE_LIBROSA],
                          cwd=PROJECT_ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"the helper process exited with {done.returncode}: "
                           f"{done.stderr.strip()[-500:]}")


#: Name of the last step (the Features page's librosa code, compiled by a helper process).
VIEWS_STEP = "librosa for the Features page"


def plan(models: Sequence | None = None, views: bool = True) -> list[WarmUpStep]:
    """The warm-up steps for these models (None: every available model), first upload first.
    views adds compile_librosa_elsewhere (the Features page's librosa code) at the end.
    """
    entries = pipeline.fastest_first(
        list(catalogue.available_models()) if models is None else list(models))
    features = pipeline.ClipFeatures(warm_clip())
    lead = answer.leaders(entries)
    keras_models = sorted((e for e in entries if e.uses_keras), key=lambda e: e not in lead)
    others = [e for e in entries if not e.uses_keras]
    others = others[:1] + sorted(others[1:], key=lambda e: e not in lead)
    # the model that answers first, then the longest chain (TensorFlow, the Keras models, the
    # headline's leader first: core.prediction.streaming scores it first), then the other
    # scikit-learn models (a leader first), which load in a fraction of a second each
    steps = [WarmUpStep(e.label, _scoring(e, features)) for e in others[:1]]
    if keras_models:
        steps.append(WarmUpStep("TensorFlow", _import_keras))
        steps += [WarmUpStep(e.label, _scoring(e, features)) for e in keras_models]
    steps += [WarmUpStep(e.label, _scoring(e, features)) for e in others[1:]]
    if views:
        steps.append(WarmUpStep(VIEWS_STEP, compile_librosa_elsewhere, answers=False))
    return steps
