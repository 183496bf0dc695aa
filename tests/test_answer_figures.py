"""core.report.answer_figures: the answering model's figures in words, from its card only."""

from __future__ import annotations

from core.report import answer_figures as af

CARD = {"metrics": {"svm": {"test": {"track_accuracy": 0.86, "n_tracks": 200}}},
        "outside": {"set": "xd-dev (49 clips outside GTZAN: 4Q/Emotify)", "n": 49, "correct": 29,
                    "accuracy": 0.5918, "ci_low": 0.4525, "ci_high": 0.7178,
                    "per_genre": {"country": {"correct": 6, "n": 7, "answered": 9},
                                  "reggae": {"correct": 0, "n": 7, "answered": 0}}}}


def test_inside_and_outside_figures_carry_n_and_interval() -> None:
    assert af.inside_short(CARD, "svm") == "86% (81%–90%) of 200 tracks"
    assert af.outside_short(CARD) == "59% (45%–72%) of 49 clips"
    assert af.outside_set(CARD) == "xd-dev"
    assert af.inside_short({}, "svm") == af.outside_short({}) == "not measured"


def test_the_genre_answered_gets_its_outside_record() -> None:
    assert af.genre_outside_text(CARD, "country") == (
        "outside GTZAN (xd-dev) it recognised 6 of 7 country clips; its country answers were "
        "right 6 of 9 times")
    assert "never answered reggae" in af.genre_outside_text(CARD, "reggae")
    assert "holds no metal clip" in af.genre_outside_text(CARD, "metal")
    older = {"outside": {k: v for k, v in CARD["outside"].items() if k != "per_genre"}}
    assert "records no figure for country alone" in af.genre_outside_text(older, "country")
    assert "never measured outside GTZAN" in af.genre_outside_text({}, "country")
