"""Many clips at once: the clips of files, folders and zip archives, and every model's verdict.

Inputs are gathered member by member: a zip member whose path escapes the archive's folder, a
nested archive, a file that is not audio, an empty file or one past the file limit is kept as a
refused ClipInput with the reason, and the other clips are still answered. Nothing is unpacked
while gathering: a zip member is only named (ClipInput.member); members past the budget of
unpacked bytes per archive (MAX_ARCHIVE_UNPACKED_BYTES) or per batch (MAX_BATCH_UNPACKED_BYTES)
are refused unopened. Predicting, each member is streamed to a temporary file just before its
clip is decoded (at most MAX_CLIP_SECONDS of it) and that file is removed once its features are
in, so memory holds a few clips at a time whatever the archive unpacks to.
Clips are decoded and featurised in parallel worker processes (joblib), which stop at the numpy
inputs of any network (musicnn's log-mel patches) and so never import TensorFlow; the models are
loaded once, in the calling process (the one TensorFlow import), which runs the networks and
scores each clip as its features arrive (clips in the given order).
"""

from __future__ import annotations

import collections
import csv
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence

from core.prediction import answer, known_clips, pipeline, streaming
from core.data.audio import AudioError
from core.constants import (
    AUDIO_EXTENSIONS, GENRES, MAX_ARCHIVE_UNPACKED_BYTES, MAX_BATCH_FILES,
    MAX_BATCH_UNPACKED_BYTES, MAX_UPLOAD_BYTES, SAMPLE_RATE,
)
from core.prediction.warmup import warm_clip

ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip",)
#: Archive formats refused inside a zip (nested archives are not opened).
NESTED_ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z",
                                            ".rar")
BatchProgress = Callable[[int, int, str], None]  #: (clips done, clips in all, name of the last)
#: Bytes copied at a time from a zip member to its temporary file.
COPY_CHUNK: int = 1 << 20


@dataclass(frozen=True)
class ClipInput:
    """One clip to predict: its name, and its bytes or path, or the zip member it is (archive:
    the zip's bytes or path, member: its ZipInfo, size: the bytes it unpacks to); or the reason
    it is refused."""
    name: str
    data: bytes | None = None
    path: Path | None = None
    refusal: str | None = None
    archive: bytes | Path | None = None
    member: zipfile.ZipInfo | None = None
    size: int = 0

    @property
    def usable(self) -> bool:
        """True when the clip is to be decoded (not refused while gathering)."""
        return self.refusal is None

    def read_bytes(self) -> bytes:
        """The clip's bytes (a zip member is unpacked: mind its size)."""
        if self.data is not None:
            return self.data
        if self.member is not None:
            with _open_zip(self.archive) as archive:
                return archive.read(self.member)
        return Path(self.path).read_bytes()

    def digest(self) -> bytes:
        """What tells this input's content apart cheaply: the bytes' SHA-1, a zip member's CRC
        and size, a file's path, size and mtime (a key for remembered results)."""
        if self.data is not None:
            return hashlib.sha1(self.data).digest()
        if self.member is not None:
            return f"{self.member.CRC}:{self.member.file_size}".encode()
        if self.path is not None:
            stat = Path(self.path).stat()
            return f"{self.path}:{stat.st_size}:{stat.st_mtime_ns}".encode()
        return b""


def _open_zip(archive: bytes | Path) -> zipfile.ZipFile:
    """A zip archive opened from its bytes or its path."""
    return zipfile.ZipFile(io.BytesIO(archive) if isinstance(archive, bytes) else archive)


def _refused(name: str, reason: str) -> ClipInput:
    """A refused input."""
    return ClipInput(name, refusal=reason)


def _audio_refusal(name: str, size: int) -> str | None:
    """Why a file of this name and size (bytes) is not taken as a clip, or None when it is."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in NESTED_ARCHIVE_SUFFIXES:
        return "an archive inside the archive is not opened (put the audio files in one zip)"
    if suffix not in AUDIO_EXTENSIONS:
        return f"not an audio file (accepted: {', '.join(AUDIO_EXTENSIONS)})"
    if size == 0:
        return "the file is empty (0 bytes)"
    if size > MAX_UPLOAD_BYTES:
        return (f"the file holds {size / 2**20:.1f} MiB; at most "
                f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB per clip is accepted")
    return None


def _member_refusal(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member is refused as a path (absolute, escaping, encrypted), else None."""
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (parts and parts[0].endswith(":")):
        return "an absolute path in the archive (refused: it would leave the archive's folder)"
    if ".." in parts:
        return "a path leading out of the archive's folder ('..'), refused"
    if info.flag_bits & 0x1:
        return "the member is encrypted"
    return None


