"""Dump YAMNet clip embeddings of every real clip beside the project into one .npz (research use).

Clips: every ``*.ogg`` of ../shared/data/gtzan-ogg/genres_original (473), xd-train (93) and
xd-dev (49), each decoded by core.features.yamnet_input.prepare (mono, 22050 Hz, own level),
resampled to 16 kHz (soxr HQ), cut into 0.975-s windows at a 0.48-s hop (tail zero-padded, as the
official YAMNet pads), one TFLite invoke per window (core.models.yamnet_net), through the embedding
cache (GENRELAB_CACHE/yamnet). Writes, atomically (temp file + rename):

- ``paths`` (str, relative to ../shared/data, e.g. 'gtzan-ogg/blues/blues.00000.ogg' with the
  'genres_original' level left out), ``sets`` ('gtzan-ogg' | 'xd-train' | 'xd-dev'), ``genres``;
- ``emb_mean``, ``emb_max`` (n, 1024): mean and max over the clip's windows of the 1024-d
  embedding; ``scores_mean`` (n, 521): mean over windows of the AudioSet scores;
- ``n_windows`` (n,), ``class_names`` (521,).

Usage: nice -n 10 python bench/yamnet_embeddings.py --out /work/scratch/emb/yamnet.npz
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import benchkit  # noqa: F401  (puts the project on sys.path)

from core.constants import SHARED_DATA
from core.data.gtzan import Track
from core.models import yamnet_net

SETS: dict[str, Path] = {"gtzan-ogg": SHARED_DATA / "gtzan-ogg" / "genres_original",
                         "xd-train": SHARED_DATA / "xd-train", "xd-dev": SHARED_DATA / "xd-dev"}


def clips() -> list[tuple[str, str, str, Path]]:
    """(relative path, set, genre, file) of every clip of SETS, sorted within each set."""
    out = []
    for name, root in SETS.items():
        for path in sorted(root.glob("*/*.ogg")):
            out.append((f"{name}/{path.parent.name}/{path.name}", name, path.parent.name, path))
    return out


def main() -> int:
    """Embed every clip and write the .npz."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--fill-cache-reversed", action="store_true",
                        help="only fill the embedding cache, last clip first (a second process "
                             "beside a running dump; the dump then reads what this one wrote)")
    args = parser.parse_args()
    found = clips()
    if args.fill_cache_reversed:
        reversed_tracks = [Track(rel, genre, path) for rel, _, genre, path in found[::-1]]
        yamnet_net.embed_tracks(reversed_tracks, progress=True, cache=True)
        return 0
    tracks = [Track(rel, genre, path) for rel, _, genre, path in found]
    began = time.perf_counter()
    feats = yamnet_net.embed_tracks(tracks, n_jobs=args.jobs, progress=True, cache=True)
    if feats.skipped:
        raise SystemExit(f"skipped clips: {feats.skipped}")
    order = {str(t): i for i, t in enumerate(feats.track_ids)}
    rows = [order[rel] for rel, _, _, _ in found]
    counts = np.bincount([order[str(t)] for t in feats.segment_track], minlength=len(order))
    arrays = {
        "paths": np.array([f[0] for f in found]), "sets": np.array([f[1] for f in found]),
        "genres": np.array([f[2] for f in found]),
        "emb_mean": yamnet_net.clip_stats(feats, "embedding", "mean")[rows],
        "emb_max": yamnet_net.clip_stats(feats, "embedding", "max")[rows],
        "scores_mean": yamnet_net.clip_stats(feats, "scores", "mean")[rows],
        "n_windows": counts[rows], "class_names": np.array(yamnet_net.class_names()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=args.out.stem, suffix=".tmp", dir=args.out.parent)
    with os.fdopen(fd, "wb") as handle:
        np.savez(handle, **arrays)
    os.chmod(tmp, 0o644)                    # mkstemp makes it private; others read it
    os.replace(tmp, args.out)
    print(f"{len(found)} clips ({feats.cache_hits} from cache) -> {args.out} in "
          f"{time.perf_counter() - began:.0f} s; sets "
          + ", ".join(f"{s} {int(np.sum(arrays['sets'] == s))}" for s in SETS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
