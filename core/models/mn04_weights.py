"""Convert EfficientAT's mn04_as PyTorch state dict into the float32 .npz core.models.mn04_net loads.

The shipped file ``models/pretrained/efficientat-mn04/mn04_as.npz`` was made with this module from
``mn04_as_mAP_432.pt`` (EfficientAT release v0.0.1, MIT licence, (c) 2022 Florian Schmid; sha256
in SOURCE_SHA256). Regenerate it with::

    python -m core.models.mn04_weights --from-pt mn04_as_mAP_432.pt --python /path/to/torch/python

Reading a .pt needs PyTorch, which is not a requirement of GenreLab: ``--python`` names an
interpreter of another environment that has torch and numpy (it only unpickles the state dict
and saves its tensors); without it, torch is imported here. The .npz keeps the state dict's own
names and values (float32), drops the batch norms' ``num_batches_tracked`` counters, and is written
byte-for-byte deterministically (core.models.musicnn_weights.npz_bytes), so regenerating it
reproduces the sha256 recorded beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.constants import MODELS_DIR
from core.models.musicnn_weights import npz_bytes

#: Folder of the converted weights, their checksum, licence and provenance.
WEIGHTS_DIR: Path = MODELS_DIR / "pretrained" / "efficientat-mn04"
WEIGHTS_NAME: str = "mn04_as.npz"
CHECKSUM_NAME: str = "mn04_as.npz.sha256"
#: The published state dict the .npz comes from (4,066,513 bytes).
SOURCE_NAME: str = "mn04_as_mAP_432.pt"
SOURCE_SHA256: str = "899a8c6217063f6941793102a2780b3dd788ab11fce468d9cf5f0577c453321c"
_SKIPPED_SUFFIX = "num_batches_tracked"

#: Run by another interpreter: unpickle a state dict (argv[1]) and save its tensors (argv[2]).
_READER = ("import sys, numpy as np, torch\n"
           "state = torch.load(sys.argv[1], map_location='cpu', weights_only=True)\n"
           "np.savez(sys.argv[2], **{k: v.detach().numpy() for k, v in state.items()})\n")


def _kept(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The model's tensors as float32, batch-norm counters left out."""
    return {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()
            if not k.endswith(_SKIPPED_SUFFIX)}


def read_state_dict(path: str | Path, python: str | None = None) -> dict[str, np.ndarray]:
    """Tensors of a PyTorch state dict (name -> float32 array), read with torch here or, when
    python is given, by that interpreter in a subprocess. FileNotFoundError / RuntimeError."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if python is None:
        import torch  # dev-only: never a requirement of the project

        state = torch.load(str(path), map_location="cpu", weights_only=True)
        return _kept({k: v.detach().numpy() for k, v in state.items()})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "state.npz"
        done = subprocess.run([python, "-c", _READER, str(path), str(out)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"{python} could not read {path} (does it have torch?):\n{tail}")
        with np.load(out, allow_pickle=False) as archive:
            return _kept({k: archive[k] for k in archive.files})


def write_weights(arrays: dict[str, np.ndarray], out_dir: str | Path = WEIGHTS_DIR) -> str:
    """Write the .npz and its sha256 file (sha256sum format) into out_dir; returns the digest."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = npz_bytes(arrays)
    digest = hashlib.sha256(data).hexdigest()
    (out / WEIGHTS_NAME).write_bytes(data)
    (out / CHECKSUM_NAME).write_text(f"{digest}  {WEIGHTS_NAME}\n")
    return digest


def main(argv: list[str] | None = None) -> int:
    """Command line: convert the state dict; print its sha256 check and the .npz's sha256."""
    parser = argparse.ArgumentParser(prog="python -m core.models.mn04_weights",
                                     description="Convert EfficientAT's mn04_as state dict to .npz")
    parser.add_argument("--from-pt", type=Path, required=True, help=SOURCE_NAME)
    parser.add_argument("--python", help="an interpreter with torch (default: this one)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="output folder")
    args = parser.parse_args(argv)
    try:
        source = hashlib.sha256(args.from_pt.read_bytes()).hexdigest()
        arrays = read_state_dict(args.from_pt, args.python)
    except (OSError, RuntimeError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    same = source == SOURCE_SHA256
    print(f"source sha256 {source} ({'the published file' if same else 'NOT the published file'})")
    before = (args.out / CHECKSUM_NAME).read_text().split()[0] if (
        args.out / CHECKSUM_NAME).is_file() else None
    digest = write_weights(arrays, args.out)
    n_values = sum(a.size for a in arrays.values())
    print(f"{len(arrays)} tensors, {n_values} values -> {args.out / WEIGHTS_NAME}")
    print(f"sha256 {digest}" + ("" if before is None else
                                " (same as before)" if before == digest else
                                f" (was {before})"))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
