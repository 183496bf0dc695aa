"""The headline answer for one clip from several models' verdicts: one rule, in one function.

Try it's headline, the batch table's `consensus` column and evaluate-folder's "answer" row all
come from `headline`. The rule (kept here alone, so a better one can replace it): **the answer of
the most trusted model that can answer every genre the others can** — among the models with the
widest label set, the one whose measured trust (core.prediction.catalogue.trust: the lower end of
the 95 % Wilson interval of its in-GTZAN test track accuracy) is highest. A model trained on 4
genres never leads while a 10-genre model answered.

Chosen by bench/outside_answer.py, which compares five rules side by side on xd-dev (49 real
clips outside GTZAN) from one scoring pass of the shipped models, none with a parameter learned
there: this rule 29/49, the trust-weighted vote used before 20/49, the trust-weighted mean of
probabilities 24/49, the mean of the two most trusted 30/49 (one clip more, within noise, for a
rule harder to explain). Without trust figures (no entries) the plain majority decides (`vote`).
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


def _synthetic(entry: ModelEntry) -> bool:
    """Whether the model was trained on the synthetic demo set (its figures say nothing of music)."""
    return bool(entry.card.get("data", {}).get("synthetic"))


def _lead_key(entry: ModelEntry) -> tuple[bool, float]:
    """How strongly a model's claim to lead the headline ranks, widest label set aside: trained
    on real data first, then its measured trust."""
    return not _synthetic(entry), trust(entry)


def leaders(entries: Sequence[ModelEntry]) -> list[ModelEntry]:
    """The models whose verdict is the headline whenever they answer (`headline`'s rule applied
    before any result): among the widest label sets, the highest _lead_key. Usually one; several
    only on a tie, which the clip's probabilities then break. Empty without entries."""
    if not entries:
        return []
    widest = max(len(e.genres) for e in entries)
    wide = [e for e in entries if len(e.genres) == widest]
    best = max(_lead_key(e) for e in wide)
    return [e for e in wide if _lead_key(e) == best]


def headline(results: Sequence[ModelResult],
             entries: Sequence[ModelEntry] = ()) -> tuple[str, str] | None:
    """The clip's headline genre and a sentence saying why; None without results.
    results: the models' verdicts; entries: the ModelEntry of each (matched by label) for their
    trust. Without any entry that matches a result, the plain majority decides (see vote).
    """
    if not results:
        return None
    by_label = {e.label: e for e in entries}
    known = [r for r in results if r.label in by_label]
    if not known:
        return vote(results, entries)
    widest = max(len(r.genres) for r in known)
    leader = max((r for r in known if len(r.genres) == widest),
                 key=lambda r: (*_lead_key(by_label[r.label]), float(r.clip_proba.max())))
    others = [r for r in results if r is not leader]
    agree = sum(r.genre == leader.genre for r in others)
    why = (f"{leader.label}, the model with the highest measured trust "
           f"(test tracks: at least {trust(by_label[leader.label]):.0%} right with 95 % "
           f"confidence), chose it")
    if others:
        why += (f"; {agree} of the {len(others)} other model{'s' if len(others) != 1 else ''} "
                f"agree{'s' if len(others) == 1 else ''}")
    narrower = sum(len(r.genres) < widest for r in results)
    if narrower:
        why += (f" ({narrower} model{'s' if narrower != 1 else ''} trained on fewer genres "
                f"cannot lead)")
    return leader.genre, why


def vote(results: Sequence[ModelResult],
         entries: Sequence[ModelEntry] = ()) -> tuple[str, str] | None:
    """A trust-weighted vote: the genre with the largest share of the weight of the models that
    can answer it, and a sentence saying why; None without results. Used when no model's trust is
    known (every model weighs 1: the plain majority) and by bench/outside_answer.py to compare.
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

