"""Benchmark: naive per-segment librosa extraction vs core.features.study.extract_tracks (cold and warm).

What is compared, on the same clips and the same pre-processed signal (core.data.audio.load_clip for
both, so decoding, high-pass, trimming and normalisation cost the same on both sides):

- naive: one process, a loop over clips and, per 3-s segment, librosa.feature.mfcc(n_mfcc=30,
  n_mels=128) -> mean/var, librosa.feature.zero_crossing_rate(frame_length=2205, hop_length=2205,
  center=False) and librosa.power_to_db(librosa.feature.melspectrogram(n_mels=128)); each call
  computes its own STFT.
- core: extract_tracks(kinds=("zcr", "mfcc_stats", "logmel")) -- the same three features -- with
  joblib processes and a COLD disk cache (GENRELAB_CACHE pointed at an empty temp folder), then the
  same call again (warm cache). The time for all five kinds (cold) is printed too.

The naive loop runs with BLAS limited to one thread (--naive-threads), as joblib does in each
core worker: one process on one core, and multi-threaded OpenBLAS on these tiny matrix products
only adds contention (measured 10x slower on a busy 2-core machine).
librosa/numba and the joblib worker pool are warmed up before timing, and every audio file is read
once so the OS file cache is warm for both. The CPU time of both in one process (core with
n_jobs=1) is printed too: unlike wall time it barely depends on other load. Each timing is the
best of --repeat runs (each core cold run in a new empty cache folder), which damps noise from
other work on a shared machine.
Ends with `speedup: X.XX` (naive time / core cold time).

Usage: python bench/extract.py [--data PATH] [--n N] [--n-jobs J] [--naive-threads T] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import benchkit  # noqa: E402  (puts the project on sys.path)
from benchkit import PROJECT  # noqa: E402

from core.features import study
from core.data.audio import load_clip, segment
from core.constants import N_MELS, N_MFCC, SAMPLE_RATE, SHARED_DATA, ZCR_FRAME  # noqa: E402
from core.data.gtzan import Track, list_tracks

LIKE_FOR_LIKE: tuple[str, ...] = ("zcr", "mfcc_stats", "logmel")


def naive_segment(seg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ZCR (30,), MFCC mean+var (60,), log-mel dB (128, 130) of one segment, call by call."""
    import librosa

    mfcc = librosa.feature.mfcc(y=seg, sr=SAMPLE_RATE, n_mfcc=N_MFCC, n_mels=N_MELS)
    zcr = librosa.feature.zero_crossing_rate(seg, frame_length=ZCR_FRAME, hop_length=ZCR_FRAME,
                                             center=False)[0]
    mel = librosa.feature.melspectrogram(y=seg, sr=SAMPLE_RATE, n_mels=N_MELS)
    logmel = librosa.power_to_db(mel)
    return zcr, np.concatenate([mfcc.mean(axis=1), mfcc.var(axis=1)]), logmel


def naive_extract(tracks: list[Track]) -> dict[str, np.ndarray]:
    """The naive reference over all tracks: stacked zcr, mfcc_stats, logmel per segment."""
    zcrs, stats, mels = [], [], []
    for track in tracks:
        y = load_clip(track.path, name=track.path.name)
        for seg in segment(y):
            zcr, stat, logmel = naive_segment(seg)
            zcrs.append(zcr)
            stats.append(stat)
            mels.append(logmel)
    return {"zcr": np.stack(zcrs), "mfcc_stats": np.stack(stats), "logmel": np.stack(mels)}


def timed_extract(tracks: list[Track], kinds: tuple[str, ...], n_jobs: int,
                  cache: Path) -> tuple[float, study.FeatureSet]:
    """Seconds taken by extract_tracks with the feature cache under the folder cache."""
    os.environ["GENRELAB_CACHE"] = str(cache)
    start = time.perf_counter()
    result = study.extract_tracks(tracks, kinds=kinds, n_jobs=n_jobs, progress=False)
    return time.perf_counter() - start, result


