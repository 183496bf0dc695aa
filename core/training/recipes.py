"""The shipped models' recipes and the command that rebuilds them: `python -m core ship`.

A recipe is everything one shipped model is trained from: the model kind (any registered kind),
its feature and head, the data (folders relative to the data root given to `ship`, extra
folders included), the split protocol, seeds and genres, any other training setting, and in
words how the recipe was chosen. The list lives in one file, models/recipes.json; `ship` trains
each recipe into the output folder and records the command and the recipe in the run's card.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from core import models
from core.constants import MODELS_DIR
from core.models import persistence
from core.models.fitting import Callback
from core.training import runner, table_models
from core.training.config import TrainConfig

RECIPES_FILE: Path = MODELS_DIR / "recipes.json"   #: the shipped models' recipes
RECIPE_CARD_KEY = "recipe"                         #: where a card written by ship keeps its recipe


class RecipeError(ValueError):
    """A recipe list that cannot be used (unreadable file, unknown key, missing data); the
    message says which recipe and why."""


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is made. Paths (data, extra, splits, artists, table) are relative
    to the data root given to `ship` (or absolute)."""
    name: str                           #: a short unique name, e.g. "svm-mfcc"
    model: str                          #: a registered model kind (core.models.MODEL_KINDS)
    data: str                           #: the audio folder, or Kaggle's table for table models
    protocol: str                       #: random-track | artist-filtered | artist-grouped
    seed: int
    chosen_by: str                      #: how this recipe was chosen, in words
    feature: str | None = None          #: None: the model's default feature
    head: str | None = None             #: None: the family's default head
    extra: tuple[str, ...] = ()         #: more training folders (only where the trainer takes them)
    splits: str | None = None           #: folder of the artist-filtered lists
    artists: str | None = None          #: Sturm's artist index (artist-grouped protocol)
    split_seed: int | None = None
    genres: tuple[str, ...] | None = None
    settings: dict = field(default_factory=dict)   #: any other TrainConfig field
    note: str | None = None             #: a sentence about the data, kept on the card
    shipped_run: str | None = None      #: the run id in models/ this recipe describes

    def to_dict(self) -> dict:
        """JSON-ready dict of every field (tuples as lists)."""
        out = asdict(self)
        out["extra"] = list(self.extra)
        out["genres"] = list(self.genres) if self.genres is not None else None
        return out

    @property
    def trains_from_table(self) -> bool:
        """True for the models fitted on Kaggle's descriptor table rather than on audio."""
        return self.model in models.TABLE_KINDS

    def train_config(self, root: Path) -> TrainConfig:
        """The TrainConfig of this recipe with its paths under root; RecipeError (or the
        trainer's TrainingError) when it cannot be made."""
        data: dict[str, Any] = {
            "model": self.model, "feature": self.feature, "head": self.head,
            "protocol": self.protocol, "seed": self.seed, "split_seed": self.split_seed,
            "genres": list(self.genres) if self.genres else None, "note": self.note,
            "data_path": str(_under(root, self.data, self.name)),
            "splits_path": str(_under(root, self.splits, self.name)) if self.splits else None,
            "artists_path": str(_under(root, self.artists, self.name)) if self.artists else None,
            **self.settings,
        }
        if self.extra:   # only a trainer that knows extra folders accepts the key
            data["extra"] = [str(_under(root, e, self.name)) for e in self.extra]
        return TrainConfig.from_dict(data)


FIELDS: tuple[str, ...] = tuple(Recipe.__dataclass_fields__)


def _under(root: Path, relative: str, recipe: str) -> Path:
    """root / relative (or relative itself when absolute), which must exist."""
    path = Path(relative).expanduser()
    path = path if path.is_absolute() else Path(root) / path
    if not path.exists():
        raise RecipeError(f"recipe {recipe!r}: {path} does not exist (give the folder holding "
                          f"{relative!r} as --data)")
    return path


def recipe_from_dict(data: dict) -> Recipe:
    """A Recipe from its JSON form; RecipeError naming unknown or missing keys or a bad kind."""
    if not isinstance(data, dict):
        raise RecipeError(f"a recipe must be a JSON object, not {type(data).__name__}")
    name = str(data.get("name") or "?")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise RecipeError(f"recipe {name!r}: unknown key(s) {unknown}; known: {list(FIELDS)}")
    missing = [k for k in ("name", "model", "data", "protocol", "seed", "chosen_by")
               if data.get(k) in (None, "")]
    if missing:
        raise RecipeError(f"recipe {name!r} lacks {', '.join(missing)}")
    if data["model"] not in models.MODEL_KINDS:
        raise RecipeError(f"recipe {name!r}: unknown model kind {data['model']!r}; choose one "
                          f"of {list(models.MODEL_KINDS)}")
    fields = dict(data)
    fields["extra"] = tuple(fields.get("extra") or ())
    if fields.get("genres") is not None:
        fields["genres"] = tuple(fields["genres"])
    fields["settings"] = dict(fields.get("settings") or {})
    return Recipe(**fields)


def read_recipes(path: str | Path = RECIPES_FILE) -> list[Recipe]:
    """The recipes of a recipe file ({"recipes": [...]}); RecipeError when it cannot be used."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RecipeError(f"{path}: cannot be read as a recipe list ({exc})") from exc
    items = data.get("recipes") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise RecipeError(f"{path}: no recipe (expected {{\"recipes\": [...]}})")
    recipes = [recipe_from_dict(item) for item in items]
    names = [r.name for r in recipes]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RecipeError(f"{path}: recipe name(s) used twice: {twice}")
    return recipes


def choose(recipes: Sequence[Recipe], names: Sequence[str] | None) -> list[Recipe]:
    """The recipes named (all when names is empty or None), in the file's order."""
    if not names:
        return list(recipes)
    known = {r.name for r in recipes}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RecipeError(f"no recipe named {unknown}; the list holds {sorted(known)}")
    return [r for r in recipes if r.name in names]


def train_recipe(recipe: Recipe, root: Path, out: Path,
                 callbacks: Sequence[Callback] = ()) -> Path:
    """Train one recipe into out; the run folder."""
    if recipe.trains_from_table:
        splits = _under(root, recipe.splits, recipe.name) if recipe.splits else None
        kind = recipe.model.split("_", 1)[1]
        return table_models.train_table_model(_under(root, recipe.data, recipe.name), kind,
                                              splits, recipe.seed, out)
    return runner.run_training(recipe.train_config(root), callbacks=callbacks, output_root=out)


def record_recipe(run_dir: Path, recipe: Recipe, command: str) -> dict:
    """Write the command and the recipe into the run's card (RECIPE_CARD_KEY); the card."""
    card = persistence.read_card_json(run_dir)
    card[RECIPE_CARD_KEY] = {"command": command, **recipe.to_dict()}
    persistence.write_json(Path(run_dir) / persistence.CARD_NAME, card)
    return card


def ship(recipes: Sequence[Recipe], root: Path, out: Path, command: str,
         callbacks: Sequence[Callback] = (),
         on_done: Callable[[Recipe, Path], None] | None = None) -> list[Path]:
    """Train every recipe from the data under root into out, each card recording the command
    and its recipe; the run folders, in the recipes' order. on_done(recipe, run) after each."""
    root, out = Path(root).expanduser(), Path(out).expanduser()
    if not root.is_dir():
        raise RecipeError(f"{root}: no such data folder")
    runs = []
    for recipe in recipes:
        run = train_recipe(recipe, root, out, callbacks)
        record_recipe(run, recipe, command)
        runs.append(run)
        if on_done is not None:
            on_done(recipe, run)
    return runs
