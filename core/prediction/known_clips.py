"""Known GTZAN clips: which models trained on the clip being scored.

A file named like a GTZAN track ("metal.00003.wav", "reggae.00000.ogg", "blues/blues.00001.au")
is taken for that track, and every model whose card lists it on the training side of its split
(`protocol.train`) has seen it: its verdict on that clip is no test, so it may not lead the answer
(core.prediction.answer.headline's `barred`). Recognising a clip by its content is left out: it
would need a fingerprint of every GTZAN clip, which the cards do not hold.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Sequence

from core.constants import GENRES
from core.prediction.catalogue import ModelEntry

#: A GTZAN track id in a file name: "<genre>.<5 digits>".
TRACK_ID = re.compile(r"(?<![a-z])(" + "|".join(GENRES) + r")\.(\d{5})(?!\d)")


def gtzan_track(name: str) -> str | None:
    """The GTZAN track id ("metal.00003") a file's name stands for, or None."""
    base = PurePosixPath(str(name).replace("\\", "/")).name.lower()
    found = TRACK_ID.search(base)
    return f"{found.group(1)}.{found.group(2)}" if found else None


def trained_on(name: str, entries: Sequence[ModelEntry]) -> list[ModelEntry]:
    """The models whose training side holds the GTZAN track a file's name stands for (none for
    a file that names no GTZAN track)."""
    track = gtzan_track(name)
    if track is None:
        return []
    return [e for e in entries if track in _train_tracks(e)]


def _train_tracks(entry: ModelEntry) -> frozenset[str]:
    """The track ids on the training side of a model's split, as its card lists them."""
    protocol = entry.card.get("protocol") or {}
    train = list(protocol.get("train") or [])
    if (entry.card.get("config") or {}).get("refit_all"):   # refitted on every clip of its split
        train += list(protocol.get("valid") or []) + list(protocol.get("test") or [])
    return frozenset(str(t).rsplit("/", 1)[-1].removesuffix(".wav").removesuffix(".au")
                     for t in train)
