"""musicnn embeddings -> SVM / KNN on GTZAN-4 (blues, classical, jazz, rock), artist-filtered split.

Usage (from the project root; set GENRELAB_CACHE to reuse the embedding cache):
    python -m research.musicnn_gtzan4 [--data PATH] [--splits DIR] [--jobs N]

Embeds every clip under --data (default ../shared/data/gtzan-ogg, the 473 real Vorbis copies) with
core.models.musicnn_net.embed_tracks (printing the wall time and how many clips came from the cache), then,
on the artist-filtered split restricted to the four complete genres and to the clips present
(train/valid/test 181/84/121 tracks), for each embedding (clip mean of the 3-s patches):
StandardScaler -> RBF SVM with C chosen by validation accuracy and refitted on train+valid, and
StandardScaler -> KNN (k=5) fitted on train+valid. Prints test track accuracy with its 95 %
Wilson interval and n. ``gtzan4_rows`` returns the same figures for other benches. A second table
fits the same heads on the 3-s patches themselves (C chosen by validation track accuracy) and
gives segment (patch) accuracy and track accuracy by majority vote of the patches.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np


from core.constants import DEFAULT_SEED, GENRE_INDEX, SHARED_DATA  # noqa: E402

SHARED = SHARED_DATA
GENRES4: tuple[str, ...] = ("blues", "classical", "jazz", "rock")
#: Embeddings compared: name -> musicnn outputs concatenated (clip means).
EMBEDDINGS: dict[str, tuple[str, ...]] = {
    "max_pool": ("max_pool",),
    "penultimate": ("penultimate",),
    "all three": ("max_pool", "mean_pool", "penultimate"),
}
C_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
KNN_K: int = 5


def embed_all(data: Path, n_jobs: int):  # -> core.features.study.FeatureSet
    """Embeddings of every clip under data (cache used); prints the wall time."""
    from core.models import musicnn_net
    from core.data.gtzan import list_tracks

    tracks = list_tracks(data)
    start = time.perf_counter()
    features = musicnn_net.embed_tracks(tracks, n_jobs=n_jobs, progress=True)
    seconds = time.perf_counter() - start
    print(f"embeddings: {features.track_ids.size} clips ({features.cache_hits} from the cache, "
          f"{len(features.skipped)} skipped) in {seconds:.1f} s with {n_jobs} job(s) on "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    return features


def gtzan4_rows(features, splits_dir: Path, seed: int = DEFAULT_SEED) -> tuple[list[dict], str]:
    """Test track accuracy of SVM and KNN heads per embedding; rows and the protocol label."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from core.models import musicnn_net
    from core.evaluation import wilson_interval

    split, ids = _sides(features, splits_dir)
    position = {str(t): i for i, t in enumerate(features.track_ids)}
    sides = {name: np.array([position[t] for t in side]) for name, side in ids.items()}
    labels = features.track_labels
    fit_idx = np.concatenate([sides["train"], sides["valid"]])
    rows = []
    for name, kinds in EMBEDDINGS.items():
        X = musicnn_net.clip_means(features, kinds).astype(np.float64)
        valid_acc = []
        for c in C_GRID:
            model = make_pipeline(StandardScaler(), SVC(C=c, random_state=seed))
            model.fit(X[sides["train"]], labels[sides["train"]])
            valid_acc.append(float(np.mean(model.predict(X[sides["valid"]])
                                           == labels[sides["valid"]])))
        best_c = C_GRID[int(np.argmax(valid_acc))]
        heads = {
            f"SVM (C={best_c:g}, valid {max(valid_acc):.3f})":
                make_pipeline(StandardScaler(), SVC(C=best_c, random_state=seed)),
            f"KNN (k={KNN_K})": make_pipeline(StandardScaler(),
                                              KNeighborsClassifier(n_neighbors=KNN_K)),
        }
        for head, model in heads.items():
            model.fit(X[fit_idx], labels[fit_idx])
            correct = model.predict(X[sides["test"]]) == labels[sides["test"]]
            accuracy = float(np.mean(correct))
            low, high = wilson_interval(accuracy, int(correct.size))
            rows.append({"embedding": name, "width": X.shape[1], "head": head,
                         "test_track_accuracy": accuracy, "n": int(correct.size),
                         "wilson95": (low, high)})
    return rows, split.label()


