"""Headline rules compared side by side on xd-dev, from one scoring pass of every shipped model.

    python -m research.outside_answer [--folder DIR] [--jobs 2] [--cache F]

Every shipped model scores every clip once (core.prediction.batch.predict_many, as evaluate-folder
does); each rule below then turns the same verdicts into one answer per clip. No rule has a
parameter learned from xd-dev: the weights are the cards' in-GTZAN figures, fixed before xd-dev
was seen. xd-dev is used to *choose* between the rules (the issue allows measuring and choosing),
and the count of rules compared is printed, so the choice's optimism can be judged.
"""

from __future__ import annotations

from research import studykit  # noqa: E402

import argparse
import pickle
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.constants import GENRES
from core.evaluation import wilson_interval
from core.prediction import answer, batch, catalogue, outside
from core.prediction.pipeline import ModelResult

Rule = Callable[[Sequence[ModelResult], Sequence[catalogue.ModelEntry]], str]


def _ten(results: Sequence[ModelResult]) -> list[ModelResult]:
    """The results of models that can answer all ten genres."""
    return [r for r in results if len(r.genres) == len(GENRES)]


def rule_vote(results, entries) -> str:
    """main's rule before this bench: trust-weighted vote, restricted models among their genres."""
    return answer.vote(results, entries)[0]


def rule_best_single(results, entries) -> str:
    """The answer of the single most trusted 10-genre model (in-GTZAN Wilson lower bound)."""
    by_label = {e.label: e for e in entries}
    ten = _ten(results)
    return max(ten, key=lambda r: catalogue.trust(by_label[r.label])).genre


def rule_mean_proba(results, entries) -> str:
    """Trust-weighted mean of the 10-genre models' clip probabilities."""
    by_label = {e.label: e for e in entries}
    ten = _ten(results)
    w = np.array([catalogue.trust(by_label[r.label]) for r in ten])
    p = np.average(np.stack([r.clip_proba for r in ten]), axis=0, weights=w)
    return GENRES[int(np.argmax(p))]


def rule_top2_mean(results, entries) -> str:
    """Mean probability of the two most trusted 10-genre models."""
    by_label = {e.label: e for e in entries}
    ten = sorted(_ten(results), key=lambda r: -catalogue.trust(by_label[r.label]))[:2]
    return GENRES[int(np.argmax(np.mean([r.clip_proba for r in ten], axis=0)))]


def rule_best_plus_descriptor(results, entries) -> str:
    """Geometric mean of the most trusted model and the descriptor SVM (fitted on 100 clips of
    every genre, from Kaggle's 1000-row table)."""
    by_label = {e.label: e for e in entries}
    ten = _ten(results)
    best = max(ten, key=lambda r: catalogue.trust(by_label[r.label]))
    desc = [r for r in ten if r.model == "descriptor" and r.head == "svm"]
    if not desc:
        return best.genre
    p = np.log(best.clip_proba + 1e-6) + np.log(desc[0].clip_proba + 1e-6)
    return GENRES[int(np.argmax(p))]


RULES: dict[str, Rule] = {
    "trust-weighted vote (before)": rule_vote,
    "most trusted single model": rule_best_single,
    "trust-weighted mean probability": rule_mean_proba,
    "mean of the two most trusted": rule_top2_mean,
    "most trusted x descriptor SVM": rule_best_plus_descriptor,
}


def score(folder: Path, jobs: int, cache: Path | None) -> tuple[list[str], list, list]:
    """(truth per clip, results per clip, model entries) — from the cache when it is there."""
    entries = [e for e in catalogue.available_models() if e.shipped]
    if cache is not None and cache.exists():
        truth, rows = pickle.loads(cache.read_bytes())
        return truth, rows, entries
    labelled = outside.scan_folder(folder)
    inputs = [item for item, _ in labelled.clips]
    truth, rows = [], []
    for (_, genre), row in zip(labelled.clips, batch.predict_many(inputs, entries, jobs=jobs)):
        if row.prediction is not None:
            truth.append(genre)
            rows.append(list(row.prediction.results))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps((truth, rows)))
    return truth, rows, entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=studykit.XD_DEV)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=None,
                        help="pickle of the verdicts (artefacts/…): rerun the rules without scoring")
    args = parser.parse_args(argv)
    truth, rows, entries = score(args.folder, args.jobs, args.cache)
    present = [g for g in GENRES if g in truth]
    print(f"{len(truth)} clips of {args.folder}; {len(RULES)} rules compared")
    print(f"{'rule':40s} {'right':>7s} {'acc':>6s} {'95 % CI':>15s}  "
          + " ".join(g[:3] for g in present))
    for name, rule in RULES.items():
        said = [rule(results, entries) for results in rows]
        right = sum(s == t for s, t in zip(said, truth))
        low, high = wilson_interval(right / len(truth), len(truth))
        per = " ".join(f"{sum(s == t == g for s, t in zip(said, truth)):3d}" for g in present)
        print(f"{name:40s} {right:3d}/{len(truth):<3d} {right / len(truth):6.1%} "
              f"[{low:5.1%}–{high:5.1%}]  {per}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
