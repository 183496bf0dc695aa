"""Warm prediction time per 30-s clip of the outside-GTZAN heads (research/outside_recipe.py), here.

Usage (from the project root):
    python -m research.outside_latency [--head artefacts/<name>.skops] [--clip PATH] [--repeats N]

Times, per call, what Try it would do for one uploaded clip once everything is loaded: decode
the file, log-mel patches, the forward pass of each checkpoint the head's feature needs, the clip
features and the head's probabilities. Prints the first (cold) call, then median and best of the
warm calls, the load average (other work on the shared machine slows wall-clock figures), and
`outside_warm_ms: X` (median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


from research import outside_recipe as outside  # noqa: E402
from core.constants import SHARED_DATA  # noqa: E402

DEFAULT_CLIP = SHARED_DATA / "gtzan" / "genres_original" / "blues" / "blues.00000.wav"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", type=Path, default=outside.ARTEFACTS / "outside_msd3_svm.skops")
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    outside.set_threads(args.threads)
    head, feature = outside.load_head(args.head)
    times = []
    for i in range(args.repeats + 1):
        cpu, start = time.process_time(), time.perf_counter()
        genre, _ = outside.predict_clip(args.clip, head, feature)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
        if i == 0:
            print(f"first call {times[0][0] * 1000:.0f} ms (builds the network(s)); "
                  f"genre {outside.GENRES_OUT[genre]}")
    warm = [t for t, _ in times[1:]]
    cpu = [c for _, c in times[1:]]
    print(f"{args.clip.name}, feature {feature}: warm median {statistics.median(warm) * 1000:.0f} ms, "
          f"best {min(warm) * 1000:.0f} ms over {len(warm)} calls; CPU "
          f"{statistics.median(cpu) * 1000:.0f} ms per call; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"outside_warm_ms: {statistics.median(warm) * 1000:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
