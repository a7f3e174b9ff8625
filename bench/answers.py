"""The student's side at scale: median server time of the module page, the question page,
an autosave and a submission.

Run `python bench/answers.py [--students 1000]`. It measures a throwaway SQLite file and,
when DATABASE_URL points at PostgreSQL, a throwaway database `reflect_bench_answers` on that
server (dropped afterwards). Requests are timed in process with Django's test Client after a
warm-up; the figure is the median.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness import measure_databases, median_ms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_answers"


def measure(students: int) -> dict:
    """Runs in a child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from courses.models import Enrollment, Question, Response, Role
    from courses.services import response_submit

    settings.DEBUG = True  # load_demo is a development command
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))
    settings.DEBUG = False
    User = get_user_model()
    course_id = Question.objects.filter(module__slug="activations").values_list("module__course_id", flat=True)[0]
    questions = list(Question.objects.filter(module__course_id=course_id))
    users = User.objects.bulk_create(User(username=f"bench{i}") for i in range(students))
    Enrollment.objects.bulk_create(Enrollment(user=u, course_id=course_id, role=Role.STUDENT) for u in users)
    text = " ".join(["word"] * 200)
    for user in users[:200]:
        for question in questions:
            if question.is_open():
                response_submit(student=user, question=question, text=text, base_version=0)

    student = User.objects.get(username="student1")
    client = Client()
    client.force_login(student)
    question = Question.objects.get(module__slug="activations", number=2)
    save_url = f"/questions/{question.pk}/save"
    state = {"version": 0, "n": 0}

    def autosave():
        state["n"] += 1
        body = json.dumps({"text": f"draft number {state['n']} " + text, "version": state["version"]})
        answer = client.post(save_url, body, content_type="application/json")
        assert answer.status_code == 200, answer.content
        state["version"] = answer.json()["version"]

    def submit():
        response = Response.objects.get(student=student, question=question)
        answer = client.post(f"/questions/{question.pk}/submit", {"text": text + f" {state['n']}",
                                                                  "version": response.version})
        state["n"] += 1
        assert answer.status_code == 302

    def get(url):
        def call():
            assert client.get(url).status_code == 200
        return call

    return {
        "module page": median_ms(get("/courses/tinytorch/activations/"), warmup=5, repeat=40),
        "question page (with its lab)": median_ms(get(f"/questions/{question.pk}/"), warmup=5, repeat=40),
        "autosave POST": median_ms(autosave, warmup=5, repeat=40),
        "submit POST": median_ms(submit, warmup=5, repeat=20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.students)))
        return
    results = measure_databases(__file__, ["--students", str(args.students)], postgres_name=BENCH_DB)
    print(f"Student pages with {args.students} students enrolled (median ms, in-process Client):")
    names = list(next(iter(results.values())))
    print(f"{'':32}" + "".join(f"{db:>12}" for db in results))
    for name in names:
        print(f"{name:32}" + "".join(f"{results[db][name]:12.1f}" for db in results))


if __name__ == "__main__":
    main()
