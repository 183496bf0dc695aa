"""Scoring models on a labelled folder from outside GTZAN (`<genre>/<clip>`), with honest intervals.

A folder's sub-folders are matched to GTZAN's genres by name (case-insensitive, with the usual
aliases: "hip-hop", "Hip Hop", "rap" → hiphop ...); the others are listed and skipped. Every clip
of a genre folder is predicted with the batch path (core.prediction.batch: parallel decoding
and featurising, the models loaded once), and each model gets its accuracy with a 95 % Wilson
interval, n, macro-F1, recall per genre and the confusion matrix (core.evaluation). A clip of a
genre a model was not trained on counts as wrong for it (said as "cannot answer"); a clip a
model failed to score counts as wrong too. The headline answer (core.prediction.answer) is
scored as one more entry, labelled "answer".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from core import config
from core.constants import AUDIO_EXTENSIONS, GENRE_INDEX, GENRES
from core.evaluation import classification_report, wilson_interval
from core.data.extra import genre_of_folder   # one list of genre folder names (and aliases)
from core.prediction import answer, batch

#: Label of the headline answer's entry.
ANSWER_LABEL: str = "answer"

#: Most clips a visitor of a viewer-mode server may have evaluated (when the operator has not
#: cached the folder's result): at about a second per clip and model, a few minutes of one core.
VISITOR_MAX_CLIPS: int = 60

#: Sub-folder of the cache folder holding evaluated folders' figures (one JSON per key).
CACHE_DIRNAME: str = "outside"


class OutsideError(ValueError):
    """The folder cannot be evaluated (it holds no genre folder); one clear line."""


@dataclass
class LabelledFolder:
    """A folder's clips with their genre, and the sub-folders that named no genre."""
    root: Path
    clips: list[tuple[batch.ClipInput, str]]
    skipped: list[str] = field(default_factory=list)

    @property
    def genres(self) -> dict[str, int]:
        """Clips found per genre (GTZAN order, only genres with clips)."""
        counts = {g: sum(genre == g for _, genre in self.clips) for g in GENRES}
        return {g: n for g, n in counts.items() if n}


def scan_folder(path: str | Path) -> LabelledFolder:
    """The labelled clips of path/<genre>/... (searched recursively under each genre folder).
    OutsideError when path is not a readable folder or none of its sub-folders names a genre;
    its message names only what GenreLab looks for, never the folder's other entries."""
    root = Path(path).expanduser()
    try:
        if not root.is_dir():
            raise OutsideError(f"{root}: no such folder")
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        clips: list[tuple[batch.ClipInput, str]] = []
        skipped: list[str] = []
        for sub in subs:
            genre = genre_of_folder(sub.name)
            if genre is None:
                skipped.append(sub.name)
                continue
            clips += [(item, genre) for item in batch.from_paths([sub])]
    except OSError as exc:   # unreadable: say so, not what the system's message may list
        raise OutsideError(f"{root}: cannot be read ({type(exc).__name__})") from None
    if not clips:
        raise OutsideError(f"{root}: no sub-folder names a GTZAN genre ({', '.join(GENRES)}) "
                           "and holds audio; lay the clips out as <genre>/<clip>")
    return LabelledFolder(root, clips, skipped)


def skipped_text(skipped: Sequence[str] | int) -> str:
    """How many sub-folders named no genre, without their names ("2 sub-folders naming no
    GTZAN genre skipped"); "" when none. A folder's other entries are never listed."""
    count = skipped if isinstance(skipped, int) else len(skipped)
    if not count:
        return ""
    return f"{count} sub-folder{'s' if count != 1 else ''} naming no GTZAN genre skipped"


