"""The report's Outside GTZAN section (core.report.outside): figures with intervals, escaped."""

from __future__ import annotations

from core.report.outside import outside_section_html


def figures() -> dict:
    """evaluate-folder's JSON for two models and the answer on 3 clips, with hostile names."""
    per = {"hiphop": {"correct": 1, "n": 2, "recall": 0.5},
           "rock": {"correct": 1, "n": 1, "recall": 1.0}}
    four = {"hiphop": {"correct": 0, "n": 2, "recall": 0.0, "note": "cannot answer"},
            "rock": {"correct": 1, "n": 1, "recall": 1.0}}
    model = {"correct": 2, "n": 3, "accuracy": 2 / 3, "ci_low": 0.208, "ci_high": 0.939,
             "macro_f1": 0.667}
    return {"folder": "/music/<set>", "n": 3, "genres": {"hiphop": 2, "rock": 1},
            "skipped_folders": ["<notes>"],
            "bad_files": [{"clip": "rock/<b>.mp3", "genre": "rock", "reason": "cannot be decoded"}],
            "models": [{**model, "label": "SVM <script>", "per_genre": per},
                       {**model, "correct": 1, "accuracy": 1 / 3, "label": "four",
                        "per_genre": four},
                       {**model, "label": "answer", "per_genre": per}]}


def test_section_shows_intervals_n_and_cannot_answer_escaped() -> None:
    html = outside_section_html(figures())
    assert html.startswith('<section id="outside-gtzan"><h2>Outside GTZAN</h2>')
    assert "<script>" not in html and "SVM &lt;script&gt;" in html
    # the folder by its last part, never its server path; skipped folders counted, not named
    assert "<code>&lt;set&gt;</code>" in html and "/music" not in html
    assert "&lt;notes&gt;" not in html and "1 sub-folder naming no GTZAN genre skipped" in html
    assert "rock/&lt;b&gt;.mp3" in html
    assert "66.7 % [20.8 %–93.9 %]" in html and "2 of 3" in html
    assert "0/2 <small>(cannot answer)</small>" in html
    assert "<b>answer</b>" in html and html.count("<tr>") == 4


def test_cards_section_tolerates_a_record_lacking_figures() -> None:
    """A card whose outside record lacks a figure still gets its row, the gap marked, and the
    other cards' figures are shown as before."""
    from core.report.outside import cards_outside_html

    full = {"name": "Full", "outside": {"set": "xd-dev", "accuracy": 0.5, "ci_low": 0.4,
                                        "ci_high": 0.6, "correct": 10, "n": 20,
                                        "macro_f1": 0.45, "date": "2026-12-06"}}
    partial = {"name": "Partial", "outside": {"set": "xd-dev", "accuracy": 0.25, "n": 20}}
    html = cards_outside_html([full, partial])
    assert "<td>Full</td><td>50.0 % [40.0 %–60.0 %]</td><td>10 of 20</td><td>0.450</td>" in html
    assert "<td>Partial</td><td>25.0 %</td><td>–</td><td>–</td><td>xd-dev</td>" in html
