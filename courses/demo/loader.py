"""Create (idempotently) the demo course, its people and a few submitted answers."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from courses.demo.content import ANSWERS, COURSE, MODULES, QUESTIONS, mark_scheme
from courses.models import Course, Enrollment, Module, Question, Response, Role, RubricBand
from courses.rubric import standard_bands
from courses.services import response_submit
from courses.signals import demo_loaded

User = get_user_model()

PEOPLE = [
    ("student1", "Ada", "Lovelace", Role.STUDENT),
    ("student2", "Grace", "Hopper", Role.STUDENT),
    ("student3", "Alan", "Turing", Role.STUDENT),
    ("student4", "Barbara", "Liskov", Role.STUDENT),
    ("ta1", "Katherine", "Johnson", Role.TA),
    ("ta2", "John", "von Neumann", Role.TA),
    ("instructor", "Fei-Fei", "Li", Role.INSTRUCTOR),
]


@transaction.atomic
def demo_load(*, password: str, reset_passwords: bool = False) -> list[str]:
    """Create what is missing; never changes students' answers or grades. Returns lines to print."""
    log: list[str] = []
    now = timezone.now()
    course, created = Course.objects.get_or_create(slug=COURSE["slug"], defaults=COURSE)
    log.append(f"{'Created' if created else 'Kept'} course {course.slug}")

    for number, slug, title, summary, due_days, policy, opens_days in MODULES:
        module, _ = Module.objects.get_or_create(
            course=course, slug=slug, defaults={"number": number, "title": title, "summary": summary}
        )
        for index, spec in enumerate(QUESTIONS[slug], start=1):
            question, created = Question.objects.get_or_create(
                module=module, grade_id=spec["grade_id"],
                defaults={
                    "number": index, "title": spec["title"], "context": spec["context"], "prompt": spec["prompt"],
                    "expected_response": spec["expected_response"], "points": 10,
                    "mark_scheme": mark_scheme(10, spec["bands"]), "lab": spec["lab"],
                    "due_at": now + timedelta(days=due_days) if due_days is not None else None,
                    "opens_at": now + timedelta(days=opens_days) if opens_days is not None else None,
                    "late_policy": policy,
                },
            )
            if created:
                RubricBand.objects.bulk_create(
                    RubricBand(question=question, position=position, label=band.label, min_points=band.min_points,
                               max_points=band.max_points, description=spec["bands"][band.label])
                    for position, band in enumerate(standard_bands(question.points))
                )
        log.append(f"Module {module.number:02d} {module.slug}: {len(QUESTIONS[slug])} question(s)")

    users = {}
    for username, first, last, role in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.edu"}
        )
        if created or reset_passwords:
            user.set_password(password)
            user.save()
        Enrollment.objects.get_or_create(user=user, course=course, defaults={"role": role})
        users[username] = user
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"email": "admin@example.edu", "is_staff": True, "is_superuser": True}
    )
    if created or reset_passwords:
        admin.set_password(password)
        admin.save()
    log.append("Accounts: " + ", ".join([*users, "admin (superuser)"]))

    submitted = 0
    for (username, module_slug, number), text in ANSWERS.items():
        question = Question.objects.get(module__course=course, module__slug=module_slug, number=number)
        student = users[username]
        if Response.objects.filter(student=student, question=question).exists():
            continue
        due = question.due_at
        # Answers to past-due questions are dated a day late, so the demo shows the late flag.
        at = min(now, due - timedelta(days=1)) if due and due > now else now
        response_submit(student=student, question=question, text=text, base_version=0, now=at)
        submitted += 1
    log.append(f"Submitted {submitted} demo answer(s)")
    # Apps built on courses (grading: double marking, calibration exemplars) add their part.
    for _receiver, lines in demo_loaded.send(sender=demo_load, course=course, people=users):
        log.extend(lines or [])
    return log
