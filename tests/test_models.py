"""The registry of model families (core.models): what every family declares, derived tables."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

from core import models
from core.prediction import catalogue
from core.training import config as train_config
from core.constants import PROJECT_ROOT
from core.models.base import Family, no_fit


def _family_modules() -> list[str]:
    """Names of the core.models modules that hold a FAMILY."""
    names = []
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"core.models.{info.name}")
        if isinstance(getattr(module, "FAMILY", None), Family):
            names.append(info.name)
    return names


def test_every_family_module_is_registered_once() -> None:
    modules = _family_modules()
    assert modules, "no family module found"
    registered = [fam.name for fam in models.FAMILIES]
    assert sorted(registered) == sorted(modules)
    assert len(set(registered)) == len(registered)
    for name in modules:
        assert importlib.import_module(f"core.models.{name}").FAMILY in models.FAMILIES


@pytest.mark.parametrize("fam", models.FAMILIES, ids=lambda f: f.name)
def test_every_family_declares_what_it_must(fam: Family) -> None:
    assert fam.kinds
    for kind in fam.kinds:
        assert fam.labels[kind] and fam.help[kind] and fam.descriptions[kind]
        assert fam.features[kind], kind
        for feature in fam.features[kind]:
            assert feature in fam.feature_kinds and feature in fam.feature_labels
            assert feature in fam.feature_descriptions
        head = fam.default_head(kind)
        assert fam.head_files(kind, head), (kind, head)
        assert fam.head_files(kind, "no-such-head") == ()
        assert fam.model_title(kind, fam.features[kind][0], head)
        for choice in fam.head_choices.get(kind, ()):
            assert fam.head_files(kind, choice)
    assert callable(fam.clip_kind) and callable(fam.score)
    assert fam.trained_from in ("audio", "table")
    if fam.trained_from == "audio":
        assert fam.fit is not no_fit
    if fam.trains_keras:
        assert fam.predicts_keras


def test_kinds_are_unique_and_looked_up() -> None:
    assert len(set(models.MODEL_KINDS)) == len(models.MODEL_KINDS)
    for fam in models.FAMILIES:
        for kind in fam.kinds:
            assert models.family(kind) is fam
    with pytest.raises(KeyError, match="unknown model kind 'nope'"):
        models.family("nope")


def test_other_modules_tables_come_from_the_registry() -> None:
    assert train_config.MODELS == models.AUDIO_KINDS
    assert set(train_config.KERAS_MODELS) == set(models.TRAINS_KERAS)
    assert catalogue.MODEL_KINDS == frozenset(models.MODEL_KINDS)
    assert catalogue.KERAS_MODELS == frozenset(models.PREDICTS_KERAS)
    assert {k: train_config.MODEL_LABELS[k] for k in train_config.MODELS} == {
        k: models.MODEL_LABELS[k] for k in models.AUDIO_KINDS}
    for kind in train_config.MODELS:
        for feature in train_config.MODEL_FEATURES[kind]:
            assert train_config.FEATURE_KIND[feature] == models.FEATURE_KIND[feature]
    assert set(models.TABLE_KINDS) == set(catalogue.DESCRIPTOR_MODELS)
    from core import cli

    assert set(cli.MODEL_CHOICES) == set(models.MODEL_KINDS)


def test_titles_and_paper_keys() -> None:
    assert models.model_title("lstm", "mfcc", "svm") == "LSTM+SVM on MFCC"
    assert models.model_title("lstm", "mfcc", "softmax") == "LSTM (softmax) on MFCC"
    assert models.model_title("svm", "zcr", "svm") == "SVM on ZCR"
    assert models.model_title("cnn2d", "logmel", "softmax") == "2D-CNN on log-mel"
    assert models.paper_key("knn", "mfcc", "knn") == "knn_mfcc"
    assert models.paper_key("descriptor_svm", "descriptors", "svm") is None
    assert models.paper_key("unknown", "mfcc", "svm") is None


def test_importing_the_registry_does_not_import_tensorflow() -> None:
    code = ("import sys, core.models, core.training.runner, core.prediction.streaming; "
            "print(any(m in sys.modules for m in ('tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
