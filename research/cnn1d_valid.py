"""Why the 1D-CNN trails on real music: variants scored on the VALID side only (never test).

Usage: python -m research.cnn1d_valid [--data ../shared/data/gtzan-ogg] [--splits ../shared/data/splits]
       [--seeds 3] [--variants default,gap,lr3e-4,batch8,bn0.9,two_windows]

Protocol: GTZAN-4 (blues, classical, jazz, rock), artist-filtered lists restricted to the tracks
present (train/valid/test 181/84/121); every variant is trained on train, early-stopped on valid
and scored on valid (n = 84 tracks). Variants:
  default      the shipped recipe (Flatten head, Adam 1e-3, batch 32, first 15 s, one example per track)
  gap          global average pooling over time instead of Flatten (shift-invariant, 4x fewer weights)
  lr3e-4       Adam learning rate 3e-4
  batch8       batch size 8 (23 steps per epoch instead of 6)
  bn0.9        BatchNorm momentum 0.9 (its running statistics settle within ~20 steps, not ~300)
  two_windows  both 15-s windows of each clip as examples (362 training examples), valid vote over both
Prints each variant's valid track accuracy per seed, the mean, and the epoch it stopped at.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from research import studykit  # noqa: E402

import numpy as np  # noqa: E402

from core.models import networks
from core.models import fitting
from core.training import config as train_config, plan as run_plan, runner
from core.constants import SHARED_DATA  # noqa: E402

SHARED = SHARED_DATA
GTZAN4 = ["blues", "classical", "jazz", "rock"]
VARIANTS = ("default", "gap", "lr3e-4", "batch8", "bn0.9", "two_windows")


def _second_windows(data: Path) -> dict[str, np.ndarray]:
    """MFCC matrix (646, 30) of each GTZAN-4 clip's second 15 s (zero-padded), by track id."""
    from joblib import Parallel, delayed

    from core.data import datasource
    from core.features import study
    from core.data.audio import load_clip
    from core.constants import CNN1D_SAMPLES

    def second(path: Path) -> np.ndarray:
        y = load_clip(path)[CNN1D_SAMPLES: 2 * CNN1D_SAMPLES]
        y = np.pad(y, (0, CNN1D_SAMPLES - y.size))
        power = study.stft_power(y)
        return study.mfcc_from_logmel(study.power_to_db(study.mel_power(power)))

    tracks = [t for t in datasource.real_source(data).tracks if t.genre in GTZAN4]
    mats = Parallel(n_jobs=-1)(delayed(second)(t.path) for t in tracks)
    return {t.track_id: m for t, m in zip(tracks, mats)}


def _patched(variant: str, data: Path):
    """Install the variant's change into core (returns a function undoing it)."""
    saved = (networks.build_cnn1d, run_plan._side)
    if variant == "gap":
        def build(frames=646, n_coeffs=30, n_classes=10, mean=None, variance=None,
                  learning_rate=1e-3):
            import keras
            from keras import layers

            inputs = keras.Input((int(frames), int(n_coeffs)), name="mfcc_matrix")
            x = networks._normaliser("cnn1d", mean, variance)(inputs)
            for filters in networks.CNN1D_FILTERS:
                x = layers.Conv1D(filters, networks.CNN1D_KERNEL, padding="same", activation="relu")(x)
                x = layers.BatchNormalization()(x)
                x = layers.AveragePooling1D(networks.CNN1D_POOL)(x)
                x = layers.Dropout(networks.DROPOUT / 2)(x)
            x = layers.GlobalAveragePooling1D()(x)
            x = layers.Dense(networks.DENSE_UNITS, activation="relu")(x)
            x = layers.Dropout(networks.DROPOUT)(x)
            outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
            return networks._compile(keras.Model(inputs, outputs, name="cnn1d"), learning_rate)
        networks.build_cnn1d = build
    elif variant == "bn0.9":
        original = saved[0]

        def build(*args, **kwargs):
            import keras

            model = original(*args, **kwargs)
            for layer in model.layers:
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.momentum = 0.9
            return model
        networks.build_cnn1d = build
    elif variant == "two_windows":
        second = _second_windows(data)
        original_side = saved[1]

        def side(fs, track_ids, kind):
            part = original_side(fs, track_ids, kind)
            extra = np.stack([second[str(t)] for t in part.groups]) if len(part) else part.x
            return fitting.SideData(np.concatenate([part.x, extra]),
                                     np.concatenate([part.y, part.y]),
                                     np.concatenate([part.groups, part.groups]))
        run_plan._side = side

    def undo() -> None:
        networks.build_cnn1d, run_plan._side = saved
    return undo


def main(argv: list[str] | None = None) -> int:
    """Train each variant over the seeds and print valid-side track accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "gtzan-ogg")
    parser.add_argument("--splits", type=Path, default=SHARED / "splits")
    parser.add_argument("--seeds", type=int, default=3)
    args, variants = studykit.variants_arg(parser, list(VARIANTS), argv)
    out = Path(tempfile.mkdtemp(prefix="genrelab-cnn1d-"))
    print("protocol: GTZAN-4, artist-filtered (181/84/121); scored on the VALID side (n=84)")
    for variant in variants:
        undo = _patched(variant, args.data)
        scores, stops = [], []
        try:
            for seed in range(42, 42 + args.seeds):
                extra = {"learning_rate": 3e-4} if variant == "lr3e-4" else (
                    {"batch_size": 8} if variant == "batch8" else {})
                conf = train_config.TrainConfig(model="cnn1d", protocol="artist-filtered",
                                            splits_path=str(args.splits),
                                            data_path=str(args.data), genres=GTZAN4, seed=seed,
                                            **extra)
                card = json.loads((runner.run_training(conf, output_root=out)
                                   / "card.json").read_text())
                scores.append(card["metrics"]["softmax"]["valid"]["track_accuracy"])
                stops.append(card["best_epoch"])
        finally:
            undo()
        print(f"{variant:12s} valid track acc "
              + " ".join(f"{100 * s:5.1f}" for s in scores)
              + f"  mean {100 * statistics.fmean(scores):5.1f} %  best epochs {stops}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
