"""The manage area at scale: median server time of the settings, modules and question pages, and their changes.

Run `python bench/manage_pages.py [--students 1000] [--questions 48]`. It measures a throwaway
SQLite file and, when DATABASE_URL points at PostgreSQL, a throwaway database on that server
(dropped afterwards), loaded with `load_scale_fixture`; each request runs in process through
Django's test Client (warm-up runs, then the median). Targets: pages under 50 ms and changes under
150 ms, whatever the number of students (the pages' query counts are pinned by the tests).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

from harness import measure_databases, median_ms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_manage"
COURSE = "bench"

ROWS = [
    ("load", "load_scale_fixture", "s"),
    ("settings", "settings page", "ms"),
    ("settings_save", "settings saved (POST)", "ms"),
    ("modules", "modules page", "ms"),
    ("module", "one module's page", "ms"),
    ("question", "question editor", "ms"),
    ("question_save", "question saved with its bands (POST)", "ms"),
    ("publish", "publish or unpublish (POST)", "ms"),
    ("move", "move a module (POST)", "ms"),
    ("schedule", "dates for a module's questions (POST)", "ms"),
]


def measure(students: int, questions: int, repeat: int) -> dict:
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
    call_command("load_scale_fixture", students=students, questions=questions, course=COURSE,
                 stdout=io.StringIO())
    results: dict = {"load": time.perf_counter() - started}
    instructor = Client()
    instructor.force_login(get_user_model().objects.get(username=f"{COURSE}-instructor"))
    course = Course.objects.get(slug=COURSE)
    # An ungraded question, so saving its bands needs no confirmation.
    question = Question.objects.filter(module__course=course, responses__grade__isnull=True).select_related(
        "module").order_by("-module__number", "number").first()
    module = question.module
    base = f"/manage/{COURSE}"

    def ok(response, expected=(200,)):
        if response.status_code not in expected:
            raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}")
        return response

    def timed(key: str, call) -> None:
        results[key] = median_ms(call, warmup=3, repeat=repeat)

    timed("settings", lambda: ok(instructor.get(f"{base}/settings/")))
    settings_data = {"title": course.title, "description": course.description, "regrade_window_days": 7,
                     "time_zone": "Europe/London", "default_late_policy": "reject"}
    timed("settings_save", lambda: ok(instructor.post(f"{base}/settings/", settings_data), (302,)))
    timed("modules", lambda: ok(instructor.get(f"{base}/modules/")))
    timed("module", lambda: ok(instructor.get(f"{base}/modules/{module.slug}/")))
    timed("question", lambda: ok(instructor.get(f"{base}/questions/{question.pk}/")))

    bands = list(question.bands.order_by("position"))
    data = {name: getattr(question, name) for name in (
        "number", "grade_id", "title", "context", "prompt", "expected_response", "mark_scheme", "min_words",
        "max_words", "points", "late_policy", "late_penalty_per_day", "late_penalty_cap", "lab")}
    data.update({"opens_at": "", "due_at": "2030-01-01T12:00", "bands-TOTAL_FORMS": len(bands),
                 "bands-INITIAL_FORMS": len(bands), "bands-MIN_NUM_FORMS": 0, "bands-MAX_NUM_FORMS": 1000})
    for i, band in enumerate(bands):
        data.update({f"bands-{i}-id": band.pk, f"bands-{i}-position": band.position, f"bands-{i}-label": band.label,
                     f"bands-{i}-min_points": band.min_points, f"bands-{i}-max_points": band.max_points,
                     f"bands-{i}-description": band.description + " (clearer)"})
    timed("question_save", lambda: ok(instructor.post(f"{base}/questions/{question.pk}/", data), (302,)))

    flips = iter(["0", "1"] * (repeat + 3))
    timed("publish", lambda: ok(instructor.post(f"{base}/modules/{module.slug}/publish",
                                                {"publish": next(flips)}), (302,)))
    moves = iter(["up", "down"] * (repeat + 3))
    timed("move", lambda: ok(instructor.post(f"{base}/modules/{module.slug}/move",
                                             {"direction": next(moves)}), (302,)))
    timed("schedule", lambda: ok(instructor.post(f"{base}/modules/{module.slug}/schedule",
                                                 {"opens_at": "2030-01-01T09:00", "due_at": "2030-01-08T09:00"}),
                                 (302,)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=15, help="Timed runs per request after the warm-up.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.students, args.questions, args.repeat)))
        return

    argv = ["--students", str(args.students), "--questions", str(args.questions), "--repeat", str(args.repeat)]
    announce = f"migrating and loading {args.students} students × {args.questions} questions…"
    results = measure_databases(__file__, argv, postgres_name=BENCH_DB, announce=announce)
    print(f"\nMedian server time of the manage pages, {args.students} students × {args.questions} questions "
          f"({args.repeat} timed runs after warm-up)")
    print(f"{'':44} {'SQLite':>12} {'PostgreSQL':>12}")
    for key, label, unit in ROWS:
        cells = []
        for name in ("SQLite", "PostgreSQL"):
            value = results.get(name, {}).get(key)
            cells.append("—" if value is None else (f"{value:.2f}" if unit == "s" else f"{value:.1f}"))
        print(f"{label + ' (' + unit + ')':44} {cells[0]:>12} {cells[1]:>12}")
    print("Targets: pages < 50 ms, changes (POST) < 150 ms.")


if __name__ == "__main__":
    main()
