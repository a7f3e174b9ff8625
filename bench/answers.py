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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_answers"


def _median_ms(call, *, warmup: int = 5, repeat: int = 40) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


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
        "module page": _median_ms(get("/courses/tinytorch/activations/")),
        "question page (with its lab)": _median_ms(get(f"/questions/{question.pk}/")),
        "autosave POST": _median_ms(autosave),
        "submit POST": _median_ms(submit, repeat=20),
    }


def _run_child(database_url: str, students: int) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, __file__, "--child", "--students", str(students)],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _postgres(database_url: str):
    import psycopg

    parts = urlparse(database_url)
    admin = urlunparse(parts._replace(path="/postgres"))

    def execute(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    execute(f"CREATE DATABASE {BENCH_DB}")
    return urlunparse(parts._replace(path=f"/{BENCH_DB}")), lambda: execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.students)))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = _run_child(f"sqlite:///{tmp}/bench.sqlite3", args.students)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        url, drop = _postgres(database_url)
        try:
            results["PostgreSQL"] = _run_child(url, args.students)
        finally:
            drop()
    else:
        print("PostgreSQL: skipped (set DATABASE_URL=postgres://… to measure it too).")
    print(f"Student pages with {args.students} students enrolled (median ms, in-process Client):")
    names = list(next(iter(results.values())))
    print(f"{'':32}" + "".join(f"{db:>12}" for db in results))
    for name in names:
        print(f"{name:32}" + "".join(f"{results[db][name]:12.1f}" for db in results))


if __name__ == "__main__":
    main()
