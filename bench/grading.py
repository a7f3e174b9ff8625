"""Grading at scale: median server time of the grading pages, the gradebook and the full CSV export.

Run `python bench/grading.py [--students 1000] [--questions 48]`. It always measures
a throwaway SQLite file and, when DATABASE_URL points at PostgreSQL, a throwaway
database `reflect_bench` on that server (dropped afterwards). Each database is
migrated, loaded with `load_scale_fixture`, then every request is timed in
process with Django's test Client (a few warm-up runs, then the median).
Targets: queue and grading pages under 50 ms, the full export under 5 s.
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
BENCH_DB = "reflect_bench"
COURSE = "bench"

ROWS = [
    ("load", "load_scale_fixture", "s"),
    ("queue", "queue page (grading:queue)", "ms"),
    ("grade", "grading page (grading:grade)", "ms"),
    ("save", "save-and-next POST (grading:save)", "ms"),
    ("gradebook", "gradebook page, 50 students", "ms"),
    ("gradebook_sorted", "gradebook sorted by course total", "ms"),
    ("analytics", "analytics page", "ms"),
    ("export", "full CSV export", "s"),
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
    from django.urls import NoReverseMatch, reverse

    from courses.models import Question, Response, RubricBand

    settings.DEBUG = False  # no query log, as in production
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("load_scale_fixture", students=students, questions=questions, course=COURSE,
                 stdout=io.StringIO())
    results: dict = {"load": time.perf_counter() - started, "gaps": []}
    User = get_user_model()
    ta = Client()
    ta.force_login(User.objects.get(username=f"{COURSE}-ta2"))
    instructor = Client()
    instructor.force_login(User.objects.get(username=f"{COURSE}-instructor"))

    def ok(response, expected=(200,)):
        if response.status_code not in expected:
            raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}")
        return response

    # A question of the last module: not released, about a tenth of its answers still ungraded.
    question = Question.objects.filter(module__course__slug=COURSE).order_by("-module__number", "number").first()
    ungraded = list(
        Response.objects.filter(question=question, grade__isnull=True).order_by("pseudonym").values_list("pk",
                                                                                                        flat=True)
    )
    band = question.bands.get(label="GOOD")
    try:
        queue_url = reverse("grading:queue", args=[question.pk])
        grade_url = reverse("grading:grade", args=[ungraded[0]])
        save_urls = [reverse("grading:save", args=[pk]) for pk in ungraded[1:]]
    except NoReverseMatch as missing:
        results["gaps"].append(f"grading views missing: {missing}")
    else:
        results["queue"] = median_ms(lambda: ok(ta.get(queue_url)), warmup=3, repeat=repeat)
        results["grade"] = median_ms(lambda: ok(ta.get(grade_url)), warmup=3, repeat=repeat)
        # Each save grades a different ungraded answer and is redirected to the next one, as a TA would go.
        pending = iter(save_urls)
        data = {"band": band.pk, "score": 7, "feedback": "Quantify the memory traffic.", "version": 0}
        # Small fixtures leave few answers ungraded: warm up less rather than run out of them.
        warmup = min(3, max(0, len(save_urls) - 1))
        if len(save_urls) > warmup:
            results["save"] = median_ms(lambda: ok(ta.post(next(pending), data), (302,)), warmup=warmup,
                                        repeat=min(repeat, len(save_urls) - warmup))
        else:
            results["gaps"].append("save-and-next: no ungraded answer left to save at this size")

    gradebook_url = reverse("grading:gradebook", args=[COURSE])
    results["gradebook"] = median_ms(lambda: ok(instructor.get(gradebook_url)), warmup=2, repeat=repeat)
    results["gradebook_sorted"] = median_ms(lambda: ok(instructor.get(gradebook_url + "?sort=-total")), warmup=2,
                                            repeat=repeat)
    analytics_url = reverse("grading:analytics", args=[COURSE])
    results["analytics"] = median_ms(lambda: ok(instructor.get(analytics_url)), warmup=2, repeat=repeat)

    # The export is timed with every answer graded (48,000 grades at the default size). These grades are
    # benchmark scaffolding in a throwaway database, so they skip the service and its audit rows.
    from django.db import connection

    from grading.models import Grade

    remaining = Response.objects.filter(question__module__course__slug=COURSE, grade__isnull=True).select_related(
        "question")
    bands = {b.question_id: b for b in RubricBand.objects.filter(question__module__course__slug=COURSE,
                                                                 label="SATISFACTORY")}
    Grade.objects.bulk_create(
        (Grade(response=r, band=bands[r.question_id], score=6, points=r.question.points,
               graded_by_id=ta.session["_auth_user_id"]) for r in remaining),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    export_url = reverse("grading:gradebook_export", args=[COURSE]) + "?format=csv"
    lines = 0

    def export() -> None:
        nonlocal lines
        lines = sum(chunk.count(b"\n") for chunk in ok(instructor.get(export_url)).streaming_content)

    results["export"] = median_ms(export, warmup=1, repeat=3) / 1000
    results["export_rows"] = lines - 1
    results["grades"] = Grade.objects.filter(response__question__module__course__slug=COURSE).count()
    return results


def _cell(results: dict | None, key: str, unit: str) -> str:
    if results is None:
        return "—"
    value = results.get(key)
    if value is None:
        return "not built"
    return f"{value:.2f}" if unit == "s" else f"{value:.1f}"


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

    any_result = results["SQLite"]
    print(f"\nMedian server time, {args.students} students × {args.questions} questions "
          f"({args.repeat} timed runs after warm-up; export: 3 runs of {any_result['export_rows']} rows, "
          f"{any_result['grades']} grades)")
    print(f"{'':40} {'SQLite':>12} {'PostgreSQL':>12}")
    for key, label, unit in ROWS:
        print(f"{label + ' (' + unit + ')':40} {_cell(results['SQLite'], key, unit):>12} "
              f"{_cell(results.get('PostgreSQL'), key, unit):>12}")
    for name, result in results.items():
        for gap in result.get("gaps", []):
            print(f"{name}: {gap}")
    print("Targets: queue and grading pages < 50 ms, full export < 5 s.")


if __name__ == "__main__":
    main()
