"""Roster import at term scale: a 2,000-row CSV through import_roster, and the People page and export after it.

Run `python bench/roster_import.py [--rows 2000] [--repeat 3]`. It writes a CSV (name, email, role,
section, SIS id; 20 sections, a few TAs) and times `import_roster` into an empty course: a dry run
(the preview), the first import (every account created, every invitation notice queued), and a
re-import (every row unchanged). Then the export's time and the People page's server time (the
view called in process through the test client, first page of 100). It measures a throwaway SQLite
file and, when DATABASE_URL points at PostgreSQL, a throwaway database `reflect_bench_roster` on
that server (dropped afterwards). Target: the first import under 5 s. Figures are noisy on a shared
machine.
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

from harness import measure_databases, median_ms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_roster"
ROWS = [
    ("dry_run", "dry run / preview (s)"),
    ("first", "first import, all created (s)"),
    ("unchanged", "re-import, all unchanged (s)"),
    ("export", "roster export (s)"),
    ("people_ms", "People page, server time (ms)"),
]


def write_csv(path: Path, rows: int) -> None:
    lines = ["name,email,role,section,sis_id"]
    for n in range(rows):
        role = "TA" if n % 250 == 0 else "student"
        lines.append(f"Student{n} Surname{n},student{n}@example.edu,{role},Lab {n % 20:02d},S{100000 + n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure(rows: int, repeat: int) -> dict:
    """Runs inside the child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from courses.models import Course, Enrollment, Notice, Role
    from courses.roster import roster_lines

    call_command("migrate", verbosity=0)
    # A server has its URLs loaded already; the command would pay once to import every view module.
    reverse("login")
    results: dict = {key: [] for key, _label in ROWS}

    def timed(key: str, *args: str) -> None:
        started = time.perf_counter()
        call_command("import_roster", *args, stdout=io.StringIO())
        results[key].append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "roster.csv"
        for run in range(repeat):
            write_csv(path, rows)
            # Fresh e-mail addresses each run, so the first import creates every account again.
            path.write_text(path.read_text().replace("@example.edu", f"@run{run}.example.edu"))
            slug = f"bench-{run}"
            course = Course.objects.create(slug=slug, title=f"Bench {run}")
            timed("dry_run", str(path), "--course", slug, "--dry-run")
            timed("first", str(path), "--course", slug)
            timed("unchanged", str(path), "--course", slug)
            started = time.perf_counter()
            for _line in roster_lines(course):
                pass
            results["export"].append(time.perf_counter() - started)
        instructor = get_user_model().objects.create_user("bench-instructor")
        Enrollment.objects.create(user=instructor, course=Course.objects.get(slug="bench-0"), role=Role.INSTRUCTOR)
        client = Client()
        client.force_login(instructor)
        results["people_ms"] = [median_ms(lambda: client.get("/manage/bench-0/people/"), warmup=2, repeat=10)]
    enrolled = Enrollment.objects.filter(course__slug="bench-0", role__in=(Role.STUDENT, Role.TA)).count()
    invited = Notice.objects.filter(course__slug="bench-0", kind="invitation").count()
    if enrolled != rows or invited != rows:
        raise SystemExit(f"expected {rows} people and invitations, got {enrolled} and {invited}")
    summary = {key: statistics.median(values) for key, values in results.items()}
    summary["rows"] = rows
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="Fresh courses imported into; the median is shown.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.rows, args.repeat)))
        return

    argv = ["--rows", str(args.rows), "--repeat", str(args.repeat)]
    results = measure_databases(__file__, argv, postgres_name=BENCH_DB, announce=f"importing {args.rows} rows…")
    print(f"\nimport_roster of {args.rows} rows (median of {args.repeat} runs into fresh courses)")
    print(f"{'':34} {'SQLite':>10} {'PostgreSQL':>12}")
    for key, label in ROWS:
        cells = [f"{results[db][key]:.2f}" if db in results else "—" for db in ("SQLite", "PostgreSQL")]
        print(f"{label:34} {cells[0]:>10} {cells[1]:>12}")
    print("Target: the first import under 5 s.")


if __name__ == "__main__":
    main()
