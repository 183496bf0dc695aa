"""Train every model of the study on one data set and print a table like the study's tables 1-3.

Usage: python bench/train.py [--data PATH] [--epochs N] [--per-genre N] [--no-bilstm]
       [--protocol random-track|artist-filtered] [--splits DIR] [--out DIR] [--models m,m]

Default data: the built-in synthetic demo set (per-genre clips of 30 s, written to the cache on
first use). Each row: model, feature, head, test segment and track accuracy, the published figure
(core.constants.PAPER_RESULTS), the split protocol label and the run's seconds. Runs are written
to a temporary folder (deleted afterwards) unless --out is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import benchkit  # noqa: E402,F401  (puts the project on sys.path)

from core.data import datasource, demo
from core.features import study
from core.training import config as train_config, runner
from core.constants import PAPER_RESULTS  # noqa: E402

#: (table, model, feature, augmentation) of every run, in the study's table order
STUDY_RUNS: tuple[tuple[str, str, str | None, dict], ...] = (
    ("1 short-term", "svm", "zcr", {}), ("1 short-term", "svm", "mfcc", {}),
    ("1 short-term", "knn", "zcr", {}), ("1 short-term", "knn", "mfcc", {}),
    ("2 LSTM", "lstm", "zcr", {}), ("2 LSTM", "lstm", "mfcc", {}),
    ("2 LSTM", "bilstm", "zcr", {}), ("2 LSTM", "bilstm", "mfcc", {}),
    ("3 CNN", "cnn1d", None, {}),
    ("3 CNN", "cnn2d", None, {"pitch_shift": True, "white_noise": True, "slicing": True}),
)
HEAD_ORDER: tuple[str, ...] = ("svm", "knn", "softmax")


def _sizes(n_tracks: int) -> tuple[float, float]:
    """Test and validation fractions giving >= 10 tracks per side when the set allows it.

    With fewer than 60 tracks there is no validation side (the Keras runner then carves its
    early-stopping tracks out of the training side).
    """
    test = max(0.25, 10.0 / n_tracks)
    valid = max(0.125, 10.0 / n_tracks) if n_tracks >= 60 else 0.0
    return round(test, 4), round(valid, 4)


def _rows(card: dict, table: str, seconds: float) -> list[dict]:
    """Table rows of one run card (one per head)."""
    rows = []
    for head in sorted(card["metrics"], key=HEAD_ORDER.index):
        test = card["metrics"][head]["test"]
        key = card.get("paper", {}).get(head)
        model = train_config.MODEL_LABELS[card["model"]]
        if card["model"] in train_config.LSTM_MODELS:
            model += "+" + ("softmax" if head == "softmax" else head.upper())
        rows.append({
            "table": table, "model": model,
            "feature": train_config.FEATURE_LABELS[card["feature"]], "head": head,
            "segment_acc": test["segment_accuracy"], "track_acc": test["track_accuracy"],
            "paper": PAPER_RESULTS.get(key) if key else None,
            "protocol": card["protocol"]["label"], "seconds": seconds,
            "epochs": card.get("epochs_run"), "stopped_early": card.get("stopped_early"),
        })
    return rows


def _print_table(rows: list[dict]) -> None:
    """Print the rows as an aligned text table grouped by study table."""
    header = (f"{'model':16s} {'feature':8s} {'head':8s} {'seg acc':>8s} {'trk acc':>8s} "
              f"{'paper':>7s} {'epochs':>6s} {'seconds':>8s}  protocol")
    current = None
    for row in rows:
        if row["table"] != current:
            current = row["table"]
            print(f"\nTable {current}\n{header}")
        paper = f"{100 * row['paper']:6.1f}%" if row["paper"] is not None else f"{'-':>7s}"
        epochs = "" if row["epochs"] in (None, 0) else str(row["epochs"])
        print(f"{row['model']:16s} {row['feature']:8s} {row['head']:8s} "
              f"{100 * row['segment_acc']:7.1f}% {100 * row['track_acc']:7.1f}% {paper} "
              f"{epochs:>6s} {row['seconds']:8.1f}  {row['protocol']}")


def main(argv: list[str] | None = None) -> int:
    """Run the study's models and print the table; exit status 0 when every run finished."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="GTZAN folder (default: the synthetic demo set)")
    parser.add_argument("--per-genre", type=int, default=8, help="demo clips per genre (default 8)")
    parser.add_argument("--epochs", type=int, default=40, help="most epochs per Keras model")
    parser.add_argument("--patience", type=int, default=10, help="early-stopping patience (epochs)")
    parser.add_argument("--protocol", default="random-track", choices=train_config.PROTOCOLS)
    parser.add_argument("--splits", type=Path, help="folder of *_filtered.txt (artist-filtered)")
    parser.add_argument("--no-bilstm", action="store_true", help="skip the BiLSTM variant")
    parser.add_argument("--models", help="comma-separated subset, e.g. svm,lstm,cnn2d")
    parser.add_argument("--out", type=Path, help="keep the run folders here")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    t_start = time.perf_counter()
    if args.data:
        source = datasource.real_source(args.data)
    else:
        source = datasource.real_source(demo.demo_root(per_genre=args.per_genre))
    chosen = set(args.models.split(",")) if args.models else None
    runs = [r for r in STUDY_RUNS if (chosen is None or r[1] in chosen)
            and not (args.no_bilstm and r[1] == "bilstm")]
    kinds = sorted({train_config.TrainConfig(model=m, feature=f).feature_kind for _, m, f, _ in runs})
    t0 = time.perf_counter()
    fs = study.extract_tracks(source.tracks, kinds, progress=False)
    t_features = time.perf_counter() - t0
    test_size, valid_size = _sizes(int(fs.track_ids.size))
    print(f"data: {source.label} ({'SYNTHETIC' if source.synthetic else 'real audio'}); "
          f"{fs.track_ids.size} tracks, {fs.n_segments} segments, {len(fs.skipped)} skipped")
    print(f"features {', '.join(kinds)}: {t_features:.1f} s (cache hits {fs.cache_hits}); "
          f"split fractions test {test_size}, valid {valid_size}; epochs <= {args.epochs}, "
          f"patience {args.patience}")

    out = args.out or Path(tempfile.mkdtemp(prefix="genrelab-bench-"))
    rows: list[dict] = []
    try:
        for table, model, feature, aug in runs:
            conf = train_config.TrainConfig(
                model=model, feature=feature, epochs=args.epochs, patience=args.patience,
                augment=aug, protocol=args.protocol,
                splits_path=str(args.splits) if args.splits else None, seed=args.seed,
                data_path=str(source.root), test_size=test_size, valid_size=valid_size)
            t0 = time.perf_counter()
            run_dir = runner.run_training(conf, output_root=out)
            seconds = time.perf_counter() - t0
            card = json.loads((run_dir / "card.json").read_text())
            rows.extend(_rows(card, table, seconds))
            print(f"  {conf.label()}: {seconds:.1f} s", flush=True)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    _print_table(rows)
    total = time.perf_counter() - t_start
    print(f"\ntotal {total:.1f} s ({total / 60:.1f} min) for {len(runs)} runs; "
          "paper = published accuracy of Yi et al. (2021), for comparison only")
    if source.synthetic:
        print("NOTE: synthetic demo audio, not GTZAN: these figures say nothing about GTZAN.")
    if args.json:
        args.json.write_text(json.dumps({"data": source.label, "synthetic": source.synthetic,
                                         "total_s": total, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
