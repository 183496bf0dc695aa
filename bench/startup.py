"""Start-up time of the GenreLab web app: `streamlit run app.py` until the home page is served.

Measures, from the moment the server process is started:
  health_s  - /_stcore/health answers 200
  http_s    - GET / answers 200 (the page shell)
  script_s  - a session opened over Streamlit's websocket got its home page script run to the end
              (script_finished), i.e. the page a browser would show is complete.
Prints `startup_s: X.XX` (= script_s, the time until the home page is fully served).

Usage: .venv/bin/python bench/startup.py [--repeat N] [--timeout S]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import benchkit  # noqa: E402  (puts the project on sys.path)
from benchkit import PROJECT as ROOT  # noqa: E402

from harness.server import free_port, stop  # noqa: E402


def http_ok(url: str) -> bool:
    """True when url answers 200 within 1 s."""
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def run_home_script(port: int, timeout: float) -> float:
    """Open a websocket session, ask for the default page, return when its script has finished.

    Returns the number of delta messages (page elements) received; RuntimeError on an error page.
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                 open_timeout=timeout, max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        ws.send(msg.SerializeToString())
        deltas = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                deltas += 1
                if fwd.delta.new_element.WhichOneof("type") == "exception":
                    raise RuntimeError("the home page raised: "
                                       f"{fwd.delta.new_element.exception.message}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status == "FINISHED_SUCCESSFULLY" and deltas:
                    return deltas
                if status != "FINISHED_SUCCESSFULLY":
                    raise RuntimeError(f"home page script ended with {status}")
        raise TimeoutError(f"no script_finished within {timeout:.0f} s")


def measure(timeout: float) -> dict[str, float]:
    """Start the server once and time health, GET / and the home page script run (seconds)."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=os.environ.copy(), start_new_session=True)
    out: dict[str, float] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        while "http_s" not in out:
            if proc.poll() is not None:
                log = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log}")
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"server not up within {timeout:.0f} s")
            if "health_s" not in out and http_ok(f"{base}/_stcore/health"):
                out["health_s"] = time.monotonic() - start
            if "health_s" in out and http_ok(f"{base}/"):
                out["http_s"] = time.monotonic() - start
            else:
                time.sleep(0.05)
        out["elements"] = run_home_script(port, timeout)
        out["script_s"] = time.monotonic() - start
    finally:
        stop(proc)   # the whole process group: the warm-up's helper process too
    return out


def main() -> None:
    """Measure start-up --repeat times and print each and the worst as startup_s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="server starts to time")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after S seconds")
    args = parser.parse_args()
    worst = 0.0
    for i in range(args.repeat):
        r = measure(args.timeout)
        print(f"run {i + 1}: health {r['health_s']:.2f} s, GET / {r['http_s']:.2f} s, "
              f"home page script done {r['script_s']:.2f} s ({int(r['elements'])} elements)")
        worst = max(worst, r["script_s"])
    print(f"startup_s: {worst:.2f}")


if __name__ == "__main__":
    main()
