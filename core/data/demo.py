"""The built-in demo set on disk: clips of the ten synthetic styles written once to the cache.

This is NOT GTZAN audio (see core.data.demo_styles).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from core.config import cache_dir
from core.constants import CLIP_SECONDS, GENRES, SAMPLE_RATE
from core.data import demo_styles
from core.data.demo_styles import DEMO_VERSION


DEMO_LABEL = "Built-in demo set (synthetic audio, not GTZAN)"


MARKER_NAME = "SYNTHETIC.txt"       #: file whose presence marks a folder as the synthetic demo set


_MIX_SPREAD_DB = 3.0                #: dB, level variation of each part between clips


def _expected_files(root: Path, per_genre: int) -> list[Path]:
    """Paths of every clip a complete demo set of per_genre clips per genre holds under root."""
    return [root / g / f"{g}.{i:05d}.wav" for g in GENRES for i in range(per_genre)]


def _marker_text(per_genre: int, seconds: float, sr: int) -> str:
    """Content of the SYNTHETIC.txt marker."""
    return (f"{DEMO_LABEL}\n"
            "Every clip in this folder was synthesised by GenreLab (core/demo.py) from seeded\n"
            "random numbers; none of it is GTZAN or any other recorded music. The genre names\n"
            "only label ten synthetic styles.\n"
            f"version={DEMO_VERSION} per_genre={per_genre} seconds={seconds:g} sample_rate={sr}\n")


def _check_sizes(per_genre: int, seconds: float) -> None:
    """ValueError unless per_genre is a positive integer and seconds a positive number."""
    if int(per_genre) != per_genre or per_genre < 1 or per_genre > 99999:
        raise ValueError(f"per_genre must be an integer from 1 to 99999, got {per_genre!r}")
    if not np.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")


def write_demo_set(folder: Path, per_genre: int = 8, seconds: float = CLIP_SECONDS) -> Path:
    """Write the demo set (16-bit 22050-Hz wav) to folder/genres_original; returns that folder.
    The clips are written to a temporary folder beside it and renamed into place, so an
    interrupted write never leaves a half set; an existing genres_original is replaced.
    """
    _check_sizes(per_genre, seconds)
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "genres_original"
    marker = _marker_text(int(per_genre), seconds, SAMPLE_RATE)
    tmp = Path(tempfile.mkdtemp(prefix=".genres_original.tmp-", dir=folder))
    old: Path | None = None
    try:
        for genre in GENRES:
            (tmp / genre).mkdir()
            for i in range(int(per_genre)):
                y = demo_styles.synth_clip(genre, i, seconds, SAMPLE_RATE)
                sf.write(str(tmp / genre / f"{genre}.{i:05d}.wav"), y, SAMPLE_RATE,
                         subtype="PCM_16")
        (tmp / MARKER_NAME).write_text(marker)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".genres_original.old-", dir=folder))
            os.replace(target, old / "set")
        os.replace(tmp, target)
    except BaseException:
        # remove the partial temporary set; the original error is re-raised unchanged
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old)
    tmp_marker = folder / f".{MARKER_NAME}.tmp-{os.getpid()}"
    tmp_marker.write_text(marker)
    os.replace(tmp_marker, folder / MARKER_NAME)
    return target


def _is_complete(root: Path, per_genre: int, seconds: float) -> bool:
    """True when root holds the marker and every clip of a demo set of that size and length."""
    if not (root / MARKER_NAME).is_file():
        return False
    files = _expected_files(root, per_genre)
    if not all(f.is_file() for f in files):
        return False
    try:
        info = sf.info(str(files[0]))
    except RuntimeError:
        return False
    return info.samplerate == SAMPLE_RATE and info.frames == int(round(seconds * SAMPLE_RATE))


def demo_root(per_genre: int = 8, seconds: float = CLIP_SECONDS) -> Path:
    """The cached demo set's genres_original folder (written on first use, reused when complete)."""
    _check_sizes(per_genre, seconds)
    folder = cache_dir() / f"demo-v{DEMO_VERSION}-{int(per_genre)}x{int(seconds)}s"
    root = folder / "genres_original"
    if _is_complete(root, int(per_genre), seconds):
        return root
    return write_demo_set(folder, int(per_genre), seconds)


def is_demo(path: Path) -> bool:
    """True when a dataset folder (or its parent) carries the SYNTHETIC.txt marker."""
    path = Path(path).expanduser()
    folder = path if path.is_dir() else path.parent
    return (folder / MARKER_NAME).is_file() or (folder.parent / MARKER_NAME).is_file()
