"""Command line: extract, train, ship, evaluate, predict, download, info, report (with progress
bars)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

from core import config, models as families
from core.constants import DEFAULT_SEED, GENRES, MAX_CLIP_SECONDS
from core.data.audio import AudioError
from core.cluster import ClusterError
from core.data.gtzan import DatasetError
from core.data.download import DownloadError
from core.features.kaggle_table import TableError
from core.models.persistence import ModelFileError
from core.report.text import ReportError
from core.data.splits import SplitError
from core.data.artists import ArtistIndexError
from core.models.fitting import TrainingError, TrainingStopped
from core.data.coverage import coverage
from core.models import persistence
from core.data.datasource import active_source
from core.features import study
from core.training import table_models
from core.training import config as train_config, events, recipes, runner
from core.constants import MODELS_DIR
from core.prediction import batch, outside
from core.prediction import catalogue
from core.data import download
from core.report import document
from core import cluster

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
MODEL_CHOICES: tuple[str, ...] = families.MODEL_KINDS   #: every registered model kind
FEATURE_CHOICES: tuple[str, ...] = tuple(families.FEATURE_KIND)


def _user_errors() -> tuple[type[Exception], ...]:
    """Exception types that mean bad input: printed as one clear line, exit code 1."""
    return (AudioError, DatasetError, ModelFileError, SplitError, FileNotFoundError, TableError,
            DownloadError, TrainingError, TrainingStopped, ReportError, ClusterError,
            ArtistIndexError, recipes.RecipeError)


def _print_source(source) -> None:
    """One line saying which data is in use (synthetic sets always say so) and its format(s)."""
    print(f"data: {source.label} ({len(source.tracks)} tracks, {source.format_text})")


def _print_coverage(source, splits: Path | None, features=None) -> None:
    """The source's coverage: clips per genre, split sides, ignored files (the skipped clips are
    in the feature summary printed before it)."""
    folder = splits or config.splits_path()
    for line in coverage(source, folder, features).lines(with_skipped=features is None):
        print(line)


def cmd_info(args: argparse.Namespace) -> int:
    """Print the data source and its coverage, folders, models and library versions."""
    source = active_source(args.data)
    _print_source(source)
    _print_coverage(source, args.splits)
    print(f"runs folder: {config.runs_dir()}\ncache folder: {config.cache_dir()}")
    print(f"split lists: {args.splits or config.splits_path() or 'not set (GENRELAB_SPLITS)'}")
    print("models:")
    for run in persistence.iter_runs():
        where = "shipped" if run.shipped else "your run"
        if run.card:
            print(f"  {run.path.name}  [{where}]  {run.card.get('name', run.card['model'])}")
        else:
            print(f"  {run.path.name}  [{where}]  unusable: {run.error}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in persistence.library_versions().items()))
    return EXIT_OK


def cmd_extract(args: argparse.Namespace) -> int:
    """Extract (and cache) the study's features for every track of the data source."""
    source = active_source(args.data)
    _print_source(source)
    kinds = args.kinds or list(study.FEATURE_KINDS)
    feature_set = study.extract_tracks(list(source.tracks), kinds=kinds, n_jobs=args.jobs,
                                          progress=not args.quiet,
                                          filter_noise=not args.no_filter)
    print(feature_set.summary())
    _print_coverage(source, args.splits, feature_set)
    return EXIT_OK


