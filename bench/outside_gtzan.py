"""Every shipped model (and the headline answer) on xd-dev: 49 real recordings outside GTZAN.

    python bench/outside_gtzan.py [--folder DIR] [--jobs 2] [--json F] [--write-cards]
    python bench/outside_gtzan.py --from-json F --write-cards    (cards from a saved run)
    python bench/outside_gtzan.py --cli     (time `python -m core evaluate-folder --all --jobs 2`:
                                             wall and CPU seconds of all its processes)

Prints, per model, the accuracy with its 95 % Wilson interval, n, macro-F1 and recall per genre
(core.prediction.outside, the engine of `python -m core evaluate-folder --all`), then the
headline "answer" row, and the wall time of the whole evaluation. --write-cards records each
shipped model's figure in its card.json as "outside" (card.json is not covered by the run's
checksums: those are of the model files the card lists, which are left untouched).
xd-dev is for measuring only: nothing is fitted on it.
"""

from __future__ import annotations

import benchkit  # noqa: F401  (first: the project on sys.path)

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.models import persistence
from core.prediction import catalogue, outside

SET_NAME = "xd-dev (49 clips outside GTZAN: 4Q/Emotify)"


def card_figure(model: dict, set_name: str, date: str) -> dict:
    """The "outside" record of one model's JSON figures; per_genre (when the figures hold it):
    for each genre, the clips of it the model got right (correct) of n, and how many clips it
    answered with that genre (answered), so a page can say both recall and precision."""
    figure = {"set": set_name, "n": model["n"], "correct": model["correct"],
              "accuracy": round(model["accuracy"], 4), "ci_low": round(model["ci_low"], 4),
              "ci_high": round(model["ci_high"], 4), "macro_f1": round(model["macro_f1"], 4),
              "date": date}
    if model.get("per_genre"):
        figure["per_genre"] = {g: {"correct": int(v["correct"]), "n": int(v["n"]),
                                   "answered": int(v.get("answered", 0))}
                               for g, v in model["per_genre"].items()}
    return figure


def write_cards(entries: list, data: dict, set_name: str, date: str) -> list[Path]:
    """Record each shipped model's figure in its card.json (atomic write); the cards written."""
    by_label = {m["label"]: m for m in data["models"]}
    written = []
    for entry in entries:
        if not entry.shipped or entry.label not in by_label:
            continue
        path = entry.path / persistence.CARD_NAME
        card = json.loads(path.read_text())
        card["outside"] = card_figure(by_label[entry.label], set_name, date)
        persistence.write_json(path, card)
        persistence.load_card(entry.path, verify=True)   # still a valid, verified run
        written.append(path)
    return written


def time_cli(folder: Path, jobs: int) -> tuple[float, float, dict]:
    """Wall and CPU seconds (every process: the command, its workers) of `python -m core
    evaluate-folder folder --all --jobs N`, and its JSON; SystemExit when it fails."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "figures.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "core", "evaluate-folder", str(folder),
                               "--all", "--jobs", str(jobs), "--quiet", "--json", str(out)],
                              cwd=benchkit.PROJECT, capture_output=True, text=True)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"evaluate-folder failed:\n{done.stderr[-2000:]}")
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return wall, cpu, json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=benchkit.XD_DEV)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    parser.add_argument("--write-cards", action="store_true",
                        help="record each shipped model's figure in its card.json")
    parser.add_argument("--from-json", type=Path, help="take the figures from a JSON this "
                        "script wrote (no evaluation)")
    parser.add_argument("--cli", action="store_true", help="time the evaluate-folder command "
                        "(wall and CPU seconds of all its processes) instead")
    parser.add_argument("--date", default=time.strftime("%Y-%m-%d"))
    parser.add_argument("--set-name", default=SET_NAME)
    args = parser.parse_args(argv)
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        entries = [e for e in catalogue.available_models() if e.shipped]
        for path in write_cards(entries, data, args.set_name, args.date):
            print(f"card updated: {path}")
        return 0
    if not args.folder.is_dir():
        print(f"skipped: {args.folder} is absent (the real data is not on this machine)")
        return 0
    if args.cli:
        print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores seen, machine "
              f"reference {benchkit.machine_reference_ms():.0f} ms")
        wall, cpu, data = time_cli(args.folder, args.jobs)
        print(f"evaluate_folder_s: {wall:.1f} (n = {data['n']} clips, {len(data['models']) - 1} "
              f"models + answer, --jobs {args.jobs})\nevaluate_folder_cpu_s: {cpu:.1f} (all its "
              f"processes); on {args.jobs} idle cores at least {cpu / args.jobs:.1f} s")
        return 0
    entries = [e for e in catalogue.available_models() if e.shipped]
    print(f"{len(entries)} shipped models, {os.cpu_count()} cores seen, load average "
          f"{os.getloadavg()[0]:.1f}, machine reference {benchkit.machine_reference_ms():.0f} ms")
    began = time.perf_counter()
    result = outside.evaluate_folder(args.folder, entries, jobs=args.jobs, with_answer=True)
    wall = time.perf_counter() - began
    data = result.to_dict()
    for line in outside.table_lines(result):
        print(line)
    print("scoring time per model (s, in the main process; featurising runs in the workers): "
          + ", ".join(f"{m['label']} {m['scoring_s']:.1f}" for m in data["models"][:-1]))
    print(f"wall time: {wall:.1f} s for {result.n + len(result.bad)} clips × {len(entries)} "
          f"models, {args.jobs} featurising processes")
    if args.json:
        args.json.write_text(json.dumps({**data, "wall_s": wall}, indent=2))
    if args.write_cards:
        for path in write_cards(entries, data, args.set_name, args.date):
            print(f"card updated: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