@dataclass
class ModelScore:
    """One model's (or the answer's) outcome on the folder's usable clips."""
    label: str
    run_id: str
    genres: tuple[str, ...]
    predicted: list[str | None]        #: one per usable clip; None: the model failed on it
    scoring_s: float = 0.0             #: s the model spent scoring (loading included), all clips

    def to_dict(self, truth: Sequence[str]) -> dict:
        """The JSON-ready figures: correct, n, accuracy and its Wilson interval, macro-F1,
        per genre correct/n/recall and how many clips it answered with that genre (answered: the
        precision's denominator), a note for genres it cannot answer, and the confusion matrix."""
        n = len(truth)
        correct = sum(p == t for p, t in zip(self.predicted, truth))
        accuracy = correct / n if n else 0.0
        low, high = wilson_interval(accuracy, n)
        answered = [(GENRE_INDEX[t], GENRE_INDEX[p]) for p, t in zip(self.predicted, truth)
                    if p is not None]
        report = classification_report(np.array([a for a, _ in answered], dtype=int),
                                       np.array([b for _, b in answered], dtype=int))
        per_genre, f1s = {}, []
        for genre in GENRES:
            k = sum(p == t == genre for p, t in zip(self.predicted, truth))
            n_g = sum(t == genre for t in truth)
            if not n_g:
                continue
            chosen = sum(p == genre for p in self.predicted)
            f1s.append(2 * k / (n_g + chosen))
            per_genre[genre] = {"correct": k, "n": n_g, "recall": k / n_g, "answered": chosen}
            if genre not in self.genres:
                per_genre[genre]["note"] = "cannot answer"
        return {"label": self.label, "run_id": self.run_id, "correct": correct, "n": n,
                "accuracy": accuracy, "ci_low": low, "ci_high": high,
                "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
                "failed": sum(p is None for p in self.predicted),
                "scoring_s": round(self.scoring_s, 2),
                "cannot_answer": [g for g in GENRES if g not in self.genres],
                "per_genre": per_genre, "confusion": report["confusion"]}


@dataclass
class OutsideResult:
    """evaluate_folder's outcome: the figures per model, the clips, what was left out."""
    folder: str
    truth: list[str]                   #: genre of each usable clip
    clip_names: list[str]
    scores: list[ModelScore]
    bad: list[dict]                    #: {"clip", "genre", "reason"} per unusable file
    skipped: list[str]                 #: sub-folders that named no genre
    answers: list[str] = field(default_factory=list)   #: headline "why" per usable clip

    @property
    def n(self) -> int:
        """Usable clips."""
        return len(self.truth)

    def to_dict(self) -> dict:
        """The JSON of `evaluate-folder --json`."""
        return {
            "folder": self.folder, "n": self.n,
            "protocol": protocol_text(self.folder),
            "genres": {g: self.truth.count(g) for g in GENRES if g in self.truth},
            "skipped_folders": len(self.skipped), "bad_files": list(self.bad),
            "models": [s.to_dict(self.truth) for s in self.scores],
            "clips": [{"clip": name, "genre": genre,
                       **{s.label: s.predicted[i] for s in self.scores}}
                      for i, (name, genre) in enumerate(zip(self.clip_names, self.truth))],
        }


def protocol_text(name: str) -> str:
    """The protocol line of a folder's figures, naming the folder as given."""
    return f"outside GTZAN: every clip of {name} (no training on it)"


def evaluate_folder(path: str | Path, models: Sequence, jobs: int = 1, with_answer: bool = False,
                    progress: batch.BatchProgress | None = None,
                    name: str | None = None) -> OutsideResult:
    """Every model's figures on a labelled folder (see the module's docstring).
    models: core.prediction.catalogue.ModelEntry, scored on each clip via batch.predict_many with
    `jobs` worker processes; with_answer adds the headline answer as an entry labelled "answer".
    name: what the figures call the folder (default: its last part, never the whole path).
    OutsideError when the folder holds no genre folder.
    """
    scan = scan_folder(path)
    models = list(models)
    inputs = [item for item, _ in scan.clips]
    labels = dict((item.name, genre) for item, genre in scan.clips)
    truth, names, bad, answers = [], [], [], []
    verdicts: list[dict[str, str]] = []
    spent: dict[str, float] = {}
    for row in batch.predict_many(inputs, models, jobs=jobs, progress=progress):
        genre = labels[row.name]
        if row.prediction is None:
            bad.append({"clip": _short(row.name, scan.root), "genre": genre,
                        "reason": str(row.error).replace(f"{scan.root}{os.sep}", "")})
            continue
        truth.append(genre)
        names.append(_short(row.name, scan.root))
        verdicts.append({r.label: r.genre for r in row.prediction.results})
        for r in row.prediction.results:
            spent[r.label] = spent.get(r.label, 0.0) + r.elapsed_ms / 1e3
        head = row.answer or answer.headline(row.prediction.results, models)
        answers.append(head[1] if head else "no model could score it")
        verdicts[-1][ANSWER_LABEL] = head[0] if head else None
    scores = [ModelScore(m.label, m.run_id, m.genres, [v.get(m.label) for v in verdicts],
                         spent.get(m.label, 0.0)) for m in models]
    if with_answer:
        scores.append(ModelScore(ANSWER_LABEL, ANSWER_LABEL, GENRES,
                                 [v.get(ANSWER_LABEL) for v in verdicts]))
    return OutsideResult(name or scan.root.name or str(scan.root), truth, names, scores, bad,
                         scan.skipped, answers)


