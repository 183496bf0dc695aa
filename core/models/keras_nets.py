"""What the study's Keras networks (LSTM/BiLSTM, 1D-CNN, 2D-CNN) share: fit with epochs, scoring.

Used by the lstm, cnn1d and cnn2d family modules; Keras is imported only inside the functions.
"""

from __future__ import annotations

from typing import Any

from core.models.base import KERAS_FILE, SOFTMAX_HEAD, FitContext, FitOutcome
from core.models import networks
from core.models import fitting
from core.models import loading


def softmax_head_files(kind: str, head: str) -> tuple[str, ...]:
    """A network that predicts with its own softmax only: model.keras."""
    return (KERAS_FILE,) if head == SOFTMAX_HEAD else ()


def fit_network(context: FitContext) -> tuple[FitOutcome, Any]:
    """Train the config's Keras model (early stopping on the validation side) and score its
    softmax: the outcome (files: model.keras) and the trained Keras model."""
    c, config = context, context.config
    fitting.check_stop(c.stop, "before training")
    c.emit("stage", message=f"training {config.label()} for up to {config.epochs} epochs on "
                            f"{len(c.train)} examples; early stopping on {c.valid_source}")
    outcome = fitting.train_keras(config, c.train, c.valid, c.emit, c.stop, c.genres)
    model = outcome.model
    stop_reason = ("stop requested" if outcome.stopped_by_user
                   else "no validation gain (early stopping)" if outcome.stopped_by_patience
                   else None)
    x_test = networks.as_model_input(config.model, c.kind, c.test.x)
    x_valid = networks.as_model_input(config.model, c.kind, c.valid.x)
    c.emit("stage", message="evaluating on the test side")
    metrics = {SOFTMAX_HEAD: fitting.head_metrics(
        fitting.side_metrics(c.test.y, fitting.expand_proba(networks.predict_proba(model, x_test),
                                                          c.genres), c.test.groups),
        fitting.side_metrics(c.valid.y, fitting.expand_proba(networks.predict_proba(model, x_valid),
                                                           c.genres), c.valid.groups))}
    result = FitOutcome(
        metrics, {}, {KERAS_FILE: model}, list(networks.input_shape(config.model, c.kind)),
        primary=SOFTMAX_HEAD, history=outcome.history, best_epoch=outcome.best_epoch,
        stopped_early=outcome.stopped_by_user or outcome.stopped_by_patience,
        stop_reason=stop_reason, class_weight=outcome.class_weight)
    return result, model


def fit(context: FitContext) -> FitOutcome:
    """Fit of a network predicting with its softmax (the CNNs)."""
    return fit_network(context)[0]


def score_softmax(entry: Any, x: Any) -> Any:
    """The network's softmax on model inputs x, placed in the 10 GENRES columns: (n, 10)."""
    runner = loading.load_keras(entry)
    return loading.normalised(loading.keras_proba(entry, runner(x)))