def _mib(n_bytes: int) -> str:
    """Bytes in MiB, e.g. "1024 MiB"."""
    return f"{n_bytes / 2**20:.0f} MiB"


def _over_archive_budget(budget: int) -> str:
    """The refusal of a member past an archive's budget of unpacked bytes."""
    return (f"not opened: the archive's members would unpack to more than {_mib(budget)} "
            f"(the limit per archive, {_mib(budget)}); send the rest in another zip")


def _over_batch_budget(budget: int) -> str:
    """The refusal of a member past a batch's budget of unpacked bytes."""
    return (f"not opened: the zip members of this batch would unpack to more than "
            f"{_mib(budget)} (the limit per batch, {_mib(budget)}); send the rest in another "
            "batch")


def zip_members(name: str, data: bytes | Path, max_files: int | None = None,
                max_unpacked: int | None = None) -> list[ClipInput]:
    """The clips of a zip archive (its bytes, or its path), member by member (refused ones with
    the reason); nothing is unpacked here.

    Folders and macOS resource files (__MACOSX/, ._*) are left out silently; everything else
    becomes a ClipInput named "<archive>/<member path>". Members past max_files usable clips
    (default MAX_BATCH_FILES) or past max_unpacked bytes unpacked in all (default
    MAX_ARCHIVE_UNPACKED_BYTES, as the members' headers declare them; unpacking never goes
    past a member's declared size) are refused unopened.
    """
    max_files = MAX_BATCH_FILES if max_files is None else max_files
    budget = MAX_ARCHIVE_UNPACKED_BYTES if max_unpacked is None else max_unpacked
    try:
        archive = _open_zip(data)
    except (zipfile.BadZipFile, OSError) as exc:
        return [_refused(name, f"not a readable zip archive ({exc})")]
    inputs: list[ClipInput] = []
    taken = unpacked = 0
    with archive:
        for info in archive.infolist():
            member = info.filename.replace("\\", "/")
            base = PurePosixPath(member).name
            if info.is_dir() or member.startswith("__MACOSX/") or base.startswith("._"):
                continue
            shown = f"{name}/{member}"
            reason = _member_refusal(info) or _audio_refusal(member, info.file_size)
            if reason is None and taken >= max_files:
                reason = _over_limit(max_files)
            if reason is None and unpacked + info.file_size > budget:
                reason = _over_archive_budget(budget)
            if reason:
                inputs.append(_refused(shown, reason))
                continue
            inputs.append(ClipInput(shown, archive=data, member=info, size=info.file_size))
            taken += 1
            unpacked += info.file_size
    if not inputs:
        return [_refused(name, "the archive holds no files")]
    return inputs


def from_upload(name: str, data: bytes) -> list[ClipInput]:
    """The clips of one uploaded file: its members when it is a zip, else the file itself."""
    if Path(name).suffix.lower() in ARCHIVE_SUFFIXES:
        return zip_members(name, data)
    reason = _audio_refusal(name, len(data))
    return [_refused(name, reason) if reason else ClipInput(name, data=data)]


def from_paths(paths: Iterable[str | Path]) -> list[ClipInput]:
    """The clips of files, folders (searched recursively, sorted) and zip archives on disk."""
    inputs: list[ClipInput] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file()
                           and p.suffix.lower() in AUDIO_EXTENSIONS + ARCHIVE_SUFFIXES)
            if not files:
                inputs.append(_refused(str(path), "the folder holds no audio files "
                                       f"({', '.join(AUDIO_EXTENSIONS)})"))
            for file in files:
                inputs += _from_file(file)
        elif path.is_file():
            inputs += _from_file(path)
        else:
            inputs.append(_refused(str(path), "no such file or folder"))
    return inputs


