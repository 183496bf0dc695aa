"""The repository itself: no file tracked by git outside models/ is over the 2 MB limit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the project's limit for a tracked file outside models/, in bytes
SIZE_LIMIT = 2_000_000


def tracked_files() -> list[str]:
    """Paths of the files git tracks (the index), relative to the repository root."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed, so the tracked files cannot be listed")
    if not (ROOT / ".git").exists():   # a folder in a clone, a file in a worktree
        pytest.skip(f"{ROOT} has no .git (not a git checkout), so no file is tracked")
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                            check=True)
    return [p for p in listed.stdout.decode("utf-8").split("\0") if p]


def test_no_big_tracked_file_outside_models() -> None:
    files = tracked_files()
    assert "README.md" in files   # the listing worked
    big = {}
    for name in files:
        path = ROOT / name
        if name.startswith("models/") or path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        if size > SIZE_LIMIT:
            big[name] = size
    assert big == {}, f"tracked files over {SIZE_LIMIT} bytes outside models/: {big}"


def test_bench_scripts_get_the_standard_librarys_concurrent() -> None:
    """bench/concurrent.py (the visitors bench) must not shadow the standard library's `concurrent`
    for the other bench scripts, which Python runs with bench/ first on sys.path."""
    import sys

    root = Path(__file__).resolve().parents[1]
    code = ("import sys; sys.path.insert(0, 'bench'); import benchkit, concurrent.futures; "
            "print(concurrent.__file__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "bench" not in Path(done.stdout.strip()).parts, done.stdout


def test_ci_runs_the_readmes_test_command_exactly() -> None:
    """.ci/run ends with the README's second command, character for character."""
    import re

    root = Path(__file__).resolve().parents[1]
    blocks = re.findall(r"```bash\n(.*?)\n```", (root / "README.md").read_text(), re.S)
    test_command = blocks[1].strip()
    assert "pytest" in test_command and "\n" not in test_command
    ci = [line for line in (root / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
    assert ci[-1].strip() == test_command
