"""The docs match the code: every module, file and command module named in README's "How it is
built" (and the sections after it) and in docs/ARCHITECTURE.md exists, and no file names an issue
number (a reader of the repository cannot look one up: the text says what the question was)."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILE_SUFFIXES = (".py", ".md", ".json", ".toml", ".js", ".txt", ".html")


def _built_section() -> str:
    """README from "## How it is built" to its end (the layout, then benchmarks, studies, tools)."""
    text = (ROOT / "README.md").read_text()
    assert "## How it is built" in text
    return text[text.index("## How it is built"):]


def _architecture() -> str:
    return (ROOT / "docs" / "ARCHITECTURE.md").read_text()


DOCS = {"README.md (How it is built)": _built_section, "docs/ARCHITECTURE.md": _architecture}


def _paragraphs(text: str) -> list[str]:
    """Paragraphs and list items (a line starting with "- " opens a new one)."""
    out, current = [], []
    for line in text.splitlines():
        if not line.strip() or re.match(r"\s*- ", line) or line.startswith("#"):
            if current:
                out.append(" ".join(current))
            current = [] if not line.strip() or line.startswith("#") else [line]
        else:
            current.append(line)
    if current:
        out.append(" ".join(current))
    return out


def _tokens(paragraph: str) -> list[str]:
    return re.findall(r"`([^`]+)`", paragraph)


def _path_exists(token: str) -> bool:
    """A repository path (a glob allowed), or a bare file name found somewhere in the tree."""
    token = token.rstrip("/")
    if "/" in token:
        return any(ROOT.glob(token)) if "*" in token else (ROOT / token).exists()
    return any(p for p in ROOT.rglob(token) if ".git" not in p.parts)


def _module_exists(dotted: str) -> bool:
    """A module of the project, or a name defined in one (core.config.require_owner)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            continue
        if cut == len(parts):
            return True
        obj = importlib.import_module(name)
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _defined_in(folder: Path, name: str) -> bool:
    """name is a module of folder, or a function, class or field defined in one of its modules."""
    if (folder / f"{name}.py").is_file() or (folder / name).is_dir():
        return True
    pattern = re.compile(rf"^\s*(def|class)\s+{name}\b|^\s*{name}\s*[:=]", re.M)
    return any(pattern.search(p.read_text()) for p in folder.glob("*.py"))


def _problems(text: str) -> list[str]:
    """What a text names that the tree does not hold."""
    bad = []
    for paragraph in _paragraphs(text):
        tokens = _tokens(paragraph)
        # a paragraph that opens with a folder ("**Data** (`core/data/`)", "- `pages/` ...")
        # lists that folder's modules by their bare names
        folders = tokens[:1] if tokens and re.fullmatch(r"[\w.-]+(/[\w.-]+)*/", tokens[0]) \
            and (ROOT / tokens[0]).is_dir() else []
        for token in tokens:
            for module in re.findall(r"python -m ([\w.]+)", token):
                if not module.split(".")[-1].isupper() and not _module_exists(module):
                    bad.append(f"python -m {module}")
            if " " in token:
                continue
            if re.fullmatch(r"[\w.*-]+(/[\w.*<>-]*)+", token) and "<" not in token:
                if not _path_exists(token):
                    bad.append(token)
            elif token.endswith(FILE_SUFFIXES) and re.fullmatch(r"[\w.-]+", token):
                if not _path_exists(token):
                    bad.append(token)
            elif re.fullmatch(r"core(\.\w+)+", token):
                if not _module_exists(token):
                    bad.append(token)
            elif re.fullmatch(r"[a-z_][a-z0-9_]*", token) and len(folders) == 1:
                if not _defined_in(ROOT / folders[0], token):
                    bad.append(f"{token} (in {folders[0]})")
    return bad


@pytest.mark.parametrize("name", list(DOCS))
def test_every_module_and_path_the_docs_name_exists(name: str) -> None:
    assert _problems(DOCS[name]()) == []


def test_the_architecture_diagram_names_real_modules() -> None:
    """The diagram's module lists (words joined by ·) are modules of prediction or training."""
    block = _architecture().split("```")[1]
    words = [w for line in block.splitlines() if "·" in line
             for w in re.findall(r"[a-z_]+", line)]
    assert len(words) > 10
    missing = [w for w in words if not any((ROOT / "core" / layer / f"{w}.py").is_file()
                                           for layer in ("prediction", "training"))]
    assert missing == []


def test_the_check_catches_a_module_that_does_not_exist() -> None:
    """The README's old layout named modules at the top of core/ that moved into packages."""
    old = ("- `core/` is the engine: `core/dataset.py`, `core.deep`, `core.table_models`.\n"
           "- `core/data/`: `audio`, `gtzan`, `musicnn`.\n"
           "- `bench/`: `python -m research.no_such_study`.\n")
    assert _problems(old) == ["core/dataset.py", "core.deep", "core.table_models",
                              "musicnn (in core/data/)", "python -m research.no_such_study"]


def test_no_file_names_an_issue_number() -> None:
    """Docstrings, comments and docs say what the question was, not which issue asked it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout with git installed: the tracked files cannot be listed")
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                            check=True).stdout.decode().split("\0")
    pattern = re.compile(r"\bissue[ _#-]*\d|\bissue\d", re.I)
    found = []
    for name in filter(None, listed):
        path = ROOT / name
        if not path.is_file() or path.suffix in (".png", ".keras", ".skops", ".npz", ".ogg"):
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []
