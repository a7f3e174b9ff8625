"""The apps depend one way: grading builds on courses, and courses never imports grading."""

import ast
from pathlib import Path

from django.conf import settings


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at any depth (a function-local import counts too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_courses_never_imports_grading():
    courses = Path(settings.BASE_DIR) / "courses"
    upward = [
        f"{path.relative_to(settings.BASE_DIR)}:{line} imports {module}"
        for path in sorted(courses.rglob("*.py")) if "tests" not in path.parts
        for line, module in _imports(path)
        if module == "grading" or module.startswith("grading.")
    ]
    assert upward == []


def test_the_walk_sees_function_local_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def view():\n    from grading.selectors import x\n    return x\n")
    assert _imports(sample) == [(2, "grading.selectors")]