def _sides(features, splits_dir: Path):
    """The GTZAN-4 artist-filtered split of the tracks held: (split, {side: track ids})."""
    from core.data import splits

    split = splits.artist_filtered_split(list(features.track_ids), splits_dir).restrict(GENRES4)
    return split, {name: split.side(name) for name in ("train", "valid", "test")}


def patch_rows(features, splits_dir: Path, seed: int = DEFAULT_SEED) -> list[dict]:
    """Heads fitted on single 3-s patches: segment and track (vote) accuracy on the test side."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from core.evaluation import evaluate

    _, ids = _sides(features, splits_dir)
    mask = {name: np.isin(features.segment_track, side) for name, side in ids.items()}
    y = features.segment_label
    groups = features.segment_track
    fit = mask["train"] | mask["valid"]

    def scores(model, where: np.ndarray) -> dict:
        onehot = np.eye(len(GENRE_INDEX))[model.predict(X[where])]
        return evaluate(y[where], onehot, groups[where])

    rows = []
    for name, kinds in EMBEDDINGS.items():
        X = np.concatenate([features[k] for k in kinds], axis=1).astype(np.float64)
        valid = []
        for c in C_GRID:
            model = make_pipeline(StandardScaler(), SVC(C=c, random_state=seed))
            valid.append(scores(model.fit(X[mask["train"]], y[mask["train"]]),
                                mask["valid"])["track_accuracy"])
        best_c = C_GRID[int(np.argmax(valid))]
        heads = {f"SVM (C={best_c:g}, valid {max(valid):.3f})":
                     make_pipeline(StandardScaler(), SVC(C=best_c, random_state=seed)),
                 f"KNN (k={KNN_K})": make_pipeline(StandardScaler(),
                                                   KNeighborsClassifier(n_neighbors=KNN_K))}
        for head, model in heads.items():
            metrics = scores(model.fit(X[fit], y[fit]), mask["test"])
            rows.append({"embedding": name, "width": X.shape[1], "head": head, **{
                k: metrics[k] for k in ("segment_accuracy", "track_accuracy", "n_segments",
                                        "n_tracks")}})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Embed, fit and print the GTZAN-4 table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "gtzan-ogg")
    parser.add_argument("--splits", type=Path, default=SHARED / "splits")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    for path in (args.data, args.splits):
        if not path.exists():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 1
    features = embed_all(args.data, args.jobs)
    missing = [g for g in GENRES4 if GENRE_INDEX[g] not in set(features.track_labels.tolist())]
    if missing:
        print(f"error: no clips of {missing} under {args.data}", file=sys.stderr)
        return 1
    rows, label = gtzan4_rows(features, args.splits)
    print(f"\nGTZAN-4 {', '.join(GENRES4)}; protocol {label}; SVC seed {DEFAULT_SEED}; "
          "clip mean of 3-s patches; test track accuracy")
    print(f"{'embedding':<12} {'dims':>5} {'head':<28} {'accuracy':>8} {'95 % Wilson':>15} "
          f"{'n':>4}")
    for row in rows:
        low, high = row["wilson95"]
        print(f"{row['embedding']:<12} {row['width']:>5} {row['head']:<28} "
              f"{row['test_track_accuracy']:>8.3f} {f'[{low:.3f}, {high:.3f}]':>15} {row['n']:>4}")
    print("\nsame split, heads fitted on single 3-s patches (each patch one segment); test side")
    print(f"{'embedding':<12} {'dims':>5} {'head':<28} {'segment':>8} {'track':>6} "
          f"{'n_seg':>6} {'n':>4}")
    for row in patch_rows(features, args.splits):
        print(f"{row['embedding']:<12} {row['width']:>5} {row['head']:<28} "
              f"{row['segment_accuracy']:>8.3f} {row['track_accuracy']:>6.3f} "
              f"{row['n_segments']:>6} {row['n_tracks']:>4}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
