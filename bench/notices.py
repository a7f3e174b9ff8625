"""Grade-release digests at scale: queue one digest per student and send them all through the worker.

Run `python bench/notices.py [--students 200,1000]`. For each size it queues a release digest for
every student (`courses.notices.release_digests_notify`, as the release flow does) and runs
`manage.py worker --batch` until every e-mail is sent with the console backend (its output
discarded), printing the time of each step and the peak memory traced while they ran
(tracemalloc, queuing and sending apart): it should stay about the same from 200 to 1,000 students. It also times the
one-call-per-student path (`release_digest_notify`, one e-mail task each) at the largest size.
Always a throwaway SQLite file, and a throwaway PostgreSQL database `reflect_bench_notices`
when DATABASE_URL points at PostgreSQL. Target: 1,000 students under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from contextlib import redirect_stdout
from pathlib import Path

from harness import measure_databases

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_notices"


def measure(sizes: list[int]) -> dict:
    """Runs inside the child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    from courses.models import Course, DeliveryStatus, Enrollment, Module, Notice, Question
    from courses.notices import release_digest_notify, release_digests_notify

    settings.DEBUG = False  # no query log, as in production
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.PERIODIC_TASKS = []
    call_command("migrate", verbosity=0)
    User = get_user_model()
    largest = max(sizes)
    course = Course.objects.create(slug="bench", title="Bench Course")
    module = Module.objects.create(course=course, number=1, slug="m1", title="Module 1")
    questions = [Question.objects.create(module=module, number=n, grade_id=f"q{n}", title=f"Question {n}",
                                         prompt="Why?") for n in range(1, 4)]
    users = User.objects.bulk_create(
        User(username=f"bench{i}", email=f"bench{i}@example.edu", password="!") for i in range(largest)
    )
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course) for u in users)

    def send_all() -> float:
        started = time.perf_counter()
        with open(os.devnull, "w") as devnull, redirect_stdout(devnull):  # the console backend prints each mail
            call_command("worker", "--batch", "--max-batch", "500")
        return time.perf_counter() - started

    peaks: list[int] = []

    def release(size: int, key: str, on_queued=None) -> tuple[float, float]:
        by_student = {u.pk: questions for u in users[:size]}  # the caller's input, not counted as the queue's
        if on_queued:
            tracemalloc.reset_peak()
        started = time.perf_counter()
        with transaction.atomic():
            queued = release_digests_notify(course=course, questions_by_student_id=by_student, release_key=key)
        queue_s = time.perf_counter() - started
        if on_queued:
            on_queued()
            tracemalloc.reset_peak()
        send_s = send_all()
        sent = Notice.objects.filter(key__startswith=f"release:{key}:", email_status=DeliveryStatus.SENT).count()
        if queued != size or sent != size:
            raise SystemExit(f"{size} students: queued {queued}, sent {sent}")
        return queue_s, send_s

    release(20, "warm-up")  # lazy imports and first connections, which a running worker has paid already
    results = {}
    for size in sizes:
        queue_s, send_s = release(size, f"timed-{size}")
        # Memory in a second run: tracing every allocation slows the run it traces several times over.
        tracemalloc.start()
        release(size, f"traced-{size}", on_queued=lambda: peaks.append(tracemalloc.get_traced_memory()[1]))
        send_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results[str(size)] = {"queue": queue_s, "send": send_s, "queue_mb": peaks.pop() / 1e6,
                              "send_mb": send_peak / 1e6}

    # The simple path: one notify per student, so one e-mail task (and one SMTP connection) each.
    started = time.perf_counter()
    with transaction.atomic():
        for user in users:
            release_digest_notify(course=course, student=user, questions=questions, release_key="one-by-one")
    queue_s = time.perf_counter() - started
    send_s = send_all()
    sent = Notice.objects.filter(key__startswith="release:one-by-one:", email_status=DeliveryStatus.SENT).count()
    if sent != largest:
        raise SystemExit(f"one by one: sent {sent} of {largest}")
    results["one-by-one"] = {"queue": queue_s, "send": send_s}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="200,1000", help="Comma-separated class sizes.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.students.split(","))
    if args.child:
        print(json.dumps(measure(sizes)))
        return

    announce = f"queuing and sending release digests to {', '.join(map(str, sizes))} students…"
    results = measure_databases(__file__, ["--students", args.students], postgres_name=BENCH_DB, announce=announce)
    print(f"\nRelease digests through the worker, console e-mail backend (target: {max(sizes):,} under 60 s)")
    print(f"{'':40} " + " ".join(f"{name:>12}" for name in results))
    for size in sizes:
        rows = [("queue", "queue", "s"), ("send", "send (worker)", "s"), ("queue_mb", "queue: peak memory", "MB"),
                ("send_mb", "send: peak memory", "MB")]
        for key, label, unit in rows:
            cells = [f"{r[str(size)][key]:.2f}" for r in results.values()]
            print(f"{f'{size:,} students: {label} ({unit})':40} " + " ".join(f"{c:>12}" for c in cells))
        totals = [f"{r[str(size)]['queue'] + r[str(size)]['send']:.2f}" for r in results.values()]
        print(f"{f'{size:,} students: total (s)':40} " + " ".join(f"{c:>12}" for c in totals))
    for key, label in [("queue", "queue"), ("send", "send")]:
        cells = [f"{r['one-by-one'][key]:.2f}" for r in results.values()]
        print(f"{f'{max(sizes):,} one notify each: {label} (s)':40} " + " ".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    main()
