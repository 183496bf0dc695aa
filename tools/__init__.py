"""Checks of GenreLab against reference implementations (the oracles); run from the project root
as modules: `python -m tools.NAME` (see README.md, "Benchmarks, studies and tools")."""
