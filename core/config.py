"""Where GenreLab keeps things: data path, runs, cache and settings (env vars override)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.constants import PROJECT_ROOT

ENV_DATA = "GENRELAB_DATA"      #: path of a GTZAN folder (either layout)
ENV_HOME = "GENRELAB_HOME"      #: folder for settings.json (default ~/.genrelab)
ENV_RUNS = "GENRELAB_RUNS"      #: folder of the user's training runs (default <project>/runs)
ENV_CACHE = "GENRELAB_CACHE"    #: feature cache and demo set (default <project>/.cache)
ENV_SCHEDULER = "GENRELAB_SCHEDULER"  #: Dask scheduler address tcp://HOST:PORT (default: none)
ENV_MODE = "GENRELAB_MODE"      #: "viewer": a shared server whose data, downloads and training are fixed
VIEWER = "viewer"

#: Default download sources; a settings.json "downloads" entry overrides any key.
#: gtzan: Hugging Face's copy of the original marsyas genres.tar.gz (~1.2 GB; the original host
#: http://opihi.cs.uvic.ca/sound/genres.tar.gz is gone); sha256 is torchaudio's _CHECKSUMS value
#: for that original file (the mirror is believed byte-identical; not fetched here to check).
#: splits: Kereliuk's dnn-mgr lists; the sha256 are those of the copies in ../shared/data/splits,
#: whose sizes (10152/4522/6616 bytes) match the Content-Length others recorded for these URLs.
#: An empty sha256 means "unknown": the file is downloaded unchecked and its hash is logged.
DEFAULT_DOWNLOADS: dict[str, dict[str, str]] = {
    "gtzan": {
        "url": "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",
        "sha256": "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6",
    },
    "splits": {
        "url": "https://raw.githubusercontent.com/coreyker/dnn-mgr/master/gtzan/",
        "train_sha256": "2b04966cef1486f1a7767b74271533fa23e220388db804a1937835e1fc4fa3fa",
        "valid_sha256": "f8fbee7c52397a0e0f3a91dc54fedecb2e27f5bdc9a9daeab8cb10d077e26956",
        "test_sha256": "09cafa6a89ce0a27f30ed250d56ecb4d03c22fffb5a693f96c7ae655ee02ac72",
    },
}


class ViewerModeError(PermissionError):
    """A change to what every visitor sees was asked of a server in viewer mode."""


def viewer_mode() -> bool:
    """True when GENRELAB_MODE=viewer: the data source, downloads and training are fixed."""
    return os.environ.get(ENV_MODE, "").strip().lower() == VIEWER


def require_owner(action: str) -> None:
    """ViewerModeError naming the action when the server runs in viewer mode."""
    if viewer_mode():
        raise ViewerModeError(f"{action} is switched off: this GenreLab runs in viewer mode "
                              f"({ENV_MODE}={VIEWER}), so nothing a visitor does changes what "
                              "others see")


def for_visitors(text: str) -> str:
    """A run's name or note in the wording of the mode: in viewer mode the operator's "stopped by
    you at epoch N of M", " (yours)" and "your run" read "stopped at epoch N of M", "" and "run"
    (a visitor neither trained nor stopped it); unchanged otherwise."""
    if not viewer_mode():
        return text
    text = text.replace("stopped by you at", "stopped at").replace(" (yours)", "")
    return text.replace("your run", "run").replace("Your run", "Run")


def home_dir() -> Path:
    """Folder holding settings.json."""
    return Path(os.environ.get(ENV_HOME, Path.home() / ".genrelab")).expanduser()


def runs_dir() -> Path:
    """Folder of the user's own training runs (git-ignored)."""
    return Path(os.environ.get(ENV_RUNS, PROJECT_ROOT / "runs")).expanduser()


def cache_dir() -> Path:
    """Folder for the feature cache and the synthesised demo set."""
    return Path(os.environ.get(ENV_CACHE, PROJECT_ROOT / ".cache")).expanduser()


