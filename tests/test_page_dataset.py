"""Tests of the Dataset page (pages/dataset.py) with Streamlit's AppTest on tiny data sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import config
from core.constants import GENRES
from tests.app_support import APP, _metric, _texts
from tests.conftest import tone, write_gtzan

PAGE = "pages/dataset.py"
pytestmark = pytest.mark.usefixtures("navigation_pages")
TIMEOUT = 180


def _page() -> AppTest:
    """The app switched to the Dataset page and run."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    return at.switch_page(PAGE).run()


def test_dataset_page_renders_on_demo_set(app_env):
    at = _page()
    assert not at.exception
    assert at.title[0].value == "Dataset"
    assert _metric(at, "Clips") == "30"
    assert _metric(at, "Genres") == "10"
    assert _metric(at, "Total duration") == "3.0 min"  # 30 clips x 6 s
    assert "Synthetic data" in _texts(at.warning)
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # counts, waveforms, ZCR by genre
    assert len(at.get("audio")) == 1
    assert "No file was skipped" in _texts(at.success)


def test_filter_narrows_table_and_player(app_env):
    at = _page()
    at.text_input(key="track_filter").set_value("jazz").run()
    assert not at.exception
    assert at.selectbox(key="play_track").options == [f"jazz.{i:05d}" for i in range(3)]
    assert len(at.dataframe[2].value) == 3   # after the counts and the coverage tables
    at.text_input(key="track_filter").set_value("no-such-clip").run()
    assert "No clip matches" in _texts(at.info)


def test_random_split_sizes_follow_the_inputs(app_env):
    at = _page()
    at.slider(key="test_pct").set_value(40)
    at.slider(key="valid_pct").set_value(0)
    at.run()
    assert not at.exception
    assert _metric(at, "train") == "18 clips"
    assert _metric(at, "test") == "12 clips"
    assert _metric(at, "validation") == "0 clips"
    sizes = at.dataframe[-1].value
    assert list(sizes.index) == ["train", "valid", "test"]
    assert sizes.loc["test", list(GENRES)].sum() == 12


