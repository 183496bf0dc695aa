"""Beyond GTZAN: musicnn head variants measured on GTZAN and on xd-dev.

Usage (from the project root, after research/outside_embed.py has filled the cache):
    python -m research.outside_variants [--variants NAME ...] [--no-xd] [--csv FILE]

For each variant (features x head x training data, see VARIANTS) it reports, with n and a 95 %
Wilson interval:

- select: the GTZAN-side score used to CHOOSE between variants: macro-F1 (all 10 genres) of
  5-fold artist-grouped cross-validation (StratifiedGroupKFold, groups = GTZANindex artist, Sturm
  2012; unknown artist = its own group) on the train+valid side of the random-track split
  (seed 42), augmented copies only ever on the training folds. xd-dev plays no part in it.
- rand10: all-10 macro-F1 and accuracy on the test side of the random-track split of the 473
  real clips (core.data.splits.random_track_split, seed 42, test 0.3 / valid 0.1, as the training
  runner does it): hyper-parameter chosen by that grouped CV, refitted on train+valid.
- gtzan4: track accuracy on the test side of the artist-filtered split restricted to blues,
  classical, jazz, rock (train/valid/test 181/84/121; research/musicnn_gtzan4.py's protocol, a
  4-genre head fitted on train+valid, hyper-parameter chosen by grouped CV on train+valid).
- xd: accuracy and per-genre recall on the 49 xd-dev clips of the rand10 model (the artefact
  the runner would ship: fitted on train+valid of the seed-42 split). xd-dev is only predicted:
  no weight, scaler, threshold, calibration or prior is fitted on it.

Choice rule (fixed before reading xd-dev): among variants with gtzan4 >= 0.95 and rand10
macro-F1 >= 0.74, the highest "select" score. Run 2026-12-06 (load 5-19 on 2 shared cores):
13 variants touched xd-dev (A-N below, M's CV weight came out 0 so M equals D); O was gated on
GTZAN only (--no-xd: select 0.737, gtzan4 0.934) and never predicted xd-dev. Chosen: C, saved by
``--variants C --save C`` to artefacts/outside_msd3_svm.skops. See
docs/outside-gtzan-research.md for the table.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")   # BLAS threads thrash on a shared 2-core machine

import numpy as np  # noqa: E402


from core.constants import DEFAULT_SEED, GENRES, GENRE_INDEX, SHARED_DATA  # noqa: E402
from research import outside_recipe as outside  # noqa: E402

GENRES4 = ("blues", "classical", "jazz", "rock")
XD_GENRES = ("blues", "classical", "country", "hiphop", "jazz", "reggae", "rock")
INDEX_FILE = SHARED_DATA / "metadata" / "GTZANindex.txt"
SPLITS = SHARED_DATA / "splits"
CV_FOLDS = 5


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Clips:
    """Per-patch outputs of a set of clips: ids, genre labels, and per checkpoint the arrays."""

    ids: list[str]
    labels: np.ndarray
    outputs: dict[str, list[dict[str, np.ndarray]]] = field(default_factory=dict)


def load(set_name: str, ckpts: tuple[str, ...], aug: str = "none") -> Clips:
    """Cached per-patch outputs (research/outside_embed.py) of every clip of a set."""
    from research.outside_embed import clips as list_clips

    paths = list_clips(set_name)
    ids = [p.stem for p in paths]
    labels = np.array([GENRE_INDEX[p.parent.name] for p in paths])
    out = Clips(ids, labels)
    for ckpt in ckpts:
        rows = []
        for p in paths:
            cached = outside.cache_path(ckpt, aug, set_name, p)
            if not cached.is_file():
                raise SystemExit(f"missing {cached}: run research/outside_embed.py --sets {set_name} "
                                 f"--ckpt {ckpt} --aug {aug}")
            with np.load(cached) as a:
                rows.append({k: a[k] for k in outside.OUTPUTS})
        out.outputs[ckpt] = rows
    return out


def artists() -> dict[str, str]:
    """GTZAN track id -> artist, lower case (Sturm's index, core.data.artists); unknown artists
    left out."""
    from core.data.artists import read_index

    return {t: info.artist.lower() for t, info in read_index(INDEX_FILE).items() if info.artist}


# --- features ------------------------------------------------------------------------------------


PATCHES_KEPT = 9   #: patch-level heads use each clip's first 9 patches (every clip has >= 9)


def clip_matrix(clips: Clips, feature: str) -> np.ndarray:
    """One row per clip: the clip mean over 3-s patches of each piece, concatenated; for
    "<feature>@patch" the first PATCHES_KEPT patches' rows flattened (see PatchHead)."""
    if feature.endswith("@patch"):
        base = feature[:-len("@patch")]
        return np.stack([patch_rows_of(clips, i, base)[:PATCHES_KEPT].reshape(-1)
                         for i in range(len(clips.ids))])
    return np.stack([patch_rows_of(clips, i, feature).mean(axis=0) for i in range(len(clips.ids))])


def patch_rows_of(clips: Clips, i: int, feature: str) -> np.ndarray:
    """(n_patches, width) rows of clip i for a feature."""
    if feature not in outside.FEATURES:
        return patch_rows_of(clips, i, feature.split("@")[0])
    pieces = []
    for ckpt, kind in outside.FEATURES[feature]:
        a = clips.outputs[ckpt][i][kind]
        pieces.append(outside.tag_logit(a) if kind == "taggram" else a.astype(np.float64))
    return np.concatenate(pieces, axis=1)


# --- heads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    feature: str
    head: str                       # "svm-cal" (the shipped recipe), "svm", "lr"
    augs: tuple[str, ...] = ()      # augmented copies of every training clip
    grid: tuple[float, ...] = ()
    select: str = "cv"              # "cv": grouped CV macro-F1; "valid": shipped valid accuracy
    xd_fit_all: bool = False        # the xd model fitted on all 473 clips (C as chosen above)


SVM_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
LR_GRID = (0.001, 0.003, 0.01, 0.03, 0.1)

VARIANTS: dict[str, Variant] = {
    "A shipped: msd3 SVM-cal (C by valid acc)": Variant("msd3", "svm-cal", (), SVM_GRID, "valid"),
    "B msd3 SVM-cal (C by grouped CV)": Variant("msd3", "svm-cal", (), SVM_GRID),
    "C msd3 SVM uncalibrated": Variant("msd3", "svm", (), SVM_GRID),
    "D msd3 LR": Variant("msd3", "lr", (), LR_GRID),
    "E msd3+tags LR": Variant("msd3+tags", "lr", (), LR_GRID),
    "F msd3+mtt3 LR": Variant("msd3+mtt3", "lr", (), LR_GRID),
    "G pen+tags LR": Variant("pen+tags", "lr", (), LR_GRID),
    "H tags LR": Variant("tags", "lr", (), LR_GRID),
    "I msd3+mtt3 SVM uncal": Variant("msd3+mtt3", "svm", (), SVM_GRID),
    "J msd3 LR +eq aug": Variant("msd3", "lr", ("eq",), LR_GRID),
    "K msd3 SVM uncal +eq aug": Variant("msd3", "svm", ("eq",), SVM_GRID),
    "L mtt3 LR": Variant("mtt3", "lr", (), LR_GRID),
    "O msd3 SVM on 3-s patches (mean decision)": Variant("msd3@patch", "svm-patch", (),
                                                         (1.0, 3.0, 10.0)),
    "N msd3 SVM uncal, xd model fitted on all 473": Variant("msd3", "svm", (), SVM_GRID,
                                                            xd_fit_all=True),
}


class PatchHead:
    """Segment-level training: each 3-s patch one row (StandardScaler -> balanced RBF SVC); a
    clip's genre is the argmax of its patches' mean one-vs-rest decision values. Takes clip rows
    of PATCHES_KEPT flattened patches."""

    def __init__(self, c: float, seed: int = DEFAULT_SEED):
        self.model = outside.make_head("svm", c, seed)

    def _rows(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x) * PATCHES_KEPT, -1)

    def fit(self, x: np.ndarray, y: np.ndarray) -> "PatchHead":
        self.model.fit(self._rows(x), np.repeat(y, PATCHES_KEPT))
        self.classes_ = self.model.classes_
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        d = self.model.decision_function(self._rows(x)).reshape(len(x), PATCHES_KEPT, -1)
        return self.classes_[np.argmax(d.mean(axis=1), axis=1)]


