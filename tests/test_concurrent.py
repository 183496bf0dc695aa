"""Three visitors at once in real browsers: bench/concurrent.py with 3 headless-Chromium sessions
opening Try it on one fresh server and uploading a 30-s clip within the same second. Every
session shows its answer, then its whole verdict, and no page shows an exception box (before
the fixes: Keras reset between runs broke musicnn's build in one session, the warming fragment
raised in another)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness import browser

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 3

if browser.missing():
    pytest.skip(f"{browser.missing()} to run the concurrent-visitors test",
                allow_module_level=True)
pytest.importorskip("playwright.sync_api",
                    reason="Playwright for Python is not installed in this environment")


def test_three_sessions_uploading_at_once_are_all_answered(isolated_dirs: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "concurrent.py"), "--sessions",
                           str(SESSIONS), "--timeout", "240"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    out = done.stdout
    assert done.returncode == 0, (out + done.stderr)[-3000:]
    figures = dict(re.findall(r"^(\w+): (.*)$", out, flags=re.MULTILINE))
    assert figures["sessions_answered"] == f"{SESSIONS}/{SESSIONS}", out
    assert figures["exception_boxes"] == "0", out
    assert float(figures["max_verdict_s"]) < 240, out
    assert float(figures["max_answer_s"]) <= float(figures["max_verdict_s"]), out
    print(out)   # the figures, with -s