def test_split_too_small_is_reported_not_raised(app_env, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    write_gtzan(tmp_path / "gtzan", {"blues.00000": tone(220, 4.0), "rock.00000": tone(440, 4.0)})
    monkeypatch.setenv(config.ENV_DATA, str(tmp_path / "gtzan"))
    at = _page()
    assert not at.exception
    assert _metric(at, "Clips") == "2"
    assert "This split cannot be made" in _texts(at.error)
    assert "too few" in _texts(at.error)


def test_artist_filtered_split_from_lists(app_env, tmp_path: Path):
    lists = {"train": [f"blues/blues.0000{i}.wav" for i in range(2)] + ["rock/rock.00000.wav"],
             "valid": ["rock/rock.00001.wav"],
             "test": ["blues/blues.00002.wav", "rock/rock.00002.wav", "pop/pop.00099.wav"]}
    for side, lines in lists.items():
        (tmp_path / f"{side}_filtered.txt").write_text("\n".join(lines) + "\n")
    at = _page()
    at.radio(key="split_protocol").set_value("artist-filtered").run()
    assert "Set the folder of the artist-filtered split lists" in _texts(at.info)
    config.save_setting("splits_path", str(tmp_path))
    at.run()
    assert not at.exception
    assert _metric(at, "train") == "3 clips"
    assert _metric(at, "validation") == "1 clips"
    assert _metric(at, "test") == "2 clips"
    notes = _texts(at.caption)
    assert "left out): 24" in notes and "not at hand: 1" in notes
    cover = next(d.value for d in at.dataframe if "clips" in d.value.columns)
    assert list(cover.columns) == ["genre", "clips", "train", "valid", "test"]
    assert cover.set_index("genre").loc["blues", "train"] == 2
    assert "Split lists name 1 tracks that are not here" in notes


def test_partial_mixed_format_copy_shows_its_coverage(app_env, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    clips = {"blues.00000": tone(220, 4.0), "jazz.00003": tone(330, 4.0),
             "jazz.00004": tone(350, 4.0)}
    root = write_gtzan(tmp_path / "gtzan", clips, ext={"jazz.00003": "ogg", "jazz.00004": "flac"})
    (root / "jazz" / "booklet.pdf").write_bytes(b"%PDF")
    monkeypatch.setenv(config.ENV_DATA, str(tmp_path / "gtzan"))
    at = _page()
    assert not at.exception
    assert _metric(at, "Format") == "mixed: flac 1, ogg 1, wav 1"
    cover = next(d.value for d in at.dataframe if "clips" in d.value.columns).set_index("genre")
    assert cover.loc["jazz", "clips"] == 2 and cover.loc["pop", "clips"] == 0
    assert "Genres without clips: classical, country" in _texts(at.caption)
    ignored = next(d.value for d in at.dataframe if list(d.value.columns) == ["file", "reason"])
    assert ignored["file"].tolist() == ["jazz/booklet.pdf"]
    # the folder's path is printed once
    source_line = next(c.value for c in at.caption if c.value.startswith("Source:"))
    assert source_line.count(str(root)) == 1


def test_real_folder_with_a_bad_clip_lists_it_as_skipped(app_env, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    clips = {f"{g}.0000{i}": tone(200 + 40 * k + 7 * i, 4.0) for k, g in enumerate(GENRES[:2])
             for i in range(2)}
    clips["rock.00000"] = tone(300, 1.0)  # too short for one 3-s segment
    write_gtzan(tmp_path / "gtzan", clips)
    (tmp_path / "gtzan" / "genres_original" / "rock" / "rock.00001.wav").write_bytes(b"junk")
    monkeypatch.setenv(config.ENV_DATA, str(tmp_path / "gtzan"))
    at = _page()
    assert not at.exception
    assert _metric(at, "Clips") == "6"
    assert _metric(at, "Unreadable headers") == "1"
    assert "Synthetic data" not in _texts(at.warning)
    skipped = next(d.value for d in at.dataframe if list(d.value.columns) == ["track", "reason"])
    assert sorted(skipped["track"]) == ["rock.00000", "rock.00001"]
    reasons = dict(zip(skipped["track"], skipped["reason"]))
    assert "3 s" in reasons["rock.00000"]
    assert np.all([bool(r) for r in skipped["reason"]])


def test_track_table_names_artist_and_title_when_the_index_is_set(app_env, tmp_path: Path):
    at = _page()
    table = next(d.value for d in at.dataframe if "duration_s" in d.value.columns)
    assert "artist" not in table.columns
    first = str(table["track"].iloc[0])
    index = tmp_path / "GTZANindex.txt"
    index.write_text(f"## test index\n{first}.wav ::: Test Artist ::: Test Song\n")
    config.save_setting("artists_path", str(index))
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "duration_s" in d.value.columns)
    assert list(table.columns[:4]) == ["track", "genre", "artist", "title"]
    row = table.set_index("track").loc[first]
    assert (row["artist"], row["title"]) == ("Test Artist", "Test Song")
    at.text_input(key="track_filter").set_value("test artist").run()
    shown = next(d.value for d in at.dataframe if "duration_s" in d.value.columns)
    assert list(shown["track"]) == [first]
    # the player's picker names the clip's artist and title too
    assert at.selectbox(key="play_track").options == [f"{first} – Test Artist: Test Song"]


def test_the_artist_join_is_not_redone_on_each_keystroke(app_env, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    """Typing in the filter reruns the page; the artist index is joined to the table once."""
    from pages import loaders

    index = tmp_path / "GTZANindex.txt"
    index.write_text("blues.00000.wav ::: Test Artist ::: Test Song\n")
    config.save_setting("artists_path", str(index))
    joins: list[int] = []
    real = loaders.with_artists
    monkeypatch.setattr(loaders, "with_artists", lambda df, ix: joins.append(len(df)) or real(df, ix))
    loaders.named_track_table.clear()
    at = _page()
    for text in ("t", "te", "test"):
        at.text_input(key="track_filter").set_value(text).run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "duration_s" in d.value.columns)
    assert list(shown["track"]) == ["blues.00000"]
    assert len(joins) == 1


def test_the_split_defaults_match_the_training_console(app_env):
    """The Dataset page starts from the Training console's fractions and says so."""
    from core.training.config import TrainConfig

    at = _page()
    defaults = TrainConfig()
    assert at.slider(key="valid_pct").value == round(defaults.valid_size * 100)
    assert at.slider(key="test_pct").value == round(defaults.test_size * 100)
    assert any("The Training console makes the same split" in c.value for c in at.caption)


def test_big_set_extraction_counts_clips_and_tidies_up(app_env, monkeypatch: pytest.MonkeyPatch):
    """A progress bar counts clips done; the note and button go once extraction ends."""
    from pages import loaders

    monkeypatch.setattr(loaders, "AUTO_EXTRACT_TRACKS", 5)
    loaders.feature_set.clear()   # extracted by an earlier test of this process
    counts: list[tuple[int, int]] = []
    text = loaders.extraction_text
    monkeypatch.setattr(loaders, "extraction_text",
                        lambda done, total: counts.append((done, total)) or text(done, total))
    at = _page()
    assert not at.exception
    assert any("extracting their features" in i.value for i in at.info)
    at.button(key=next(b.key for b in at.button if b.key.startswith("btn_extract:"))).click().run()
    assert not at.exception
    assert counts[0][1] == 30 and counts[-1] == (30, 30) and len(counts) > 2
    assert not any("extracting their features" in i.value for i in at.info)
    assert not [b for b in at.button if b.key.startswith("btn_extract:")]
    assert len(at.get("plotly_chart")) == 3


def test_two_sessions_pressing_extract_together_extract_once(app_env,
                                                             monkeypatch: pytest.MonkeyPatch):
    """Two visitors press Extract at the same moment: one extraction runs, both get the features."""
    import threading
    import time

    from core.features import study
    from pages import loaders

    monkeypatch.setattr(loaders, "AUTO_EXTRACT_TRACKS", 5)
    loaders.feature_set.clear()
    real, calls = study.extract_tracks, []

    def slow_extract(*args, **kwargs):
        calls.append(threading.get_ident())
        time.sleep(1.0)   # long enough for the second press to arrive while the first runs
        return real(*args, **kwargs)

    monkeypatch.setattr(study, "extract_tracks", slow_extract)
    pages = [_page(), _page()]
    for at in pages:
        assert any("extracting their features" in i.value for i in at.info)
    start = threading.Barrier(2)

    def press(at: AppTest) -> None:
        button = at.button(key=next(b.key for b in at.button if b.key.startswith("btn_extract:")))
        start.wait()
        button.click().run()

    threads = [threading.Thread(target=press, args=(at,)) for at in pages]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert len(calls) == 1
    for at in pages:
        assert not at.exception
        assert len(at.get("plotly_chart")) == 3   # the ZCR chart came from the one extraction


def test_extract_is_asked_once_per_machine_not_in_every_session(app_env,
                                                                 monkeypatch: pytest.MonkeyPatch):
    """Once one visitor has extracted a big set, a new session (a viewer's too) is not asked
    again: the features come from the server's memory, or after a restart from the warm disk
    cache."""
    from pages import loaders

    monkeypatch.setattr(loaders, "AUTO_EXTRACT_TRACKS", 5)
    loaders.feature_set.clear()
    first = _page()
    first.button(key=next(b.key for b in first.button
                          if b.key.startswith("btn_extract:"))).click().run()
    assert not first.exception and len(first.get("plotly_chart")) == 3
    monkeypatch.setenv("GENRELAB_MODE", "viewer")
    for restart in (False, True):
        if restart:
            loaders._feature_store().clear()   # a new server: memory empty, disk cache warm
        later = _page()
        assert not later.exception
        assert not [b for b in later.button if b.key.startswith("btn_extract:")]
        assert not any("extracting their features" in i.value for i in later.info)
        assert len(later.get("plotly_chart")) == 3


def test_the_page_says_what_it_reads_before_the_slow_header_scan(app_env,
                                                                 monkeypatch: pytest.MonkeyPatch):
    """The first visit spends seconds reading the clips' headers: the page says so first, not a
    blank page (here the scan fails, so what was drawn before it stays on the page)."""
    from pages import loaders

    def scan_fails(*args, **kwargs):
        raise RuntimeError("the header scan stopped here")

    monkeypatch.setattr(loaders, "tracks_df", scan_fails)
    at = _page()
    assert at.title[0].value == "Dataset"
    assert any("Reading the headers of 30 clips" in c.value for c in at.caption)