def fit_head(head: str, c: float, x: np.ndarray, y: np.ndarray, seed: int = DEFAULT_SEED):
    """The fitted head; "svm-cal" Platt-calibrated on 3 stratified folds as the runner does."""
    if head == "svm-patch":
        return PatchHead(c, seed).fit(x, y)
    model = outside.make_head(head, c, seed)
    if head == "svm-cal":
        from core.models.baselines import calibrate_svm, grouped_folds

        calibrate_svm(model, y, grouped_folds(y, np.arange(len(y)).astype(str), seed))
    return model.fit(x, y)


def predict(model, head: str, x: np.ndarray) -> np.ndarray:
    """Genre index per row: argmax of probabilities (svm-cal, lr) or of SVM decision values."""
    classes = model.classes_ if hasattr(model, "classes_") else model.named_steps["clf"].classes_
    if head in ("svm", "svm-patch"):
        return np.asarray(model.predict(x))
    return classes[np.argmax(model.predict_proba(x), axis=1)]


def macro_f1(y: np.ndarray, pred: np.ndarray, labels=None) -> float:
    from sklearn.metrics import f1_score

    labels = np.unique(y) if labels is None else labels
    return float(f1_score(y, pred, labels=labels, average="macro", zero_division=0))


# --- protocol ------------------------------------------------------------------------------------


