"""Check the Keras 3 port core.models.musicnn_net against the musicnn package's own TF1 graph on real clips.

Dev-only: the original package cannot be a line of requirements.txt (its metadata pins
numpy<1.17 and its graph needs tf_keras with TF_USE_LEGACY_KERAS=1). Install it in a separate
environment beside the project's pins:

    python3.11 -m venv /work/venv-musicnn
    /work/venv-musicnn/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0 keras==3.15.1 \
        numpy==2.4.6 scipy==1.17.1 librosa==0.11.0 soundfile==0.14.0 joblib==1.6.0 tqdm==4.70.1
    /work/venv-musicnn/bin/pip install --no-deps musicnn==0.1.0

Usage (from the project root):
    /work/venv-musicnn/bin/python -m tools.musicnn_oracle [--data PATH]

The package's graph (models.define_model "MSD_musicnn", restored with tf.compat.v1 Saver from the
package's checkpoint) runs in a subprocess with TF_USE_LEGACY_KERAS=1 and eager execution off; the
port runs in this process on Keras 3. Both take each WAV at its own level: the original through
librosa.load(sr=16000) and the package's melspectrogram, log-compressed in float32 (the package
casts to float16 first, which overflows on loud clips under numpy 2: the report counts the clips
its own float16 front end turns non-finite); the port through core.data.audio.decode and
core.models.musicnn_net.embed. Prints the worst absolute difference, over every 3-s patch of every clip, of
the log-mel input, max_pool, mean_pool, penultimate and the 50 tag probabilities, checks the
converted weights equal the checkpoint, and ends with `musicnn_port_max_abs_diff: X` (the worst
of the four network outputs). Exit status 0 when X <= 1e-3, 1 otherwise.
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


from core.constants import SHARED_DATA  # noqa: E402

DEFAULT_DATA: Path = SHARED_DATA / "gtzan"
TOLERANCE: float = 1e-3           #: accepted worst absolute difference (float32)
COMPARED: tuple[str, ...] = ("max_pool", "mean_pool", "penultimate", "taggram")


def _original(files: list[str], out: str) -> None:
    """Subprocess side: the package's graph on every file; per-file arrays saved to out (.npz)."""
    import librosa
    import tensorflow as tf

    import musicnn
    from musicnn import configuration, extractor, models  # extractor turns eager off

    tf.compat.v1.disable_eager_execution()
    n_frames = librosa.time_to_frames(3, sr=configuration.SR, n_fft=configuration.FFT_SIZE,
                                      hop_length=configuration.FFT_HOP) + 1
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, n_frames, configuration.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        (y, _timbral, _temporal, _c1, _c2, _c3, mean_pool, max_pool,
         penultimate) = models.define_model(x, is_training, "MSD_musicnn",
                                            len(configuration.MSD_LABELS))
        probabilities = tf.nn.sigmoid(y)
    sess = tf.compat.v1.Session()
    sess.run(tf.compat.v1.global_variables_initializer())
    tf.compat.v1.train.Saver().restore(sess, os.path.dirname(musicnn.__file__) + "/MSD_musicnn/")
    arrays: dict[str, np.ndarray] = {}
    nonfinite16 = 0
    start = time.perf_counter()
    for i, path in enumerate(files):
        audio, sr = librosa.load(path, sr=configuration.SR)
        mel = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=configuration.FFT_HOP,
                                             n_fft=configuration.FFT_SIZE,
                                             n_mels=configuration.N_MELS).T
        rep = np.log10(np.float32(10000) * mel.astype(np.float32) + np.float32(1))
        batch = np.stack([rep[t:t + n_frames]
                          for t in range(0, rep.shape[0] - n_frames + 1, n_frames)])
        outs = sess.run([max_pool, mean_pool, penultimate, probabilities],
                        feed_dict={x: batch, is_training: False})
        for name, value in zip(("logmel",) + COMPARED, [batch] + outs):
            arrays[f"{i}/{name}"] = np.asarray(value, dtype=np.float32)
        batch16, _ = extractor.batch_data(path, n_frames, n_frames)  # the package's float16 path
        nonfinite16 += int(not np.all(np.isfinite(batch16)))
    arrays["nonfinite16"] = np.array(nonfinite16)
    arrays["seconds"] = np.array(time.perf_counter() - start)
    sess.close()
    np.savez(out, **arrays)


