"""Check core.models.yamnet_net against the original YAMNet TFLite graph, run window by window, on real clips.

The original here is the shipped ``yamnet.tflite`` itself, unmodified (a TFLite export of the
official Keras weights; the official TF-Hub/Keras YAMNet cannot be fetched on these machines),
run through its own reference path, written independently of the port:

- decoded and resampled by ``librosa.load(path, sr=16000)`` (soundfile + soxr_hq) instead of
  core.data.audio's decode at 22050 Hz then soxr HQ to 16 kHz;
- padded and framed by the official YAMNet's ``pad_waveform`` arithmetic (tensorflow/models,
  research/audioset/yamnet/features.py: at least 0.975 s, then whole 0.48-s hops, zeros at the
  end), then cut window by window in a Python loop;
- one invoke per window of an interpreter built from the file with
  ``experimental_preserve_all_tensors=True`` and the embedding read from
  ``yamnet_frames/global_average_pooling2d/Mean``.

The port's path is core.models.yamnet_net.embed on core.features.yamnet_input.prepare. Printed:

1. window counts and the worst absolute difference of the embeddings and of the 521 scores over
   every window of every clip (38 exact GTZAN WAVs and --xd clips of xd-dev, one per genre
   first); both sides feed samples that overshoot full scale as they are (the official code
   does not clip; clipping them moved embeddings by up to 0.22 on 9 of these 45 clips);
2. how well the embedding explains the scores through the final dense layer: sigmoid(W e + b)
   with the int8 kernel dequantised (float), and with the embedding quantised as the
   interpreter's dynamic-range fully-connected kernel does (int8, asymmetric, per window);
3. the zero-shot mapping of AudioSet's genre classes onto GTZAN's ten
   (core.models.audioset_classes.GTZAN_CLASSES, a genre scoring its best class on the clip-mean
   scores) on the 49 xd-dev clips, through the port's cached embeddings.

Ends with ``yamnet_port_max_abs_diff: X``; exit status 0 when X <= 1e-5.

Usage (from the project root): nice -n 10 python bench/yamnet_oracle.py [--xd 7]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

import benchkit  # noqa: F401  (puts the project on sys.path)

from core.constants import GENRES, SHARED_DATA

TOLERANCE: float = 1e-5
WAVS: Path = SHARED_DATA / "gtzan" / "genres_original"
XD_DEV: Path = SHARED_DATA / "xd-dev"


def official_windows(y16: np.ndarray) -> list[np.ndarray]:
    """The official YAMNet's padding (features.pad_waveform) and its patches' sample windows."""
    sr, window_s, stft_window_s, stft_hop_s, patch_hop_s = 16000, 0.96, 0.025, 0.010, 0.48
    min_samples = int((window_s + stft_window_s - stft_hop_s) * sr)        # 15600
    n = len(y16)
    padding = max(0, min_samples - n)
    n = max(n, min_samples)
    hop = int(patch_hop_s * sr)                                            # 7680
    hops = math.ceil((n - min_samples) / hop)
    padding += hop * hops - (n - min_samples)
    padded = np.concatenate([y16, np.zeros(padding, np.float32)])
    return [padded[k * hop:k * hop + min_samples] for k in range(hops + 1)]


def reference(files: list[Path]) -> list[dict[str, np.ndarray]]:
    """Per-window embeddings and scores of each file through the original graph, fed as the
    official code feeds it; "over": how many window samples overshoot full scale (fed as they
    are, not clipped)."""
    import librosa
    import tensorflow as tf

    from core.models import yamnet_net

    it = tf.lite.Interpreter(model_path=str(yamnet_net.WEIGHTS_DIR / yamnet_net.MODEL_NAME),
                             experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    index = {d["name"]: d["index"] for d in it.get_tensor_details()}
    out = []
    for path in files:
        y16, _ = librosa.load(path, sr=16000, mono=True)
        windows = official_windows(y16.astype(np.float32))
        emb, scores = [], []
        for w in windows:
            it.set_tensor(it.get_input_details()[0]["index"], w[None].astype(np.float32))
            it.invoke()
            emb.append(it.get_tensor(index[yamnet_net.EMBEDDING_TENSOR])[0].copy())
            scores.append(it.get_tensor(index[yamnet_net.SCORES_TENSOR])[0].copy())
        out.append({"embedding": np.array(emb), "scores": np.array(scores),
                    "over": np.array(int(sum(np.sum(np.abs(w) > 1.0) for w in windows)))})
    return out


def dense_checks(emb: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Worst |sigmoid(W e + b) - score| with a float dense layer, and with the embedding
    quantised per window to asymmetric int8 as the interpreter's hybrid kernel does."""
    from core.models import yamnet_net

    kernel, bias = yamnet_net.dense_layer()
    e = emb.astype(np.float64)
    plain = 1 / (1 + np.exp(-(e @ kernel.T.astype(np.float64) + bias)))
    low = np.minimum(e.min(axis=1, keepdims=True), 0.0)
    high = np.maximum(e.max(axis=1, keepdims=True), 0.0)
    step = (high - low) / 255.0
    zero = np.round(-128 - low / step)
    q = np.clip(np.round(e / step) + zero, -128, 127)
    hybrid = 1 / (1 + np.exp(-(((q - zero) * step) @ kernel.T.astype(np.float64) + bias)))
    return float(np.max(np.abs(plain - scores))), float(np.max(np.abs(hybrid - scores)))


