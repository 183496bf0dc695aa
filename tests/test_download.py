"""Tests of core.data.download against a local HTTP server on 127.0.0.1 (no outside network)."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import socket
import tarfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.config import DEFAULT_DOWNLOADS
from core.constants import SHARED_DATA
from core.data.gtzan import list_tracks
from core.data.download import SPLIT_FILES, DownloadError, download_gtzan, download_splits, safe_extract, validate_split_files

SHARED_SPLITS = SHARED_DATA / "splits"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static file handler that does not log every request."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silence the per-request log line."""


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No proxies (loopback only) and a private settings folder for every test."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("GENRELAB_HOME", str(tmp_path / "home"))


@pytest.fixture()
def server(tmp_path):
    """A static HTTP server on a free loopback port serving tmp_path/"srv"; yields (folder, base URL)."""
    folder = tmp_path / "srv"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # a short poll interval keeps shutdown() fast (it waits for the serving loop to notice)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _wav_bytes(freq: float) -> bytes:
    """A 0.05-s 16-bit mono tone at 22050 Hz, as WAV bytes."""
    t = np.arange(int(0.05 * 22050)) / 22050
    buf = io.BytesIO()
    sf.write(buf, 0.3 * np.sin(2 * np.pi * freq * t), 22050, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Add a regular file member with the given bytes."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _make_tar(path: Path, extra: list[tarfile.TarInfo] | None = None,
              extra_files: dict[str, bytes] | None = None) -> Path:
    """A tar.gz in the original layout (genres/<genre>/<genre>.00000.wav) plus optional members."""
    with tarfile.open(path, "w:gz") as tar:
        _add_bytes(tar, "genres/blues/blues.00000.wav", _wav_bytes(220.0))
        _add_bytes(tar, "genres/jazz/jazz.00000.wav", _wav_bytes(330.0))
        for info in extra or []:
            tar.addfile(info)
        for name, data in (extra_files or {}).items():
            _add_bytes(tar, name, data)
    return path


