"""`streamlit run app.py` as a real server on a free loopback port, for the end-to-end tests and
the benchmarks: start it, wait for its health check and for its warm-up, stop its whole
process group."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[1]
SERVER_START_S = 120.0   #: longest wait for the server's health check, s
WARM_UP_ROUTE = "/genrelab/warm-up"   #: the server's warm-up state as JSON (pages/server.py)


class ServerError(RuntimeError):
    """The server exited or did not answer; the message ends with its log."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(port: int, log: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """`streamlit run app.py` (headless, no file watcher) on 127.0.0.1:port, output to log."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=dict(os.environ if env is None else env), stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def wait_healthy(url: str, proc: subprocess.Popen, log: Path,
                 timeout_s: float = SERVER_START_S) -> None:
    """Block until Streamlit's health endpoint answers 200; ServerError otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"streamlit exited with {proc.returncode}:\n"
                              f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise ServerError(f"streamlit did not answer within {timeout_s} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server's process group (TERM, then KILL after 15 s)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


@contextlib.contextmanager
def running(log: Path, env: Mapping[str, str] | None = None,
            ) -> Iterator[tuple[str, subprocess.Popen]]:
    """A healthy server (env: its environment, default this one's); yields its URL and its
    process (whose tree can be watched), then stops it."""
    port = free_port()
    proc = start(port, log, env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log)
        yield url, proc
    finally:
        stop(proc)


@contextlib.contextmanager
def serve(log: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """A healthy server (env: its environment, default this one's); yields its URL, then stops."""
    with running(log, env) as (url, _):
        yield url


def warm_up_state(url: str) -> str:
    """The server's warm-up in a few words: "done", "off", "still warming: <steps>" or
    "unknown (<why>)" when its route does not answer."""
    try:
        with urllib.request.urlopen(f"{url}{WARM_UP_ROUTE}", timeout=5) as answer:
            state = json.loads(answer.read())
    except (OSError, ValueError) as exc:
        return f"unknown ({exc})"
    if not state.get("enabled", True):
        return "off"
    waiting = [s["name"] for s in state.get("steps", []) if s["state"] in ("waiting", "running")]
    return "done" if state.get("done") else "still warming: " + ", ".join(waiting)


def wait_warm(url: str, timeout_s: float) -> float:
    """Wait until the server's warm-up is done (or off), at most timeout_s; seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s and warm_up_state(url) not in ("done", "off"):
        time.sleep(1.0)
    return time.monotonic() - began
