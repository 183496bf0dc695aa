"""Background training jobs (core.training.jobs) on a shared server: finished job processes are
reaped (no <defunct> children pile up under the server), and a stop request shows at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.training import jobs as training_jobs
from core.training.config import TrainConfig

from .app_support import APP

JOB_TIMEOUT_S = 180.0   #: a job that fails at once still imports the engine (a few s each)


def defunct_children() -> list[int]:
    """Pids of this process's children that ended and were never waited for (state Z)."""
    zombies = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            zombies.append(int(stat.parent.name))
    return zombies


def running(pid: int) -> bool:
    """True while process pid exists and has not ended (a zombie has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_finished_jobs_leave_no_defunct_children(isolated_dirs: Path, tmp_path: Path) -> None:
    before = set(defunct_children())
    jobs = [training_jobs.start_job(TrainConfig(model="svm", data_path=str(tmp_path / "none")))
            for _ in range(4)]
    t0 = time.monotonic()
    while any(training_jobs.job_status(j).active for j in jobs):
        assert time.monotonic() - t0 < JOB_TIMEOUT_S, "the jobs did not end"
        time.sleep(0.5)
    assert {training_jobs.job_status(j).state for j in jobs} == {"failed"}
    pids = {int(training_jobs.job_status(j).pid) for j in jobs}
    deadline = time.monotonic() + 60.0   # a process exits a while after writing its status
    while [p for p in pids if running(p)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if running(p)], "the job processes did not exit"
    deadline = time.monotonic() + 10.0   # a reaper waits as soon as its process ends
    while set(defunct_children()) - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not set(defunct_children()) - before, (defunct_children(), pids)


def fake_running_job(job_id: str) -> subprocess.Popen:
    """A job folder whose 'process' (a sleeping Python naming the job) runs epoch 2 of 30."""
    folder = training_jobs.jobs_dir() / job_id
    folder.mkdir(parents=True)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", job_id])
    conf = TrainConfig(model="lstm", epochs=30).to_dict()
    (folder / "config.json").write_text(json.dumps({"job_id": job_id, "created": "now",
                                                    "config": conf}))
    (folder / "status.json").write_text(json.dumps({"state": "running", "pid": process.pid}))
    (folder / "events.jsonl").write_text(json.dumps({
        "type": "epoch", "epoch": 2, "epochs": 30, "loss": 1.2, "val_loss": 1.4,
        "accuracy": 0.4, "val_accuracy": 0.3, "epoch_s": 4.0, "eta_s": 112.0,
        "time": time.time()}) + "\n")
    return process


@pytest.mark.usefixtures("navigation_pages", "app_env")
def test_stop_says_stopping_at_once_and_is_disabled(isolated_dirs: Path) -> None:
    job_id = "20990101-000000-lstm-mfcc-abcdef12"
    process = fake_running_job(job_id)
    try:
        at = AppTest.from_file(str(APP), default_timeout=120).run()
        at = at.switch_page("pages/training.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(job_id in m.value and m.value.endswith("running") for m in at.markdown)
        at = at.button(key=f"stop_{job_id}").click().run()
        assert not at.exception, [e.value for e in at.exception]
        # the very run that follows the click: stopping, the button disabled
        state = [m.value for m in at.markdown if job_id in m.value]
        assert state and state[0].endswith("stopping…"), state
        assert at.button(key=f"stop_{job_id}").disabled
        assert any(c.value.startswith("Stopping…") for c in at.caption)
        assert (training_jobs.job_dir(job_id) / training_jobs.STOP_FILE).is_file()
        assert training_jobs.job_status(job_id).stopping
    finally:
        process.kill()
        process.wait()
