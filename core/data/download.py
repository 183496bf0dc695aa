"""Downloading GTZAN and its artist-filtered split lists: pooch with SHA-256, safe unpacking.

Everything is fetched from the URLs in `core.config.download_sources()` (defaults in
`DEFAULT_DOWNLOADS`, overridable in settings.json). Archives are unpacked into a temporary
folder beside the target and renamed into place only when complete, so an interrupted or
refused unpack leaves no half-written dataset behind.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import Union
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlsplit

import pooch
import requests
from tqdm import tqdm

from core import config
from core.data import splits
from core.config import ENV_DATA, download_sources
from core.constants import GENRES
from core.data.gtzan import DatasetError, find_root

logger = logging.getLogger(__name__)

#: The three list files of the artist-filtered split (Kereliuk, Sturm & Larsen), in order.
SPLIT_FILES: tuple[str, ...] = tuple(splits.SPLIT_FILES.values())
#: One line of a split list: "<genre>/<genre>.<5 digits>.wav" (or .au).
SPLIT_LINE = re.compile(r"^(?P<dir>[a-z]+)/(?P<genre>[a-z]+)\.\d{5}\.(?:wav|au)$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_GOT_HASH = re.compile(r"but got ([0-9a-fA-F]+)")


class DownloadError(RuntimeError):
    """A download, checksum or unpacking failure; the message says what and where."""


# --- helpers ------------------------------------------------------------------------------

def _normalise_sha256(value: str | None, what: str) -> str | None:
    """A lower-case 64-hex SHA-256 (a "sha256:" prefix is accepted), or None when empty."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text.lower().startswith("sha256:"):
        text = text[len("sha256:"):]
    if not _SHA256.match(text):
        raise DownloadError(f"the SHA-256 given for {what} is not 64 hex digits: {value!r}")
    return text.lower()


def _network_hint() -> str:
    """The advice appended to every network failure."""
    return (f"Check the connection or the URL (settings.json \"downloads\"), or, if you already "
            f"have GTZAN on disk, point GenreLab at it with {ENV_DATA}=/path/to/gtzan "
            "instead of downloading.")


#: progress: True for a terminal bar, False for none, or a callback(stage, done, total) in bytes
Progress = Union[bool, Callable[[str, int, int], None]]


class CallbackBar:
    """A tqdm-like bar (total, update, reset, close) that reports to callback(stage, done, total)."""
    def __init__(self, callback: Callable[[str, int, int], None], stage: str, total: int = 0):
        self.callback, self.stage, self.total, self.n = callback, stage, int(total or 0), 0

    def update(self, n: int) -> None:
        """Count n more bytes done and report."""
        self.n += int(n)
        self.callback(self.stage, self.n, int(self.total or 0))

    def reset(self) -> None:
        """Start counting again (pooch calls this once the size is known)."""
        self.n = 0
        self.callback(self.stage, 0, int(self.total or 0))

    def close(self) -> None:
        """Nothing to release."""


