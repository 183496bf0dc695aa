"""Tests of core.prediction.batch: clips gathered from files, folders and zips (refused member by member
with the reason), many clips predicted at once, and the table, CSV and counts of the results."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.prediction import batch
from core.prediction import catalogue, pipeline, streaming
from core.constants import GENRES

from .test_prediction import music, only, sklearn_run, wav_bytes


def make_zip(members: dict[str, bytes], encrypted: tuple[str, ...] = ()) -> bytes:
    """A zip archive's bytes holding these members (names written as given); the members named
    in encrypted get the encryption flag in the central directory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    raw = bytearray(buf.getvalue())
    for name in encrypted:
        at = raw.find(b"PK\x01\x02")
        while at != -1:
            size = int.from_bytes(raw[at + 28:at + 30], "little")
            if raw[at + 46:at + 46 + size] == name.encode():
                raw[at + 8] |= 0x1
            at = raw.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


def reasons(inputs: list[batch.ClipInput]) -> dict[str, str | None]:
    """{input name: refusal (None when usable)}."""
    return {item.name: item.refusal for item in inputs}


def test_zip_members_are_refused_one_by_one_with_the_reason():
    good = wav_bytes(music(4.0))
    data = make_zip({
        "songs/a.wav": good, "../escape.wav": good, "/etc/abs.wav": good, "inner.zip": b"PK..",
        "notes.txt": b"hello", "songs/empty.wav": b"", "songs/locked.wav": good,
        "__MACOSX/._a.wav": b"junk", "songs/": b"",
    }, encrypted=("songs/locked.wav",))
    got = reasons(batch.zip_members("pack.zip", data))
    assert got["pack.zip/songs/a.wav"] is None
    assert "out of the archive" in got["pack.zip/../escape.wav"]
    assert "absolute path" in got["pack.zip//etc/abs.wav"]
    assert "archive inside the archive" in got["pack.zip/inner.zip"]
    assert "not an audio file" in got["pack.zip/notes.txt"]
    assert "empty (0 bytes)" in got["pack.zip/songs/empty.wav"]
    assert "encrypted" in got["pack.zip/songs/locked.wav"]
    assert not any("MACOSX" in name for name in got) and "pack.zip/songs/" not in got
    usable = [i for i in batch.zip_members("pack.zip", data) if i.usable]
    assert [i.read_bytes() for i in usable] == [good]   # unpacked only when asked


def test_broken_or_empty_zip_is_one_refused_row():
    assert "not a readable zip" in batch.from_upload("x.zip", b"not a zip")[0].refusal
    assert "holds no files" in batch.from_upload("y.zip", make_zip({}))[0].refusal


def test_upload_of_one_file_and_the_file_limit():
    assert batch.from_upload("a.wav", b"RIFF....")[0].usable
    assert "empty" in batch.from_upload("b.wav", b"")[0].refusal
    inputs = [batch.ClipInput(f"{i}.wav", data=b"x") for i in range(5)]
    inputs.insert(1, batch.ClipInput("bad.txt", refusal="not audio"))
    limited = batch.limit_files(inputs, max_files=3)
    assert [i.usable for i in limited] == [True, False, True, True, False, False]
    assert limited[1].refusal == "not audio" and "limit of 3 clips" in limited[4].refusal
    many = make_zip({f"{i}.wav": b"data" for i in range(4)})
    refused = [i for i in batch.zip_members("m.zip", many, max_files=2) if not i.usable]
    assert len(refused) == 2 and all(i.data is None for i in refused)   # not read at all


