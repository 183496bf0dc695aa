"""The study's short-term baselines (SVM, KNN on ZCR and on MFCC) on Kaggle's real 1000-track table.

Prints one table per protocol: the artist-filtered split (fit on train+valid, score test) and a
seeded random 70/30 track split. Usage: python -m research.table_baselines [--table CSV] [--splits DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


from core import evaluation
from core.data import splits
from core.models import baselines
from core.constants import DEFAULT_SEED, PAPER_RESULTS, SHARED_DATA  # noqa: E402
from core.features.kaggle_table import MFCC_COLUMNS, load_table
from core.training.table_models import fit_table_model

SHARED = SHARED_DATA
FEATURE_SETS = {"zcr": ("zero_crossing_rate_mean", "zero_crossing_rate_var"),
                "mfcc": MFCC_COLUMNS}


def run(table_path: Path, splits_dir: Path | None, seed: int) -> None:
    """Print the baseline tables for both protocols."""
    table = load_table(table_path)
    ids = list(set(table.track_ids))
    protocols = [splits.random_track_split(ids, test_size=0.3, valid_size=0.0, seed=seed)]
    if splits_dir:
        protocols.insert(0, splits.artist_filtered_split(ids, splits_dir))
    print(f"data: {table_path.name}, {len(table)} real GTZAN tracks (Kaggle's table)")
    for split in protocols:
        fit_ids = split.train + split.valid
        fit, test = np.isin(table.track_ids, fit_ids), np.isin(table.track_ids, split.test)
        print(f"\nprotocol: {split.label()}  (fit on {len(fit_ids)} tracks, test n={len(split.test)})")
        print(f"{'model':28s} {'test acc':>9s} {'macro-F1':>9s} {'paper':>7s} {'seconds':>8s}")
        for feature, columns in FEATURE_SETS.items():
            X = table.select(columns)
            for kind in ("svm", "knn"):
                t0 = time.perf_counter()
                res = baselines.fit_classifier(kind, X[fit], table.labels[fit],
                                               table.track_ids[fit], seed=seed)
                m = evaluation.evaluate(table.labels[test], res.model.predict_proba(X[test]),
                                        table.track_ids[test])
                paper = PAPER_RESULTS.get(f"{kind}_{feature}")
                print(f"{kind.upper() + ' on ' + feature.upper() + f' ({len(columns)} cols)':28s} "
                      f"{100 * m['track_accuracy']:8.1f}% {m['macro_f1']:9.3f} "
                      f"{100 * paper:6.1f}% {time.perf_counter() - t0:8.1f}")
        for kind in ("svm", "knn"):
            t0 = time.perf_counter()
            model, _ = fit_table_model(kind, table.X[fit], table.labels[fit],
                                       table.track_ids[fit], split, seed)
            m = evaluation.evaluate(table.labels[test], model.predict_proba(table.X[test]),
                                    table.track_ids[test])
            print(f"{'Descriptor ' + kind.upper() + ' (57 cols)':28s} "
                  f"{100 * m['track_accuracy']:8.1f}% {m['macro_f1']:9.3f} {'-':>7s} "
                  f"{time.perf_counter() - t0:8.1f}")
    print("\n(paper figures are on 3-s segments of a random split; these rows are whole 30-s "
          "tracks, one row each, so segment and track accuracy coincide)")


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=SHARED / "features" / "features_30_sec.csv")
    parser.add_argument("--splits", type=Path, default=SHARED / "splits")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    if not args.table.is_file():
        print(f"error: {args.table} not found; give --table features_30_sec.csv", file=sys.stderr)
        return 2
    run(args.table, args.splits if args.splits.is_dir() else None, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
