"""Tests of the Features page (pages/features.py) with Streamlit's AppTest on the tiny demo set."""

from __future__ import annotations

import io

import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from tests.app_support import APP, _metric, _texts
from tests.conftest import SR, tone

PAGE = "pages/features.py"
pytestmark = pytest.mark.usefixtures("navigation_pages")
TIMEOUT = 180
CLIP_CHARTS = 8      # waveform, STFT, mel, MFCC, ZCR, centroid, RMS, chroma
DATASET_CHARTS = 2   # per-genre distribution and the 2-D map


def _page() -> AppTest:
    """The app switched to the Features page and run."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    return at.switch_page(PAGE).run()


def _wav(y, sr: int = SR) -> bytes:
    """16-bit wav bytes of a signal."""
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_features_page_renders_on_demo_set(app_env):
    at = _page()
    assert not at.exception
    assert at.title[0].value == "Features"
    assert "Synthetic data" in _texts(at.warning)
    assert len(at.get("plotly_chart")) == CLIP_CHARTS + DATASET_CHARTS
    assert at.selectbox(key="feature_track").value == "blues.00000"
    length = float(_metric(at, "Length after cleaning").split()[0])
    assert 3.0 <= length <= 6.0  # a 6-s demo clip, silent ends trimmed
    assert _metric(at, "3-s segments") == str(int(length // 3))


def test_choosing_another_track_redraws(app_env):
    at = _page()
    before = _metric(at, "Spectral centroid")
    at.selectbox(key="feature_genre").set_value("metal").run()
    assert not at.exception
    assert at.selectbox(key="feature_track").value == "metal.00000"
    assert at.selectbox(key="feature_track").options == [f"metal.{i:05d}" for i in range(3)]
    assert len(at.get("plotly_chart")) == CLIP_CHARTS + DATASET_CHARTS
    assert _metric(at, "Spectral centroid") != before
    at.selectbox(key="feature_track").set_value("metal.00002").run()
    assert not at.exception and "metal.00002" in _texts(at.caption)


def test_linear_spectrogram_and_feature_choices(app_env):
    at = _page()
    at.radio(key="stft_scale").set_value("linear")
    at.selectbox(key="dist_feature").set_value("rms mean")
    at.toggle(key="dist_violin").set_value(True)
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == CLIP_CHARTS + DATASET_CHARTS


def test_tsne_map(app_env):
    at = _page()
    at.radio(key="map_basis").set_value("ZCR sequence (30 numbers)")
    at.checkbox(key="map_tsne").check().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == CLIP_CHARTS + DATASET_CHARTS


def test_upload_a_clip(app_env):
    at = _page()
    at.segmented_control(key="clip_mode").set_value("Upload a clip").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == DATASET_CHARTS
    at.file_uploader(key="upload").upload("tone.wav", _wav(tone(880, 7.0)), "audio/wav").run()
    assert not at.exception
    assert _metric(at, "3-s segments") == "2"
    assert len(at.get("plotly_chart")) == CLIP_CHARTS + DATASET_CHARTS
    assert "tone.wav" in _texts(at.caption)


def test_bad_uploads_are_reported(app_env):
    at = _page()
    at.segmented_control(key="clip_mode").set_value("Upload a clip").run()
    at.file_uploader(key="upload").upload("noise.wav", b"not audio at all", "audio/wav").run()
    assert not at.exception
    assert "noise.wav cannot be used" in _texts(at.error)
    at.file_uploader(key="upload").set_value(("short.wav", _wav(tone(440, 1.0)), "audio/wav")).run()
    assert not at.exception
    assert "at least 3 s" in _texts(at.error)


def test_a_running_training_job_is_named_on_busy_pages(app_env):
    """While a job trains, the page says why it may be slow."""
    import subprocess
    import sys

    from core.models import persistence
    from core.training import jobs

    job_id = "20260101-000000-lstm-mfcc-0123abcd"
    folder = jobs.jobs_dir() / job_id
    folder.mkdir(parents=True)
    persistence.write_json(folder / "config.json", {"job_id": job_id, "created": "",
                                                     "config": {"model": "lstm"}})
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", job_id])
    try:
        persistence.write_json(folder / "status.json", {"state": "running", "pid": child.pid})
        at = _page()
        assert not at.exception
        assert "A training job is running (LSTM" in _texts(at.caption)
    finally:
        child.kill()
        child.wait()


def test_tsne_map_says_it_shows_a_random_sample(app_env, monkeypatch):
    """The t-SNE map places at most MAX_TSNE_POINTS segments and says so, with the total."""
    from core.features import explore

    monkeypatch.setattr(explore, "MAX_TSNE_POINTS", 20)
    at = _page()
    assert any("all 60 segments" in c.value for c in at.caption)   # PCA: every segment
    at.checkbox(key="map_tsne").check().run()
    assert not at.exception
    assert any("a random 20 of the 60 segments" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == CLIP_CHARTS + DATASET_CHARTS