def _train_table(args: argparse.Namespace) -> int:
    """Train a whole-clip descriptor model from a Kaggle feature table."""
    if not args.table:
        print("error: descriptor models train from Kaggle's table: give --table "
              "features_30_sec.csv", file=sys.stderr)
        return EXIT_USAGE
    kind = args.model.split("_", 1)[1]
    run = table_models.train_table_model(args.table, kind, args.splits, args.seed, args.out)
    _print_card(persistence.load_card(run))
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Train one model of the study and save it as a run folder."""
    if args.model in families.TABLE_KINDS:
        if args.extra:
            print(f"error: --extra adds audio clips; {args.model} trains from Kaggle's feature "
                  "table (--table), which has no row for them", file=sys.stderr)
            return EXIT_USAGE
        return _train_table(args)
    if args.table:
        print(f"error: --table trains the descriptor models only; {args.model} trains on audio "
              "(--data). For the study's SVM/KNN baselines on Kaggle's table run "
              "`python -m research.table_baselines --table CSV`", file=sys.stderr)
        return EXIT_USAGE

    cfg = train_config.TrainConfig(
        model=args.model, feature=args.feature,   # None: the model's default feature
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
        patience=args.patience, note=args.note, genres=args.genres,
        class_weight=not args.no_class_weight,
        head=args.head, extra=list(args.extra or []), extra_weight=args.extra_weight,
        refit_all=args.refit_all,
        protocol=args.protocol or ("artist-filtered" if args.splits else "artist-grouped"
                                   if args.artists else "random-track"),
        splits_path=str(args.splits) if args.splits else None, seed=args.seed,
        artists_path=str(args.artists) if args.artists else None,
        split_seed=args.split_seed,
        data_path=str(args.data) if args.data else None, scheduler=args.scheduler,
        augment={"pitch_shift": not args.no_augment, "white_noise": not args.no_augment,
                 "slicing": not args.no_augment})
    run = runner.run_training(cfg, callbacks=[events.ProgressBar()] if not args.quiet else [],
                                output_root=args.out)
    _print_card(persistence.load_card(run))
    return EXIT_OK


def cmd_ship(args: argparse.Namespace) -> int:
    """Rebuild the shipped models from their recipes (models/recipes.json) into --out."""
    chosen = recipes.choose(recipes.read_recipes(args.recipes), args.only)
    command = " ".join(["python -m core ship", "--data", str(args.data), "--out", str(args.out)]
                       + (["--recipes", str(args.recipes)]
                          if Path(args.recipes) != recipes.RECIPES_FILE else [])
                       + (["--only", *args.only] if args.only else []))

    def done(recipe: recipes.Recipe, run: Path) -> None:
        print(f"{recipe.name}: {run}")

    recipes.ship(chosen, args.data, args.out, command,
                 callbacks=[events.ProgressBar()] if not args.quiet else [], on_done=done)
    print(f"{len(chosen)} model(s) written to {args.out}, each card recording the command and "
          "its recipe")
    return EXIT_OK


def _fmt(value: float | None) -> str:
    """A fraction as a percentage with one decimal, or n/a."""
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _print_card(card: dict) -> None:
    """Print a run's metrics with protocol, seed and n beside every number."""
    print(f"run: {card['path']}")
    print(f"model: {card.get('name', card['model'])}")
    data = card.get("data", {})
    print(f"data: {data.get('source', '?')}" + (" (synthetic)" if data.get("synthetic") else ""))
    if data.get("note"):
        print(f"note: {data['note']}")
    genres = card.get("genres") or list(GENRES)
    missing = [g for g in GENRES if g not in genres]
    print(f"genres: {', '.join(genres)}" + (f" ({len(genres)} of {len(GENRES)}; cannot answer "
                                            f"{', '.join(missing)})" if missing else ""))
    for note in card.get("genre_notes") or []:
        print(f"  genre note: {note}")
    for extra_set in data.get("extra") or []:
        per_genre = ", ".join(f"{g} {n}" for g, n in extra_set["clips_per_genre"].items())
        named = extra_set["n_clips"] - extra_set["unknown_artist"]
        print(f"extra set {extra_set['name']} (training side only): {extra_set['n_clips']} clips"
              f" ({per_genre}); artists named for {named}")
        for file, reason in extra_set.get("skipped") or []:
            print(f"  skipped {file}: {reason}")
    label = card["protocol"].get("label", card["protocol"].get("protocol", "?"))
    for head, sides in card["metrics"].items():
        for side, m in sides.items():
            if not isinstance(m, dict):
                continue
            proto = card["metrics"][head].get("random_protocol", label) if side.startswith(
                "random") else label
            print(f"  {head:8s} {side:12s} segment acc {_fmt(m['segment_accuracy'])} "
                  f"(n={m['n_segments']})  track acc {_fmt(m['track_accuracy'])} "
                  f"(n={m['n_tracks']})  macro-F1 {m['macro_f1']:.3f}  [{proto}]")


