"""The headline answer for one clip from several models' verdicts: one rule, in one function.

Try it's headline, the batch table's `consensus` column and evaluate-folder's "answer" row all
come from `headline`. The rule (kept here alone, so a better one can replace it):

* each model's vote weighs its measured trust (core.prediction.catalogue.trust: the lower end of
  the 95 % Wilson interval of its test track accuracy; at least MIN_WEIGHT, so unmeasured models
  still count a little);
* a genre's support is the weight of the models voting for it divided by the weight of the models
  that *can* answer it (a model trained on 4 genres counts only among those 4): a model that
  cannot answer a genre never outvotes one that can;
* the highest support wins; ties go to the larger weight, then the larger summed probability.
"""

from __future__ import annotations

from typing import Sequence

from core.constants import GENRE_INDEX, GENRES
from core.prediction.catalogue import ModelEntry, trust
from core.prediction.pipeline import ModelResult

#: Weight of a model with no measured trust (no test result on its card).
MIN_WEIGHT: float = 0.01


def weight(entry: ModelEntry | None) -> float:
    """A model's vote weight: its trust, at least MIN_WEIGHT; 1 when the model is unknown."""
    return 1.0 if entry is None else max(trust(entry), MIN_WEIGHT)


def headline(results: Sequence[ModelResult],
             entries: Sequence[ModelEntry] = ()) -> tuple[str, str] | None:
    """The clip's headline genre and a sentence saying why; None without results.
    results: the models' verdicts; entries: the ModelEntry of each (matched by label) for their
    trust (a result without an entry weighs 1, so with no entries every model weighs the same).
    """
    if not results:
        return None
    by_label = {e.label: e for e in entries}
    weights = [weight(by_label.get(r.label)) if by_label else 1.0 for r in results]
    support: dict[str, float] = {}
    voted: dict[str, float] = {}
    for genre in GENRES:
        able = sum(w for r, w in zip(results, weights) if genre in r.genres)
        votes = sum(w for r, w in zip(results, weights) if r.genre == genre)
        if votes > 0:
            support[genre] = votes / able
            voted[genre] = votes
    mass = {g: sum(float(r.clip_proba[GENRE_INDEX[g]]) for r in results) for g in support}
    best = max(support, key=lambda g: (round(support[g], 9), voted[g], mass[g]))
    agree = [r for r in results if r.genre == best]
    able = [r for r in results if best in r.genres]
    why = (f"{len(agree)} of the {len(able)} model{'s' if len(able) != 1 else ''} that can answer "
           f"{best} chose it ({support[best]:.0%} of their trust-weighted vote)")
    unable = len(results) - len(able)
    if unable:
        why += (f"; {unable} model{'s' if unable != 1 else ''} trained without {best} "
                f"{'were' if unable != 1 else 'was'} not counted for it")
    return best, why


def agreeing(results: Sequence[ModelResult], genre: str) -> int:
    """How many results chose genre."""
    return sum(r.genre == genre for r in results)
