"""Load a large course for benchmarks: N students × M questions, all submitted, mostly graded."""

from __future__ import annotations

import math
import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from courses.models import (
    Course,
    Enrollment,
    LatePolicy,
    Module,
    Question,
    Response,
    ResponseStatus,
    Role,
    RubricBand,
)
from courses.rubric import standard_bands
from courses.wordcount import count_words
from grading.models import Grade, GradeEvent, GradeEventKind, GradeRelease, RegradeRequest, RegradeStatus, ReleaseEvent

QUESTIONS_PER_MODULE = 4
BATCH = 2000
BANDS = [(b.label, b.min_points, b.max_points, b.description) for b in standard_bands(10)]
VOCABULARY = (
    "the relu activation costs one comparison per element while softmax needs an exponential a sum and a "
    "division so on large logits it dominates memory bandwidth matters more than flops because each pass reads "
    "and writes the whole tensor numerical stability requires subtracting the maximum before exponentiating "
    "float16 overflows near sixty five thousand gradients vanish when sigmoid saturates batching amortises "
    "kernel launch overhead caches favour contiguous access profiling shows where time goes"
).split()
FEEDBACK = [
    "Clear comparison of the costs; name the memory traffic explicitly next time.",
    "Good point about overflow. Quantify the cost difference.",
    "You describe ReLU well but say little about Softmax's normalisation.",
    "Mostly restates the prompt; add a concrete example.",
    "",
]


def _texts(rng: random.Random, count: int = 64) -> list[tuple[str, int]]:
    """A pool of answers of 150–300 words, with their word counts, reused across responses."""
    pool = []
    for _ in range(count):
        text = " ".join(rng.choices(VOCABULARY, k=rng.randint(150, 300)))
        pool.append((text, count_words(text)))
    return pool


class Command(BaseCommand):
    help = "Create a course with many students and questions, all submitted and mostly graded (for benchmarks)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--students", type=int, default=1000)
        parser.add_argument("--questions", type=int, default=48, help="Spread over modules of four questions.")
        parser.add_argument("--course", default="scale", help="Slug of the course to create.")
        parser.add_argument("--tas", type=int, default=4)
        parser.add_argument("--graded", type=float, default=0.9, help="Share of responses with a grade (0..1).")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, students: int, questions: int, course: str, tas: int, graded: float, seed: int,
               **options) -> None:
        if students < 1 or questions < 1 or tas < 1 or not 0 <= graded <= 1:
            raise CommandError("--students, --questions and --tas must be at least 1 and --graded within 0..1.")
        if Course.objects.filter(slug=course).exists():
            raise CommandError(
                f"Course '{course}' already exists; nothing was changed. Pick another --course or delete it first."
            )
        started = time.perf_counter()
        with transaction.atomic():
            counts = load_scale_course(slug=course, students=students, questions=questions, tas=tas,
                                       graded_share=graded, seed=seed)
        # Fresh planner statistics, as autovacuum would gather soon after a bulk load; without them the first
        # queries plan for the empty tables the migration left.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Created course '{course}': {counts['students']} students, {counts['questions']} questions, "
            f"{counts['responses']} responses, {counts['grades']} grades in {elapsed:.1f} s."
        )