def _resolve_run(name: str) -> Path:
    """A run folder by path or by name inside the runs folder or models/."""
    for candidate in (Path(name), config.runs_dir() / name, MODELS_DIR / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no run folder named {name!r} in {config.runs_dir()} or models/")


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Check a saved run (files and checksums) and print its test metrics."""
    card = persistence.load_card(_resolve_run(args.run))
    if args.json:
        print(json.dumps(card["metrics"], indent=2))
    else:
        _print_card(card)
    return EXIT_OK


def _print_clip_detail(row, top: int) -> None:
    """One clip's verdict model by model, with the top genres' probabilities as bars."""
    result = row.prediction
    print(f"clip: {row.name} ({result.duration_s:.1f} s, {len(result.segment_starts_s)} segments)")
    if result.excerpt:
        print(f"analysed: {result.excerpt} (longer files are cut to their first "
              f"{MAX_CLIP_SECONDS / 60:.0f} minutes)")
    for label, reason in result.failed:
        print(f"{label}: could not score the clip: {reason}")
    for res in result.results:
        print(f"{res.label}: {res.genre}")
        for genre, p in list(res.proba_by_genre().items())[:top]:
            print(f"  {genre:10s} {100 * p:5.1f} %  {'#' * int(round(30 * p))}")
        if res.cannot_answer:
            print(f"  (trained on {len(res.genres)} genres; cannot answer "
                  f"{', '.join(res.cannot_answer)})")
        if res.tags:
            print("  the network's own tags: "
                  + ", ".join(f"{tag} {100 * p:.0f} %" for tag, p in res.tags))


def _verdict_line(row) -> str:
    """One line for one clip: its genre (or the consensus and each model's genre), or why not."""
    if row.error is not None:
        return f"{row.name}: error: {row.error}"
    results = row.prediction.results
    failed = [f"{label}: failed ({reason})" for label, reason in row.prediction.failed]
    if not results:
        return f"{row.name}: error: no model could score it; " + "; ".join(failed)
    if len(results) == 1 and not failed:
        r = results[0]
        return f"{row.name}: {r.genre} ({100 * r.clip_proba.max():.0f} %, {r.label})"
    genre, agree = row.consensus
    verdicts = [f"{r.label}: {r.genre} {100 * r.clip_proba.max():.0f} %" for r in results]
    return (f"{row.name}: {genre} ({agree} of {len(results)} models) | "
            + "; ".join(verdicts + failed))


def clip_line(row) -> str:
    """One line for one clip (_verdict_line), with the part analysed of a longer file."""
    line = _verdict_line(row)
    excerpt = row.prediction.excerpt if row.prediction is not None else ""
    return f"{line} [analysed: {excerpt}]" if excerpt else line


def cmd_predict(args: argparse.Namespace) -> int:
    """Genres of clips (files, folders searched recursively, zips) from the best model or all."""
    import os

    from tqdm.auto import tqdm

    chosen = chosen_models(args)
    if not chosen:
        return EXIT_ERROR
    inputs = batch.limit_files(batch.from_paths(args.paths))
    usable = sum(item.usable for item in inputs)
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    single = len(inputs) == 1 and inputs[0].path is not None
    bar = tqdm(total=len(inputs), desc="predict", unit="clip", file=sys.stderr,
               disable=args.quiet or single)
    rows = []
    for row in batch.predict_many(inputs, chosen, jobs=min(jobs, max(usable, 1)),
                                  progress=lambda done, total, name: bar.update(1)):
        rows.append(row)
        if single and row.prediction is not None:
            _print_clip_detail(row, args.top)
        elif row.prediction is not None or not single:
            bar.write(clip_line(row), file=sys.stdout)
    bar.close()
    if args.csv:
        Path(args.csv).write_text(batch.to_csv(rows, [m.label for m in chosen]))
        print(f"table written to {args.csv} ({len(rows)} clips)")
    unusable = [row for row in rows if row.error is not None]
    if rows and len(unusable) == len(rows):
        first = unusable[0]
        more = f" (and {len(rows) - 1} other clips)" if len(rows) > 1 else ""
        print(f"error: {first.name}: {first.error}{more}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def chosen_models(args: argparse.Namespace) -> list:
    """The models --model / --all name (the best available one by default); [] after saying on
    stderr that none is trained; FileNotFoundError when --model names none."""
    models = catalogue.available_models()
    if args.model:
        models = [m for m in models if args.model in (m.path.name, str(m.path), m.run_id)]
        if not models:
            raise FileNotFoundError(f"no available model named {args.model!r}")
    if not models:
        print("error: no trained model available (train one with `python -m core train`)",
              file=sys.stderr)
        return []
    return list(models) if args.all else list(models[:1])


def cmd_evaluate_folder(args: argparse.Namespace) -> int:
    """Score the best model (or one, or all) on a folder laid out as <genre>/<clip>."""
    import os

    from tqdm.auto import tqdm

    try:
        scan = outside.scan_folder(args.path)
    except outside.OutsideError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    chosen = chosen_models(args)
    if not chosen:
        return EXIT_ERROR
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    bar = tqdm(total=len(scan.clips), desc="evaluate", unit="clip", file=sys.stderr,
               disable=args.quiet)
    result = outside.evaluate_folder(args.path, chosen, jobs=min(jobs, len(scan.clips)),
                                     with_answer=args.all,
                                     progress=lambda done, total, name: bar.update(1))
    bar.close()
    for line in outside.table_lines(result):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2))
        print(f"figures written to {args.json}")
    if result.n:   # Results › Outside GTZAN shows these figures instead of evaluating again
        outside.store(outside.cache_key(args.path, [m.run_id for m in chosen], args.all),
                      result.to_dict())
    if args.csv:
        Path(args.csv).write_text(outside.to_csv(result))
        print(f"table written to {args.csv} ({result.n} clips, {len(result.bad)} unusable)")
    if not result.n:
        print("error: no clip of the folder could be used (see the reasons above)",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def cmd_download(args: argparse.Namespace) -> int:
    """Download GTZAN (and the split lists), verify checksums and unpack safely."""
    target = Path(args.target).expanduser()
    if not args.splits_only:
        root = download.download_gtzan(target / "gtzan", url=args.url, sha256=args.sha256,
                                       progress=not args.quiet)
        print(f"GTZAN ready at {root}")
        config.save_setting("data_path", str(root))
    lists = download.download_splits(target / "splits", progress=not args.quiet)
    config.save_setting("splits_path", str(lists))
    print(f"split lists ready at {lists}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write one self-contained HTML report of the chosen runs; damaged ones are named and left out."""
    names = list(args.runs)
    if args.all:
        names += [str(run.path) for run in persistence.iter_runs()]
    elif args.all_shipped:
        names += document.shipped_run_names()
    if not names:
        print("error: name at least one run (its folder or run id), or give --all-shipped or "
              "--all", file=sys.stderr)
        return EXIT_USAGE
    outside = None
    if args.outside:
        try:
            outside = json.loads(Path(args.outside).read_text())
        except (OSError, ValueError) as exc:
            raise ReportError(f"--outside {args.outside}: not a readable evaluate-folder JSON "
                              f"({exc})") from exc
        if not isinstance(outside, dict) or not isinstance(outside.get("models"), list):
            raise ReportError(f"--outside {args.outside}: not an evaluate-folder JSON (no "
                              "'models' list)")
    result = document.make_report(names, args.out, title=args.title or document.REPORT_TITLE,
                                  outside=outside)
    size = result.path.stat().st_size
    print(f"report: {result.path} ({len(result.runs)} run(s), {size / 1e6:.1f} MB"
          + (f"; {len(result.left_out)} left out" if result.left_out else "") + ")")
    return EXIT_OK


def _positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_scheduler(p: argparse.ArgumentParser) -> None:
    """The --scheduler option (extract, train, predict)."""
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the parallel work on this Dask cluster (workers must see the data at "
                        "the same path); default: $GENRELAB_SCHEDULER or setting, else local "
                        "processes; 'local' forces local")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="python -m core", description=(
        "GenreLab headless: music-genre features, models and evaluation on GTZAN "
        "(the built-in synthetic demo set when no GTZAN folder is set)."))
    sub = parser.add_subparsers(dest="command", required=True)
    data_help = "GTZAN folder (either layout); default: $GENRELAB_DATA, setting, or the demo set"

    splits_help = ("folder of the artist-filtered split lists, for the coverage per side "
                   "(default: $GENRELAB_SPLITS or setting)")
    p = sub.add_parser("info", help="data source and its coverage, folders, models, versions")
    p.add_argument("--data", type=Path, help=data_help)
    p.add_argument("--splits", type=Path, help=splits_help)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("extract", help="extract and cache the study's features")
    p.add_argument("--data", type=Path, help=data_help)
    p.add_argument("--kinds", nargs="+", choices=("zcr", "mfcc_stats", "logmel", "mfcc_seq",
                                                  "extras"), help="feature kinds (default all)")
    p.add_argument("--jobs", type=int, default=-1, help="worker processes (default all cores)")
    p.add_argument("--no-filter", action="store_true", help="switch the noise high-pass off")
    p.add_argument("--splits", type=Path, help=splits_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_scheduler(p)
    p.set_defaults(func=cmd_extract, on_cluster=True)

    p = sub.add_parser("train", help="train a model of the study")
    p.add_argument("--model", required=True, choices=MODEL_CHOICES)
    p.add_argument("--feature", choices=FEATURE_CHOICES, help="input feature (default per model)")
    p.add_argument("--data", type=Path, help=data_help)
    p.add_argument("--table", type=Path, help="Kaggle features_30_sec.csv (descriptor models)")
    p.add_argument("--extra", action="append", metavar="[NAME=]PATH",
                   help="an extra labelled folder laid out as <genre>/<clip> (any audio format), "
                        "for the training side only, never validation or test; repeatable. Its "
                        "PROVENANCE.tsv, if any, names each clip's artist for the grouped folds")
    p.add_argument("--extra-weight", type=float, default=1.0, metavar="W",
                   help="sample weight of each extra clip (default 1; logistic head only)")
    p.add_argument("--refit-all", action="store_true",
                   help="after the test figures are measured, refit the logistic head on every "
                        "clip, test side included (the card says so; its figures stay those "
                        "measured before the refit)")
    p.add_argument("--splits", type=Path, help="folder of the artist-filtered split lists "
                                                "(default: random track split)")
    p.add_argument("--protocol", choices=train_config.PROTOCOLS,
                   help="how tracks are split: random-track (default), artist-filtered (the "
                        "lists of --splits) or artist-grouped (random, stratified by genre, each "
                        "artist on one side; the index of --artists)")
    p.add_argument("--artists", type=Path,
                   help="Sturm's artist index GTZANindex.txt, for --protocol artist-grouped "
                        "(default: $GENRELAB_ARTISTS or setting)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--patience", type=int, default=8,
                   help="epochs without validation-loss gain before early stopping")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--split-seed", type=int,
                   help="seed of the random track split, to vary the model's seed on one split "
                        "(default: --seed)")
    p.add_argument("--no-augment", action="store_true", help="2D-CNN without augmentation")
    p.add_argument("--head", choices=sorted({head for fam in families.FAMILIES
                                             for heads in fam.head_choices.values()
                                             for head in heads}),
                   help="musicnn, YAMNet, mn04: the head fitted on the embeddings (default svm)")
    p.add_argument("--genres", help="comma-separated genres to train and evaluate on, e.g. "
                                    "blues,classical,jazz,rock (default: every genre with clips)")
    p.add_argument("--no-class-weight", action="store_true",
                   help="do not weight classes by inverse frequency on unbalanced data")
    p.add_argument("--out", type=Path, help="where to save the run (default: runs folder)")
    p.add_argument("--note", help="a sentence about the data, kept on the model's card")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_scheduler(p)   # passed on in the TrainConfig: run_training connects
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("ship", help="rebuild the shipped models from their recipes "
                                    "(models/recipes.json)")
    p.add_argument("--data", type=Path, required=True,
                   help="the folder the recipes' data paths are relative to (e.g. ../shared/data)")
    p.add_argument("--out", type=Path, required=True, help="where to write the models")
    p.add_argument("--recipes", type=Path, default=recipes.RECIPES_FILE,
                   help="the recipe list (default: models/recipes.json)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="only these recipes (by name)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ship)

    p = sub.add_parser("evaluate", help="check a saved run and print its metrics")
    p.add_argument("run", help="run folder, or its name in the runs folder or models/")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="genres of audio files, folders or zips of clips")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="audio file (wav, au, mp3, ogg, flac; at least 3 s), folder (searched "
                        "recursively) or zip of audio files")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--model", help="run folder name (default: the best available model)")
    which.add_argument("--all", action="store_true", help="every available model")
    p.add_argument("--csv", type=Path, help="write one row per clip (genre and probability of "
                                            "each model, consensus, error) to this CSV file")
    p.add_argument("--jobs", type=_positive_int, help="processes decoding and featurising "
                                                     "clips (default: all cores)")
    p.add_argument("--top", type=int, default=10, help="genres to print per model (one clip)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_scheduler(p)
    p.set_defaults(func=cmd_predict, on_cluster=True)

    p = sub.add_parser("evaluate-folder", help="score models on a labelled folder from "
                                               "outside GTZAN (<genre>/<clip>)")
    p.add_argument("path", metavar="PATH", help="folder of genre folders (blues/, Hip-Hop/, "
                                                "rap/ ...), each holding audio clips")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--model", help="run folder name (default: the best available model)")
    which.add_argument("--all", action="store_true",
                       help="every available model, and the headline answer as one more row")
    p.add_argument("--csv", type=Path, help="write one row per clip (its genre, each model's "
                                            "answer, error) to this CSV file")
    p.add_argument("--json", type=Path, help="write the figures (accuracy with its 95 %% Wilson "
                                             "interval, n, macro-F1, per genre) as JSON")
    p.add_argument("--jobs", type=_positive_int, help="processes decoding and featurising "
                                                     "clips (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_scheduler(p)
    p.set_defaults(func=cmd_evaluate_folder, on_cluster=True)

    p = sub.add_parser("download", help="download GTZAN and the split lists (internet needed)")
    p.add_argument("--target", default=str(Path.home() / "genrelab-data"), help="folder")
    p.add_argument("--url", help="archive URL (default from settings)")
    p.add_argument("--sha256", help="archive SHA-256 (default from settings)")
    p.add_argument("--splits-only", action="store_true", help="only the split lists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_download)

    p = sub.add_parser("report", help="one self-contained HTML report of chosen runs")
    p.add_argument("runs", nargs="*", metavar="RUN",
                   help="run folder, or its name / run id in the runs folder or models/")
    p.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    p.add_argument("--all-shipped", action="store_true", help="add every shipped model (models/)")
    p.add_argument("--all", action="store_true", help="add every run: yours and the shipped ones")
    p.add_argument("--title", help="the report's title")
    p.add_argument("--outside", metavar="JSON",
                   help="an `evaluate-folder --json` file: its figures form the report's Outside "
                        "GTZAN section (without it, the figures the runs' cards record)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 bad input/error, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        if getattr(args, "on_cluster", False):   # joblib work inside runs on the cluster, if set

            with cluster.joblib_backend(cluster.resolve(args.scheduler)):
                return handler(args)
        return handler(args)
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
