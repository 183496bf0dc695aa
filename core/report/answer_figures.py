"""The figures that belong to an answer, in words: how often the model that gave it was right on
GTZAN's test tracks and on music from outside GTZAN, and its outside record for the genre it
answered. Everything is read from the model's card; a figure the card lacks is said to be missing,
never guessed.
"""

from __future__ import annotations

from core.evaluation import wilson_interval


def inside_short(card: dict, head: str) -> str:
    """The head's in-GTZAN test track accuracy, e.g. "86 % (81–90 %) of 200 tracks"; "not
    measured" when the card holds no test result."""
    test = ((card.get("metrics") or {}).get(head) or {}).get("test") or {}
    n = int(test.get("n_tracks") or 0)
    if n <= 0 or test.get("track_accuracy") is None:
        return "not measured"
    accuracy = float(test["track_accuracy"])
    low, high = wilson_interval(accuracy, n)
    return f"{accuracy:.0%} ({low:.0%}–{high:.0%}) of {n} tracks"


def outside_short(card: dict) -> str:
    """The card's accuracy on music from outside GTZAN, e.g. "59 % (45–72 %) of 49 clips";
    "not measured" when the card has no "outside" record."""
    figure = card.get("outside") or {}
    n = int(figure.get("n") or 0)
    if n <= 0 or figure.get("accuracy") is None:
        return "not measured"
    accuracy = float(figure["accuracy"])
    low, high = figure.get("ci_low"), figure.get("ci_high")
    if low is None or high is None:
        low, high = wilson_interval(accuracy, n)
    return f"{accuracy:.0%} ({float(low):.0%}–{float(high):.0%}) of {n} clips"


def outside_set(card: dict) -> str:
    """The name of the set the outside figure was measured on ("xd-dev"), "" without one."""
    return str((card.get("outside") or {}).get("set") or "").split(" (")[0]


def genre_outside_text(card: dict, genre: str) -> str:
    """The model's outside record for one genre, in a sentence: how many clips of that genre it
    recognised, and how many of its answers of that genre were right, e.g. "outside GTZAN (xd-dev)
    it recognised 6 of 7 country clips; its country answers were right 6 of 9 times"."""
    figure = card.get("outside") or {}
    if not int(figure.get("n") or 0):
        return f"its {genre} answers were never measured outside GTZAN"
    where = f"outside GTZAN ({outside_set(card) or 'a labelled folder'})"
    per_genre = figure.get("per_genre")
    if not isinstance(per_genre, dict):
        return f"{where} its card records no figure for {genre} alone"
    record = per_genre.get(genre)
    if not isinstance(record, dict) or not int(record.get("n") or 0):
        return f"{where} holds no {genre} clip: no outside figure for {genre}"
    correct, n = int(record.get("correct") or 0), int(record["n"])
    text = f"{where} it recognised {correct} of {n} {genre} clips"
    if "answered" in record:
        answered = int(record["answered"])
        text += (f"; its {genre} answers were right {correct} of {answered} time"
                 f"{'s' if answered != 1 else ''}" if answered else
                 f"; it never answered {genre} there")
    return text