def load_scale_course(*, slug: str, students: int, questions: int, tas: int, graded_share: float,
                      seed: int) -> dict[str, int]:
    """Bulk-insert the course; the caller holds the transaction."""
    rng = random.Random(seed)
    now = timezone.now()
    User = get_user_model()
    course = Course.objects.create(slug=slug, title=f"Scale test ({students} students)")

    module_count = math.ceil(questions / QUESTIONS_PER_MODULE)
    modules = Module.objects.bulk_create(
        Module(course=course, number=m, slug=f"module-{m}", title=f"Module {m}") for m in range(1, module_count + 1)
    )
    due = now - timedelta(days=3)
    question_rows = Question.objects.bulk_create(
        Question(
            module=modules[i // QUESTIONS_PER_MODULE], number=i % QUESTIONS_PER_MODULE + 1,
            grade_id=f"m{i // QUESTIONS_PER_MODULE + 1:02d}-q{i % QUESTIONS_PER_MODULE + 1}",
            title=f"Reflection {i + 1}", prompt="How does ReLU's cost compare with Softmax's?",
            mark_scheme="Reward a quantitative comparison of memory traffic.", points=10,
            opens_at=due - timedelta(days=14), due_at=due, late_policy=LatePolicy.ACCEPT_LATE,
        )
        for i in range(questions)
    )
    bands = RubricBand.objects.bulk_create(
        RubricBand(question=q, position=p, label=label, min_points=lo, max_points=hi, description=desc)
        for q in question_rows for p, (label, lo, hi, desc) in enumerate(BANDS)
    )
    band_for = {(b.question_id, score): b for b in bands for score in range(b.min_points, b.max_points + 1)}

    password = make_password(None)  # unusable: benchmarks log in with force_login
    usernames = ([f"{slug}-s{i:05d}" for i in range(1, students + 1)] + [f"{slug}-ta{j}" for j in range(1, tas + 1)]
                 + [f"{slug}-instructor"])
    User.objects.bulk_create(
        (User(username=name, password=password, first_name=name.rsplit("-", 1)[1].capitalize(), last_name=slug.title(),
              email=f"{name}@example.edu") for name in usernames),
        batch_size=BATCH, ignore_conflicts=True,
    )
    ids = dict(User.objects.filter(username__in=usernames).values_list("username", "id"))
    student_ids = [ids[name] for name in usernames[:students]]
    ta_ids = [ids[name] for name in usernames[students:students + tas]]
    instructor_id = ids[usernames[-1]]
    Enrollment.objects.bulk_create(
        [Enrollment(course=course, user_id=uid, role=Role.STUDENT) for uid in student_ids]
        + [Enrollment(course=course, user_id=uid, role=Role.TA) for uid in ta_ids]
        + [Enrollment(course=course, user_id=instructor_id, role=Role.INSTRUCTOR)],
        batch_size=BATCH,
    )

    pool = _texts(rng)
    responses = []
    for question in question_rows:
        # Pseudonyms must be unique per question; drawing them without replacement avoids collisions.
        pseudonyms = rng.sample(range(16**6), students)
        for student_id, pseudonym in zip(student_ids, pseudonyms, strict=True):
            text, word_count = rng.choice(pool)
            late = rng.random() < 0.05
            at = due + timedelta(hours=rng.randint(1, 48)) if late else due - timedelta(minutes=rng.randint(1, 9000))
            responses.append(Response(
                student_id=student_id, question=question, text=text, status=ResponseStatus.SUBMITTED, version=1,
                submitted_text=text, submitted_at=at, submitted_word_count=word_count, submission_count=1,
                is_late=late, pseudonym=f"{pseudonym:06X}",
            ))
    responses = Response.objects.bulk_create(responses, batch_size=BATCH)

    # The first TA grades about a point and a half lower than the others: analytics should show it.
    bias = {ta_id: (-1.5 if n == 0 else 0.0) for n, ta_id in enumerate(ta_ids)}
    grades, events = [], []
    for response in responses:
        if rng.random() >= graded_share:
            continue
        grader = rng.choice(ta_ids)
        score = min(10, max(0, round(rng.gauss(7.0 + bias[grader], 1.6))))
        band = band_for[(response.question_id, score)]
        feedback = rng.choice(FEEDBACK)
        graded_at = response.submitted_at + timedelta(days=2, minutes=rng.randint(0, 600))
        grades.append(Grade(
            response_id=response.pk, band=band, score=score, points=10, feedback=feedback, graded_by_id=grader,
            graded_at=graded_at, needs_review=rng.random() < 0.005,
        ))
        events.append(GradeEvent(
            response_id=response.pk, actor_id=grader, kind=GradeEventKind.GRADED, created_at=graded_at,
            new_score=score, new_band=band.label, new_feedback=feedback, version=1,
        ))
    Grade.objects.bulk_create(grades, batch_size=BATCH)
    GradeEvent.objects.bulk_create(events, batch_size=BATCH)

    # The first half of the modules are released, and some of their students asked for a regrade.
    released = [q for q in question_rows if q.module_id in {m.pk for m in modules[: max(1, module_count // 2)]}]
    GradeRelease.objects.bulk_create(
        GradeRelease(question=q, released=True, released_at=now, changed_by_id=instructor_id, changed_at=now)
        for q in released
    )
    ReleaseEvent.objects.bulk_create(
        ReleaseEvent(question=q, actor_id=instructor_id, released=True, created_at=now) for q in released
    )
    released_ids = {q.pk for q in released}
    question_of = {r.pk: r.question_id for r in responses}
    regrades = [
        RegradeRequest(response_id=g.response_id, reason="I covered the memory traffic in my second paragraph.",
                       created_at=now)
        for g in grades if question_of[g.response_id] in released_ids and rng.random() < 0.01
    ]
    for request in regrades[::3]:
        request.status, request.reply, request.answered_by_id, request.answered_at = (
            RegradeStatus.ANSWERED, "Looked again; the grade stands.", ta_ids[0], now)
    RegradeRequest.objects.bulk_create(regrades, batch_size=BATCH)
    return {"students": students, "questions": questions, "responses": len(responses), "grades": len(grades)}
