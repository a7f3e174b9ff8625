"""LTI at scale: a student's launch (OIDC login and the verified launch, against a local platform), and
the grade passback of one released question for a class.

Run `python bench/lti.py [--students 300]`. It measures a throwaway SQLite file and, when DATABASE_URL
points at PostgreSQL, a throwaway database `reflect_bench_lti` on that server (dropped afterwards). The
platform is the test suite's (courses/tests/lti_platform.py) on 127.0.0.1, so its HTTP calls are real
but local; a real LMS adds its own network time per call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from harness import measure_databases, median_ms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_lti"


def measure(students: int) -> dict:
    """Runs in a child process whose DATABASE_URL names the database to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from urllib.parse import parse_qs, urlsplit

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from courses.lti.keys import jwks
    from courses.lti.models import LtiContext, LtiIdentity, LtiResourceLink
    from courses.models import Enrollment, Question, Response, ResponseStatus, Role
    from courses.tests.lti_platform import LEARNER, LtiTestPlatform
    from grading.models import Grade, GradeRelease, ScorePost
    from grading.passback import _send_all, passback_question

    settings.DEBUG = True  # load_demo is a development command
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))
    settings.DEBUG = False
    User = get_user_model()
    platform = LtiTestPlatform().start()
    registered = platform.register()
    platform.tool_keys = jwks()
    question = Question.objects.get(module__slug="activations", number=1)
    course = question.module.course
    context = LtiContext.objects.create(
        platform=registered, context_id=platform.CONTEXT_ID, deployment_id=platform.DEPLOYMENT_ID, course=course,
        lineitems_url=f"{platform.url}/lineitems",
        ags_scopes=["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    LtiResourceLink.objects.create(context=context, resource_link_id="link-1", question=question)

    users = User.objects.bulk_create(User(username=f"bench{i}", email=f"bench{i}@example.edu")
                                     for i in range(students))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course, role=Role.STUDENT) for u in users)
    LtiIdentity.objects.bulk_create(LtiIdentity(issuer=platform.issuer, sub=f"sub-{u.pk}", user=u) for u in users)
    from django.utils import timezone

    responses = Response.objects.bulk_create(
        Response(student=u, question=question, text="words", submitted_text="words", version=1,
                 status=ResponseStatus.SUBMITTED, submitted_at=timezone.now(), submitted_word_count=1,
                 submission_count=1, pseudonym=f"B{i:05d}") for i, u in enumerate(users))
    top = question.bands.first()
    ta = User.objects.get(username="ta1")
    Grade.objects.bulk_create(Grade(response=r, band=top, score=top.max_points, points=question.points, graded_by=ta)
                              for r in responses)
    GradeRelease.objects.create(question=question, released=True, released_at=timezone.now(), changed_by=ta)

    state = {"n": 0}

    def student_launch():
        state["n"] += 1
        client = Client()
        login = client.post("/lti/login/", platform.login_params())
        query = parse_qs(urlsplit(login["Location"]).query)
        claims = platform.claims(sub=f"bench-launch-{state['n']}", roles=[LEARNER], nonce=query["nonce"][0],
                                 email=f"launch{state['n']}@example.edu", name="Bench Student")
        landed = client.post("/lti/launch/", {"id_token": platform.id_token(claims), "state": query["state"][0]})
        assert landed.status_code == 302 and landed["Location"] == question.get_absolute_url(), landed.content[:300]

    results = {"student launch (login + launch, new account)": median_ms(student_launch, warmup=3, repeat=20)}
    started = time.perf_counter()
    statuses = _send_all(passback_question(question.pk))
    results[f"passback of one question, {students} students (s)"] = (time.perf_counter() - started)
    assert statuses.count("sent") == students and ScorePost.objects.count() == students
    results["passback run again, nothing to send (ms)"] = median_ms(
        lambda: _send_all(passback_question(question.pk)), warmup=1, repeat=5)
    platform.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.students)))
        return
    results = measure_databases(__file__, ["--students", str(args.students)], postgres_name=BENCH_DB)
    print(f"LTI with {args.students} students (median ms unless marked, in-process Client, local platform):")
    names = list(next(iter(results.values())))
    print(f"{'':52}" + "".join(f"{db:>12}" for db in results))
    for name in names:
        print(f"{name:52}" + "".join(f"{results[db][name]:12.1f}" for db in results))


if __name__ == "__main__":
    main()
