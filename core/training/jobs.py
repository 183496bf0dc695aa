"""Background training jobs: one detached process per job, its events and status on disk, a STOP file.

`start_job(config)` runs core.training.runner.run_training in `python -m core.training.jobs --job-dir
DIR`, which writes events.jsonl / status.json in `runs_dir()/.jobs/<job_id>/` and stops cleanly
when a STOP file appears there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from core import config as gconfig
from core.constants import PROJECT_ROOT
from core.models import persistence
from core.models.fitting import StopFlag, TrainingStopped
from core.training.config import TrainConfig
from core.training.events import JsonlEventLog
from core.training.runner import run_training


JOBS_DIRNAME = ".jobs"


STOP_FILE = "STOP"


_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


_CHILDREN: dict[int, subprocess.Popen] = {}   #: job processes this process started, until reaped


ACTIVE_STATES: tuple[str, ...] = ("starting", "running")


def jobs_dir() -> Path:
    """Folder holding one sub-folder per background job."""
    return gconfig.runs_dir() / JOBS_DIRNAME


def job_dir(job_id: str) -> Path:
    """The folder of an existing job; ValueError for a malformed id, KeyError for an unknown one."""
    if not _JOB_ID.match(str(job_id)):
        raise ValueError(f"{job_id!r} is not a job id")
    folder = jobs_dir() / job_id
    if not (folder / "config.json").is_file():
        raise KeyError(f"no training job {job_id!r} in {jobs_dir()}")
    return folder


@dataclass(frozen=True)
class JobInfo:
    """A background job as seen from its folder: state, config, progress and result."""
    job_id: str
    state: str                      #: starting | running | done | stopped | failed
    config: dict
    created: str
    pid: int | None
    run_dir: str | None
    message: str | None
    last_epoch: dict | None         #: the newest "epoch" event
    path: Path

    @property
    def active(self) -> bool:
        """True while the job is starting or running."""
        return self.state in ACTIVE_STATES

    @property
    def stopping(self) -> bool:
        """True once an active job has been asked to stop (its STOP file exists): it finishes
        its current batch, then evaluates and saves the best weights so far."""
        return self.active and (self.path / STOP_FILE).exists()


def _read_json(path: Path) -> dict:
    """A JSON file's dict, or {} when missing or half-written."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pid_alive(pid: int, job_id: str) -> bool:
    """True when process pid still runs this job (zombies and reused pids count as dead)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError):
            return False
        return state not in ("Z", "X") and job_id in cmdline
    return True


def _log_tail(folder: Path, lines: int = 5) -> str:
    """The last lines of a job's log.txt (empty when none)."""
    try:
        text = (folder / "log.txt").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def read_events(job_id: str) -> list[dict]:
    """Every event a job has logged so far (a half-written last line is left out)."""
    path = job_dir(job_id) / "events.jsonl"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue  # the line being written right now
    return events


def job_status(job_id: str) -> JobInfo:
    """The current state of a job; a job whose process vanished without reporting is "failed"."""
    folder = job_dir(job_id)
    conf = _read_json(folder / "config.json")
    status = _read_json(folder / "status.json")
    state = status.get("state", "starting")
    pid = status.get("pid")
    if pid is None and (folder / "pid").is_file():
        try:
            pid = int((folder / "pid").read_text().strip())
        except ValueError:
            pid = None
    message = status.get("message")
    events = read_events(job_id)
    if state in ACTIVE_STATES and pid is not None and not _pid_alive(int(pid), job_id):
        final = next((e for e in reversed(events) if e["type"] in ("done", "stopped", "error")),
                     None)
        state = "failed"
        message = (final or {}).get("message") or (
            "the training process ended without reporting (killed or crashed)"
            + (f"; log: {_log_tail(folder)}" if _log_tail(folder) else ""))
    last_epoch = next((e for e in reversed(events) if e["type"] == "epoch"), None)
    return JobInfo(job_id, state, conf.get("config", {}), conf.get("created", ""), pid,
                   status.get("run_dir"), message, last_epoch, folder)


def list_jobs() -> list[JobInfo]:
    """All jobs in the runs folder, newest first."""
    root = jobs_dir()
    if not root.is_dir():
        return []
    ids = sorted((p.name for p in root.iterdir()
                  if p.is_dir() and _JOB_ID.match(p.name) and (p / "config.json").is_file()),
                 reverse=True)
    return [job_status(i) for i in ids]


def active_jobs() -> list[JobInfo]:
    """The jobs still starting or running, newest first: list_jobs without reading the event
    log of every finished job (a stored finished state never turns active again)."""
    root = jobs_dir()
    if not root.is_dir():
        return []
    ids = sorted((p.name for p in root.iterdir()
                  if p.is_dir() and _JOB_ID.match(p.name) and (p / "config.json").is_file()
                  and _read_json(p / "status.json").get("state", "starting") in ACTIVE_STATES),
                 reverse=True)
    return [info for info in map(job_status, ids) if info.active]


