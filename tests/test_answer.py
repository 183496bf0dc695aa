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
    assert "1 model that cannot answer hiphop is not counted" in why
    assert "other model" not in why and "1 model trained on fewer genres" in why
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
    """The headline is the most trusted model's answer, not a head count of weaker ones
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


def test_agreement_counts_only_the_models_that_can_answer_the_genre() -> None:
    entries = [entry("ten", 0.60), entry("other", 0.40), entry("four", 0.90, genres=FOUR),
               entry("four2", 0.80, genres=FOUR)]
    results = [result("ten", "hiphop"), result("other", "hiphop"),
               result("four", "rock", FOUR), result("four2", "jazz", FOUR)]
    genre, why = answer.headline(results, entries)
    assert genre == "hiphop"
    assert answer.agreeing(results, "hiphop") == 2 and answer.can_answer(results, "hiphop") == 2
    assert "1 of the 1 other model agrees" in why
    assert "2 models that cannot answer hiphop are not counted" in why


def test_one_of_twelve_agrees_in_the_singular() -> None:
    entries = [entry("lead", 0.9)] + [entry(f"m{i}", 0.5) for i in range(12)]
    results = [result("lead", "jazz"), result("m0", "jazz")] + [
        result(f"m{i}", "blues") for i in range(1, 12)]
    why = answer.headline(results, entries)[1]
    assert "1 of the 12 other models agrees" in why and "agree;" not in why


def test_a_stopped_run_does_not_lead() -> None:
    stopped = entry("stopped", 0.95, 300)
    stopped.card["stop_note"] = "stopped by you at epoch 3 of 40"
    entries = [stopped, entry("finished", 0.50, 50)]
    results = [result("stopped", "pop"), result("finished", "rock")]
    assert stopped.stopped and answer.headline(results, entries)[0] == "rock"
    assert answer.leader(results, entries).label == "finished"


def test_a_model_that_trained_on_the_clip_does_not_lead() -> None:
    entries = [entry("seen", 0.95, 300), entry("unseen", 0.50, 50)]
    results = [result("seen", "metal", p=1.0), result("unseen", "rock")]
    genre, why = answer.headline(results, entries, barred=["seen"])
    assert genre == "rock" and "1 model trained on this very clip was not allowed to lead" in why
    # when every model trained on it, the answer says it is no test
    assert "no test" in answer.headline(results, entries, barred=["seen", "unseen"])[1]


def test_leaders_are_the_models_whose_verdict_is_the_headline_whenever_they_answer() -> None:
    entries = [entry("ten-low", 0.40), entry("ten-high", 0.80), entry("four", 0.95, genres=FOUR)]
    assert [e.label for e in answer.leaders(entries)] == ["ten-high"]
    assert answer.leaders([]) == []
    results = [result("ten-low", "rock"), result("ten-high", "jazz"), result("four", "rock", FOUR)]
    assert answer.headline(results, entries)[0] == "jazz"            # the leader's verdict
    assert answer.headline(results[1:2], entries)[0] == "jazz"       # already with it alone
    tied = entries + [entry("ten-high-too", 0.80)]
    assert [e.label for e in answer.leaders(tied)] == ["ten-high", "ten-high-too"]


def test_a_model_measured_outside_gtzan_leads_by_that_figure() -> None:
    """The answer is for the visitor's music: a model whose card records its accuracy on music
    from outside GTZAN leads one measured on GTZAN alone, and those measured outside rank by it."""
    inside = entry("inside-only", 0.95, 300)
    weak_out, strong_out = entry("weak-outside", 0.80), entry("strong-outside", 0.60)
    weak_out.card["outside"] = {"set": "xd-dev", "n": 49, "correct": 29, "accuracy": 29 / 49}
    strong_out.card["outside"] = {"set": "xd-dev", "n": 49, "correct": 38, "accuracy": 38 / 49}
    assert answer.outside_trust(inside) is None
    assert 0.63 < answer.outside_trust(strong_out) < 0.65        # Wilson lower bound of 38/49
    entries = [inside, weak_out, strong_out]
    results = [result("inside-only", "rock"), result("weak-outside", "jazz"),
               result("strong-outside", "reggae")]
    genre, why = answer.headline(results, entries)
    assert genre == "reggae" and "outside GTZAN" in why and "49 outside clips" in why
    assert [e.label for e in answer.leaders(entries)] == ["strong-outside"]
    # a four-genre model never leads, however well it did outside GTZAN
    four = entry("four", 0.99, genres=FOUR)
    four.card["outside"] = {"set": "xd-dev", "n": 28, "correct": 28, "accuracy": 1.0}
    assert answer.headline(results + [result("four", "rock", FOUR)], entries + [four])[0] == "reggae"
