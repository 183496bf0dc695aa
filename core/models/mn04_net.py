"""EfficientAT's mn04_as, an AudioSet tagger (527 classes), in Keras 3: embedding and logits of a clip.

The network is ``mn04_as`` of EfficientAT (Schmid, Koutini, Widmer 2023, "Efficient Large-Scale
Audio Tagging via Transformer-to-CNN Knowledge Distillation"; MIT licence): a MobileNetV3 of width
0.4 trained on AudioSet (mAP .432). Its forward pass, on the normalised log-mel
(core.features.mn04_input) seen as a one-channel image (128 mel bands x frames):

- stem: 3x3 convolution, stride 2, 8 filters, batch norm, hard-swish;
- 15 inverted-residual blocks (BLOCKS): [1x1 expansion, batch norm, activation] -> depthwise kxk
  (stride 1 or 2), batch norm, activation -> [channel squeeze-excitation: mean over frequency and
  time, dense ReLU, dense sigmoid, product] -> 1x1 projection, batch norm; plus the block's input
  when the stride is 1 and the widths agree; activations ReLU (first six) or hard-swish;
- a 1x1 convolution to 384 channels, batch norm, hard-swish; the mean over frequency and time is
  the ``embedding`` (384 numbers, what EfficientAT's model returns as its features);
- head: dense 512 with hard-swish (``hidden``), dropout (inactive), dense 527 -> ``logits`` (a
  sigmoid gives each AudioSet class's probability).

Every convolution is padded by (k - 1) / 2 on each side as PyTorch does (explicit zero padding
before the strided ones: "same" padding would pad a stride-2 layer on one side only). Batch
norms (epsilon 0.001) are folded into the convolutions they follow at load time. The network
is fully convolutional up to the mean, so it takes a whole clip in one pass (a 30-s clip is 3000
frames; it was trained on 10-s excerpts). Weights come from ``models/pretrained/efficientat-mn04/
mn04_as.npz`` (core.models.mn04_weights), checked against its recorded sha256; nothing is fetched
at run time. TensorFlow/Keras are imported only inside the functions that build or run the
network; the model is built once per process, and its forward pass traced once, under a lock.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.features.mn04_input import MN04_N_MELS, clip_logmel
from core.constants import SAMPLE_RATE
from core.models.mn04_weights import CHECKSUM_NAME, WEIGHTS_DIR, WEIGHTS_NAME
from core.models.persistence import ModelFileError

BN_EPSILON: float = 0.001         #: batch-norm epsilon of the checkpoint


WIDTH: float = 0.4                #: width multiplier of mn04


N_CLASSES: int = 527              #: AudioSet classes


CLASSES_NAME: str = "class_labels_indices.csv"   #: the 527 class names, in output order


# (input, kernel, expanded, output, squeeze-excitation, hard-swish, stride) of each block at
# width 1.0 (MobileNetV3-Large); mn04 rounds each width * 0.4 to a multiple of 8
_BLOCKS_W1 = (
    (16, 3, 16, 16, False, False, 1), (16, 3, 64, 24, False, False, 2),
    (24, 3, 72, 24, False, False, 1), (24, 5, 72, 40, True, False, 2),
    (40, 5, 120, 40, True, False, 1), (40, 5, 120, 40, True, False, 1),
    (40, 3, 240, 80, False, True, 2), (80, 3, 200, 80, False, True, 1),
    (80, 3, 184, 80, False, True, 1), (80, 3, 184, 80, False, True, 1),
    (80, 3, 480, 112, True, True, 1), (112, 3, 672, 112, True, True, 1),
    (112, 5, 672, 160, True, True, 2), (160, 5, 960, 160, True, True, 1),
    (160, 5, 960, 160, True, True, 1),
)


def divisible(v: float, divisor: int = 8) -> int:
    """v rounded to the nearest multiple of divisor (at least divisor, never 10 % below v)."""
    out = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * v else out


#: The blocks of mn04: (input, kernel, expanded, output, SE, hard-swish, stride) in channels.
BLOCKS: tuple[tuple[int, int, int, int, bool, bool, int], ...] = tuple(
    (divisible(a * WIDTH), k, divisible(e * WIDTH), divisible(o * WIDTH), se, hs, s)
    for a, k, e, o, se, hs, s in _BLOCKS_W1)


EMBEDDING_DIM: int = 6 * BLOCKS[-1][3]      #: 384, channels of the last convolution


HIDDEN_DIM: int = divisible(1280 * WIDTH)   #: 512, units of the head's hidden layer


#: Every output of ``embed_logmel``: name -> width.
OUTPUT_DIMS: dict[str, int] = {"embedding": EMBEDDING_DIM, "hidden": HIDDEN_DIM,
                               "logits": N_CLASSES}


#: Bump when the numbers embed produces change, so cached embeddings are recomputed.
MN04_VERSION: int = 1


class WeightsError(ModelFileError):
    """The mn04 weights file is missing or damaged; the message says which and what to do.
    A ModelFileError: prediction lists the mn04 models as failed (the others still answer)."""


def weights_path() -> Path:
    """Path of the converted mn04_as weights (.npz)."""
    return WEIGHTS_DIR / WEIGHTS_NAME


def _regenerate_hint() -> str:
    """How to rebuild the weights file, for error messages."""
    return ("restore it from the repository (git checkout -- models/pretrained/efficientat-mn04) "
            "or regenerate it from EfficientAT's mn04_as_mAP_432.pt: python -m "
            "core.models.mn04_weights --from-pt mn04_as_mAP_432.pt --python <python with torch>")


def _bn_shapes(prefix: str, width: int) -> dict[str, tuple[int, ...]]:
    """State-dict names and shapes of one batch norm."""
    return {f"{prefix}.{f}": (width,) for f in ("weight", "bias", "running_mean",
                                                 "running_var")}


def layer_plan() -> list[tuple[str, str, int, int, int, int]]:
    """The convolutions in order: (state-dict prefix, kind, in, out, kernel, stride); kind is
    "conv" (full), "depthwise" or "se" (squeeze-excitation of `out` channels, in = squeeze)."""
    plan = [("features.0", "conv", 1, BLOCKS[0][0], 3, 2)]
    for i, (cin, k, exp, cout, se, _hs, stride) in enumerate(BLOCKS, start=1):
        j = 0
        if exp != cin:
            plan.append((f"features.{i}.block.{j}", "conv", cin, exp, 1, 1))
            j += 1
        plan.append((f"features.{i}.block.{j}", "depthwise", exp, exp, k, stride))
        j += 1
        if se:
            plan.append((f"features.{i}.block.{j}.conc_se_layers.0", "se",
                         divisible(exp // 4), exp, 1, 1))
            j += 1
        plan.append((f"features.{i}.block.{j}", "conv", exp, cout, 1, 1))
    plan.append((f"features.{len(BLOCKS) + 1}", "conv", BLOCKS[-1][3], EMBEDDING_DIM, 1, 1))
    return plan


def expected_shapes() -> dict[str, tuple[int, ...]]:
    """State-dict tensor name -> shape, for every tensor the port needs."""
    shapes: dict[str, tuple[int, ...]] = {}
    for prefix, kind, cin, cout, k, _ in layer_plan():
        if kind == "se":
            shapes.update({f"{prefix}.fc1.weight": (cin, cout), f"{prefix}.fc1.bias": (cin,),
                           f"{prefix}.fc2.weight": (cout, cin), f"{prefix}.fc2.bias": (cout,)})
            continue
        shapes[f"{prefix}.0.weight"] = (cout, 1 if kind == "depthwise" else cin, k, k)
        shapes.update(_bn_shapes(f"{prefix}.1", cout))
    shapes.update({"classifier.2.weight": (HIDDEN_DIM, EMBEDDING_DIM),
                   "classifier.2.bias": (HIDDEN_DIM,),
                   "classifier.5.weight": (N_CLASSES, HIDDEN_DIM),
                   "classifier.5.bias": (N_CLASSES,)})
    return shapes


def weights_sha256(path: Path | None = None) -> str:
    """The sha256 recorded beside the weights file; WeightsError when that record is missing."""
    path = path or weights_path()
    record = path.parent / CHECKSUM_NAME if path.name == WEIGHTS_NAME else Path(
        str(path) + ".sha256")
    try:
        return record.read_text().split()[0].lower()
    except (OSError, IndexError) as error:
        raise WeightsError(f"mn04 weights: the checksum file {record} is missing or empty; "
                           + _regenerate_hint()) from error


def load_weights(path: Path | None = None) -> dict[str, np.ndarray]:
    """The state dict's tensors (name -> float32 array), checked against the recorded sha256.
    WeightsError (naming the file and how to restore it) when the file is missing, its sha256
    differs from the record, or a tensor is missing or has the wrong shape.
    """
    path = Path(path or weights_path())
    if not path.is_file():
        raise WeightsError(f"mn04 weights file {path} is missing; " + _regenerate_hint())
    expected = weights_sha256(path)
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise WeightsError(f"mn04 weights file {path} is damaged (sha256 {actual[:12]}..., "
                           f"expected {expected[:12]}...); " + _regenerate_hint())
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name].astype(np.float32, copy=False)
                      for name in archive.files}
    except (OSError, ValueError) as error:
        raise WeightsError(f"mn04 weights file {path} cannot be read ({error}); "
                           + _regenerate_hint()) from error
    for name, shape in expected_shapes().items():
        if name not in arrays:
            raise WeightsError(f"mn04 weights file {path} lacks tensor {name}; "
                               + _regenerate_hint())
        if arrays[name].shape != shape:
            raise WeightsError(f"mn04 weights file {path}: {name} has shape "
                               f"{arrays[name].shape}, expected {shape}; " + _regenerate_hint())
    return arrays


@functools.lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 527 AudioSet class names in the order of the logits (shipped beside the weights)."""
    path = WEIGHTS_DIR / CLASSES_NAME
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise WeightsError(f"mn04 class list {path} cannot be read ({error}); "
                           + _regenerate_hint()) from error
    names = tuple(row["display_name"] for row in sorted(rows, key=lambda r: int(r["index"])))
    if len(names) != N_CLASSES:
        raise WeightsError(f"mn04 class list {path} holds {len(names)} classes, expected "
                           f"{N_CLASSES}; " + _regenerate_hint())
    return names


