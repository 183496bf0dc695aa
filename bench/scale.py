"""Benchmark: feature extraction on a real Dask cluster (1 then 2 workers) beside local joblib.

On this machine it starts `dask scheduler` and `dask worker` processes (subprocesses listening on
127.0.0.1; each worker one process with one thread), and times core.features.study.extract_tracks of
every clip of --data:

- local: joblib's loky processes (n_jobs=-1, one per core), as `python -m core extract` runs;
- dask-1 / dask-2: the same call inside core.cluster.joblib_backend(scheduler), with 1 and then 2
  worker processes.

Each run uses a fresh, empty feature cache (GENRELAB_CACHE pointed at a new temporary folder), so
every clip is decoded and computed. Before each timed run the processes are warmed up on 2 clips
(imports, mel/DCT bases, loky pool) in a throw-away cache. Every audio file is read once first so
the OS file cache is warm for all runs. The cluster runs must give the same features as the local
run (checked, float32 bit for bit; printed). Prints clips per second of each run, the per-clip
cost of one worker process (wall, and the CPU seconds the workers used, which depend far less on
other load), and from them an estimate of FMA's 106,574 30-s tracks on N workers.

The machine's load average is printed before and after: on a shared machine other work takes
cores too, and the figures are wall times.

Usage: python bench/scale.py [--data PATH] [--n N] [--kinds K...] [--port P]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import benchkit  # noqa: E402  (puts the project on sys.path)
from benchkit import PROJECT  # noqa: E402

from core import cluster
from core.features import study
from core.constants import SHARED_DATA  # noqa: E402
from core.data.gtzan import Track, list_tracks

FMA_TRACKS = 106_574   #: tracks of FMA (fma_large: 30-s clips, the size of a GTZAN clip)


def _extract(tracks: list[Track], kinds: tuple[str, ...], cache: Path) -> study.FeatureSet:
    """extract_tracks of the tracks with the feature cache in the folder cache (quiet)."""
    os.environ["GENRELAB_CACHE"] = str(cache)
    return study.extract_tracks(tracks, kinds=kinds, n_jobs=-1, progress=False)


def _worker_cpu(client) -> float:
    """CPU seconds used so far by the worker processes of the client's cluster (0 locally)."""
    return float(sum(client.run(time.process_time).values())) if client is not None else 0.0


def timed(tracks: list[Track], kinds: tuple[str, ...], tmp: Path, name: str, client=None
          ) -> tuple[float, float, study.FeatureSet]:
    """Wall s and workers' CPU s of one warmed-up extraction into a fresh cache, and its result."""
    _extract(tracks[:2], kinds, tmp / f"{name}-warmup")
    cpu = _worker_cpu(client)
    start = time.perf_counter()
    result = _extract(tracks, kinds, tmp / f"{name}-cold")
    return time.perf_counter() - start, _worker_cpu(client) - cpu, result


def _dask_command() -> list[str]:
    """The `dask` command of this Python environment."""
    beside = Path(sys.executable).with_name("dask")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("dask")
    if not found:
        raise SystemExit("error: the `dask` command is not installed (pip install distributed)")
    return [found]


def start(args: list[str], log: Path) -> subprocess.Popen:
    """A dask scheduler/worker subprocess (GenreLab importable), its output going to log."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PROJECT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    with open(log, "ab") as handle:
        return subprocess.Popen(_dask_command() + args, cwd=str(PROJECT), env=env,
                                stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT)


def wait_workers(address: str, n: int, timeout: float = 120.0) -> None:
    """Block until the scheduler at address has n workers (SystemExit after timeout s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = cluster.cluster_info(address, timeout=5.0)
        if info.error is None and info.workers >= n:
            return
        time.sleep(0.5)
    raise SystemExit(f"error: {address} did not get {n} worker(s) within {timeout:.0f} s")


def same(a: study.FeatureSet, b: study.FeatureSet) -> str:
    """'bit for bit', or the largest difference between two extractions of the same clips."""
    if list(a.track_ids) != list(b.track_ids) or a.skipped != b.skipped:
        return "DIFFERENT clips or skipped lists"
    diffs = {k: float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) if a[k].size else 0.0
             for k in a.kinds}
    if not any(diffs.values()):
        return "bit for bit"
    return "max abs diff " + ", ".join(f"{k} {v:.3g}" for k, v in diffs.items())


def _load() -> str:
    """The 1/5/15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run local, 1-worker and 2-worker extractions; print clips/s and the FMA estimate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path,
                        default=SHARED_DATA / "gtzan-ogg",
                        help="GTZAN folder (either layout)")
    parser.add_argument("--n", type=int, default=None, help="use the first N clips only")
    parser.add_argument("--kinds", nargs="+", default=list(study.FEATURE_KINDS),
                        choices=study.FEATURE_KINDS, help="feature kinds (default all)")
    parser.add_argument("--port", type=int, default=8799, help="scheduler port on 127.0.0.1")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: no data folder at {args.data}", file=sys.stderr)
        return 1
    tracks = list_tracks(args.data)[: args.n]
    kinds = study.check_kinds(args.kinds)
    for track in tracks:
        track.path.read_bytes()   # warm the OS file cache for every run
    address = f"tcp://127.0.0.1:{args.port}"
    print(f"clips: {len(tracks)}  kinds: {','.join(kinds)}  cores: {os.cpu_count()}  "
          f"data: {args.data}")
    print(f"load average before: {_load()}")

    children: list[subprocess.Popen] = []
    rows: list[tuple[str, int, float, str]] = []
    cpu_per_clip: list[float] = []   #: workers' CPU s per clip, 1-worker and 2-worker runs
    with tempfile.TemporaryDirectory(prefix="genrelab-scale-") as tmp:
        tmp_dir = Path(tmp)
        try:
            t_local, _, local = timed(tracks, kinds, tmp_dir, "local")
            rows.append(("local joblib (loky)", os.cpu_count() or 1, t_local, "reference"))
            log = tmp_dir / "dask.log"
            children.append(start(["scheduler", "--host", "127.0.0.1", "--port", str(args.port),
                                   "--no-dashboard"], log))
            for n_workers in (1, 2):
                children.append(start(["worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--name", f"bench-{n_workers}"], log))
                wait_workers(address, n_workers)
                with cluster.joblib_backend(address) as client:
                    elapsed, cpu, result = timed(tracks, kinds, tmp_dir, f"dask{n_workers}",
                                                 client)
                cpu_per_clip.append(cpu / len(tracks))
                rows.append((f"dask, {n_workers} worker(s)", n_workers, elapsed,
                             same(result, local)))
        finally:
            for child in reversed(children):
                child.terminate()
            for child in reversed(children):
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
    print(f"load average after: {_load()}")
    n = len(tracks)
    print(f"{'run':24s} {'procs':>5s} {'wall s':>8s} {'clips/s':>8s}  features vs local")
    for name, procs, elapsed, note in rows:
        print(f"{name:24s} {procs:5d} {elapsed:8.1f} {n / elapsed:8.2f}  {note}")
    one = next(e for name, _, e, _ in rows if name.startswith("dask, 1"))
    per_clip = one / n
    cpu = min(cpu_per_clip)
    print(f"per-clip cost on one worker process: {per_clip:.3f} s wall, {cpu:.3f} s CPU "
          f"(CPU s per clip, 1 and 2 workers: {', '.join(f'{c:.3f}' for c in cpu_per_clip)}; "
          f"local: {t_local * (os.cpu_count() or 1) / n:.3f} wall s per clip per core)")
    for workers in (1, 8, 32, 128):
        print(f"FMA {FMA_TRACKS} tracks on {workers:3d} worker cores: "
              f"~{FMA_TRACKS * cpu / workers / 3600:.2f} h at the CPU cost (a core to each "
              f"worker), ~{FMA_TRACKS * per_clip / workers / 3600:.2f} h at the 1-worker wall "
              "cost here (linear scaling)")
    two = next(e for name, _, e, _ in rows if name.startswith("dask, 2"))
    print(f"scaling 1 -> 2 workers: {one / two:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
