"""Check core.features.descriptors against Kaggle's features_30_sec.csv on every real clip found.

Usage (from the project root):
    python -m bench.oracle [--data PATH] [--table CSV] [--jobs N]

Prints, per descriptor column, the worst error over the clips (relative, or absolute for the
near-zero HPSS means) and which clip, the time per clip, and ends with
`columns_within_tolerance: K/N`. Exit status 0 when every column is within tolerance, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


from core.constants import ORACLE_ABS_TOL, ORACLE_REL_TOL, SHARED_DATA  # noqa: E402
from core.data.gtzan import DatasetError, list_tracks
from core.features.descriptors import DESCRIPTOR_COLUMNS, NEAR_ZERO_COLUMNS, file_descriptors
from core.features.kaggle_table import TableError, load_table

DEFAULT_DATA: Path = SHARED_DATA / "gtzan"
DEFAULT_TABLE: Path = SHARED_DATA / "features" / "features_30_sec.csv"


def _timed_descriptors(path: Path) -> tuple[np.ndarray, float]:
    """The 57 descriptors of one file and the seconds it took to decode and compute them."""
    start = time.perf_counter()
    values = file_descriptors(path)
    return values, time.perf_counter() - start


def column_errors(computed: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell error (clips x columns) and whether it is within tolerance.

    Relative error |a - b| / |b| (fraction of 1), except for NEAR_ZERO_COLUMNS: absolute error.
    """
    diff = np.abs(computed - reference)
    rel = diff / np.maximum(np.abs(reference), np.finfo(np.float64).tiny)
    absolute = np.array([c in NEAR_ZERO_COLUMNS for c in DESCRIPTOR_COLUMNS])
    errors = np.where(absolute, diff, rel)
    ok = np.where(absolute, diff <= ORACLE_ABS_TOL, rel <= ORACLE_REL_TOL)
    return errors, ok


def run(data: Path, table_path: Path, jobs: int) -> int:
    """Compare every clip under data with its table row; print the report; return K (columns ok)."""
    table = load_table(table_path)
    if table.segment_table:
        raise SystemExit(f"{table_path} is a 3-s segment table; the oracle needs the 30-s table")
    row_of = {str(name): i for i, name in enumerate(table.filenames)}
    tracks = list_tracks(data)
    known = [t for t in tracks if t.path.name in row_of]
    unmatched = [t.path.name for t in tracks if t.path.name not in row_of]
    if unmatched:
        print(f"no table row for {len(unmatched)} clip(s), skipped: {', '.join(unmatched)}")
    if not known:
        raise SystemExit(f"none of the {len(tracks)} clips under {data} has a row in {table_path}")
    print(f"{len(known)} clips under {data}, table {table_path}, {jobs} job(s)")

    wall = time.perf_counter()
    if jobs > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=jobs)(delayed(_timed_descriptors)(t.path) for t in known)
    else:
        results = [_timed_descriptors(t.path) for t in known]
    wall = time.perf_counter() - wall
    computed = np.stack([r[0] for r in results])
    seconds = np.array([r[1] for r in results])
    reference = table.X[[row_of[t.path.name] for t in known]]
    errors, ok = column_errors(computed, reference)

    names = [t.path.name for t in known]
    print(f"\n{'column':26s} {'worst error':>12s}  kind  {'computed':>14s} {'table':>14s}  clip")
    for j, column in enumerate(DESCRIPTOR_COLUMNS):
        i = int(np.argmax(errors[:, j]))
        kind = "abs " if column in NEAR_ZERO_COLUMNS else "rel "
        flag = "" if ok[:, j].all() else "   <-- OUT OF TOLERANCE"
        print(f"{column:26s} {errors[i, j]:12.3e}  {kind}  {computed[i, j]:14.7g} "
              f"{reference[i, j]:14.7g}  {names[i]}{flag}")
    rel_cols = [j for j, c in enumerate(DESCRIPTOR_COLUMNS) if c not in NEAR_ZERO_COLUMNS]
    worst = max(rel_cols, key=lambda j: errors[:, j].max())
    print(f"\nworst relative error: {errors[:, worst].max():.3e} "
          f"({DESCRIPTOR_COLUMNS[worst]}, {names[int(np.argmax(errors[:, worst]))]}); "
          f"tolerance {ORACLE_REL_TOL:g} relative, {ORACLE_ABS_TOL:g} absolute for "
          f"{', '.join(NEAR_ZERO_COLUMNS)}")
    print(f"time per clip (decode + 57 descriptors): median {np.median(seconds):.2f} s, "
          f"max {seconds.max():.2f} s; wall {wall:.1f} s for {len(known)} clips")
    k = int(ok.all(axis=0).sum())
    print(f"columns_within_tolerance: {k}/{len(DESCRIPTOR_COLUMNS)}")
    return k


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; exit status 0 when every column is within tolerance."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"GTZAN folder, either layout (default {DEFAULT_DATA})")
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE,
                        help=f"Kaggle's features_30_sec.csv (default {DEFAULT_TABLE})")
    parser.add_argument("--jobs", type=int, default=1, help="parallel processes (default 1)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        k = run(args.data, args.table, args.jobs)
    except (DatasetError, TableError) as error:
        parser.exit(2, f"oracle: {error}\n")
    return 0 if k == len(DESCRIPTOR_COLUMNS) else 1


if __name__ == "__main__":
    sys.exit(main())