def main(argv: list[str] | None = None) -> int:
    """Run the checks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xd", type=int, default=7, help="xd-dev clips in the port check")
    args = parser.parse_args(argv)
    if not WAVS.is_dir() or not XD_DEV.is_dir():
        print(f"the real clips are absent ({WAVS}, {XD_DEV}): nothing to check")
        return 1
    from core.data.gtzan import Track
    from core.features import yamnet_input
    from core.models import audioset_classes, yamnet_net

    xd = sorted(XD_DEV.glob("*/*.ogg"))
    by_genre: dict[str, list[Path]] = {}
    for path in xd:
        by_genre.setdefault(path.parent.name, []).append(path)
    picked = [paths[i] for i in range(7) for paths in by_genre.values() if i < len(paths)]
    files = sorted(WAVS.glob("*/*.wav")) + picked[:args.xd]
    began = time.perf_counter()
    ref = reference(files)
    ported = [yamnet_net.embed(yamnet_input.prepare(p, name=p.name)) for p in files]
    counts_equal = all(len(r["scores"]) == len(p["scores"]) for r, p in zip(ref, ported))
    worst = {k: max(float(np.max(np.abs(r[k] - p[k]))) for r, p in zip(ref, ported))
             for k in ("embedding", "scores")}
    hot = [f.name for f, r in zip(files, ref) if int(r["over"])]
    n_windows = sum(len(p["scores"]) for p in ported)
    print(f"{len(files)} clips ({len(files) - args.xd} GTZAN WAVs, {args.xd} xd-dev), "
          f"{n_windows} windows, in {time.perf_counter() - began:.0f} s; window counts equal: "
          f"{counts_equal}")
    print(f"port vs original graph, worst |diff| over every window: embedding "
          f"{worst['embedding']:.2e}, scores {worst['scores']:.2e} ({len(hot)} clips overshoot "
          f"full scale at 16 kHz by a few samples, fed unclipped on both sides: "
          f"{', '.join(hot)})")
    emb = np.concatenate([p["embedding"] for p in ported])
    scores = np.concatenate([p["scores"] for p in ported])
    plain, hybrid = dense_checks(emb, scores)
    print(f"scores from the embedding through the final dense layer, worst |diff| over "
          f"{len(emb)} windows: float kernel {plain:.1e}; embedding quantised as the "
          f"interpreter's int8 kernel does {hybrid:.1e}")
    clip_scores = np.stack([p["scores"].mean(axis=0) for p in ported])
    clip_plain, _ = dense_checks(np.stack([p["embedding"].mean(axis=0) for p in ported]),
                                 clip_scores)
    print(f"  (the same on clip means, which the dense layer does not commute with: "
          f"{clip_plain:.1e})")
    tracks = [Track(f"{p.parent.name}/{p.stem}", p.parent.name, p) for p in xd]
    feats = yamnet_net.embed_tracks(tracks, progress=False, cache=True)
    mean_scores = yamnet_net.clip_stats(feats, "scores", "mean")
    guess = np.argmax(audioset_classes.zero_shot(mean_scores, yamnet_net.class_names()), axis=1)
    truth = np.asarray(feats.track_labels)
    right = guess == truth
    per_genre = {GENRES[g]: f"{int(right[truth == g].sum())}/{int((truth == g).sum())}"
                 for g in sorted(set(truth))}
    print(f"zero-shot AudioSet genre classes -> GTZAN on xd-dev (clip-mean scores, best class "
          f"per genre): {int(right.sum())}/{len(right)} right; per genre "
          + ", ".join(f"{g} {v}" for g, v in per_genre.items()))
    top = max(worst.values())
    print(f"yamnet_port_max_abs_diff: {top:.2e}")
    return 0 if top <= TOLERANCE and counts_equal else 1


if __name__ == "__main__":
    sys.exit(main())
