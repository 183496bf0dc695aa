"""The study's tables 1-3 on real GTZAN audio, for three protocols, with honest intervals.

Usage:
  python -m research.real_tables --data ../shared/data/gtzan-ogg --splits ../shared/data/splits
      [--protocol gtzan4 all10-artist all10] [--models svm_zcr,svm_mfcc,...] [--seeds 3]
      [--epochs 40] [--artists ../shared/data/metadata/GTZANindex.txt]
      [--table ../shared/data/features/features_30_sec.csv] [--json out.json]
      [--keep-runs DIR] [--note TEXT]
  python -m research.real_tables --from-json a.json b.json     (combine pieces, print the tables)

Protocols:
  gtzan4  the four complete genres (blues, classical, jazz, rock), the artist-filtered lists
          restricted to the tracks present (train/valid/test 181/84/121 on the 473-clip copy).
  all10-artist  every clip, 10 genres, the artist-grouped split (core.data.splits.
          artist_grouped_split over Sturm's index, --artists): no artist on two sides, whole
          artists stratified by genre, test about 30 %, valid about 10 %, split seed 42 for every
          row. A genre whose artists all fall on one side is left out of the label set or not
          scored (reggae is one artist in this copy); the notes under the table say which.
  all10   every clip, 10 genres, a seeded random track split stratified by genre (test 30 %,
          valid 10 %, split seed 42 for every row); one artist may sit on both sides, so the
          figures are higher than all10-artist's. Both 10-genre protocols are unbalanced, so
          macro-F1 leads and the test n of each genre is printed. Class weights are on (the
          training default).

Each row: test segment accuracy, test track accuracy (vote of a track's 3-s segments), macro-F1,
the 95 % Wilson interval of track accuracy (of the mean over seeds, n = test tracks), the
published figure of Yi et al. (2021), the run's training time and, for Keras models, the median
seconds per epoch. Keras models run over --seeds seeds (42, 43, ...; mean ± sd); SVM/KNN rows
are deterministic given the split and run once (seed 42). The reference row "descriptor SVM" is
Kaggle's 57-column whole-clip table (an outside table, not our audio) restricted to the tracks
of the same split. Rows "new" are beyond the study: musicnn_svm / musicnn_knn are heads on the
embeddings of musicnn (pretrained on the Million Song Dataset; one example per clip, so segment
and track accuracy are equal; target: >= 0.90 test track accuracy on gtzan4). --json writes every run's raw result; pieces run separately can be combined
with --from-json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import evaluation
from core.models import fitting
from core.training import config as train_config, plan as run_plan, runner
from core.constants import DEFAULT_SEED, GENRES, PAPER_RESULTS, SHARED_DATA  # noqa: E402

SHARED = SHARED_DATA
GTZAN4: tuple[str, ...] = ("blues", "classical", "jazz", "rock")
PROTOCOLS: tuple[str, ...] = ("gtzan4", "all10-artist", "all10")   #: in the order printed
AUGMENT_ALL = {"pitch_shift": True, "white_noise": True, "slicing": True}
#: row id -> (study table, model, feature, augmentation); descriptor_svm is the reference row
ROWS: dict[str, tuple[str, str, str | None, dict]] = {
    "svm_zcr": ("1", "svm", "zcr", {}), "svm_mfcc": ("1", "svm", "mfcc", {}),
    "knn_zcr": ("1", "knn", "zcr", {}), "knn_mfcc": ("1", "knn", "mfcc", {}),
    "lstm_zcr": ("2", "lstm", "zcr", {}), "lstm_mfcc": ("2", "lstm", "mfcc", {}),
    "bilstm_zcr": ("2", "bilstm", "zcr", {}), "bilstm_mfcc": ("2", "bilstm", "mfcc", {}),
    "cnn1d": ("3", "cnn1d", None, {}), "cnn2d": ("3", "cnn2d", None, AUGMENT_ALL),
    "descriptor_svm": ("ref", "descriptor_svm", "descriptors", {}),
    "musicnn_svm": ("new", "musicnn", None, {}), "musicnn_knn": ("new", "musicnn", None, {}),
}
#: rows whose model takes a head choice (TrainConfig.head); "new" = beyond the study
ROW_HEADS: dict[str, str] = {"musicnn_svm": "svm", "musicnn_knn": "knn"}
DEFAULT_ROWS: tuple[str, ...] = ("svm_zcr", "svm_mfcc", "knn_zcr", "knn_mfcc", "lstm_zcr",
                                 "lstm_mfcc", "bilstm_mfcc", "cnn1d", "cnn2d", "descriptor_svm",
                                 "musicnn_svm", "musicnn_knn")
HEAD_ORDER: tuple[str, ...] = ("svm", "knn", "softmax")


def protocol_config(protocol: str, splits: Path | None, artists: Path | None = None) -> dict:
    """TrainConfig fields of one protocol."""
    if protocol == "gtzan4":
        if not splits:
            raise SystemExit("error: protocol gtzan4 needs --splits (the artist-filtered lists)")
        return {"protocol": "artist-filtered", "splits_path": str(splits), "genres": list(GTZAN4)}
    fields = {"protocol": "random-track", "test_size": 0.3, "valid_size": 0.1,
              "split_seed": DEFAULT_SEED}
    if protocol == "all10-artist":
        if not artists or not artists.is_file():
            raise SystemExit(f"error: protocol all10-artist needs --artists (Sturm's "
                             f"GTZANindex.txt); {artists} is not a file")
        fields |= {"protocol": "artist-grouped", "artists_path": str(artists)}
    return fields


def _test_summary(test: dict) -> dict:
    """The numbers kept of one test evaluation (plus the test n of each genre)."""
    confusion = test["track"]["confusion"]
    return {"segment_accuracy": test["segment_accuracy"], "track_accuracy": test["track_accuracy"],
            "macro_f1": test["macro_f1"], "n_tracks": test["n_tracks"],
            "n_segments": test["n_segments"],
            "per_genre_n": {g: int(sum(confusion[i])) for i, g in enumerate(GENRES)
                            if sum(confusion[i])}}


def run_audio(row: str, protocol: str, args: argparse.Namespace, seed: int, out: Path) -> list[dict]:
    """Train one row's model on the audio for one seed; one raw record per head."""
    table, model, feature, aug = ROWS[row]
    conf = train_config.TrainConfig(model=model, feature=feature, augment=aug, seed=seed,
                                head=ROW_HEADS.get(row),
                                epochs=args.epochs, patience=args.patience, note=args.note,
                                data_path=str(args.data),
                                **protocol_config(protocol, args.splits, args.artists))
    t0 = time.perf_counter()
    run_dir = runner.run_training(conf, output_root=out)
    wall = time.perf_counter() - t0
    card = json.loads((run_dir / "card.json").read_text())
    epoch_times = [h["epoch_s"] for h in card.get("history") or [] if h.get("epoch_s")]
    records = []
    for head in sorted(card["metrics"], key=HEAD_ORDER.index):
        valid = card["metrics"][head].get("valid")
        records.append({
            "protocol": protocol, "row": row, "table": table, "model": model,
            "feature": card["feature"], "head": head, "seed": seed,
            "primary": card["primary"] == head, "split": card["protocol"]["label"],
            "split_notes": card["protocol"].get("notes", {}),
            "genres": card["genres"], "genre_notes": card.get("genre_notes", []),
            "test": _test_summary(card["metrics"][head]["test"]),
            "valid_track_accuracy": valid["track_accuracy"] if valid else None,
            "paper": card.get("paper", {}).get(head), "train_s": round(wall, 2),
            "epochs_run": card.get("epochs_run"), "best_epoch": card.get("best_epoch"),
            "epoch_s": round(statistics.median(epoch_times[1:] or epoch_times), 3)
            if epoch_times else None,
        })
    return records


