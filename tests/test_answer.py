"""The headline answer (core.prediction.answer.headline): the most trusted model that can answer
every genre leads, restricted models never do; the batch table's consensus column uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.constants import GENRE_INDEX, GENRES
from core.prediction import answer, batch, catalogue
from core.prediction.pipeline import ClipPrediction, ModelResult


def entry(label: str, accuracy: float, n: int = 100,
          genres: tuple[str, ...] = GENRES) -> catalogue.ModelEntry:
    """A catalogue entry whose card measured accuracy on n test tracks."""
    card = {"model": "svm", "run_id": label, "genres": list(genres),
            "metrics": {"svm": {"test": {"track_accuracy": accuracy, "n_tracks": n}}}}
    return catalogue.ModelEntry(Path(label), card, label, "svm", True)


def result(label: str, genre: str, genres: tuple[str, ...] = GENRES, p: float = 0.6) -> ModelResult:
    """A verdict for genre with probability p (the rest spread over the other known genres)."""
    proba = np.zeros(len(GENRES))
    for g in genres:
        proba[GENRE_INDEX[g]] = (1 - p) / (len(genres) - 1)
    proba[GENRE_INDEX[genre]] = p
    return ModelResult(label, label, "svm", "svm", proba, None, genre, 1.0, genres=genres)


FOUR = ("blues", "classical", "jazz", "rock")


def test_no_results_no_answer() -> None:
    assert answer.headline([], []) is None


def test_without_entries_it_is_the_plain_majority() -> None:
    results = [result("a", "rock"), result("b", "rock"), result("c", "jazz")]
    genre, why = answer.headline(results)
    assert genre == "rock" and "2 of the 3 models" in why


def test_a_model_that_cannot_answer_does_not_outvote_one_that_can() -> None:
    entries = [entry("ten", 0.40), entry("four", 0.90, genres=FOUR)]
    results = [result("ten", "hiphop"), result("four", "rock", FOUR)]
    genre, why = answer.headline(results, entries)
    assert genre == "hiphop"
    assert "0 of the 1 other model agrees" in why and "1 model trained on fewer genres" in why
    # and the plain majority of the old consensus would have tied and picked by probability
    four_strong = [result("ten", "hiphop", p=0.3), result("four", "rock", FOUR, p=0.95)]
    assert answer.headline(four_strong, entries)[0] == "hiphop"


def test_restricted_models_still_count_among_their_genres() -> None:
    entries = [entry("ten", 0.40), entry("other", 0.30), entry("four", 0.90, genres=FOUR)]
    results = [result("ten", "rock"), result("other", "hiphop"), result("four", "rock", FOUR)]
    assert answer.headline(results, entries)[0] == "rock"


def test_votes_weigh_the_measured_trust() -> None:
    entries = [entry("good", 0.90, 200), entry("weak1", 0.20, 20), entry("weak2", 0.20, 20)]
    results = [result("good", "jazz"), result("weak1", "blues"), result("weak2", "blues")]
    assert answer.headline(results, entries)[0] == "jazz"
    # a model without a measured test result still counts, barely
    unmeasured = catalogue.ModelEntry(Path("u"), {"model": "svm", "run_id": "u"}, "u", "svm", True)
    assert answer.weight(unmeasured) == answer.MIN_WEIGHT
    assert answer.headline([result("u", "pop")], [unmeasured])[0] == "pop"


def test_batch_consensus_column_is_the_headline() -> None:
    entries = [entry("ten", 0.40), entry("four", 0.90, genres=FOUR)]
    results = [result("ten", "hiphop"), result("four", "rock", FOUR, p=0.95)]
    prediction = ClipPrediction(30.0, np.arange(10) * 3.0, results, [], None)
    row = batch.ClipRow("clip.wav", prediction, answer=answer.headline(results, entries))
    assert row.consensus == ("hiphop", 1)
    table = batch.table_rows([row], ["ten", "four"])
    assert table[0]["consensus"] == "hiphop" and table[0]["agreeing"] == 1
    assert "consensus" in batch.to_csv([row], ["ten", "four"]).splitlines()[0]


def test_the_most_trusted_model_leads_a_weaker_majority() -> None:
    """Issue 17: the headline is the most trusted model's answer, not a head count of weaker ones
    (on xd-dev the trust-weighted vote was right on 20 of 49 clips, the most trusted model on 29)."""
    entries = [entry("good", 0.90, 200), entry("fair1", 0.80, 100), entry("fair2", 0.80, 100)]
    results = [result("good", "jazz"), result("fair1", "blues"), result("fair2", "blues")]
    assert answer.vote(results, entries)[0] == "blues"       # the old rule's answer
    genre, why = answer.headline(results, entries)
    assert genre == "jazz"
    assert why.startswith("good, the model with the highest measured trust")
    assert "0 of the 2 other models agree" in why


def test_a_demo_set_model_never_leads_a_real_one() -> None:
    demo = entry("demo", 1.0, 300)
    demo.card["data"] = {"synthetic": True}
    results = [result("demo", "pop"), result("real", "rock")]
    assert answer.headline(results, [demo, entry("real", 0.5, 50)])[0] == "rock"


def test_leaders_are_the_models_whose_verdict_is_the_headline_whenever_they_answer() -> None:
    entries = [entry("ten-low", 0.40), entry("ten-high", 0.80), entry("four", 0.95, genres=FOUR)]
    assert [e.label for e in answer.leaders(entries)] == ["ten-high"]
    assert answer.leaders([]) == []
    results = [result("ten-low", "rock"), result("ten-high", "jazz"), result("four", "rock", FOUR)]
    assert answer.headline(results, entries)[0] == "jazz"            # the leader's verdict
    assert answer.headline(results[1:2], entries)[0] == "jazz"       # already with it alone
    tied = entries + [entry("ten-high-too", 0.80)]
    assert [e.label for e in answer.leaders(tied)] == ["ten-high", "ten-high-too"]
