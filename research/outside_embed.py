"""Embed GTZAN (gtzan-ogg) and xd-dev clips with musicnn checkpoints, with optional audio
augmentations, into a per-clip disk cache, for the study of which musicnn features carry to music
from outside GTZAN (research/outside_variants.py).

Usage (from the project root):
    python -m research.outside_embed [--sets gtzan xd] [--ckpt msd mtt] [--aug none gain ...]

One cache file per (checkpoint, augmentation, clip):
``<cache>/outside/<ckpt>/<aug>/<set>/<genre>/<stem>.npz`` holding the per-3-s-patch outputs
``max_pool`` (n, 753), ``mean_pool`` (n, 753), ``penultimate`` (n, 200), ``taggram`` (n, 50).
The cache root is $GENRELAB_CACHE or <project>/.cache (git-ignored). A clip is decoded, resampled
and turned into log-mel patches once; every checkpoint asked for runs on the same patches.

Checkpoints: "msd" = the shipped models/pretrained/musicnn/msd_musicnn.npz; "mtt" =
artefacts/mtt_musicnn.npz, the MTT_musicnn checkpoint of the musicnn 0.1.0 wheel converted with
core.models.musicnn_weights (same architecture, 50 MagnaTagATune tags; see ``convert_mtt``).

Augmentations (training side only: xd-dev is only ever embedded with "none"): each is a
deterministic function of the clip's samples at 22050 Hz and a seed derived from the clip name,
see research/outside_recipe.py ``AUGMENTATIONS``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np


from core.constants import SHARED_DATA  # noqa: E402
from research import outside_recipe as outside  # noqa: E402

SETS: dict[str, Path] = {"gtzan": SHARED_DATA / "gtzan-ogg" / "genres_original",
                         "xd": SHARED_DATA / "xd-dev"}


def clips(set_name: str) -> list[Path]:
    """Every .ogg/.wav clip of a set, sorted."""
    root = SETS[set_name]
    return sorted(p for p in root.glob("*/*") if p.suffix.lower() in (".ogg", ".wav"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["gtzan", "xd"], choices=list(SETS))
    parser.add_argument("--ckpt", nargs="+", default=["msd", "mtt"],
                        choices=list(outside.CHECKPOINTS))
    parser.add_argument("--aug", nargs="+", default=["none"],
                        choices=list(outside.AUGMENTATIONS))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if "xd" in args.sets and args.aug != ["none"]:
        print("error: xd-dev is for measuring only; embed it with --aug none", file=sys.stderr)
        return 1
    outside.set_threads(args.threads)
    if "mtt" in args.ckpt:
        outside.convert_mtt()
    done = hits = 0
    start = time.perf_counter()
    for set_name in args.sets:
        for aug in args.aug:
            for path in clips(set_name):
                todo = [c for c in args.ckpt
                        if not outside.cache_path(c, aug, set_name, path).is_file()]
                hits += len(args.ckpt) - len(todo)
                if not todo:
                    continue
                y = outside.prepare(path)
                if aug != "none":
                    seed = int(hashlib.sha1(f"{aug}/{path.name}".encode()).hexdigest()[:8], 16)
                    y = outside.AUGMENTATIONS[aug](y, np.random.default_rng(seed))
                batch = outside.clip_patches(y)
                for ckpt in todo:
                    out = outside.embed_patches(batch, ckpt)
                    target = outside.cache_path(ckpt, aug, set_name, path)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    tmp = target.with_suffix(".tmp.npz")
                    np.savez(tmp, **out)
                    tmp.replace(target)
                done += 1
                if done % 25 == 0:
                    print(f"{set_name}/{aug}: {done} clips embedded, "
                          f"{time.perf_counter() - start:.0f} s", flush=True)
    print(f"embedded {done} clips ({hits} cached outputs reused) in "
          f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