def cpu_extract(tracks: list[Track], kinds: tuple[str, ...], cache: Path) -> float:
    """CPU seconds of extract_tracks in this process (n_jobs=1), cold cache under cache."""
    os.environ["GENRELAB_CACHE"] = str(cache)
    start = time.process_time()
    study.extract_tracks(tracks, kinds=kinds, n_jobs=1, progress=False)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the timings, the agreement and the speedup."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "gtzan",
                        help="GTZAN folder (either layout)")
    parser.add_argument("--n", type=int, default=None, help="use the first N tracks only")
    parser.add_argument("--n-jobs", type=int, default=-1, help="joblib processes for core")
    parser.add_argument("--naive-threads", type=int, default=1,
                        help="BLAS threads of the naive loop (0: library default)")
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs for each timing")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    tracks = list_tracks(args.data)
    if args.n is not None:
        tracks = tracks[: args.n]
    good: list[Track] = []
    for track in tracks:  # the naive loop cannot skip, so keep usable clips only (same for both)
        try:
            load_clip(track.path, name=track.path.name)
            good.append(track)
        except Exception as error:  # noqa: BLE001 - report and leave out of both sides
            print(f"left out {track.track_id}: {error}")
    tracks = good
    if not tracks:
        print("no usable clips", file=sys.stderr)
        return 1
    for track in tracks:
        track.path.read_bytes()  # warm the OS file cache for both sides

    with tempfile.TemporaryDirectory(prefix="genrelab-bench-") as tmp:
        tmp_dir = Path(tmp)
        # warm-up: librosa filters/numba for the naive side, bases + worker pool for core
        warm_seg = load_clip(tracks[0].path)[: 3 * SAMPLE_RATE]
        naive_segment(warm_seg)
        study.extract_clip(load_clip(tracks[0].path))
        timed_extract(tracks[: max(2, os.cpu_count() or 2)], study.FEATURE_KINDS,
                      args.n_jobs, tmp_dir / "warmup")

        limit = args.naive_threads if args.naive_threads > 0 else None
        t_naive = t_cold = t_warm = t_all = cpu_naive = cpu_core = float("inf")
        for r in range(args.repeat):
            with threadpool_limits(limits=limit):
                start, cpu_start = time.perf_counter(), time.process_time()
                naive = naive_extract(tracks)
                t_naive = min(t_naive, time.perf_counter() - start)
                cpu_naive = min(cpu_naive, time.process_time() - cpu_start)
                cpu_core = min(cpu_core, cpu_extract(tracks, LIKE_FOR_LIKE, tmp_dir / f"cpu{r}"))
            cache = tmp_dir / f"cold{r}"
            elapsed, cold = timed_extract(tracks, LIKE_FOR_LIKE, args.n_jobs, cache)
            t_cold = min(t_cold, elapsed)
            elapsed, warm = timed_extract(tracks, LIKE_FOR_LIKE, args.n_jobs, cache)
            t_warm = min(t_warm, elapsed)
            elapsed, _ = timed_extract(tracks, study.FEATURE_KINDS, args.n_jobs,
                                       tmp_dir / f"all{r}")
            t_all = min(t_all, elapsed)

    n_seg = naive["zcr"].shape[0]
    print(f"clips: {len(tracks)}  segments: {n_seg}  cores: {os.cpu_count()}  "
          f"n_jobs: {args.n_jobs}  best of {args.repeat}  data: {args.data}")
    if cold.n_segments != n_seg or cold.skipped:
        print(f"MISMATCH: core has {cold.n_segments} segments, skipped {cold.skipped}")
        return 1
    for kind in LIKE_FOR_LIKE:
        diff = np.abs(cold[kind] - naive[kind])
        rel = diff / np.maximum(np.abs(naive[kind]), 1e-6)
        note = "  (dB; core's log-mel is float16-rounded)" if kind == "logmel" else ""
        print(f"{kind:>10}: max abs diff {diff.max():.3g}, max rel diff "
              f"{rel[np.abs(naive[kind]) > 1e-3].max():.3g} (where |value| > 1e-3){note}")
    if warm.cache_hits != len(tracks):
        print(f"WARNING: warm run served {warm.cache_hits}/{len(tracks)} clips from the cache")
    threads = args.naive_threads or "default"
    print(f"naive (1 process, {threads} BLAS thread(s), per-segment librosa): {t_naive:.2f} s "
          f"({1e3 * t_naive / len(tracks):.1f} ms/clip)")
    print(f"core cold cache, {', '.join(LIKE_FOR_LIKE)}: {t_cold:.2f} s "
          f"({1e3 * t_cold / len(tracks):.1f} ms/clip)")
    print(f"core warm cache (second run): {t_warm:.3f} s  "
          f"({warm.cache_hits}/{len(tracks)} clips from cache)")
    print(f"core cold cache, all five kinds: {t_all:.2f} s  (naive/all = {t_naive / t_all:.2f})")
    print(f"CPU work per clip (one process, 1 BLAS thread, load-independent): naive "
          f"{1e3 * cpu_naive / len(tracks):.1f} ms, core {1e3 * cpu_core / len(tracks):.1f} ms "
          f"(ratio {cpu_naive / cpu_core:.2f})")
    print(f"speedup: {t_naive / t_cold:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
