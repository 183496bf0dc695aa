"""Shared fixtures: isolated GenreLab folders and synthesised GTZAN-layout audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SR = 22050
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point settings, runs and cache at temp folders so tests never touch the user's."""
    base = tmp_path_factory.mktemp("genrelab")
    for var, sub in (("GENRELAB_HOME", "home"), ("GENRELAB_RUNS", "runs"),
                     ("GENRELAB_CACHE", "cache")):
        monkeypatch.setenv(var, str(base / sub))
    monkeypatch.delenv("GENRELAB_DATA", raising=False)
    monkeypatch.delenv("GENRELAB_SPLITS", raising=False)
    return base


def tone(freq: float, seconds: float, sr: int = SR, amp: float = 0.5) -> np.ndarray:
    """A sine tone of freq Hz lasting seconds s."""
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_gtzan(folder: Path, clips: dict[str, np.ndarray], layout: str = "genres_original",
                ext: str = "wav") -> Path:
    """Write clips {"blues.00000": samples} as a GTZAN folder; returns the layout folder."""
    root = folder / layout
    for track_id, y in clips.items():
        genre = track_id.split(".")[0]
        (root / genre).mkdir(parents=True, exist_ok=True)
        fmt = "AU" if ext == "au" else "WAV"
        sf.write(root / genre / f"{track_id}.{ext}", y, SR, format=fmt, subtype="PCM_16")
    return root


@pytest.fixture
def real_data() -> Path:
    """The shared real GTZAN material, or skip with the reason."""
    if not (SHARED_DATA / "gtzan").is_dir():
        pytest.skip(f"real GTZAN material not found at {SHARED_DATA} (only on the dev machines)")
    return SHARED_DATA
