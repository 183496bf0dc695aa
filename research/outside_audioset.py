"""Which embeddings and head make GenreLab's answer hold on music from outside GTZAN?

Question: with GTZAN's 473 real clips plus the 93 outside clips of xd-train to fit on, which
recipe (networks: musicnn / YAMNet / EfficientAT mn04; pooling; feature scaling; head; fusion;
weight of the outside clips) reaches >= 38/49 on xd-dev with every genre >= 3/7, while keeping
GTZAN-4 artist-filtered >= 95 % and all-10 artist-grouped >= 78 %?

Command (project root; ~10 min once the embeddings are cached):

    GENRELAB_CACHE=/work/cache-shared nice -n 5 /work/main/.venv/bin/python \\
        research/outside_audioset.py [--variants A B ...] [--csv out.csv] [--emb /work/scratch/emb]

    # the rows of docs/outside-gtzan-research.md (2026-12-07), without musicnn:
    ... research/outside_audioset.py --no-musicnn --variants D M N E R R2 S P Q T

Date: 2026-12-07. The musicnn variants (A-C, F-L) were planned but not run that day: the
shared machine could not finish musicnn's 615 embeddings in time.

Inputs. musicnn (MSD_musicnn) per-3-s-patch outputs come from the engine
(core.models.musicnn_net.embed_tracks and its disk cache; clip mean = core.models.musicnn_net.
clip_means). YAMNet and mn04 clip embeddings are read from ``<emb>/yamnet.npz`` and
``<emb>/mn04.npz`` (written by the ports' sessions; see the README.txt beside each): one row per
clip of gtzan-ogg (473), xd-train (93) and xd-dev (49), keyed by the clip's path relative to
../shared/data.

Protocols (every fit: StandardScaler per network block, then the head; nothing is ever fitted on
xd-dev):

- cv: 5-fold StratifiedGroupKFold (shuffle, seed 42) over the 566 fit-side clips, grouped by
  artist (GTZAN: Sturm's GTZANindex via core.data.artists; xd-train: the artist its
  PROVENANCE.tsv names), stratified by genre. Accuracy of the held-out GTZAN clips (n = 473) and
  of the held-out xd-train clips (n = 93) are reported apart. Heads' C are chosen on this (the
  mean of the two), never on xd-dev.
- gtzan4: the artist-filtered lists (../shared/data/splits, core.training.plan.make_split),
  blues/classical/jazz/rock; a 4-genre head fitted on train+valid (265) plus xd-train's clips of
  those genres (40), scored on test (n = 121).
- all10: bench/real_tables.py's all10-artist split (artist-grouped, split seed 42, test ~30 %,
  valid ~10 %; core.training.plan.make_split); fitted on train+valid plus all of xd-train,
  scored on test (n = 137).
- xd-dev: fitted on all 473 GTZAN clips plus all 93 of xd-train, scored on xd-dev (49 = 7
  genres x 7); right of 49 with its Wilson 95 % interval and the right count per genre. The
  column "xd-dev (all10 fit)" scores the all10 model (fitted without the all10 test clips) on
  xd-dev too, to show the figure does not hinge on the last few GTZAN clips.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from core.constants import DEFAULT_SEED, GENRE_INDEX, GENRES, SHARED_DATA  # noqa: E402
from core.data import artists as artist_index  # noqa: E402
from core.data.gtzan import Track, list_tracks  # noqa: E402

GTZAN4: tuple[str, ...] = ("blues", "classical", "jazz", "rock")
XD_GENRES: tuple[str, ...] = ("blues", "classical", "country", "hiphop", "jazz", "reggae", "rock")
EMB_DIR: Path = Path(os.environ.get("OUTSIDE_EMB", "/work/scratch/emb"))
SPLITS: Path = SHARED_DATA / "splits"
INDEX: Path = SHARED_DATA / "metadata" / "GTZANindex.txt"
LR_GRID: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3)
#: The LR C of every variant unless it names its own: chosen by the cv protocol on mn04 (D, M, N:
#: 0.1, 0.03, 0.1 from LR_GRID; 0.3 never led), then fixed, since the shared machine was too
#: loaded for a grid per variant. Variant(c=None) searches LR_GRID / SVM_GRID.
LR_C: float = 0.1
SVM_GRID: tuple[float, ...] = (1.0, 3.0, 10.0)
JOBS: int = 2                     #: joblib processes for the cross-validation fits


# --- clips and their labels, sets and artist groups ------------------------------------------


@dataclass
class Clips:
    """Every clip of the study, in one order: ids, genre index, set name, artist group, path."""
    ids: list[str] = field(default_factory=list)
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    sets: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    groups: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    paths: list[Path] = field(default_factory=list)

    def where(self, name: str) -> np.ndarray:
        """Positions of one set's clips ("gtzan", "xd-train", "xd-dev")."""
        return np.flatnonzero(self.sets == name)