def _from_file(path: Path) -> list[ClipInput]:
    """The clips of one file on disk (a zip's members, read from the file when predicted, or
    the file)."""
    if path.suffix.lower() in ARCHIVE_SUFFIXES:
        return zip_members(str(path), path)
    reason = _audio_refusal(path.name, path.stat().st_size)
    return [_refused(str(path), reason) if reason else ClipInput(str(path), path=path)]


def drop_repeats(inputs: Sequence[ClipInput]) -> tuple[list[ClipInput], list[str]]:
    """The inputs without the clips that repeat an earlier one (the same file name and the same
    content, e.g. a file uploaded alone and inside a zip), and the names of those left out.
    Content is compared by CRC-32 and size: a zip member's from its header, nothing unpacked."""
    kept: list[ClipInput] = []
    dropped: list[str] = []
    seen: set[tuple[str, int, int]] = set()
    for item in inputs:
        key = _content_key(item) if item.usable else None
        if key is not None and key in seen:
            dropped.append(item.name)
            continue
        if key is not None:
            seen.add(key)
        kept.append(item)
    return kept, dropped


def _content_key(item: ClipInput) -> tuple[str, int, int] | None:
    """(file name in lower case, CRC-32, size) of a usable input, None when it cannot be read."""
    base = PurePosixPath(item.name.replace("\\", "/")).name.lower()
    if item.data is not None:
        return base, zlib.crc32(item.data), len(item.data)
    if item.member is not None:
        return base, int(item.member.CRC), int(item.member.file_size)
    crc = size = 0
    try:
        with Path(item.path).open("rb") as file:
            while chunk := file.read(COPY_CHUNK):
                crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    except OSError:
        return None
    return base, crc, size


def _over_limit(max_files: int) -> str:
    """The refusal of a clip past the limit."""
    return f"over the limit of {max_files} clips at once (send the rest in another batch)"


def limit_files(inputs: Sequence[ClipInput], max_files: int | None = None,
                max_unpacked: int | None = None) -> list[ClipInput]:
    """The inputs with every usable clip past the first max_files (default MAX_BATCH_FILES)
    refused (over the limit), and every zip member past max_unpacked bytes unpacked in all
    (default MAX_BATCH_UNPACKED_BYTES) refused unopened."""
    max_files = MAX_BATCH_FILES if max_files is None else max_files
    budget = MAX_BATCH_UNPACKED_BYTES if max_unpacked is None else max_unpacked
    out: list[ClipInput] = []
    kept = unpacked = 0
    for item in inputs:
        if item.usable:
            kept += 1
            if kept > max_files:
                item = _refused(item.name, _over_limit(max_files))
            elif item.member is not None and unpacked + item.size > budget:
                item = _refused(item.name, _over_batch_budget(budget))
                kept -= 1
            else:
                unpacked += item.size
        out.append(item)
    return out


def _copy_member(item: ClipInput, dst: BinaryIO) -> None:
    """Stream a zip member's bytes into dst, at most MAX_UPLOAD_BYTES (OSError past that)."""
    with _open_zip(item.archive) as archive, archive.open(item.member) as src:
        copied = 0
        while chunk := src.read(COPY_CHUNK):
            copied += len(chunk)
            if copied > MAX_UPLOAD_BYTES:
                raise OSError(f"it unpacks to more than {_mib(MAX_UPLOAD_BYTES)}")
            dst.write(chunk)


_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, EOFError, ValueError)


def _member_unreadable(exc: Exception) -> str:
    """Why a zip member could not be read, in the words of a row."""
    return f"cannot be read from the archive ({exc})"


def unpack_member(item: ClipInput, folder: Path) -> ClipInput:
    """A zip member's clip as a file in folder (streamed, at most its declared size and
    MAX_UPLOAD_BYTES), or refused with why it cannot be read; other inputs as they are."""
    if item.member is None or not item.usable:
        return item
    handle, temp = tempfile.mkstemp(dir=folder, suffix=PurePosixPath(item.member.filename).suffix)
    os.close(handle)
    target = Path(temp)
    try:
        with target.open("wb") as dst:
            _copy_member(item, dst)
    except _MEMBER_ERRORS as exc:
        target.unlink(missing_ok=True)
        return _refused(item.name, _member_unreadable(exc))
    return replace(item, path=target, archive=None)


