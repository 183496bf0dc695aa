"""Run folders: atomic saves, card.json with checksums, skops for scikit-learn objects."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from core import config
from core.constants import MODELS_DIR

CARD_NAME = "card.json"
CARD_SCHEMA = 1
REQUIRED_CARD_KEYS: tuple[str, ...] = ("schema", "run_id", "model", "metrics", "protocol", "files")
#: types skops may rebuild besides scikit-learn's and numpy's own
EXTRA_TRUSTED_PREFIXES: tuple[str, ...] = ("sklearn.", "numpy.", "scipy.", "builtins.")


class ModelFileError(RuntimeError):
    """A run folder or model file that is missing, damaged or not allowed; the message says which."""


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a result depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "librosa", "scikit-learn", "keras", "tensorflow-cpu", "skops"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def allowed_roots() -> list[Path]:
    """Folders model files may be loaded from: the shipped models/ and the user's runs folder."""
    return [MODELS_DIR.resolve(), config.runs_dir().resolve()]


def check_allowed(path: Path) -> Path:
    """The resolved path if it lies inside an allowed root, else ModelFileError."""
    resolved = Path(path).resolve()
    for root in allowed_roots():
        if resolved == root or root in resolved.parents:
            return resolved
    raise ModelFileError(f"{path} is outside models/ and the runs folder: refusing to load it")


def new_run_id(name: str) -> str:
    """A unique, sortable run id: UTC time, name, random suffix."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:40]
    return f"{stamp}-{safe}-{secrets.token_hex(3)}"


class RunWriter:
    """Collects a run's files in a hidden temp folder and publishes them atomically on commit."""
    def __init__(self, root: Path, run_id: str):
        self.root = Path(root)
        self.run_id = run_id
        self.root.mkdir(parents=True, exist_ok=True)
        self.final = self.root / run_id
        if self.final.exists():
            raise ModelFileError(f"run folder {self.final} already exists")
        self.tmp = self.root / f".tmp-{run_id}"
        self.tmp.mkdir()

    def path(self, name: str) -> Path:
        """Where to write one file of the run (inside the temp folder)."""
        return self.tmp / name

    def save_sklearn(self, obj: Any, name: str) -> Path:
        """Save a scikit-learn object with skops (not pickle)."""
        import skops.io as sio

        target = self.path(name)
        sio.dump(obj, target)
        return target

    def commit(self, card: dict) -> Path:
        """Write card.json (with file checksums) and move the folder to its final name."""
        files = {p.name: sha256_file(p) for p in sorted(self.tmp.iterdir()) if p.is_file()
                 and p.name != CARD_NAME}
        card = {"schema": CARD_SCHEMA, "run_id": self.run_id, **card, "files": files}
        card.setdefault("versions", library_versions())
        card.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_json(self.tmp / CARD_NAME, card)
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        """Remove the temp folder (nothing is published)."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_json_default))
    os.replace(tmp, path)


def _json_default(obj: Any) -> Any:
    """JSON for numpy scalars/arrays and paths."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def read_card_json(run_dir: Path) -> dict:
    """A run folder's card.json as it is on disk (no checks of its files), e.g. to add a record
    to a card just written; ModelFileError when it is missing or not a JSON object."""
    path = Path(run_dir) / CARD_NAME
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{Path(run_dir).name}: {CARD_NAME} cannot be read ({exc})") from exc
    if not isinstance(card, dict):
        raise ModelFileError(f"{Path(run_dir).name}: {CARD_NAME} is not a JSON object")
    return card


def load_card(run_dir: Path, verify: bool = True) -> dict:
    """Read and check a run's card.json (and, if verify, its files' checksums)."""
    run_dir = check_allowed(Path(run_dir))
    path = run_dir / CARD_NAME
    if not path.is_file():
        raise ModelFileError(f"{run_dir.name}: no {CARD_NAME} (not a GenreLab run folder)")
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{run_dir.name}: {CARD_NAME} is damaged ({exc})") from exc
    missing = [k for k in REQUIRED_CARD_KEYS if k not in card] if isinstance(card, dict) else ["all"]
    if missing:
        raise ModelFileError(f"{run_dir.name}: {CARD_NAME} lacks {', '.join(missing)}")
    if card["schema"] != CARD_SCHEMA:
        raise ModelFileError(f"{run_dir.name}: card schema {card['schema']} is not {CARD_SCHEMA}")
    if verify:
        for name, digest in card["files"].items():
            file = run_dir / name
            if not file.is_file():
                raise ModelFileError(f"{run_dir.name}: {name} is missing")
            if sha256_file(file) != digest:
                raise ModelFileError(f"{run_dir.name}: {name} is damaged (checksum differs)")
    card["path"] = str(run_dir)
    return card


def protocol_text(card: dict) -> str:
    """The run's protocol label (split, seed, track counts) as the card states it."""
    protocol = card.get("protocol") or {}
    return str(protocol.get("label") or protocol.get("protocol") or "unknown protocol")


def seed_of(card: dict) -> str:
    """The run's split seed as text (the protocol's, else the training config's)."""
    seed = (card.get("protocol") or {}).get("seed")
    if seed is None:
        seed = (card.get("config") or {}).get("seed")
    return "–" if seed is None else str(seed)


def load_sklearn(run_dir: Path, name: str) -> Any:
    """Load a scikit-learn object saved by RunWriter, refusing types outside scikit-learn/numpy."""
    import skops.io as sio

    path = check_allowed(Path(run_dir) / name)
    if not path.is_file():
        raise ModelFileError(f"{path.parent.name}: {name} is missing")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged file
        raise ModelFileError(f"{path.parent.name}: {name} is not a readable skops file ({exc})") from exc
    refused = [t for t in untrusted if not t.startswith(EXTRA_TRUSTED_PREFIXES)]
    if refused:
        raise ModelFileError(f"{path.parent.name}: {name} holds untrusted types {refused}")
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as exc:  # noqa: BLE001
        raise ModelFileError(f"{path.parent.name}: {name} cannot be loaded ({exc})") from exc


@dataclass(frozen=True)
class RunInfo:
    """A run folder found on disk, with its card (or the error that made it unusable)."""
    path: Path
    card: dict | None
    error: str | None
    shipped: bool


def iter_runs(include_shipped: bool = True) -> Iterator[RunInfo]:
    """User runs (newest first), then the shipped models; damaged ones carry their error."""
    roots = [(config.runs_dir(), False)] + ([(MODELS_DIR, True)] if include_shipped else [])
    for root, shipped in roots:
        if not root.is_dir():
            continue
        for run_dir in sorted((p for p in root.iterdir() if p.is_dir()
                               and not p.name.startswith(".")), reverse=True):
            if not (run_dir / CARD_NAME).exists():
                continue
            try:
                yield RunInfo(run_dir, load_card(run_dir, verify=False), None, shipped)
            except ModelFileError as exc:
                yield RunInfo(run_dir, None, str(exc), shipped)