def run_descriptor(protocol: str, args: argparse.Namespace) -> list[dict]:
    """The reference row: Kaggle's descriptor SVM on the tracks of the same split (fit on
    train+valid, scored on test), as core.training.table_models fits it."""
    import numpy as np

    from core.data import datasource
    from core.features.kaggle_table import load_table
    from core.training.table_models import fit_table_model

    if not args.table.is_file():
        print(f"  descriptor_svm skipped: {args.table} not found (give --table)", flush=True)
        return []
    t0 = time.perf_counter()
    source = datasource.real_source(args.data)
    conf = train_config.TrainConfig(model="svm", data_path=str(args.data),
                                **protocol_config(protocol, args.splits, args.artists))
    table = load_table(args.table)
    split = run_plan.make_split(conf, [t for t in source.track_ids if t in set(table.track_ids)])
    fit_ids = split.train + split.valid
    rows = np.isin(table.track_ids, fit_ids)
    model, _ = fit_table_model("svm", table.X[rows], table.labels[rows], table.track_ids[rows],
                               split, DEFAULT_SEED)
    test_rows = np.isin(table.track_ids, split.test)
    proba = fitting.full_proba(model, table.X[test_rows])   # classes_ may be a subset
    test = evaluation.evaluate(table.labels[test_rows], proba, table.track_ids[test_rows])
    return [{"protocol": protocol, "row": "descriptor_svm", "table": "ref",
             "model": "descriptor_svm", "feature": "descriptors", "head": "svm",
             "seed": DEFAULT_SEED, "primary": True, "split": split.label(),
             "split_notes": dict(split.notes),
             "genres": list(split.genres()), "genre_notes": [], "test": _test_summary(test),
             "valid_track_accuracy": None, "paper": None,
             "train_s": round(time.perf_counter() - t0, 2), "epochs_run": None,
             "best_epoch": None, "epoch_s": None}]