def test_from_paths_searches_folders_recursively(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.wav").write_bytes(wav_bytes(music(4.0)))
    (tmp_path / "a" / "b" / "two.flac").write_bytes(b"fLaC....")
    (tmp_path / "a" / "b" / "skip.txt").write_text("not picked up in a folder")
    (tmp_path / "a" / "zeros.wav").write_bytes(b"")
    (tmp_path / "pack.zip").write_bytes(make_zip({"three.wav": b"RIFF"}))
    (tmp_path / "none").mkdir()
    got = reasons(batch.from_paths([tmp_path / "a", tmp_path / "pack.zip", tmp_path / "none",
                                    tmp_path / "missing.wav"]))
    names = list(got)
    assert names[:3] == [str(tmp_path / "a" / "b" / "two.flac"), str(tmp_path / "a" / "one.wav"),
                         str(tmp_path / "a" / "zeros.wav")]
    assert got[str(tmp_path / "a" / "zeros.wav")] == "the file is empty (0 bytes)"
    assert got[f"{tmp_path / 'pack.zip'}/three.wav"] is None
    assert "no audio files" in got[str(tmp_path / "none")]
    assert got[str(tmp_path / "missing.wav")] == "no such file or folder"


@pytest.mark.parametrize("jobs", [1, 2])
def test_predict_many_answers_good_clips_and_gives_bad_ones_their_reason(jobs: int):
    runs = [sklearn_run("svm", "mfcc"), sklearn_run("knn", "zcr", dim=30)]
    entries = only(catalogue.available_models(), *runs)
    data = make_zip({"a.wav": wav_bytes(music(4.0, seed=1)), "b.wav": wav_bytes(music(7.0, seed=2)),
                     "broken.wav": b"RIFF\x00\x00garbage" * 50, "quiet.wav": wav_bytes(
                         np.zeros(4 * 22050, np.float32)), "evil/../../x.wav": b"RIFF"})
    inputs = batch.from_upload("clips.zip", data)
    calls = []
    rows = list(batch.predict_many(inputs, entries, jobs=jobs,
                                   progress=lambda done, total, name: calls.append((done, total))))
    assert [r.name for r in rows] == [i.name for i in inputs]
    assert calls == [(k, len(inputs)) for k in range(1, len(inputs) + 1)]
    by_name = {r.name.split("/", 1)[1]: r for r in rows}
    for good in ("a.wav", "b.wav"):
        row = by_name[good]
        assert row.error is None and len(row.prediction.results) == 2
        assert row.consensus[0] in GENRES
    assert by_name["b.wav"].prediction.segment_starts_s.tolist() == [0.0, 3.0]
    assert by_name["broken.wav"].error.startswith("not a readable audio file")  # named once
    assert "silent" in by_name["quiet.wav"].error
    assert "out of the archive" in by_name["evil/../../x.wav"].error
    single = streaming.predict_clip(wav_bytes(music(4.0, seed=1)), entries)
    np.testing.assert_allclose(by_name["a.wav"].prediction.results[0].clip_proba,
                               single.results[0].clip_proba)


def test_table_csv_and_counts():
    runs = [sklearn_run("svm", "mfcc")]
    entries = only(catalogue.available_models(), *runs)
    inputs = [batch.ClipInput("a.wav", data=wav_bytes(music(4.0))),
              batch.ClipInput("b.txt", refusal="not an audio file")]
    rows = list(batch.predict_many(inputs, entries))
    label = entries[0].label
    text = batch.to_csv(rows, [label])
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == ["clip", "consensus", "agreeing", f"{label} genre", f"{label} p",
                                "error"]
    assert records[0]["consensus"] == records[0][f"{label} genre"] in GENRES
    assert 0 < float(records[0][f"{label} p"]) <= 1 and records[0]["agreeing"] == "1"
    assert records[1]["error"] == "not an audio file" and records[1][f"{label} p"] == ""
    counts = batch.genre_counts(rows)
    assert list(counts) == list(GENRES) and sum(counts.values()) == 1
    assert counts[records[0]["consensus"]] == 1


def _shipped_musicnn() -> catalogue.ModelEntry:
    """The shipped musicnn+SVM model (models/)."""
    return next(e for e in catalogue.available_models() if e.model == "musicnn" and e.shipped)


def test_batch_workers_stop_at_the_network_inputs_and_never_import_tensorflow(tmp_path: Path):
    clip = tmp_path / "clip.wav"
    clip.write_bytes(wav_bytes(music(7.0, seed=3)))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from core.prediction import batch, catalogue, pipeline\n"
        "entry = next(e for e in catalogue.available_models() if e.model == 'musicnn')\n"
        f"item = batch.ClipInput('clip.wav', path=Path({str(clip)!r}))\n"
        "got = batch._featurise(item, [pipeline.feature_key(entry)])\n"
        "assert got.error is None, got.error\n"
        "print(sorted(k for k, _ in got.computed))\n"
        "print([tuple(v.shape) for v in got.computed.values()])\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    kinds, shapes, imported = done.stdout.strip().splitlines()
    assert kinds == "['musicnn_patches']"        # the embedding itself is left to the caller
    assert shapes == "[(2, 187, 96)]"           # 7 s at 16 kHz: two 3-s patches
    assert imported == "False False"


def test_batch_musicnn_answer_equals_the_single_clip_answer():
    entry = _shipped_musicnn()
    data = wav_bytes(music(7.0, seed=4))
    (row,) = batch.predict_many(batch.from_upload("a.wav", data), [entry], jobs=2)
    single = streaming.predict_clip(data, [entry])
    assert row.error is None and not row.prediction.failed
    np.testing.assert_array_equal(row.prediction.results[0].clip_proba,
                                  single.results[0].clip_proba)
    assert row.prediction.results[0].tags == single.results[0].tags


def test_a_zip_bomb_is_answered_member_by_member_in_bounded_memory(tmp_path: Path):
    """200 members of 49 MiB of silence (a ~10 MB zip unpacking to 9.6 GiB) and one clip of
    music: every member is answered or refused with its reason, the music is answered, and the
    process that predicts them never holds more than 1.5 GB (it held 10.9 GB when every member
    was read whole before any was analysed)."""
    import json
    import subprocess
    import sys

    from core.constants import MAX_ARCHIVE_UNPACKED_BYTES

    from harness import zip_bomb

    bomb = zip_bomb.build(tmp_path / "bomb.zip", extra={"music/a.wav": zip_bomb.music_wav(4.0)})
    assert bomb.stat().st_size < 12 * 2**20
    code = (
        "import json, sys\n"
        "from core.prediction import batch, catalogue\n"
        "entries = [e for e in catalogue.available_models() if e.model == 'svm'][:1]\n"
        "inputs = batch.limit_files(batch.from_paths([sys.argv[1]]))\n"
        "rows = batch.predict_many(inputs, entries, jobs=1)\n"
        "print(json.dumps([[r.name, r.error, r.consensus and r.consensus[0]] for r in rows]))\n")
    # a fresh parent process runs the batch and reads its child's peak (RUSAGE_CHILDREN: the
    # largest child of that parent, so no earlier child of the test session can count)
    measure = ("import resource, subprocess, sys\n"
               "done = subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]])\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(done.returncode)\n")
    done = subprocess.run([sys.executable, "-c", measure, code, str(bomb)],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
                          timeout=600)
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {name: (error, genre) for name, error, genre in json.loads(done.stdout)}
    assert len(rows) == 201
    assert rows[f"{bomb}/music/a.wav"][0] is None and rows[f"{bomb}/music/a.wav"][1] in GENRES
    silent = [name for name, (error, _) in rows.items() if error and "silent" in error]
    budget = [name for name, (error, _) in rows.items()
              if error and f"more than {MAX_ARCHIVE_UNPACKED_BYTES // 2**20} MiB" in error]
    assert len(silent) == MAX_ARCHIVE_UNPACKED_BYTES // (zip_bomb.MEMBER_MIB * 2**20) == 20
    assert len(silent) + len(budget) == 200   # each member answered or refused, with the reason
    assert peak_mb < 1500, f"peak RSS {peak_mb:.0f} MB"


def test_archive_and_batch_budgets_of_unpacked_bytes_name_the_limit():
    data = make_zip({f"{i}.wav": bytes(1000) for i in range(4)})
    got = reasons(batch.zip_members("z.zip", data, max_unpacked=2500))
    assert list(got.values())[:2] == [None, None]
    assert all("more than 0 MiB (the limit per archive" in r for r in list(got.values())[2:])
    inputs = batch.zip_members("a.zip", data) + batch.zip_members("b.zip", data)
    limited = batch.limit_files(inputs, max_unpacked=5000)
    assert [i.usable for i in limited] == [True] * 5 + [False] * 3
    assert "(the limit per batch" in limited[5].refusal and limited[5].member is None


def test_a_long_clip_is_analysed_on_its_first_part_and_the_table_says_so(monkeypatch):
    from core.data import audio

    runs = [sklearn_run("svm", "mfcc")]
    entries = only(catalogue.available_models(), *runs)
    monkeypatch.setattr(audio, "MAX_CLIP_SECONDS", 6.0)
    inputs = batch.from_upload("long.zip", make_zip({"long.wav": wav_bytes(music(10.0)),
                                                     "short.wav": wav_bytes(music(4.0))}))
    rows = list(batch.predict_many(inputs, entries))
    assert rows[0].prediction.excerpt == "the first 0:06 of 0:10"
    assert rows[0].prediction.duration_s == 6.0 and rows[1].prediction.excerpt == ""
    records = batch.table_rows(rows, [entries[0].label])
    assert [r["analysed"] for r in records] == ["the first 0:06 of 0:10", ""]
    assert "analysed" in batch.to_csv(rows, [entries[0].label]).splitlines()[0]
    assert "analysed" not in batch.to_csv(rows[1:], [entries[0].label]).splitlines()[0]
    single = streaming.predict_clip(wav_bytes(music(10.0)), entries)
    assert single.excerpt == "the first 0:06 of 0:10"


def test_a_member_whose_deflate_stream_is_damaged_is_refused_with_the_reason(tmp_path: Path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.wav", bytes(range(256)) * 4000)
    raw = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).infolist()[0]
    start = info.header_offset + 30 + len(info.filename)
    for k in range(start + 10, start + 60):     # the deflate stream itself, not the headers
        raw[k] ^= 0xFF
    [item] = batch.zip_members("z.zip", bytes(raw))
    assert item.usable                          # named while gathering, not read
    got = batch.unpack_member(item, tmp_path)
    assert "cannot be read from the archive (Error -3" in got.refusal   # zlib.error, not raised
    assert list(tmp_path.iterdir()) == []


def test_jobs_1_reads_zip_members_in_memory_without_temporary_files(monkeypatch, tmp_path: Path):
    """In one process a zip member is decoded from the archive in memory: no member is staged
    in a temporary file; a damaged member still gets its reason."""
    runs = [sklearn_run("svm", "mfcc")]
    entries = only(catalogue.available_models(), *runs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.wav", wav_bytes(music(4.0, seed=1)))
        archive.writestr("b.wav", bytes(range(256)) * 4000)
    raw = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo("b.wav")
    start = info.header_offset + 30 + len(info.filename)
    for k in range(start + 10, start + 60):     # b.wav's deflate stream
        raw[k] ^= 0xFF
    staged: list[str] = []
    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: staged.append("file") or real(*a, **k))
    rows = list(batch.predict_many(batch.from_upload("z.zip", bytes(raw)), entries, jobs=1))
    assert staged == []
    assert rows[0].error is None and rows[0].consensus[0] in GENRES
    assert "cannot be read from the archive (Error -3" in rows[1].error


def test_a_clip_uploaded_alone_and_in_a_zip_is_listed_once() -> None:
    clip, other = wav_bytes(music(4.0)), wav_bytes(music(5.0))
    inputs = (batch.from_upload("blues.00001.wav", clip)
              + batch.from_upload("pack.zip", make_zip({"blues.00001.wav": clip,
                                                        "songs/other.wav": other,
                                                        "copy/a.wav": clip})))
    kept, dropped = batch.drop_repeats(inputs)
    assert dropped == ["pack.zip/blues.00001.wav"]
    # the same audio under another name is another clip; a refused input is kept with its reason
    assert [i.name for i in kept] == ["blues.00001.wav", "pack.zip/songs/other.wav",
                                      "pack.zip/copy/a.wav"]
    refused = batch.from_upload("notes.txt", b"x")
    assert batch.drop_repeats(refused + refused)[0] == refused + refused