def _sha256(path: Path) -> str:
    """SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- archive download ------------------------------------------------------------------------

def test_good_download_unpacks_and_returns_root(server, tmp_path):
    folder, base = server
    archive = _make_tar(folder / "genres.tar.gz")
    target = tmp_path / "data" / "gtzan"
    root = download_gtzan(target, url=f"{base}/genres.tar.gz", sha256=_sha256(archive),
                          progress=True)
    assert root == target / "genres"
    assert [t.track_id for t in list_tracks(root)] == ["blues.00000", "jazz.00000"]
    assert sf.info(str(root / "blues" / "blues.00000.wav")).samplerate == 22050
    # only the dataset is left beside it: no archive, no temporary folder
    assert sorted(p.name for p in target.parent.iterdir()) == ["gtzan"]


def test_own_url_without_hash_downloads_unchecked_and_logs_hash(server, tmp_path, caplog):
    folder, base = server
    archive = _make_tar(folder / "mirror.tar.gz")
    with caplog.at_level("WARNING", logger="core.data.download"):
        root = download_gtzan(tmp_path / "gtzan", url=f"{base}/mirror.tar.gz", progress=False)
    assert root == tmp_path / "gtzan" / "genres"
    assert _sha256(archive) in caplog.text


def test_configured_source_and_hash_are_used_by_default(server, tmp_path):
    folder, base = server
    archive = _make_tar(folder / "genres.tar.gz")
    home = tmp_path / "home"
    home.mkdir()
    entry = {"url": f"{base}/genres.tar.gz", "sha256": "e" * 64}
    (home / "settings.json").write_text(json.dumps({"downloads": {"gtzan": entry}}))
    with pytest.raises(DownloadError, match="e" * 64):
        download_gtzan(tmp_path / "gtzan", progress=False)
    entry["sha256"] = _sha256(archive)
    (home / "settings.json").write_text(json.dumps({"downloads": {"gtzan": entry}}))
    assert download_gtzan(tmp_path / "gtzan", progress=False) == tmp_path / "gtzan" / "genres"


def test_existing_dataset_is_returned_without_network(server, tmp_path):
    folder, base = server
    archive = _make_tar(folder / "genres.tar.gz")
    target = tmp_path / "gtzan"
    download_gtzan(target, url=f"{base}/genres.tar.gz", sha256=_sha256(archive), progress=False)
    dead = f"http://127.0.0.1:{_free_port()}/genres.tar.gz"
    assert download_gtzan(target, url=dead, progress=False) == target / "genres"


def test_wrong_sha256_raises_and_leaves_nothing(server, tmp_path):
    folder, base = server
    archive = _make_tar(folder / "genres.tar.gz")
    wrong = "0" * 64
    work = tmp_path / "work"
    with pytest.raises(DownloadError) as info:
        download_gtzan(work / "gtzan", url=f"{base}/genres.tar.gz", sha256=wrong, progress=False)
    message = str(info.value)
    assert wrong in message and _sha256(archive) in message and "checksum" in message
    assert not (work / "gtzan").exists()
    assert list(work.rglob("*")) == []


def test_malformed_sha256_is_refused_before_download(server, tmp_path):
    _, base = server
    with pytest.raises(DownloadError, match="64 hex"):
        download_gtzan(tmp_path / "gtzan", url=f"{base}/missing.tar.gz", sha256="abc123")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/genres.tar.gz", "http://", "not a url"])
def test_unusable_urls_are_download_errors(tmp_path, url):
    with pytest.raises(DownloadError, match="download"):
        download_gtzan(tmp_path / "gtzan", url=url, sha256="1" * 64, progress=False)
    assert not (tmp_path / "gtzan").exists()


def test_network_failure_names_url_and_suggests_existing_copy(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/genres.tar.gz"
    with pytest.raises(DownloadError) as info:
        download_gtzan(tmp_path / "gtzan", url=url, sha256="1" * 64, progress=False)
    assert url in str(info.value) and "GENRELAB_DATA" in str(info.value)
    assert not (tmp_path / "gtzan").exists()


def test_http_404_is_a_download_error(server, tmp_path):
    _, base = server
    with pytest.raises(DownloadError, match="404"):
        download_gtzan(tmp_path / "gtzan", url=f"{base}/nope.tar.gz", sha256="1" * 64,
                       progress=False)


def test_non_dataset_target_is_not_overwritten(server, tmp_path):
    folder, base = server
    archive = _make_tar(folder / "genres.tar.gz")
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(DownloadError, match="not a GTZAN folder"):
        download_gtzan(target, url=f"{base}/genres.tar.gz", sha256=_sha256(archive),
                       progress=False)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_archive_without_genres_is_rejected_and_removed(server, tmp_path):
    folder, base = server
    archive = folder / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add_bytes(tar, "readme.txt", b"not music")
    work = tmp_path / "work"
    with pytest.raises(DownloadError, match="no GTZAN genre folders"):
        download_gtzan(work / "gtzan", url=f"{base}/other.tar.gz", sha256=_sha256(archive),
                       progress=False)
    assert list(work.iterdir()) == []


def test_zip_archive_in_kaggle_layout(server, tmp_path):
    folder, base = server
    archive = folder / "gtzan.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Data/genres_original/blues/blues.00000.wav", _wav_bytes(220.0))
        zf.writestr("Data/genres_original/rock/rock.00007.wav", _wav_bytes(440.0))
        zf.writestr("Data/features_30_sec.csv", "filename,label\n")
    target = tmp_path / "kaggle"
    root = download_gtzan(target, url=f"{base}/gtzan.zip", sha256=_sha256(archive), progress=False)
    assert root == target / "Data" / "genres_original"
    assert [t.track_id for t in list_tracks(root)] == ["blues.00000", "rock.00007"]


# --- hostile archives ------------------------------------------------------------------------

def _symlink(name: str, link: str) -> tarfile.TarInfo:
    """A symlink member name -> link."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = link
    return info


