"""The manage area at term scale: every manage page's median server time at 1,000 students; a 2,000-row roster.

Run `DEBUG=1 python bench/manage.py [--students 1000] [--questions 48] [--roster 2000]`. It measures a
throwaway SQLite file and, when DATABASE_URL points at PostgreSQL, a throwaway database on that
server (dropped afterwards), loaded with `load_scale_fixture` (every student has answered every
question, most answers are graded). Each page is requested in process through Django's test Client
as the course's instructor: warm-up requests, then the median. A page that answers 404 isn't built
yet and is listed as skipped. The roster import goes through the People page as an instructor does:
the upload and its preview, then the confirmation, into a fresh course each run (every account new,
every invitation queued). Targets: pages under 100 ms; the roster's preview plus confirmation under 5 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

from harness import measure_databases, median_ms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_manage_area"
COURSE = "bench"
PAGES = [
    ("settings", "Settings"),
    ("modules", "Modules & questions"),
    ("module", "one module"),
    ("question", "a question's editor"),
    ("people", "People (first page)"),
    ("sections", "Sections"),
    ("extensions", "Extensions"),
    ("grading_team", "Grading team"),
    ("grading_team_question", "Grading team, one question"),
    ("notices", "Notices sent"),
    ("copy", "Copy to next term"),
    ("copy_preview", "Copy to next term, preview"),
]
CHANGES = [
    ("copy_made", "copy made (POST)", "ms"),
    ("roster_preview", "roster upload and preview", "s"),
    ("roster_confirm", "roster confirmed", "s"),
    ("roster_total", "roster preview + confirm (target < 5 s)", "s"),
]


def roster_csv(rows: int, run: int) -> bytes:
    lines = ["name,email,role,section,sis_id"]
    for n in range(rows):
        role = "TA" if n % 250 == 0 else "student"
        lines.append(f"Student{n} Surname{n},r{run}s{n}@example.edu,{role},Lab {n % 20:02d},S{run}{100000 + n}")
    return ("\n".join(lines) + "\n").encode()


def measure(students: int, questions: int, roster_rows: int, repeat: int, roster_repeat: int) -> dict:
    """Runs inside the child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from courses.models import Course, Question

    settings.DEBUG = False  # no query log, as in production
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("load_scale_fixture", students=students, questions=questions, course=COURSE, stdout=io.StringIO())
    results: dict = {"load": time.perf_counter() - started, "skipped": []}
    instructor_user = get_user_model().objects.get(username=f"{COURSE}-instructor")
    instructor = Client()
    instructor.force_login(instructor_user)
    course = Course.objects.get(slug=COURSE)
    question = Question.objects.filter(module__course=course).select_related("module").order_by(
        "module__number", "number").first()
    base = f"/manage/{COURSE}"
    paths = {
        "settings": f"{base}/settings/",
        "modules": f"{base}/modules/",
        "module": f"{base}/modules/{question.module.slug}/",
        "question": f"{base}/questions/{question.pk}/",
        "people": f"{base}/people/",
        "sections": f"{base}/sections/",
        "extensions": f"{base}/extensions/",
        "grading_team": f"{base}/grading-team/",
        "grading_team_question": f"{base}/grading-team/questions/{question.pk}/",
        "notices": f"{base}/notices/",
        "copy": f"{base}/copy/",
        "copy_preview": f"{base}/copy/?slug=bench-next&title=Next+term&deadlines=shift&shift_days=112",
    }
    for key, path in paths.items():
        status = instructor.get(path).status_code
        if status == 404:
            results["skipped"].append(key)
            continue
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        results[key] = median_ms(lambda path=path: instructor.get(path), warmup=2, repeat=repeat)

    if "copy" not in results["skipped"]:
        copies = iter(range(repeat + 3))

        def copy_once() -> None:
            n = next(copies)
            response = instructor.post(paths["copy"], {"slug": f"bench-copy-{n}", "title": f"Copy {n}",
                                                       "deadlines": "shift", "shift_days": "112"})
            if response.status_code != 302:
                raise SystemExit(f"copy answered {response.status_code}")

        results["copy_made"] = median_ms(copy_once, warmup=1, repeat=repeat)

    results.update(roster(instructor, instructor_user, roster_rows, roster_repeat))
    return results


