"""Notebook import at course scale: 20 module files of 5 questions each, through the import command.

Run `python bench/notebook_import.py [--modules 20] [--questions 5] [--repeat 3]`. It writes the
files (percent-format .py in the seed's nbgrader layout, with math, code fences and emoji) to a
temporary directory, then times `import_notebook` on all of them at once into an empty course:
reading, parsing, planning and writing. It also times a re-import (every question unchanged), a
dry run, and a re-import with one word changed per question (every question updated). It measures
a throwaway SQLite file and, when DATABASE_URL points at PostgreSQL, a throwaway database
`reflect_bench_notebooks` on that server (dropped afterwards). Target: the first import well under
10 s. Figures are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import measure_databases

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_notebooks"
ROWS = [
    ("first", "first import, all created (s)"),
    ("unchanged", "re-import, all unchanged (s)"),
    ("dry_run", "dry run (s)"),
    ("updated", "re-import, all updated (s)"),
]

TASK = '''# %% [markdown] nbgrader={task_meta}
"""
### Question {q}: Cost of activation {m}.{q} 🚀

**Context:** Your ReLU uses `np.maximum(0, x)`; Softmax needs $e^{{z_i}} / \\sum_j e^{{z_j}}$.

```python
def relu(x):
    return np.maximum(0, x)
```

**Question:** {word} How does the cost of ReLU compare with Softmax in module {m}, question {q}?

**Expected Response:** 150-300 words on cost, memory and kernels.
"""

# %% [markdown] nbgrader={response_meta}
"""
=== BEGIN MARK SCHEME ===
GRADING CRITERIA (10 points total):

EXCELLENT (9-10 points):
- Deep, specific, technically accurate

GOOD (7-8 points):
- Accurate with some depth

SATISFACTORY (5-6 points):
- Basic understanding

NEEDS IMPROVEMENT (1-4 points):
- Minimal understanding

NO CREDIT (0 points):
- No response
=== END MARK SCHEME ===

**Your Response:**
[Student writes their analysis here - this cell will be editable by students]
"""

'''


def _cells(m: int, q: int, word: str) -> str:
    task = {"grade": False, "grade_id": f"m{m}-task-{q}", "locked": True, "schema_version": 3, "solution": False,
            "task": True}
    response = {"grade": True, "grade_id": f"m{m}-response-{q}", "locked": False, "schema_version": 3,
                "solution": True, "task": False, "points": 10}
    return TASK.format(m=m, q=q, word=word, task_meta=json.dumps(task), response_meta=json.dumps(response))


def write_files(directory: Path, modules: int, questions: int, word: str) -> list[str]:
    directory.mkdir()
    paths = []
    for m in range(1, modules + 1):
        path = directory / f"{m:02d}_module-{m}.py"
        path.write_text("".join(_cells(m, q, word) for q in range(1, questions + 1)), encoding="utf-8")
        paths.append(str(path))
    return paths


def measure(modules: int, questions: int, repeat: int) -> dict:
    """Runs inside the child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from courses.models import Course, Question

    call_command("migrate", verbosity=0)
    results: dict = {"first": [], "unchanged": [], "dry_run": [], "updated": []}

    def timed(key: str, *args: str) -> None:
        started = time.perf_counter()
        call_command("import_notebook", *args, stdout=io.StringIO())
        results[key].append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as directory:
        original = write_files(Path(directory) / "original", modules, questions, "Briefly:")
        edited = write_files(Path(directory) / "edited", modules, questions, "In short:")
        for run in range(repeat):
            slug = f"bench-{run}"
            Course.objects.create(slug=slug, title=f"Bench {run}")
            timed("first", *original, "--course", slug)
            timed("unchanged", *original, "--course", slug)
            timed("dry_run", *edited, "--course", slug, "--dry-run")
            timed("updated", *edited, "--course", slug)
        created = Question.objects.filter(module__course__slug="bench-0").count()
        updated = Question.objects.filter(module__course__slug="bench-0", prompt__startswith="In short:").count()
    if updated != created:
        raise SystemExit(f"the edited re-import updated {updated} of {created} questions")
    summary = {key: statistics.median(values) for key, values in results.items()}
    summary["questions"] = created
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="Fresh courses imported into; the median is shown.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.modules, args.questions, args.repeat)))
        return

    argv = ["--modules", str(args.modules), "--questions", str(args.questions), "--repeat", str(args.repeat)]
    results = measure_databases(__file__, argv, postgres_name=BENCH_DB,
                                announce=f"importing {args.modules} files × {args.questions} questions…")

    count = results["SQLite"]["questions"]
    print(f"\nimport_notebook on {args.modules} files, {count} questions in all "
          f"(median of {args.repeat} runs into fresh courses)")
    print(f"{'':34} {'SQLite':>10} {'PostgreSQL':>12}")
    for key, label in ROWS:
        cells = [f"{results[db][key]:.2f}" if db in results else "—" for db in ("SQLite", "PostgreSQL")]
        print(f"{label:34} {cells[0]:>10} {cells[1]:>12}")
    print("Target: the first import well under 10 s.")


if __name__ == "__main__":
    main()