def run_original(files: list[Path]) -> dict[str, np.ndarray]:
    """Run the package's graph in a subprocess (legacy Keras); its arrays by "<i>/<name>"."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "original.npz"
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, str(Path(__file__).resolve()), "--original", str(out),
                   *map(str, files)]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise SystemExit(f"error: the package's graph failed (is musicnn installed in this "
                             f"environment? see the docstring):\n{tail}")
        with np.load(out) as archive:
            return {k: archive[k] for k in archive.files}


def main(argv: list[str] | None = None) -> int:
    """Compare port and original on every WAV clip under --data; print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--original", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.original:
        _original(args.files, args.original)
        return 0
    os.environ.pop("TF_USE_LEGACY_KERAS", None)  # the port runs on Keras 3
    from core.models import musicnn_weights
    from core.features import musicnn_input
    from core.models import musicnn_net
    from core.data.audio import decode
    from core.data.gtzan import DatasetError, list_tracks

    try:
        tracks = [t for t in list_tracks(args.data) if t.path.suffix.lower() == ".wav"]
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not tracks:
        print(f"error: no WAV clips under {args.data}", file=sys.stderr)
        return 1
    print(f"{len(tracks)} WAV clips under {args.data}")
    try:
        import musicnn as package
    except ImportError:
        print("error: the musicnn package is not installed here; see the docstring",
              file=sys.stderr)
        return 1
    converted = musicnn_net.load_weights()
    original_weights = musicnn_weights.from_package(Path(package.__file__).parent)
    same = (converted.keys() == original_weights.keys()
            and all(np.array_equal(converted[k], original_weights[k]) for k in converted))
    print(f"converted weights equal the package's checkpoint: {same} "
          f"({len(converted)} variables, sha256 {musicnn_net.weights_sha256()[:12]}...)")

    reference = run_original([t.path for t in tracks])
    worst = {name: (0.0, "") for name in ("logmel",) + COMPARED}
    scale = dict.fromkeys(worst, 0.0)
    n_patches = 0
    port_seconds = 0.0
    for i, track in enumerate(tracks):
        y = decode(track.path, name=track.path.name)
        start = time.perf_counter()
        ours = musicnn_net.embed(y)
        port_seconds += time.perf_counter() - start
        ours["logmel"] = musicnn_input.clip_patches(y)
        for name in worst:
            ref = reference[f"{i}/{name}"]
            if ref.shape != ours[name].shape:
                print(f"error: {track.track_id} {name}: shape {ours[name].shape} against the "
                      f"package's {ref.shape}", file=sys.stderr)
                return 1
            diff = float(np.max(np.abs(ours[name] - ref)))
            scale[name] = max(scale[name], float(np.max(np.abs(ref))))
            if diff >= worst[name][0]:
                worst[name] = (diff, track.track_id)
        n_patches += reference[f"{i}/taggram"].shape[0]
    print(f"{n_patches} patches of 3 s; package graph {float(reference['seconds']):.1f} s "
          f"(with its float16 pass), port {port_seconds:.1f} s in all")
    print(f"package's own float16 front end: {int(reference['nonfinite16'])} of {len(tracks)} "
          "clips give non-finite log-mel values (the float32 path used here gives none)")
    print(f"{'output':<12} {'worst |diff|':>13} {'max |value|':>12}  clip")
    for name, (diff, clip) in worst.items():
        print(f"{name:<12} {diff:>13.3e} {scale[name]:>12.3f}  {clip}")
    overall = max(worst[name][0] for name in COMPARED)
    print(f"musicnn_port_max_abs_diff: {overall:.3e}")
    return 0 if overall <= TOLERANCE and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
