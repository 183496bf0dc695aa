"""core.prediction.catalogue: which models answer by default (shipped ones, and the user's
finished runs that do not repeat a shipped model)."""

from __future__ import annotations

from pathlib import Path

from core.prediction import catalogue


def entry(label: str, shipped: bool, **card) -> catalogue.ModelEntry:
    """A catalogue entry with an SVM-on-MFCC card (config and split as given)."""
    base = {"model": "svm", "feature": "mfcc", "run_id": label,
            "config": {"model": "svm", "seed": 42, "data_path": f"/data/{label}", "n_jobs": 2},
            "protocol": {"protocol": "random-track", "train": ["blues.00000", "jazz.00001"]}}
    return catalogue.ModelEntry(Path(label), {**base, **card}, label, "svm", shipped)


def test_shipped_and_finished_new_runs_answer_by_default() -> None:
    shipped = entry("shipped", True)
    repeat = entry("retrained", False)             # same recipe, another data path
    stopped = entry("stopped", False, stop_note="stopped by you at epoch 2 of 40",
                    protocol={"protocol": "random-track", "train": ["rock.00000"]})
    new = entry("new", False, protocol={"protocol": "random-track", "train": ["rock.00000"]})
    assert catalogue.recipe(shipped) == catalogue.recipe(repeat)
    assert catalogue.recipe(shipped) != catalogue.recipe(new)
    assert stopped.stopped and not new.stopped
    assert catalogue.default_choice([shipped, repeat, stopped, new]) == [shipped, new]


def test_the_outside_record_is_read_from_the_card() -> None:
    assert entry("m", True).outside == {}
    figure = {"set": "xd-dev", "n": 49, "correct": 29, "accuracy": 0.59}
    assert entry("m", True, outside=figure).outside == figure
    assert entry("m", True, outside={"n": 0}).outside == {}
