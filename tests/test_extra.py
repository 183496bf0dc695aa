"""Extra labelled folders for training (core.data.extra): scanning, artists, the training side only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core import cli, config
from core.constants import SHARED_DATA
from core.data import demo, extra
from core.data.splits import Split
from core.models import baselines, persistence
from core.training import config as train_config, plan as run_plan, runner
from tests.conftest import SR, tone

#: tiny runs: 30 six-second demo clips, 10 test tracks, no validation side
TINY = {"test_size": 0.34, "valid_size": 0.0, "n_jobs": 1, "batch_size": 16}


def write_extra(folder: Path) -> Path:
    """An extra set: reggae 2 clips (one artist), country 1, Hip-Hop 1 (no artist) and a broken
    hiphop file, a text file in reggae/, a non-genre folder, and a PROVENANCE.tsv."""
    rng = np.random.default_rng(3)
    clips = {"reggae/dub_one.ogg": 330.0, "reggae/sub/dub_two.wav": 350.0,
             "country/fiddle.flac": 500.0, "Hip-Hop/beat.wav": 90.0}
    for name, freq in clips.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        y = tone(freq, 4.0) + 0.02 * rng.normal(size=4 * SR).astype(np.float32)
        sf.write(path, y, SR)
    (folder / "Hip-Hop" / "broken.ogg").write_bytes(b"OggS\x00not really vorbis")
    (folder / "reggae" / "liner notes.txt").write_text("about the songs")
    (folder / "private stuff").mkdir()
    (folder / "private stuff" / "tax.wav").write_bytes(b"RIFF")
    (folder / extra.PROVENANCE_FILE).write_text(
        "file\tgenre\tnotes\n"
        "reggae/dub_one.ogg\treggae\tJah Test - Dub One; source 30 s, 2 ch\n"
        "reggae/sub/dub_two.wav\treggae\tJah  Test – Dub Two\n"
        "country/fiddle.flac\tcountry\tno artist named here\n"
        "short row\n")
    return folder


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 3-clips-per-genre, 6-s demo set, an extra set beside it, and a module feature cache."""
    base = tmp_path_factory.mktemp("tiny_extra")
    return {"root": demo.write_demo_set(base / "demo", per_genre=3, seconds=6),
            "extra": write_extra(base / "mine"), "cache": base / "cache"}


