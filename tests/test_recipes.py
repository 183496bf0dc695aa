"""The shipped models' recipes (core/training/recipes.py, models/recipes.json) and `python -m core
ship`, which rebuilds models from them and records the command and the recipe in each card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import cli
from core.constants import MODELS_DIR
from core.data import demo
from core.training import recipes

#: cheap recipes on the tiny demo set: 30 six-second clips, 10 test tracks
SMALL = [
    {"name": "svm-mfcc", "model": "svm", "feature": "mfcc", "data": "demo",
     "protocol": "random-track", "seed": 42, "split_seed": 42,
     "settings": {"test_size": 0.34, "valid_size": 0.0, "n_jobs": 1},
     "note": "synthetic demo clips", "chosen_by": "the study's recipe"},
    {"name": "knn-zcr-3", "model": "knn", "feature": "zcr", "data": "demo",
     "protocol": "random-track", "seed": 7, "genres": ["blues", "classical", "metal"],
     "settings": {"test_size": 0.34, "valid_size": 0.0, "n_jobs": 1},
     "chosen_by": "a test of three genres"},
]


@pytest.fixture
def demo_data(tmp_path: Path) -> Path:
    """A data root holding the tiny demo set as demo/, and the recipe list of SMALL."""
    demo.write_demo_set(tmp_path / "data" / "demo", per_genre=3, seconds=6)
    (tmp_path / "recipes.json").write_text(json.dumps({"recipes": SMALL}))
    return tmp_path


def test_ship_rebuilds_a_small_set_and_each_card_records_its_recipe(demo_data: Path,
                                                                    capsys) -> None:
    out = demo_data / "models"
    code = cli.main(["ship", "--data", str(demo_data / "data"), "--out", str(out),
                     "--recipes", str(demo_data / "recipes.json"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    cards = [json.loads((run / "card.json").read_text())
             for run in sorted(out.iterdir()) if (run / "card.json").is_file()]
    assert len(cards) == len(SMALL)
    by_name = {c["recipe"]["name"]: c for c in cards}
    for asked in SMALL:
        card = by_name[asked["name"]]
        recipe = recipes.recipe_from_dict(asked)
        assert card["recipe"] == {"command": card["recipe"]["command"], **recipe.to_dict()}
        assert card["recipe"]["command"].startswith(
            f"python -m core ship --data {demo_data / 'data'} --out {out}")
        assert (card["model"], card["feature"]) == (asked["model"], asked["feature"])
        assert card["config"]["seed"] == asked["seed"]
        assert card["protocol"]["protocol"] == asked["protocol"]
        assert card["genres"] == asked.get("genres", card["genres"])
        assert card["data"]["synthetic"] is True
    assert by_name["knn-zcr-3"]["genres"] == ["blues", "classical", "metal"]
    assert by_name["svm-mfcc"]["config"]["note"] == "synthetic demo clips"


def test_ship_only_one_recipe(demo_data: Path) -> None:
    out = demo_data / "models"
    assert cli.main(["ship", "--data", str(demo_data / "data"), "--out", str(out), "--recipes",
                     str(demo_data / "recipes.json"), "--only", "svm-mfcc", "--quiet"]) == 0
    (run,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    card = json.loads((run / "card.json").read_text())
    assert card["recipe"]["name"] == "svm-mfcc"
    assert card["recipe"]["command"].endswith("--only svm-mfcc")


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "unknown key"),
    ({"model": "gramophone"}, "unknown model kind"),
    ({"data": "no-such-folder"}, "does not exist"),
    ({"chosen_by": ""}, "lacks chosen_by"),
])
def test_a_bad_recipe_is_one_clear_error(demo_data: Path, capsys, change: dict,
                                         message: str) -> None:
    (demo_data / "bad.json").write_text(json.dumps({"recipes": [{**SMALL[0], **change}]}))
    code = cli.main(["ship", "--data", str(demo_data / "data"), "--out",
                     str(demo_data / "models"), "--recipes", str(demo_data / "bad.json")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_the_recipe_list_describes_the_shipped_models_as_their_cards_say() -> None:
    """models/recipes.json names every shipped model once, and each recipe says what its card
    records: kind, feature, head, data, protocol, seeds, genres and every other setting."""
    listed = recipes.read_recipes()
    shipped = {p.name: json.loads((p / "card.json").read_text())
               for p in MODELS_DIR.iterdir() if (p / "card.json").is_file()}
    assert sorted(r.shipped_run for r in listed) == sorted(shipped)
    for recipe in listed:
        card = shipped[recipe.shipped_run]
        config = card["config"]
        assert card["model"] == recipe.model and recipe.chosen_by
        assert card["protocol"]["protocol"] == recipe.protocol
        assert config["seed"] == recipe.seed
        if recipe.trains_from_table:
            assert Path(recipe.data).name == config["table"]
            continue
        assert (config["feature"], config.get("head")) == (recipe.feature, recipe.head)
        assert config.get("split_seed") == recipe.split_seed
        assert config["genres"] == (list(recipe.genres) if recipe.genres else None)
        assert Path(config["data_path"]).name == recipe.data
        assert (Path(config["splits_path"]).name if config["splits_path"] else None) == \
            recipe.splits
        assert config.get("note") == recipe.note
        for key, value in recipe.settings.items():
            assert config[key] == value, f"{recipe.name}: {key}"