def load_settings() -> dict:
    """The saved settings (empty dict when none or unreadable)."""
    path = home_dir() / "settings.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_setting(key: str, value: object) -> None:
    """Remember one setting in settings.json (written atomically); ViewerModeError in viewer mode."""
    require_owner("changing the server's settings")
    settings = load_settings()
    settings[key] = value
    path = home_dir() / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings, indent=2))
    os.replace(tmp, path)


def data_path() -> Path | None:
    """The configured GTZAN folder: env var first, then the saved setting, else None."""
    value = os.environ.get(ENV_DATA) or load_settings().get("data_path")
    return Path(value).expanduser() if value else None


def download_sources() -> dict[str, dict[str, str]]:
    """Download URLs and checksums: defaults updated by settings.json's "downloads"."""
    sources = {k: dict(v) for k, v in DEFAULT_DOWNLOADS.items()}
    for key, entry in load_settings().get("downloads", {}).items():
        sources.setdefault(key, {}).update(entry)
    return sources


ENV_SPLITS = "GENRELAB_SPLITS"  #: folder holding the artist-filtered split lists


def splits_path() -> Path | None:
    """Folder of train/valid/test_filtered.txt: env var first, then the saved setting, else None."""
    value = os.environ.get(ENV_SPLITS) or load_settings().get("splits_path")
    return Path(value).expanduser() if value else None


ENV_ARTISTS = "GENRELAB_ARTISTS"  #: Sturm's artist index of GTZAN (GTZANindex.txt)


def artists_path() -> Path | None:
    """The artist index file (artist and title of each GTZAN track): env var first, then the
    saved setting ("artists_path"), else None (not set: no artist-grouped split, no artists)."""
    value = os.environ.get(ENV_ARTISTS) or load_settings().get("artists_path")
    return Path(value).expanduser() if value else None


def scheduler_address() -> str | None:
    """The Dask scheduler to run on: env var first, then the saved setting, else None (local)."""
    value = str(os.environ.get(ENV_SCHEDULER) or load_settings().get("scheduler") or "").strip()
    return value or None


ENV_EXTRA_DIRS = "GENRELAB_EXTRA_DIRS"  #: extra labelled <genre>/<clip> folders offered for training


def extra_dirs() -> list[str]:
    """The extra training folders the operator offers, as "PATH" or "NAME=PATH" entries: those of
    GENRELAB_EXTRA_DIRS (separated by os.pathsep), then the setting "extra_dirs" (a list of such
    entries, or {name: path}); [] when none is set."""
    return (folder_entries(os.environ.get(ENV_EXTRA_DIRS, ""))
            + folder_entries(load_settings().get("extra_dirs") or []))


def folder_entries(value: object) -> list[str]:
    """Operator-named folders as "PATH" or "NAME=PATH" strings, from an environment variable's
    text (entries separated by os.pathsep), a settings list of such strings, or {name: path}."""
    if isinstance(value, str):
        items = value.split(os.pathsep)
    elif isinstance(value, dict):
        items = [f"{name}={path}" for name, path in value.items()]
    else:
        items = [e for e in value or () if isinstance(e, str)]
    return [e.strip() for e in items if e.strip()]


ENV_OUTSIDE_DIRS = "GENRELAB_OUTSIDE_DIRS"  #: labelled folders offered in Results › Outside GTZAN


def outside_dirs() -> dict[str, Path]:
    """The labelled folders the operator offers for "Outside GTZAN", by the name visitors see:
    GENRELAB_OUTSIDE_DIRS (entries separated by os.pathsep, each PATH or NAME=PATH), else the
    setting "outside_dirs" (a list of such entries, or one string like the variable). A name
    left out is the folder's last part; a later entry of the same name replaces an earlier one."""
    value = os.environ.get(ENV_OUTSIDE_DIRS)
    if value is None:
        value = load_settings().get("outside_dirs") or []
    offered: dict[str, Path] = {}
    for entry in folder_entries(value):
        name, _, path = entry.partition("=") if "=" in entry else ("", "", entry)
        if path.strip():
            folder = Path(path.strip()).expanduser()
            offered[name.strip() or folder.name or str(folder)] = folder
    return offered
