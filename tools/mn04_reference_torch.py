"""Dev-only PyTorch reference of EfficientAT's mn04_as (the 'original' the Keras port is checked against).

Runs in its own environment, never the project's (torch is not a requirement of GenreLab)::

    python3.11 -m venv /work/scratch/torchenv
    /work/scratch/torchenv/bin/pip install torch==2.13.0 numpy soundfile scipy soxr

It is written for this project from the description of the network in EfficientAT (Schmid,
Koutini, Widmer 2023; MIT licence): a MobileNetV3 of width 0.4 with channel squeeze-excitation
and an MLP head, and its mel front end. Module names follow the published state dict so that
``load_state_dict(strict=True)`` accepts it with no missing or unexpected key.

Front end (EfficientAT's mel module in eval mode): mono samples at 32 kHz -> pre-emphasis
y[n] = x[n+1] - 0.97 x[n] -> STFT (1024-point FFT, 800-sample symmetric Hann window centred in
the FFT frame, hop 320, centred frames with reflect padding) -> power -> 128 Kaldi-style mel bands
from 0 to 15 kHz (1127 ln(1 + f/700), triangles in mel, no normalisation; the Nyquist bin gets
weight 0) -> ln(mel + 1e-5) -> (x + 4.5) / 5. The network takes (batch, 1, 128, frames).

Usage (from the project root, with the torch environment's python)::

    python tools/mn04_reference_torch.py embed --out /work/scratch/emb/mn04.npz
    python tools/mn04_reference_torch.py dump --out ref.npz FILE.wav ...   (used by the oracle)
    python tools/mn04_reference_torch.py merge --out all.npz part0.npz part1.npz
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch
from torch import nn

SR = 32000
N_FFT = 1024
WIN = 800
HOP = 320
N_MELS = 128
FMIN, FMAX = 0.0, 15000.0
PREEMPHASIS = 0.97
WIDTH = 0.4
N_CLASSES = 527
WINDOW_S = 10.0           #: seconds of one window for the windowed variants (the training length)

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
WEIGHTS = SHARED / "models" / "efficientat-mn04" / "mn04_as_mAP_432.pt"

# (input, kernel, expanded, output, squeeze-excitation, hard-swish, stride) before width scaling
BLOCKS = (
    (16, 3, 16, 16, False, False, 1), (16, 3, 64, 24, False, False, 2),
    (24, 3, 72, 24, False, False, 1), (24, 5, 72, 40, True, False, 2),
    (40, 5, 120, 40, True, False, 1), (40, 5, 120, 40, True, False, 1),
    (40, 3, 240, 80, False, True, 2), (80, 3, 200, 80, False, True, 1),
    (80, 3, 184, 80, False, True, 1), (80, 3, 184, 80, False, True, 1),
    (80, 3, 480, 112, True, True, 1), (112, 3, 672, 112, True, True, 1),
    (112, 5, 672, 160, True, True, 2), (160, 5, 960, 160, True, True, 1),
    (160, 5, 960, 160, True, True, 1),
)


def divisible(v: float, d: int = 8) -> int:
    """Channels rounded to a multiple of d, never more than 10 % below v."""
    out = max(d, int(v + d / 2) // d * d)
    return out + d if out < 0.9 * v else out


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1,
            act: type | None = None) -> nn.Sequential:
    """Conv (no bias) -> batch norm (eps 1e-3) -> optional activation, as indexed 0/1/2."""
    mods = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout, eps=0.001)]
    if act is not None:
        mods.append(act())
    return nn.Sequential(*mods)


class SqueezeExcite(nn.Module):
    """Channel gate: mean over (freq, time) -> fc1 -> ReLU -> fc2 -> sigmoid."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        squeeze = divisible(channels // 4)
        self.fc1 = nn.Linear(channels, squeeze)
        self.fc2 = nn.Linear(squeeze, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3))
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))
        return x * s[:, :, None, None]


