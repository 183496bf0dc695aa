"""Studies that chose a recipe: each script asks one question and prints its answer (see
research/README.md). Run them from the project root as modules: `python -m research.NAME`."""