@pytest.fixture
def tiny(tiny_set: dict[str, Path], isolated_dirs: Path,
         monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The module's sets, with its feature cache (runs stay per test)."""
    monkeypatch.setenv("GENRELAB_CACHE", str(tiny_set["cache"]))
    return tiny_set


# --- scanning --------------------------------------------------------------------------------


def test_scan_names_clips_artists_and_files_left_out(tmp_path: Path) -> None:
    found = extra.scan_extra(write_extra(tmp_path / "my music"))
    assert found.name == "my-music"
    assert found.clips_per_genre() == {"country": 1, "hiphop": 2, "reggae": 2}
    by_file = {found.file_of(t.track_id): t for t in found.tracks}
    assert set(by_file) == {"reggae/dub_one.ogg", "reggae/sub/dub_two.wav", "country/fiddle.flac",
                            "Hip-Hop/beat.wav", "Hip-Hop/broken.ogg"}
    assert all(extra.is_extra(t.track_id) and t.track_id.startswith(f"{t.genre}.my-music:")
               for t in found.tracks)
    artists = {f: found.artists[t.track_id] for f, t in by_file.items()}
    assert artists["reggae/dub_one.ogg"] == "Jah Test"
    assert artists["reggae/sub/dub_two.wav"] == "Jah  Test"
    assert artists["country/fiddle.flac"] == "" and artists["Hip-Hop/beat.wav"] == ""
    assert found.ignored == (("reggae/liner notes.txt",
                              "not an audio file (accepted: .wav, .au, .mp3, .ogg, .flac)"),)
    # what else the folder holds is never listed
    assert "private" not in json.dumps([list(i) for i in found.ignored])


def test_a_folder_without_genre_folders_says_so_without_its_path(tmp_path: Path) -> None:
    folder = tmp_path / "holiday"
    (folder / "photos").mkdir(parents=True)
    with pytest.raises(extra.ExtraError) as error:
        extra.scan_extra(folder)
    message = str(error.value)
    assert message.startswith("extra set 'holiday': no sub-folder names a GTZAN genre: ")
    assert "<genre>/<clip>" in message and str(tmp_path) not in message and "photos" not in message
    (folder / "jazz").mkdir()
    with pytest.raises(extra.ExtraError, match="genre folders hold no audio file"):
        extra.scan_extra(folder)
    with pytest.raises(extra.ExtraError, match="does not exist"):
        extra.scan_extra(tmp_path / "nowhere")


@pytest.mark.parametrize("notes, artist", [
    ("Anthony B - Next Door; source 29.88 s, 32000 Hz", "Anthony B"),
    ("C-Rayz Walz - Still Grimey; dup-check", "C-Rayz Walz"),
    ("Hanneke van Proosdij - Suite in d minor - Allemande", "Hanneke van Proosdij"),
    ("Stéphane Grappelli – Runnin' Wild", "Stéphane Grappelli"),
    ("Lefty Frizzell - Sleep; Baby; Sleep", "Lefty Frizzell"),
    ("no artist here; 30 s", ""), (" - Untitled", ""), ("", ""),
])
def test_artist_from_provenance_notes(notes: str, artist: str) -> None:
    assert extra.artist_from_notes(notes) == artist


def test_provenance_artist_column_first_and_bad_files_read_as_empty(tmp_path: Path) -> None:
    (tmp_path / extra.PROVENANCE_FILE).write_text(
        "\ufeffFile\tArtist\tnotes\n./a/x.ogg\tThe Band\tSomeone Else - Song\nb/y.ogg\t\tSolo - Tune\n")
    assert extra.read_provenance(tmp_path) == {"a/x.ogg": "The Band", "b/y.ogg": "Solo"}
    (tmp_path / extra.PROVENANCE_FILE).write_text("no header of files\n1\t2\n")
    assert extra.read_provenance(tmp_path) == {}
    assert extra.read_provenance(tmp_path / "absent") == {}


def test_entries_and_the_operators_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert extra.parse_entry(f"outside=/srv/music/xd") == ("outside", Path("/srv/music/xd"))
    assert extra.parse_entry("/srv/music/xd-train/") == ("xd-train", Path("/srv/music/xd-train"))
    assert extra.parse_entry("my set=/a") == ("my-set", Path("/a"))
    monkeypatch.setenv("GENRELAB_EXTRA_DIRS", f"/srv/a/country:mine=/srv/b:")
    config.save_setting("extra_dirs", ["/srv/c/jazz-live", "mine=/srv/other"])
    assert config.extra_dirs() == ["/srv/a/country", "mine=/srv/b", "/srv/c/jazz-live",
                                   "mine=/srv/other"]
    assert extra.configured_entries() == {"country": "country=/srv/a/country",
                                          "mine": "mine=/srv/b",
                                          "jazz-live": "jazz-live=/srv/c/jazz-live"}
    monkeypatch.delenv("GENRELAB_EXTRA_DIRS")
    config.save_setting("extra_dirs", {"own": "/srv/d"})
    assert config.extra_dirs() == ["own=/srv/d"]


def test_two_sets_of_one_name_stay_apart(tmp_path: Path) -> None:
    a, b = write_extra(tmp_path / "a" / "music"), write_extra(tmp_path / "b" / "music")
    sets = extra.load_sets([str(a), str(b)])
    assert [s.name for s in sets] == ["music", "music-2"]
    assert not {t.track_id for t in sets[0].tracks} & {t.track_id for t in sets[1].tracks}


# --- the training side only ------------------------------------------------------------------


def test_extra_clips_join_the_training_side_grouped_by_artist(tmp_path: Path) -> None:
    split = Split("artist-grouped", 1, ("blues.00000", "reggae.00001"), ("rock.00003",),
                  ("blues.00002", "reggae.00004"))
    index = tmp_path / "GTZANindex.txt"
    index.write_text("blues.00000.wav ::: Jah Test ::: Old One\nreggae.00004.wav ::: Held Out "
                     "::: Tested\nblues.00002.wav ::: Someone ::: Song\n")
    ids = ["reggae.x:reggae/a.ogg", "reggae.x:reggae/b.ogg", "reggae.x:reggae/c.ogg",
           "jazz.x:jazz/d.ogg", "pop.x:pop/e.ogg"]
    artists = {ids[0]: "Jah Test", ids[1]: "JAH TEST", ids[2]: "Held Out", ids[3]: ""}
    conf = train_config.TrainConfig(model="svm", protocol="artist-grouped",
                                    artists_path=str(index))
    added = run_plan.with_extra(split, conf, ids, artists)
    assert added.split.valid == split.valid and added.split.test == split.test
    assert set(added.split.train) == set(split.train) | {ids[0], ids[1], ids[3], ids[4]}
    assert added.left_out == [(ids[2], "its artist (Held Out) has GTZAN tracks on the test side; "
                                       "left out so no artist is on two sides")]
    # one group per artist (the GTZAN training track of that artist included); unknown: its own
    assert added.groups == {ids[0]: "artist:jah test", ids[1]: "artist:jah test",
                            "blues.00000": "artist:jah test"}
    assert "(4 of the training tracks from extra sets)" in added.split.label()
    chosen = train_config.TrainConfig(model="svm", genres=["reggae", "blues"])
    assert run_plan.with_extra(split, chosen, ids, artists).split.notes["extra"] == 3


def test_run_with_an_extra_set_trains_on_it_and_never_tests_on_it(
        tiny: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, np.ndarray] = {}
    original = baselines.fit_classifier

    def recording(kind, x, y, groups, **kw):
        seen["groups"] = np.asarray(groups)
        return original(kind, x, y, groups, **kw)

    monkeypatch.setattr(baselines, "fit_classifier", recording)
    events: list[dict] = []
    conf = train_config.TrainConfig(model="svm", feature="zcr", data_path=str(tiny["root"]),
                                    extra=[f"own music={tiny['extra']}"], **TINY)
    run_dir = runner.run_training(conf, [events.append])
    card = persistence.load_card(run_dir)
    protocol = card["protocol"]
    extras = [t for t in protocol["train"] if extra.is_extra(t)]
    assert len(extras) == 4 and all(t.split(".", 1)[1].startswith("own-music:") for t in extras)
    assert not any(extra.is_extra(t) for t in protocol["test"] + protocol["valid"]
                   + card["validation"]["tracks"])
    assert protocol["label"].endswith("tracks train/valid/test 24/0/10 (4 of the training "
                                      "tracks from extra sets)")
    assert card["data"]["n_tracks"] == 30 and card["metrics"]["svm"]["test"]["n_tracks"] == 10
    assert card["config"]["extra"] == ["own-music"]
    (listed,) = card["data"]["extra"]
    assert listed["name"] == "own-music" and listed["n_clips"] == 4
    assert listed["clips_per_genre"] == {"country": 1, "hiphop": 1, "reggae": 2}
    assert listed["artists"] == 1 and listed["unknown_artist"] == 2
    skipped = dict(map(tuple, listed["skipped"]))
    assert set(skipped) == {"reggae/liner notes.txt", "Hip-Hop/broken.ogg"}
    assert "decode" in skipped["Hip-Hop/broken.ogg"] or "read" in skipped["Hip-Hop/broken.ogg"]
    assert str(tiny["extra"]) not in json.dumps(listed)
    # the grouped folds see one group for the artist's two clips, and the clip of unknown
    # artist as a group of its own
    groups = set(seen["groups"].tolist())
    assert "artist:jah test" in groups and any(str(g).startswith("hiphop.own-music:") for g in groups)
    assert any("extra set own-music: 5 clips" in str(e.get("message")) for e in events)


def test_a_network_carves_its_validation_tracks_from_gtzan_only(tiny: dict[str, Path]) -> None:
    conf = train_config.TrainConfig(model="lstm", feature="mfcc", epochs=1, search=False,
                                    data_path=str(tiny["root"]), extra=[str(tiny["extra"])], **TINY)
    card = persistence.load_card(runner.run_training(conf))
    assert card["validation"]["tracks"] and "carved" in card["validation"]["source"]
    assert not any(extra.is_extra(t) for t in card["validation"]["tracks"])
    assert sum(extra.is_extra(t) for t in card["protocol"]["train"]) == 4
    assert card["name"] == "LSTM on MFCC (yours)"   # the job's name, whichever head answers


def test_cli_train_with_extra_lists_the_set(tiny: dict[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["train", "--model", "svm", "--feature", "zcr", "--data", str(tiny["root"]),
                     "--extra", str(tiny["extra"]), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "extra set mine (training side only): 4 clips (country 1, hiphop 1, reggae 2)" in out
    assert "skipped Hip-Hop/broken.ogg: " in out and "skipped reggae/liner notes.txt: " in out
    empty = tmp_path / "nothing"
    (empty / "misc").mkdir(parents=True)
    assert cli.main(["train", "--model", "svm", "--data", str(tiny["root"]), "--extra",
                     str(empty), "--quiet"]) == 1
    assert "error: extra set 'nothing': no sub-folder names a GTZAN genre: " in \
        capsys.readouterr().err
    assert cli.main(["train", "--model", "descriptor_svm", "--table", "x.csv", "--extra",
                     str(tiny["extra"])]) == cli.EXIT_USAGE
    assert "--extra adds audio clips" in capsys.readouterr().err


def test_real_xd_train_names_every_artist() -> None:
    folder = SHARED_DATA / "xd-train"
    if not (folder / extra.PROVENANCE_FILE).is_file():
        pytest.skip(f"the real outside-GTZAN training set is not at {folder} (only on the dev "
                    "machines)")
    found = extra.scan_extra(folder)
    assert found.name == "xd-train" and len(found.tracks) == 93 and not found.ignored
    assert found.clips_per_genre() == {"blues": 10, "classical": 10, "country": 22,
                                       "hiphop": 20, "jazz": 10, "reggae": 11, "rock": 10}
    assert all(found.artists.values())
    split = Split("random-track", 42, ("blues.00000",), (), ("blues.00001",))
    added = run_plan.with_extra(split, train_config.TrainConfig(model="svm"),
                                [t.track_id for t in found.tracks], found.artists)
    per_group: dict[str, int] = {}
    for group in added.groups.values():
        per_group[group] = per_group.get(group, 0) + 1
    assert per_group["artist:roy harvey"] == 3 and max(per_group.values()) == 3
