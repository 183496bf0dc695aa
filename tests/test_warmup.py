"""Tests of core.prediction.warmup: steps in first-upload-first order, failures recorded, state readable."""

from __future__ import annotations

import threading
import time

from core.prediction import warmup
from core.models import loading
from core.prediction import catalogue

from .test_prediction import only, sklearn_run


def test_steps_run_in_order_and_a_failure_does_not_stop_the_rest():
    ran = []

    def boom() -> None:
        ran.append("b")
        raise ValueError("no such model file")

    job = warmup.WarmUp(lambda: [warmup.WarmUpStep("a", lambda: ran.append("a")),
                                 warmup.WarmUpStep("b", boom),
                                 warmup.WarmUpStep("c", lambda: ran.append("c"))])
    assert job.still_warming() == [warmup.PLANNING] and not job.done
    job.run()
    assert ran == ["a", "b", "c"] and job.done and job.still_warming() == []
    assert job.failures() == [("b", "ValueError: no such model file")]
    assert [s.state for s in job.steps] == [warmup.DONE, warmup.FAILED, warmup.DONE]


def test_steps_no_answer_needs_are_left_out_of_what_answers_wait_for():
    release = threading.Event()
    job = warmup.WarmUp(lambda: [warmup.WarmUpStep("model", lambda: None),
                                 warmup.WarmUpStep("views", lambda: release.wait(10),
                                                   answers=False)])
    job.start()
    try:
        deadline = time.monotonic() + 10
        while job.still_warming() != ["views"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert job.still_warming() == ["views"] and not job.done
        assert job.still_warming(answers_only=True) == []
    finally:
        release.set()
        job.thread.join(10)
    assert job.done


def test_a_running_step_is_still_warming():
    gate, started = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        gate.wait(10)

    job = warmup.WarmUp(lambda: [warmup.WarmUpStep("slow", slow), warmup.WarmUpStep("next", int)])
    thread = job.start()
    assert job.start() is thread and thread.daemon  # one thread, however often started
    started.wait(10)
    assert job.still_warming() == ["slow", "next"]
    gate.set()
    thread.join(10)
    assert job.done and not job.failures()


def test_a_failing_plan_is_reported():
    job = warmup.WarmUp(lambda: 1 / 0)
    job.run()
    assert job.done and job.failures()[0][0] == warmup.PLANNING


def test_status_is_json_ready_and_follows_the_steps():
    import json

    job = warmup.WarmUp(lambda: [warmup.WarmUpStep("a", int),
                                 warmup.WarmUpStep("b", lambda: 1 / 0)])
    assert job.status() == {"done": False, "steps": [
        {"name": warmup.PLANNING, "state": warmup.RUNNING, "error": "", "elapsed_s": 0.0}]}
    job.run()
    status = json.loads(json.dumps(job.status()))
    assert status["done"] is True
    assert [(s["name"], s["state"]) for s in status["steps"]] == [("a", warmup.DONE),
                                                                 ("b", warmup.FAILED)]
    assert status["steps"][1]["error"] == "ZeroDivisionError: division by zero"
    failed_plan = warmup.WarmUp(lambda: 1 / 0)
    failed_plan.run()
    assert failed_plan.status()["steps"][0]["state"] == warmup.FAILED


def test_plan_loads_the_first_model_then_tensorflow_then_the_rest():
    runs = [sklearn_run("descriptor_svm", "descriptors", dim=57), sklearn_run("svm", "mfcc")]
    entries = only(catalogue.available_models(), *runs)
    keras_like = [e for e in catalogue.available_models() if e.uses_keras]
    steps = warmup.plan(entries + keras_like[:1], views=False)
    names = [s.name for s in steps]
    expected = [entries[1].label]                               # the fastest model first
    if keras_like:
        expected += ["TensorFlow", keras_like[0].label]         # then the longest chain
    assert names == expected + [entries[0].label]
    loading._MODEL_CACHE.clear()
    for step in steps:
        if step.name in (entries[0].label, entries[1].label):
            step.run()
    assert all(catalogue.is_loaded(e) for e in entries)       # loaded for the first upload


def test_features_page_librosa_is_compiled_last_in_a_helper_process(monkeypatch):
    calls = []
    monkeypatch.setattr(warmup.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or
                        type("Done", (), {"returncode": 0, "stderr": ""})())
    steps = warmup.plan([], views=True)
    assert [s.name for s in steps] == [warmup.VIEWS_STEP]
    assert not steps[0].answers                 # no upload's verdict waits for it
    steps[0].run()
    assert calls and "core.features.explore" in calls[0][-1]    # never in the server process itself


def test_librosa_compiles_in_a_helper_at_a_lower_priority(monkeypatch) -> None:
    """The warm-up's longest step (librosa's numba code, ~20 s of CPU) yields the CPU
    to visitors' answers on a fresh server: its helper process lowers its own priority first."""
    import subprocess as sp

    from core.prediction import warmup

    seen = {}

    def fake_run(args, **kw):
        seen["args"] = args
        return sp.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(warmup.subprocess, "run", fake_run)
    warmup.compile_librosa_elsewhere()
    code = seen["args"][-1]
    assert code.index("os.nice(19)") < code.index("warm_up()")   # the lowest priority there is
