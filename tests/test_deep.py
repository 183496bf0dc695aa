"""Keras builders: input shapes, 128-d deep feature, normalisation, safe loading of model files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.models import networks
from core.constants import CNN1D_FRAMES, GENRES, LSTM_UNITS, N_MELS, N_MFCC, SEGMENT_FRAMES
from core.models.persistence import ModelFileError

PROJECT = Path(__file__).resolve().parents[1]


def test_importing_engine_modules_does_not_import_tensorflow() -> None:
    code = ("import sys, core.training.runner, core.models.networks, core.features.augment; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("model,kind,shape", [
    ("lstm", "zcr", (30, 1)), ("lstm", "mfcc_stats", (2 * N_MFCC, 1)),
    ("bilstm", "mfcc_stats", (2 * N_MFCC, 1)), ("cnn1d", "mfcc_seq", (CNN1D_FRAMES, N_MFCC)),
    ("cnn2d", "logmel", (N_MELS, SEGMENT_FRAMES, 1)),
])
def test_input_shapes(model: str, kind: str, shape: tuple) -> None:
    assert networks.input_shape(model, kind) == shape
    x = np.zeros((3,) + tuple(int(d) for d in shape if d != 1) or (3,), np.float32)
    assert networks.as_model_input(model, kind, x).shape == (3,) + shape


def test_wrong_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        networks.input_shape("cnn2d", "zcr")
    with pytest.raises(ValueError, match="does not fit"):
        networks.as_model_input("lstm", "zcr", np.zeros((2, 31)))
    with pytest.raises(ValueError, match="unknown deep model"):
        networks.build_model("gru", "zcr")


def test_normaliser_stats_per_kept_axis() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 60, 1)) * np.arange(1, 61)[None, :, None] + 5.0
    mean, var = networks.normaliser_stats("lstm", x)
    assert mean.shape == (60,) and var.shape == (60,)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), rtol=1e-5)
    m2, v2 = networks.normaliser_stats("cnn2d", x)
    assert m2.shape == () and v2.shape == ()


@pytest.mark.parametrize("model", ["lstm", "bilstm"])
def test_lstm_deep_feature_is_128_d(model: str) -> None:
    networks.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(40, 60, 1)).astype(np.float32)
    y = np.arange(40) % len(GENRES)
    mean, var = networks.normaliser_stats(model, x)
    net = networks.build_model(model, "mfcc_stats", mean, var)
    net.fit(x, y, epochs=1, batch_size=16, verbose=0)
    proba = networks.predict_proba(net, x[:5])
    assert proba.shape == (5, len(GENRES))
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    feats = networks.deep_features(net, x[:7])
    assert feats.shape == (7, LSTM_UNITS) == (7, 128)
    extractor = networks.deep_feature_model(net)
    np.testing.assert_allclose(networks.deep_features(extractor, x[:7]), feats, rtol=1e-5, atol=1e-6)
    normalised = net.get_layer(networks.NORM_LAYER)(x).numpy()
    assert abs(normalised.mean()) < 0.05 and abs(normalised.std() - 1.0) < 0.1


@pytest.mark.parametrize("model,kind", [("cnn1d", "mfcc_seq"), ("cnn2d", "logmel")])
def test_cnns_train_and_predict(model: str, kind: str) -> None:
    networks.set_seed(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12,) + networks.input_shape(model, kind)).astype(np.float32)
    y = np.arange(12) % len(GENRES)
    net = networks.build_model(model, kind, *networks.normaliser_stats(model, x))
    history = net.fit(x, y, epochs=1, batch_size=6, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert networks.predict_proba(net, x).shape == (12, len(GENRES))
    assert networks.predict_proba(net, x[:0]).shape == (0, len(GENRES))
    with pytest.raises(ValueError, match="no 'deep_feature' layer"):
        networks.deep_feature_model(net)


def test_seed_makes_builds_reproducible() -> None:
    networks.set_seed(7)
    a = networks.build_model("lstm", "zcr").get_weights()
    networks.set_seed(7)
    b = networks.build_model("lstm", "zcr").get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


def test_save_and_load_round_trip_and_damage(isolated_dirs: Path) -> None:
    runs = Path(os.environ["GENRELAB_RUNS"]) / "run-a"
    runs.mkdir(parents=True)
    x = np.random.default_rng(2).normal(size=(6, 30, 1)).astype(np.float32)
    net = networks.build_model("lstm", "zcr", *networks.normaliser_stats("lstm", x))
    path = runs / "model.keras"
    net.save(path)
    loaded = networks.load_model(path)
    np.testing.assert_allclose(networks.predict_proba(loaded, x), networks.predict_proba(net, x),
                               rtol=1e-5, atol=1e-6)
    assert networks.deep_features(loaded, x).shape == (6, 128)
    path.write_bytes(b"not a zip archive")
    with pytest.raises(ModelFileError, match="cannot be loaded"):
        networks.load_model(path)
    with pytest.raises(ModelFileError, match="missing"):
        networks.load_model(runs / "absent.keras")
    with pytest.raises(ModelFileError, match="outside"):
        networks.load_model(isolated_dirs / "elsewhere" / "model.keras")
