"""Importing nbgrader's collected notebooks at course scale: 300 students × 3 answers, through import_submissions.

Run `python bench/submissions_import.py [--students 300] [--repeat 3]`. It imports the seed module into
a course, enrols the students, writes nbgrader's `submitted/<student>/<module>/<module>.ipynb` and
`timestamp.txt` for each (one answer in three late), then times `import_submissions`: a dry run, the
first import (every answer submitted through the submit service) and a re-import (every answer
unchanged). It measures a throwaway SQLite file and, when DATABASE_URL points at PostgreSQL, a
throwaway database `reflect_bench_submissions` on that server (dropped afterwards). Target: a
course's collection imported in well under a minute. Figures are noisy on a shared machine.
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
from datetime import UTC, datetime
from pathlib import Path

from harness import measure_databases

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_submissions"
ROWS = [
    ("dry_run", "dry run (s)"),
    ("first", "first import, all submitted (s)"),
    ("unchanged", "re-import, all unchanged (s)"),
]


def measure(students: int, repeat: int) -> dict:
    """Runs inside the child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from courses.models import Course, Enrollment, LatePolicy, Question, Response
    from courses.notebooks.export import module_notebook, notebook_text
    from courses.notebooks.importer import NotebookFile, notebooks_import

    call_command("migrate", verbosity=0)
    seed = (ROOT / "courses" / "tests" / "notebooks" / "activations_reflection.py").read_bytes()
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"student{n:04d}") for n in range(students))
    results: dict = {"dry_run": [], "first": [], "unchanged": []}

    def timed(key: str, *args: str) -> None:
        started = time.perf_counter()
        call_command("import_submissions", *args, stdout=io.StringIO())
        results[key].append(time.perf_counter() - started)

    for run in range(repeat):
        course = Course.objects.create(slug=f"bench-{run}", title=f"Bench {run}")
        notebooks_import(course=course, files=[NotebookFile("01_reflection.py", seed)])
        Question.objects.filter(module__course=course).update(
            due_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), late_policy=LatePolicy.ACCEPT_LATE)
        Enrollment.objects.bulk_create(Enrollment(user=user, course=course) for user in users)
        module = course.modules.get()
        questions = list(module.questions.order_by("number"))
        with tempfile.TemporaryDirectory() as directory:
            for n, user in enumerate(users):
                answers = {q.pk: " ".join(f"word{n}x{q.number}" for _ in range(200)) for q in questions}
                folder = Path(directory) / "submitted" / user.username / module.slug
                folder.mkdir(parents=True)
                (folder / f"{module.slug}.ipynb").write_text(
                    notebook_text(module_notebook(module, questions, answers=answers), "ipynb"), encoding="utf-8")
                hour = 10 if n % 3 == 0 else 8
                (folder / "timestamp.txt").write_text(f"2026-03-02 {hour:02d}:00:00.000000 UTC", encoding="utf-8")
            args = (directory, "--course", course.slug, "--module", module.slug)
            timed("dry_run", *args, "--dry-run")
            timed("first", *args)
            timed("unchanged", *args)
        submitted = Response.objects.filter(question__module=module, status="submitted").count()
        if submitted != students * len(questions):
            raise SystemExit(f"{submitted} of {students * len(questions)} answers were submitted")
    summary = {key: statistics.median(values) for key, values in results.items()}
    summary["answers"] = students * 3
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="Fresh courses imported into; the median is shown.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.students, args.repeat)))
        return

    argv = ["--students", str(args.students), "--repeat", str(args.repeat)]
    results = measure_databases(__file__, argv, postgres_name=BENCH_DB,
                                announce=f"importing the notebooks of {args.students} students…")
    count = results["SQLite"]["answers"]
    print(f"\nimport_submissions of {args.students} students, {count} answers in all "
          f"(median of {args.repeat} runs into fresh courses)")
    print(f"{'':34} {'SQLite':>10} {'PostgreSQL':>12}")
    for key, label in ROWS:
        cells = [f"{results[db][key]:.2f}" if db in results else "—" for db in ("SQLite", "PostgreSQL")]
        print(f"{label:34} {cells[0]:>10} {cells[1]:>12}")
    print("Target: a course's collection imported in well under a minute.")


if __name__ == "__main__":
    main()