def roster(client, user, rows: int, runs: int) -> dict:
    """Preview and confirm a `rows`-line roster through the People page, into a fresh course each run."""
    try:
        import courses.roster  # noqa: F401  (the People page's import is built on it)
    except ImportError:
        return {"roster_skipped": True}
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.models import Course, Enrollment, Role

    previews, confirms = [], []
    for run in range(runs):
        course = Course.objects.create(slug=f"roster-{run}", title=f"Roster {run}")
        Enrollment.objects.create(user=user, course=course, role=Role.INSTRUCTOR)
        path = f"/manage/{course.slug}/people/import/"
        started = time.perf_counter()
        response = client.post(path, {"file": SimpleUploadedFile("roster.csv", roster_csv(rows, run), "text/csv")})
        previews.append(time.perf_counter() - started)
        found = re.search(rb'name="payload" value="([^"]+)"', response.content)
        if response.status_code != 200 or not found:
            raise SystemExit(f"the roster preview answered {response.status_code} without a confirmation form")
        started = time.perf_counter()
        response = client.post(path, {"payload": found.group(1).decode()})
        confirms.append(time.perf_counter() - started)
        if response.status_code != 302:
            raise SystemExit(f"the roster confirmation answered {response.status_code}")
        enrolled = Enrollment.objects.filter(course=course).exclude(user=user).count()
        if enrolled != rows:
            raise SystemExit(f"expected {rows} people in {course.slug}, found {enrolled}")
    preview, confirm = statistics.median(previews), statistics.median(confirms)
    return {"roster_preview": preview, "roster_confirm": confirm, "roster_total": preview + confirm}


def _cell(value, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if unit == "s" else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=48)
    parser.add_argument("--roster", type=int, default=2000, help="Rows of the roster CSV imported.")
    parser.add_argument("--repeat", type=int, default=15, help="Timed requests per page after the warm-up.")
    parser.add_argument("--roster-repeat", type=int, default=3, help="Fresh courses the roster is imported into.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.students, args.questions, args.roster, args.repeat, args.roster_repeat)))
        return

    argv = ["--students", str(args.students), "--questions", str(args.questions), "--roster", str(args.roster),
            "--repeat", str(args.repeat), "--roster-repeat", str(args.roster_repeat)]
    announce = f"migrating and loading {args.students} students × {args.questions} questions…"
    results = measure_databases(__file__, argv, postgres_name=BENCH_DB, announce=announce)
    databases = ("SQLite", "PostgreSQL")
    print(f"\nThe manage area at {args.students} students × {args.questions} questions: median server time "
          f"({args.repeat} timed requests after warm-up; roster: median of {args.roster_repeat} imports of "
          f"{args.roster} rows)")
    print(f"{'':44} {'SQLite':>10} {'PostgreSQL':>12}")
    print(f"{'load_scale_fixture (s)':44} " + " ".join(
        f"{_cell(results.get(db, {}).get('load'), 's'):>{w}}" for db, w in zip(databases, (10, 12), strict=True)))
    for key, label in PAGES:
        cells = [_cell(results.get(db, {}).get(key), "ms") for db in databases]
        print(f"{label + ' (ms)':44} {cells[0]:>10} {cells[1]:>12}")
    for key, label, unit in CHANGES:
        cells = [_cell(results.get(db, {}).get(key), unit) for db in databases]
        print(f"{label + ' (' + unit + ')':44} {cells[0]:>10} {cells[1]:>12}")
    skipped = sorted({key for db in databases for key in results.get(db, {}).get("skipped", [])})
    if skipped:
        labels = dict(PAGES)
        print("Skipped, not built yet (404): " + ", ".join(labels[key] for key in skipped) + ".")
    if any(results.get(db, {}).get("roster_skipped") for db in databases):
        print("Roster import skipped: courses/roster.py doesn't exist yet.")
    print("Targets: pages < 100 ms; roster preview + confirm < 5 s.")


if __name__ == "__main__":
    main()
