"""Time YAMNet's embedding of one 30-s clip, warm, for ways of running the TFLite graph side by side.

Usage (from the project root):
    nice -n 10 python bench/yamnet_latency.py [--clip PATH] [--repeats N]

Default clip: ../shared/data/gtzan/genres_original/blues/blues.00000.wav, else a synthesised 30-s
chord. The graph's shapes are fixed (one 15600-sample window per invoke: resizing its input fails
in the XNNPACK delegate), so the candidates differ in how the interpreter is built:

- ``preserve``: the shipped model with experimental_preserve_all_tensors=True, the embedding read
  from the preserved tensor (the baseline);
- ``output``: the model with the embedding tensor added to the graph's outputs (in memory,
  core.models.yamnet_net.with_embedding_output), no tensor preserved;
- each with TFLite's default threads and with 1 and 2 threads.

For each: the median and best of the warm calls (front end + 62 invokes), the process's CPU time
per call, and a check that it gives the baseline's numbers. Interleaved rounds, so a change of
load on the machine hits every candidate alike; the load average is printed (other sessions' work
slows the wall-clock figures; the CPU time is the steadier figure). Ends with
`yamnet_warm_ms: X` (median wall of the path core.models.yamnet_net uses).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

import benchkit  # noqa: F401  (puts the project on sys.path)

from core.constants import SAMPLE_RATE, SHARED_DATA

DEFAULT_CLIP = SHARED_DATA / "gtzan" / "genres_original" / "blues" / "blues.00000.wav"


def _clip(path: Path) -> tuple[np.ndarray, str]:
    """The clip's samples at 22050 Hz and a label; a synthesised chord when the file is absent."""
    from core.data.audio import decode

    if path.is_file():
        return decode(path, name=path.name), path.name
    t = np.arange(30 * SAMPLE_RATE) / SAMPLE_RATE
    y = sum(np.sin(2 * np.pi * 220.0 * k * t) / k for k in range(1, 6)) * 0.2
    return y.astype(np.float32), "synthesised 30-s chord"


def _candidate(preserve: bool, threads: int | None):
    """A function windows -> (embedding, scores) of one way of building the interpreter."""
    import tensorflow as tf

    from core.models import yamnet_net

    data = yamnet_net.checked_bytes(yamnet_net.MODEL_NAME)
    if not preserve:
        data = yamnet_net.with_embedding_output(data)
    it = tf.lite.Interpreter(model_content=data, num_threads=threads,
                             experimental_preserve_all_tensors=preserve)
    it.allocate_tensors()
    names = {d["name"]: d["index"] for d in it.get_tensor_details()}
    inp, emb, sco = (it.get_input_details()[0]["index"], names[yamnet_net.EMBEDDING_TENSOR],
                     names[yamnet_net.SCORES_TENSOR])

    def run(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = np.empty((len(windows), 1024), np.float32)
        s = np.empty((len(windows), 521), np.float32)
        for i, w in enumerate(windows):
            it.set_tensor(inp, w[None])
            it.invoke()
            e[i], s[i] = it.get_tensor(emb)[0], it.get_tensor(sco)[0]
        return e, s
    return run


def main(argv: list[str] | None = None) -> int:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    from core.features import yamnet_input
    from core.models import yamnet_net

    y, label = _clip(args.clip)
    start = time.perf_counter()
    yamnet_net.embed(y)
    first = time.perf_counter() - start
    print(f"clip: {label}, {y.size / SAMPLE_RATE:.1f} s; first embed (TF import, interpreter): "
          f"{first:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    front_ms, front_cpu = [], []
    for _ in range(args.repeats):
        c0, start = time.process_time(), time.perf_counter()
        windows = yamnet_input.clip_windows(y)
        front_ms.append((time.perf_counter() - start) * 1e3)
        front_cpu.append((time.process_time() - c0) * 1e3)
    names = {"preserve, default threads (baseline)": (True, None), "preserve, 1 thread": (True, 1),
             "preserve, 2 threads": (True, 2), "output, default threads": (False, None),
             "output, 1 thread": (False, 1), "output, 2 threads": (False, 2)}
    runs = {name: _candidate(*spec) for name, spec in names.items()}
    reference = runs["preserve, default threads (baseline)"](windows)
    wall: dict[str, list[float]] = {n: [] for n in runs}
    cpu: dict[str, list[float]] = {n: [] for n in runs}
    same: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, run in runs.items():
            c0, t0 = time.process_time(), time.perf_counter()
            emb, scores = run(windows)
            wall[name].append((time.perf_counter() - t0) * 1e3)
            cpu[name].append((time.process_time() - c0) * 1e3)
            same[name] = max(float(np.max(np.abs(emb - reference[0]))),
                             float(np.max(np.abs(scores - reference[1]))))
    used, used_cpu = [], []
    for _ in range(args.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        yamnet_net.embed(y)
        used.append((time.perf_counter() - t0) * 1e3)
        used_cpu.append((time.process_time() - c0) * 1e3)
    print(f"front end (resample to 16 kHz, {len(windows)} windows): median "
          f"{statistics.median(front_ms):.0f} ms, CPU {statistics.median(front_cpu):.0f} ms")
    print(f"{'interpreter':40s} {'wall median':>12s} {'wall best':>10s} {'CPU median':>11s} "
          f"{'vs baseline':>12s} {'max |diff|':>11s}")
    base = statistics.median(wall["preserve, default threads (baseline)"])
    for name in runs:
        med = statistics.median(wall[name])
        print(f"{name:40s} {med:10.0f} ms {min(wall[name]):7.0f} ms "
              f"{statistics.median(cpu[name]):8.0f} ms {med / base:11.2f}x {same[name]:11.1e}")
    print(f"core.models.yamnet_net.embed (front end + network), {args.repeats} warm calls: median "
          f"{statistics.median(used):.0f} ms, best {min(used):.0f} ms, CPU median "
          f"{statistics.median(used_cpu):.0f} ms; load average now "
          f"{os.getloadavg()[0]:.1f}")
    print(f"yamnet_warm_ms: {statistics.median(used):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
