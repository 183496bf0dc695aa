"""Zero-shot genre of the port of EfficientAT's mn04: AudioSet's genre classes mapped to GTZAN's ten.

Usage (from the project root):
    python -m research.mn04_zero_shot [FOLDER ...] [--jobs N]

Each FOLDER is laid out as <genre>/<clip> (default ../shared/data/xd-dev). Every clip goes
through core.models.mn04_net (10-s windows, mean logits; the embedding cache is used), its
AudioSet probabilities become GTZAN genre scores (core.models.audioset_classes.zero_shot: the
highest probability among each genre's AudioSet classes), and the best-scoring genre is the
answer. Nothing is fitted. Prints per folder the right answers per genre and in all, with the 95 %
Wilson interval, and ends with `mn04_zero_shot: R/N` for the first folder.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from core.constants import GENRES, SHARED_DATA

AUDIO = (".ogg", ".wav", ".mp3", ".flac", ".au")


def tracks_of(folder: Path) -> list:
    """core.data.gtzan.Track items of folder/<genre>/<clip>, ids prefixed by the genre."""
    from core.data.gtzan import Track

    found = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.name in GENRES):
        found += [Track(f"{sub.name}/{f.stem}", sub.name, f) for f in sorted(sub.iterdir())
                  if f.suffix.lower() in AUDIO]
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the zero-shot figures of each folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[SHARED_DATA / "xd-dev"])
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    from core.evaluation import wilson_interval
    from core.models import audioset_classes, mn04_net

    first = None
    for folder in args.folders:
        tracks = tracks_of(folder)
        start = time.perf_counter()
        outputs = mn04_net.embed_tracks(tracks, n_jobs=args.jobs, progress=False)
        _, logits = mn04_net.clip_rows(outputs)
        scores = audioset_classes.zero_shot(mn04_net.probabilities(logits),
                                            mn04_net.class_names())
        predicted = np.array(GENRES)[scores.argmax(axis=1)]
        truth = np.array([t.genre for t in tracks if t.track_id in set(outputs.track_ids)])
        right = int((predicted == truth).sum())
        low, high = wilson_interval(right / len(truth), len(truth))
        per = ", ".join(f"{g} {int(((predicted == g) & (truth == g)).sum())}/"
                        f"{int((truth == g).sum())}" for g in GENRES if (truth == g).any())
        print(f"{folder}: {right}/{len(truth)} = {100 * right / len(truth):.1f} % "
              f"[{100 * low:.1f}–{100 * high:.1f} %] ({per}); {len(outputs.skipped)} skipped, "
              f"{outputs.cache_hits} from the cache, {time.perf_counter() - start:.1f} s")
        first = first or f"{right}/{len(truth)}"
    print(f"mn04_zero_shot: {first}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