def _short(name: str, root: Path) -> str:
    """A clip's name relative to the folder ("blues/x.ogg")."""
    try:
        return str(Path(name).relative_to(root))
    except ValueError:
        return name


def table_lines(result: OutsideResult) -> list[str]:
    """The figures as text: one line per model, accuracy [Wilson 95 %], n, macro-F1, then
    recall per genre (and "cannot answer" where it applies)."""
    data = result.to_dict()
    lines = [f"{data['protocol']}; n = {data['n']} clips ("
             + ", ".join(f"{g} {k}" for g, k in data["genres"].items()) + ")"]
    if data["skipped_folders"]:
        lines.append(skipped_text(data["skipped_folders"]))
    for bad in data["bad_files"]:
        lines.append(f"{bad['clip']}: error: {bad['reason']}")
    for m in data["models"]:
        lines.append(f"{m['label']}: accuracy {m['accuracy']:.1%} [95 % CI {m['ci_low']:.1%}–"
                     f"{m['ci_high']:.1%}] ({m['correct']} of n={m['n']}, outside GTZAN)  macro-F1 "
                     f"{m['macro_f1']:.3f}" + (f"  ({m['failed']} failed)" if m["failed"] else ""))
        lines.append("    recall: " + ", ".join(
            f"{g} {v['correct']}/{v['n']}" + (" (cannot answer)" if v.get("note") else "")
            for g, v in m["per_genre"].items()))
    return lines


def folder_stamp(path: str | Path) -> tuple:
    """What changes when the folder's audio changes: (relative path, size, mtime) of each audio
    file under it, sorted (a cache key for the Results page)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        return ()
    return tuple(sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
                        for p in root.rglob("*")
                        if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS + (".zip",)))


def to_csv(result: OutsideResult) -> str:
    """One row per clip: clip, genre (the folder's), each entry's answer, error (unusable)."""
    labels = [s.label for s in result.scores]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["clip", "genre"] + labels + ["error"])
    for i, (name, genre) in enumerate(zip(result.clip_names, result.truth)):
        writer.writerow([name, genre] + [s.predicted[i] or "failed" for s in result.scores] + [""])
    for bad in result.bad:
        writer.writerow([bad["clip"], bad["genre"]] + [""] * len(labels) + [bad["reason"]])
    return buffer.getvalue()


def cache_key(path: str | Path, run_ids: Sequence[str], with_answer: bool) -> str:
    """What an evaluation's figures depend on, hashed: the folder, its audio files' sizes and
    mtimes, the models (run ids) and whether the answer is scored."""
    root = Path(path).expanduser().resolve()
    key = [str(root), folder_stamp(root), sorted(run_ids), bool(with_answer)]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def cache_file(key: str) -> Path:
    """Where the figures of a cache key are kept (under the cache folder)."""
    return config.cache_dir() / CACHE_DIRNAME / f"{key}.json"


def cached(key: str) -> dict | None:
    """The figures stored under key (evaluate-folder's JSON), or None when none or unreadable."""
    try:
        data = json.loads(cache_file(key).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "models" in data else None


def store(key: str, data: dict) -> Path:
    """Keep the figures under key (written atomically), for every later visitor; the file."""
    path = cache_file(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
    return path


def renamed(data: dict, name: str) -> dict:
    """The figures with the folder called name (the operator's name for it), in its protocol too."""
    return {**data, "folder": name, "protocol": protocol_text(name)}
