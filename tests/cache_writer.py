"""A concurrent writer of one feature-cache file, run in its own process by tests/test_cluster.py.

Kept apart from the test module so that a spawned writer imports only core.features.study.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.features import study

#: the value each writer fills its kind with
VALUES: dict[str, float] = {"zcr": 1.0, "extras": 2.0, "mfcc_stats": 3.0}


def hammer(path: str, kind: str, rounds: int) -> None:
    """Write one kind (two segments of VALUES[kind]) to the cache file at path, rounds times."""
    shape = study.FEATURE_SHAPES[kind]
    for _ in range(rounds):
        study.save_cached(Path(path), {kind: np.full((2,) + shape, VALUES[kind], np.float32)})
