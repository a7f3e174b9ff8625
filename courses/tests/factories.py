"""Small builders for tests: users in every role and a course with a question and its bands."""

from __future__ import annotations

import itertools
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import (
    Course,
    Enrollment,
    Module,
    Question,
    Response,
    ResponseStatus,
    Role,
    RubricBand,
)
from courses.wordcount import count_words

User = get_user_model()
_seq = itertools.count(1)

STANDARD_BANDS = [
    ("EXCELLENT", 9, 10, "Deep, specific, technically accurate."),
    ("GOOD", 7, 8, "Accurate with some depth."),
    ("SATISFACTORY", 5, 6, "Basic understanding."),
    ("NEEDS IMPROVEMENT", 1, 4, "Minimal or unclear understanding."),
    ("NO CREDIT", 0, 0, "No response or off-topic."),
]


def make_user(username: str | None = None, *, password: str = "pw", **fields) -> User:
    username = username or f"user{next(_seq)}"
    fields.setdefault("email", f"{username}@example.edu")
    return User.objects.create_user(username=username, password=password, **fields)


def make_course(slug: str | None = None, **fields) -> Course:
    slug = slug or f"course-{next(_seq)}"
    fields.setdefault("title", slug.replace("-", " ").title())
    return Course.objects.create(slug=slug, **fields)


def make_module(course: Course, number: int | None = None, **fields) -> Module:
    number = number or (course.modules.count() + 1)
    fields.setdefault("slug", f"module-{number}")
    fields.setdefault("title", f"Module {number}")
    return Module.objects.create(course=course, number=number, **fields)


def make_question(module: Module, number: int | None = None, *, bands=STANDARD_BANDS, **fields) -> Question:
    number = number or (module.questions.count() + 1)
    fields.setdefault("grade_id", f"q{number}")
    fields.setdefault("title", f"Question {number}")
    fields.setdefault("context", "Your ReLU uses `np.maximum(0, x)`.")
    fields.setdefault("prompt", "How does ReLU's cost compare with Softmax?")
    fields.setdefault("expected_response", "150-300 words on cost.")
    fields.setdefault("mark_scheme", "SECRET-MARK-SCHEME: reward discussion of exponentials.")
    question = Question.objects.create(module=module, number=number, **fields)
    RubricBand.objects.bulk_create(
        RubricBand(question=question, position=i, label=label, min_points=lo, max_points=hi, description=desc)
        for i, (label, lo, hi, desc) in enumerate(bands)
    )
    return question


def enroll(user: User, course: Course, role: str = Role.STUDENT) -> Enrollment:
    return Enrollment.objects.create(user=user, course=course, role=role)


def words(n: int, word: str = "word") -> str:
    """A text of exactly n words."""
    return " ".join([word] * n)


def make_response(
    student: User,
    question: Question,
    text: str | None = None,
    *,
    submitted: bool = True,
    at: datetime | None = None,
    is_late: bool = False,
) -> Response:
    text = words(200) if text is None else text
    at = at or timezone.now()
    return Response.objects.create(
        student=student,
        question=question,
        text=text,
        version=1,
        status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.DRAFT,
        submitted_text=text if submitted else "",
        submitted_at=at if submitted else None,
        submitted_word_count=count_words(text) if submitted else None,
        submission_count=1 if submitted else 0,
        is_late=is_late,
    )