class SEHolder(nn.Module):
    """Holds one channel squeeze-excitation under the state dict's 'conc_se_layers.0' name."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conc_se_layers = nn.ModuleList([SqueezeExcite(channels)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conc_se_layers[0](x)


class Block(nn.Module):
    """Inverted residual: [expand 1x1] -> depthwise kxk -> [SE] -> project 1x1 (+ input)."""

    def __init__(self, cin: int, k: int, exp: int, cout: int, se: bool, hs: bool,
                 stride: int) -> None:
        super().__init__()
        act = nn.Hardswish if hs else nn.ReLU
        mods: list[nn.Module] = []
        if exp != cin:
            mods.append(conv_bn(cin, exp, 1, act=act))
        mods.append(conv_bn(exp, exp, k, stride, groups=exp, act=act))
        if se:
            mods.append(SEHolder(exp))
        mods.append(conv_bn(exp, cout, 1))
        self.block = nn.Sequential(*mods)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return out + x if self.residual else out


class MN04(nn.Module):
    """mn04_as: features (stem, 15 blocks, 1x1 conv) and the MLP head."""

    def __init__(self) -> None:
        super().__init__()
        rows = [(divisible(a * WIDTH), k, divisible(e * WIDTH), divisible(o * WIDTH), se, hs, s)
                for a, k, e, o, se, hs, s in BLOCKS]
        last_in = rows[-1][3]
        self.embed_dim = 6 * last_in
        self.hidden_dim = divisible(1280 * WIDTH)
        layers: list[nn.Module] = [conv_bn(1, rows[0][0], 3, 2, act=nn.Hardswish)]
        layers += [Block(*row) for row in rows]
        layers.append(conv_bn(last_in, self.embed_dim, 1, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1),
                                        nn.Linear(self.embed_dim, self.hidden_dim),
                                        nn.Hardswish(), nn.Dropout(0.2),
                                        nn.Linear(self.hidden_dim, N_CLASSES))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, 1, 128, T) -> pooled embeddings and the 527 logits."""
        fmap = self.features(x)
        pooled = fmap.mean(dim=(2, 3))
        hidden = self.classifier[3](self.classifier[2](pooled))
        logits = self.classifier[5](hidden)
        return {"pooled": pooled, "max_time": fmap.mean(dim=2).amax(dim=2),
                "hidden": hidden, "logits": logits}


def load_model(path: Path = WEIGHTS) -> MN04:
    """The network with the state dict loaded strictly, in eval mode."""
    model = MN04()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def mel_banks() -> torch.Tensor:
    """(128, 513) Kaldi-style triangles in mel (float32, as torch computes them), last bin 0."""
    def mel(f):
        return 1127.0 * (1.0 + f / 700.0).log() if torch.is_tensor(f) else 1127.0 * math.log(
            1.0 + f / 700.0)

    low, high = mel(FMIN), mel(FMAX)
    delta = (high - low) / (N_MELS + 1)
    b = torch.arange(N_MELS).unsqueeze(1)
    left, centre, right = low + b * delta, low + (b + 1.0) * delta, low + (b + 2.0) * delta
    m = mel((SR / N_FFT) * torch.arange(N_FFT / 2)).unsqueeze(0)
    up = (m - left) / (centre - left)
    down = (right - m) / (right - centre)
    banks = torch.clamp(torch.minimum(up, down), min=0.0)
    return torch.nn.functional.pad(banks, (0, 1))


_BANKS = mel_banks()
_WINDOW = torch.hann_window(WIN, periodic=False)
_PRE = torch.tensor([[[-PREEMPHASIS, 1.0]]])


def logmel(y32: np.ndarray) -> torch.Tensor:
    """(128, frames) normalised log-mel of float32 samples at 32 kHz."""
    x = torch.from_numpy(np.ascontiguousarray(y32, dtype=np.float32))[None]
    x = nn.functional.conv1d(x.unsqueeze(1), _PRE).squeeze(1)
    spec = torch.stft(x, N_FFT, hop_length=HOP, win_length=WIN, window=_WINDOW, center=True,
                      pad_mode="reflect", normalized=False, return_complex=True)
    power = torch.view_as_real(spec).pow(2).sum(-1)
    mel = torch.matmul(_BANKS, power)
    return ((mel + 0.00001).log() + 4.5)[0] / 5.0


def load_32k(path: str | Path) -> np.ndarray:
    """Mono float32 samples at 32 kHz (soundfile decode, channel mean, soxr HQ as librosa.load)."""
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = data.mean(axis=1).astype(np.float32)
    return soxr.resample(y, sr, SR, quality="HQ").astype(np.float32) if sr != SR else y


@torch.no_grad()
def run(model: MN04, y32: np.ndarray, windows: bool = True) -> dict[str, np.ndarray]:
    """Whole-clip outputs and (windows) the same over non-overlapping 10-s windows of the
    waveform (a shorter clip: one window of the whole clip)."""
    spec = logmel(y32)
    out = {k: v[0].numpy() for k, v in model(spec[None, None]).items()}
    out["logmel"] = spec.numpy()
    if not windows:
        return out
    step = int(WINDOW_S * SR)
    starts = list(range(0, max(1, len(y32) - step + 1), step))
    specs = torch.stack([logmel(y32[s:s + step]) for s in starts])
    out["logmel_win"] = specs.numpy()
    win = model(specs[:, None])
    for k in ("pooled", "hidden", "logits"):
        out[f"{k}_win"] = win[k].numpy()
    return out