def _hardlink(name: str, link: str) -> tarfile.TarInfo:
    """A hard-link member name -> link."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = link
    return info


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "hardlink", "device"])
def test_escaping_tar_members_are_refused(tmp_path, kind):
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    archive = tmp_path / f"{kind}.tar.gz"
    if kind == "dotdot":
        member = "genres/../../evil.txt"
        _make_tar(archive, extra_files={member: b"pwned"})
    elif kind == "absolute":
        member = str(outside / "evil.txt")
        _make_tar(archive, extra_files={member: b"pwned"})
    elif kind == "symlink":
        member = "genres/pop"
        _make_tar(archive, extra=[_symlink(member, "../../../outside")],
                  extra_files={"genres/pop/evil.txt": b"pwned"})
    elif kind == "hardlink":
        member = "genres/passwd"
        _make_tar(archive, extra=[_hardlink(member, "../../outside/secret")])
    else:
        member = "genres/null"
        device = tarfile.TarInfo(member)
        device.type = tarfile.CHRTYPE
        _make_tar(archive, extra=[device])
    target = work / "sub" / "gtzan"
    with pytest.raises(DownloadError) as info:
        safe_extract(archive, target, progress=False)
    assert repr(member) in str(info.value)
    assert not target.exists()
    assert list(work.rglob("*")) == [work / "sub"]       # not even the temporary folder
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists() and not (work / "evil.txt").exists()


def test_hostile_archive_via_download_is_refused_and_deleted(server, tmp_path):
    folder, base = server
    archive = _make_tar(folder / "evil.tar.gz", extra_files={"../evil.txt": b"pwned"})
    work = tmp_path / "work"
    with pytest.raises(DownloadError, match="'../evil.txt'"):
        download_gtzan(work / "gtzan", url=f"{base}/evil.tar.gz", sha256=_sha256(archive),
                       progress=False)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("member", ["../evil.txt", "/tmp/genrelab-evil.txt", "a/../../evil.txt"])
def test_escaping_zip_members_are_refused(tmp_path, member):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("genres/blues/blues.00000.wav", _wav_bytes(220.0))
        zf.writestr(zipfile.ZipInfo(member), b"pwned")
    work = tmp_path / "work"
    with pytest.raises(DownloadError) as info:
        safe_extract(archive, work / "gtzan", progress=False)
    assert repr(member) in str(info.value)
    assert list(work.rglob("*")) == []
    assert not (tmp_path / "evil.txt").exists()


def test_safe_extract_refuses_non_archives_and_truncated_tars(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"definitely not an archive" * 10)
    with pytest.raises(DownloadError, match="neither a tar nor a zip"):
        safe_extract(junk, tmp_path / "out", progress=False)
    whole = _make_tar(tmp_path / "whole.tar.gz").read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DownloadError):
        safe_extract(cut, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


# --- split lists -----------------------------------------------------------------------------

_LISTS = {
    "train_filtered.txt": "blues/blues.00029.wav\njazz/jazz.00000.wav\n",
    "valid_filtered.txt": "blues/blues.00000.wav\nrock/rock.00038.wav\n",
    "test_filtered.txt": "blues/blues.00012.wav\npop/pop.00000.wav\n",
}


def _serve_lists(folder: Path, lists: dict[str, str]) -> dict[str, str]:
    """Write split lists under folder/"splits"; returns their sha256 keyed like the config."""
    (folder / "splits").mkdir()
    hashes = {}
    for name, text in lists.items():
        (folder / "splits" / name).write_text(text)
        hashes[f"{name.split('_')[0]}_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return hashes


def _set_split_hashes(tmp_path: Path, hashes: dict[str, str]) -> None:
    """Override the split sha256 entries in the test's settings.json."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"downloads": {"splits": hashes}}))