def _fetch(url: str, sha256: str | None, folder: Path, fname: str, progress: Progress) -> Path:
    """Download url to folder/fname with pooch, checking the SHA-256 when one is given."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise DownloadError(f"cannot download {url!r}: only http:// and https:// URLs are supported")
    known = f"sha256:{sha256}" if sha256 else None
    try:
        bar = CallbackBar(progress, f"downloading {fname}") if callable(progress) else progress
        path = pooch.retrieve(url, known_hash=known, fname=fname, path=folder, progressbar=bar)
    except requests.RequestException as exc:     # before ValueError: InvalidURL is both
        raise DownloadError(f"could not download {url}: {exc}. {_network_hint()}") from exc
    except ValueError as exc:
        if "hash" not in str(exc).lower():
            raise
        match = _GOT_HASH.search(str(exc))
        got = match.group(1) if match else "(see pooch's message)"
        raise DownloadError(
            f"checksum mismatch for {url}: expected sha256 {sha256}, got {got}. The download "
            "was deleted. The file may be corrupted or the mirror may have changed; if you "
            "trust the new file, put its sha256 in settings.json \"downloads\".") from exc
    except OSError as exc:
        raise DownloadError(f"could not download {url} to {folder}: {exc}. {_network_hint()}") from exc
    if sha256 is None:
        computed = pooch.file_hash(path, alg="sha256")
        logger.warning("no known SHA-256 for %s; the downloaded file's SHA-256 is %s "
                       "(add it to settings.json \"downloads\" to pin it)", url, computed)
    return Path(path)


def _check_member_name(name: str, dest: Path, archive: Path) -> None:
    """Refuse an archive member name that is absolute or resolves outside dest."""
    if (name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute()
            or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive):
        raise DownloadError(f"refusing to unpack {archive.name}: member {name!r} has an absolute "
                            "path")
    root = dest.resolve()
    resolved = (root / name).resolve()
    if resolved != root and not resolved.is_relative_to(root):
        raise DownloadError(f"refusing to unpack {archive.name}: member {name!r} would be written "
                            f"outside the target folder (to {resolved})")


@contextmanager
def _bar(total: int, desc: str, progress: Progress) -> Iterator[tqdm | CallbackBar]:
    """A byte progress bar: tqdm (disabled when progress is False) or the caller's callback."""
    bar = (CallbackBar(progress, desc, total) if callable(progress)
           else tqdm(total=total, desc=desc, unit="B", unit_scale=True, disable=not progress))
    try:
        yield bar
    finally:
        bar.close()


