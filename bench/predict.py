"""Prediction latency per available model: cold (fresh process) and warm (median of 5), in ms.

Usage: python bench/predict.py [--clip PATH] [--runs DIR] [--epochs N] [--only KIND,...]

Cold = the first predict_clip call in a fresh Python process, counting the imports of core and
of whatever the model needs (TensorFlow for Keras models), the model load and the scoring.
Warm = the median of the 5 following calls in that process. The clip is given as upload bytes
(decoding is part of every call). Without --clip a 30-s synthetic demo clip is used. When no
LSTM+SVM model is available, a small one is trained on the demo set into a temporary runs folder
(or --runs) with core.training.runner.run_training. It prints `descriptor_warm_ms: N` for the descriptor
SVM (when one is available; `descriptor_warm_cpu_ms:` is the calling thread's CPU time, which a
busy machine does not inflate) and `musicnn_warm_ms: N` for the musicnn model (the pretrained
network's embedding of the clip plus its head; target <= 300 ms for a 30-s clip), when
available, and the last line is `warm_ms: N` for LSTM+SVM.

With --batch DIR (default: ../shared/data/gtzan when it is there; --batch none skips it) it also
times `python -m core predict DIR --all --jobs 2` in a fresh process (imports, TensorFlow, model
loading, decoding and featurising every clip in 2 worker processes included) and prints
`batch_clips: N`, `batch_cpu_s:` (CPU seconds of all its processes) and `batch_s: S`.

Absolute times depend on the machine (the same code measured 30-40 % apart on two 2-core
machines of this workplace): `machine_ref_ms:` (a fixed scipy workload: a 31-cell running median
and an FFT over 1.3 M float32 values, best of 5) is printed before and after, so figures from two
machines or two moments can be put side by side.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # before any heavy import: the child's cold time starts here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import benchkit  # noqa: E402  (puts the project on sys.path)
from benchkit import PROJECT, machine_reference_ms  # noqa: E402

from core.constants import SHARED_DATA  # noqa: E402

WARM_CALLS = 5
DEFAULT_BATCH = SHARED_DATA / "gtzan"
BATCH_JOBS = 2


def run_batch(cwd: Path, folder: Path, jobs: int, table: Path) -> tuple[float, float]:
    """Wall and CPU seconds (all its processes) of `python -m core predict folder --all
    --jobs N` run in cwd, writing its CSV to table; SystemExit when it fails."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "core", "predict", str(folder), "--all",
                           "--jobs", str(jobs), "--quiet", "--csv", str(table)],
                          cwd=cwd, capture_output=True, text=True, env=dict(os.environ))
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"batch prediction in {cwd} failed:\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def measure_batch(folder: Path, work: Path) -> tuple[int, float, float]:
    """Clips answered, wall seconds and CPU seconds (all its processes) of
    `python -m core predict folder --all --jobs 2`."""
    table = work / "batch.csv"
    seconds, cpu = run_batch(PROJECT, folder, BATCH_JOBS, table)
    import csv

    rows = list(csv.DictReader(table.open()))
    answered = sum(1 for r in rows if r["consensus"])
    if answered != len(rows):
        print(f"batch: {len(rows) - answered} of {len(rows)} clips were not answered")
    return answered, seconds, cpu


def measure_one(run_dir: str, head: str, clip: Path) -> dict:
    """Cold and warm latency (ms) of one model in this (fresh) process."""
    from core.prediction import catalogue, streaming

    data = clip.read_bytes()
    entries = [e for e in catalogue.available_models() if str(e.path) == run_dir]
    if not entries:
        raise SystemExit(f"{run_dir} is not an available model")
    entry = entries[0] if entries[0].head == head else entries[0].with_head(head)
    out = streaming.predict_clip(data, [entry])
    cold = (time.perf_counter() - _T0) * 1e3
    if out.failed:
        raise SystemExit(f"{entry.label} failed: {out.failed[0][1]}")
    warm, cpu = [], []
    for _ in range(WARM_CALLS):
        began, began_cpu = time.perf_counter(), time.thread_time()
        streaming.predict_clip(data, [entry])
        warm.append((time.perf_counter() - began) * 1e3)
        cpu.append((time.thread_time() - began_cpu) * 1e3)
    return {"label": entry.label, "model": entry.model, "head": entry.head, "cold_ms": cold,
            "warm_ms": statistics.median(warm), "warm_cpu_ms": statistics.median(cpu),
            "genre": out.results[0].genre,
            "segments": len(out.segment_starts_s)}


def demo_clip(folder: Path) -> Path:
    """A 30-s synthetic rock clip written as WAV in folder."""
    import soundfile as sf

    from core.constants import SAMPLE_RATE
    from core.data.demo_styles import synth_clip

    path = folder / "demo-rock-30s.wav"
    sf.write(path, synth_clip("rock", 0, seconds=30.0), SAMPLE_RATE, subtype="PCM_16")
    return path