def _xd_artists(folder: Path) -> dict[str, str]:
    """{"<genre>/<file>": artist group} from a PROVENANCE.tsv's notes ("Artist - Title; ...");
    "A & the Band" counts as A."""
    out = {}
    with open(folder / "PROVENANCE.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            artist = row["notes"].split(";")[0].split(" - ")[0].split(" & ")[0]
            out[row["file"]] = artist_index.artist_key(artist.strip('"'))
    return out


def load_clips() -> Clips:
    """gtzan-ogg (473), xd-train (93) and xd-dev (49), in that order."""
    c = Clips()
    tracks = list_tracks(SHARED_DATA / "gtzan-ogg" / "genres_original")
    index = artist_index.read_index(INDEX)
    gtzan_groups = artist_index.groups([t.track_id for t in tracks], index)
    ys, sets, groups = [], [], []
    for track, group in zip(tracks, gtzan_groups):
        c.ids.append(track.track_id)
        c.paths.append(track.path)
        ys.append(GENRE_INDEX[track.genre]), sets.append("gtzan"), groups.append(group)
    for name in ("xd-train", "xd-dev"):
        folder = SHARED_DATA / name
        named = _xd_artists(folder)
        for path in sorted(folder.glob("*/*.ogg")):
            key = f"{path.parent.name}/{path.name}"
            c.ids.append(f"{name}:{path.parent.name}/{path.stem}")
            c.paths.append(path)
            ys.append(GENRE_INDEX[path.parent.name]), sets.append(name)
            groups.append("xd:" + named.get(key, key))
    c.y, c.sets, c.groups = np.array(ys), np.array(sets, object), np.array(groups, object)
    return c


# --- embeddings ------------------------------------------------------------------------------


def musicnn_features(clips: Clips) -> dict[str, np.ndarray]:
    """musicnn blocks through the engine's cached embed_tracks: "musicnn" (1706: clip mean of
    max_pool, mean_pool, penultimate, the shipped example) and "musicnn-max" (the same three
    outputs pooled by max over the clip's patches, 1706)."""
    from core.models import musicnn_net

    tracks = [Track(i, GENRES[y], p) for i, y, p in zip(clips.ids, clips.y, clips.paths)]
    fs = musicnn_net.embed_tracks(tracks, n_jobs=1, progress=False, cache=True)
    if fs.skipped:
        raise SystemExit(f"musicnn could not embed {fs.skipped}")
    kinds = ("max_pool", "mean_pool", "penultimate")
    mean = musicnn_net.clip_means(fs, kinds)
    order = {str(t): i for i, t in enumerate(fs.track_ids)}
    seg = np.array([order[str(t)] for t in fs.segment_track])
    mx = np.full_like(mean, -np.inf, dtype=np.float64)
    np.maximum.at(mx, seg, np.concatenate([fs[k] for k in kinds], axis=1).astype(np.float64))
    rows = np.array([order[i] for i in clips.ids])
    return {"musicnn": mean[rows].astype(np.float64), "musicnn-max": mx[rows]}


def npz_features(clips: Clips, name: str, folder: Path = EMB_DIR) -> dict[str, np.ndarray]:
    """Blocks of a network from <folder>/<name>.npz: every 2-d float array with one row per clip,
    named "<name>:<array>", rows in clips' order.
    The file names its clips by path relative to ../shared/data (array "paths" or "keys")."""
    path = folder / f"{name}.npz"
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as archive:
        data = {k: archive[k] for k in archive.files}
    key_name = next(k for k in ("paths", "keys", "files", "ids", "clips") if k in data)
    keys = [str(k) for k in data[key_name]]
    position = {_norm_key(k): i for i, k in enumerate(keys)}
    rows = []
    for p in clips.paths:
        k = _norm_key(str(p.relative_to(SHARED_DATA)))
        if k not in position:
            raise SystemExit(f"{path}: no row for {k}")
        rows.append(position[k])
    rows = np.array(rows)
    out = {}
    for k, a in data.items():
        if a.ndim == 2 and a.shape[0] == len(keys) and np.issubdtype(a.dtype, np.floating):
            out[f"{name}:{k}"] = a[rows].astype(np.float64)
    return out


def _norm_key(key: str) -> str:
    """A clip key without the set's leading folders up to 'gtzan-ogg' / 'xd-*' and without
    'genres_original/'."""
    parts = Path(key).parts
    for i, part in enumerate(parts):
        if part in ("gtzan-ogg", "xd-train", "xd-dev"):
            parts = parts[i:]
            break
    return "/".join(p for p in parts if p != "genres_original")


# --- heads -----------------------------------------------------------------------------------


class BlockScaler:
    """StandardScaler per block of columns; with equalise, each block is then rescaled so that
    every block holds the same total variance (the sum stays the number of columns, so one block
    is a plain StandardScaler and C keeps its meaning)."""

    def __init__(self, widths: list[int], equalise: bool):
        self.widths, self.equalise = widths, equalise

    def fit(self, x: np.ndarray) -> "BlockScaler":
        """Column means and deviations of x."""
        self.mean_ = x.mean(axis=0)
        self.scale_ = x.std(axis=0)
        self.scale_[self.scale_ < 1e-12] = 1.0
        if self.equalise:   # block b's total variance: sum(widths) / len(widths), same sum
            share = np.sum(self.widths) / len(self.widths) / np.asarray(self.widths, float)
            self.scale_ = self.scale_ / np.repeat(np.sqrt(share), self.widths)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """x scaled."""
        return (x - self.mean_) / self.scale_


@dataclass(frozen=True)
class Variant:
    """One recipe: which blocks, how fused, which head with which C, the xd-train weight."""
    name: str
    blocks: tuple[str, ...]
    head: str = "lr"                  #: "lr" balanced logistic regression, "svm" balanced RBF SVC
    c: float | None = -1.0            #: -1: LR_C for "lr", SVM_GRID searched for "svm";
                                      #: None: chosen on the cv protocol from the head's grid
    fusion: str = "concat"            #: "concat" one head, "late" mean of per-block probabilities
    equalise: bool = True             #: concat: each block scaled to the same total variance
    xd_weight: float = 1.0            #: sample weight of the xd-train clips
    gtzan_only: bool = False          #: fit on GTZAN alone (xd-train unused)
    why: str = ""


class Head:
    """A fitted variant: predict_proba over the genres seen in training."""

    def __init__(self, variant: Variant, widths: list[int], c: float, seed: int = DEFAULT_SEED):
        self.v, self.widths, self.c, self.seed = variant, widths, c, seed

    def _clf(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import SVC

        if self.v.head == "lr":
            return LogisticRegression(C=self.c, class_weight="balanced", max_iter=5000)
        extra = {"probability": True} if self.v.fusion == "late" else {}
        return SVC(C=self.c, kernel="rbf", gamma="scale", class_weight="balanced",
                   random_state=self.seed, **extra)

    def fit(self, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> "Head":
        """Fit on rows x (blocks side by side), labels y, sample weights w."""
        self.classes_ = np.unique(y)
        if self.v.fusion == "late":
            self.parts = []
            for lo, hi in _bounds(self.widths):
                scaler = BlockScaler([hi - lo], False).fit(x[:, lo:hi])
                clf = self._clf().fit(scaler.transform(x[:, lo:hi]), y, sample_weight=w)
                self.parts.append((lo, hi, scaler, clf))
        else:
            self.scaler = BlockScaler(self.widths, self.v.equalise).fit(x)
            self.clf = self._clf().fit(self.scaler.transform(x), y, sample_weight=w)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Genre index of each row."""
        if self.v.fusion == "late":
            p = np.mean([clf.predict_proba(s.transform(x[:, lo:hi]))
                         for lo, hi, s, clf in self.parts], axis=0)
            return self.classes_[np.argmax(p, axis=1)]
        return self.clf.predict(self.scaler.transform(x))


def _fit_predict(v: Variant, widths, c, x, y, w, x_test) -> np.ndarray:
    """Predictions for x_test of the variant fitted on (x, y, w) with C = c."""
    return Head(v, widths, c).fit(x, y, w).predict(x_test)


def _bounds(widths: list[int]) -> list[tuple[int, int]]:
    """(start, end) column of each block."""
    ends = np.cumsum(widths)
    return [(int(e - w), int(e)) for w, e in zip(widths, ends)]


# --- protocols -------------------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval of k right of n."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (mid - half, mid + half)


@dataclass
class Study:
    """The clips, their feature blocks and the fixed splits of the protocols."""
    clips: Clips
    blocks: dict[str, np.ndarray]

    def __post_init__(self):
        from sklearn.model_selection import StratifiedGroupKFold

        from core.training import config as train_config, plan as run_plan

        c = self.clips
        self.gtzan, self.xdt, self.dev = c.where("gtzan"), c.where("xd-train"), c.where("xd-dev")
        pos = {c.ids[i]: i for i in self.gtzan}
        conf4 = train_config.TrainConfig(model="musicnn", protocol="artist-filtered",
                                         splits_path=str(SPLITS), genres=list(GTZAN4))
        s4 = run_plan.make_split(conf4, [c.ids[i] for i in self.gtzan])
        conf10 = train_config.TrainConfig(model="musicnn", protocol="artist-grouped",
                                          artists_path=str(INDEX), test_size=0.3,
                                          valid_size=0.1, split_seed=DEFAULT_SEED)
        s10 = run_plan.make_split(conf10, [c.ids[i] for i in self.gtzan])
        self.g4_fit = np.array([pos[t] for t in s4.train + s4.valid])
        self.g4_test = np.array([pos[t] for t in s4.test])
        self.a10_fit = np.array([pos[t] for t in s10.train + s10.valid])
        self.a10_test = np.array([pos[t] for t in s10.test])
        self.xdt4 = self.xdt[np.isin(c.y[self.xdt], [GENRE_INDEX[g] for g in GTZAN4])]
        fitside = np.concatenate([self.gtzan, self.xdt])
        folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=DEFAULT_SEED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.folds = [(fitside[a], fitside[b]) for a, b in
                          folds.split(fitside, c.y[fitside], c.groups[fitside])]
        print(f"splits: gtzan4 fit {len(self.g4_fit)}+{len(self.xdt4)} test {len(self.g4_test)}; "
              f"all10 fit {len(self.a10_fit)}+{len(self.xdt)} test {len(self.a10_test)}; "
              f"cv folds {[len(b) for _, b in self.folds]}", flush=True)

    def matrix(self, v: Variant) -> tuple[np.ndarray, list[int]]:
        """The variant's blocks side by side, and their widths."""
        parts = [self.blocks[b] for b in v.blocks]
        return np.concatenate(parts, axis=1), [p.shape[1] for p in parts]

    def _side(self, v: Variant, x, rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, sample weights) of the fit side made of rows (GTZAN's alone for gtzan_only;
        xd-train rows weighted by v.xd_weight)."""
        if v.gtzan_only:
            rows = rows[self.clips.sets[rows] == "gtzan"]
        w = np.where(self.clips.sets[rows] == "xd-train", v.xd_weight, 1.0)
        return x[rows], self.clips.y[rows], w

    def _fit(self, v: Variant, x, widths, rows, c) -> Head:
        """A head fitted on the given rows."""
        return Head(v, widths, c).fit(*self._side(v, x, rows))

    def cv(self, v: Variant, x, widths, grid) -> dict[float, tuple[float, float]]:
        """{C: (accuracy of held-out GTZAN clips, of held-out xd-train clips)} over the 5 folds,
        the (C, fold) fits run as JOBS joblib processes."""
        from joblib import Parallel, delayed

        tasks = [(c, k) for c in grid for k in range(len(self.folds))]
        preds = Parallel(n_jobs=JOBS)(
            delayed(_fit_predict)(v, widths, c, *self._side(v, x, self.folds[k][0]),
                                  x[self.folds[k][1]])
            for c, k in tasks)
        y, out = self.clips.y, {}
        for c in grid:
            pred = np.full(len(y), -1)
            for (cc, k), p in zip(tasks, preds):
                if cc == c:
                    pred[self.folds[k][1]] = p
            out[c] = (float(np.mean(pred[self.gtzan] == y[self.gtzan])),
                      float(np.mean(pred[self.xdt] == y[self.xdt])))
        return out

    def run(self, v: Variant) -> dict:
        """Every protocol's figures of one variant."""
        t0 = time.perf_counter()
        x, widths = self.matrix(v)
        y = self.clips.y
        grid = LR_GRID if v.head == "lr" else SVM_GRID
        if v.c == -1.0:
            grid = (LR_C,) if v.head == "lr" else SVM_GRID
        elif v.c is not None:
            grid = (v.c,)
        scores = self.cv(v, x, widths, grid)
        c = max(scores, key=lambda k: (np.mean(scores[k]), -abs(np.log(k))))
        cv_g, cv_x = scores[c]
        g4 = self._fit(v, x, widths, np.concatenate([self.g4_fit, self.xdt4]), c)
        g4_acc = float(np.mean(g4.predict(x[self.g4_test]) == y[self.g4_test]))
        a10 = self._fit(v, x, widths, np.concatenate([self.a10_fit, self.xdt]), c)
        a10_acc = float(np.mean(a10.predict(x[self.a10_test]) == y[self.a10_test]))
        a10_dev = int(np.sum(a10.predict(x[self.dev]) == y[self.dev]))
        full = self._fit(v, x, widths, np.concatenate([self.gtzan, self.xdt]), c)
        pred = full.predict(x[self.dev])
        right = pred == y[self.dev]
        per = {g: int(np.sum(right[y[self.dev] == GENRE_INDEX[g]])) for g in XD_GENRES}
        return {"variant": v.name, "blocks": "+".join(v.blocks), "head": v.head, "C": c,
                "fusion": v.fusion, "xd_weight": v.xd_weight, "cv_gtzan": cv_g, "cv_xdtrain": cv_x,
                "cv_by_C": {k: tuple(round(s, 3) for s in val) for k, val in scores.items()},
                "gtzan4": g4_acc, "all10": a10_acc, "xd_dev": int(right.sum()),
                "xd_dev_all10fit": a10_dev, "per_genre": per,
                "pred": [GENRES[p] for p in pred], "s": round(time.perf_counter() - t0, 1)}


# --- the variants, in the order they were planned --------------------------------------------


MUSICNN = "musicnn"
#: mn04's file (see its README.txt): "emb" the 384 channels of the last convolution averaged
#: over frequency and time, "emb_max_time" the same with max over time, "emb_meanmax" both
#: (768: the embedding SOURCE.txt measured), "emb_hidden" the 512-unit layer before the classes
MN04 = "mn04:emb_meanmax"
#: YAMNet's file: "emb_mean" / "emb_max" the 1024-d embedding's mean / max over 0.975-s windows
YAMNET = "yamnet:emb_mean"
VARIANTS: tuple[Variant, ...] = (
    Variant("A", (MUSICNN,), "lr", 0.01, gtzan_only=True,
            why="reference: last round's logistic head on musicnn, GTZAN only"),
    Variant("A2", (MUSICNN,), "svm", gtzan_only=True,
            why="reference: the shipped family's head (balanced RBF SVM) on musicnn, GTZAN only"),
    Variant("B", (MUSICNN,), "svm", why="the shipped family's head (balanced RBF SVM) on "
                                        "musicnn, with xd-train"),
    Variant("C", (MUSICNN,), "lr", why="musicnn, balanced LR, with xd-train"),
    Variant("D", (MN04,), "lr", None, why="mn04 alone, balanced LR"),
    Variant("E", (YAMNET,), "lr", why="YAMNet alone, balanced LR"),
    Variant("F", (MUSICNN, YAMNET, MN04), "lr", why="all three concatenated, each block "
                                                     "scaled to equal variance, LR"),
    Variant("G", (MUSICNN, YAMNET, MN04), "lr", fusion="late",
            why="all three, one LR each, probabilities averaged (late fusion)"),
    Variant("H", (MUSICNN, MN04), "lr", why="musicnn + mn04 concatenated, LR"),
    Variant("I", (MUSICNN, YAMNET, MN04), "svm", why="all three concatenated, balanced RBF SVM"),
    Variant("J", (MUSICNN, YAMNET, MN04), "lr", equalise=False,
            why="all three concatenated, plain per-column scaling (no block equalising)"),
    Variant("K", (MUSICNN, YAMNET, MN04), "lr", xd_weight=2.0,
            why="F with each xd-train clip counted twice"),
    Variant("L", ("musicnn-max",), "lr", why="C with clip-max pooling of the patches instead of "
                                              "clip-mean"),
    Variant("M", ("mn04:emb",), "lr", None, why="mn04 clip-mean only (384)"),
    Variant("N", ("mn04:emb_max_time",), "lr", None, why="mn04 clip-max over time only (384)"),
    Variant("E2", ("yamnet:emb_max",), "lr", why="YAMNet clip-max over its windows"),
    Variant("P", (YAMNET, MN04), "lr", why="the two AudioSet networks concatenated, LR"),
    Variant("R", ("mn04:emb_meanstd10s",), "lr", why="mn04 on 10-s windows (its training "
            "length), mean and std of the windows' 384-d embedding: SOURCE.txt's 768-d"),
    Variant("Q", (YAMNET, MN04), "lr", fusion="late",
            why="the two AudioSet networks, one LR each, probabilities averaged"),
    Variant("S", (YAMNET, "mn04:emb_meanstd10s"), "lr",
            why="P with R's mn04 block (10-s windows, mean+std)"),
    Variant("T", (YAMNET, "mn04:emb_meanstd10s"), "lr", fusion="late",
            why="Q with R's mn04 block"),
    Variant("R2", ("mn04:emb_meanstd10s",), "lr", xd_weight=2.0,
            why="R with each xd-train clip counted twice"),
)


def fmt_row(r: dict) -> str:
    """One markdown table row of a result."""
    lo, hi = wilson(r["xd_dev"], 49)
    g4lo, g4hi = wilson(round(r["gtzan4"] * 121), 121)
    a_lo, a_hi = wilson(round(r["all10"] * 137), 137)
    per = " ".join(str(r["per_genre"][g]) for g in XD_GENRES)
    return (f"| {r['variant']} | {r['blocks']} | {r['head']} C={r['C']:g}"
            f"{' late' if r['fusion'] == 'late' else ''}"
            f"{'' if r['xd_weight'] == 1 else ' xd x' + format(r['xd_weight'], 'g')} | "
            f"{r['cv_gtzan']:.3f} / {r['cv_xdtrain']:.3f} | "
            f"{r['gtzan4']:.3f} [{g4lo:.3f},{g4hi:.3f}] | "
            f"{r['all10']:.3f} [{a_lo:.3f},{a_hi:.3f}] | "
            f"{r['xd_dev']}/49 [{lo:.3f},{hi:.3f}] | {per} | {r['xd_dev_all10fit']} |")


HEADER = ("| variant | networks | head | cv GTZAN / xd-train (n 473 / 93) | gtzan4 (n 121) | "
          "all10 (n 137) | xd-dev [Wilson] | blu cla cou hip jaz reg roc | xd-dev (all10 fit) |\n"
          "|---|---|---|---|---|---|---|---|---|")


def main(argv: list[str] | None = None) -> int:
    """Load, fit each variant on each protocol, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", help="names of VARIANTS to run (default all)")
    parser.add_argument("--emb", type=Path, default=EMB_DIR, help="folder of yamnet.npz, mn04.npz")
    parser.add_argument("--csv", type=Path, help="write every result here too")
    parser.add_argument("--no-musicnn", action="store_true",
                        help="leave musicnn out (its variants are skipped)")
    args = parser.parse_args(argv)
    clips = load_clips()
    print(f"clips: gtzan {len(clips.where('gtzan'))}, xd-train {len(clips.where('xd-train'))}, "
          f"xd-dev {len(clips.where('xd-dev'))}", flush=True)
    blocks = {} if args.no_musicnn else musicnn_features(clips)
    for name in ("yamnet", "mn04"):
        blocks.update(npz_features(clips, name, args.emb))
    print("blocks: " + ", ".join(f"{k} {v.shape[1]}" for k, v in blocks.items()), flush=True)
    study = Study(clips, blocks)
    chosen = [v for v in VARIANTS if not args.variants or v.name in args.variants]
    results = []
    print(HEADER, flush=True)
    for v in chosen:
        if any(b not in blocks for b in v.blocks):
            print(f"| {v.name} | skipped: {[b for b in v.blocks if b not in blocks]} missing |")
            continue
        r = study.run(v)
        results.append(r)
        print(fmt_row(r) + f"  <!-- {r['s']} s; cv by C {r['cv_by_C']} -->", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(results[0]))
            writer.writeheader()
            writer.writerows(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
