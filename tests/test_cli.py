"""The command line: sub-commands, clear errors and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import cli
from core.constants import PROJECT_ROOT
from tests.conftest import tone, write_gtzan


@pytest.fixture
def tiny_gtzan(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    clips = {"blues.00000": tone(220, 4.0) + 0.05 * rng.normal(size=88200).astype(np.float32),
             "rock.00001": tone(880, 4.0)}
    root = write_gtzan(tmp_path / "gtzan", clips)
    (root / "jazz").mkdir()
    (root / "jazz" / "jazz.00054.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    return root


def test_module_entry_help() -> None:
    out = subprocess.run([sys.executable, "-m", "core", "--help"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for command in ("extract", "train", "evaluate", "predict", "download", "info"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["extract", "train", "evaluate", "predict", "download", "info",
                                     "evaluate-folder"])
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_usage_error_exit_code() -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--model", "resnet"])
    assert exit_info.value.code == cli.EXIT_USAGE


def test_info_names_the_data(tiny_gtzan: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["info", "--data", str(tiny_gtzan)]) == 0
    out = capsys.readouterr().out
    assert "GTZAN folder" in out and "3 tracks" in out and "blues 1" in out


def test_info_shows_format_coverage_and_ignored_files(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    root = write_gtzan(tmp_path / "mix", {"blues.00000": tone(220, 3.5), "rock.00001":
                                          tone(330, 3.5)}, ext={"rock.00001": "ogg"})
    (root / "rock" / "tracklist.txt").write_text("not audio")
    lists = tmp_path / "lists"
    lists.mkdir()
    for side, line in (("train", "blues/blues.00000.wav"), ("valid", "pop/pop.00003.wav"),
                       ("test", "rock/rock.00001.wav")):
        (lists / f"{side}_filtered.txt").write_text(line + "\n")
    assert cli.main(["info", "--data", str(root), "--splits", str(lists)]) == 0
    out = capsys.readouterr().out
    assert "(2 tracks, mixed: ogg 1, wav 1)" in out
    assert "clips per genre (2 of 10 genres): blues 1, rock 1" in out
    assert "split: artist-filtered, 2 genres present; tracks train/valid/test 1/0/1" in out
    assert "split lists name 1 tracks that are not here" in out
    assert "rock/tracklist.txt: not an audio file" in out


def test_not_gtzan_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["info", "--data", str(tmp_path)]) == cli.EXIT_ERROR
    assert "not a GTZAN folder" in capsys.readouterr().err


def test_extract_reports_skipped_files(tiny_gtzan: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["extract", "--data", str(tiny_gtzan), "--kinds", "zcr", "mfcc_stats",
                     "--jobs", "1", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "jazz.00054" in out
    assert "clips per genre (3 of 10 genres): blues 1, jazz 1, rock 1" in out
    assert out.count("skipped jazz.00054") == 1   # in the feature summary, not again


def test_predict_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    assert cli.main(["predict", str(bad)]) == cli.EXIT_ERROR
    assert "notes.wav" in capsys.readouterr().err


def test_evaluate_missing_run(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["evaluate", "no-such-run"]) == cli.EXIT_ERROR
    assert "no run folder" in capsys.readouterr().err


def test_descriptor_training_needs_a_table(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["train", "--model", "descriptor_svm"]) == cli.EXIT_USAGE
    assert "--table" in capsys.readouterr().err


def test_table_is_refused_for_audio_models(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["train", "--model", "svm", "--table", str(tmp_path / "t.csv")]) == cli.EXIT_USAGE
    assert "descriptor models only" in capsys.readouterr().err


def test_predict_with_a_named_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import soundfile as sf

    from core.constants import MODELS_DIR

    shipped = sorted(p.name for p in MODELS_DIR.iterdir() if "SVM-on-MFCC" in p.name)
    if not shipped:
        pytest.skip("no shipped SVM-on-MFCC model in models/")
    clip = tmp_path / "clip.wav"
    sf.write(clip, tone(440, 7.0) + tone(110, 7.0), 22050)
    assert cli.main(["predict", str(clip), "--model", shipped[0], "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "SVM on MFCC" in out and "2 segments" in out
    assert cli.main(["predict", str(clip), "--model", "no-such-model"]) == cli.EXIT_ERROR


def test_report_names_a_damaged_run_and_writes_the_rest(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    from core import config
    from tests.test_report import write_run

    good = write_run()
    broken = config.runs_dir() / "20990101-000000-broken-abc123"
    broken.mkdir()
    (broken / "card.json").write_text("{ not json")
    out = tmp_path / "report.html"
    assert cli.main(["report", good.name, str(broken), "--out", str(out)]) == cli.EXIT_OK
    captured = capsys.readouterr()
    assert f"report: {out} (1 run(s)" in captured.out and "1 left out" in captured.out
    assert broken.name in captured.err and "damaged" in captured.err
    html = out.read_text(encoding="utf-8")
    assert good.name in html and broken.name in html.split("id='left-out'")[1]


def test_report_without_usable_runs_is_one_error_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "report.html"
    assert cli.main(["report", "no-such-run", "--out", str(out)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: no usable run to report on: no-such-run: no run folder with that path, name or "
        "run id"]
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert cli.main(["report", "--out", str(out)]) == cli.EXIT_USAGE
    assert "error: name at least one run" in capsys.readouterr().err


def test_predict_many_clips_one_line_each_with_csv(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    import csv
    import zipfile

    import soundfile as sf

    from tests.test_prediction import sklearn_run

    sklearn_run("svm", "mfcc")
    sklearn_run("knn", "zcr", dim=30, run_id="20250102-000000-knn-zcr-bbbbbb")
    folder = tmp_path / "clips"
    (folder / "deep").mkdir(parents=True)
    sf.write(folder / "a.wav", tone(440, 4.0) + tone(110, 4.0), 22050)
    sf.write(folder / "deep" / "b.flac", tone(660, 5.0), 22050)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "broken.mp3").write_bytes(b"not audio at all" * 10)
    with zipfile.ZipFile(tmp_path / "more.zip", "w") as archive:
        archive.write(folder / "a.wav", "c.wav")
        archive.writestr("../up.wav", b"RIFF")
    table = tmp_path / "out.csv"
    code = cli.main(["predict", str(folder), str(tmp_path / "more.zip"), "--csv",
                     str(table), "--jobs", "1", "--quiet"])   # the best model: a run made here
    assert code == cli.EXIT_OK
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(str(tmp_path))]
    assert len(lines) == 6   # one line per clip, the unusable ones with their reason
    by_clip = {ln.split(": ", 1)[0]: ln for ln in lines}
    for good in (folder / "a.wav", folder / "deep" / "b.flac", f"{tmp_path / 'more.zip'}/c.wav"):
        assert " %, " in by_clip[str(good)] and "your run" in by_clip[str(good)]
    assert "error: the file is empty" in by_clip[str(folder / "empty.wav")]
    assert "broken.mp3: error: cannot be decoded" in by_clip[str(folder / "broken.mp3")]  # named once
    assert "out of the archive" in by_clip[f"{tmp_path / 'more.zip'}/../up.wav"]
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 6 and sum(bool(r["consensus"]) for r in rows) == 3


def test_predict_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["predict", str(tmp_path), "--jobs", "0"])
    assert stop.value.code == cli.EXIT_USAGE and "at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        cli.main(["predict", str(tmp_path), "--all", "--model", "x"])
    assert stop.value.code == cli.EXIT_USAGE and "not allowed with" in capsys.readouterr().err


def test_train_on_chosen_genres_of_a_mixed_format_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("GENRELAB_RUNS", str(tmp_path / "runs"))
    rng = np.random.default_rng(1)
    clips, formats = {}, {}
    for k, genre in enumerate(("blues", "rock", "jazz")):
        for i in range(4):
            track = f"{genre}.{i:05d}"
            clips[track] = tone(200 + 300 * k + 10 * i, 3.5) + 0.02 * rng.normal(
                size=int(3.5 * 22050)).astype(np.float32)
            formats[track] = ("wav", "ogg", "flac", "mp3")[i]
    root = write_gtzan(tmp_path / "mix", clips, ext=formats)
    code = cli.main(["train", "--model", "svm", "--feature", "zcr", "--data", str(root),
                     "--genres", "rock,blues,metal", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "model: SVM on ZCR (2 genres)" in out
    assert "genres: blues, rock (2 of 10; cannot answer classical, country" in out
    assert "genre note: metal: chosen, but no clip of it is on the split; left out" in out
    assert "2 genres present" in out
    assert cli.main(["train", "--model", "svm", "--feature", "zcr", "--data", str(root),
                     "--seed", "7", "--split-seed", "3", "--quiet"]) == 0
    assert "[random-track, seed 3," in capsys.readouterr().out   # the split's seed, not the model's
    assert cli.main(["train", "--model", "svm", "--data", str(root), "--genres", "polka,rock"]) == 1
    assert "unknown genre(s) ['polka']" in capsys.readouterr().err