def member_bytes(item: ClipInput) -> bytes:
    """A zip member's bytes read in memory (at most MAX_UPLOAD_BYTES; OSError and the zip's own
    errors past that or when it cannot be read): for a clip decoded in this process, which needs
    no file on disk."""
    buffer = io.BytesIO()
    _copy_member(item, buffer)
    return buffer.getvalue()


# --- predictions -------------------------------------------------------------------------------


@dataclass
class ClipRow:
    """One clip's outcome: its prediction, or why it could not be used."""
    name: str
    prediction: pipeline.ClipPrediction | None = None
    error: str | None = None
    answer: tuple[str, str] | None = None   #: headline (genre, why) given the models' trust

    @property
    def consensus(self) -> tuple[str, int] | None:
        """(the headline answer, how many models chose it), None without results. The answer is
        core.prediction.answer.headline (predict_many weighs each model by its trust)."""
        if self.prediction is None or not self.prediction.results:
            return None
        verdict = self.answer or answer.headline(self.prediction.results)
        return verdict[0], answer.agreeing(self.prediction.results, verdict[0])


@dataclass
class _Features:
    """What a worker sends back for one clip: its computed features, or the reason it failed."""
    duration_s: float = 0.0
    n_segments: int = 0
    computed: dict | None = None
    error: str | None = None
    excerpt: str = ""   #: the part of a longer file analysed ("" = all of it)


def _featurise(item: ClipInput, keys: Sequence[tuple[str, bool]]) -> _Features:
    """Decode one clip and compute the features the models need, up to the inputs of any
    network (runs in a worker process, which never imports TensorFlow)."""
    if not item.usable:
        return _Features(error=item.refusal)   # a member that could not be unpacked
    try:
        # a zip member is decoded as bytes (at most MAX_UPLOAD_BYTES), as an upload is: read
        # from its unpacked file in a worker process, from the archive in this one
        if item.member is not None and item.path is None:
            try:
                source = member_bytes(item)
            except _MEMBER_ERRORS as exc:
                return _Features(error=_member_unreadable(exc))
        elif item.member is not None:
            source = item.path.read_bytes()
        else:
            source = item.data
        raw, excerpt = streaming.decode_excerpt(
            source if source is not None else item.path, SAMPLE_RATE,
            name=PurePosixPath(item.name).name)
        del source
        streaming.check_usable(raw)
        feats = pipeline.ClipFeatures(raw)
        del raw
        feats.prefetch(keys, networks=False)
        return _Features(feats.duration_s, feats.n_segments, feats.computed(), excerpt=excerpt)
    except AudioError as exc:
        return _Features(error=exc.reason)   # the row already names the clip


def _load_models(models: Sequence) -> None:
    """Load every model in this process (TensorFlow too, for the Keras ones) by scoring a short
    synthetic clip. A model that cannot answer is left to fail again on each clip, where its
    row says why."""
    features = pipeline.ClipFeatures(warm_clip())
    for entry in models:
        pipeline.score_model(entry, features)