def _extract_tar(archive: Path, dest: Path, progress: Progress) -> None:
    """Unpack a (compressed) tar into dest with tarfile's "data" filter, member by member."""
    if not hasattr(tarfile, "data_filter"):
        raise DownloadError("safe tar extraction needs Python 3.11.4 or newer (tarfile filters)")
    with open(archive, "rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tar, \
            _bar(archive.stat().st_size, f"unpacking {archive.name}", progress) as bar:
        for member in tar:
            _check_member_name(member.name, dest, archive)
            try:
                tar.extract(member, dest, filter="data")
            except tarfile.FilterError as exc:
                raise DownloadError(f"refusing to unpack {archive.name}: member {member.name!r} "
                                    f"is unsafe ({exc})") from exc
            bar.update(raw.tell() - bar.n)


def _extract_zip(archive: Path, dest: Path, progress: Progress) -> None:
    """Unpack a zip into dest after checking that every member stays inside it."""
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        for info in members:
            _check_member_name(info.filename, dest, archive)
        with _bar(sum(i.file_size for i in members), f"unpacking {archive.name}", progress) as bar:
            for info in members:
                zf.extract(info, dest)
                bar.update(info.file_size)


# --- public API -----------------------------------------------------------------------------

def safe_extract(archive: Path, target: Path, progress: Progress = True) -> Path:
    """Unpack a tar(.gz/.bz2/.xz) or zip archive into the new folder target; returns target.
    The archive is unpacked into a temporary folder beside target, then renamed; members with
    absolute paths, ``..`` escapes, links pointing outside or special files are refused
    (DownloadError naming the member) and nothing is left behind.
    """
    archive, target = Path(archive), Path(target).expanduser()
    if not archive.is_file():
        raise DownloadError(f"archive {archive} does not exist")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DownloadError(f"{target} already exists and is not an empty folder; "
                            "choose another target or remove it first")
    if zipfile.is_zipfile(archive):
        extract = _extract_zip
    elif tarfile.is_tarfile(archive):
        extract = _extract_tar
    else:
        raise DownloadError(f"{archive} is neither a tar nor a zip archive")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.unpacking-", dir=target.parent))
    try:
        try:
            extract(archive, tmp, progress)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
            raise DownloadError(f"{archive} is damaged or truncated: {exc}") from exc
        if target.exists():
            target.rmdir()          # empty, checked above
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def download_gtzan(target: Path, url: str | None = None, sha256: str | None = None,
                   progress: Progress = True) -> Path:
    """Download the GTZAN archive, check its SHA-256, unpack it to target; returns the dataset root.
    url and sha256 default to `download_sources()["gtzan"]` (its sha256 is used only with its own
    URL; another URL without sha256 is downloaded unchecked and its hash logged). When target
    already holds a GTZAN folder it is returned without downloading. The archive is downloaded
    beside target and removed after a good unpack.
    """
    config.require_owner("downloading GTZAN")
    target = Path(target).expanduser()
    if target.exists():
        try:
            return find_root(target)
        except DatasetError:
            if not target.is_dir() or any(target.iterdir()):
                raise DownloadError(f"{target} already exists and is not a GTZAN folder; choose "
                                    "an empty or new folder to download into") from None
    source = download_sources().get("gtzan", {})
    if sha256 is None and url in (None, source.get("url")):
        sha256 = source.get("sha256")     # the configured hash belongs to the configured URL only
    url = url or source.get("url")
    if not url:
        raise DownloadError("no GTZAN download URL: pass one or set settings.json "
                            "\"downloads\": {\"gtzan\": {\"url\": ...}}")
    sha = _normalise_sha256(sha256, url)
    basename = PurePosixPath(urlsplit(url).path).name or "gtzan-archive"
    target.parent.mkdir(parents=True, exist_ok=True)
    archive = _fetch(url, sha, target.parent, f"{target.name}-{basename}", progress)
    try:
        safe_extract(archive, target, progress)
    except DownloadError:
        archive.unlink(missing_ok=True)     # damaged or hostile: never reuse it
        raise
    try:
        root = find_root(target)
    except DatasetError as exc:
        shutil.rmtree(target, ignore_errors=True)
        archive.unlink(missing_ok=True)
        raise DownloadError(f"the archive from {url} unpacked, but holds no GTZAN genre "
                            f"folders ({exc}); nothing was kept") from exc
    archive.unlink(missing_ok=True)
    return root


def validate_split_files(folder: Path, where: str | None = None) -> dict[str, list[str]]:
    """The three split lists in folder, checked: "genre/genre.NNNNN.wav" lines, no repeats or overlap.
    where (a URL or folder name) replaces folder in error messages.
    """
    folder = Path(folder)
    seen: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for name in SPLIT_FILES:
        path = folder / name
        label = f"{where.rstrip('/')}/{name}" if where else str(path)
        if not path.is_file():
            raise DownloadError(f"split list {label} is missing")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DownloadError(f"split list {label} cannot be read as text: {exc}") from exc
        entries: list[str] = []
        for number, line in enumerate(lines, start=1):
            entry = line.strip()
            if not entry:
                continue
            match = SPLIT_LINE.match(entry)
            if not match or match["dir"] != match["genre"] or match["genre"] not in GENRES:
                raise DownloadError(f"{label} line {number}: {line!r} is not a GTZAN entry like "
                                    "'blues/blues.00012.wav'")
            if entry in seen:
                raise DownloadError(f"{label} line {number}: {entry} is already listed in "
                                    f"{seen[entry]}")
            seen[entry] = name
            entries.append(entry)
        if not entries:
            raise DownloadError(f"split list {label} is empty")
        lists[name] = entries
    return lists


def download_splits(target: Path, base_url: str | None = None, progress: Progress = True) -> Path:
    """Download the artist-filtered train/valid/test lists into target and validate them; returns target.
    base_url defaults to `download_sources()["splits"]["url"]`; each file is checked against
    its "<split>_sha256" entry there (unknown hashes are logged after download). When target
    already holds three valid lists they are kept and nothing is downloaded.
    """
    config.require_owner("downloading the split lists")
    target = Path(target).expanduser()
    if all((target / name).is_file() for name in SPLIT_FILES):
        try:
            validate_split_files(target)
            return target
        except DownloadError as exc:
            logger.warning("existing split lists in %s are invalid (%s); downloading again",
                           target, exc)
    source = download_sources().get("splits", {})
    base = base_url or source.get("url")
    if not base:
        raise DownloadError("no split-list URL: pass one or set settings.json "
                            "\"downloads\": {\"splits\": {\"url\": ...}}")
    base = base if base.endswith("/") else base + "/"
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".splits.downloading-", dir=target))
    try:
        for name in SPLIT_FILES:
            key = f"{name.split('_')[0]}_sha256"
            sha = _normalise_sha256(source.get(key), f"{name} ({key})")
            _fetch(base + name, sha, tmp, name, progress)
        validate_split_files(tmp, where=base)
        for name in SPLIT_FILES:
            os.replace(tmp / name, target / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