def request_stop(job_id: str) -> None:
    """Ask a job to stop after its current batch (creates its STOP file); not in viewer mode."""
    gconfig.require_owner("stopping a training job")
    (job_dir(job_id) / STOP_FILE).write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def start_job(config: TrainConfig) -> str:
    """Start training in a detached background process (outlives the caller); returns the job id.
    ViewerModeError in viewer mode."""
    gconfig.require_owner("starting a training job")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"start_job expects a TrainConfig, got {type(config).__name__}")
    if config.scheduler is None:   # the job runs where the app's setting says, recorded with it
        config = TrainConfig.from_dict({**config.to_dict(),
                                        "scheduler": gconfig.scheduler_address() or "local"})
    jobs_dir().mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    job_id = f"{stamp}-{config.model}-{config.feature}-{secrets.token_hex(4)}"
    folder = jobs_dir() / job_id
    folder.mkdir()   # unique: raises if it somehow exists
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    persistence.write_json(folder / "config.json", {"job_id": job_id, "created": created,
                                                    "config": config.to_dict()})
    persistence.write_json(folder / "status.json", {"state": "starting", "updated": created})
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(_thread_caps(env))
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    with open(folder / "log.txt", "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "core.training.jobs", "--job-dir", str(folder)],
            cwd=str(PROJECT_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    _CHILDREN[child.pid] = child
    threading.Thread(target=_reap, args=(child,), name=f"reap-{job_id}", daemon=True).start()
    (folder / "pid").write_text(str(child.pid))
    return job_id


def _reap(child: subprocess.Popen) -> None:
    """Wait for a job process to end, so it leaves no <defunct> entry under this process (a
    finished job's status is read from its folder, and nothing else would wait for it)."""
    child.wait()
    _CHILDREN.pop(child.pid, None)


#: environment variables that cap the maths libraries' threads in a job process
THREAD_VARS: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
JOB_NICENESS: int = 10   #: how much a job process lowers its own priority (os.nice)


def _thread_caps(env: dict) -> dict[str, str]:
    """Thread caps for a job: GENRELAB_TRAIN_THREADS, else half the cores (1 on a 2-core machine),
    so the app's pages keep a core while a network trains; a cap the caller set is kept."""
    wanted = env.get("GENRELAB_TRAIN_THREADS") or str(max(1, (os.cpu_count() or 2) // 2))
    return {name: env.get(name) or wanted for name in THREAD_VARS}


def yield_cpu() -> None:
    """Lower this process's priority so the app's pages come first (call in the job process)."""
    try:
        os.nice(JOB_NICENESS)
    except (AttributeError, OSError):   # no nice on this platform, or not permitted: run as is
        pass


def _set_status(folder: Path, state: str, **extra: Any) -> None:
    """Write a job's status.json (atomically)."""
    persistence.write_json(folder / "status.json", {
        "state": state, "pid": os.getpid(),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra})


def run_job(folder: Path) -> int:
    """Body of a job process: train the folder's config, log events and status; exit status."""
    folder = Path(folder)
    log = JsonlEventLog(folder / "events.jsonl")
    term = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: term.set())   # SIGTERM = polite stop request
    stop = StopFlag(term, folder / STOP_FILE)
    yield_cpu()
    _set_status(folder, "running")
    try:
        conf = TrainConfig.from_dict(_read_json(folder / "config.json").get("config") or {})
        run_dir = run_training(conf, [log], stop)
    except TrainingStopped as exc:
        _set_status(folder, "stopped", message=str(exc), run_dir=None)
        return 0
    except BaseException as exc:  # noqa: BLE001 - reported as an error event and a failed status
        traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}"
        if log.final is None or log.final["type"] != "error":
            log({"type": "error", "time": time.time(), "message": message})
        _set_status(folder, "failed", message=message)
        return 1
    final = log.final or {}
    state = "stopped" if final.get("type") == "stopped" else "done"
    _set_status(folder, state, message=final.get("message"), run_dir=str(run_dir))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of a background job: python -m core.training.jobs --job-dir DIR."""
    parser = argparse.ArgumentParser(prog="python -m core.training.jobs",
                                     description="Run one GenreLab training job folder.")
    parser.add_argument("--job-dir", required=True, type=Path,
                        help="job folder holding config.json (made by core.training.jobs.start_job)")
    args = parser.parse_args(argv)
    if not (args.job_dir / "config.json").is_file():
        parser.error(f"{args.job_dir} holds no config.json")
    return run_job(args.job_dir)


if __name__ == "__main__":
    sys.exit(main())
