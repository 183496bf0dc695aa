"""The heads on a pretrained network's clip embeddings (core.models.embedding_heads): the logistic
head's sample weights for extra clips and its refit on every clip once the test figures exist."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from core.models import embedding_heads
from core.models.base import FitContext
from core.models.fitting import SideData, StopFlag, TrainingError
from core.training.config import TrainConfig


def _side(rng: np.random.Generator, n: int, shift: float, weights=None) -> SideData:
    """n examples of two classes (0 and 1) of 8 numbers, class 1 moved by shift."""
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 8)) + shift * y[:, None]
    return SideData(x, y, np.array([f"t{i}" for i in range(n)]), weights)


def _context(train: SideData, test: SideData, refit_all: bool = False) -> FitContext:
    """A fit context with no validation side and a logistic head."""
    config = SimpleNamespace(head="logreg", seed=0, refit_all=refit_all)
    empty = SideData(np.zeros((0, 8)), np.zeros(0, int), np.zeros(0, str))
    return FitContext(config, "emb", train, empty, test, ("blues", "classical"), None, "",
                      lambda *a, **k: {}, StopFlag())


def test_extra_clips_weigh_what_the_config_says() -> None:
    rng = np.random.default_rng(0)
    train, test = _side(rng, 40, 1.0), _side(rng, 20, 1.0)
    # the last 10 training examples carry the opposite labels: weighed 20 times, they win
    flipped = SideData(train.x, np.r_[train.y[:30], 1 - train.y[30:]], train.groups)
    heavy = SideData(flipped.x, flipped.y, flipped.groups, np.r_[np.ones(30), np.full(10, 20.0)])
    plain = embedding_heads.fit_head(_context(flipped, test), "net", {})
    weighted = embedding_heads.fit_head(_context(heavy, test), "net", {})
    assert weighted.heads["logreg"]["sample_weights"] == [1.0, 20.0]
    assert "sample_weights" not in plain.heads["logreg"]
    acc = lambda o: o.metrics["logreg"]["test"]["track_accuracy"]   # noqa: E731
    assert acc(weighted) < acc(plain)


def test_refit_all_keeps_the_measured_figures_and_fits_every_clip() -> None:
    rng = np.random.default_rng(1)
    train, test = _side(rng, 30, 2.0), _side(rng, 20, 2.0)
    before = embedding_heads.fit_head(_context(train, test), "net", {}, logreg_c=0.1)
    after = embedding_heads.fit_head(_context(train, test, refit_all=True), "net", {},
                                     logreg_c=0.1)
    assert after.metrics == before.metrics              # figures of the recipe, measured before
    assert after.heads["logreg"]["fitted_on"].startswith("train+valid+test")
    assert after.heads["logreg"]["best_params"]["C"] == 0.1
    model = after.files["logreg.skops"]
    assert model.named_steps["scale"].n_samples_seen_ == 50   # train and test together


def test_weights_and_refit_belong_to_the_logistic_head() -> None:
    with pytest.raises(TrainingError, match="logistic head"):
        TrainConfig(model="mn04", head="svm", extra_weight=2.0)
    with pytest.raises(TrainingError, match="logistic head"):
        TrainConfig(model="svm", refit_all=True)
    with pytest.raises(TrainingError, match="extra_weight must be"):
        TrainConfig(model="mn04", head="logreg", extra_weight=0)
    conf = TrainConfig(model="mn04", head="logreg", extra_weight=2, refit_all=True)
    assert conf.extra_weight == 2.0 and conf.label() == "mn04+LOGREG on AudioSet embeddings"
