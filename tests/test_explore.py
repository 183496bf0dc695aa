"""Computations behind the exploration views."""

from __future__ import annotations

import numpy as np
import pytest

from core.features import explore
from core.constants import N_MELS, N_MFCC, SAMPLE_RATE
from tests.conftest import tone


def test_clip_views_shapes_and_values() -> None:
    y = tone(1000, 3.0)
    views = explore.clip_views(y)
    frames = 1 + y.size // 512
    assert views["mel_db"].shape == (N_MELS, frames)
    assert views["mfcc"].shape == (N_MFCC, frames)
    assert views["stft_db"].max() == pytest.approx(0.0)
    assert np.median(views["centroid"]) == pytest.approx(1000, rel=0.05)
    assert np.median(views["zcr"]) == pytest.approx(2 * 1000 / SAMPLE_RATE, rel=0.05)


def test_segment_map_separates_groups() -> None:
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(20, 6)), rng.normal(size=(20, 6)) + 5])
    xy = explore.segment_map(X, "PCA")
    assert xy.shape == (40, 2)
    assert abs(xy[:20, 0].mean() - xy[20:, 0].mean()) > 2
    assert explore.segment_map(X, "t-SNE").shape == (40, 2)
    with pytest.raises(ValueError, match="unknown map method"):
        explore.segment_map(X, "UMAP")
