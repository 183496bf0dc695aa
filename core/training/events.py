"""Subscribers of a training run's events: a JSON-lines log (background jobs) and tqdm bars (CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from core.models import persistence


class JsonlEventLog:
    """Subscriber that appends each event as one JSON line to a file (flushed at once)."""
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.final: dict | None = None

    def __call__(self, event: dict) -> None:
        """Append one event."""
        line = json.dumps(event, default=persistence._json_default)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
        if event["type"] in ("done", "error", "stopped"):
            self.final = event


class TqdmProgress:
    """Subscriber showing a tqdm bar over epochs and printing stage messages (for the CLI)."""
    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, event: dict) -> None:
        """Update the bar or print the message of one event."""
        kind = event["type"]
        if kind == "epoch":
            if self.bar is None:
                self.bar = tqdm(total=event["epochs"], desc="epochs", unit="epoch")
            self.bar.update(event["epoch"] - self.bar.n)
            self.bar.set_postfix({k: f"{event[k]:.3f}" for k in
                                  ("loss", "accuracy", "val_loss", "val_accuracy")
                                  if event.get(k) is not None})
        elif event.get("message"):
            (self.bar.write if self.bar is not None else tqdm.write)(
                f"[{kind}] {event['message']}")
        if kind in ("done", "error", "stopped") and self.bar is not None:
            self.bar.close()
            self.bar = None


#: name used by core.cli
ProgressBar = TqdmProgress