def list_clips() -> list[tuple[str, str, str, Path]]:
    """(relative path, set, genre, file) of every clip of the three sets, sorted."""
    roots = {"gtzan-ogg": SHARED / "data" / "gtzan-ogg" / "genres_original",
             "xd-train": SHARED / "data" / "xd-train", "xd-dev": SHARED / "data" / "xd-dev"}
    found = []
    for name, root in roots.items():
        for genre in sorted(p.name for p in root.iterdir() if p.is_dir()):
            for f in sorted((root / genre).glob("*.ogg")):
                found.append((f"{name}/{genre}/{f.name}", name, genre, f))
    return found


def embed_all(out: Path, shard: tuple[int, int] = (0, 1), windows: bool = True) -> None:
    """Every clip's embeddings and logits (of shard i of n: clips i, i+n, ...) into one .npz
    (temporary name, then renamed)."""
    model = load_model()
    clips = list_clips()[shard[0]::shard[1]]
    rows: dict[str, list] = {}
    start = time.perf_counter()
    for i, (rel, name, genre, f) in enumerate(clips):
        y = load_32k(f)
        r = run(model, y, windows)
        values = {
            "emb": r["pooled"], "emb_max_time": r["max_time"],
            "emb_meanmax": np.concatenate([r["pooled"], r["max_time"]]),
            "emb_hidden": r["hidden"], "logits": r["logits"],
            "seconds": np.float32(len(y) / SR),
        }
        if windows:
            values.update({
                "emb_mean10s": r["pooled_win"].mean(0),
                "emb_meanstd10s": np.concatenate([r["pooled_win"].mean(0),
                                                  r["pooled_win"].std(0)]),
                "emb_hidden_mean10s": r["hidden_win"].mean(0),
                "logits_mean10s": r["logits_win"].mean(0)})
        for k, v in values.items():
            rows.setdefault(k, []).append(np.asarray(v, np.float32))
        rows.setdefault("paths", []).append(rel)
        rows.setdefault("sets", []).append(name)
        rows.setdefault("genres", []).append(genre)
        if i % 10 == 0:
            print(f"{i}/{len(clips)} {time.perf_counter() - start:.0f} s", flush=True)
    arrays = {k: (np.array(v) if k in ("paths", "sets", "genres") else np.stack(v))
              for k, v in rows.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, out)
    print(f"{len(clips)} clips in {time.perf_counter() - start:.0f} s -> {out}")


def merge(parts: list[Path], out: Path) -> None:
    """Shard files merged into one .npz in path order (temporary name, then renamed)."""
    loaded = [dict(np.load(p)) for p in parts]
    keys = set.intersection(*(set(d) for d in loaded))
    merged = {k: np.concatenate([d[k] for d in loaded]) for k in keys}
    order = np.argsort(merged["paths"], kind="stable")
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez(tmp, **{k: v[order] for k, v in merged.items()})
    os.replace(tmp, out)
    print(f"{len(order)} clips, arrays {sorted(keys)} -> {out}")


def dump(files: list[str], out: Path) -> None:
    """Per-file front end and outputs, whole clip and per 10-s window, for the oracle."""
    model = load_model()
    arrays: dict[str, np.ndarray] = {}
    seconds = 0.0
    for i, f in enumerate(files):
        y = load_32k(f)
        t = time.perf_counter()
        r = run(model, y)
        seconds += time.perf_counter() - t
        for k, v in r.items():
            arrays[f"{i}/{k}"] = np.asarray(v)
    arrays["seconds"] = np.array(seconds)
    np.savez(out, **arrays)


def main(argv: list[str] | None = None) -> int:
    """Command line: embed every clip, or dump outputs of given files for the oracle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--shard", default="0/1", help="i/n: clips i, i+n, ... only")
    e.add_argument("--no-windows", action="store_true", help="whole-clip outputs only")
    m = sub.add_parser("merge")
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("parts", nargs="+", type=Path)
    d = sub.add_parser("dump")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("MN04_THREADS", "1")))
    if args.command == "embed":
        i, n = (int(v) for v in args.shard.split("/"))
        embed_all(args.out, (i, n), not args.no_windows)
    elif args.command == "merge":
        merge(args.parts, args.out)
    else:
        dump(args.files, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
