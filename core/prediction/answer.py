"""The headline answer for one clip from several models' verdicts: one rule, in one function.

Try it's headline, Listen live's answer, the batch table's `consensus` column and
evaluate-folder's "answer" row all come from `headline`. The rule (kept here alone, so a better
one can replace it): **the answer of the most trusted model that can answer every genre the
others can** — among the models with the widest label set, the one most trusted on music from
outside GTZAN where a model's card records that figure (`outside_trust`: the lower end of the
95 % Wilson interval of its accuracy on the outside set), then by its in-GTZAN trust
(core.prediction.catalogue.trust: the same bound of its test track accuracy). A model measured
outside GTZAN leads one that never was: the answer is for the visitor's music, not GTZAN's. A
model trained on 4
genres never leads while a 10-genre model answered; a run stopped before its end, a demo-set run
or a model that trained on the very clip (`barred`) leads only when no other can. Agreement counts
only the models that can answer the genre.

Chosen by research/outside_answer.py, which compares five rules side by side on xd-dev (49 real
clips outside GTZAN) from one scoring pass of the shipped models, none with a parameter learned
there: this rule 29/49, the trust-weighted vote used before 20/49, the trust-weighted mean of
probabilities 24/49, the mean of the two most trusted 30/49 (one clip more, within noise, for a
rule harder to explain). Without trust figures (no entries) the plain majority decides (`vote`).
"""

from __future__ import annotations

from typing import Collection, Sequence

from core.constants import GENRE_INDEX, GENRES
from core.evaluation import wilson_interval
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


def outside_trust(entry: ModelEntry) -> float | None:
    """The lower end of the 95 % Wilson interval of the model's accuracy on music from outside
    GTZAN (its card's `outside` record), or None when it was not measured there."""
    figure = entry.outside
    if not figure:
        return None
    n = int(figure.get("n") or 0)
    correct = figure.get("correct")
    if correct is None:
        correct = round(float(figure.get("accuracy") or 0.0) * n)
    return float(wilson_interval(int(correct) / n, n)[0])


def _lead_key(entry: ModelEntry) -> tuple:
    """How strongly a model's claim to lead the headline ranks, label set and barring aside:
    real-data runs first, finished runs before stopped ones, models measured outside GTZAN before
    the others (by that trust), then the in-GTZAN trust."""
    outside = outside_trust(entry)
    return (not _synthetic(entry), not entry.stopped, outside is not None,
            outside if outside is not None else 0.0, trust(entry))


def leaders(entries: Sequence[ModelEntry]) -> list[ModelEntry]:
    """The models whose verdict is the headline whenever they answer (`leader`'s rule applied
    before any result): among the widest label sets, the highest _lead_key. Usually one; several
    only on a tie, which the clip's probabilities then break. Empty without entries."""
    if not entries:
        return []
    widest = max(len(e.genres) for e in entries)
    wide = [e for e in entries if len(e.genres) == widest]
    best = max(_lead_key(e) for e in wide)
    return [e for e in wide if _lead_key(e) == best]


def trust_words(entry: ModelEntry) -> str:
    """Why a model leads, in words: its outside-GTZAN trust where measured, else its in-GTZAN one."""
    outside = outside_trust(entry)
    if outside is not None:
        return (f"the model most trusted on music from outside GTZAN (at least {outside:.0%} right "
                f"on {int(entry.outside.get('n') or 0)} outside clips, with 95 % confidence)")
    return (f"the model with the highest measured trust (test tracks: at least {trust(entry):.0%} "
            f"right with 95 % confidence)")


def headline(results: Sequence[ModelResult], entries: Sequence[ModelEntry] = (),
             barred: Collection[str] = ()) -> tuple[str, str] | None:
    """The clip's headline genre and a sentence saying why; None without results.
    results: the models' verdicts; entries: the ModelEntry of each (matched by label) for their
    trust; barred: labels of models that may not lead (they trained on this very clip). Without
    any entry that matches a result, the plain majority decides (see vote).
    """
    first = leader(results, entries, barred)
    if first is None:
        return vote(results, entries) if results else None
    by_label = {e.label: e for e in entries}
    others = [r for r in results if r is not first and first.genre in r.genres]
    agree = sum(r.genre == first.genre for r in others)
    why = f"{first.label}, {trust_words(by_label[first.label])}, chose it"
    if others:
        verb = "agrees" if agree == 1 or len(others) == 1 else "agree"
        why += f"; {agree} of the {len(others)} other model{'s' if len(others) != 1 else ''} {verb}"
    notes = []
    unable = sum(first.genre not in r.genres for r in results)
    if unable:
        notes.append(f"{unable} model{'s' if unable != 1 else ''} that cannot answer "
                     f"{first.genre} {'are' if unable != 1 else 'is'} not counted")
    narrower = sum(len(r.genres) < len(first.genres) for r in results)
    if narrower:
        notes.append(f"{narrower} model{'s' if narrower != 1 else ''} trained on fewer genres "
                     "cannot lead")
    if notes:
        why += f" ({'; '.join(notes)})"
    held_back = sum(r.label in barred for r in results)
    if held_back and first.label not in barred:
        why += (f"; {held_back} model{'s' if held_back != 1 else ''} trained on this very clip "
                f"{'were' if held_back != 1 else 'was'} not allowed to lead")
    elif first.label in barred:
        why += "; every model that could lead trained on this very clip, so this is no test"
    return first.genre, why


def leader(results: Sequence[ModelResult], entries: Sequence[ModelEntry] = (),
           barred: Collection[str] = ()) -> ModelResult | None:
    """The verdict the answer is: among the models with a known entry and the widest label set,
    those not barred (trained on the clip) before those barred, then _lead_key (real data,
    finished, trust outside GTZAN, trust in GTZAN), then the clip's probability. None
    without a result of a known model."""
    by_label = {e.label: e for e in entries}
    known = [r for r in results if r.label in by_label]
    if not known:
        return None
    widest = max(len(r.genres) for r in known)
    return max((r for r in known if len(r.genres) == widest),
               key=lambda r: (r.label not in barred, *_lead_key(by_label[r.label]),
                              float(r.clip_proba.max())))


def vote(results: Sequence[ModelResult],
         entries: Sequence[ModelEntry] = ()) -> tuple[str, str] | None:
    """A trust-weighted vote: the genre with the largest share of the weight of the models that
    can answer it, and a sentence saying why; None without results. Used when no model's trust is
    known (every model weighs 1: the plain majority) and by research/outside_answer.py to compare.
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


def can_answer(results: Sequence[ModelResult], genre: str) -> int:
    """How many results come from models that can answer genre (trained on it)."""
    return sum(genre in r.genres for r in results)

