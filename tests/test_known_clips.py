"""core.prediction.known_clips: a file named like a GTZAN track is known, and the models whose
cards list it on their training side are named."""

from __future__ import annotations

from pathlib import Path

from core.prediction import catalogue, known_clips


def entry(label: str, train: list[str]) -> catalogue.ModelEntry:
    """A catalogue entry whose card's split trained on these track ids."""
    card = {"model": "svm", "run_id": label, "protocol": {"protocol": "random-track",
                                                          "train": train}}
    return catalogue.ModelEntry(Path(label), card, label, "svm", True)


def test_gtzan_track_ids_are_read_from_file_names() -> None:
    assert known_clips.gtzan_track("metal.00003.wav") == "metal.00003"
    assert known_clips.gtzan_track("pack.zip/genres/Reggae.00000.ogg") == "reggae.00000"
    assert known_clips.gtzan_track("C:\\music\\blues.00001.au") == "blues.00001"
    for name in ("song.wav", "metal.0003.wav", "heavymetal.00003.wav", "metal.000031.wav", ""):
        assert known_clips.gtzan_track(name) is None, name


def test_models_that_trained_on_the_clip_are_named() -> None:
    seen = entry("descriptor KNN", ["metal.00003", "reggae.00000"])
    unseen = entry("SVM", ["blues.00000"])
    assert known_clips.trained_on("metal.00003.wav", [seen, unseen]) == [seen]
    assert known_clips.trained_on("blues.00000.ogg", [seen, unseen]) == [unseen]
    assert known_clips.trained_on("my song.wav", [seen, unseen]) == []
    assert known_clips.trained_on("jazz.00010.wav", [seen, unseen]) == []


def test_a_head_refitted_on_every_clip_trained_on_its_test_side_too() -> None:
    refit = entry("mn04+LOGREG", ["blues.00000"])
    refit.card["protocol"]["test"] = ["reggae.00000"]
    assert known_clips.trained_on("reggae.00000.wav", [refit]) == []
    refit.card["config"] = {"refit_all": True}
    assert known_clips.trained_on("reggae.00000.wav", [refit]) == [refit]
