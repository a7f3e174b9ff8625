"""Course backup at scale: time and size of export_course, and time of import_course into an emptied database.

Run `python bench/backup.py [--students 200] [--questions 48] [--revisions 5]`. It always measures
a throwaway SQLite file and, when DATABASE_URL points at PostgreSQL, a throwaway database
`reflect_bench_backup` on that server (dropped afterwards). Each database is migrated and loaded
with `load_scale_fixture`; each response then gets `--revisions` saved revisions (answers are
autosaved while students write, so real courses hold several per answer). The course is
exported, the database flushed, and the archive imported; the row counts are checked after.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from harness import measure_databases

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_backup"
COURSE = "bench"


def measure(students: int, questions: int, revisions: int) -> dict:
    """Runs inside the child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from courses.models import Response, ResponseRevision, RevisionKind
    from grading.backup import course_export, course_import

    settings.DEBUG = False  # no query log, as in production
    call_command("migrate", verbosity=0)
    call_command("load_scale_fixture", students=students, questions=questions, course=COURSE, stdout=io.StringIO())
    with transaction.atomic():
        batch = []
        for response in Response.objects.filter(question__module__course__slug=COURSE).iterator(chunk_size=2000):
            for n in range(revisions):
                last = n == revisions - 1
                batch.append(ResponseRevision(
                    response=response, kind=RevisionKind.SUBMIT if last else RevisionKind.AUTOSAVE,
                    text=response.text if last else response.text[: len(response.text) * (n + 1) // revisions],
                    word_count=response.submitted_word_count or 0, base_version=n, version=n + 1,
                    created_at=response.submitted_at,
                ))
            if len(batch) >= 10_000:
                ResponseRevision.objects.bulk_create(batch)
                batch = []
        ResponseRevision.objects.bulk_create(batch)

    with tempfile.TemporaryDirectory() as directory:
        archive = Path(directory) / "course.zip"
        started = time.perf_counter()
        exported = course_export(slug=COURSE, path=archive)
        export_s = time.perf_counter() - started
        size = archive.stat().st_size
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        imported = course_import(path=archive)
        import_s = time.perf_counter() - started
    if imported.counts != exported.counts:
        raise SystemExit(f"the import's counts differ from the export's: {imported.counts} != {exported.counts}")
    return {"rows": sum(exported.counts.values()), "counts": exported.counts, "export": export_s,
            "import": import_s, "mb": size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--questions", type=int, default=48)
    parser.add_argument("--revisions", type=int, default=5, help="Saved revisions per response.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    argv = ["--students", str(args.students), "--questions", str(args.questions), "--revisions", str(args.revisions)]
    if args.child:
        print(json.dumps(measure(args.students, args.questions, args.revisions)))
        return

    announce = f"migrating and loading {args.students} students × {args.questions} questions…"
    results = measure_databases(__file__, argv, postgres_name=BENCH_DB, announce=announce)
    counts = results["SQLite"]["counts"]
    print(f"\nOne course, {args.students} students × {args.questions} questions, {args.revisions} revisions per "
          f"answer: {results['SQLite']['rows']:,} rows ({counts['courses.response']:,} responses, "
          f"{counts['courses.responserevision']:,} revisions, {counts['grading.grade']:,} grades, "
          f"{counts['grading.gradeevent']:,} grade events)")
    print(f"{'':32} {'SQLite':>12} {'PostgreSQL':>12}")
    for key, label, unit in [("export", "export_course", "s"), ("mb", "archive size", "MB"),
                             ("import", "import_course (emptied db)", "s")]:
        cells = [f"{r[key]:.2f}" if r else "—" for r in (results["SQLite"], results.get("PostgreSQL"))]
        print(f"{label + ' (' + unit + ')':32} {cells[0]:>12} {cells[1]:>12}")
    for name, result in results.items():
        print(f"{name}: {result['rows'] / result['export']:,.0f} rows/s exported, "
              f"{result['rows'] / result['import']:,.0f} rows/s imported")


if __name__ == "__main__":
    main()
