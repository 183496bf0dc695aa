"""The 57 Kaggle-table descriptors (core.features.descriptors.file_descriptors) of every xd-dev clip, cached.

Usage (from the project root):  python -m research.outside_descriptors
Writes <cache>/outside/descriptors_xd.npz (names, X). Measuring only: nothing is fitted on them.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402


from research import outside_recipe as outside  # noqa: E402


def path() -> Path:
    return outside.cache_root() / "descriptors_xd.npz"


def main() -> int:
    from research.outside_embed import clips
    from core.features.descriptors import file_descriptors

    files = clips("xd")
    start = time.perf_counter()
    X = np.stack([file_descriptors(p) for p in files])
    path().parent.mkdir(parents=True, exist_ok=True)
    np.savez(path(), names=np.array([f"{p.parent.name}/{p.stem}" for p in files]), X=X)
    print(f"{len(files)} clips in {time.perf_counter() - start:.0f} s -> {path()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