def is_lstm_svm(entry) -> bool:
    """True for an LSTM run whose SVM head is available."""
    return entry.model == "lstm" and "svm" in entry.heads


def train_lstm_svm(epochs: int) -> None:
    """Train a small LSTM(+SVM/KNN heads) run on MFCC statistics of the active data source."""
    from core.training.config import TrainConfig
    from core.training.runner import run_training

    # valid_size 0.15: 12 of the demo set's 80 tracks, at least one per genre for stratifying
    config = TrainConfig(model="lstm", feature="mfcc", epochs=epochs, valid_size=0.15,
                         name="LSTM+SVM on MFCC (bench)")
    began = time.perf_counter()
    run = run_training(config)
    print(f"trained {run.name} in {time.perf_counter() - began:.0f} s", flush=True)


def main() -> None:
    """Measure every available model in its own process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, help="audio file to predict (default: 30-s demo clip)")
    parser.add_argument("--runs", type=Path, help="runs folder (default: GENRELAB_RUNS or a temp one "
                        "when no LSTM+SVM exists)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the LSTM trained if needed")
    parser.add_argument("--batch", default=str(DEFAULT_BATCH),
                        help="folder of clips for the batch measurement ('none' to skip)")
    parser.add_argument("--only", help="comma-separated model kinds to measure (default all), "
                        "e.g. musicnn,lstm")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--head", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(measure_one(args.one, args.head, args.clip)))
        return

    from core.prediction import catalogue, streaming

    work = Path(tempfile.mkdtemp(prefix="genrelab-bench-"))
    if args.runs:
        os.environ["GENRELAB_RUNS"] = str(args.runs.resolve())
    clip = args.clip.resolve() if args.clip else demo_clip(work)
    entries = catalogue.available_models()
    if not any(is_lstm_svm(e) for e in entries):
        if not args.runs:
            os.environ["GENRELAB_RUNS"] = str(work / "runs")
        print(f"no LSTM+SVM model available: training one into {os.environ['GENRELAB_RUNS']}",
              flush=True)
        train_lstm_svm(args.epochs)
        entries = catalogue.available_models()
    for path, reason in entries.damaged:
        print(f"skipped damaged run {path}: {reason}")
    if args.only:
        kinds = set(args.only.split(","))
        entries = [e for e in entries if e.model in kinds]
    jobs = [(str(e.path), e.head) for e in entries]
    jobs += [(str(e.path), "svm") for e in entries if is_lstm_svm(e) and e.head != "svm"]
    print(f"clip: {clip}")
    print(f"machine_ref_ms: {machine_reference_ms():.1f} (before)")
    print(f"{'model':72s} {'cold ms':>9s} {'warm ms':>9s}  genre")
    lstm_svm_warm = descriptor_warm = descriptor_cpu = musicnn_warm = None
    for run_dir, head in jobs:
        done = subprocess.run([sys.executable, __file__, "--one", run_dir, "--head", head,
                               "--clip", str(clip)], capture_output=True, text=True,
                              env=dict(os.environ))
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            print(f"{run_dir} ({head}): failed\n{done.stderr[-2000:]}")
            continue
        r = json.loads(lines[-1][len("RESULT "):])
        print(f"{r['label'][:72]:72s} {r['cold_ms']:9.0f} {r['warm_ms']:9.1f}  {r['genre']}",
              flush=True)
        if r["model"] == "lstm" and r["head"] == "svm" and lstm_svm_warm is None:
            lstm_svm_warm = r["warm_ms"]
        if r["model"] == "descriptor_svm" and descriptor_warm is None:
            descriptor_warm, descriptor_cpu = r["warm_ms"], r["warm_cpu_ms"]
        if r["model"] == "musicnn" and musicnn_warm is None:
            musicnn_warm = r["warm_ms"]
    if descriptor_warm is not None:
        print(f"descriptor_warm_cpu_ms: {descriptor_cpu:.0f} (CPU time of the calling thread)")
        print(f"descriptor_warm_ms: {descriptor_warm:.0f}")
    if args.batch != "none" and Path(args.batch).is_dir():
        load = os.getloadavg()[0]
        clips, seconds, cpu = measure_batch(Path(args.batch), work)
        print(f"batch of {args.batch}, every model, {BATCH_JOBS} worker processes "
              f"(1-min load average before: {load:.1f}):")
        print(f"batch_clips: {clips}")
        print(f"batch_cpu_s: {cpu:.1f}")
        print(f"batch_s: {seconds:.1f}")
    print(f"machine_ref_ms: {machine_reference_ms():.1f} (after)")
    if musicnn_warm is not None:
        print(f"musicnn_warm_ms: {musicnn_warm:.0f}  (target <= 300)")
    if lstm_svm_warm is None and args.only and "lstm" not in args.only.split(","):
        return   # LSTM+SVM left out on purpose
    if lstm_svm_warm is None:
        raise SystemExit("no LSTM+SVM measurement")
    print(f"warm_ms: {lstm_svm_warm:.0f}")


if __name__ == "__main__":
    main()