class Data:
    """Every matrix a variant needs, built once per feature and augmentation."""

    def __init__(self, ckpts: tuple[str, ...], augs: tuple[str, ...], xd: bool):
        self.gtzan = load("gtzan", ckpts)
        self.aug = {a: load("gtzan", ckpts, a) for a in augs}
        self.xd = load("xd", ckpts) if xd else None
        if xd:
            from research.outside_embed import clips as list_clips

            self.xd_names = [f"{p.parent.name}/{p.stem}" for p in list_clips("xd")]
        self._cache: dict = {}
        who = artists()
        self.groups = np.array([who.get(t, f"?{t}") for t in self.gtzan.ids])
        from core.data import splits

        self.rand = splits.random_track_split(self.gtzan.ids, seed=DEFAULT_SEED)
        self.filt = splits.artist_filtered_split(self.gtzan.ids, SPLITS).restrict(GENRES4)

    def x(self, which: str, feature: str) -> np.ndarray:
        key = (which, feature)
        if key not in self._cache:
            clips = {"gtzan": self.gtzan, "xd": self.xd}.get(which) or self.aug[which]
            self._cache[key] = clip_matrix(clips, feature)
        return self._cache[key]

    def index(self, ids) -> np.ndarray:
        pos = {t: i for i, t in enumerate(self.gtzan.ids)}
        return np.array([pos[t] for t in ids])