# --- tables ----------------------------------------------------------------------------------


def _mean_sd(values: list[float]) -> str:
    """"61.2 ± 2.3" (percent) over seeds, or "61.2" for one value."""
    mean = 100 * statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:5.1f}"
    return f"{mean:5.1f} ± {100 * statistics.stdev(values):3.1f}"


def _name(rec: dict) -> str:
    """Row name such as "LSTM+SVM" or "descriptor SVM (Kaggle table)"."""
    if rec["model"] == "descriptor_svm":
        return "descriptor SVM (Kaggle table)"
    name = train_config.MODEL_LABELS[rec["model"]]
    if rec["model"] in train_config.LSTM_MODELS or rec["model"] == "musicnn":
        name += "+" + ("softmax" if rec["head"] == "softmax" else rec["head"].upper())
    return name


def print_tables(records: list[dict]) -> None:
    """Print one table per protocol: every row over its seeds."""
    for protocol in PROTOCOLS:
        recs = [r for r in records if r["protocol"] == protocol]
        if not recs:
            continue
        groups: dict[tuple, list[dict]] = {}
        for rec in recs:
            groups.setdefault((rec["row"], rec["head"]), []).append(rec)
        order = list(ROWS)
        keys = sorted(groups, key=lambda k: (order.index(k[0]), HEAD_ORDER.index(k[1])))
        first = recs[0]
        title = {"gtzan4": "GTZAN-4, artist-filtered",
                 "all10-artist": "all clips, 10 genres, artist-grouped (no artist on two sides; "
                                 "unbalanced: macro-F1 leads)",
                 "all10": "all clips, 10 genres, random-track stratified (unbalanced: macro-F1 "
                          "leads)"}[protocol]
        print(f"\n== {title}\nsplit: {first['split']}; test n = {first['test']['n_tracks']} tracks")
        if first.get("split_notes"):   # e.g. artists, unknown_artist, left_out (tracks)
            print("split notes: " + ", ".join(f"{k} {v}" for k, v in first["split_notes"].items()))
        print("test tracks per genre: " + ", ".join(f"{g} {n}" for g, n in
                                                    first["test"]["per_genre_n"].items()))
        lead = protocol != "gtzan4"
        head = (f"{'tbl':3s} {'model':30s} {'feat':5s} {'seeds':>5s} "
                + (f"{'macro-F1 %':>12s} " if lead else "")
                + f"{'seg acc %':>12s} {'track acc %':>12s} {'95% CI':>11s} "
                + ("" if lead else f"{'macro-F1 %':>12s} ")
                + f"{'paper':>6s} {'train s':>8s} {'s/epoch':>7s}")
        print(head)
        for key in keys:
            runs = groups[key]
            rec = runs[0]
            track = [r["test"]["track_accuracy"] for r in runs]
            low, high = evaluation.wilson_interval(statistics.fmean(track),
                                                   rec["test"]["n_tracks"])
            paper = PAPER_RESULTS.get(rec["paper"]) if rec["paper"] else None
            epoch = [r["epoch_s"] for r in runs if r["epoch_s"]]
            f1 = _mean_sd([r["test"]["macro_f1"] for r in runs])
            feat = {"mfcc_seq": "mfcc", "logmel": "mel", "descriptors": "57d",
                    "embeddings": "msd"}.get(
                rec["feature"], rec["feature"])
            print(f"{rec['table']:3s} {_name(rec):30s} {feat:5s} {len(runs):5d} "
                  + (f"{f1:>12s} " if lead else "")
                  + f"{_mean_sd([r['test']['segment_accuracy'] for r in runs]):>12s} "
                  f"{_mean_sd(track):>12s} {100 * low:4.1f}–{100 * high:4.1f} "
                  + ("" if lead else f"{f1:>12s} ")
                  + (f"{100 * paper:5.1f}%" if paper is not None else f"{'-':>6s}")
                  + f" {statistics.fmean(r['train_s'] for r in runs):8.1f} "
                  + (f"{statistics.median(epoch):7.2f}" if epoch else f"{'-':>7s}"))
        notes = sorted({n for r in recs for n in r["genre_notes"]})
        for note in notes:
            print(f"  note: {note}")
    print("\nseg/track acc and macro-F1 on the test side (mean ± sd over seeds); 95% CI: Wilson "
          "interval of the mean track accuracy with n = test tracks; paper = Yi et al. (2021), "
          "a random split of the full 1000 clips, for comparison only; train s = wall time of "
          "the run (features from the cache; an LSTM's three heads share one run).")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen pieces (or combine saved ones) and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "gtzan-ogg",
                        help="GTZAN folder (default ../shared/data/gtzan-ogg)")
    parser.add_argument("--splits", type=Path, default=SHARED / "splits",
                        help="folder of the artist-filtered lists (default ../shared/data/splits)")
    parser.add_argument("--artists", type=Path, default=SHARED / "metadata" / "GTZANindex.txt",
                        help="Sturm's artist index for all10-artist "
                             "(default ../shared/data/metadata/GTZANindex.txt)")
    parser.add_argument("--table", type=Path, default=SHARED / "features" / "features_30_sec.csv",
                        help="Kaggle's features_30_sec.csv for the descriptor reference row")
    parser.add_argument("--protocol", nargs="+", choices=PROTOCOLS, default=list(PROTOCOLS))
    parser.add_argument("--models", help=f"comma-separated rows (default all): {', '.join(ROWS)}")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of each Keras row (default 3)")
    parser.add_argument("--first-seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--epochs", type=int, default=40, help="most epochs per Keras model")
    parser.add_argument("--patience", type=int, default=8, help="early-stopping patience")
    parser.add_argument("--json", type=Path, help="write every run's raw result here")
    parser.add_argument("--keep-runs", type=Path, metavar="DIR",
                        help="save the run folders here (models/ or the runs folder to use them; "
                             "default: a temporary folder, removed at the end)")
    parser.add_argument("--note", help="a sentence about the data for each run's card")
    parser.add_argument("--from-json", type=Path, nargs="+", metavar="JSON",
                        help="print the tables of saved results (no training)")
    args = parser.parse_args(argv)

    if args.from_json:
        records = [r for path in args.from_json for r in json.loads(path.read_text())["runs"]]
        print_tables(records)
        return 0
    rows = args.models.split(",") if args.models else list(DEFAULT_ROWS)
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown row(s) {unknown}; choose from {', '.join(ROWS)}")
    if not args.data.is_dir():
        parser.error(f"{args.data} is not a folder (give --data)")
    started = time.perf_counter()
    records: list[dict] = []
    out = args.keep_runs or Path(tempfile.mkdtemp(prefix="genrelab-real-tables-"))
    try:
        for protocol in args.protocol:
            for row in rows:
                if row == "descriptor_svm":
                    records += run_descriptor(protocol, args)
                    continue
                keras = ROWS[row][1] in train_config.KERAS_MODELS
                seeds = range(args.first_seed, args.first_seed + (args.seeds if keras else 1))
                for seed in seeds:
                    new = run_audio(row, protocol, args, seed, out)
                    records += new
                    best = max(new, key=lambda r: r["primary"])
                    print(f"  {protocol} {row} seed {seed}: {best['train_s']:.0f} s, test track "
                          f"acc {100 * best['test']['track_accuracy']:.1f} % ({best['head']})",
                          flush=True)
                if args.json:   # after every row, so an interrupted run keeps what it measured
                    args.json.write_text(json.dumps({"runs": records}, indent=1))
    finally:
        if not args.keep_runs:
            shutil.rmtree(out, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps({"runs": records}, indent=1))
    print_tables(records)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
