"""Notebooks in a folder tree laid out as nbgrader's source/ folder: one numbered folder per module.

`modules/source/03_activations/activations_dev.py` beside a `module.yaml` whose `title` names the module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from courses.notebooks.parse import max_bytes

# A jupytext percent-format cell marker at the start of a line: what makes a .py file a notebook.
_PERCENT_CELL = re.compile(rb"^# %%", re.M)
_SKIPPED_FOLDERS = {"__pycache__", ".ipynb_checkpoints", "node_modules"}
_NBGRADER_STEPS = {"release", "submitted", "autograded", "feedback"}
MODULE_YAML_MAX = 64_000


def notebooks_under(root: Path, say: Callable[[str], object]) -> list[Path]:
    """Every notebook below `root`, in path order: .ipynb files and .py files with percent-format cells.

    Hidden folders, checkpoints and caches are not entered, nor are nbgrader's release/, submitted/,
    autograded/ and feedback/ beside its source/ (students' copies, not the course's questions; say so).
    A .py beside an .ipynb of the same name is its jupytext pair: the .py (the source TinyTorch edits)
    is taken and the .ipynb skipped, saying so.
    """
    found = []
    for folder, subfolders, names in os.walk(root):
        here = Path(folder)
        kept = []
        for name in sorted(subfolders):
            if name.startswith(".") or name in _SKIPPED_FOLDERS:
                continue
            if name in _NBGRADER_STEPS and (here / "source").is_dir():
                say(f"{here / name}: skipped, nbgrader's {name}/ folder (only source/ holds the questions)")
                continue
            kept.append(name)
        subfolders[:] = kept
        before = len(found)
        for name in sorted(names):
            path = here / name
            suffix = path.suffix.lower()
            if name.startswith(".") or not path.is_file():
                continue
            if suffix == ".ipynb":
                pair = path.with_suffix(".py")
                if pair.is_file() and _is_percent_notebook(pair):
                    say(f"{path}: skipped, paired with {pair.name}")
                    continue
                found.append(path)
            elif suffix == ".py" and _is_percent_notebook(path):
                found.append(path)
        if "module.yaml" in names and len(found) == before:
            say(f"{here}: skipped, a module folder without notebooks")
    return sorted(found)


def _is_percent_notebook(path: Path) -> bool:
    with path.open("rb") as handle:
        return bool(_PERCENT_CELL.search(handle.read(max_bytes() + 1)))


def module_yaml_title(folder: Path) -> str:
    """The `title` of the module.yaml in `folder`, read with yaml's safe loader; "" when there is none."""
    path = folder / "module.yaml"
    if not path.is_file() or path.stat().st_size > MODULE_YAML_MAX:
        return ""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return ""
    title = data.get("title") if isinstance(data, dict) else None
    if not isinstance(title, str) or "\x00" in title:
        return ""
    return " ".join(title.split())
