"""Peak memory of `python -m core predict` on a zip bomb: 200 members of 49 MiB of silence each
(a ~10 MB zip that unpacks to 9.6 GiB) plus one short clip of music.

Usage: python bench/memory.py [--members N] [--member-mib M] [--jobs J] [--all] [--keep PATH]
       python bench/memory.py --long [--all]

With --long the input is instead one 50-MB WAV of 54 minutes (8 kHz mono noisy tones), of which
the first 10 minutes are analysed (MAX_CLIP_SECONDS).

The archive is built in a temporary folder (harness/zip_bomb.py: a second, a few MB of memory),
then `python -m core predict bomb.zip --quiet --csv table.csv` runs in a fresh process. Its
process tree's resident memory is sampled every 50 ms (psutil) and the largest single process's
peak is read with resource.getrusage(RUSAGE_CHILDREN) afterwards. Prints `rows:` (clips in the
table), `answered:`, `refused:` with the distinct reasons, `wall_s:`, `peak_tree_rss_mb:` (the
sampled sum over the tree), and last `peak_rss_mb:` (the largest of a single process, ru_maxrss).
Target: peak_rss_mb < 1500 (and the tree below it too).
"""

from __future__ import annotations

import benchkit  # noqa: F401  (first: the standard library's concurrent, the project on sys.path)

import argparse  # noqa: E402
import csv  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from benchkit import PROJECT  # noqa: E402
from harness import zip_bomb  # noqa: E402
from harness.memory import tree_rss  # noqa: E402


def long_wav(path: Path, n_bytes: int = 50 * 2**20, sr: int = 8000) -> Path:
    """A 16-bit mono WAV of n_bytes (50 MB: 54 minutes at 8 kHz) of noisy tones and clicks."""
    import numpy as np
    import soundfile as sf

    n = (n_bytes - 100) // 2
    with sf.SoundFile(path, "w", sr, 1, subtype="PCM_16") as out:
        rng = np.random.default_rng(0)
        for start in range(0, n, 1 << 20):
            t = np.arange(start, min(n, start + (1 << 20))) / sr
            y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * rng.standard_normal(t.size)
            y[(np.arange(start, start + t.size) % (sr // 2)) == 0] += 0.8
            out.write(np.clip(y, -1, 1).astype(np.float32))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=zip_bomb.MEMBERS)
    parser.add_argument("--member-mib", type=float, default=zip_bomb.MEMBER_MIB)
    parser.add_argument("--jobs", type=int, default=None, help="passed to predict --jobs")
    parser.add_argument("--all", action="store_true", help="every model (predict --all)")
    parser.add_argument("--keep", type=Path, help="also copy the table here")
    parser.add_argument("--long", action="store_true", help="one 50-MB WAV of 54 minutes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genrelab-membench-") as folder:
        table = Path(folder) / "table.csv"
        if args.long:
            bomb = long_wav(Path(folder) / "long.wav")
            print(f"file_mb: {bomb.stat().st_size / 2**20:.1f}")
        else:
            bomb = zip_bomb.build(Path(folder) / "bomb.zip", args.members, args.member_mib,
                                  extra={"music/a.wav": zip_bomb.music_wav(4.0)})
            print(f"archive_mb: {bomb.stat().st_size / 2**20:.1f}")
            print(f"unpacked_gib: {args.members * args.member_mib / 1024:.1f}")
        cmd = [sys.executable, "-m", "core", "predict", str(bomb), "--quiet", "--csv", str(table)]
        cmd += ["--jobs", str(args.jobs)] * (args.jobs is not None) + ["--all"] * args.all
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        peak = [0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss(proc.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = proc.communicate()
        sampler.join()
        wall = time.perf_counter() - began
        if not table.is_file():
            print(f"error: predict exited with {proc.returncode}: {stderr[-1500:]}")
            sys.exit(1)
        rows = list(csv.DictReader(table.open()))
        if args.keep:
            args.keep.write_text(table.read_text())
    refused = Counter(r["error"].split(":")[0][:90] for r in rows if r["error"])
    print(f"rows: {len(rows)}")
    print(f"answered: {sum(not r['error'] for r in rows)}")
    print(f"refused: {sum(refused.values())}")
    for reason, n in refused.most_common():
        print(f"  {n:4d} x {reason}")
    print(f"exit_code: {proc.returncode}")
    print(f"wall_s: {wall:.1f}")
    print(f"peak_tree_rss_mb: {peak[0] / 2**20:.0f}")
    print(f"peak_rss_mb: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