def _folded(weights: dict[str, np.ndarray], prefix: str,
            depthwise: bool) -> tuple[np.ndarray, np.ndarray]:
    """A convolution and its batch norm as one: (kernel in Keras layout, bias)."""
    w = weights[f"{prefix}.0.weight"]
    gamma, beta = weights[f"{prefix}.1.weight"], weights[f"{prefix}.1.bias"]
    mean, var = weights[f"{prefix}.1.running_mean"], weights[f"{prefix}.1.running_var"]
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + BN_EPSILON)
    bias = beta - mean * scale
    kernel = w.astype(np.float64) * scale[:, None, None, None]     # (out, in, kh, kw)
    if depthwise:
        kernel = kernel.transpose(2, 3, 0, 1)                      # depthwise (kh, kw, C, 1)
    else:
        kernel = kernel.transpose(2, 3, 1, 0)                      # (kh, kw, in, out)
    return kernel.astype(np.float32), bias.astype(np.float32)


def build_model(weights: dict[str, np.ndarray]):  # -> keras.Model
    """The mn04 forward pass as a Keras 3 model: (B, 128, frames) -> dict of per-clip outputs
    "embedding" (B, 384), "hidden" (B, 512) and "logits" (B, 527), with the weights set."""
    import keras
    from keras import layers, ops

    def act(h, hard_swish: bool):
        return ops.hard_silu(h) if hard_swish else ops.relu(h)

    x_in = keras.Input((MN04_N_MELS, None), name="logmel")
    h = ops.expand_dims(x_in, -1)                                  # (B, freq, time, 1)
    assigned: list[tuple[keras.layers.Layer, list[np.ndarray]]] = []

    def conv(h, prefix: str, filters: int, k: int, stride: int, depthwise: bool = False):
        if stride > 1:
            pad = (k - 1) // 2
            h = layers.ZeroPadding2D(((pad, pad), (pad, pad)))(h)
        padding = "valid" if stride > 1 else "same"
        layer = (layers.DepthwiseConv2D(k, strides=stride, padding=padding,
                                        name=prefix.replace(".", "_"))
                 if depthwise else
                 layers.Conv2D(filters, k, strides=stride, padding=padding,
                               name=prefix.replace(".", "_")))
        out = layer(h)
        assigned.append((layer, list(_folded(weights, prefix, depthwise))))
        return out

    def squeeze_excite(h, prefix: str, squeeze: int, channels: int):
        s = ops.mean(h, axis=(1, 2))
        fc1 = layers.Dense(squeeze, activation="relu", name=f"{prefix}.fc1".replace(".", "_"))
        fc2 = layers.Dense(channels, activation="sigmoid",
                           name=f"{prefix}.fc2".replace(".", "_"))
        gate = fc2(fc1(s))
        for layer, name in ((fc1, "fc1"), (fc2, "fc2")):
            assigned.append((layer, [weights[f"{prefix}.{name}.weight"].T,
                                     weights[f"{prefix}.{name}.bias"]]))
        return h * ops.reshape(gate, (-1, 1, 1, channels))

    h = act(conv(h, "features.0", BLOCKS[0][0], 3, 2), True)
    for i, (cin, k, exp, cout, se, hs, stride) in enumerate(BLOCKS, start=1):
        block_in, j = h, 0
        if exp != cin:
            h = act(conv(h, f"features.{i}.block.{j}", exp, 1, 1), hs)
            j += 1
        h = act(conv(h, f"features.{i}.block.{j}", exp, k, stride, depthwise=True), hs)
        j += 1
        if se:
            h = squeeze_excite(h, f"features.{i}.block.{j}.conc_se_layers.0",
                               divisible(exp // 4), exp)
            j += 1
        h = conv(h, f"features.{i}.block.{j}", cout, 1, 1)
        if stride == 1 and cin == cout:
            h = h + block_in
    h = act(conv(h, f"features.{len(BLOCKS) + 1}", EMBEDDING_DIM, 1, 1), True)
    embedding = ops.mean(h, axis=(1, 2))
    dense_hidden = layers.Dense(HIDDEN_DIM, name="classifier_2")
    dense_logits = layers.Dense(N_CLASSES, name="classifier_5")
    hidden = ops.hard_silu(dense_hidden(embedding))
    logits = dense_logits(hidden)
    for layer, name in ((dense_hidden, "classifier.2"), (dense_logits, "classifier.5")):
        assigned.append((layer, [weights[f"{name}.weight"].T, weights[f"{name}.bias"]]))
    model = keras.Model(x_in, {"embedding": embedding, "hidden": hidden, "logits": logits},
                        name="efficientat_mn04_as")
    for layer, values in assigned:
        layer.set_weights(values)
    return model


#: Held while the network is built and traced: two threads (the server's warm-up and a
#: visitor's upload) asking for it at once build it once, the second waiting for the first.
_BUILD_LOCK = threading.Lock()


def _forward_once() -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """_forward, built by one thread only."""
    with _BUILD_LOCK:
        return _forward()


@functools.lru_cache(maxsize=1)
def _forward() -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """The cached compiled forward pass (B, 128, frames) float32 -> dict of float32 arrays,
    traced once for any batch size and number of frames."""
    model = build_model(load_weights())
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec((None, MN04_N_MELS, None), tf.float32)
        graph = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        return lambda x: {k: v.numpy() for k, v in graph(tf.constant(x)).items()}
    return lambda x: {k: keras.ops.convert_to_numpy(v)
                      for k, v in model(x, training=False).items()}


def embed_logmel(spec: np.ndarray) -> dict[str, np.ndarray]:
    """Outputs of the network on log-mel inputs (128, frames) or (n, 128, frames): each of
    OUTPUT_DIMS -> (n, width) float32 (n = 1 for one spectrogram)."""
    batch = np.asarray(spec, dtype=np.float32)
    batch = batch[None] if batch.ndim == 2 else batch
    if batch.ndim != 3 or batch.shape[1] != MN04_N_MELS or batch.shape[2] < 1:
        raise ValueError(f"mn04 input must have shape (n, {MN04_N_MELS}, frames); got "
                         f"{np.shape(spec)}")
    out = _forward_once()(batch)
    return {k: out[k].astype(np.float32, copy=False) for k in OUTPUT_DIMS}


def embed(y: np.ndarray, sr: int = SAMPLE_RATE) -> dict[str, np.ndarray]:
    """mn04's outputs of a mono clip at sr Hz (own level), the whole clip in one pass: keys of
    OUTPUT_DIMS -> (width,) float32. AudioError when the clip is under 1 s or silent;
    WeightsError when the weights file is missing or damaged."""
    return {k: v[0] for k, v in embed_logmel(clip_logmel(y, sr)).items()}


def probabilities(logits: np.ndarray) -> np.ndarray:
    """AudioSet class probabilities (sigmoid) of logits, float64."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
