"""Double-marking agreement at scale: the statistics of a course, and how long they take.

Run `python bench/agreement.py [--students 1000] [--questions 48] [--share 10]`. Like bench/grading.py it
measures a throwaway SQLite file and, when DATABASE_URL points at PostgreSQL, a throwaway database
`reflect_bench_agreement`. Each is migrated and loaded with `load_scale_fixture` (every answer graded),
then `share`% of each question's answers (the real sample, grading.double_marking.in_sample) get a
second mark from another TA who agrees on the band about 70% of the time, is one band off 25% and two
bands off 5%. It prints the figures the agreement page shows and the median time to compute them:
the whole report (queries + NumPy, with its bootstrap intervals), the NumPy part alone, and the page.
Target: the report under 1 s at 1,000 students × 48 questions with 10% double-marked.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
from pathlib import Path

from harness import measure_databases, median_ms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_agreement"
COURSE = "bench"


def measure(students: int, questions: int, share: int, repeat: int) -> dict:
    """Runs inside the child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from courses.models import Course, Question, Response, RubricBand
    from grading import double_marking
    from grading.models import DoubleMarkingPolicy, Grade, SecondMark

    settings.DEBUG = False  # no query log, as in production
    call_command("migrate", verbosity=0)
    call_command("load_scale_fixture", students=students, questions=questions, course=COURSE, graded=1.0,
                 stdout=io.StringIO())
    course = Course.objects.get(slug=COURSE)
    User = get_user_model()
    tas = list(User.objects.filter(username__startswith=f"{COURSE}-ta").order_by("username").values_list("pk",
                                                                                                          flat=True))
    instructor = User.objects.get(username=f"{COURSE}-instructor")
    DoubleMarkingPolicy.objects.bulk_create(
        DoubleMarkingPolicy(question=q, share=share, changed_by=instructor)
        for q in Question.objects.filter(module__course=course)
    )
    bands: dict[int, list] = {}
    for band in RubricBand.objects.filter(question__module__course=course).order_by("question_id", "position"):
        bands.setdefault(band.question_id, []).append(band)
    rng = random.Random(2026)
    marks = []
    for response_id, question_id, pseudonym, grader_id, band_id in (
        Grade.objects.filter(response__question__module__course=course)
        .values_list("response_id", "response__question_id", "response__pseudonym", "graded_by_id", "band_id")
        .iterator(chunk_size=5000)
    ):
        if not double_marking.in_sample(question_id=question_id, pseudonym=pseudonym, share=share):
            continue
        ordered = bands[question_id]
        index = next(i for i, b in enumerate(ordered) if b.pk == band_id)
        drift = rng.choices([0, 1, 2], weights=[70, 25, 5])[0] * rng.choice([-1, 1])
        band = ordered[min(max(index + drift, 0), len(ordered) - 1)]
        second = rng.choice([ta for ta in tas if ta != grader_id])
        marks.append(SecondMark(response_id=response_id, grader_id=second, band=band, score=band.max_points,
                                points=10))
    SecondMark.objects.bulk_create(marks, batch_size=2000)

    report = double_marking.course_agreement(course)
    results: dict = {
        "answers": Response.objects.filter(question__module__course=course).count(),
        "double_marked": len(marks),
        "report_ms": median_ms(lambda: double_marking.course_agreement(course), warmup=1, repeat=repeat),
    }
    rows = double_marking.agreement_pairs(course)
    indices = double_marking.band_indices_by_question({q: "" for q in bands})
    labels = double_marking.question_labels(course)
    results["numpy_ms"] = median_ms(lambda: double_marking.agreement_from_pairs(rows, indices, labels), warmup=1,
                                    repeat=repeat)
    client = Client()
    client.force_login(instructor)
    url = reverse("grading:agreement", args=[COURSE])
    results["page_ms"] = median_ms(lambda: client.get(url), warmup=1, repeat=repeat)

    def figures(line) -> dict:
        r = line.result
        return {"label": line.label, "n": r.n, "exact": [r.exact.value, r.exact.low, r.exact.high],
                "kappa": [r.kappa.value, r.kappa.low, r.kappa.high], "mad": [r.mad.value, r.mad.low, r.mad.high],
                "apart": line.apart}

    results["overall"] = figures(report.overall)
    results["pairs"] = [figures(line) for line in report.pairs]
    results["questions"] = [figures(line) for line in report.questions]
    return results


def _line(f: dict) -> str:
    exact, kappa, mad = f["exact"], f["kappa"], f["mad"]
    return (f"{f['label'][:34]:34} {f['n']:>6} {exact[0]:>6.1%} ({exact[1]:.1%}–{exact[2]:.1%})  "
            f"{kappa[0]:>5.2f} ({kappa[1]:.2f} to {kappa[2]:.2f})  {mad[0]:>4.2f} ({mad[1]:.2f}–{mad[2]:.2f})  "
            f"{f['apart']:>5}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=48)
    parser.add_argument("--share", type=int, default=10, help="Percent of each question's answers double-marked.")
    parser.add_argument("--repeat", type=int, default=7, help="Timed runs after the warm-up.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    argv = ["--students", str(args.students), "--questions", str(args.questions), "--share", str(args.share),
            "--repeat", str(args.repeat)]
    if args.child:
        print(json.dumps(measure(args.students, args.questions, args.share, args.repeat)))
        return

    announce = (f"migrating and loading {args.students} students × {args.questions} questions, "
                f"{args.share}% double-marked…")
    results = measure_databases(__file__, argv, postgres_name=BENCH_DB, announce=announce)
    first = results["SQLite"]
    print(f"\n{first['double_marked']} of {first['answers']} answers double-marked "
          f"({args.students} students × {args.questions} questions, {args.share}% sample)")
    print(f"{'':34} {'n':>6} {'same band (95% CI)':>22}  {'kappa (95% CI)':>20}  {'mean |diff| (CI)':>17}  "
          f"{'>1 band':>7}")
    print(_line(first["overall"]))
    print("Per pair of graders:")
    for pair in first["pairs"]:
        print(_line(pair))
    print(f"Per question ({len(first['questions'])}; the first five):")
    for question in first["questions"][:5]:
        print(_line(question))
    print(f"\nMedian time ({args.repeat} runs after a warm-up)      {'SQLite':>12} {'PostgreSQL':>12}")
    for key, label in [("report_ms", "whole report: queries + NumPy (ms)"), ("numpy_ms", "NumPy part alone (ms)"),
                       ("page_ms", "agreement page (ms)")]:
        cells = [f"{r[key]:.1f}" if r else "—" for r in (results["SQLite"], results.get("PostgreSQL"))]
        print(f"{label:44} {cells[0]:>12} {cells[1]:>12}")
    print("Target: the whole report under 1,000 ms.")


if __name__ == "__main__":
    main()