def training_rows(data: Data, v: Variant, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training matrix of clips idx: originals plus their augmented copies."""
    x = [data.x("gtzan", v.feature)[idx]] + [data.x(a, v.feature)[idx] for a in v.augs]
    return np.concatenate(x), np.tile(data.gtzan.labels[idx], 1 + len(v.augs))


def grouped_cv(data: Data, v: Variant, idx: np.ndarray, c: float) -> tuple[float, np.ndarray]:
    """Macro-F1 (all genres present) of artist-grouped CV on clips idx; and the predictions."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = data.gtzan.labels[idx]
    pred = np.zeros_like(y)
    folds = StratifiedGroupKFold(n_splits=CV_FOLDS, shuffle=True, random_state=DEFAULT_SEED)
    for tr, te in folds.split(idx, y, data.groups[idx]):
        xt, yt = training_rows(data, v, idx[tr])
        model = fit_head(v.head, c, xt, yt)
        pred[te] = predict(model, v.head, data.x("gtzan", v.feature)[idx[te]])
    return macro_f1(y, pred), pred


def choose_c(data: Data, v: Variant, split) -> tuple[float, float]:
    """(C, score): by grouped-CV macro-F1 on train+valid, or (shipped) by valid accuracy."""
    if v.select == "valid":
        tr, va = data.index(split.train), data.index(split.valid)
        xt, yt = training_rows(data, v, tr)
        scores = [float(np.mean(predict(fit_head("svm", c, xt, yt), "svm",
                                        data.x("gtzan", v.feature)[va])
                                == data.gtzan.labels[va])) for c in v.grid]
    else:
        idx = data.index(split.train + split.valid)
        scores = [grouped_cv(data, v, idx, c)[0] for c in v.grid]
    best = int(np.argmax(scores))
    return v.grid[best], scores[best]


def wilson(k: int, n: int) -> tuple[float, float]:
    from core.evaluation import wilson_interval

    return wilson_interval(k / n, n) if n else (float("nan"), float("nan"))


def run_variant(data: Data, name: str, v: Variant) -> dict:
    """All figures of one variant (see the module docstring)."""
    t0 = time.perf_counter()
    row: dict = {"variant": name}
    # random-track split, all 10 genres
    c, sel = choose_c(data, v, data.rand)
    fit_idx = data.index(data.rand.train + data.rand.valid)
    test = data.index(data.rand.test)
    model = fit_head(v.head, c, *training_rows(data, v, fit_idx))
    y = data.gtzan.labels[test]
    pred = predict(model, v.head, data.x("gtzan", v.feature)[test])
    # the selection score (grouped CV on train+valid, macro-F1) at the chosen C
    select = sel if v.select == "cv" else grouped_cv(data, v, fit_idx, c)[0]
    row.update({"C": c, "select_cv_macroF1": select, "rand10_macroF1": macro_f1(y, pred),
                "rand10_acc": float(np.mean(pred == y)), "rand10_n": int(len(y))})
    if data.xd is not None:
        if v.xd_fit_all:
            model = fit_head(v.head, c, *training_rows(data, v, np.arange(len(data.gtzan.ids))))
        px = predict(model, v.head, data.x("xd", v.feature))
        yx = data.xd.labels
        k = int(np.sum(px == yx))
        row.update({"xd_correct": k, "xd_n": len(yx), "xd_acc": k / len(yx),
                    "xd_wilson": wilson(k, len(yx))})
        for g in XD_GENRES:
            m = yx == GENRE_INDEX[g]
            row[f"xd_{g}"] = int(np.sum(px[m] == yx[m]))
        row["xd_pred"] = [GENRES[i] for i in px]
    # GTZAN-4 artist-filtered
    c4, _ = choose_c(data, v, data.filt)
    fit4 = data.index(data.filt.train + data.filt.valid)
    test4 = data.index(data.filt.test)
    m4 = fit_head(v.head, c4, *training_rows(data, v, fit4))
    p4 = predict(m4, v.head, data.x("gtzan", v.feature)[test4])
    k4 = int(np.sum(p4 == data.gtzan.labels[test4]))
    row.update({"C4": c4, "gtzan4_acc": k4 / len(test4), "gtzan4_n": len(test4),
                "gtzan4_wilson": wilson(k4, len(test4)), "seconds": time.perf_counter() - t0})
    return row


# --- blend with a descriptor head trained on Kaggle's 1000-track table --------------------------

TABLE = SHARED_DATA / "features" / "features_30_sec.csv"
W_GRID = (0.0, 0.25, 0.4, 0.55, 0.7)
BLENDS: dict[str, tuple[str, tuple[float, ...]]] = {
    # name -> (musicnn variant whose recipe is blended, weight grid of the descriptor head)
    "M msd3 LR x descriptor-table LR blend": ("D msd3 LR", W_GRID),
}


def proba10(model, x: np.ndarray) -> np.ndarray:
    """(n, 10) probabilities of a fitted classifier (columns of absent genres 0)."""
    out = np.zeros((len(x), len(GENRES)))
    out[:, model.classes_] = model.predict_proba(x)
    return out


def desc_head():
    """Yeo-Johnson power transform -> shrinkage LDA (eigen, 0.1) -> multinomial LR (C 1): the
    project's descriptor recipe (core.training.table_models) with a probabilistic head."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import PowerTransformer

    return Pipeline([("power", PowerTransformer()),
                     ("lda", LinearDiscriminantAnalysis(solver="eigen", shrinkage=0.1)),
                     ("clf", LogisticRegression(C=1.0, max_iter=3000))])


class Table:
    """Kaggle's 1000-track table with the artist of each row."""

    def __init__(self):
        from core.features.kaggle_table import load_table

        t = load_table(TABLE)
        who = artists()
        self.X, self.y, self.ids = t.X, t.labels, np.asarray(t.track_ids).astype(str)
        self.artist = np.array([who.get(i, f"?{i}") for i in self.ids])
        self.row = {i: k for k, i in enumerate(self.ids)}

    def fit(self, exclude_ids=(), exclude_artists=(), genres=None):
        keep = ~np.isin(self.ids, list(exclude_ids)) & ~np.isin(self.artist, list(exclude_artists))
        if genres is not None:
            keep &= np.isin(self.y, [GENRE_INDEX[g] for g in genres])
        return desc_head().fit(self.X[keep], self.y[keep])

    def rows(self, ids) -> np.ndarray:
        return self.X[[self.row[i] for i in ids]]


def blend_pred(p_mus: np.ndarray, p_desc: np.ndarray, w: float) -> np.ndarray:
    """argmax of (1 - w) log p_musicnn + w log p_descriptor."""
    eps = 1e-6
    return np.argmax((1 - w) * np.log(p_mus + eps) + w * np.log(p_desc + eps), axis=1)


def run_blend(data: "Data", name: str, base: str, grid: tuple[float, ...]) -> dict:
    """The blend's figures, as run_variant's; w chosen on grouped CV of train+valid (random
    split), the descriptor head never trained on a held-out fold's artists or on test tracks."""
    from sklearn.model_selection import StratifiedGroupKFold

    t0 = time.perf_counter()
    v = VARIANTS[base]
    table = Table()
    test_ids = list(data.rand.test)
    c, _ = choose_c(data, v, data.rand)
    idx = data.index(data.rand.train + data.rand.valid)
    y = data.gtzan.labels[idx]
    ids = np.array(data.gtzan.ids)
    pm, pd = np.zeros((len(idx), len(GENRES))), np.zeros((len(idx), len(GENRES)))
    folds = StratifiedGroupKFold(n_splits=CV_FOLDS, shuffle=True, random_state=DEFAULT_SEED)
    for tr, te in folds.split(idx, y, data.groups[idx]):
        m = fit_head(v.head, c, *training_rows(data, v, idx[tr]))
        pm[te] = proba10(m, data.x("gtzan", v.feature)[idx[te]])
        d = table.fit(exclude_ids=test_ids, exclude_artists=set(data.groups[idx[te]]))
        pd[te] = proba10(d, table.rows(ids[idx[te]]))
    scores = [macro_f1(y, blend_pred(pm, pd, w)) for w in grid]
    w = grid[int(np.argmax(scores))]
    row: dict = {"variant": f"{name} (w={w:g})", "C": c, "select_cv_macroF1": max(scores),
                 "w_scores": dict(zip(map(str, grid), scores))}
    m = fit_head(v.head, c, *training_rows(data, v, idx))
    d = table.fit(exclude_ids=test_ids)
    test = data.index(data.rand.test)
    yt = data.gtzan.labels[test]
    pt = blend_pred(proba10(m, data.x("gtzan", v.feature)[test]),
                    proba10(d, table.rows(ids[test])), w)
    row.update({"rand10_macroF1": macro_f1(yt, pt), "rand10_acc": float(np.mean(pt == yt)),
                "rand10_n": int(len(yt))})
    if data.xd is not None:
        from bench.outside_descriptors import path as desc_path

        with np.load(desc_path()) as a:
            names, xd_desc = list(a["names"]), a["X"]
        order = [names.index(n) for n in data.xd_names]
        px = blend_pred(proba10(m, data.x("xd", v.feature)), proba10(d, xd_desc[order]), w)
        yx = data.xd.labels
        k = int(np.sum(px == yx))
        row.update({"xd_correct": k, "xd_n": len(yx), "xd_acc": k / len(yx),
                    "xd_wilson": wilson(k, len(yx))})
        for g in XD_GENRES:
            mk = yx == GENRE_INDEX[g]
            row[f"xd_{g}"] = int(np.sum(px[mk] == yx[mk]))
        row["xd_pred"] = [GENRES[i] for i in px]
    c4, _ = choose_c(data, v, data.filt)
    fit4 = data.index(data.filt.train + data.filt.valid)
    test4 = data.index(data.filt.test)
    m4 = fit_head(v.head, c4, *training_rows(data, v, fit4))
    d4 = table.fit(exclude_ids=[i for i in table.ids if i not in set(ids[fit4])], genres=GENRES4)
    p4 = blend_pred(proba10(m4, data.x("gtzan", v.feature)[test4]),
                    proba10(d4, table.rows(ids[test4])), w)
    k4 = int(np.sum(p4 == data.gtzan.labels[test4]))
    row.update({"C4": c4, "gtzan4_acc": k4 / len(test4), "gtzan4_n": len(test4),
                "gtzan4_wilson": wilson(k4, len(test4)), "seconds": time.perf_counter() - t0})
    return row


CHOSEN_ARTEFACT = "outside_msd3_svm.skops"


def save_variant(data: "Data", key: str) -> Path:
    """Fit a variant on train+valid of the random split (C by its grouped CV), save it (skops)
    to artefacts/outside_msd3_svm.skops (chosen variant) or artefacts/outside_<letter>.skops."""
    name = next(n for n in VARIANTS if n == key or n.split()[0] == key)
    v = VARIANTS[name]
    c, _ = choose_c(data, v, data.rand)
    model = fit_head(v.head, c, *training_rows(data, v, data.index(data.rand.train
                                                                  + data.rand.valid)))
    target = outside.ARTEFACTS / (CHOSEN_ARTEFACT if name.startswith("C ")
                                  else f"outside_{name.split()[0]}.skops")
    outside.save_head(model, v.feature, target)
    print(f"saved {name} (C={c:g}) -> {target} ({target.stat().st_size / 1e6:.2f} MB)")
    return target


def print_row(r: dict) -> None:
    xd = ""
    if "xd_acc" in r:
        lo, hi = r["xd_wilson"]
        rec = " ".join(f"{g[:3]} {r[f'xd_{g}']}" for g in XD_GENRES)
        xd = f" | xd {r['xd_correct']}/{r['xd_n']} {r['xd_acc']:.3f} [{lo:.3f},{hi:.3f}] {rec}"
    lo4, hi4 = r["gtzan4_wilson"]
    print(f"{r['variant']:<38} C={r['C']:<7g} sel {r['select_cv_macroF1']:.3f} | rand10 F1 "
          f"{r['rand10_macroF1']:.3f} acc {r['rand10_acc']:.3f} n={r['rand10_n']} | g4 "
          f"{r['gtzan4_acc']:.3f} [{lo4:.3f},{hi4:.3f}] n={r['gtzan4_n']}{xd} "
          f"({r['seconds']:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=None,
                        help="variant names or their leading letter (default: all)")
    parser.add_argument("--no-xd", action="store_true", help="GTZAN figures only")
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--save", default=None, metavar="VARIANT",
                        help="fit this variant (name or letter) on the random split's "
                             "train+valid with its chosen C and save it to artefacts/")
    args = parser.parse_args(argv)
    def wanted(n: str) -> bool:
        return args.variants is None or n in args.variants or n.split()[0] in args.variants

    chosen = {n: v for n, v in VARIANTS.items() if wanted(n)}
    blends = {n: b for n, b in BLENDS.items() if wanted(n)}
    needed = {**chosen, **{b[0]: VARIANTS[b[0]] for b in blends.values()}}
    ckpts = tuple(sorted({ck for v in needed.values()
                          for ck, _ in outside.FEATURES[v.feature.split("@")[0]]}))
    augs = tuple(sorted({a for v in needed.values() for a in v.augs}))
    data = Data(ckpts, augs, xd=not args.no_xd)
    print(f"protocols: random-track split seed {DEFAULT_SEED} "
          f"({data.rand.label()}); GTZAN-4 {data.filt.label()}; select = {CV_FOLDS}-fold "
          f"artist-grouped CV macro-F1 on the random split's train+valid; xd-dev n=49")
    rows = []
    for name, v in chosen.items():
        rows.append(run_variant(data, name, v))
        print_row(rows[-1])
    for name, (base, grid) in blends.items():
        rows.append(run_blend(data, name, base, grid))
        print_row(rows[-1])
        print("   w -> grouped-CV macro-F1:", rows[-1]["w_scores"])
    if args.save:
        save_variant(data, args.save)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            keys = list(dict.fromkeys(k for r in rows for k in r))
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
