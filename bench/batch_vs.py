"""The batch prediction of this checkout against an earlier revision, side by side in one run.

Usage: python bench/batch_vs.py --base REV [--runs 3] [--data DIR] [--jobs 2]

Checks REV out into a temporary git worktree, then runs `python -m core predict DATA --all
--jobs N --quiet --csv FILE` alternately in that worktree and in this checkout (base first),
--runs times each, with this project's Python. Prints each run's wall and CPU seconds (all the
command's processes), the medians, `batch_s_ratio:` and `batch_cpu_ratio:` (this checkout /
base; below 1 is faster) and whether the two CSVs are identical (they differ where a change between
the two was meant to move the numbers slightly, e.g. float32 spectra). Alternating the runs keeps a
machine whose speed drifts (seen here: 1.5x within an hour) from favouring either side.
Default DATA: ../shared/data/gtzan (the 38 real WAV clips).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import benchkit  # noqa: E402  (puts the project on sys.path)
from benchkit import PROJECT  # noqa: E402

from core.constants import SHARED_DATA  # noqa: E402

from predict import run_batch  # noqa: E402


def main() -> None:
    """Measure both sides alternately and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "gtzan",
                        help="folder of clips (default ../shared/data/gtzan)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data} is not a folder of clips")
    work = Path(tempfile.mkdtemp(prefix="genrelab-batch-vs-"))
    tree = work / "base"
    subprocess.run(["git", "-C", str(PROJECT), "worktree", "add", "--detach", str(tree),
                    args.base], check=True, capture_output=True)
    try:
        sides = {"base": tree, "this": PROJECT}
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for k in range(args.runs):
            for name, cwd in sides.items():
                wall, cpu = run_batch(cwd, args.data.resolve(), args.jobs, work / f"{name}.csv")
                figures[name].append((wall, cpu))
                print(f"run {k + 1} {name:4s}: {wall:6.1f} s wall {cpu:6.1f} CPU-s", flush=True)
        medians = {name: (statistics.median(w for w, _ in runs),
                          statistics.median(c for _, c in runs))
                   for name, runs in figures.items()}
        for name, (wall, cpu) in medians.items():
            print(f"median {name:4s}: {wall:6.1f} s wall {cpu:6.1f} CPU-s")
        print(f"batch_s_ratio: {medians['this'][0] / medians['base'][0]:.3f}")
        print(f"batch_cpu_ratio: {medians['this'][1] / medians['base'][1]:.3f}")
        same = (work / "this.csv").read_bytes() == (work / "base.csv").read_bytes()
        print(f"same_csv: {same}")
    finally:
        subprocess.run(["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(tree)],
                       capture_output=True)


if __name__ == "__main__":
    main()
