"""Check the Keras 3 port core.models.mn04_net against the PyTorch reference of EfficientAT's mn04_as.

Dev-only: PyTorch is not a requirement of GenreLab. The reference (tools/mn04_reference_torch.py,
which loads EfficientAT's published state dict strictly) runs in its own environment::

    python3.11 -m venv /work/scratch/torchenv
    /work/scratch/torchenv/bin/pip install torch==2.13.0 numpy soundfile scipy soxr

Usage (from the project root, with the project's python)::

    python -m tools.mn04_oracle [--data PATH] [--torch-python PATH] [--pt PATH]

The reference runs in a subprocess with the torch environment's python (--torch-python, default
$MN04_TORCH_PYTHON or /work/scratch/torchenv/bin/python) and saves its arrays; the port runs in
this process. Both take each WAV at its own level, decoded by soundfile and resampled to 32 kHz
with soxr (HQ), cut into non-overlapping 10-s windows. Prints the worst absolute difference over
every 10-s window of every clip of the front end's log-mel, the 384-d embedding, the 512-d hidden
layer and the 527 logits (with the largest |value| of each for scale), and over every clip of
the 768-d clip embedding (mean and std over the windows) and the AudioSet probabilities of the
mean logits; whether the top class agrees on every clip; checks that the converted weights equal
the state dict, and ends with `mn04_port_max_abs_diff: X` (the worst of embedding, hidden,
logits and clip embedding).
Exit status 0 when X <= 1e-3 and the weights agree, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core.constants import SHARED_DATA

DEFAULT_DATA: Path = SHARED_DATA / "gtzan"
DEFAULT_PT: Path = SHARED_DATA.parent / "models" / "efficientat-mn04" / "mn04_as_mAP_432.pt"
DEFAULT_TORCH_PYTHON: str = os.environ.get("MN04_TORCH_PYTHON",
                                           "/work/scratch/torchenv/bin/python")
REFERENCE: Path = Path(__file__).resolve().parent / "mn04_reference_torch.py"
TOLERANCE: float = 1e-3           #: accepted worst absolute difference (float32)
#: port output -> reference output (per 10-s window)
COMPARED: dict[str, str] = {"embedding": "pooled_win", "hidden": "hidden_win",
                            "logits": "logits_win"}


def run_reference(python: str, files: list[Path]) -> dict[str, np.ndarray]:
    """The PyTorch reference's arrays ("<i>/<name>") for the files, from a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reference.npz"
        env = dict(os.environ, MN04_THREADS="1")
        done = subprocess.run([python, str(REFERENCE), "dump", "--out", str(out),
                               *map(str, files)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise SystemExit(f"error: the PyTorch reference failed (is torch installed for "
                             f"{python}? see the docstring):\n{tail}")
        with np.load(out) as archive:
            return {k: archive[k] for k in archive.files}


def main(argv: list[str] | None = None) -> int:
    """Compare port and reference on every WAV clip under --data; print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--torch-python", default=DEFAULT_TORCH_PYTHON)
    parser.add_argument("--pt", type=Path, default=DEFAULT_PT)
    args = parser.parse_args(argv)
    from core.data.audio import decode
    from core.data.gtzan import DatasetError, list_tracks
    from core.features import mn04_input
    from core.models import mn04_net, mn04_weights

    try:
        tracks = [t for t in list_tracks(args.data) if t.path.suffix.lower() == ".wav"]
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not tracks:
        print(f"error: no WAV clips under {args.data}", file=sys.stderr)
        return 1
    print(f"{len(tracks)} WAV clips under {args.data}")
    converted = mn04_net.load_weights()
    try:
        original = mn04_weights.read_state_dict(args.pt, args.torch_python)
    except (OSError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    same = (converted.keys() == original.keys()
            and all(np.array_equal(converted[k], original[k]) for k in converted))
    print(f"converted weights equal the state dict: {same} ({len(converted)} tensors, "
          f"sha256 {mn04_net.weights_sha256()[:12]}...)")

    reference = run_reference(args.torch_python, [t.path for t in tracks])
    names = ("logmel",) + tuple(COMPARED)
    worst = {name: (0.0, "") for name in names + ("clip_embedding", "probability")}
    scale = dict.fromkeys(worst, 0.0)
    top_agree = n_windows = 0
    port_seconds = 0.0
    for i, track in enumerate(tracks):
        y = decode(track.path, name=track.path.name)
        start = time.perf_counter()
        batch = mn04_input.clip_windows(y)
        outs = mn04_net.embed_windows(batch)
        port_seconds += time.perf_counter() - start
        ours = {"logmel": batch, **outs,
                "clip_embedding": mn04_net.clip_embedding(outs["embedding"]),
                "probability": mn04_net.probabilities(outs["logits"].mean(axis=0))}
        theirs = {"logmel": reference[f"{i}/logmel_win"],
                  **{k: reference[f"{i}/{v}"] for k, v in COMPARED.items()}}
        theirs["clip_embedding"] = np.concatenate([theirs["embedding"].mean(0),
                                                   theirs["embedding"].std(0)])
        theirs["probability"] = mn04_net.probabilities(theirs["logits"].mean(axis=0))
        for name in worst:
            if ours[name].shape != theirs[name].shape:
                print(f"error: {track.track_id} {name}: shape {ours[name].shape} against the "
                      f"reference's {theirs[name].shape}", file=sys.stderr)
                return 1
            diff = float(np.max(np.abs(ours[name] - theirs[name])))
            scale[name] = max(scale[name], float(np.max(np.abs(theirs[name]))))
            if diff >= worst[name][0]:
                worst[name] = (diff, track.track_id)
        top_agree += int(np.argmax(ours["probability"]) == np.argmax(theirs["probability"]))
        n_windows += len(batch)
    print(f"{n_windows} windows of 10 s; reference (whole clip and windows) "
          f"{float(reference['seconds']):.1f} s, port (front end and network, windows) "
          f"{port_seconds:.1f} s in all")
    print(f"{'output':<15} {'worst |diff|':>13} {'max |value|':>12}  clip")
    for name, (diff, clip) in worst.items():
        print(f"{name:<15} {diff:>13.3e} {scale[name]:>12.3f}  {clip}")
    print(f"top AudioSet class the same on {top_agree} of {len(tracks)} clips")
    overall = max(worst[name][0] for name in (*COMPARED, "clip_embedding"))
    print(f"mn04_port_max_abs_diff: {overall:.3e}")
    return 0 if overall <= TOLERANCE and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
