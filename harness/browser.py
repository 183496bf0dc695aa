"""Debian's headless Chromium as the tests and the benchmarks launch it (through Playwright)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

CHROMIUM = Path("/usr/bin/chromium")
#: Chromium's arguments: headless, no sandbox (root in a container), no GPU, nothing on the network
CHROMIUM_ARGS: list[str] = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Added where many pages of one browser are watched at once: none of them is slowed down for
#: being in the background (its timers and rendering run as in a visitor's own window)
UNTHROTTLED_ARGS: list[str] = [
    "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows"]
VIEWPORT: dict[str, int] = {"width": 1440, "height": 1000}   #: the tests' window, px


def missing() -> str | None:
    """Why Chromium cannot be launched here (a sentence saying how to install it), or None."""
    if CHROMIUM.is_file():
        return None
    return f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"


def niced(folder: Path) -> Path:
    """A script in folder that starts Chromium at the lowest CPU priority (nice 19): browsers
    that share the server's cores stand aside, as visitors' own machines would."""
    script = Path(folder) / "chromium-niced"
    script.write_text(f'#!/bin/sh\nexec nice -n 19 {CHROMIUM} "$@"\n')
    script.chmod(0o755)
    return script


def launch(playwright: Any, extra_args: Sequence[str] = (), executable: Path = CHROMIUM) -> Any:
    """A headless Chromium browser (Playwright's sync API) with CHROMIUM_ARGS and extra_args;
    executable: Chromium itself or a script that starts it (niced)."""
    return playwright.chromium.launch(executable_path=str(executable), headless=True,
                                      args=[*CHROMIUM_ARGS, *extra_args])


#: True once a Streamlit page's script has finished and nothing on it is still loading
IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stSpinner"], [data-testid="stStatusWidget"], '
            + '[data-testid="stSkeleton"]');
}"""


def wait_idle(page: Any, timeout_ms: float) -> None:
    """Wait until the page's script has finished: a title, script state idle, no spinner, twice
    (a rerun may follow the first paint)."""
    page.wait_for_selector("h1", timeout=timeout_ms)
    for pause in (800, 800):
        page.wait_for_timeout(pause)   # let a rerun that follows the first paint begin
        page.wait_for_function(IDLE_JS, timeout=timeout_ms)