def predict_many(inputs: Sequence[ClipInput], models: Sequence, jobs: int = 1,
                 progress: BatchProgress | None = None) -> Iterator[ClipRow]:
    """Every model's verdict on every clip, one ClipRow per input, in the given order.
    Usable clips are decoded and featurised by `jobs` worker processes (1: in this process);
    the models (core.prediction.catalogue.ModelEntry) are loaded once here and score each clip as its
    features arrive. A zip member is unpacked to a temporary file only when its turn comes and
    that file is removed as soon as its features are in. A refused or undecodable clip gets a
    row with the reason. progress(done, total, name) is called after each row.
    """
    folder = Path(tempfile.mkdtemp(prefix="genrelab-batch-"))
    try:
        yield from _predict_many(inputs, models, jobs, progress, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _predict_many(inputs: Sequence[ClipInput], models: Sequence, jobs: int,
                  progress: BatchProgress | None, folder: Path) -> Iterator[ClipRow]:
    """predict_many with the zip members unpacked one at a time into folder."""
    from joblib import Parallel, delayed

    models = list(models)
    keys = sorted({pipeline.feature_key(m) for m in models})
    usable = [item for item in inputs if item.usable]
    unpacked: collections.deque[Path | None] = collections.deque()

    def staged(item: ClipInput) -> ClipInput:
        """The item with its zip member unpacked (remembered, to be removed after use) when a
        worker process is to read it; in this process (jobs 1) the member is read in memory."""
        if jobs <= 1:
            unpacked.append(None)
            return item
        item = unpack_member(item, folder)
        unpacked.append(item.path if item.member is not None and item.usable else None)
        return item

    # one clip per task, dispatched at most n_jobs + 1 ahead: few members are unpacked at once
    runner = Parallel(n_jobs=max(1, int(jobs)), return_as="generator",
                      pre_dispatch="n_jobs + 1", batch_size=1)
    computed = iter(runner(delayed(_featurise)(staged(item), keys) for item in usable))
    if usable and jobs > 1:
        _load_models(models)   # while the workers start and featurise the first clips
    total = len(inputs)
    for done, item in enumerate(inputs, start=1):
        if not item.usable:
            row = ClipRow(item.name, error=item.refusal)
        else:
            got = next(computed)
            temp = unpacked.popleft() if unpacked else None
            if temp is not None:
                temp.unlink(missing_ok=True)
            if got.error is not None:
                row = ClipRow(item.name, error=got.error)
            else:
                features = pipeline.ClipFeatures(None, got.computed, got.duration_s,
                                                 got.n_segments, excerpt=got.excerpt)
                stream = streaming.ClipStream(None, models, features=features)
                for _ in stream:
                    pass
                prediction = stream.prediction()
                barred = [e.label for e in known_clips.trained_on(item.name, models)]
                row = ClipRow(item.name, prediction=prediction,
                              answer=answer.headline(prediction.results, models, barred))
        if progress is not None:
            progress(done, total, item.name)
        yield row


# --- tables ------------------------------------------------------------------------------------


def table_rows(rows: Sequence[ClipRow], labels: Sequence[str]) -> list[dict]:
    """One dict per clip: clip, consensus (the headline answer), agreeing, then "<model> genre" and "<model> p" per
    model label (probability of its genre, 0..1), and error (empty when the clip was used);
    "analysed" before error when a clip was longer than MAX_CLIP_SECONDS (the part that was
    analysed, e.g. "the first 10:00 of 1:02:14"). Numbers a clip has not got are None (empty
    cells in the CSV)."""
    out = []
    with_excerpt = any(_excerpt(r) for r in rows)   # once, not once per row
    for row in rows:
        record: dict = {"clip": row.name, "consensus": "", "agreeing": None}
        verdict = row.consensus
        if verdict is not None:
            record["consensus"], record["agreeing"] = verdict[0], verdict[1]
        results = {r.label: r for r in row.prediction.results} if row.prediction else {}
        failed = dict(row.prediction.failed) if row.prediction else {}
        for label in labels:
            result = results.get(label)
            record[f"{label} genre"] = result.genre if result else ""
            record[f"{label} p"] = round(float(result.clip_proba.max()), 4) if result else None
            if label in failed:
                record[f"{label} genre"] = f"failed: {failed[label]}"
        if with_excerpt:
            record["analysed"] = _excerpt(row)
        record["error"] = row.error or ""
        out.append(record)
    return out


def _excerpt(row: ClipRow) -> str:
    """The part of a longer file the clip's verdict is on ("" when all of it)."""
    return row.prediction.excerpt if row.prediction is not None else ""


def to_csv(rows: Sequence[ClipRow], labels: Sequence[str]) -> str:
    """The table of table_rows as CSV text (one header line, one line per clip)."""
    records = table_rows(rows, labels)
    buffer = io.StringIO()
    fields = ["clip", "consensus", "agreeing"] + [f"{label} {part}" for label in labels
                                                  for part in ("genre", "p")]
    fields += ["analysed"] * any("analysed" in r for r in records[:1]) + ["error"]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def genre_counts(rows: Sequence[ClipRow]) -> dict[str, int]:
    """How many clips each genre received as their consensus (GENRES order, zeros included)."""
    votes = Counter(row.consensus[0] for row in rows if row.consensus is not None)
    return {genre: votes.get(genre, 0) for genre in GENRES}