def test_split_lists_download_with_hashes(server, tmp_path):
    folder, base = server
    _set_split_hashes(tmp_path, _serve_lists(folder, _LISTS))
    target = tmp_path / "lists"
    assert download_splits(target, base_url=f"{base}/splits", progress=False) == target
    assert sorted(p.name for p in target.iterdir()) == sorted(SPLIT_FILES)
    for name, text in _LISTS.items():
        assert (target / name).read_text() == text
    assert validate_split_files(target)["valid_filtered.txt"] == ["blues/blues.00000.wav",
                                                                  "rock/rock.00038.wav"]


def test_split_lists_without_known_hash_log_the_computed_one(server, tmp_path, caplog):
    folder, base = server
    hashes = _serve_lists(folder, _LISTS)
    _set_split_hashes(tmp_path, {key: "" for key in hashes})
    with caplog.at_level("WARNING", logger="core.data.download"):
        download_splits(tmp_path / "lists", base_url=f"{base}/splits/", progress=False)
    assert hashes["test_sha256"] in caplog.text


def test_split_list_with_wrong_hash_is_refused(server, tmp_path):
    folder, base = server
    hashes = _serve_lists(folder, _LISTS)
    _set_split_hashes(tmp_path, {**hashes, "valid_sha256": "f" * 64})
    target = tmp_path / "lists"
    with pytest.raises(DownloadError, match="valid_filtered.txt"):
        download_splits(target, base_url=f"{base}/splits", progress=False)
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("bad, reason", [
    ("blues/blues.00099.wav\nnot a track\n", "line 2"),
    ("blues/jazz.00000.wav\n", "line 1"),
    ("techno/techno.00000.wav\n", "line 1"),
    ("blues/blues.00029.wav\n", "already listed"),     # also in train: overlap
])
def test_invalid_split_content_is_refused(server, tmp_path, bad, reason):
    folder, base = server
    hashes = _serve_lists(folder, {**_LISTS, "test_filtered.txt": bad})
    _set_split_hashes(tmp_path, hashes)
    target = tmp_path / "lists"
    with pytest.raises(DownloadError, match=reason):
        download_splits(target, base_url=f"{base}/splits", progress=False)
    assert list(target.iterdir()) == []


def test_valid_existing_lists_are_kept_without_network(tmp_path):
    target = tmp_path / "lists"
    target.mkdir()
    for name, text in _LISTS.items():
        (target / name).write_text(text)
    dead = f"http://127.0.0.1:{_free_port()}/"
    assert download_splits(target, base_url=dead, progress=False) == target


def test_default_split_hashes_match_shared_copies():
    if not SHARED_SPLITS.is_dir():
        pytest.skip(f"real split lists not present at {SHARED_SPLITS}")
    lists = validate_split_files(SHARED_SPLITS)
    assert [len(lists[name]) for name in SPLIT_FILES] == [443, 197, 290]
    for name in SPLIT_FILES:
        key = f"{name.split('_')[0]}_sha256"
        assert DEFAULT_DOWNLOADS["splits"][key] == _sha256(SHARED_SPLITS / name)


def test_progress_callback_reports_download_and_unpack(server, tmp_path):
    """A callable progress gets (stage, done, total) in bytes for the download and the unpacking."""
    folder, base = server
    archive = _make_tar(folder / "cb.tar.gz")
    calls: list[tuple[str, int, int]] = []
    root = download_gtzan(tmp_path / "gtzan", url=f"{base}/cb.tar.gz", sha256=_sha256(archive),
                          progress=lambda *a: calls.append(a))
    assert root.is_dir()
    assert {c[0].split()[0] for c in calls} == {"downloading", "unpacking"}
    last_download = [c for c in calls if c[0].startswith("downloading")][-1]
    assert last_download[1] == archive.stat().st_size == last_download[2]
