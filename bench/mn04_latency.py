"""Time core.models.mn04_net.embed on one 30-s clip: first call (build + weights + trace) and warm calls.

Usage (from the project root):
    python bench/mn04_latency.py [--clip PATH] [--repeats N]

Default clip: ../shared/data/gtzan/genres_original/blues/blues.00000.wav, else a synthesised 30-s
clip. Prints the first call's time, then the median and best of the warm calls with the front
end's share (resampling to 32 kHz and the log-mel), the process's CPU time per call and the load
average (other work on the machine slows the wall-clock figures), the machine's reference time
(benchkit.machine_reference_ms), and ends with `mn04_warm_ms: X` (median; target <= 300).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

import benchkit  # noqa: E402,F401  (puts the project on sys.path)

from core.constants import SAMPLE_RATE, SHARED_DATA  # noqa: E402

DEFAULT_CLIP = SHARED_DATA / "gtzan" / "genres_original" / "blues" / "blues.00000.wav"


def _clip(path: Path) -> tuple[np.ndarray, str]:
    """The clip's samples at 22050 Hz and a label; a synthesised chord when the file is absent."""
    from core.data.audio import decode

    if path.is_file():
        return decode(path, name=path.name), path.name
    t = np.arange(30 * SAMPLE_RATE) / SAMPLE_RATE
    y = sum(np.sin(2 * np.pi * 220.0 * k * t) / k for k in range(1, 6)) * 0.2
    return y.astype(np.float32), "synthesised 30-s chord"


def main(argv: list[str] | None = None) -> int:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    from core.features import mn04_input
    from core.models import mn04_net

    y, label = _clip(args.clip)
    start = time.perf_counter()
    mn04_net.embed(y)
    first = time.perf_counter() - start
    total, front, cpu = [], [], []
    for _ in range(args.repeats):
        cpu_start = time.process_time()
        start = time.perf_counter()
        batch = mn04_input.clip_windows(y)
        middle = time.perf_counter()
        out = mn04_net.embed_windows(batch)
        mn04_net.clip_embedding(out["embedding"])
        end = time.perf_counter()
        front.append(middle - start)
        total.append(end - start)
        cpu.append(time.process_time() - cpu_start)
    print(f"clip: {label}, {y.size / SAMPLE_RATE:.1f} s, {len(batch)} windows of "
          f"{batch.shape[2]} frames; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"machine_ref_ms {benchkit.machine_reference_ms():.0f}")
    print(f"first call (import TensorFlow, build the model, load and check the weights, trace): "
          f"{first:.2f} s")
    print(f"warm, {args.repeats} calls: median {1000 * statistics.median(total):.0f} ms, best "
          f"{1000 * min(total):.0f} ms (front end median {1000 * statistics.median(front):.0f} "
          f"ms, best {1000 * min(front):.0f} ms); CPU time of this process per call: median "
          f"{1000 * statistics.median(cpu):.0f} ms")
    print(f"mn04_warm_ms: {1000 * statistics.median(total):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
